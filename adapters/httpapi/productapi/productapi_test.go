package productapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

func fieldErr(t *testing.T, r apitest.Resp, field, code string) {
	t.Helper()
	errs, _ := r.Body["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		if m["field"] == field && (code == "" || m["code"] == code) {
			return
		}
	}
	t.Fatalf("no error on %s with code %q: %s", field, code, r.Raw)
}

func names(r apitest.Resp) []string {
	var out []string
	for _, it := range r.Body["items"].([]any) {
		out = append(out, it.(map[string]any)["name"].(string))
	}
	return out
}

// TestProducts: categories and products end to end on both engines: permissions, field errors
// with stable codes that write nothing, exact decimals, duplicate codes (also at once), If-Match,
// the subtree filter, Chinese substring search, on/off sale, delete (the code is free again),
// history, and deleting a category only when empty.
func TestProducts(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, sales := h.CreateUser(admin, "li.sales", "sales")

		cat := func(name, parent string) string {
			t.Helper()
			r := h.Must(h.Do("POST", "/api/v1/product-categories", admin, map[string]any{"name": name, "parentId": parent}), 201)
			var find func([]any) string
			find = func(cs []any) string {
				for _, c := range cs {
					m := c.(map[string]any)
					if m["name"] == name && m["parentId"] == parent {
						return m["id"].(string)
					}
					if id := find(m["children"].([]any)); id != "" {
						return id
					}
				}
				return ""
			}
			return find(r.Body["categories"].([]any))
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/product-categories", sales, map[string]any{"name": "硬件"}), 403), "forbidden")
		hw := cat("硬件", "")
		srv := cat("服务器", hw)
		sw := cat("软件", "")
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/product-categories", admin, map[string]any{"name": "服务器", "parentId": hw}), 409), "duplicate_category")
		fieldErr(t, h.Must(h.Do("PATCH", "/api/v1/product-categories/"+hw, admin, map[string]any{"parentId": srv}), 422), "parentId", "category_cycle")

		create := func(token string, body map[string]any, status int) apitest.Resp {
			t.Helper()
			return h.Must(h.Do("POST", "/api/v1/products", token, body), status)
		}
		apitest.WantCode(t, create(sales, map[string]any{"name": "x", "code": "x", "categoryId": srv}, 403), "forbidden")
		p1 := create(admin, map[string]any{"name": "机架式服务器", "code": "SRV-2U", "categoryId": srv, "unit": "台", "cost": "0.10",
			"price": "23999.5", "productionDate": "2025-01-15"}, 201)
		if p1.Body["cost"] != "0.10" || p1.Body["price"] != "23999.50" || p1.Body["unit"] != "unit" || p1.Body["categoryPath"] != "硬件/服务器" ||
			p1.Body["status"] != "on_sale" || p1.Header.Get("ETag") != `"1"` {
			t.Fatalf("created: %s", p1.Raw)
		}
		id1 := p1.Body["id"].(string)
		// Bad input: 4xx with the field and its code, nothing written.
		fieldErr(t, create(admin, map[string]any{"name": "a", "code": "A1", "categoryId": srv, "price": "1.005"}, 422), "price", "too_many_decimals")
		fieldErr(t, create(admin, map[string]any{"name": "a", "code": "A1", "categoryId": srv, "cost": "1e3"}, 422), "cost", "not_a_decimal")
		fieldErr(t, create(admin, map[string]any{"name": "a", "code": "A1", "categoryId": srv, "unit": "吨"}, 422), "unit", "unknown_unit")
		fieldErr(t, create(admin, map[string]any{"name": "a", "code": "A1", "categoryId": "0190a5c6-1b2c-7d3e-8f40-5a6b7c8d9e99"}, 422), "categoryId", "unknown_category")
		fieldErr(t, create(admin, map[string]any{"code": "A1", "categoryId": srv}, 422), "name", "")
		h.Must(h.Do("POST", "/api/v1/products", admin, map[string]any{"name": "a", "code": "A1", "categoryId": srv, "price": 12.5}), 400)
		apitest.WantCode(t, create(admin, map[string]any{"name": "另一台", "code": "srv-2u", "categoryId": srv}, 409), "duplicate_code")
		if l := h.Must(h.Do("GET", "/api/v1/products", sales, nil), 200); l.Body["total"] != float64(1) {
			t.Fatalf("refused creates wrote something: %s", l.Raw)
		}

		// Two creates with the same code at once: exactly one 201, the other 409 duplicate_code.
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := h.Do("POST", "/api/v1/products", admin, map[string]any{"name": fmt.Sprintf("交换机%d", i), "code": "SW-48", "categoryId": hw})
				statuses[i] = r.Status
				if r.Status == 409 && r.Body["code"] != "duplicate_code" {
					t.Errorf("concurrent create: %s", r.Raw)
				}
			}()
		}
		wg.Wait()
		if !(statuses[0] == 201 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 201) {
			t.Fatalf("concurrent creates with one code: %v", statuses)
		}
		create(admin, map[string]any{"name": "办公软件授权", "code": "OFF-1", "categoryId": sw, "unit": "license", "price": "0"}, 201)

		// Subtree filter, Chinese substring search, code prefix, status filter.
		sub := h.Must(h.Do("GET", "/api/v1/products?sort=name&categoryId="+hw, sales, nil), 200)
		if got := names(sub); len(got) != 2 || !strings.HasPrefix(got[0], "交换机") || got[1] != "机架式服务器" {
			t.Fatalf("subtree of 硬件: %v", got)
		}
		if got := names(h.Must(h.Do("GET", "/api/v1/products?categoryId="+srv, sales, nil), 200)); len(got) != 1 {
			t.Fatalf("subtree of 服务器: %v", got)
		}
		if got := names(h.Must(h.Do("GET", "/api/v1/products?q=服务", sales, nil), 200)); len(got) != 1 || got[0] != "机架式服务器" {
			t.Fatalf("q=服务: %v", got)
		}
		if got := names(h.Must(h.Do("GET", "/api/v1/products?q=off", sales, nil), 200)); len(got) != 1 || got[0] != "办公软件授权" {
			t.Fatalf("q=off: %v", got)
		}
		fieldErr(t, h.Must(h.Do("GET", "/api/v1/products?status=sold", sales, nil), 422), "status", "")

		// Edits: If-Match pins the version (412 when stale); decimals stay exact.
		stale := h.Must(h.Do("PATCH", "/api/v1/products/"+id1, admin, map[string]any{"price": "100"}, "If-Match", `"1"`), 200)
		if stale.Body["price"] != "100.00" || stale.Body["version"] != float64(2) {
			t.Fatalf("patched: %s", stale.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("PATCH", "/api/v1/products/"+id1, admin, map[string]any{"price": "1"}, "If-Match", `"1"`), 412), "version_conflict")
		fieldErr(t, h.Must(h.Do("PATCH", "/api/v1/products/"+id1, admin, map[string]any{"cost": "-1"}), 422), "cost", "negative_not_allowed")
		apitest.WantCode(t, h.Must(h.Do("PATCH", "/api/v1/products/"+id1, admin, map[string]any{"code": "sw-48"}), 409), "duplicate_code")
		moved := h.Must(h.Do("PATCH", "/api/v1/products/"+id1, admin, map[string]any{"categoryId": sw, "unit": "piece"}), 200)
		if moved.Body["categoryPath"] != "软件" || moved.Body["unit"] != "piece" || moved.Body["cost"] != "0.10" {
			t.Fatalf("moved: %s", moved.Raw)
		}
		off := h.Must(h.Do("POST", "/api/v1/products/"+id1+"/off-sale", admin, nil), 200)
		if off.Body["status"] != "off_sale" {
			t.Fatalf("off sale: %s", off.Raw)
		}
		if got := names(h.Must(h.Do("GET", "/api/v1/products?status=off_sale", sales, nil), 200)); len(got) != 1 {
			t.Fatalf("off_sale: %v", got)
		}

		// The tree counts products per category and subtree; a category is deleted only when empty.
		tree := h.Must(h.Do("GET", "/api/v1/product-categories", sales, nil), 200)
		if !strings.Contains(tree.Raw, `"name":"软件","parentId":"","path":"软件","productCount":2,"totalCount":2`) {
			t.Fatalf("tree: %s", tree.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("DELETE", "/api/v1/product-categories/"+hw, admin, nil), 409), "category_not_empty")
		apitest.WantCode(t, h.Must(h.Do("DELETE", "/api/v1/product-categories/"+sw, admin, nil), 409), "category_not_empty")
		h.Must(h.Do("DELETE", "/api/v1/product-categories/"+srv, admin, nil), 200) // its product moved away

		// Delete: gone from lists, the code is free again, the history stays.
		del := h.Must(h.Do("DELETE", "/api/v1/products/"+id1, admin, nil), 204)
		h.Must(h.Do("GET", "/api/v1/products/"+id1+"?minPosition="+del.Header.Get("X-Chronicle-Position"), sales, nil), 404)
		hist := h.Must(h.Do("GET", "/api/v1/products/"+id1+"/history", sales, nil), 200)
		if items := hist.Body["items"].([]any); len(items) != 5 || items[4].(map[string]any)["type"] != "product.deleted.v1" {
			t.Fatalf("history: %s", hist.Raw)
		}
		create(admin, map[string]any{"name": "新服务器", "code": "SRV-2U", "categoryId": sw}, 201)
	})
}
