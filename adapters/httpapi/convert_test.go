package httpapi_test

import (
	"testing"
)

func TestLeadConversion(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		admin := h.login("admin", adminPassword)
		s1ID, s1 := h.createUser(admin, "sun.sales", "sales")
		_, s2 := h.createUser(admin, "li.sales", "sales")
		lead := h.must(h.do("POST", "/api/v1/leads", s1, map[string]any{"name": "王小明", "company": "北京星河科技有限公司",
			"phone": "010-8888 6666", "source": "展会"}), 201).body["id"].(string)

		// A bad contact is refused before anything is written.
		h.must(h.do("POST", "/api/v1/leads/"+lead+"/convert", s1, map[string]any{"contact": map[string]any{"title": "采购经理"}}), 422)
		if st := h.must(h.do("GET", "/api/v1/leads/"+lead, s1, nil), 200).body["status"]; st != "new" {
			t.Fatalf("a refused conversion changed the lead: %v", st)
		}
		h.must(h.do("POST", "/api/v1/leads/"+lead+"/convert", s2, map[string]any{}), 404) // not s2's lead

		conv := h.must(h.do("POST", "/api/v1/leads/"+lead+"/convert", s1, map[string]any{"contact": map[string]any{
			"name": "王小明", "title": "采购经理", "mobile": "13800138000", "gender": "male"}}), 201)
		custID, contactID := conv.body["customerId"].(string), conv.body["contactId"].(string)
		pos := conv.header.Get("X-Chronicle-Position")

		c := h.must(h.do("GET", "/api/v1/customers/"+custID, s1, nil, "X-Chronicle-Min-Position", pos), 200)
		if c.body["name"] != "北京星河科技有限公司" || c.body["fromLeadId"] != lead || c.body["ownerId"] != s1ID {
			t.Fatalf("customer from lead: %s", c.raw)
		}
		if got := ids(h.must(h.do("GET", "/api/v1/customers?q=星河科技", s1, nil), 200)); len(got) != 1 || got[0] != custID {
			t.Fatalf("the converted customer is not found by 星河科技: %v", got)
		}
		contacts := h.must(h.do("GET", "/api/v1/contacts?customerId="+custID, s1, nil), 200)
		items := contacts.body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["id"] != contactID || items[0].(map[string]any)["primary"] != true {
			t.Fatalf("contacts: %s", contacts.raw)
		}
		h.must(h.do("GET", "/api/v1/contacts/"+contactID, s2, nil), 404)

		// Converting twice is refused; the lead shows it is converted.
		again := h.must(h.do("POST", "/api/v1/leads/"+lead+"/convert", s1, map[string]any{}), 409)
		if again.body["code"] != "invalid_transition" {
			t.Fatalf("second conversion: %s", again.raw)
		}
		if st := h.must(h.do("GET", "/api/v1/leads/"+lead, s1, nil, "X-Chronicle-Min-Position", pos), 200).body["status"]; st != "converted" {
			t.Fatalf("lead status after conversion: %v", st)
		}

		// The customer's history shows it came from the lead: its first event was caused by the conversion.
		leadHist := h.must(h.do("GET", "/api/v1/leads/"+lead+"/history", s1, nil, "X-Chronicle-Min-Position", pos), 200).body["items"].([]any)
		convEvent := leadHist[len(leadHist)-1].(map[string]any)
		if convEvent["type"] != "lead.converted.v1" {
			t.Fatalf("last lead event: %v", convEvent["type"])
		}
		custHist := h.must(h.do("GET", "/api/v1/customers/"+custID+"/history", s1, nil), 200).body["items"].([]any)
		first := custHist[0].(map[string]any)
		if first["type"] != "customer.created.v1" || first["metadata"].(map[string]any)["causationId"] != convEvent["metadata"].(map[string]any)["eventId"] {
			t.Fatalf("customer history does not point at the conversion: %v vs %v", first["metadata"], convEvent["metadata"])
		}

		// Contacts: add a second one and make it primary.
		second := h.must(h.do("POST", "/api/v1/contacts", s1, map[string]any{"customerId": custID, "name": "李娜", "email": "lina@xinghe.cn", "primary": true}), 201)
		if second.body["primary"] != true {
			t.Fatalf("second contact: %s", second.raw)
		}
		h.must(h.do("POST", "/api/v1/contacts", s2, map[string]any{"customerId": custID, "name": "外人"}), 422) // outside s2's scope reads as "no such customer"
		list := h.must(h.do("GET", "/api/v1/contacts?customerId="+custID, s1, nil, "X-Chronicle-Min-Position", second.header.Get("X-Chronicle-Position")), 200)
		primaries := 0
		for _, it := range list.body["items"].([]any) {
			if it.(map[string]any)["primary"] == true {
				primaries++
			}
		}
		if primaries != 1 || list.body["total"].(float64) != 2 {
			t.Fatalf("contacts after making the second primary: %s", list.raw)
		}
		h.must(h.do("PATCH", "/api/v1/contacts/"+contactID, s1, map[string]any{"title": "总经理"}), 200)
	})
}
