package httpkit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestForwardedHeadersAreBelievedOnlyFromTrustedProxies(t *testing.T) {
	proxies, err := ParseTrustedProxies(" 10.0.0.0/8, 127.0.0.1 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.com", "1.2.3"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	type seen struct {
		addr   string
		secure bool
	}
	var got seen
	h := proxies.Forwarded(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = seen{ClientAddr(r), Secure(r)} }))
	cases := []struct {
		name, remote, xff, proto string
		want                     seen
	}{
		{"no proxy: the headers are a client's claims", "203.0.113.9:5000", "198.51.100.1", "https", seen{"203.0.113.9", false}},
		{"through the proxy", "127.0.0.1:4000", "198.51.100.7", "https", seen{"198.51.100.7", true}},
		{"a spoofed first entry is passed over", "10.1.2.3:4000", "1.1.1.1, 198.51.100.7", "http", seen{"198.51.100.7", false}},
		{"two proxies in the chain", "127.0.0.1:4000", "198.51.100.7, 10.9.9.9", "https", seen{"198.51.100.7", true}},
		{"IPv6 proxy", "[::1]:4000", "2001:db8::5", "HTTPS", seen{"2001:db8::5", true}},
		{"no X-Forwarded-For: the proxy's own address", "127.0.0.1:4000", "", "", seen{"127.0.0.1", false}},
		{"garbage in X-Forwarded-For: the proxy's own address", "127.0.0.1:4000", "not-an-address", "https", seen{"127.0.0.1", true}},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/auth/me", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	// Cookies follow: Secure behind a trusted TLS proxy.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:4000"
	r.Header.Set("X-Forwarded-Proto", "https")
	var cookies []*http.Cookie
	proxies.Forwarded(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		cookies = append(SessionCookies(r, "t", "c", time.Now().Add(time.Hour)), ClearedSessionCookies(r)...)
	})).ServeHTTP(httptest.NewRecorder(), r)
	for _, c := range cookies {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure behind a trusted TLS proxy", c.Name)
		}
	}
	// Without proxies nothing changes.
	var plain seen
	TrustedProxies(nil).Forwarded(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { plain = seen{ClientAddr(r), Secure(r)} })).ServeHTTP(httptest.NewRecorder(), r)
	if plain != (seen{"127.0.0.1", false}) {
		t.Errorf("without trusted proxies: %+v", plain)
	}
}
