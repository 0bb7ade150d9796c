package httpapi_test

import "testing"

func TestCustomerDuplicates(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		admin := h.login("admin", adminPassword)
		_, s1 := h.createUser(admin, "he.sales", "sales")
		_, s2 := h.createUser(admin, "lv.sales", "sales")
		orig := h.must(h.do("POST", "/api/v1/customers", s1, map[string]any{"name": "北京星河科技有限公司", "phone": "010-8888 6666",
			"email": "info@xinghe.cn"}), 201).body["id"].(string)

		// Another user enters the same company written differently: 409 listing the original,
		// without revealing more than its name when it is outside their scope.
		dup := h.must(h.do("POST", "/api/v1/customers", s2, map[string]any{"name": "北京星河科技（有限公司）"}), 409)
		if dup.body["code"] != "possible_duplicate" {
			t.Fatalf("duplicate: %s", dup.raw)
		}
		found := dup.body["duplicates"].([]any)[0].(map[string]any)
		if found["id"] != orig || found["score"].(float64) != 1 || found["visible"] != false || found["ownerId"] != nil {
			t.Fatalf("duplicate entry: %v", found)
		}
		// Same phone by digits, different name.
		ph := h.must(h.do("POST", "/api/v1/customers", s2, map[string]any{"name": "星河北京分部", "phone": "01088886666"}), 409)
		if ph.body["duplicates"].([]any)[0].(map[string]any)["reasons"].([]any)[0] != "same_phone" {
			t.Fatalf("phone duplicate: %s", ph.raw)
		}
		// Confirmed: saved anyway.
		h.must(h.do("POST", "/api/v1/customers", s2, map[string]any{"name": "北京星河科技（有限公司）", "confirmDuplicate": true}), 201)
		// The check endpoint.
		chk := h.must(h.do("GET", "/api/v1/duplicates?type=customer&name=北京星河科技&email=INFO@xinghe.cn", s1, nil), 200)
		if chk.body["total"].(float64) != 2 {
			t.Fatalf("duplicates check: %s", chk.raw)
		}
		first := chk.body["items"].([]any)[0].(map[string]any)
		if first["score"].(float64) != 1 {
			t.Fatalf("best duplicate: %v", first)
		}
		h.must(h.do("GET", "/api/v1/duplicates?type=lead&name=x", s1, nil), 422)
		// Unrelated names pass.
		h.must(h.do("POST", "/api/v1/customers", s1, map[string]any{"name": "深圳南山软件"}), 201)
	})
}
