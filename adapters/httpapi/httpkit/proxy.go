package httpkit

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the addresses of reverse proxies whose forwarding headers are believed
// (CHRONICLE_TRUSTED_PROXIES): a request whose connection comes from one of them is taken to come
// from the client the proxy names in X-Forwarded-For, over HTTPS when it says X-Forwarded-Proto:
// https. From any other address these headers are ignored (a client could send them).
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR prefixes
// ("127.0.0.1, 10.0.0.0/8, ::1").
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var out TrustedProxies
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("CHRONICLE_TRUSTED_PROXIES: %q is neither an address nor a CIDR prefix", part)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// trusts reports whether an address is one of the proxies.
func (t TrustedProxies) trusts(addr string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

type forwardedHTTPSKey struct{}

// Forwarded applies the forwarding headers of requests that come through a trusted proxy: the
// client address becomes the nearest address in X-Forwarded-For that is not itself a trusted
// proxy (the headers' earlier entries are the client's own claims), and X-Forwarded-Proto: https
// marks the request as encrypted (Secure reports it). Without proxies it changes nothing.
func (t TrustedProxies) Forwarded(next http.Handler) http.Handler {
	if len(t) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !t.trusts(ClientAddr(r)) {
			next.ServeHTTP(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		if client := t.client(r.Header.Values("X-Forwarded-For")); client != "" {
			r2.RemoteAddr = net.JoinHostPort(client, "0")
		}
		if strings.EqualFold(strings.TrimSpace(lastValue(r.Header.Values("X-Forwarded-Proto"))), "https") {
			r2 = r2.WithContext(context.WithValue(r2.Context(), forwardedHTTPSKey{}, true))
		}
		next.ServeHTTP(w, r2)
	})
}

// client is the nearest address of X-Forwarded-For (read from the right) that is not a trusted
// proxy; "" when there is none or it is not an address.
func (t TrustedProxies) client(values []string) string {
	var hops []string
	for _, v := range values {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if t.trusts(h) {
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil {
			return a.Unmap().String()
		}
		return ""
	}
	return ""
}

// lastValue is the last comma-separated entry of the header's values (the nearest proxy's).
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	parts := strings.Split(values[len(values)-1], ",")
	return parts[len(parts)-1]
}

// Secure reports whether the browser's connection is encrypted: TLS to this server, or a trusted
// proxy's X-Forwarded-Proto: https. Cookies are Secure then.
func Secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	https, _ := r.Context().Value(forwardedHTTPSKey{}).(bool)
	return https
}
