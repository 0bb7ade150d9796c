package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// cookies are the Set-Cookie headers of a response, by name.
func cookies(r resp) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

// cookieLogin signs in with a cookie session and checks the cookies and the body; it returns the
// session and CSRF cookie values.
func cookieLogin(t *testing.T, h *harness, body map[string]string) (session, csrf string, r resp) {
	t.Helper()
	r = h.must(h.do("POST", "/api/v1/auth/login", "", body, "X-Chronicle-Session", "cookie"), 200)
	c := cookies(r)
	s, x := c["chronicle_session"], c["chronicle_csrf"]
	if s == nil || x == nil {
		t.Fatalf("cookie login set %v", r.header.Values("Set-Cookie"))
	}
	if _, has := r.body["token"]; has || strings.Contains(r.raw, s.Value) || r.body["user"] == nil || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("cookie login body carries the token or lacks the user: %s", r.raw)
	}
	expires, err := time.Parse(time.RFC3339Nano, r.body["expiresAt"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !s.HttpOnly || s.SameSite != http.SameSiteStrictMode || s.Path != "/" || s.Secure || len(s.Value) < 40 ||
		s.Expires.Sub(expires).Abs() > time.Second {
		t.Fatalf("session cookie %q (expiresAt %s)", s.Raw, expires)
	}
	raw, err := base64.RawURLEncoding.DecodeString(x.Value)
	if x.HttpOnly || x.SameSite != http.SameSiteStrictMode || x.Path != "/" || x.Secure || err != nil || len(raw) != 32 ||
		x.Value == s.Value || x.Expires.Sub(expires).Abs() > time.Second {
		t.Fatalf("CSRF cookie %q", x.Raw)
	}
	return s.Value, x.Value, r
}

func cookieHeader(session, csrf string) string {
	return "chronicle_session=" + session + "; chronicle_csrf=" + csrf
}

func TestCookieSessions(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		admin := h.login("admin", adminPassword)
		// Without the header, sign-in is as it always was: a token in the body, no cookies.
		plain := h.must(h.do("POST", "/api/v1/auth/login", "", loginBody("admin", adminPassword)), 200)
		if tok, _ := plain.body["token"].(string); tok == "" || len(plain.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("bearer login: %s %v", plain.raw, plain.header.Values("Set-Cookie"))
		}

		session, csrf, _ := cookieLogin(t, h, loginBody("admin", adminPassword))
		jar := cookieHeader(session, csrf)

		// Reads need the cookie only; the answer moves the cookies' expiry along with the session.
		me := h.must(h.do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar), 200)
		if me.body["username"] != "admin" {
			t.Fatalf("me by cookie: %s", me.raw)
		}
		if c := cookies(me)["chronicle_session"]; c == nil || c.Value != session || !c.HttpOnly || c.Expires.IsZero() {
			t.Fatalf("a cookie-authenticated answer does not refresh the session cookie: %v", me.header.Values("Set-Cookie"))
		}
		h.must(h.do("GET", "/api/v1/auth/me", "", nil, "Cookie", "chronicle_session="+session), 200)
		sessions := h.must(h.do("GET", "/api/v1/auth/sessions", "", nil, "Cookie", jar), 200)
		if !strings.Contains(sessions.raw, `"current":true`) {
			t.Fatalf("the cookie session is not the current one: %s", sessions.raw)
		}

		// Writes by cookie need X-CSRF-Token equal to the CSRF cookie; refused ones change nothing.
		before := h.head()
		lead := map[string]any{"name": "王小明", "company": "北京星河科技有限公司"}
		for _, try := range []struct {
			what    string
			headers []string
		}{
			{"no token", []string{"Cookie", jar}},
			{"a wrong token", []string{"Cookie", jar, "X-CSRF-Token", csrf[:len(csrf)-1] + "x"}},
			{"the session cookie as token", []string{"Cookie", jar, "X-CSRF-Token", session}},
			{"no CSRF cookie", []string{"Cookie", "chronicle_session=" + session, "X-CSRF-Token", csrf}},
			{"an empty token and cookie", []string{"Cookie", "chronicle_session=" + session + "; chronicle_csrf=", "X-CSRF-Token", ""}},
		} {
			r := h.must(h.do("POST", "/api/v1/leads", "", lead, try.headers...), 403)
			wantCode(t, r, "csrf_failed")
			if r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: %s", try.what, r.header.Get("Content-Type"))
			}
		}
		wantCode(t, h.must(h.do("POST", "/api/v1/auth/logout", "", nil, "Cookie", jar), 403), "csrf_failed")
		if after := h.head(); after != before {
			t.Fatalf("refused writes moved the event log from %s to %s", before, after)
		}
		list := h.must(h.do("GET", "/api/v1/leads", admin, nil, "X-Chronicle-Min-Position", before), 200)
		if list.body["total"].(float64) != 0 {
			t.Fatalf("refused writes created leads: %s", list.raw)
		}
		h.must(h.do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar), 200) // the refused logout did not end the session

		created := h.must(h.do("POST", "/api/v1/leads", "", lead, "Cookie", jar, "X-CSRF-Token", csrf), 201)
		if created.body["name"] != "王小明" && created.body["id"] == nil {
			t.Fatalf("create by cookie: %s", created.raw)
		}
		// Bearer requests need no CSRF token, also when the browser's cookies come along.
		h.must(h.do("POST", "/api/v1/leads", admin, map[string]any{"name": "李四"}), 201)
		h.must(h.do("POST", "/api/v1/leads", admin, map[string]any{"name": "赵六"}, "Cookie", jar), 201)
		list = h.must(h.do("GET", "/api/v1/leads", "", nil, "Cookie", jar, "X-Chronicle-Min-Position", h.head()), 200)
		if list.body["total"].(float64) != 3 {
			t.Fatalf("leads after the accepted writes: %s", list.raw)
		}
		// An Authorization header is used even when it is bad: no falling back to the cookie.
		wantCode(t, h.must(h.do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar, "Authorization", "Bearer nonsense"), 401), "unauthenticated")

		// Logout ends the session and expires both cookies.
		out := h.must(h.do("POST", "/api/v1/auth/logout", "", nil, "Cookie", jar, "X-CSRF-Token", csrf), 204)
		c := cookies(out)
		if len(out.header.Values("Set-Cookie")) != 2 || c["chronicle_session"] == nil || c["chronicle_csrf"] == nil ||
			c["chronicle_session"].MaxAge >= 0 || c["chronicle_csrf"].MaxAge >= 0 || c["chronicle_session"].Value != "" ||
			!strings.Contains(c["chronicle_session"].Raw, "Max-Age=0") || c["chronicle_session"].Path != "/" {
			t.Fatalf("logout cookies: %v", out.header.Values("Set-Cookie"))
		}
		wantCode(t, h.must(h.do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar), 401), "unauthenticated")
		wantCode(t, h.must(h.do("POST", "/api/v1/leads", "", lead, "Cookie", jar, "X-CSRF-Token", csrf), 401), "unauthenticated")
		h.must(h.do("GET", "/api/v1/auth/me", admin, nil), 200) // other sessions go on
		// A bearer logout answers the same cookie-clearing headers (harmless) and ends its token.
		h.must(h.do("POST", "/api/v1/auth/logout", admin, nil), 204)
		h.must(h.do("GET", "/api/v1/auth/me", admin, nil), 401)
	})
}

