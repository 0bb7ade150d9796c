package leadapi_test

import (
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

func TestLeadConversion(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		s1ID, s1 := h.CreateUser(admin, "sun.sales", "sales")
		_, s2 := h.CreateUser(admin, "li.sales", "sales")
		lead := h.Must(h.Do("POST", "/api/v1/leads", s1, map[string]any{"name": "王小明", "company": "北京星河科技有限公司",
			"phone": "010-8888 6666", "source": "展会"}), 201).Body["id"].(string)

		// A bad contact is refused before anything is written.
		h.Must(h.Do("POST", "/api/v1/leads/"+lead+"/convert", s1, map[string]any{"contact": map[string]any{"title": "采购经理"}}), 422)
		if st := h.Must(h.Do("GET", "/api/v1/leads/"+lead, s1, nil), 200).Body["status"]; st != "new" {
			t.Fatalf("a refused conversion changed the lead: %v", st)
		}
		h.Must(h.Do("POST", "/api/v1/leads/"+lead+"/convert", s2, map[string]any{}), 404) // not s2's lead

		conv := h.Must(h.Do("POST", "/api/v1/leads/"+lead+"/convert", s1, map[string]any{"contact": map[string]any{
			"name": "王小明", "title": "采购经理", "mobile": "13800138000", "gender": "male"}}), 201)
		custID, contactID := conv.Body["customerId"].(string), conv.Body["contactId"].(string)
		pos := conv.Header.Get("X-Chronicle-Position")

		c := h.Must(h.Do("GET", "/api/v1/customers/"+custID, s1, nil, "X-Chronicle-Min-Position", pos), 200)
		if c.Body["name"] != "北京星河科技有限公司" || c.Body["fromLeadId"] != lead || c.Body["ownerId"] != s1ID {
			t.Fatalf("customer from lead: %s", c.Raw)
		}
		if got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/customers?q=星河科技", s1, nil), 200)); len(got) != 1 || got[0] != custID {
			t.Fatalf("the converted customer is not found by 星河科技: %v", got)
		}
		contacts := h.Must(h.Do("GET", "/api/v1/contacts?customerId="+custID, s1, nil), 200)
		items := contacts.Body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["id"] != contactID || items[0].(map[string]any)["primary"] != true {
			t.Fatalf("contacts: %s", contacts.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/contacts/"+contactID, s2, nil), 404)

		// Converting twice is refused; the lead shows it is converted.
		again := h.Must(h.Do("POST", "/api/v1/leads/"+lead+"/convert", s1, map[string]any{}), 409)
		if again.Body["code"] != "invalid_transition" {
			t.Fatalf("second conversion: %s", again.Raw)
		}
		if st := h.Must(h.Do("GET", "/api/v1/leads/"+lead, s1, nil, "X-Chronicle-Min-Position", pos), 200).Body["status"]; st != "converted" {
			t.Fatalf("lead status after conversion: %v", st)
		}

		// The customer's history shows it came from the lead: its first event was caused by the conversion.
		leadHist := h.Must(h.Do("GET", "/api/v1/leads/"+lead+"/history", s1, nil, "X-Chronicle-Min-Position", pos), 200).Body["items"].([]any)
		convEvent := leadHist[len(leadHist)-1].(map[string]any)
		if convEvent["type"] != "lead.converted.v1" {
			t.Fatalf("last lead event: %v", convEvent["type"])
		}
		custHist := h.Must(h.Do("GET", "/api/v1/customers/"+custID+"/history", s1, nil), 200).Body["items"].([]any)
		first := custHist[0].(map[string]any)
		if first["type"] != "customer.created.v1" || first["metadata"].(map[string]any)["causationId"] != convEvent["metadata"].(map[string]any)["eventId"] {
			t.Fatalf("customer history does not point at the conversion: %v vs %v", first["metadata"], convEvent["metadata"])
		}

		// Contacts: add a second one and make it primary.
		second := h.Must(h.Do("POST", "/api/v1/contacts", s1, map[string]any{"customerId": custID, "name": "李娜", "email": "lina@xinghe.cn", "primary": true}), 201)
		if second.Body["primary"] != true {
			t.Fatalf("second contact: %s", second.Raw)
		}
		h.Must(h.Do("POST", "/api/v1/contacts", s2, map[string]any{"customerId": custID, "name": "外人"}), 422) // outside s2's scope reads as "no such customer"
		list := h.Must(h.Do("GET", "/api/v1/contacts?customerId="+custID, s1, nil, "X-Chronicle-Min-Position", second.Header.Get("X-Chronicle-Position")), 200)
		primaries := 0
		for _, it := range list.Body["items"].([]any) {
			if it.(map[string]any)["primary"] == true {
				primaries++
			}
		}
		if primaries != 1 || list.Body["total"].(float64) != 2 {
			t.Fatalf("contacts after making the second primary: %s", list.Raw)
		}
		h.Must(h.Do("PATCH", "/api/v1/contacts/"+contactID, s1, map[string]any{"title": "总经理"}), 200)
	})
}

