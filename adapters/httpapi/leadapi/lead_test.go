package leadapi_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// TestLeadScenario walks what a new user does after reading the README, on both engines.
func TestLeadScenario(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		h.Must(h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "wrong-password"}), 401)
		h.Must(h.Do("GET", "/api/v1/leads", "", nil), 401)
		h.Must(h.Do("GET", "/api/v1/leads", "not-a-token", nil), 401)
		admin := h.Login("admin", apitest.AdminPassword)
		sales := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售部"}), 201).Body["id"].(string)
		north := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华北区", "parentId": sales}), 201).Body["id"].(string)
		south := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华南区", "parentId": sales}), 201).Body["id"].(string)
		mgrID, mgr := h.CreateUser(admin, "li.manager", "manager", sales)
		s1ID, s1 := h.CreateUser(admin, "zhang.sales", "sales", north, mgrID)
		s2ID, s2 := h.CreateUser(admin, "wang.sales", "sales", south, mgrID)
		h.Must(h.Do("POST", "/api/v1/users", s1, map[string]any{"username": "x", "password": "Whatever-colour-2026", "role": "sales"}), 403)
		h.Must(h.Do("POST", "/api/v1/users", admin, map[string]any{"username": "zhang.sales", "password": "Whatever-colour-2026", "role": "sales"}), 409)

		a := h.Must(h.Do("POST", "/api/v1/leads", s1, map[string]any{"name": "王小明", "company": "北京星河科技有限公司", "phone": "010-8888 6666", "source": "展会"}), 201)
		aID := a.Body["id"].(string)
		if a.Body["ownerId"] != s1ID || a.Header.Get("X-Chronicle-Position") == "" || a.Body["version"].(float64) != 1 {
			t.Fatalf("create response: %s headers %v", a.Raw, a.Header)
		}
		p := h.Must(h.Do("POST", "/api/v1/leads", s1, map[string]any{"name": "赵六", "company": "星河国际贸易", "pool": true}), 201)
		pID := p.Body["id"].(string)
		if p.Body["inPool"] != true || p.Body["ownerId"] != nil {
			t.Fatalf("pool lead: %s", p.Raw)
		}
		b := h.Must(h.Do("POST", "/api/v1/leads", s2, map[string]any{"name": "李四", "company": "深圳星河电子有限公司"}), 201)
		bID := b.Body["id"].(string)

		// Chinese substring search, scoped: s1 sees own + pool, the manager sees everything.
		got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/leads?q="+"星河&sort=createdAt", s1, nil), 200))
		if !reflect.DeepEqual(got, []string{aID, pID}) {
			t.Fatalf("s1 search 星河 = %v, want %v", got, []string{aID, pID})
		}
		all := h.Must(h.Do("GET", "/api/v1/leads?q=星河", mgr, nil), 200)
		if all.Body["total"].(float64) != 3 {
			t.Fatalf("manager search total = %v", all.Body["total"])
		}
		if got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/leads?q=北京星河科技", mgr, nil), 200)); !reflect.DeepEqual(got, []string{aID}) {
			t.Fatalf("search 北京星河科技 = %v", got)
		}
		if got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/leads?q=88886666", mgr, nil), 200)); !reflect.DeepEqual(got, []string{aID}) {
			t.Fatalf("search by phone digits = %v", got)
		}
		if got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/leads?pool=true", s2, nil), 200)); !reflect.DeepEqual(got, []string{pID}) {
			t.Fatalf("pool = %v", got)
		}
		h.Must(h.Do("GET", "/api/v1/leads/"+bID, s1, nil), 404)
		h.Must(h.Do("PATCH", "/api/v1/leads/"+bID, s1, map[string]any{"remark": "x"}), 404)
		h.Must(h.Do("POST", "/api/v1/leads/"+aID+"/assign", s1, map[string]any{"ownerId": s2ID}), 403)

		// Optimistic concurrency.
		stale := h.Must(h.Do("PATCH", "/api/v1/leads/"+aID, s1, map[string]any{"phone": "010-6666 8888"}, "If-Match", "7"), 412)
		if stale.Body["code"] != "version_conflict" || stale.Body["currentVersion"].(float64) != 1 {
			t.Fatalf("412 body: %s", stale.Raw)
		}
		before := time.Now().UTC()
		time.Sleep(20 * time.Millisecond)
		up := h.Must(h.Do("PATCH", "/api/v1/leads/"+aID, s1, map[string]any{"phone": "010-6666 8888", "status": "following"}, "If-Match", "1"), 200)
		if up.Body["phone"] != "010-6666 8888" || up.Body["version"].(float64) != 2 || up.Body["status"] != "following" {
			t.Fatalf("update: %s", up.Raw)
		}
		asOf := h.Must(h.Do("GET", "/api/v1/leads/"+aID+"/snapshot?asOf="+before.Format(time.RFC3339Nano), s1, nil), 200)
		if asOf.Body["phone"] != "010-8888 6666" || asOf.Body["version"].(float64) != 1 {
			t.Fatalf("asOf: %s", asOf.Raw)
		}
		// The record read answers the record only: a client still sending asOf there learns where
		// it went instead of silently getting the current lead.
		moved := h.Must(h.Do("GET", "/api/v1/leads/"+aID+"?asOf="+before.Format(time.RFC3339Nano), s1, nil), 422)
		apitest.WantCode(t, moved, "validation_failed")
		if !strings.Contains(moved.Raw, "/snapshot?asOf=") {
			t.Fatalf("the refused asOf does not name the snapshot endpoint: %s", moved.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/leads/"+aID+"/snapshot", s1, nil), 422), "validation_failed")

		// Release and claim.
		h.Must(h.Do("POST", "/api/v1/leads/"+aID+"/release", s1, map[string]any{"reason": ""}), 422)
		rel := h.Must(h.Do("POST", "/api/v1/leads/"+aID+"/release", s1, map[string]any{"reason": "客户暂无预算"}), 200)
		if rel.Body["inPool"] != true {
			t.Fatalf("release: %s", rel.Raw)
		}
		cl := h.Must(h.Do("POST", "/api/v1/leads/"+aID+"/claim", s2, nil), 200)
		if cl.Body["ownerId"] != s2ID {
			t.Fatalf("claim: %s", cl.Raw)
		}
		h.Must(h.Do("POST", "/api/v1/leads/"+aID+"/claim", s1, nil), 409) // now s2's: no longer in the pool

		// Two users claim the same pool lead at once: exactly one wins, the other gets 409.
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, tok := range []string{s1, s2} {
			wg.Add(1)
			go func() { defer wg.Done(); codes[i] = h.Do("POST", "/api/v1/leads/"+pID+"/claim", tok, nil).Status }()
		}
		wg.Wait()
		if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
			t.Fatalf("concurrent claims answered %v, want one 200 and one 409", codes)
		}

		// History: actor and field-level changes, oldest first.
		hist := h.Must(h.Do("GET", "/api/v1/leads/"+aID+"/history", mgr, nil), 200)
		items := hist.Body["items"].([]any)
		var types []string
		for _, it := range items {
			types = append(types, it.(map[string]any)["type"].(string))
		}
		if want := []string{"lead.created.v1", "lead.updated.v1", "lead.released.v1", "lead.claimed.v1"}; !reflect.DeepEqual(types, want) {
			t.Fatalf("history types = %v, want %v", types, want)
		}
		upd := items[1].(map[string]any)
		if upd["actor"].(map[string]any)["id"] != s1ID || upd["actor"].(map[string]any)["name"] != "用户zhang.sales" {
			t.Fatalf("history actor: %v", upd["actor"])
		}
		changes, _ := json.Marshal(upd["changes"])
		if !strings.Contains(string(changes), `{"field":"phone","from":"010-8888 6666","to":"010-6666 8888"}`) ||
			!strings.Contains(string(changes), `{"field":"status","from":"new","to":"following"}`) {
			t.Fatalf("history changes: %s", changes)
		}

		// Operation log: admins only, filterable by actor and type.
		h.Must(h.Do("GET", "/api/v1/audit/events", s1, nil), 403)
		audit := h.Must(h.Do("GET", "/api/v1/audit/events?actor="+s1ID+"&type=lead.", admin, nil, "X-Chronicle-Min-Position", cl.Header.Get("X-Chronicle-Position")), 200)
		var auditTypes []string
		for _, it := range audit.Body["items"].([]any) {
			auditTypes = append(auditTypes, it.(map[string]any)["type"].(string))
		}
		if want := []string{"lead.created.v1", "lead.created.v1", "lead.updated.v1", "lead.released.v1"}; !reflect.DeepEqual(auditTypes[:4], want) {
			t.Fatalf("audit types for s1 = %v", auditTypes)
		}
		userAudit := h.Must(h.Do("GET", "/api/v1/audit/events?type=user.created.v1", admin, nil), 200)
		if strings.Contains(userAudit.Raw, "argon2id") {
			t.Fatal("the operation log shows a password hash")
		}

		// Rebuild: the search results do not change.
		beforeRebuild := h.Must(h.Do("GET", "/api/v1/leads?q=星河&sort=name", mgr, nil), 200).Raw
		h.Must(h.Do("POST", "/api/v1/projections/leads/rebuild", mgr, nil), 403)
		rb := h.Must(h.Do("POST", "/api/v1/projections/leads/rebuild", admin, nil), 202)
		gen := int(rb.Body["generation"].(float64))
		deadline := time.Now().Add(15 * time.Second)
		for h.App.DB.Gens.Active("leads") != gen {
			if time.Now().After(deadline) {
				t.Fatalf("rebuild did not switch: %s", h.Do("GET", "/api/v1/projections", admin, nil).Raw)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if after := h.Must(h.Do("GET", "/api/v1/leads?q=星河&sort=name", mgr, nil), 200).Raw; after != beforeRebuild {
			t.Fatalf("search changed across a rebuild:\nbefore %s\nafter  %s", beforeRebuild, after)
		}

		// Delete: gone from reads, history stays.
		h.Must(h.Do("DELETE", "/api/v1/leads/"+bID, s1, nil), 404)
		del := h.Must(h.Do("DELETE", "/api/v1/leads/"+bID, s2, nil), 204)
		h.Must(h.Do("GET", "/api/v1/leads/"+bID, s2, nil, "X-Chronicle-Min-Position", del.Header.Get("X-Chronicle-Position")), 404)
		h.Must(h.Do("PATCH", "/api/v1/leads/"+bID, mgr, map[string]any{"remark": "x"}), 404)
		if n := len(h.Must(h.Do("GET", "/api/v1/leads/"+bID+"/history", mgr, nil), 200).Body["items"].([]any)); n != 2 {
			t.Fatalf("history of a deleted lead has %d events, want 2", n)
		}

		// Read-your-writes that cannot be met answers 503 with Retry-After.
		late := h.Must(h.Do("GET", "/api/v1/leads", mgr, nil, "X-Chronicle-Min-Position", "999999999"), 503)
		if late.Header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
		metrics := h.Do("GET", "/metrics", "", nil).Raw
		for _, want := range []string{`chronicle_commands_total{command="lead.claim",outcome="not_in_pool"} 2`, `chronicle_projection_position{generation="1",projection="audit"`, "chronicle_command_duration_seconds_bucket"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}