// TestCookieSessionsUnderTLS: over TLS both cookies, and their removal, are Secure.
func TestCookieSessionsUnderTLS(t *testing.T) {
	h := newHarness(t, "sqlite")
	serve := func(method, path string, body any, headers ...string) *httptest.ResponseRecorder {
		var b bytes.Buffer
		if body != nil {
			_ = json.NewEncoder(&b).Encode(body)
		}
		req := httptest.NewRequest(method, "https://crm.example.cn"+path, &b) // TLS is set for https
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		h.app.API.ServeHTTP(rec, req)
		return rec
	}
	rec := serve("POST", "/api/v1/auth/login", loginBody("admin", adminPassword), "X-Chronicle-Session", "cookie")
	got := rec.Result().Cookies()
	if rec.Code != 200 || len(got) != 2 || !got[0].Secure || !got[1].Secure {
		t.Fatalf("login over TLS = %d, cookies %v", rec.Code, rec.Header().Values("Set-Cookie"))
	}
	jar := cookieHeader(got[0].Value, got[1].Value)
	if got[0].Name != "chronicle_session" {
		jar = cookieHeader(got[1].Value, got[0].Value)
	}
	csrf := got[1].Value
	if got[1].Name != "chronicle_csrf" {
		csrf = got[0].Value
	}
	rec = serve("POST", "/api/v1/auth/logout", nil, "Cookie", jar, "X-CSRF-Token", csrf)
	gone := rec.Result().Cookies()
	if rec.Code != 204 || len(gone) != 2 || !gone[0].Secure || !gone[1].Secure || gone[0].MaxAge >= 0 || gone[1].MaxAge >= 0 {
		t.Fatalf("logout over TLS = %d, cookies %v", rec.Code, rec.Header().Values("Set-Cookie"))
	}
}

