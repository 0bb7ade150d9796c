package httpapi_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// TestVersionConflictNamesTheAuthor: a PATCH with a stale If-Match is 412 version_conflict whose
// problem names who wrote the current version and when, for every kind of record an edit form
// shows (leads, departments, roles, users); nothing is changed by the refused edit. Sign-ins do
// not count as edits of a user: the author named is the administrator who last edited the user.
func TestVersionConflictNamesTheAuthor(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售部"}), 201).Body["id"].(string)
		admin2ID, admin2 := h.CreateUser(admin, "second.admin", "admin", dept)
		salesID, sales := h.CreateUser(admin, "zhao.sales", "sales", dept)
		role := h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "channel", "displayName": "渠道经理", "permissions": []string{"leads.read"}, "dataScope": "self"}), 201).Body["id"].(string)
		lead := h.Must(h.Do("POST", "/api/v1/leads", sales, map[string]any{"name": "王小明", "company": "北京星河科技"}), 201).Body["id"].(string)

		cases := []struct {
			what, path         string
			editor             string // token of the one who moves the record on
			editorID, editorNm string
			edit, stale        map[string]any
		}{
			{"lead", "/api/v1/leads/" + lead, sales, salesID, "用户zhao.sales", map[string]any{"remark": "第一次"}, map[string]any{"remark": "过期"}},
			{"department", "/api/v1/departments/" + dept, admin2, admin2ID, "用户second.admin", map[string]any{"name": "销售一部"}, map[string]any{"name": "过期"}},
			{"role", "/api/v1/roles/" + role, admin2, admin2ID, "用户second.admin", map[string]any{"displayName": "渠道主管"}, map[string]any{"displayName": "过期"}},
			{"user", "/api/v1/users/" + salesID, admin2, admin2ID, "用户second.admin", map[string]any{"displayName": "赵销售"}, map[string]any{"displayName": "过期"}},
		}
		for _, c := range cases {
			before := h.Must(h.Do("GET", c.path, admin, nil), 200)
			v := before.Header.Get("ETag")
			start := time.Now().Add(-time.Second)
			h.Must(h.Do("PATCH", c.path, c.editor, c.edit, "If-Match", v), 200)
			if c.what == "user" { // a sign-in of the user edited does not move the version clients match
				h.Login("zhao.sales", apitest.PasswordOf("zhao.sales"))
			}
			now := h.Must(h.Do("GET", c.path, admin, nil), 200)
			p := h.Must(h.Do("PATCH", c.path, admin, c.stale, "If-Match", v), 412)
			by, _ := p.Body["changedBy"].(map[string]any)
			if p.Body["code"] != "version_conflict" || by["id"] != c.editorID || by["name"] != c.editorNm {
				t.Fatalf("%s: 412 = %s, want changedBy %s %s", c.what, p.Raw, c.editorID, c.editorNm)
			}
			at, err := time.Parse(time.RFC3339Nano, p.Body["changedAt"].(string))
			if err != nil || at.Before(start) || at.After(time.Now().Add(time.Second)) {
				t.Fatalf("%s: changedAt %v (%v), edit made after %v", c.what, p.Body["changedAt"], err, start)
			}
			if cur := p.Body["currentVersion"].(float64); `"`+strconv.FormatFloat(cur, 'f', -1, 64)+`"` != now.Header.Get("ETag") {
				t.Fatalf("%s: currentVersion %v, ETag %s", c.what, cur, now.Header.Get("ETag"))
			}
			after := h.Must(h.Do("GET", c.path, admin, nil), 200)
			if string(after.Raw) != string(now.Raw) {
				t.Fatalf("%s: the refused edit changed the record:\n%s\n%s", c.what, now.Raw, after.Raw)
			}
		}
	})
}

// TestUserEditAnswersTheVersionClientsMatch: the ETag of a command on a user is the version an
// administrator's next If-Match must carry (the view's), not the stream's, which the user's own
// preferences move too: a preferences change answers the unchanged version, and that tag still
// matches.
func TestUserEditAnswersTheVersionClientsMatch(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		id, token := h.CreateUser(admin, "qian.sales", "sales")
		etag := h.Must(h.Do("GET", "/api/v1/users/"+id, admin, nil), 200).Header.Get("ETag")
		prefs := h.Must(h.Do("PATCH", "/api/v1/auth/me/preferences", token, map[string]any{"language": "en"}), 200)
		if prefs.Header.Get("ETag") != etag {
			t.Fatalf("preferences answered ETag %s; the user's version is still %s", prefs.Header.Get("ETag"), etag)
		}
		up := h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"displayName": "钱销售"}, "If-Match", prefs.Header.Get("ETag")), 200)
		if want := `"` + strconv.FormatFloat(up.Body["version"].(float64), 'f', -1, 64) + `"`; up.Header.Get("ETag") != want {
			t.Fatalf("PATCH answered ETag %s with a view at version %s", up.Header.Get("ETag"), want)
		}
		h.Must(h.Do("PATCH", "/api/v1/auth/me/preferences", token, map[string]any{"timeZone": "Europe/Berlin"}), 200)
		h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"displayName": "钱二"}, "If-Match", up.Header.Get("ETag")), 200)
	})
}
