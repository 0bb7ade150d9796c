package orgapi_test

import (
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// TestRolesByName: a role is addressed by its name as well as by its id; deleting a built-in role
// by name is 409 built_in_role (not a 422 about the id), and a name no role has is 404.
func TestRolesByName(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		byID := h.Must(h.Do("GET", "/api/v1/roles", admin, nil), 200)
		var salesID string
		for _, it := range byID.Body["items"].([]any) {
			if r := it.(map[string]any); r["name"] == "sales" {
				salesID = r["id"].(string)
			}
		}
		sales := h.Must(h.Do("GET", "/api/v1/roles/sales", admin, nil), 200)
		if sales.Body["id"] != salesID || sales.Body["name"] != "sales" {
			t.Fatalf("GET /roles/sales: %s, want the role with id %s", sales.Raw, salesID)
		}
		h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "auditor", "displayName": "审计", "dataScope": "all", "permissions": []string{"audit.read"}}), 201)
		p := h.Must(h.Do("PATCH", "/api/v1/roles/auditor", admin, map[string]any{"displayName": "审计员"}), 200)
		if p.Body["displayName"] != "审计员" {
			t.Fatalf("PATCH /roles/auditor: %s", p.Raw)
		}
		for _, name := range []string{"admin", "sales", "manager"} {
			apitest.WantCode(t, h.Must(h.Do("DELETE", "/api/v1/roles/"+name, admin, nil), 409), "built_in_role")
		}
		h.Must(h.Do("GET", "/api/v1/roles/sales", admin, nil), 200) // still there
		apitest.WantCode(t, h.Must(h.Do("DELETE", "/api/v1/roles/no-such-role", admin, nil), 404), "not_found")
		apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/roles/no-such-role", admin, nil), 404), "not_found")
		del := h.Must(h.Do("DELETE", "/api/v1/roles/auditor", admin, nil), 204)
		gone := h.Do("GET", "/api/v1/roles/auditor", admin, nil, "X-Chronicle-Min-Position", del.Header.Get("X-Chronicle-Position"))
		apitest.WantCode(t, h.Must(gone, 404), "not_found")
	})
}
