package userapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"

	"github.com/pquerna/otp/totp"
)

// cookies are the Set-Cookie headers of a response, by name.
func cookies(r apitest.Resp) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

// cookieLogin signs in with a cookie session and checks the cookies and the body; it returns the
// session and CSRF cookie values.
func cookieLogin(t *testing.T, h *apitest.Harness, body map[string]string) (session, csrf string, r apitest.Resp) {
	t.Helper()
	r = h.Must(h.Do("POST", "/api/v1/auth/login", "", body, "X-Chronicle-Session", "cookie"), 200)
	c := cookies(r)
	s, x := c["chronicle_session"], c["chronicle_csrf"]
	if s == nil || x == nil {
		t.Fatalf("cookie login set %v", r.Header.Values("Set-Cookie"))
	}
	if _, has := r.Body["token"]; has || strings.Contains(r.Raw, s.Value) || r.Body["user"] == nil || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("cookie login body carries the token or lacks the user: %s", r.Raw)
	}
	expires, err := time.Parse(time.RFC3339Nano, r.Body["expiresAt"].(string))
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
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		// Without the header, sign-in is as it always was: a token in the body, no cookies.
		plain := h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("admin", apitest.AdminPassword)), 200)
		if tok, _ := plain.Body["token"].(string); tok == "" || len(plain.Header.Values("Set-Cookie")) != 0 {
			t.Fatalf("bearer login: %s %v", plain.Raw, plain.Header.Values("Set-Cookie"))
		}

		session, csrf, _ := cookieLogin(t, h, loginBody("admin", apitest.AdminPassword))
		jar := cookieHeader(session, csrf)

		// Reads need the cookie only; the answer moves the cookies' expiry along with the session.
		me := h.Must(h.Do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar), 200)
		if me.Body["username"] != "admin" {
			t.Fatalf("me by cookie: %s", me.Raw)
		}
		if c := cookies(me)["chronicle_session"]; c == nil || c.Value != session || !c.HttpOnly || c.Expires.IsZero() {
			t.Fatalf("a cookie-authenticated answer does not refresh the session cookie: %v", me.Header.Values("Set-Cookie"))
		}
		h.Must(h.Do("GET", "/api/v1/auth/me", "", nil, "Cookie", "chronicle_session="+session), 200)
		sessions := h.Must(h.Do("GET", "/api/v1/auth/sessions", "", nil, "Cookie", jar), 200)
		if !strings.Contains(sessions.Raw, `"current":true`) {
			t.Fatalf("the cookie session is not the current one: %s", sessions.Raw)
		}

		// Writes by cookie need X-CSRF-Token equal to the CSRF cookie; refused ones change nothing.
		before := h.Head()
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
			r := h.Must(h.Do("POST", "/api/v1/leads", "", lead, try.headers...), 403)
			apitest.WantCode(t, r, "csrf_failed")
			if r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: %s", try.what, r.Header.Get("Content-Type"))
			}
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/logout", "", nil, "Cookie", jar), 403), "csrf_failed")
		if after := h.Head(); after != before {
			t.Fatalf("refused writes moved the event log from %s to %s", before, after)
		}
		list := h.Must(h.Do("GET", "/api/v1/leads", admin, nil, "X-Chronicle-Min-Position", before), 200)
		if list.Body["total"].(float64) != 0 {
			t.Fatalf("refused writes created leads: %s", list.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar), 200) // the refused logout did not end the session

		created := h.Must(h.Do("POST", "/api/v1/leads", "", lead, "Cookie", jar, "X-CSRF-Token", csrf), 201)
		if created.Body["name"] != "王小明" && created.Body["id"] == nil {
			t.Fatalf("create by cookie: %s", created.Raw)
		}
		// Bearer requests need no CSRF token, also when the browser's cookies come along.
		h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "李四"}), 201)
		h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "赵六"}, "Cookie", jar), 201)
		list = h.Must(h.Do("GET", "/api/v1/leads", "", nil, "Cookie", jar, "X-Chronicle-Min-Position", h.Head()), 200)
		if list.Body["total"].(float64) != 3 {
			t.Fatalf("leads after the accepted writes: %s", list.Raw)
		}
		// An Authorization header is used even when it is bad: no falling back to the cookie.
		apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar, "Authorization", "Bearer nonsense"), 401), "unauthenticated")

		// Logout ends the session and expires both cookies.
		out := h.Must(h.Do("POST", "/api/v1/auth/logout", "", nil, "Cookie", jar, "X-CSRF-Token", csrf), 204)
		c := cookies(out)
		if len(out.Header.Values("Set-Cookie")) != 2 || c["chronicle_session"] == nil || c["chronicle_csrf"] == nil ||
			c["chronicle_session"].MaxAge >= 0 || c["chronicle_csrf"].MaxAge >= 0 || c["chronicle_session"].Value != "" ||
			!strings.Contains(c["chronicle_session"].Raw, "Max-Age=0") || c["chronicle_session"].Path != "/" {
			t.Fatalf("logout cookies: %v", out.Header.Values("Set-Cookie"))
		}
		apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar), 401), "unauthenticated")
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/leads", "", lead, "Cookie", jar, "X-CSRF-Token", csrf), 401), "unauthenticated")
		h.Must(h.Do("GET", "/api/v1/auth/me", admin, nil), 200) // other sessions go on
		// A bearer logout answers the same cookie-clearing headers (harmless) and ends its token.
		h.Must(h.Do("POST", "/api/v1/auth/logout", admin, nil), 204)
		h.Must(h.Do("GET", "/api/v1/auth/me", admin, nil), 401)
	})
}

