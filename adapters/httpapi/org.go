package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// orgRoutes registers departments, roles, settings and user administration.
func (s *Server) orgRoutes(a func(path string, h http.HandlerFunc, method string)) {
	a("/departments", s.listDepartments, http.MethodGet)
	a("/departments", s.createDepartment, http.MethodPost)
	a("/departments/{id}", s.getDepartment, http.MethodGet)
	a("/departments/{id}", s.updateDepartment, http.MethodPatch)
	a("/roles", s.listRoles, http.MethodGet)
	a("/roles", s.createRole, http.MethodPost)
	a("/roles/{id}", s.getRole, http.MethodGet)
	a("/roles/{id}", s.updateRole, http.MethodPatch)
	a("/roles/{id}", s.deleteRole, http.MethodDelete)
	a("/settings", s.getSettings, http.MethodGet)
	a("/settings", s.updateSettings, http.MethodPatch)
	a("/users/{id}", s.updateUser, http.MethodPatch)
	a("/users/{id}/disable", s.disableUser, http.MethodPost)
	a("/users/{id}/enable", s.enableUser, http.MethodPost)
	a("/users/{id}/reset-password", s.resetPassword, http.MethodPost)
	a("/auth/change-password", s.changePassword, http.MethodPost)
}

// orgCommand runs an organisation command and answers with the fresh read view.
func (s *Server) orgCommand(w http.ResponseWriter, r *http.Request, name string, status int,
	run func(commands.Meta) (commands.Result, error), view func(ctx context.Context, id uuid.UUID) (any, error)) {
	m, err := s.meta(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	res, err := s.command(w, name, func() (commands.Result, error) { return run(m) })
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	if err := s.awaitPosition(r.Context(), res.Position, readmodels.OrgProjection); err != nil {
		writeJSON(w, status, map[string]any{"id": res.ID, "version": res.Version})
		return
	}
	v, err := view(r.Context(), res.ID)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, status, v)
}

// Departments.

// DepartmentCreate is the body of POST /api/v1/departments.
type DepartmentCreate struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ParentID string `json:"parentId"`
}

// DepartmentPatch is the body of PATCH /api/v1/departments/{id}; parentId null moves it to the top.
type DepartmentPatch struct {
	Name     Opt[string] `json:"name"`
	ParentID Opt[string] `json:"parentId"`
	Disabled Opt[bool]   `json:"disabled"`
}

func (s *Server) departmentView(ctx context.Context, id uuid.UUID) (any, error) {
	return s.OrgViews.GetDepartment(ctx, id)
}

func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request) {
	if err := s.waitFor(r, readmodels.OrgProjection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	ds, err := s.OrgViews.ListDepartments(r.Context())
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ds, "total": len(ds), "nextCursor": ""})
}

func (s *Server) getDepartment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.waitFor(r, readmodels.OrgProjection)
	}
	var d any
	if err == nil {
		d, err = s.OrgViews.GetDepartment(r.Context(), id)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) {
	var in DepartmentCreate
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c := orgcmd.CreateDepartment{Name: in.Name}
	var err error
	if in.ID != "" {
		c.ID, err = parseUUID("id", in.ID)
	}
	if err == nil && in.ParentID != "" {
		c.ParentID, err = parseUUID("parentId", in.ParentID)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.orgCommand(w, r, "department.create", http.StatusCreated,
		func(m commands.Meta) (commands.Result, error) { return s.Org.CreateDepartment(r.Context(), m, c) }, s.departmentView)
}

func (s *Server) updateDepartment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var in DepartmentPatch
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var c orgcmd.DepartmentChange
	c.Name, c.Disabled = in.Name.Ptr(), in.Disabled.Ptr()
	if in.ParentID.Set {
		parent := uuid.Nil
		if !in.ParentID.Null && in.ParentID.Value != "" {
			if parent, err = parseUUID("parentId", in.ParentID.Value); err != nil {
				writeProblem(w, r, s.Logger, err)
				return
			}
		}
		c.ParentID = &parent
	}
	s.orgCommand(w, r, "department.update", http.StatusOK,
		func(m commands.Meta) (commands.Result, error) { return s.Org.UpdateDepartment(r.Context(), m, id, c) }, s.departmentView)
}

// Roles.

// RoleCreate is the body of POST /api/v1/roles.
type RoleCreate struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	Permissions []string `json:"permissions"`
	DataScope   string   `json:"dataScope"`
	Require2FA  bool     `json:"require2fa"`
}

// RolePatch is the body of PATCH /api/v1/roles/{id}.
type RolePatch struct {
	DisplayName Opt[string]   `json:"displayName"`
	Permissions Opt[[]string] `json:"permissions"`
	DataScope   Opt[string]   `json:"dataScope"`
	Require2FA  Opt[bool]     `json:"require2fa"`
}

