package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi"
)

// TestUIMount: GET and HEAD requests that match no API route go to the UI, except under /api/,
// which keeps its problem documents; other methods and a server without a UI keep the 404 problem.
func TestUIMount(t *testing.T) {
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "UI "+r.URL.Path)
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	withUI := httpapi.New(httpapi.Deps{Logger: logger, UI: ui})
	withoutUI := httpapi.New(httpapi.Deps{Logger: logger})
	serve := func(s http.Handler, method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}
	wantProblem := func(rec *httptest.ResponseRecorder, status int, code, what string) {
		t.Helper()
		var p map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		if rec.Code != status || rec.Header().Get("Content-Type") != "application/problem+json" || p["code"] != code {
			t.Errorf("%s = %d %s %q, want the %d %s problem", what, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String(), status, code)
		}
	}
	for _, path := range []string{"/", "/leads", "/customers/0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e", "/assets/index-Bx1.js", "/apiary"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			rec := serve(withUI, method, path)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("%s %s = %d %q, want the UI", method, path, rec.Code, rec.Body.String())
			}
			if method == http.MethodGet && rec.Body.String() != "UI "+path {
				t.Errorf("GET %s = %q, want the UI", path, rec.Body.String())
			}
		}
		wantProblem(serve(withUI, http.MethodPost, path), http.StatusNotFound, "not_found", "POST "+path)
		wantProblem(serve(withoutUI, http.MethodGet, path), http.StatusNotFound, "not_found", "GET "+path+" without a UI")
	}
	for _, path := range []string{"/api", "/api/", "/api/v1/nothing", "/api/v2/leads", "/api/v1/leads/x/y/z"} {
		wantProblem(serve(withUI, http.MethodGet, path), http.StatusNotFound, "not_found", "GET "+path)
	}
	// The server's own endpoints are untouched.
	wantProblem(serve(withUI, http.MethodGet, "/api/v1/auth/login"), http.StatusMethodNotAllowed, "method_not_allowed", "GET /api/v1/auth/login")
	wantProblem(serve(withUI, http.MethodGet, "/api/v1/auth/me"), http.StatusUnauthorized, "unauthenticated", "GET /api/v1/auth/me")
	if rec := serve(withUI, http.MethodGet, "/healthz"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"ok"`) {
		t.Errorf("GET /healthz = %d %q", rec.Code, rec.Body.String())
	}
	if rec := serve(withUI, http.MethodGet, "/api/openapi.json"); rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("GET /api/openapi.json = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}
