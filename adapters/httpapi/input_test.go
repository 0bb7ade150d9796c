package httpapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// TestHostileText: a NUL (or another control or bidi override character, or invalid UTF-8) in any
// text of a request is a 4xx naming the field on both engines, never a 500, and writes nothing;
// PostgreSQL cannot store U+0000 and SQLite would, so refusing it keeps data movable.
func TestHostileText(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		head, _ := h.App.Store.Head(context.Background())
		body := []struct {
			name, method, path, body string
			status                   int
			code, field              string
		}{
			{"lead name", "POST", "/api/v1/leads", `{"name":"王\u0000明"}`, 422, "validation_failed", "name"},
			{"lead remark", "POST", "/api/v1/leads", `{"name":"王","remark":"x\u001b[2J"}`, 422, "validation_failed", "remark"},
			{"lead bidi", "POST", "/api/v1/leads", `{"name":"invoice\u202egpj.exe"}`, 422, "validation_failed", "name"},
			{"customer name", "POST", "/api/v1/customers", `{"name":"星河\u0000科技"}`, 422, "validation_failed", "name"},
			{"custom field options", "PATCH", "/api/v1/settings", `{"customerFields":[{"key":"tier","label":"等级","type":"option","options":["A","B\u0000"]}]}`, 422, "validation_failed", "customerFields[0].options[1]"},
			{"customer custom field", "POST", "/api/v1/customers", `{"name":"星河科技","custom":{"x":"\u0000"}}`, 422, "validation_failed", "custom.x"},
			{"lead raw invalid utf-8", "POST", "/api/v1/leads", "{\"name\":\"\xff\xfe\"}", 400, "malformed_json", ""},
			{"lead lone surrogate", "POST", "/api/v1/leads", `{"name":"\ud800"}`, 400, "malformed_json", ""},
			{"lead repeated name", "POST", "/api/v1/leads", `{"name":"甲","name":"乙"}`, 400, "malformed_json", "name"},
			{"lead name in two cases", "POST", "/api/v1/leads", `{"name":"甲","Name":"乙"}`, 400, "malformed_json", "Name"},
			{"sign-in username", "POST", "/api/v1/auth/login", `{"username":"ad\u0000min","password":"x"}`, 422, "validation_failed", "username"},
			{"sign-in password", "POST", "/api/v1/auth/login", `{"username":"admin","password":"\u0000"}`, 422, "validation_failed", "password"},
			{"lead search q", "GET", "/api/v1/leads?q=%00", "", 400, "malformed_query", "q"},
			{"customer search q", "GET", "/api/v1/customers?q=" + url.QueryEscape("星\x00"), "", 400, "malformed_query", "q"},
			{"customer filter", "GET", "/api/v1/customers?industry=%E2%80%AE", "", 400, "malformed_query", "industry"},
			{"search invalid utf-8", "GET", "/api/v1/leads?q=%FF", "", 400, "malformed_query", "q"},
			{"duplicates name", "GET", "/api/v1/duplicates?type=customer&name=%00", "", 400, "malformed_query", "name"},
			{"duplicates phone", "GET", "/api/v1/duplicates?type=customer&phone=1%0A2", "", 400, "malformed_query", "phone"},
			{"audit type", "GET", "/api/v1/audit/events?type=%00", "", 400, "malformed_query", "type"},
			{"audit stream kind", "GET", "/api/v1/audit/events?kind=lead%00", "", 400, "malformed_query", "kind"},
			{"login log user", "GET", "/api/v1/audit/logins?user=%00", "", 400, "malformed_query", "user"},
			{"login log address", "GET", "/api/v1/audit/logins?address=%7F", "", 400, "malformed_query", "address"},
			{"bad escape", "GET", "/api/v1/leads?q=100%", "", 400, "malformed_query", ""},
			{"path", "POST", "/api/v1/projections/%00/resume", "", 400, "malformed_path", ""},
		}
		for _, c := range body {
			var b any
			if c.body != "" {
				b = c.body
			}
			token := admin
			if strings.HasPrefix(c.path, "/api/v1/auth/login") {
				token = ""
			}
			r := h.Do(c.method, c.path, token, b)
			if r.Status != c.status || r.Body["code"] != c.code {
				t.Errorf("%s: %s %s: %d %s, want %d %s", c.name, c.method, c.path, r.Status, r.Raw, c.status, c.code)
				continue
			}
			if c.field != "" {
				errs, _ := r.Body["errors"].([]any)
				if len(errs) != 1 || errs[0].(map[string]any)["field"] != c.field {
					t.Errorf("%s: errors %v, want the field %s", c.name, r.Body["errors"], c.field)
				}
			}
		}
		// Headers the server keeps: Idempotency-Key is refused, X-Request-ID and X-Correlation-ID
		// are replaced.
		r := h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "键"}, "Idempotency-Key", "k\xff")
		if r.Status != 422 || r.Body["code"] != "validation_failed" {
			t.Errorf("Idempotency-Key: %d %s", r.Status, r.Raw)
		}
		r = h.Do("GET", "/api/v1/leads", admin, nil, "X-Request-ID", "id\xff")
		if r.Status != 200 || r.Header.Get("X-Request-ID") == "id\xff" {
			t.Errorf("X-Request-ID: %d %q", r.Status, r.Header.Get("X-Request-ID"))
		}
		if after, _ := h.App.Store.Head(context.Background()); after != head {
			t.Fatalf("hostile text wrote %d events", after-head)
		}
		// The sign-in attempts refused at decoding were no attempts: admin signs in, and nothing of
		// them is in the sign-in log; a User-Agent that is not UTF-8 does not break sign-in.
		h.Must(h.Do("POST", "/api/v1/auth/login", "", map[string]any{"username": "admin", "password": apitest.AdminPassword}, "User-Agent", "agent\xff"), 200)
		logins := h.Must(h.Do("GET", "/api/v1/audit/logins", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		for _, it := range logins.Body["items"].([]any) {
			if u, _ := it.(map[string]any)["username"].(string); u != "admin" {
				t.Errorf("login log holds %q", u)
			}
		}
		leads := h.Must(h.Do("GET", "/api/v1/leads", admin, nil), 200)
		if leads.Body["total"].(float64) != 0 {
			t.Fatalf("leads stored: %s", leads.Raw)
		}
	})
}

