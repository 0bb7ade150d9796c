package httpapi

import (
	"net/http"
	"time"

	"github.com/chronicle-crm/chronicle/readmodels"
)

type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string           `json:"token"`
	ExpiresAt time.Time        `json:"expiresAt"`
	User      *readmodels.User `json:"user"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in loginBody
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
	token, sess, cred, err := s.Auth.Login(r.Context(), in.Username, in.Password, clientAddr(r))
	s.Metrics.Command("auth.login", err, 0)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	u, err := s.DB.GetUser(r.Context(), cred.UserID)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: sess.ExpiresAt, User: u})
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
