package httpapi

import (
	"net/http"
	"time"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/readmodels"
)

var errForbidden = commands.ErrForbidden

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

// UserCreate is the body of POST /api/v1/users.
type UserCreate struct {
	ID          string   `json:"id"`
	Username    string   `json:"username"`
	Password    string   `json:"password"`
	DisplayName string   `json:"displayName"`
	Role        string   `json:"role"`
	Roles       []string `json:"roles"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in UserCreate
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c := commands.CreateUser{Username: in.Username, Password: in.Password, DisplayName: in.DisplayName, Roles: in.Roles}
	if in.Role != "" {
		c.Roles = append([]string{in.Role}, c.Roles...)
	}
	if in.ID != "" {
		id, err := parseUUID("id", in.ID)
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		c.ID = id
	}
	m, err := s.meta(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	res, err := s.command(w, "user.create", func() (commands.Result, error) { return s.Users.Create(r.Context(), m, c) })
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+res.ID.String())
	if err := s.awaitPosition(r.Context(), res.Position, readmodels.UsersProjection); err != nil {
		writeJSON(w, http.StatusCreated, map[string]any{"id": res.ID, "version": res.Version})
		return
	}
	u, err := s.DB.GetUser(r.Context(), res.ID)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if err := s.waitFor(r, readmodels.UsersProjection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	users, err := s.DB.ListUsers(r.Context())
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": users, "total": len(users), "nextCursor": ""})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if err := s.waitFor(r, readmodels.UsersProjection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	u, err := s.DB.GetUser(r.Context(), id)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
