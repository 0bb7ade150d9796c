package customerapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/customerapi"
)

func TestCustomerDuplicates(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		north := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华北销售部"}), 201).Body["id"].(string)
		s1ID, s1 := h.CreateUser(admin, "he.sales", "sales", north)
		_, s2 := h.CreateUser(admin, "lv.sales", "sales")
		orig := h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "北京星河科技有限公司", "phone": "010-8888 6666",
			"email": "info@xinghe.cn"}), 201).Body["id"].(string)

		// Another user enters the same company written differently: 409 saying that it exists and
		// which department owns it; no id, no name, no owner.
		dup := h.Must(h.Do("POST", "/api/v1/customers", s2, map[string]any{"name": "北京星河科技（有限公司）"}), 409)
		if dup.Body["code"] != "possible_duplicate" {
			t.Fatalf("duplicate: %s", dup.Raw)
		}
		found := dup.Body["duplicates"].([]any)[0].(map[string]any)
		if found["kind"] != "customer" || found["match"] != "name" || found["exists"] != true || found["visible"] != false ||
			found["ownerDepartment"] != "华北销售部" || len(found) != 7 { // kind, match, reasons, score, exists, visible, ownerDepartment
			t.Fatalf("out-of-scope duplicate: %v", found)
		}
		for _, leak := range []string{orig, s1ID, "北京星河科技有限公司", "info@xinghe.cn", "用户he.sales"} {
			if strings.Contains(dup.Raw, leak) {
				t.Fatalf("the 409 reveals %q: %s", leak, dup.Raw)
			}
		}
		// Same phone by digits (with the country code), different name.
		ph := h.Must(h.Do("POST", "/api/v1/customers", s2, map[string]any{"name": "星河北京分部", "phone": "+86 010 88886666"}), 409)
		if d := ph.Body["duplicates"].([]any)[0].(map[string]any); d["match"] != "phone" || d["reasons"].([]any)[0] != "same_phone" || d["id"] != nil {
			t.Fatalf("phone duplicate: %s", ph.Raw)
		}
		// Confirmed: saved anyway.
		mine := h.Must(h.Do("POST", "/api/v1/customers", s2, map[string]any{"name": "北京星河科技（有限公司）", "confirmDuplicate": true}), 201).Body["id"].(string)
		// The check endpoint: the same normalised name or e-mail; in scope with id and name.
		chk := h.Must(h.Do("GET", "/api/v1/duplicates?type=customer&name=北京星河科技&email=INFO@xinghe.cn", s1, nil), 200)
		if chk.Body["total"].(float64) != 2 {
			t.Fatalf("duplicates check: %s", chk.Raw)
		}
		first := chk.Body["items"].([]any)[0].(map[string]any)
		if first["score"].(float64) != 1 || first["id"] != orig || first["name"] != "北京星河科技有限公司" || first["visible"] != true ||
			fmt.Sprint(first["reasons"]) != "[same_name same_email]" {
			t.Fatalf("best duplicate: %v", first)
		}
		// s2's copy has no department: outside s1's scope, it shows as existing, nothing else.
		if second := chk.Body["items"].([]any)[1].(map[string]any); second["id"] != nil || second["name"] != nil || second["ownerDepartment"] != nil {
			t.Fatalf("out-of-scope duplicate without a department: %v", second)
		}
		if strings.Contains(chk.Raw, mine) {
			t.Fatalf("the check reveals an id outside the scope: %s", chk.Raw)
		}
		// An administrator sees both.
		if got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/duplicates?name=北京星河科技", admin, nil), 200)); len(got) != 2 {
			t.Fatalf("administrator's check: %v", got)
		}
		// Substrings and short phone numbers match nothing: the check does not list customers.
		for _, q := range []string{"name=星河", "name=北京", "name=北京星河", "name=科技", "phone=8888", "phone=6666", "email=xinghe.cn", "name=%25"} {
			if r := h.Must(h.Do("GET", "/api/v1/duplicates?"+q, s2, nil), 200); r.Body["total"].(float64) != 0 {
				t.Errorf("%s: %s", q, r.Raw)
			}
		}
		h.Must(h.Do("GET", "/api/v1/duplicates?type=lead&name=x", s1, nil), 422)
		// Unrelated names pass.
		h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "深圳南山软件"}), 201)
	})
}

// The duplicate check is limited per user: over the limit, 429 rate_limited with Retry-After;
// another user is not affected.
func TestCustomerDuplicatesRateLimit(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, s1 := h.CreateUser(admin, "rate.one", "sales")
		_, s2 := h.CreateUser(admin, "rate.two", "sales")
		var limited apitest.Resp
		for i := range customerapi.DuplicatesPerMinute * 2 {
			r := h.Do("GET", fmt.Sprintf("/api/v1/duplicates?name=公司%d", i), s1, nil)
			if r.Status == 429 {
				limited = r
				break
			}
			h.Must(r, 200)
			if i >= customerapi.DuplicatesPerMinute+5 {
				t.Fatalf("%d checks within moments were allowed", i+1)
			}
		}
		if limited.Body["code"] != "rate_limited" || limited.Header.Get("Retry-After") == "" {
			t.Fatalf("no 429 rate_limited with Retry-After: %d %s", limited.Status, limited.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/duplicates?name=公司", s2, nil), 200)
	})
}

