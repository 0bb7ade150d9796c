package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// LoginBody is the body of POST /api/v1/auth/login; totp or recoveryCode is the second factor
// of accounts with two-factor sign-in.
type LoginBody struct {
	Username     string `json:"username"`
	Password     string `json:"password"`
	TOTP         string `json:"totp"`
	RecoveryCode string `json:"recoveryCode"`
}

// loginResponse carries the token only for bearer sessions: a cookie session's token is in the
// HttpOnly cookie alone.
type loginResponse struct {
	Token             string           `json:"token,omitempty"`
	ExpiresAt         time.Time        `json:"expiresAt"`
	User              *readmodels.User `json:"user"`
	TwoFactorRequired bool             `json:"twoFactorRequired"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in LoginBody
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if in.Username == "" || in.Password == "" {
		writeProblem(w, r, s.Logger, invalid("username", "username and password are required"))
		return
	}
	// A brand-new account may not have reached the users read model yet: wait (bounded) for it
	// to catch up with the log before deciding the username is unknown.
	if head, err := s.Store.Head(r.Context()); err == nil {
		_ = s.awaitPosition(r.Context(), head, readmodels.UsersProjection)
	}
	addr := clientAddr(r)
	res, err := s.Auth.Login(r.Context(), commands.LoginRequest{Username: in.Username, Password: in.Password, TOTP: in.TOTP,
		RecoveryCode: in.RecoveryCode, Address: addr, Client: clientDescription(addr, r.UserAgent()), RequestID: requestID(r.Context())})
	s.Metrics.Command("auth.login", err, 0)
	var throttled *commands.ThrottledError
	if errors.As(err, &throttled) {
		w.Header().Set("Retry-After", strconv.FormatInt(throttled.Seconds(), 10))
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	u, err := s.DB.GetUser(r.Context(), res.Credential.UserID)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if res.Position > 0 {
		w.Header().Set("X-Chronicle-Position", strconv.FormatUint(res.Position, 10))
	}
	out := loginResponse{Token: res.Token, ExpiresAt: res.Session.ExpiresAt, User: u, TwoFactorRequired: res.TwoFactorRequired}
	if strings.EqualFold(strings.TrimSpace(r.Header.Get(SessionModeHeader)), "cookie") {
		csrf, err := newCSRFToken()
		if err != nil {
			_ = s.Auth.Logout(r.Context(), res.Token)
			writeProblem(w, r, s.Logger, err)
			return
		}
		setSessionCookies(w, r, res.Token, csrf, res.Session.ExpiresAt)
		out.Token = ""
	}
	writeJSON(w, http.StatusOK, out)
}

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

var errCSRF = &badRequest{status: http.StatusForbidden, code: "csrf_failed",
	detail: "a request signed in by the session cookie must send the X-CSRF-Token header equal to the chronicle_csrf cookie"}

// sessionToken is the request's session token: the bearer token, or, when there is no
// Authorization header at all, the session cookie.
func sessionToken(r *http.Request) (token string, fromCookie bool) {
	if r.Header.Get("Authorization") != "" {
		return bearer(r), false
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

// cookieSession checks the CSRF token of a cookie-authenticated write and moves both cookies'
// expiry along with the session's sliding one.
func cookieSession(w http.ResponseWriter, r *http.Request, token string, sess commands.Session) error {
	csrf, err := r.Cookie(CSRFCookie)
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		sent := r.Header.Get(CSRFHeader)
		if err != nil || csrf.Value == "" || sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(csrf.Value)) != 1 {
			return errCSRF
		}
	}
	value := ""
	if err == nil {
		value = csrf.Value
	}
	setSessionCookies(w, r, token, value, sess.ExpiresAt)
	return nil
}

// setSessionCookies sets the session cookie and, unless csrf is empty, the CSRF cookie.
func setSessionCookies(w http.ResponseWriter, r *http.Request, token, csrf string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	if csrf != "" {
		http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: csrf, Path: "/", Expires: expires,
			Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	}
}

// clearSessionCookies replaces whatever cookies the response set with ones that expire both.
func clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	w.Header().Del("Set-Cookie")
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Path: "/", MaxAge: -1, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

func newCSRFToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// clientDescription is how a session's client shows in the session list: the address and the
// user agent, cut to a readable length.
func clientDescription(addr, userAgent string) string {
	if userAgent == "" {
		return addr
	}
	d := addr + " " + userAgent
	if utf8.RuneCountInString(d) > 200 {
		d = string([]rune(d)[:200])
	}
	return d
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	token, _ := r.Context().Value(keyToken).(string)
	if err := s.Auth.Logout(r.Context(), token); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	clearSessionCookies(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	if err := s.waitFor(r, readmodels.UsersProjection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	u, err := s.DB.GetUser(r.Context(), actorOf(r.Context()).ID)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
