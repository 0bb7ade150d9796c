package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/commands"
)

const adminPassword = "Adm1n-passw0rd!"

type harness struct {
	t   *testing.T
	srv *httptest.Server
	app *app.App
}

func newHarness(t *testing.T, engine string, clock ...commands.Clock) *harness {
	t.Helper()
	cfg := app.Config{DataDir: t.TempDir(), EventStore: engine, ReadModels: engine, AdminPassword: adminPassword, ReadWait: 2 * time.Second}
	if len(clock) > 0 {
		cfg.Clock = clock[0]
	}
	if engine == "postgres" {
		cfg.PostgresURL = pgtest.URL(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.EnsureAdmin(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Engine.Run(ctx) }()
	<-a.Engine.Running()
	srv := httptest.NewServer(a.API)
	t.Cleanup(func() { srv.Close(); cancel(); <-done; a.Close() })
	return &harness{t: t, srv: srv, app: a}
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (h *harness) do(method, path, token string, body any, headers ...string) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (h *harness) must(r resp, status int) resp {
	h.t.Helper()
	if r.status != status {
		h.t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

func (h *harness) login(user, pw string) string {
	h.t.Helper()
	r := h.must(h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": pw}), 200)
	return r.body["token"].(string)
}

func (h *harness) createUser(admin, username, role string, placement ...string) (id, token string) {
	h.t.Helper()
	body := map[string]any{"username": username, "password": "Secret-" + username + "-2026", "displayName": "用户" + username, "role": role}
	if len(placement) > 0 {
		body["departmentId"] = placement[0]
	}
	if len(placement) > 1 {
		body["superiorId"] = placement[1]
	}
	r := h.must(h.do("POST", "/api/v1/users", admin, body), 201)
	return r.body["id"].(string), h.login(username, "Secret-"+username+"-2026")
}

func ids(r resp) []string {
	var out []string
	for _, it := range r.body["items"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func engines(t *testing.T, f func(t *testing.T, h *harness)) {
	for _, e := range []string{"sqlite", "postgres"} {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			f(t, newHarness(t, e))
		})
	}
}

// TestLeadScenario walks what a new user does after reading the README, on both engines.
func TestLeadScenario(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		h.must(h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "wrong-password"}), 401)
		h.must(h.do("GET", "/api/v1/leads", "", nil), 401)
		h.must(h.do("GET", "/api/v1/leads", "not-a-token", nil), 401)
		admin := h.login("admin", adminPassword)
		sales := h.must(h.do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售部"}), 201).body["id"].(string)
		north := h.must(h.do("POST", "/api/v1/departments", admin, map[string]any{"name": "华北区", "parentId": sales}), 201).body["id"].(string)
		south := h.must(h.do("POST", "/api/v1/departments", admin, map[string]any{"name": "华南区", "parentId": sales}), 201).body["id"].(string)
		mgrID, mgr := h.createUser(admin, "li.manager", "manager", sales)
		s1ID, s1 := h.createUser(admin, "zhang.sales", "sales", north, mgrID)
		s2ID, s2 := h.createUser(admin, "wang.sales", "sales", south, mgrID)
		h.must(h.do("POST", "/api/v1/users", s1, map[string]any{"username": "x", "password": "Whatever-2026", "role": "sales"}), 403)
		h.must(h.do("POST", "/api/v1/users", admin, map[string]any{"username": "zhang.sales", "password": "Whatever-2026", "role": "sales"}), 409)

		a := h.must(h.do("POST", "/api/v1/leads", s1, map[string]any{"name": "王小明", "company": "北京星河科技有限公司", "phone": "010-8888 6666", "source": "展会"}), 201)
		aID := a.body["id"].(string)
		if a.body["ownerId"] != s1ID || a.header.Get("X-Chronicle-Position") == "" || a.body["version"].(float64) != 1 {
			t.Fatalf("create response: %s headers %v", a.raw, a.header)
		}
		p := h.must(h.do("POST", "/api/v1/leads", s1, map[string]any{"name": "赵六", "company": "星河国际贸易", "pool": true}), 201)
		pID := p.body["id"].(string)
		if p.body["inPool"] != true || p.body["ownerId"] != nil {
			t.Fatalf("pool lead: %s", p.raw)
		}
		b := h.must(h.do("POST", "/api/v1/leads", s2, map[string]any{"name": "李四", "company": "深圳星河电子有限公司"}), 201)
		bID := b.body["id"].(string)

		// Chinese substring search, scoped: s1 sees own + pool, the manager sees everything.
		got := ids(h.must(h.do("GET", "/api/v1/leads?q="+"星河&sort=createdAt", s1, nil), 200))
		if !reflect.DeepEqual(got, []string{aID, pID}) {
			t.Fatalf("s1 search 星河 = %v, want %v", got, []string{aID, pID})
		}
		all := h.must(h.do("GET", "/api/v1/leads?q=星河", mgr, nil), 200)
		if all.body["total"].(float64) != 3 {
			t.Fatalf("manager search total = %v", all.body["total"])
		}
		if got := ids(h.must(h.do("GET", "/api/v1/leads?q=北京星河科技", mgr, nil), 200)); !reflect.DeepEqual(got, []string{aID}) {
			t.Fatalf("search 北京星河科技 = %v", got)
		}
		if got := ids(h.must(h.do("GET", "/api/v1/leads?q=88886666", mgr, nil), 200)); !reflect.DeepEqual(got, []string{aID}) {
			t.Fatalf("search by phone digits = %v", got)
		}
		if got := ids(h.must(h.do("GET", "/api/v1/leads?pool=true", s2, nil), 200)); !reflect.DeepEqual(got, []string{pID}) {
			t.Fatalf("pool = %v", got)
		}
		h.must(h.do("GET", "/api/v1/leads/"+bID, s1, nil), 404)
		h.must(h.do("PATCH", "/api/v1/leads/"+bID, s1, map[string]any{"remark": "x"}), 404)
		h.must(h.do("POST", "/api/v1/leads/"+aID+"/assign", s1, map[string]any{"ownerId": s2ID}), 403)

		// Optimistic concurrency.
		stale := h.must(h.do("PATCH", "/api/v1/leads/"+aID, s1, map[string]any{"phone": "010-6666 8888"}, "If-Match", "7"), 412)
		if stale.body["code"] != "version_conflict" || stale.body["currentVersion"].(float64) != 1 {
			t.Fatalf("412 body: %s", stale.raw)
		}
		before := time.Now().UTC()
		time.Sleep(20 * time.Millisecond)
		up := h.must(h.do("PATCH", "/api/v1/leads/"+aID, s1, map[string]any{"phone": "010-6666 8888", "status": "following"}, "If-Match", "1"), 200)
		if up.body["phone"] != "010-6666 8888" || up.body["version"].(float64) != 2 || up.body["status"] != "following" {
			t.Fatalf("update: %s", up.raw)
		}
		asOf := h.must(h.do("GET", "/api/v1/leads/"+aID+"?asOf="+before.Format(time.RFC3339Nano), s1, nil), 200)
		if asOf.body["phone"] != "010-8888 6666" || asOf.body["version"].(float64) != 1 {
			t.Fatalf("asOf: %s", asOf.raw)
		}

		// Release and claim.
		h.must(h.do("POST", "/api/v1/leads/"+aID+"/release", s1, map[string]any{"reason": ""}), 422)
		rel := h.must(h.do("POST", "/api/v1/leads/"+aID+"/release", s1, map[string]any{"reason": "客户暂无预算"}), 200)
		if rel.body["inPool"] != true {
			t.Fatalf("release: %s", rel.raw)
		}
		cl := h.must(h.do("POST", "/api/v1/leads/"+aID+"/claim", s2, nil), 200)
		if cl.body["ownerId"] != s2ID {
			t.Fatalf("claim: %s", cl.raw)
		}
		h.must(h.do("POST", "/api/v1/leads/"+aID+"/claim", s1, nil), 409) // now s2's: no longer in the pool

		// Two users claim the same pool lead at once: exactly one wins, the other gets 409.
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, tok := range []string{s1, s2} {
			wg.Add(1)
			go func() { defer wg.Done(); codes[i] = h.do("POST", "/api/v1/leads/"+pID+"/claim", tok, nil).status }()
		}
		wg.Wait()
		if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
			t.Fatalf("concurrent claims answered %v, want one 200 and one 409", codes)
		}

		// History: actor and field-level changes, oldest first.
		hist := h.must(h.do("GET", "/api/v1/leads/"+aID+"/history", mgr, nil), 200)
		items := hist.body["items"].([]any)
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
		h.must(h.do("GET", "/api/v1/audit/events", s1, nil), 403)
		audit := h.must(h.do("GET", "/api/v1/audit/events?actor="+s1ID+"&type=lead.", admin, nil, "X-Chronicle-Min-Position", cl.header.Get("X-Chronicle-Position")), 200)
		var auditTypes []string
		for _, it := range audit.body["items"].([]any) {
			auditTypes = append(auditTypes, it.(map[string]any)["type"].(string))
		}
		if want := []string{"lead.created.v1", "lead.created.v1", "lead.updated.v1", "lead.released.v1"}; !reflect.DeepEqual(auditTypes[:4], want) {
			t.Fatalf("audit types for s1 = %v", auditTypes)
		}
		userAudit := h.must(h.do("GET", "/api/v1/audit/events?type=user.created.v1", admin, nil), 200)
		if strings.Contains(userAudit.raw, "argon2id") {
			t.Fatal("the operation log shows a password hash")
		}

		// Rebuild: the search results do not change.
		beforeRebuild := h.must(h.do("GET", "/api/v1/leads?q=星河&sort=name", mgr, nil), 200).raw
		h.must(h.do("POST", "/api/v1/projections/leads/rebuild", mgr, nil), 403)
		rb := h.must(h.do("POST", "/api/v1/projections/leads/rebuild", admin, nil), 202)
		gen := int(rb.body["generation"].(float64))
		deadline := time.Now().Add(15 * time.Second)
		for h.app.DB.Gens.Active("leads") != gen {
			if time.Now().After(deadline) {
				t.Fatalf("rebuild did not switch: %s", h.do("GET", "/api/v1/projections", admin, nil).raw)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if after := h.must(h.do("GET", "/api/v1/leads?q=星河&sort=name", mgr, nil), 200).raw; after != beforeRebuild {
			t.Fatalf("search changed across a rebuild:\nbefore %s\nafter  %s", beforeRebuild, after)
		}

		// Delete: gone from reads, history stays.
		h.must(h.do("DELETE", "/api/v1/leads/"+bID, s1, nil), 404)
		del := h.must(h.do("DELETE", "/api/v1/leads/"+bID, s2, nil), 204)
		h.must(h.do("GET", "/api/v1/leads/"+bID, s2, nil, "X-Chronicle-Min-Position", del.header.Get("X-Chronicle-Position")), 404)
		h.must(h.do("PATCH", "/api/v1/leads/"+bID, mgr, map[string]any{"remark": "x"}), 404)
		if n := len(h.must(h.do("GET", "/api/v1/leads/"+bID+"/history", mgr, nil), 200).body["items"].([]any)); n != 2 {
			t.Fatalf("history of a deleted lead has %d events, want 2", n)
		}

		// Read-your-writes that cannot be met answers 503 with Retry-After.
		late := h.must(h.do("GET", "/api/v1/leads", mgr, nil, "X-Chronicle-Min-Position", "999999999"), 503)
		if late.header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
		metrics := h.do("GET", "/metrics", "", nil).raw
		for _, want := range []string{`chronicle_commands_total{command="lead.claim",outcome="not_in_pool"} 2`, `chronicle_projection_position{generation="1",projection="audit"`, "chronicle_command_duration_seconds_bucket"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func TestIdempotency(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		admin := h.login("admin", adminPassword)
		body := map[string]any{"name": "重复提交", "company": "杭州云栖科技"}
		first := h.must(h.do("POST", "/api/v1/leads", admin, body, "Idempotency-Key", "k-1"), 201)
		again := h.must(h.do("POST", "/api/v1/leads", admin, body, "Idempotency-Key", "k-1"), 201)
		if first.body["id"] != again.body["id"] || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %s / %s", first.raw, again.raw)
		}
		h.must(h.do("POST", "/api/v1/leads", admin, map[string]any{"name": "别的"}, "Idempotency-Key", "k-1"), 422)
		// A client-chosen id: the same body twice is one record; a different body is a conflict.
		id := "0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e"
		withID := map[string]any{"id": id, "name": "客户端编号", "company": "成都天府软件"}
		h.must(h.do("POST", "/api/v1/leads", admin, withID), 201)
		h.must(h.do("POST", "/api/v1/leads", admin, withID), 200)
		withID["company"] = "不同公司"
		h.must(h.do("POST", "/api/v1/leads", admin, withID), 409)
		if n := h.must(h.do("GET", "/api/v1/leads?q=客户端编号", admin, nil, "X-Chronicle-Min-Position", first.header.Get("X-Chronicle-Position")), 200).body["total"]; n.(float64) != 1 {
			t.Fatalf("records with the client id: %v", n)
		}
	})
}

// TestBadInput: every malformed request is a 4xx problem and writes nothing.
func TestBadInput(t *testing.T) {
	h := newHarness(t, "sqlite")
	admin := h.login("admin", adminPassword)
	lead := h.must(h.do("POST", "/api/v1/leads", admin, map[string]any{"name": "基准"}), 201)
	leadID := lead.body["id"].(string)
	head, _ := h.app.Store.Head(context.Background())
	big := `{"name":"` + strings.Repeat("长", 1<<19) + `"}`
	cases := []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"malformed json", "POST", "/api/v1/leads", `{"name": "王`, 400, "malformed_json", ""},
		{"not an object", "POST", "/api/v1/leads", `["王"]`, 400, "malformed_json", ""},
		{"empty body", "POST", "/api/v1/leads", ``, 400, "malformed_json", ""},
		{"two values", "POST", "/api/v1/leads", `{"name":"a"}{"name":"b"}`, 400, "malformed_json", ""},
		{"unknown field", "POST", "/api/v1/leads", `{"name":"王","nickname":"小王"}`, 400, "unknown_field", "nickname"},
		{"wrong type", "POST", "/api/v1/leads", `{"name":123}`, 400, "malformed_json", "name"},
		{"wrong type bool", "POST", "/api/v1/leads", `{"name":"王","pool":"yes"}`, 400, "malformed_json", "pool"},
		{"oversize", "POST", "/api/v1/leads", big, 413, "body_too_large", ""},
		{"missing name", "POST", "/api/v1/leads", `{"company":"北京星河"}`, 422, "validation_failed", "name"},
		{"blank name", "POST", "/api/v1/leads", `{"name":"   "}`, 422, "validation_failed", "name"},
		{"bad email", "POST", "/api/v1/leads", `{"name":"王","email":"wang@"}`, 422, "validation_failed", "email"},
		{"bad phone", "POST", "/api/v1/leads", `{"name":"王","phone":"call me"}`, 422, "validation_failed", "phone"},
		{"bad date", "POST", "/api/v1/leads", `{"name":"王","nextFollowUpAt":"tomorrow"}`, 422, "validation_failed", "nextFollowUpAt"},
		{"date without offset", "POST", "/api/v1/leads", `{"name":"王","nextFollowUpAt":"2026-12-01T09:00:00"}`, 422, "validation_failed", "nextFollowUpAt"},
		{"bad client id", "POST", "/api/v1/leads", `{"id":"123","name":"王"}`, 422, "validation_failed", "id"},
		{"pool with owner", "POST", "/api/v1/leads", `{"name":"王","pool":true,"ownerId":"0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e"}`, 422, "validation_failed", "ownerId"},
		{"owner not a user", "POST", "/api/v1/leads", `{"name":"王","ownerId":"0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e"}`, 422, "validation_failed", "ownerId"},
		{"bad uuid in path", "GET", "/api/v1/leads/not-a-uuid", ``, 422, "validation_failed", "id"},
		{"bad uuid patch", "PATCH", "/api/v1/leads/xyz", `{"name":"王"}`, 422, "validation_failed", "id"},
		{"empty patch", "PATCH", "/api/v1/leads/" + leadID, `{}`, 422, "validation_failed", "(body)"},
		{"patch converted", "PATCH", "/api/v1/leads/" + leadID, `{"status":"converted"}`, 422, "validation_failed", "status"},
		{"patch unknown status", "PATCH", "/api/v1/leads/" + leadID, `{"status":"won"}`, 422, "validation_failed", "status"},
		{"patch null name", "PATCH", "/api/v1/leads/" + leadID, `{"name":null}`, 422, "validation_failed", "name"},
		{"assign bad owner", "POST", "/api/v1/leads/" + leadID + "/assign", `{"ownerId":"bob"}`, 422, "validation_failed", "ownerId"},
		{"assign unknown user", "POST", "/api/v1/leads/" + leadID + "/assign", `{"ownerId":"0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e"}`, 422, "validation_failed", "ownerId"},
		{"release unknown field", "POST", "/api/v1/leads/" + leadID + "/release", `{"why":"x"}`, 400, "unknown_field", "why"},
		{"bad if-match", "PATCH", "/api/v1/leads/" + leadID, `{"remark":"x"}`, 400, "malformed_if_match", ""},
		{"limit too big", "GET", "/api/v1/leads?limit=1000", ``, 422, "validation_failed", "limit"},
		{"bad sort", "GET", "/api/v1/leads?sort=password", ``, 422, "validation_failed", "sort"},
		{"bad cursor", "GET", "/api/v1/leads?cursor=abc", ``, 422, "validation_failed", "cursor"},
		{"bad pool", "GET", "/api/v1/leads?pool=maybe", ``, 422, "validation_failed", "pool"},
		{"bad status filter", "GET", "/api/v1/leads?status=won", ``, 422, "validation_failed", "status"},
		{"bad asOf", "GET", "/api/v1/leads/" + leadID + "?asOf=yesterday", ``, 422, "validation_failed", "asOf"},
		{"bad min position", "GET", "/api/v1/leads?minPosition=-1", ``, 422, "validation_failed", "minPosition"},
		{"xml body", "POST", "/api/v1/leads", `<lead/>`, 415, "unsupported_media_type", ""},
		{"unknown route", "GET", "/api/v1/nothing", ``, 404, "not_found", ""},
		{"wrong method", "PUT", "/api/v1/leads", `{}`, 405, "method_not_allowed", ""},
		{"short password", "POST", "/api/v1/users", `{"username":"short","password":"abc","role":"sales"}`, 422, "validation_failed", "password"},
		{"bad role", "POST", "/api/v1/users", `{"username":"role.test","password":"Long-enough-1","role":"god"}`, 422, "validation_failed", "roles"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			headers := []string{}
			if c.name == "bad if-match" {
				headers = []string{"If-Match", "abc"}
			}
			if c.name == "xml body" {
				headers = []string{"Content-Type", "application/xml"}
			}
			r := h.do(c.method, c.path, admin, c.body, headers...)
			if r.status != c.status || r.body["code"] != c.code {
				t.Fatalf("%s %s: %d %v, want %d %s: %s", c.method, c.path, r.status, r.body["code"], c.status, c.code, r.raw)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			if c.field != "" {
				errs, _ := r.body["errors"].([]any)
				if len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
					t.Fatalf("errors = %v, want field %s", r.body["errors"], c.field)
				}
			}
			if r.body["detail"] == "" {
				t.Fatal("problem without detail")
			}
		})
	}
	if after, _ := h.app.Store.Head(context.Background()); after != head {
		t.Fatalf("bad input wrote %d events", after-head)
	}
	_ = fmt.Sprint
	_ = strconv.Itoa
}
