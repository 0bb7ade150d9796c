package userapi_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// strs reads a JSON array of strings.
func strs(v any) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func prefsOf(t *testing.T, r apitest.Resp) map[string]any {
	t.Helper()
	p, ok := r.Body["preferences"].(map[string]any)
	if !ok {
		t.Fatalf("no preferences: %s", r.Raw)
	}
	return p
}

// builtIn is the permission list of a built-in role, sorted.
func builtIn(name string) []string {
	for _, b := range role.BuiltIns {
		if b.Name == name {
			return slices.Sorted(slices.Values(b.Permissions))
		}
	}
	return nil
}

// GET /auth/me is all a client needs: the effective permissions (the union of the roles'), the
// data scope, the two-factor state, the department's name and the preferences with defaults.
func TestMe(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		me := h.Must(h.Do("GET", "/api/v1/auth/me", admin, nil), 200)
		if got := strs(me.Body["permissions"]); !slices.Equal(got, slices.Sorted(slices.Values(role.Permissions))) {
			t.Fatalf("admin permissions %v, want every permission", got)
		}
		if me.Body["dataScope"] != "all" || me.Body["departmentName"] != nil || me.Body["username"] != "admin" {
			t.Fatalf("admin me: %s", me.Raw)
		}
		if tf := me.Body["twoFactor"].(map[string]any); tf["enabled"] != false || tf["required"] != false {
			t.Fatalf("admin twoFactor: %v", tf)
		}
		if p := prefsOf(t, me); p["language"] != "zh-CN" || p["timeZone"] != "Asia/Shanghai" || p["languageChosen"] != false || p["timeZoneChosen"] != false {
			t.Fatalf("default preferences: %v", p)
		}

		dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华东销售部"}), 201).Body["id"].(string)
		_, sales := h.CreateUser(admin, "li.sales", "sales", dept)
		me = h.Must(h.Do("GET", "/api/v1/auth/me", sales, nil), 200)
		if got := strs(me.Body["permissions"]); !slices.Equal(got, builtIn("sales")) {
			t.Fatalf("sales permissions %v, want the sales role's %v", got, builtIn("sales"))
		}
		if me.Body["dataScope"] != "self" || me.Body["departmentName"] != "华东销售部" {
			t.Fatalf("sales me: %s", me.Raw)
		}
		if rd := me.Body["roleDetails"].([]any); len(rd) != 1 || rd[0].(map[string]any)["displayName"] != "销售代表 Sales representative" {
			t.Fatalf("roleDetails: %v", rd)
		}
		// Two roles: the union of their permissions and the wider scope.
		both := h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "auditor", "displayName": "审计员",
			"permissions": []string{"audit.read", "leads.read"}, "dataScope": "department"}), 201)
		_ = both
		id2, _ := h.CreateUser(admin, "wu.two", "sales", dept)
		up := h.Must(h.Do("PATCH", "/api/v1/users/"+id2, admin, map[string]any{"roles": []string{"sales", "auditor"}}), 200)
		two := h.Login("wu.two", apitest.PasswordOf("wu.two"))
		me = h.Must(h.Do("GET", "/api/v1/auth/me", two, nil, "X-Chronicle-Min-Position", up.Header.Get("X-Chronicle-Position")), 200)
		want := slices.Sorted(slices.Values(append(builtIn("sales"), "audit.read")))
		if got := strs(me.Body["permissions"]); !slices.Equal(got, slices.Compact(want)) || me.Body["dataScope"] != "department" {
			t.Fatalf("two roles: %v %v, want %v department", got, me.Body["dataScope"], want)
		}
	})
}

