package httpkit

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Cookie sessions, for the web UI: scripts never see the session token. Login with
// "X-Chronicle-Session: cookie" puts the token in an HttpOnly cookie and a CSRF token in a
// cookie scripts can read; a request authenticated by the cookie that is not GET, HEAD or
// OPTIONS must echo the CSRF token in X-CSRF-Token (double submit). SameSite=Strict keeps
// both cookies off cross-site requests in the first place, and a cross-site page cannot send
// the custom login header without a CORS preflight, which this server never grants.
const (
	SessionModeHeader = "X-Chronicle-Session"
	SessionCookie     = "chronicle_session"
	CSRFCookie        = "chronicle_csrf"
	CSRFHeader        = "X-CSRF-Token"
)

// ErrCSRF: a cookie-authenticated write without the matching CSRF token (403 csrf_failed).
var ErrCSRF error = &StatusError{Status: http.StatusForbidden, Code: "csrf_failed",
	Detail: "a request signed in by the session cookie must send the X-CSRF-Token header equal to the chronicle_csrf cookie"}

// Bearer is the token of an "Authorization: Bearer <token>" header.
func Bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// SessionToken is the request's session token: the bearer token, or, when there is no
// Authorization header at all, the session cookie.
func SessionToken(r *http.Request) (token string, fromCookie bool) {
	if r.Header.Get("Authorization") != "" {
		return Bearer(r), false
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

// WantsCookieSession reports whether a sign-in asks for a cookie session.
func WantsCookieSession(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get(SessionModeHeader)), "cookie")
}

// CookieSession checks the CSRF token of a cookie-authenticated write and moves both cookies'
// expiry along with the session's sliding one.
func CookieSession(w http.ResponseWriter, r *http.Request, token string, expires time.Time) error {
	csrf, err := r.Cookie(CSRFCookie)
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		sent := r.Header.Get(CSRFHeader)
		if err != nil || csrf.Value == "" || sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(csrf.Value)) != 1 {
			return ErrCSRF
		}
	}
	value := ""
	if err == nil {
		value = csrf.Value
	}
	for _, c := range SessionCookies(r, token, value, expires) {
		http.SetCookie(w, c)
	}
	return nil
}

// SessionCookies are the session cookie and, unless csrf is empty, the CSRF cookie.
func SessionCookies(r *http.Request, token, csrf string, expires time.Time) []*http.Cookie {
	out := []*http.Cookie{{Name: SessionCookie, Value: token, Path: "/", Expires: expires, HttpOnly: true,
		Secure: Secure(r), SameSite: http.SameSiteStrictMode}}
	if csrf != "" {
		out = append(out, &http.Cookie{Name: CSRFCookie, Value: csrf, Path: "/", Expires: expires,
			Secure: Secure(r), SameSite: http.SameSiteStrictMode})
	}
	return out
}

// ClearedSessionCookies are cookies that expire both session cookies.
func ClearedSessionCookies(r *http.Request) []*http.Cookie {
	return []*http.Cookie{
		{Name: SessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: Secure(r), SameSite: http.SameSiteStrictMode},
		{Name: CSRFCookie, Path: "/", MaxAge: -1, Secure: Secure(r), SameSite: http.SameSiteStrictMode},
	}
}

// NewCSRFToken is a fresh random CSRF token.
func NewCSRFToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}