// TestCookieSessionsTwoFactor: the two-factor steps work with cookie sessions: enrolment is a
// write (CSRF), a second-factor sign-in sets the cookies only once it succeeds, and a role that
// requires two-factor sign-in holds a cookie session to enrolment as it does a bearer one.
func TestCookieSessionsTwoFactor(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		h = securityHarness(t, h)
		admin := h.login("admin", adminPassword)
		h.createUser(admin, "cookie.2fa", "sales")
		pw := "Secret-cookie.2fa-2026"
		session, csrf, _ := cookieLogin(t, h, loginBody("cookie.2fa", pw))
		jar := cookieHeader(session, csrf)

		wantCode(t, h.must(h.do("POST", "/api/v1/auth/2fa/enroll", "", nil, "Cookie", jar), 403), "csrf_failed")
		enr := h.must(h.do("POST", "/api/v1/auth/2fa/enroll", "", nil, "Cookie", jar, "X-CSRF-Token", csrf), 200)
		secret := enr.body["secret"].(string)
		code, _ := totp.GenerateCode(secret, time.Now())
		h.must(h.do("POST", "/api/v1/auth/2fa/confirm", "", map[string]string{"code": code}, "Cookie", jar, "X-CSRF-Token", csrf), 200)

		r := h.must(h.do("POST", "/api/v1/auth/login", "", loginBody("cookie.2fa", pw), "X-Chronicle-Session", "cookie"), 401)
		wantCode(t, r, "totp_required")
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("a sign-in waiting for its second factor set cookies: %v", r.header.Values("Set-Cookie"))
		}
		next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		s2, c2, ok := cookieLogin(t, h, loginBody("cookie.2fa", pw, "totp", next))
		if ok.body["twoFactorRequired"] != false || s2 == session || c2 == csrf {
			t.Fatalf("second-factor cookie login: %s", ok.raw)
		}
		if me := h.must(h.do("GET", "/api/v1/auth/me", "", nil, "Cookie", cookieHeader(s2, c2)), 200); me.body["username"] != "cookie.2fa" {
			t.Fatalf("me: %s", me.raw)
		}
		// The first session's CSRF token does not authorise writes of the second.
		wantCode(t, h.must(h.do("POST", "/api/v1/auth/logout", "", nil, "Cookie", cookieHeader(s2, c2), "X-CSRF-Token", csrf), 403), "csrf_failed")

		// An unenrolled user of a role that requires two-factor sign-in.
		h.must(h.do("POST", "/api/v1/roles", admin, map[string]any{"name": "cookie_secure", "displayName": "安全",
			"permissions": []string{"leads.read"}, "dataScope": "self", "require2fa": true}), 201)
		h.createUser(admin, "strict.cookie", "cookie_secure")
		s3, c3, login := cookieLogin(t, h, loginBody("strict.cookie", "Secret-strict.cookie-2026"))
		if login.body["twoFactorRequired"] != true {
			t.Fatalf("login of an unenrolled user of a 2FA role: %s", login.raw)
		}
		jar3 := cookieHeader(s3, c3)
		wantCode(t, h.must(h.do("GET", "/api/v1/leads", "", nil, "Cookie", jar3), 403), "two_factor_enrollment_required")
		h.must(h.do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar3), 200)
		wantCode(t, h.must(h.do("POST", "/api/v1/auth/2fa/enroll", "", nil, "Cookie", jar3), 403), "csrf_failed")
		enr = h.must(h.do("POST", "/api/v1/auth/2fa/enroll", "", nil, "Cookie", jar3, "X-CSRF-Token", c3), 200)
		code, _ = totp.GenerateCode(enr.body["secret"].(string), time.Now())
		h.must(h.do("POST", "/api/v1/auth/2fa/confirm", "", map[string]string{"code": code}, "Cookie", jar3, "X-CSRF-Token", c3), 200)
		h.must(h.do("GET", "/api/v1/leads", "", nil, "Cookie", jar3), 200)
	})
}
