package httpapi_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// TestOwnerNamesInLists: leads, customers and contacts carry their owner's display name (none in
// the pool); a rename shows in every list once the projections have caught up; a rebuild of the
// projections gives identical rows; lists, details and exports agree.
func TestOwnerNamesInLists(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		s1, s1tok := h.CreateUser(admin, "owner1", "sales")
		mine := h.Must(h.Do("POST", "/api/v1/leads", s1tok, map[string]any{"name": "名字测试线索", "industry": "制造业"}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "公海线索", "pool": true, "industry": "制造业"}), 201)
		cust := h.Must(h.Do("POST", "/api/v1/customers", s1tok, map[string]any{"name": "名字测试有限公司"}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/contacts", s1tok, map[string]any{"customerId": cust, "name": "张联系"}), 201)
		poolCust := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "公海名字测试公司", "pool": true}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/contacts", admin, map[string]any{"customerId": poolCust, "name": "李公海"}), 201)

		// names returns, for each item of a list (read at the log's head), its name and owner name
		// ("-" when the item has no ownerName field at all).
		names := func(path string) map[string]string {
			t.Helper()
			r := h.Must(h.Do("GET", path, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
			out := map[string]string{}
			for _, it := range r.Body["items"].([]any) {
				m := it.(map[string]any)
				n, ok := m["ownerName"].(string)
				if !ok {
					n = "-"
				}
				out[m["name"].(string)] = n
			}
			return out
		}
		check := func(owner string) {
			t.Helper()
			if got := names("/api/v1/leads?sort=name"); got["名字测试线索"] != owner || got["公海线索"] != "-" {
				t.Fatalf("lead owner names %v, want %q and none for the pool", got, owner)
			}
			if got := names("/api/v1/customers?sort=name"); got["名字测试有限公司"] != owner || got["公海名字测试公司"] != "-" {
				t.Fatalf("customer owner names %v, want %q and none for the pool", got, owner)
			}
			if got := names("/api/v1/contacts"); got["张联系"] != owner || got["李公海"] != "-" {
				t.Fatalf("contact owner names %v, want %q and none for the pool", got, owner)
			}
			cs := h.Must(h.Do("GET", "/api/v1/contacts?customerId="+cust, admin, nil), 200).Body["items"].([]any)
			if len(cs) != 1 || cs[0].(map[string]any)["customerName"] != "名字测试有限公司" {
				t.Fatalf("contacts of %s: %v", cust, cs)
			}
			lead := h.Must(h.Do("GET", "/api/v1/leads/"+mine, admin, nil), 200)
			if lead.Body["ownerName"] != owner || lead.Body["ownerId"] != s1 {
				t.Fatalf("lead detail owner %v %v, want %s %s", lead.Body["ownerId"], lead.Body["ownerName"], s1, owner)
			}
		}
		check("用户owner1")

		// A rename reaches every row of that owner.
		h.Must(h.Do("PATCH", "/api/v1/users/"+s1, admin, map[string]any{"displayName": "王改名"}), 200)
		check("王改名")

		// A customer handed to another user takes that user's name, and so do its contacts.
		s2, _ := h.CreateUser(admin, "owner2", "sales")
		h.Must(h.Do("POST", "/api/v1/customers/"+cust+"/assign", admin, map[string]any{"ownerId": s2}), 200)
		if got := names("/api/v1/contacts"); got["张联系"] != "用户owner2" {
			t.Fatalf("contact of a reassigned customer shows owner %q", got["张联系"])
		}
		h.Must(h.Do("POST", "/api/v1/customers/"+cust+"/assign", admin, map[string]any{"ownerId": s1}), 200)

		// Exports carry the name.
		exp := h.Must(h.Do("GET", "/api/v1/leads/export?format=csv&industry=manufacturing", admin, nil), 200).Raw
		if !strings.Contains(exp, "王改名") {
			t.Fatalf("the lead export lacks the owner's name:\n%s", exp)
		}
		exp = h.Must(h.Do("GET", "/api/v1/contacts/export?format=csv", admin, nil), 200).Raw
		if !strings.Contains(exp, "负责人") || !strings.Contains(exp, "王改名") {
			t.Fatalf("the contact export lacks the owner column:\n%s", exp)
		}

		// A rebuild replays the rename in log order: the same rows.
		lists := []string{"/api/v1/leads?sort=name", "/api/v1/customers?sort=name", "/api/v1/contacts"}
		before := map[string]string{}
		for _, p := range lists {
			before[p] = h.Must(h.Do("GET", p, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200).Raw
		}
		for _, proj := range []string{"leads", "customers"} {
			gen := int(h.Must(h.Do("POST", "/api/v1/projections/"+proj+"/rebuild", admin, nil), 202).Body["generation"].(float64))
			deadline := time.Now().Add(20 * time.Second)
			for h.App.DB.Gens.Active(proj) != gen {
				if time.Now().After(deadline) {
					t.Fatalf("rebuild of %s did not switch", proj)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		for _, p := range lists {
			if after := h.Must(h.Do("GET", p, admin, nil), 200).Raw; after != before[p] {
				t.Fatalf("%s changed across a rebuild:\nbefore %s\nafter  %s", p, before[p], after)
			}
		}
		check("王改名")
	})
}

// TestLeadIndustryFilter: ?industry= keeps the leads of that industry code (inside the scope) on
// the list and the export (the leads were entered with labels: they hold codes); a branch's leads
// are not its sector's; a value longer than any industry is a 422 naming the parameter.
func TestLeadIndustryFilter(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, s1 := h.CreateUser(admin, "ind1", "sales")
		_, s2 := h.CreateUser(admin, "ind2", "sales")
		h.Must(h.Do("POST", "/api/v1/leads", s1, map[string]any{"name": "甲", "industry": "制造业", "source": "展会"}), 201)
		h.Must(h.Do("POST", "/api/v1/leads", s1, map[string]any{"name": "乙", "industry": "制造业", "source": "官网咨询"}), 201)
		h.Must(h.Do("POST", "/api/v1/leads", s1, map[string]any{"name": "丙", "industry": "金融"}), 201)
		h.Must(h.Do("POST", "/api/v1/leads", s2, map[string]any{"name": "丁", "industry": "制造业"}), 201)
		h.Must(h.Do("POST", "/api/v1/leads", s1, map[string]any{"name": "戊", "industry": "manufacturing.machinery"}), 201)
		list := func(tok, query string) []string {
			t.Helper()
			r := h.Must(h.Do("GET", "/api/v1/leads?sort=name&"+query, tok, nil, "X-Chronicle-Min-Position", h.Head()), 200)
			var out []string
			for _, it := range r.Body["items"].([]any) {
				out = append(out, it.(map[string]any)["name"].(string))
			}
			return out
		}
		ind := "industry=manufacturing"
		if got := sorted(list(admin, ind)); strings.Join(got, ",") != strings.Join(sorted([]string{"甲", "乙", "丁"}), ",") {
			t.Fatalf("admin, industry 制造业: %v", got)
		}
		if got := list(s1, ind); len(got) != 2 {
			t.Fatalf("s1, industry 制造业: %v (only s1's own two)", got)
		}
		if got := list(s1, ind+"&source=web"); len(got) != 1 || got[0] != "乙" {
			t.Fatalf("s1, industry and source: %v", got)
		}
		if got := list(s1, "industry=finance"); len(got) != 1 || got[0] != "丙" {
			t.Fatalf("s1, industry 金融: %v", got)
		}
		exp := h.Must(h.Do("GET", "/api/v1/leads/export?format=csv&"+ind, s1, nil), 200).Raw
		if !strings.Contains(exp, "甲") || !strings.Contains(exp, "乙") || strings.Contains(exp, "丙") || strings.Contains(exp, "丁") || strings.Contains(exp, "戊") {
			t.Fatalf("export with industry 制造业:\n%s", exp)
		}

		long := strings.Repeat("业", 101)
		for _, path := range []string{"/api/v1/leads?industry=", "/api/v1/leads/export?format=csv&industry="} {
			bad := h.Do("GET", path+url.QueryEscape(long)+"&source="+url.QueryEscape(long), s1, nil)
			h.Must(bad, 422)
			apitest.WantCode(t, bad, "validation_failed")
			if !strings.Contains(bad.Raw, `"industry"`) || !strings.Contains(bad.Raw, `"source"`) {
				t.Fatalf("422 does not name both parameters: %s", bad.Raw)
			}
		}
	})
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestContactSnapshot: GET /contacts/{id}/snapshot?asOf= is the contact as it was then, for those
// who see its customer now; others get 404.
func TestContactSnapshot(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, s1 := h.CreateUser(admin, "snap1", "sales")
		_, s2 := h.CreateUser(admin, "snap2", "sales")
		cust := h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "快照测试公司"}), 201).Body["id"].(string)
		c := h.Must(h.Do("POST", "/api/v1/contacts", s1, map[string]any{"customerId": cust, "name": "旧名字", "title": "经理"}), 201)
		id := c.Body["id"].(string)
		time.Sleep(20 * time.Millisecond)
		between := time.Now().UTC().Format(time.RFC3339Nano)
		time.Sleep(20 * time.Millisecond)
		h.Must(h.Do("PATCH", "/api/v1/contacts/"+id, s1, map[string]any{"name": "新名字"}, "If-Match", `"1"`), 200)

		snap := h.Must(h.Do("GET", "/api/v1/contacts/"+id+"/snapshot?asOf="+url.QueryEscape(between), s1, nil), 200)
		if snap.Body["name"] != "旧名字" || snap.Body["title"] != "经理" || snap.Body["version"] != float64(1) || snap.Body["customerId"] != cust {
			t.Fatalf("snapshot before the change: %s", snap.Raw)
		}
		now := h.Must(h.Do("GET", "/api/v1/contacts/"+id+"/snapshot?asOf="+url.QueryEscape(time.Now().UTC().Add(time.Second).Format(time.RFC3339)), s1, nil), 200)
		if now.Body["name"] != "新名字" || now.Body["version"] != float64(2) {
			t.Fatalf("snapshot now: %s", now.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/contacts/"+id+"/snapshot?asOf="+url.QueryEscape(between), s2, nil), 404)
		h.Must(h.Do("GET", "/api/v1/contacts/"+id+"/snapshot?asOf=2000-01-01T00:00:00Z", s1, nil), 404)
		bad := h.Must(h.Do("GET", "/api/v1/contacts/"+id+"/snapshot?asOf=yesterday", s1, nil), 422)
		apitest.WantCode(t, bad, "validation_failed")
		h.Must(h.Do("GET", "/api/v1/contacts/"+id+"/snapshot", s1, nil), 422)
	})
}