// TestConversionOpensAnOpportunity: a conversion may open an opportunity for the new customer,
// with the contact and lines from the catalogue; a bad opportunity is refused (fields named
// opportunity.*) before anything is written.
func TestConversionOpensAnOpportunity(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		s1ID, s1 := h.CreateUser(admin, "sun.sales", "sales")
		products := h.Products(admin, "ERP 标准版", "实施服务")
		lead := h.Must(h.Do("POST", "/api/v1/leads", s1, map[string]any{"name": "王小明", "company": "北京星河科技有限公司"}), 201).Body["id"].(string)
		bad := []struct {
			opp   map[string]any
			field string
		}{
			{map[string]any{"name": " "}, "opportunity.name"},
			{map[string]any{"name": "ERP", "lines": []map[string]any{{"productId": "0193a5c2-3333-7b21-9f3a-2c5d8e1f4a60", "quantity": "1"}}}, "opportunity.lines[0].productId"},
			{map[string]any{"name": "ERP", "amount": "1.001"}, "opportunity.amount"},
		}
		for _, c := range bad {
			r := h.Must(h.Do("POST", "/api/v1/leads/"+lead+"/convert", s1, map[string]any{"opportunity": c.opp}), 422)
			found := false
			for _, e := range r.Body["errors"].([]any) {
				found = found || e.(map[string]any)["field"] == c.field
			}
			if !found {
				t.Fatalf("no error on %s: %s", c.field, r.Raw)
			}
		}
		if st := h.Must(h.Do("GET", "/api/v1/leads/"+lead, s1, nil), 200).Body["status"]; st != "new" {
			t.Fatalf("a refused conversion changed the lead: %v", st)
		}
		conv := h.Must(h.Do("POST", "/api/v1/leads/"+lead+"/convert", s1, map[string]any{"contact": map[string]any{"name": "王小明", "mobile": "13800138000"},
			"opportunity": map[string]any{"name": "星河科技 ERP 采购", "expectedCloseDate": "2026-12-31", "lines": []map[string]any{
				{"productId": products[0], "quantity": "2"}, {"productId": products[1], "quantity": "1.5", "unitPrice": "3333.33"}}}}), 201)
		oppID, custID, contactID := conv.Body["opportunityId"].(string), conv.Body["customerId"].(string), conv.Body["contactId"].(string)
		o := h.Must(h.Do("GET", "/api/v1/opportunities/"+oppID, s1, nil, "X-Chronicle-Min-Position", conv.Header.Get("X-Chronicle-Position")), 200)
		// 2 × 100.00 (the product's price) + 1.5 × 3333.33 = 5200.00 (4999.995 rounds half-up)
		if o.Body["customerId"] != custID || o.Body["ownerId"] != s1ID || o.Body["amount"] != "5200.00" || o.Body["stage"] != "qualify" ||
			len(o.Body["contactIds"].([]any)) != 1 || o.Body["contactIds"].([]any)[0] != contactID || o.Body["expectedCloseDate"] != "2026-12-31" {
			t.Fatalf("the conversion's opportunity: %s", o.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/leads/"+lead+"/convert", s1, map[string]any{}), 409), "invalid_transition")
	})
}
