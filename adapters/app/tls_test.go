package app

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRedirectToHTTPS: the redirect keeps the host (a name or an address, IPv6 in brackets),
// replaces the port (none for 443), and keeps the escaped path and the query.
func TestRedirectToHTTPS(t *testing.T) {
	cases := []struct{ port, host, target, want string }{
		{"443", "crm.example.com", "/leads?q=%E7%8E%8B", "https://crm.example.com/leads?q=%E7%8E%8B"},
		{"443", "crm.example.com:80", "/", "https://crm.example.com/"},
		{"8443", "crm.example.com:8080", "/api/v1/a%2Fb?x=1", "https://crm.example.com:8443/api/v1/a%2Fb?x=1"},
		{"443", "[2001:db8::1]:80", "/x", "https://[2001:db8::1]/x"},
		{"8443", "[2001:db8::1]", "/x", "https://[2001:db8::1]:8443/x"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, c.target, nil)
		r.Host = c.host
		w := httptest.NewRecorder()
		RedirectToHTTPS(c.port).ServeHTTP(w, r)
		if w.Code != http.StatusPermanentRedirect || w.Header().Get("Location") != c.want {
			t.Errorf("%s%s (port %s): %d %q, want 308 %q", c.host, c.target, c.port, w.Code, w.Header().Get("Location"), c.want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host = ""
	w := httptest.NewRecorder()
	RedirectToHTTPS("443").ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest {
		t.Errorf("no host: %d", w.Code)
	}
}
