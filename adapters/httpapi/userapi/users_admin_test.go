package userapi_test

import (
	"fmt"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

func TestUserAdministration(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		id, tok := h.CreateUser(admin, "chen.sales", "sales")
		h.Must(h.Do("GET", "/api/v1/auth/me", tok, nil), 200)
		// Only holders of users.manage administer accounts.
		h.Must(h.Do("POST", "/api/v1/users/"+id+"/disable", tok, nil), 403)
		h.Must(h.Do("PATCH", "/api/v1/users/"+id, tok, map[string]any{"roles": []string{"admin"}}), 403)
		// Disabling ends the sessions and refuses sign-in.
		d := h.Must(h.Do("POST", "/api/v1/users/"+id+"/disable", admin, nil), 200)
		if d.Body["disabled"] != true {
			t.Fatalf("disable: %s", d.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/auth/me", tok, nil), 401)
		h.Must(h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "chen.sales", "password": apitest.PasswordOf("chen.sales")}), 401)
		h.Must(h.Do("POST", "/api/v1/users/"+id+"/enable", admin, nil), 200)
		tok = h.Login("chen.sales", apitest.PasswordOf("chen.sales"))
		// An administrator's reset ends the user's sessions; the new password works, the old does not.
		h.Must(h.Do("POST", "/api/v1/users/"+id+"/reset-password", admin, map[string]string{"password": "short"}), 422)
		h.Must(h.Do("POST", "/api/v1/users/"+id+"/reset-password", admin, map[string]string{"password": "Brand-new-2026-pass"}), 204)
		h.Must(h.Do("GET", "/api/v1/auth/me", tok, nil), 401)
		h.Must(h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "chen.sales", "password": apitest.PasswordOf("chen.sales")}), 401)
		tok = h.Login("chen.sales", "Brand-new-2026-pass")
		// Changing one's own password needs the current one.
		h.Must(h.Do("POST", "/api/v1/auth/change-password", tok, map[string]string{"currentPassword": "wrong-password-1", "newPassword": "Another-2026-pass"}), 422)
		h.Must(h.Do("POST", "/api/v1/auth/change-password", tok, map[string]string{"currentPassword": "Brand-new-2026-pass", "newPassword": "Another-2026-pass"}), 204)
		h.Must(h.Do("GET", "/api/v1/auth/me", tok, nil), 200) // the session that changed it stays
		tok = h.Login("chen.sales", "Another-2026-pass")
		// A role change reaches the user's next request at once (what authentication keeps is
		// dropped when the organisation's read model moves).
		before := h.Must(h.Do("GET", "/api/v1/auth/me", tok, nil), 200)
		h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"roles": []string{"manager"}}), 200)
		after := h.Must(h.Do("GET", "/api/v1/auth/me", tok, nil), 200)
		if fmt.Sprint(after.Body["roles"]) != "[manager]" || after.Body["dataScope"] == before.Body["dataScope"] ||
			fmt.Sprint(after.Body["permissions"]) == fmt.Sprint(before.Body["permissions"]) {
			t.Fatalf("right after the change to manager the actor is still a sales user's: %v %v %v",
				after.Body["roles"], after.Body["dataScope"], after.Body["permissions"])
		}
		// Roles and placement are validated.
		h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"roles": []string{"nonexistent"}}), 422)
		h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"superiorId": id}), 422)
		h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"departmentId": "0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e"}), 422)
		up := h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"displayName": "陈经理", "roles": []string{"manager"}}), 200)
		if up.Body["displayName"] != "陈经理" {
			t.Fatalf("update: %s", up.Raw)
		}
		// Signing in (and failing to) does not make an administrator's edit form stale; another
		// edit does.
		seen := h.Must(h.Do("GET", "/api/v1/users/"+id, admin, nil, "X-Chronicle-Min-Position", up.Header.Get("X-Chronicle-Position")), 200)
		version := fmt.Sprint(seen.Body["version"])
		h.Must(h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "chen.sales", "password": "wrong-password-9"}), 401)
		h.Login("chen.sales", "Another-2026-pass")
		ok := h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"displayName": "陈总"}, "If-Match", version), 200)
		if ok.Body["displayName"] != "陈总" || fmt.Sprint(ok.Body["version"]) == version {
			t.Fatalf("edit after the user signed in: %s", ok.Raw)
		}
		stale := h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"displayName": "陈某"}, "If-Match", version), 412)
		if fmt.Sprint(stale.Body["currentVersion"]) != fmt.Sprint(ok.Body["version"]) {
			t.Fatalf("412 names currentVersion %v, the last edit made %v", stale.Body["currentVersion"], ok.Body["version"])
		}
		// The admin cannot disable their own account.
		me := h.Must(h.Do("GET", "/api/v1/auth/me", admin, nil), 200).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/users/"+me+"/disable", admin, nil), 422)
	})
}

