package apitest

import (
	"net/http"
	"strings"
	"testing"
)

// TestContractCatchesDrift: the check every API test runs fails on an answer the document does not
// describe: a wrong body, an undocumented status, a missing problem document, a refused request
// that succeeded, a route the document lacks.
func TestContractCatchesDrift(t *testing.T) {
	const id = "0190a5a0-3c1e-7d2a-9b4f-5e6d7c8b9a01"
	jsonH := http.Header{"Content-Type": {"application/json"}}
	problemH := http.Header{"Content-Type": {"application/problem+json"}}
	req := func(method, path, body string) (*http.Request, []byte) {
		r, _ := http.NewRequest(method, "http://127.0.0.1:1"+path, nil)
		if body == "" {
			return r, nil
		}
		r.Header.Set("Content-Type", "application/json")
		return r, []byte(body)
	}
	problem := `{"type":"about:blank","title":"Not Found","status":404,"code":"not_found","detail":"no such lead"}`
	cases := []struct {
		name, method, path, reqBody string
		status                      int
		header                      http.Header
		body, want                  string
	}{
		{"a documented problem", "GET", "/api/v1/leads/" + id, "", 404, problemH, problem, ""},
		{"a body of the wrong shape", "GET", "/api/v1/leads/" + id, "", 200, jsonH, `{"id":5}`, "doesn't match schema"},
		{"an undocumented status", "GET", "/api/v1/leads/" + id, "", 418, problemH, problem, "not among the operation's responses"},
		{"a problem that is not one", "GET", "/api/v1/leads/" + id, "", 404, problemH, `{"error":"not found"}`, "doesn't match schema"},
		{"a refused request that succeeded", "PATCH", "/api/v1/roles/sales", `{"dataScope":42}`, 200, jsonH, `{}`, "the request does not match"},
		{"a route the document lacks", "GET", "/api/v1/nowhere", "", 200, jsonH, `{}`, "is not in the document"},
		{"an unknown route refused", "GET", "/api/v1/nowhere", "", 404, problemH, problem, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, b := req(c.method, c.path, c.reqBody)
			err := Contract(r, b, c.status, c.header, []byte(c.body))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("a conforming exchange failed: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}