// TestCookieSessionsUnderTLS: over TLS both cookies, and their removal, are Secure.
func TestCookieSessionsUnderTLS(t *testing.T) {
	h := apitest.New(t, "sqlite")
	serve := func(method, path string, body any, headers ...string) *httptest.ResponseRecorder {
		var b bytes.Buffer
		if body != nil {
			_ = json.NewEncoder(&b).Encode(body)
		}
		req := httptest.NewRequest(method, "https://crm.example.cn"+path, &b) // TLS is set for https
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		h.App.API.ServeHTTP(rec, req)
		return rec
	}
	rec := serve("POST", "/api/v1/auth/login", loginBody("admin", apitest.AdminPassword), "X-Chronicle-Session", "cookie")
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
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		h = securityHarness(t, h)
		admin := h.Login("admin", apitest.AdminPassword)
		h.CreateUser(admin, "cookie.2fa", "sales")
		pw := apitest.PasswordOf("cookie.2fa")
		session, csrf, _ := cookieLogin(t, h, loginBody("cookie.2fa", pw))
		jar := cookieHeader(session, csrf)

		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", "", nil, "Cookie", jar), 403), "csrf_failed")
		enr := h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", "", nil, "Cookie", jar, "X-CSRF-Token", csrf), 200)
		secret := enr.Body["secret"].(string)
		code, _ := totp.GenerateCode(secret, time.Now())
		h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", "", map[string]string{"code": code}, "Cookie", jar, "X-CSRF-Token", csrf), 200)

		r := h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("cookie.2fa", pw), "X-Chronicle-Session", "cookie"), 401)
		apitest.WantCode(t, r, "totp_required")
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Fatalf("a sign-in waiting for its second factor set cookies: %v", r.Header.Values("Set-Cookie"))
		}
		next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		s2, c2, ok := cookieLogin(t, h, loginBody("cookie.2fa", pw, "totp", next))
		if ok.Body["twoFactorRequired"] != false || s2 == session || c2 == csrf {
			t.Fatalf("second-factor cookie login: %s", ok.Raw)
		}
		if me := h.Must(h.Do("GET", "/api/v1/auth/me", "", nil, "Cookie", cookieHeader(s2, c2)), 200); me.Body["username"] != "cookie.2fa" {
			t.Fatalf("me: %s", me.Raw)
		}
		// The first session's CSRF token does not authorise writes of the second.
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/logout", "", nil, "Cookie", cookieHeader(s2, c2), "X-CSRF-Token", csrf), 403), "csrf_failed")

		// An unenrolled user of a role that requires two-factor sign-in.
		h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "cookie_secure", "displayName": "安全",
			"permissions": []string{"leads.read"}, "dataScope": "self", "require2fa": true}), 201)
		h.CreateUser(admin, "strict.cookie", "cookie_secure")
		s3, c3, login := cookieLogin(t, h, loginBody("strict.cookie", apitest.PasswordOf("strict.cookie")))
		if login.Body["twoFactorRequired"] != true {
			t.Fatalf("login of an unenrolled user of a 2FA role: %s", login.Raw)
		}
		jar3 := cookieHeader(s3, c3)
		apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/leads", "", nil, "Cookie", jar3), 403), "two_factor_enrollment_required")
		h.Must(h.Do("GET", "/api/v1/auth/me", "", nil, "Cookie", jar3), 200)
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", "", nil, "Cookie", jar3), 403), "csrf_failed")
		enr = h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", "", nil, "Cookie", jar3, "X-CSRF-Token", c3), 200)
		code, _ = totp.GenerateCode(enr.Body["secret"].(string), time.Now())
		h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", "", map[string]string{"code": code}, "Cookie", jar3, "X-CSRF-Token", c3), 200)
		h.Must(h.Do("GET", "/api/v1/leads", "", nil, "Cookie", jar3), 200)
	})
}
