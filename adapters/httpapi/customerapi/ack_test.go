package customerapi_test

import (
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// TestCommandOutOfSightAnswers202: a command that takes the record out of the caller's sight (a
// release into a pool the caller does not see) answers 202 with CommandAck {id, version}, not the
// record, and the contract check holds it to that one schema.
func TestCommandOutOfSightAnswers202(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "releaser", "displayName": "退回", "dataScope": "self",
			"permissions": []string{"customers.read", "customers.create", "customers.release"}}), 201)
		_, tok := h.CreateUser(admin, "rel.user", "releaser")
		c := h.Must(h.Do("POST", "/api/v1/customers", tok, map[string]any{"name": "退回测试有限公司"}), 201)
		id := c.Body["id"].(string)
		r := h.Must(h.Do("POST", "/api/v1/customers/"+id+"/release", tok, map[string]any{"reason": "暂无需求"}), 202)
		if r.Body["id"] != id || r.Body["version"].(float64) != 2 || len(r.Body) != 2 {
			t.Fatalf("release answer %s, want {id, version 2}", r.Raw)
		}
		if r.Header.Get("X-Chronicle-Position") == "" {
			t.Fatal("the 202 has no X-Chronicle-Position")
		}
	})
}