// TestBodiesAndEntityTags: a write whose body is not application/json is 415 with Accept-Post
// or Accept-Patch (a form-encoded sign-in too); ETag is a quoted entity tag and If-Match takes
// "3" or 3, refuses a weak tag.
func TestBodiesAndEntityTags(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		head, _ := h.App.Store.Head(context.Background())
		form := h.Do("POST", "/api/v1/auth/login", "", "username=admin&password="+url.QueryEscape(apitest.AdminPassword), "Content-Type", "application/x-www-form-urlencoded")
		if form.Status != 415 || form.Body["code"] != "unsupported_media_type" || form.Header.Get("Accept-Post") != "application/json" {
			t.Fatalf("form sign-in: %d %v %s", form.Status, form.Header, form.Raw)
		}
		h.Must(h.Do("POST", "/api/v1/leads", admin, `{"name":"文本"}`, "Content-Type", "text/plain"), 415)
		h.Must(h.Do("POST", "/api/v1/leads", admin, `{"name":"无类型"}`, "Content-Type", ""), 415)
		if after, _ := h.App.Store.Head(context.Background()); after != head {
			t.Fatalf("refused bodies wrote %d events", after-head)
		}
		lead := h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "标签"}), 201)
		id := lead.Body["id"].(string)
		if et := lead.Header.Get("ETag"); et != `"1"` {
			t.Fatalf("create ETag %q", et)
		}
		patch := h.Do("PATCH", "/api/v1/leads/"+id, admin, `remark=x`, "Content-Type", "application/x-www-form-urlencoded")
		if patch.Status != 415 || patch.Header.Get("Accept-Patch") != "application/json" {
			t.Fatalf("form patch: %d %v", patch.Status, patch.Header)
		}
		// A bodiless action needs no Content-Type.
		h.Must(h.Do("POST", "/api/v1/leads/"+id+"/release", admin, map[string]any{"reason": "回池"}), 200)
		h.Must(h.Do("POST", "/api/v1/leads/"+id+"/claim", admin, nil, "Content-Type", ""), 200)
		got := h.Must(h.Do("GET", "/api/v1/leads/"+id, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if et := got.Header.Get("ETag"); et != `"3"` {
			t.Fatalf("read ETag %q", et)
		}
		h.Must(h.Do("PATCH", "/api/v1/leads/"+id, admin, map[string]any{"remark": "弱"}, "If-Match", `W/"3"`), 400)
		up := h.Must(h.Do("PATCH", "/api/v1/leads/"+id, admin, map[string]any{"remark": "强"}, "If-Match", `"3"`), 200)
		if et := up.Header.Get("ETag"); et != `"4"` {
			t.Fatalf("patch ETag %q", et)
		}
		h.Must(h.Do("PATCH", "/api/v1/leads/"+id, admin, map[string]any{"remark": "裸"}, "If-Match", `4`), 200)
		stale := h.Must(h.Do("PATCH", "/api/v1/leads/"+id, admin, map[string]any{"remark": "旧"}, "If-Match", `"4"`), 412)
		if et := stale.Header.Get("ETag"); et != `"5"` || stale.Body["currentVersion"].(float64) != 5 {
			t.Fatalf("412: ETag %q %s", et, stale.Raw)
		}
	})
}