func (s *Server) roleView(ctx context.Context, id uuid.UUID) (any, error) {
	return s.OrgViews.GetRole(ctx, id)
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) {
	if err := s.waitFor(r, readmodels.OrgProjection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	rs, err := s.OrgViews.ListRoles(r.Context())
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": rs, "total": len(rs), "nextCursor": "", "permissions": role.Permissions})
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var v any
	if err == nil {
		v, err = s.OrgViews.GetRole(r.Context(), id)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request) {
	var in RoleCreate
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c := orgcmd.CreateRole{Name: in.Name, DisplayName: in.DisplayName, Permissions: in.Permissions, DataScope: in.DataScope, Require2FA: in.Require2FA}
	s.orgCommand(w, r, "role.create", http.StatusCreated,
		func(m commands.Meta) (commands.Result, error) { return s.Org.CreateRole(r.Context(), m, c) }, s.roleView)
}

func (s *Server) updateRole(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var in RolePatch
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c := role.Change{DisplayName: in.DisplayName.Ptr(), Permissions: in.Permissions.Ptr(), Require2FA: in.Require2FA.Ptr()}
	if in.DataScope.Set {
		sc, err := role.ParseScope(in.DataScope.Value)
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		c.DataScope = &sc
	}
	s.orgCommand(w, r, "role.update", http.StatusOK,
		func(m commands.Meta) (commands.Result, error) { return s.Org.UpdateRole(r.Context(), m, id, c) }, s.roleView)
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.orgCommand(w, r, "role.delete", http.StatusNoContent,
		func(m commands.Meta) (commands.Result, error) { return s.Org.DeleteRole(r.Context(), m, id) }, nil)
}

// Settings.

// SettingsPatch is the body of PATCH /api/v1/settings.
type SettingsPatch struct {
	LeadClaimCap Opt[int64] `json:"leadClaimCap"`
	// CustomerPool is merged field by field onto the current customer pool settings.
	CustomerPool json.RawMessage `json:"customerPool"`
	// CustomerFields replaces the custom customer field definitions.
	CustomerFields Opt[[]customer.CustomField] `json:"customerFields"`
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	if err := s.waitFor(r, readmodels.OrgProjection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	v, err := s.OrgViews.GetSettings(r.Context())
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request) {
	var in SettingsPatch
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c := settings.Change{LeadClaimCap: in.LeadClaimCap.Ptr(), CustomerFields: in.CustomerFields.Ptr()}
	if len(in.CustomerPool) > 0 {
		cur, err := s.OrgViews.CustomerPool(r.Context())
		if err == nil {
			err = DecodeJSON(in.CustomerPool, &cur)
		}
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		c.CustomerPool = &cur
	}
	s.orgCommand(w, r, "settings.update", http.StatusOK,
		func(m commands.Meta) (commands.Result, error) { return s.Org.UpdateSettings(r.Context(), m, c) },
		func(ctx context.Context, _ uuid.UUID) (any, error) { return s.OrgViews.GetSettings(ctx) })
}

// User administration.

// UserPatch is the body of PATCH /api/v1/users/{id}; null clears departmentId or superiorId.
type UserPatch struct {
	DisplayName  Opt[string]   `json:"displayName"`
	Roles        Opt[[]string] `json:"roles"`
	DepartmentID Opt[string]   `json:"departmentId"`
	SuperiorID   Opt[string]   `json:"superiorId"`
}

func (s *Server) userView(ctx context.Context, id uuid.UUID) (any, error) {
	return s.OrgViews.GetUser(ctx, id)
}

func optionalID(field string, o Opt[string]) (*uuid.UUID, error) {
	if !o.Set {
		return nil, nil
	}
	id := uuid.Nil
	if !o.Null && o.Value != "" {
		var err error
		if id, err = parseUUID(field, o.Value); err != nil {
			return nil, err
		}
	}
	return &id, nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var in UserPatch
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c := usercmd.EditUser{DisplayName: in.DisplayName.Ptr(), Roles: in.Roles.Ptr()}
	if c.DepartmentID, err = optionalID("departmentId", in.DepartmentID); err == nil {
		c.SuperiorID, err = optionalID("superiorId", in.SuperiorID)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.orgCommand(w, r, "user.update", http.StatusOK,
		func(m commands.Meta) (commands.Result, error) { return s.Users.Update(r.Context(), m, id, c) }, s.userView)
}

func (s *Server) setUserDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	name := "user.enable"
	if disabled {
		name = "user.disable"
	}
	s.orgCommand(w, r, name, http.StatusOK,
		func(m commands.Meta) (commands.Result, error) {
			return s.Users.SetDisabled(r.Context(), m, id, disabled)
		}, s.userView)
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) { s.setUserDisabled(w, r, true) }
func (s *Server) enableUser(w http.ResponseWriter, r *http.Request)  { s.setUserDisabled(w, r, false) }

type passwordBody struct {
	Password string `json:"password"`
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var in passwordBody
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.orgCommand(w, r, "user.reset_password", http.StatusNoContent,
		func(m commands.Meta) (commands.Result, error) {
			return s.Users.ResetPassword(r.Context(), m, id, in.Password)
		}, nil)
}

type changePasswordBody struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var in changePasswordBody
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	token, _ := r.Context().Value(keyToken).(string)
	s.orgCommand(w, r, "user.change_password", http.StatusNoContent, func(m commands.Meta) (commands.Result, error) {
		return s.Users.ChangePassword(r.Context(), m, in.CurrentPassword, in.NewPassword, usercmd.HashToken(token))
	}, nil)
}
