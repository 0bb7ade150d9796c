package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// LoginBody is the body of POST /api/v1/auth/login; totp or recoveryCode is the second factor
// of accounts with two-factor sign-in.
type LoginBody struct {
	Username     string `json:"username"`
	Password     string `json:"password"`
	TOTP         string `json:"totp"`
	RecoveryCode string `json:"recoveryCode"`
}

type loginResponse struct {
	Token             string        `json:"token"`
	ExpiresAt         time.Time     `json:"expiresAt"`
	User              *orgview.User `json:"user"`
	TwoFactorRequired bool          `json:"twoFactorRequired"`
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
		_ = s.awaitPosition(r.Context(), head, orgview.UsersProjection)
	}
	addr := clientAddr(r)
	res, err := s.Auth.Login(r.Context(), usercmd.LoginRequest{Username: in.Username, Password: in.Password, TOTP: in.TOTP,
		RecoveryCode: in.RecoveryCode, Address: addr, Client: clientDescription(addr, r.UserAgent()), RequestID: requestID(r.Context())})
	s.Metrics.Command("auth.login", err, 0)
	var throttled *usercmd.ThrottledError
	if errors.As(err, &throttled) {
		w.Header().Set("Retry-After", strconv.FormatInt(throttled.Seconds(), 10))
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	u, err := s.OrgViews.GetUser(r.Context(), res.Credential.UserID)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if res.Position > 0 {
		w.Header().Set("X-Chronicle-Position", strconv.FormatUint(res.Position, 10))
	}
	writeJSON(w, http.StatusOK, loginResponse{Token: res.Token, ExpiresAt: res.Session.ExpiresAt, User: u, TwoFactorRequired: res.TwoFactorRequired})
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
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	if err := s.waitFor(r, orgview.UsersProjection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	u, err := s.OrgViews.GetUser(r.Context(), actorOf(r.Context()).ID)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