// Simultaneous creates of one company (written differently) without confirmDuplicate: the read
// model can not show any of them to the others yet, the name reservation lets exactly one in.
// Deleting it frees the name at once.
func TestCustomerNameRace(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		names := []string{"杭州西湖科技有限公司", "杭州西湖科技", "杭州 西湖科技（有限公司）", "杭州西湖科技 Co., Ltd."}
		const writers = 8
		results := make([]apitest.Resp, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": names[i%len(names)]})
			}()
		}
		wg.Wait()
		var winner string
		for _, r := range results {
			switch {
			case r.Status == 201 && winner == "":
				winner = r.Body["id"].(string)
			case r.Status == 201:
				t.Fatalf("two customers created for one name: %s and %s", winner, r.Body["id"])
			case r.Status != 409 || r.Body["code"] != "possible_duplicate":
				t.Fatalf("losing create: %d %s", r.Status, r.Raw)
			}
		}
		if winner == "" {
			t.Fatal("no create succeeded")
		}
		for _, r := range results {
			if r.Status == 409 && r.Body["duplicates"].([]any)[0].(map[string]any)["id"] != winner {
				t.Fatalf("the 409 does not name the winner %s: %s", winner, r.Raw)
			}
		}
		del := h.Must(h.Do("DELETE", "/api/v1/customers/"+winner, admin, nil), 204)
		again := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "杭州西湖科技"},
			"X-Chronicle-Min-Position", del.Header.Get("X-Chronicle-Position")), 201)
		if again.Body["id"] == winner {
			t.Fatal("the deleted customer came back")
		}
	})
}

func TestCustomerMerge(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		s1ID, s1 := h.CreateUser(admin, "ma.sales", "sales")
		keep := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "成都天府软件有限公司", "pool": true}), 201).Body["id"].(string)
		dup := h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "成都天府软件", "confirmDuplicate": true}), 201).Body["id"].(string)
		ct := h.Must(h.Do("POST", "/api/v1/contacts", s1, map[string]any{"customerId": dup, "name": "刘洋", "mobile": "13700001234"}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "customer:" + dup, "type": "call", "content": "确认需求"}), 201)

		h.Must(h.Do("POST", "/api/v1/customers/"+keep+"/merge", s1, map[string]any{"sourceId": dup}), 403) // sales may not merge into a pool customer
		h.Must(h.Do("POST", "/api/v1/customers/"+keep+"/merge", admin, map[string]any{"sourceId": keep}), 422)
		m := h.Must(h.Do("POST", "/api/v1/customers/"+keep+"/merge", admin, map[string]any{"sourceId": dup}), 200)
		if m.Body["ownerId"] != s1ID || m.Body["lastFollowUpAt"] == nil {
			t.Fatalf("the survivor did not take over owner and follow-up time: %s", m.Raw)
		}
		pos := m.Header.Get("X-Chronicle-Position")
		h.Must(h.Do("GET", "/api/v1/customers/"+dup, admin, nil, "X-Chronicle-Min-Position", pos), 404)
		contacts := h.Must(h.Do("GET", "/api/v1/contacts?customerId="+keep, s1, nil), 200).Body["items"].([]any)
		if len(contacts) != 1 || contacts[0].(map[string]any)["id"] != ct {
			t.Fatalf("contacts of the survivor: %v", contacts)
		}
		if n := h.Must(h.Do("GET", "/api/v1/followups?subject=customer:"+keep, s1, nil), 200).Body["total"].(float64); n != 1 {
			t.Fatalf("follow-ups of the survivor: %v", n)
		}
		// Both histories stay; repeating the merge changes nothing.
		hist := h.Must(h.Do("GET", "/api/v1/customers/"+dup+"/history", admin, nil), 200).Body["items"].([]any)
		if hist[len(hist)-1].(map[string]any)["type"] != "customer.merged.v1" {
			t.Fatalf("the duplicate's history does not end in the merge")
		}
		h.Must(h.Do("POST", "/api/v1/customers/"+keep+"/merge", admin, map[string]any{"sourceId": dup}), 200)
		kh := h.Must(h.Do("GET", "/api/v1/customers/"+keep+"/history", admin, nil), 200).Body["items"].([]any)
		absorbed := 0
		for _, it := range kh {
			if it.(map[string]any)["type"] == "customer.absorbed.v1" {
				absorbed++
			}
		}
		if absorbed != 1 {
			t.Fatalf("absorbed %d times", absorbed)
		}
	})
}

