package httpapi_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

func TestIdempotency(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		body := map[string]any{"name": "重复提交", "company": "杭州云栖科技"}
		first := h.Must(h.Do("POST", "/api/v1/leads", admin, body, "Idempotency-Key", "k-1"), 201)
		again := h.Must(h.Do("POST", "/api/v1/leads", admin, body, "Idempotency-Key", "k-1"), 201)
		if first.Body["id"] != again.Body["id"] || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %s / %s", first.Raw, again.Raw)
		}
		h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "别的"}, "Idempotency-Key", "k-1"), 422)
		// A client-chosen id: the same body twice is one record; a different body is a conflict.
		id := "0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e"
		withID := map[string]any{"id": id, "name": "客户端编号", "company": "成都天府软件"}
		h.Must(h.Do("POST", "/api/v1/leads", admin, withID), 201)
		h.Must(h.Do("POST", "/api/v1/leads", admin, withID), 200)
		withID["company"] = "不同公司"
		h.Must(h.Do("POST", "/api/v1/leads", admin, withID), 409)
		if n := h.Must(h.Do("GET", "/api/v1/leads?q=客户端编号", admin, nil, "X-Chronicle-Min-Position", first.Header.Get("X-Chronicle-Position")), 200).Body["total"]; n.(float64) != 1 {
			t.Fatalf("records with the client id: %v", n)
		}
	})
}

// TestBadInput: every malformed request is a 4xx problem and writes nothing.
func TestBadInput(t *testing.T) {
	h := apitest.New(t, "sqlite")
	admin := h.Login("admin", apitest.AdminPassword)
	lead := h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "基准"}), 201)
	leadID := lead.Body["id"].(string)
	head, _ := h.App.Store.Head(context.Background())
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
		{"bad asOf", "GET", "/api/v1/leads/" + leadID + "/snapshot?asOf=yesterday", ``, 422, "validation_failed", "asOf"},
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
			r := h.Do(c.method, c.path, admin, c.body, headers...)
			if r.Status != c.status || r.Body["code"] != c.code {
				t.Fatalf("%s %s: %d %v, want %d %s: %s", c.method, c.path, r.Status, r.Body["code"], c.status, c.code, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			if c.field != "" {
				errs, _ := r.Body["errors"].([]any)
				if len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
					t.Fatalf("errors = %v, want field %s", r.Body["errors"], c.field)
				}
			}
			if r.Body["detail"] == "" {
				t.Fatal("problem without detail")
			}
		})
	}
	if after, _ := h.App.Store.Head(context.Background()); after != head {
		t.Fatalf("bad input wrote %d events", after-head)
	}
	_ = fmt.Sprint
	_ = strconv.Itoa
}

// TestSecurityHeaders: no response is content-sniffed or leaks a Referer; API answers, which
// carry personal data, are never stored by a browser or a cache.
func TestSecurityHeaders(t *testing.T) {
	h := apitest.New(t, "sqlite")
	admin := h.Login("admin", apitest.AdminPassword)
	for _, r := range []apitest.Resp{
		h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "头部测试公司", "phone": "010-6666 7777"}), 201),
		h.Must(h.Do("GET", "/api/v1/customers", admin, nil), 200),
		h.Must(h.Do("GET", "/api/v1/users", admin, nil), 200),
		h.Must(h.Do("GET", "/api/v1/customers/"+uuid.NewString(), admin, nil), 404),
		h.Must(h.Do("GET", "/api/v1/leads", "", nil), 401),
		h.Must(h.Do("GET", "/api/v1/nothing", admin, nil), 404),
		h.Must(h.Do("GET", "/readyz", "", nil), 200),
	} {
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%d %s: %s = %q, want %q", r.Status, r.Raw, k, got, want)
			}
		}
	}
}