// TestAdministratorEntersEmail: an administrator gives an account its e-mail address when creating
// or editing it (so that a user who never entered one can still receive a password-reset link);
// the address is shown to the user and to administrators only; a bad address is 422 and records
// nothing.
func TestAdministratorEntersEmail(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		created := h.Must(h.Do("POST", "/api/v1/users", admin, map[string]any{"username": "li.mail", "password": apitest.PasswordOf("li.mail"),
			"displayName": "李邮", "role": "sales", "email": "li@example.com"}), 201)
		id := created.Body["id"].(string)
		if created.Body["email"] != "li@example.com" {
			t.Fatalf("created: %s", created.Raw)
		}
		li := h.Login("li.mail", apitest.PasswordOf("li.mail"))
		_, other := h.CreateUser(admin, "zhao.other", "sales")
		if got := h.Must(h.Do("GET", "/api/v1/users/"+id, li, nil), 200).Body["email"]; got != "li@example.com" {
			t.Fatalf("the user sees their address as %v", got)
		}
		if got, ok := h.Must(h.Do("GET", "/api/v1/users/"+id, other, nil), 200).Body["email"]; ok {
			t.Fatalf("another user sees the address %v", got)
		}
		prefs := h.Must(h.Do("GET", "/api/v1/me/notification-preferences", li, nil), 200)
		if prefs.Body["email"] != "li@example.com" {
			t.Fatalf("the user's own preferences: %s", prefs.Raw)
		}

		before := h.Head()
		bad := h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"email": "not an address", "displayName": "李某"}), 422)
		apitest.FieldErr(t, bad, "email", "invalid_email")
		if h.Head() != before {
			t.Fatal("a refused edit recorded events")
		}
		h.Must(h.Do("POST", "/api/v1/users", admin, map[string]any{"username": "qian.bad", "password": apitest.PasswordOf("qian.bad"),
			"displayName": "钱", "role": "sales", "email": "qian@"}), 422)
		if h.Head() != before {
			t.Fatal("a refused creation recorded events")
		}

		v := h.Must(h.Do("GET", "/api/v1/users/"+id, admin, nil), 200).Body["version"]
		up := h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"email": "li.new@example.com"}, "If-Match", fmt.Sprint(v)), 200)
		if up.Body["email"] != "li.new@example.com" {
			t.Fatalf("after the edit: %s", up.Raw)
		}
		prefs = h.Must(h.Do("GET", "/api/v1/me/notification-preferences", li, nil, "X-Chronicle-Min-Position", up.Header.Get("X-Chronicle-Position")), 200)
		if prefs.Body["email"] != "li.new@example.com" {
			t.Fatalf("the user's own preferences after the administrator's edit: %s", prefs.Raw)
		}
		cleared := h.Must(h.Do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"email": ""}), 200)
		if _, ok := cleared.Body["email"]; ok {
			t.Fatalf("a removed address is still shown: %s", cleared.Raw)
		}
	})
}
