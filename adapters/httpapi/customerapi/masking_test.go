package customerapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// A customer's phone, fax and e-mail and its contacts' numbers and e-mail are shown in full to the
// customer's owner and to a manager (contactdetails.reveal), masked for other readers in scope
// (record, list, search, contacts of the customer, exports); a colleague who may change the
// customer reveals a contact's mobile (one audit entry), a reader who may not gets 403.
func TestCustomerContactDetailsMasked(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "team_sales", "displayName": "团队销售", "dataScope": "all",
			"permissions": []string{"customers.read", "customers.update", "customers.export"}}), 201)
		h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "viewer", "displayName": "查看", "dataScope": "all",
			"permissions": []string{"customers.read", "customers.export"}}), 201)
		dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华南销售部"}), 201).Body["id"].(string)
		_, owner := h.CreateUser(admin, "zhao.sales", "sales", dept)
		_, colleague := h.CreateUser(admin, "qian.team", "team_sales")
		_, viewer := h.CreateUser(admin, "sun.viewer", "viewer")
		_, manager := h.CreateUser(admin, "li.manager", "manager", dept)

		cust := h.Must(h.Do("POST", "/api/v1/customers", owner, map[string]any{"name": "广州白云山机电", "phone": "020-3888-6666",
			"email": "sales@baiyun.example.com"}), 201).Body["id"].(string)
		contact := h.Must(h.Do("POST", "/api/v1/contacts", owner, map[string]any{"customerId": cust, "name": "陈工",
			"mobile": "13600136000", "email": "chen@baiyun.example.com"}), 201).Body["id"].(string)
		pos := h.Head()
		full := []string{"020-3888-6666", "sales@baiyun.example.com", "13600136000", "chen@baiyun.example.com"}
		reads := map[string]string{
			"customer":        "/api/v1/customers/" + cust,
			"customer list":   "/api/v1/customers?q=白云山",
			"customer search": "/api/v1/customers?q=02038886666", // a number whole (a part finds nothing: see TestLeadContactDetailsMasked)
			"customer export": "/api/v1/customers/export?format=csv&q=白云山",
			"contact":         "/api/v1/contacts/" + contact,
			"contacts":        "/api/v1/contacts?customerId=" + cust,
			"contact search":  "/api/v1/contacts?q=13600136000",
			"contact export":  "/api/v1/contacts/export?format=csv&customerId=" + cust,
			"contact history": "/api/v1/contacts/" + contact + "/history",
		}
		for what, path := range reads {
			for _, reader := range []string{viewer, colleague} {
				r := h.Must(h.Do("GET", path, reader, nil, "X-Chronicle-Min-Position", pos), 200)
				for _, v := range full {
					if strings.Contains(r.Raw, v) {
						t.Errorf("%s shows %s to a reader who is not the owner: %s", what, v, r.Raw)
					}
				}
				if strings.HasPrefix(what, "customer") && !strings.Contains(r.Raw, "020-****-6666") && !strings.Contains(r.Raw, "s***@baiyun.example.com") {
					t.Errorf("%s: %s", what, r.Raw)
				}
				if strings.HasPrefix(what, "contact") && !strings.Contains(r.Raw, "136****6000") {
					t.Errorf("%s: %s", what, r.Raw)
				}
			}
			for _, reader := range []string{owner, manager} {
				r := h.Must(h.Do("GET", path, reader, nil, "X-Chronicle-Min-Position", pos), 200)
				if strings.Contains(r.Raw, "****") {
					t.Errorf("%s is masked for the owner or a manager: %s", what, r.Raw)
				}
			}
		}
		r := h.Do("POST", "/api/v1/contacts/"+contact+"/reveal", viewer, map[string]any{"fields": []string{"mobile"}})
		apitest.WantCode(t, r, "forbidden")
		got := h.Must(h.Do("POST", "/api/v1/contacts/"+contact+"/reveal", colleague, map[string]any{"fields": []string{"mobile"}}), 200)
		if got.Body["fields"].(map[string]any)["mobile"] != "13600136000" {
			t.Errorf("contact reveal: %s", got.Raw)
		}
		got = h.Must(h.Do("POST", "/api/v1/customers/"+cust+"/reveal", colleague, map[string]any{"fields": []string{"phone", "email"}}), 200)
		if f := got.Body["fields"].(map[string]any); f["phone"] != "020-3888-6666" || f["email"] != "sales@baiyun.example.com" {
			t.Errorf("customer reveal: %s", got.Raw)
		}
		all, err := h.App.Store.ReadAll(context.Background(), 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range all {
			if e.Type == "audit.contact_revealed.v1" {
				n++
				if strings.Contains(string(e.Data), "13600136000") || strings.Contains(string(e.Data), "3888") {
					t.Errorf("the entry holds a value: %s", e.Data)
				}
			}
		}
		if n != 2 {
			t.Errorf("%d reveal entries, want 2", n)
		}
	})
}
