package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
)

// securityRoutes registers the sign-in security endpoints (two-factor, sessions, login audit).
func (s *Server) securityRoutes(a func(path string, h http.HandlerFunc, method string)) {
	a("/auth/sessions", s.listSessions, http.MethodGet)
	a("/auth/sessions/{id}", s.revokeSession, http.MethodDelete)
	// Enrolment answers carry secrets (the TOTP secret, the recovery codes): they are not wrapped
	// in the idempotency layer, which would store the response to replay it.
	secret := func(path string, h http.HandlerFunc) {
		s.router.Handle("/api/v1"+path, s.authenticate(h)).Methods(http.MethodPost)
	}
	secret("/auth/2fa/enroll", s.enrollTwoFactor)
	secret("/auth/2fa/confirm", s.confirmTwoFactor)
	secret("/auth/2fa/recovery-codes", s.regenerateRecoveryCodes)
	a("/auth/2fa/disable", s.disableTwoFactor, http.MethodPost)
	a("/users/{id}/unlock", s.unlockUser, http.MethodPost)
	a("/users/{id}/reset-2fa", s.resetTwoFactor, http.MethodPost)
	a("/audit/logins", s.auditLogins, http.MethodGet)
}

// twoFactorGate keeps a user whose role requires two-factor sign-in, and who has not confirmed
// an enrolment, to the enrolment endpoints, /auth/me and logout (called by authenticate).
func (s *Server) twoFactorGate(r *http.Request, a access.Actor, sess usercmd.Session) error {
	if !usercmd.NeedsTwoFactorEnrollment(a, sess) {
		return nil
	}
	tpl := ""
	if route := mux.CurrentRoute(r); route != nil {
		tpl, _ = route.GetPathTemplate()
	}
	if strings.HasPrefix(tpl, "/api/v1/auth/2fa/") || tpl == "/api/v1/auth/me" || tpl == "/api/v1/auth/logout" {
		return nil
	}
	return usercmd.ErrTwoFactorEnrollmentRequired
}

// SessionView is one of the caller's sessions.
type SessionView struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Client    string    `json:"client"`
	Current   bool      `json:"current"`
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	sessions, err := s.Auth.Sessions(r.Context(), actorOf(r.Context()))
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	token, _ := r.Context().Value(keyToken).(string)
	current := usercmd.HashToken(token)
	items := make([]SessionView, 0, len(sessions))
	for _, x := range sessions {
		items = append(items, SessionView{ID: x.ID, CreatedAt: x.CreatedAt, ExpiresAt: x.ExpiresAt, Client: x.Client, Current: x.TokenHash == current})
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if err := s.Auth.RevokeSession(r.Context(), actorOf(r.Context()), id.String()); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// TwoFactorEnrollment is the answer to POST /api/v1/auth/2fa/enroll.
type TwoFactorEnrollment struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
}

func (s *Server) enrollTwoFactor(w http.ResponseWriter, r *http.Request) {
	m, err := s.meta(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var enr usercmd.TwoFactorEnrollment
	if _, err := s.command(w, "auth.two_factor_enroll", func() (commands.Result, error) {
		var res commands.Result
		var err error
		enr, res, err = s.Auth.EnrollTwoFactor(r.Context(), m)
		return res, err
	}); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, TwoFactorEnrollment{Secret: enr.Secret, URI: enr.URI})
}

// TwoFactorConfirm is the body of POST /api/v1/auth/2fa/confirm.
type TwoFactorConfirm struct {
	Code string `json:"code"`
}

func (s *Server) confirmTwoFactor(w http.ResponseWriter, r *http.Request) {
	s.issueRecoveryCodes(w, r, "auth.two_factor_confirm", s.Auth.ConfirmTwoFactor)
}

// regenerateRecoveryCodes: POST /api/v1/auth/2fa/recovery-codes {code} -> a new set of recovery
// codes; the old ones stop working.
func (s *Server) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	s.issueRecoveryCodes(w, r, "auth.recovery_codes_regenerate", s.Auth.RegenerateRecoveryCodes)
}

// issueRecoveryCodes runs a command that checks a one-time code and answers with recovery codes.
func (s *Server) issueRecoveryCodes(w http.ResponseWriter, r *http.Request, name string,
	run func(context.Context, commands.Meta, string) ([]string, commands.Result, error)) {
	var in TwoFactorConfirm
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if strings.TrimSpace(in.Code) == "" {
		writeProblem(w, r, s.Logger, invalid("code", "is required: the 6-digit code your authenticator app shows"))
		return
	}
	m, err := s.meta(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var codes []string
	if _, err := s.command(w, name, func() (commands.Result, error) {
		var res commands.Result
		var err error
		codes, res, err = run(r.Context(), m, in.Code)
		return res, err
	}); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"recoveryCodes": codes})
}

// TwoFactorDisable is the body of POST /api/v1/auth/2fa/disable.
type TwoFactorDisable struct {
	Password string `json:"password"`
}

func (s *Server) disableTwoFactor(w http.ResponseWriter, r *http.Request) {
	var in TwoFactorDisable
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	m, err := s.meta(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if _, err := s.command(w, "auth.two_factor_disable", func() (commands.Result, error) {
		return s.Auth.DisableTwoFactor(r.Context(), m, in.Password)
	}); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) unlockUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.orgCommand(w, r, "user.unlock", http.StatusOK,
		func(m commands.Meta) (commands.Result, error) { return s.Auth.Unlock(r.Context(), m, id) }, s.userView)
}

// resetTwoFactor: POST /api/v1/users/{id}/reset-2fa (users.manage) switches the user's two-factor
// sign-in off.
func (s *Server) resetTwoFactor(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.orgCommand(w, r, "user.two_factor_reset", http.StatusOK,
		func(m commands.Meta) (commands.Result, error) { return s.Auth.ResetTwoFactor(r.Context(), m, id) }, s.userView)
}

// auditLogins serves the sign-in log (audit.read), newest first.
func (s *Server) auditLogins(w http.ResponseWriter, r *http.Request) {
	if !actorOf(r.Context()).Can(role.AuditRead) {
		writeProblem(w, r, s.Logger, errForbidden)
		return
	}
	v := r.URL.Query()
	q := loginview.Query{Scope: readmodels.ScopeOf(actorOf(r.Context()), false), User: v.Get("user"), Address: v.Get("address"), Outcome: v.Get("outcome"), Cursor: v.Get("cursor")}
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if raw := v.Get(f.name); raw != "" {
			t, err := parseTime(f.name, raw)
			if err != nil {
				writeProblem(w, r, s.Logger, err)
				return
			}
			*f.dst = &t
		}
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			writeProblem(w, r, s.Logger, invalid("limit", "must be a number from 1 to 500"))
			return
		}
		q.Limit = n
	}
	if err := s.waitFor(r, loginview.Projection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	page, err := s.LoginViews.Search(r.Context(), q)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
