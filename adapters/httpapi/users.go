package httpapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

var errForbidden = commands.ErrForbidden

// UserCreate is the body of POST /api/v1/users.
type UserCreate struct {
	ID           string   `json:"id"`
	Username     string   `json:"username"`
	Password     string   `json:"password"`
	DisplayName  string   `json:"displayName"`
	Role         string   `json:"role"`
	Roles        []string `json:"roles"`
	DepartmentID string   `json:"departmentId"`
	SuperiorID   string   `json:"superiorId"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in UserCreate
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c := usercmd.CreateUser{Username: in.Username, Password: in.Password, DisplayName: in.DisplayName, Roles: in.Roles}
	if in.Role != "" {
		c.Roles = append([]string{in.Role}, c.Roles...)
	}
	var err error
	if in.ID != "" {
		c.ID, err = parseUUID("id", in.ID)
	}
	if err == nil && in.DepartmentID != "" {
		c.DepartmentID, err = parseUUID("departmentId", in.DepartmentID)
	}
	if err == nil && in.SuperiorID != "" {
		c.SuperiorID, err = parseUUID("superiorId", in.SuperiorID)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
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
	if err := s.awaitPosition(r.Context(), res.Position, orgview.UsersProjection); err != nil {
		writeJSON(w, http.StatusCreated, map[string]any{"id": res.ID, "version": res.Version})
		return
	}
	u, err := s.OrgViews.GetUser(r.Context(), res.ID)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if err := s.waitFor(r, orgview.UsersProjection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	users, err := s.OrgViews.ListUsers(r.Context())
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
	if err := s.waitFor(r, orgview.UsersProjection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	u, err := s.OrgViews.GetUser(r.Context(), id)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}