func TestPreferences(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		id, sales := h.CreateUser(admin, "zhao.prefs", "sales")
		seen := h.Must(h.Do("GET", "/api/v1/users/"+id, admin, nil), 200)
		version := fmt.Sprint(seen.Body["version"])

		set := h.Must(h.Do("PATCH", "/api/v1/auth/me/preferences", sales, map[string]any{"language": "en", "timeZone": "America/New_York"}), 200)
		if p := prefsOf(t, set); p["language"] != "en" || p["timeZone"] != "America/New_York" || p["languageChosen"] != true || p["timeZoneChosen"] != true {
			t.Fatalf("after setting: %s", set.Raw)
		}
		if set.Header.Get("X-Chronicle-Position") == "" || fmt.Sprint(set.Body["version"]) != version {
			t.Fatalf("the preferences moved the edit version %s: %s", version, set.Raw)
		}
		// Changing one's preferences does not make an administrator's edit form stale.
		h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"displayName": "赵偏好"}, "If-Match", version), 200)

		// Bad values: 422 naming each wrong field, and nothing changes.
		for _, bad := range []struct {
			body   map[string]any
			fields []string
		}{
			{map[string]any{"language": "fr"}, []string{"language"}},
			{map[string]any{"language": "EN"}, []string{"language"}},
			{map[string]any{"timeZone": "Local"}, []string{"timeZone"}},
			{map[string]any{"timeZone": "Mars/Olympus"}, []string{"timeZone"}},
			{map[string]any{"timeZone": ""}, []string{"timeZone"}},
			{map[string]any{"language": "zh-CN", "timeZone": "GMT+8"}, []string{"timeZone"}},
			{map[string]any{"language": "de", "timeZone": "Nowhere/City"}, []string{"language", "timeZone"}},
		} {
			r := h.Do("PATCH", "/api/v1/auth/me/preferences", sales, bad.body)
			if r.Status != 422 {
				t.Fatalf("%v: status %d: %s", bad.body, r.Status, r.Raw)
			}
			apitest.WantCode(t, r, "validation_failed")
			var got []string
			for _, e := range r.Body["errors"].([]any) {
				got = append(got, e.(map[string]any)["field"].(string))
			}
			if !slices.Equal(got, bad.fields) {
				t.Fatalf("%v: field errors %v, want %v", bad.body, got, bad.fields)
			}
		}
		h.Must(h.Do("PATCH", "/api/v1/auth/me/preferences", sales, `{"language": 1}`), 400)
		h.NoContract = true // what no client may send, on purpose
		// There is no way to name another account: an id, a userId or a username is an unknown field.
		for _, body := range []map[string]any{{"id": id, "language": "zh-CN"}, {"userId": id, "language": "zh-CN"}, {"username": "admin", "language": "en"}} {
			h.Must(h.Do("PATCH", "/api/v1/auth/me/preferences", admin, body), 400)
		}
		// Nor do the administrators' user edits take preferences.
		h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"language": "zh-CN"}), 400)
		h.NoContract = false
		me := h.Must(h.Do("GET", "/api/v1/auth/me", sales, nil), 200)
		if p := prefsOf(t, me); p["language"] != "en" || p["timeZone"] != "America/New_York" {
			t.Fatalf("a refused change changed the preferences: %v", p)
		}
		if p := prefsOf(t, h.Must(h.Do("GET", "/api/v1/auth/me", admin, nil), 200)); p["languageChosen"] != false || p["language"] != "zh-CN" {
			t.Fatalf("another user's change reached the administrator: %v", p)
		}

		// null returns to the defaults; the organisation's default zone is a setting only
		// administrators change.
		reset := h.Must(h.Do("PATCH", "/api/v1/auth/me/preferences", sales, map[string]any{"timeZone": nil}), 200)
		if p := prefsOf(t, reset); p["timeZone"] != "Asia/Shanghai" || p["timeZoneChosen"] != false || p["language"] != "en" {
			t.Fatalf("after reset: %v", p)
		}
		h.Must(h.Do("PATCH", "/api/v1/settings", sales, map[string]any{"defaultTimeZone": "UTC"}), 403)
		h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"defaultTimeZone": "Local"}), 422)
		st := h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"defaultTimeZone": "Europe/Berlin"}), 200)
		if st.Body["defaultTimeZone"] != "Europe/Berlin" {
			t.Fatalf("settings: %s", st.Raw)
		}
		me = h.Must(h.Do("GET", "/api/v1/auth/me", sales, nil, "X-Chronicle-Min-Position", st.Header.Get("X-Chronicle-Position")), 200)
		if p := prefsOf(t, me); p["timeZone"] != "Europe/Berlin" || p["timeZoneChosen"] != false {
			t.Fatalf("the organisation's default zone: %v", p)
		}

		// The change is in the account's history (the operation log), by the user.
		audit := h.Must(h.Do("GET", "/api/v1/audit/events?type=user.preferences_changed.v1", admin, nil), 200)
		items := audit.Body["items"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["actor"].(map[string]any)["id"] != id {
			t.Fatalf("audit: %s", audit.Raw)
		}
	})
}

// twoFactor tells the account's state: required by a role, enabled once confirmed. A user held to
// enrolment may still read /auth/me and set their language.
func TestMeTwoFactor(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		h = securityHarness(t, h)
		admin := h.Login("admin", apitest.AdminPassword)
		h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "secure_sales", "displayName": "安全销售",
			"permissions": []string{"leads.read"}, "dataScope": "self", "require2fa": true}), 201)
		_, tok := h.CreateUser(admin, "qian.secure", "secure_sales")
		tf := func(pos string) map[string]any {
			t.Helper()
			return h.Must(h.Do("GET", "/api/v1/auth/me", tok, nil, "X-Chronicle-Min-Position", pos), 200).Body["twoFactor"].(map[string]any)
		}
		if s := tf("0"); s["enabled"] != false || s["required"] != true {
			t.Fatalf("before enrolling: %v", s)
		}
		h.Must(h.Do("GET", "/api/v1/leads", tok, nil), 403)
		h.Must(h.Do("PATCH", "/api/v1/auth/me/preferences", tok, map[string]any{"language": "en"}), 200)
		enr := h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", tok, nil), 200)
		secret := enr.Body["secret"].(string)
		code, _ := totp.GenerateCode(secret, time.Now())
		conf := h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", tok, map[string]string{"code": code}), 200)
		if s := tf(conf.Header.Get("X-Chronicle-Position")); s["enabled"] != true || s["required"] != true {
			t.Fatalf("after confirming: %v", s)
		}
		// Off again (possible once no role requires it).
		h.Must(h.Do("PATCH", "/api/v1/users/"+h.Must(h.Do("GET", "/api/v1/auth/me", tok, nil), 200).Body["id"].(string), admin,
			map[string]any{"roles": []string{"sales"}}), 200)
		next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		off := h.Must(h.Do("POST", "/api/v1/auth/2fa/disable", tok, map[string]string{"password": apitest.PasswordOf("qian.secure"), "code": next}), 204)
		if s := tf(off.Header.Get("X-Chronicle-Position")); s["enabled"] != false || s["required"] != false {
			t.Fatalf("after switching off: %v", s)
		}
	})
}
