package httpapi_test

import (
	"fmt"
	"testing"
)

func TestUserAdministration(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		admin := h.login("admin", adminPassword)
		id, tok := h.createUser(admin, "chen.sales", "sales")
		h.must(h.do("GET", "/api/v1/auth/me", tok, nil), 200)
		// Only holders of users.manage administer accounts.
		h.must(h.do("POST", "/api/v1/users/"+id+"/disable", tok, nil), 403)
		h.must(h.do("PATCH", "/api/v1/users/"+id, tok, map[string]any{"roles": []string{"admin"}}), 403)
		// Disabling ends the sessions and refuses sign-in.
		d := h.must(h.do("POST", "/api/v1/users/"+id+"/disable", admin, nil), 200)
		if d.body["disabled"] != true {
			t.Fatalf("disable: %s", d.raw)
		}
		h.must(h.do("GET", "/api/v1/auth/me", tok, nil), 401)
		h.must(h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "chen.sales", "password": "Secret-chen.sales-2026"}), 401)
		h.must(h.do("POST", "/api/v1/users/"+id+"/enable", admin, nil), 200)
		tok = h.login("chen.sales", "Secret-chen.sales-2026")
		// An administrator's reset ends the user's sessions; the new password works, the old does not.
		h.must(h.do("POST", "/api/v1/users/"+id+"/reset-password", admin, map[string]string{"password": "short"}), 422)
		h.must(h.do("POST", "/api/v1/users/"+id+"/reset-password", admin, map[string]string{"password": "Brand-new-2026-pass"}), 204)
		h.must(h.do("GET", "/api/v1/auth/me", tok, nil), 401)
		h.must(h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "chen.sales", "password": "Secret-chen.sales-2026"}), 401)
		tok = h.login("chen.sales", "Brand-new-2026-pass")
		// Changing one's own password needs the current one.
		h.must(h.do("POST", "/api/v1/auth/change-password", tok, map[string]string{"currentPassword": "wrong-password-1", "newPassword": "Another-2026-pass"}), 422)
		h.must(h.do("POST", "/api/v1/auth/change-password", tok, map[string]string{"currentPassword": "Brand-new-2026-pass", "newPassword": "Another-2026-pass"}), 204)
		h.must(h.do("GET", "/api/v1/auth/me", tok, nil), 200) // the session that changed it stays
		h.login("chen.sales", "Another-2026-pass")
		// Roles and placement are validated.
		h.must(h.do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"roles": []string{"nonexistent"}}), 422)
		h.must(h.do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"superiorId": id}), 422)
		h.must(h.do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"departmentId": "0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e"}), 422)
		up := h.must(h.do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"displayName": "陈经理", "roles": []string{"manager"}}), 200)
		if up.body["displayName"] != "陈经理" {
			t.Fatalf("update: %s", up.raw)
		}
		// Signing in (and failing to) does not make an administrator's edit form stale; another
		// edit does.
		seen := h.must(h.do("GET", "/api/v1/users/"+id, admin, nil, "X-Chronicle-Min-Position", up.header.Get("X-Chronicle-Position")), 200)
		version := fmt.Sprint(seen.body["version"])
		h.must(h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "chen.sales", "password": "wrong-password-9"}), 401)
		h.login("chen.sales", "Another-2026-pass")
		ok := h.must(h.do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"displayName": "陈总"}, "If-Match", version), 200)
		if ok.body["displayName"] != "陈总" || fmt.Sprint(ok.body["version"]) == version {
			t.Fatalf("edit after the user signed in: %s", ok.raw)
		}
		stale := h.must(h.do("PATCH", "/api/v1/users/"+id, admin, map[string]any{"displayName": "陈某"}, "If-Match", version), 412)
		if fmt.Sprint(stale.body["currentVersion"]) != fmt.Sprint(ok.body["version"]) {
			t.Fatalf("412 names currentVersion %v, the last edit made %v", stale.body["currentVersion"], ok.body["version"])
		}
		// The admin cannot disable their own account.
		me := h.must(h.do("GET", "/api/v1/auth/me", admin, nil), 200).body["id"].(string)
		h.must(h.do("POST", "/api/v1/users/"+me+"/disable", admin, nil), 422)
	})
}