func TestCustomerCustomFields(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, s1 := h.CreateUser(admin, "gao.sales", "sales")
		h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerFields": []map[string]any{{"key": "Bad Key", "label": "x", "type": "text"}}}), 422)
		h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerFields": []map[string]any{{"key": "x", "label": "x", "type": "option"}}}), 422)
		st := h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerFields": []map[string]any{
			{"key": "wechat", "label": "微信号", "type": "text"},
			{"key": "employees", "label": "员工人数", "type": "number"},
			{"key": "founded", "label": "成立日期", "type": "date"},
			{"key": "region", "label": "大区", "type": "option", "options": []string{"华北", "华南"}, "required": true},
			{"key": "tags", "label": "标签", "type": "multi_option", "options": []string{"重点", "外贸", "制造"}},
		}}), 200)
		pos := st.Header.Get("X-Chronicle-Position")
		h.Must(h.Do("GET", "/api/v1/settings", admin, nil, "X-Chronicle-Min-Position", pos), 200)
		bad := []map[string]any{
			{"name": "甲公司"}, // region is required
			{"name": "甲公司", "custom": map[string]any{"region": "西北"}},
			{"name": "甲公司", "custom": map[string]any{"region": "华北", "employees": "很多"}},
			{"name": "甲公司", "custom": map[string]any{"region": "华北", "founded": "去年"}},
			{"name": "甲公司", "custom": map[string]any{"region": "华北", "tags": []string{"重点", "宇宙"}}},
			{"name": "甲公司", "custom": map[string]any{"region": "华北", "unknown": "x"}},
		}
		for _, b := range bad {
			if r := h.Do("POST", "/api/v1/customers", s1, b); r.Status != 422 {
				t.Fatalf("%v: %d %s", b, r.Status, r.Raw)
			}
		}
		c := h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "乙公司", "custom": map[string]any{
			"wechat": "yi_gongsi_2026", "employees": 120, "founded": "2015-06-01", "region": "华南", "tags": []string{"外贸", "制造"}}}), 201)
		id := c.Body["id"].(string)
		if c.Body["custom"].(map[string]any)["region"] != "华南" {
			t.Fatalf("custom values: %s", c.Raw)
		}
		// Searchable by text and option values.
		if got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/customers?q=yi_gongsi", s1, nil), 200)); len(got) != 1 || got[0] != id {
			t.Fatalf("search by a custom text value: %v", got)
		}
		// Patch one value, remove another; the rest stay.
		up := h.Must(h.Do("PATCH", "/api/v1/customers/"+id, s1, map[string]any{"custom": map[string]any{"employees": 150, "wechat": nil}}), 200)
		cv := up.Body["custom"].(map[string]any)
		if cv["employees"].(float64) != 150 || cv["wechat"] != nil || cv["region"] != "华南" {
			t.Fatalf("patched custom values: %v", cv)
		}
		h.Must(h.Do("PATCH", "/api/v1/customers/"+id, s1, map[string]any{"custom": map[string]any{"region": nil}}), 422) // required

		// Filters on custom fields, by type.
		other := h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "丙公司", "custom": map[string]any{
			"wechat": "Bing_2020", "employees": 30, "founded": "2020-03-15", "region": "华北", "tags": []string{"重点"}}}), 201)
		oid := other.Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "丁公司", "custom": map[string]any{"region": "华北"}}), 201)
		filters := map[string][]string{
			"custom.region=华南":                                            {id},
			"custom.region=华北&custom.region=华南":                           {id, oid, "丁"},
			"custom.tags=外贸":                                              {id},
			"custom.tags=外贸&custom.tags=制造":                               {id},
			"custom.tags=外贸&custom.tags=重点":                               {},
			"custom.employees.min=100":                                    {id},
			"custom.employees.max=100":                                    {oid},
			"custom.employees=150":                                        {id},
			"custom.employees.min=30&custom.employees.max=30":             {oid},
			"custom.founded.min=2010-01-01&custom.founded.max=2016-01-01": {id},
			"custom.founded=2020-03-15":                                   {oid},
			"custom.wechat=bing":                                          {oid},
			"custom.region=华北&custom.employees.max=100":                   {oid},
		}
		for query, want := range filters {
			got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/customers?sort=name&"+query, s1, nil), 200))
			if len(want) == 3 { // 丁 has no id variable: count only
				if len(got) != 3 {
					t.Errorf("%s: %d customers, want 3", query, len(got))
				}
				continue
			}
			if fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("%s: %v, want %v", query, got, want)
			}
		}
		for _, query := range []string{"custom.nope=1", "custom.employees=many", "custom.region.min=华北", "custom.founded=去年",
			"custom.region=西北", "custom.employees.median=3", "custom.tags=宇宙"} {
			if r := h.Do("GET", "/api/v1/customers?"+query, s1, nil); r.Status != 422 {
				t.Errorf("%s: %d %s, want 422", query, r.Status, r.Raw)
			}
		}
		csv := h.Must(h.Do("GET", "/api/v1/customers/export?format=csv&custom.region=华北&custom.employees.max=100", s1, nil), 200).Raw
		if !strings.Contains(csv, "丙公司") || strings.Contains(csv, "乙公司") || strings.Contains(csv, "丁公司") {
			t.Fatalf("export with custom filters:\n%s", csv)
		}
	})
}
