// Package orgcmd holds the organisation commands: departments (a tree), roles (function
// permissions and data scope) and the settings of the pools and sign-in.
package orgcmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
)

// Directory is the organisation read model as the organisation commands see it.
type Directory interface {
	access.Directory
	Department(ctx context.Context, id uuid.UUID) (access.DepartmentInfo, bool, error)
	RolesByName(ctx context.Context, names []string) ([]access.RoleDef, error)
	IsActiveUser(ctx context.Context, id uuid.UUID) (bool, error)
}

// Service handles departments, roles and settings.
type Service struct {
	depts    *commands.Repository[*department.Department]
	roles    *commands.Repository[*role.Role]
	settings *commands.Repository[*settings.Settings]
	store    eventstore.Store
	clock    commands.Clock
	org      Directory
	sealer   Sealer
}

// New refuses nil dependencies.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, org Directory) *Service {
	if org == nil {
		panic("orgcmd: New without an organisation directory")
	}
	return &Service{
		depts:    commands.NewRepository(store, registry, clock, department.Stream, department.Rehydrate),
		roles:    commands.NewRepository(store, registry, clock, role.Stream, role.Rehydrate),
		settings: commands.NewRepository(store, registry, clock, func(uuid.UUID) string { return settings.Stream }, settings.Rehydrate),
		store:    store, clock: clock, org: org,
	}
}

// CreateDepartment is a new department under ParentID (uuid.Nil: top level).
type CreateDepartment struct {
	ID       uuid.UUID
	Name     string
	ParentID uuid.UUID
}

// CreateDepartment makes a department.
func (h *Service) CreateDepartment(ctx context.Context, m commands.Meta, c CreateDepartment) (commands.Result, error) {
	m.Command = commands.DepartmentCreate
	if !m.Actor.Can(role.DepartmentsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	if c.ParentID != uuid.Nil {
		if err := h.usableDepartment(ctx, "parentId", c.ParentID); err != nil {
			return commands.Result{}, err
		}
	}
	d, err := department.New(c.ID, c.Name, c.ParentID, m.Actor.ID, h.clock())
	if err != nil {
		return commands.Result{}, err
	}
	return h.depts.Create(ctx, m, c.ID, d)
}

// usableDepartment: the department exists and takes members.
func (h *Service) usableDepartment(ctx context.Context, field string, id uuid.UUID) error {
	info, ok, err := h.org.Department(ctx, id)
	switch {
	case err != nil:
		return err
	case !ok:
		return &department.ValidationError{Field: field, Message: "no such department"}
	case info.Disabled:
		return &department.ValidationError{Field: field, Message: "the department is disabled"}
	}
	return nil
}

// DepartmentChange edits a department; nil fields stay.
type DepartmentChange struct {
	Name     *string
	ParentID *uuid.UUID // uuid.Nil moves it to the top level
	Disabled *bool
	HeadID   *uuid.UUID // uuid.Nil: no head
}

// UpdateDepartment renames, moves (never under itself or its own subtree) or disables.
func (h *Service) UpdateDepartment(ctx context.Context, m commands.Meta, id uuid.UUID, c DepartmentChange) (commands.Result, error) {
	m.Command = commands.DepartmentUpdate
	if !m.Actor.Can(role.DepartmentsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	var ancestors []uuid.UUID
	if c.ParentID != nil && *c.ParentID != uuid.Nil {
		info, ok, err := h.org.Department(ctx, *c.ParentID)
		if err != nil {
			return commands.Result{}, err
		}
		if !ok {
			return commands.Result{}, &department.ValidationError{Field: "parentId", Message: "no such department"}
		}
		for _, part := range strings.Split(strings.Trim(info.Path, "/"), "/") {
			if a, err := uuid.Parse(part); err == nil {
				ancestors = append(ancestors, a)
			}
		}
	}
	if c.HeadID != nil && *c.HeadID != uuid.Nil {
		active, err := h.org.IsActiveUser(ctx, *c.HeadID)
		if err != nil {
			return commands.Result{}, err
		}
		if !active {
			return commands.Result{}, &department.ValidationError{Field: "headId", Message: "is not an active user", Code: "unknown_user"}
		}
	}
	return h.depts.Update(ctx, m, id, func(d *department.Department) error {
		by, at := m.Actor.ID, h.clock()
		if c.HeadID != nil {
			d.AppointHead(*c.HeadID, by, at)
		}
		if c.Name != nil {
			if err := d.Rename(*c.Name, by, at); err != nil {
				return err
			}
		}
		if c.ParentID != nil {
			if err := d.Move(*c.ParentID, ancestors, by, at); err != nil {
				return err
			}
		}
		if c.Disabled != nil {
			if *c.Disabled {
				return d.Disable(by, at)
			}
			return d.Enable(by, at)
		}
		return nil
	})
}

// EnsureBuiltInRoles creates the built-in roles that do not exist yet (idempotent; safe when
// several processes start at once).
func (h *Service) EnsureBuiltInRoles(ctx context.Context) error {
	m := commands.Meta{Actor: access.System, Command: commands.RoleCreate, RequestID: "bootstrap", CorrelationID: uuid.NewString()}
	for _, b := range role.BuiltIns {
		r, err := role.New(b.Name, b.DisplayName, b.Permissions, b.Scope, true, false, access.System.ID, h.clock())
		if err != nil {
			return err
		}
		_, err = h.roles.Create(ctx, m, r.ID(), r)
		if errors.Is(err, commands.ErrAlreadyExists) {
			m.Command = commands.RoleGrantNewPermissions
			_, err = h.roles.Update(ctx, m, r.ID(), func(existing *role.Role) error {
				existing.GrantNew(b.Permissions, access.System.ID, h.clock())
				return nil
			})
			m.Command = commands.RoleCreate
		}
		if err != nil {
			return fmt.Errorf("ensure built-in role %s: %w", b.Name, err)
		}
	}
	return nil
}

// CreateRole is a new role.
type CreateRole struct {
	Name        string
	DisplayName string
	Permissions []string
	DataScope   string
	Require2FA  bool
}

// CreateRole defines a role; names are unique.
func (h *Service) CreateRole(ctx context.Context, m commands.Meta, c CreateRole) (commands.Result, error) {
	m.Command = commands.RoleCreate
	if !m.Actor.Can(role.RolesManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	scope, err := role.ParseScope(c.DataScope)
	if err != nil {
		return commands.Result{}, err
	}
	r, err := role.New(c.Name, c.DisplayName, c.Permissions, scope, false, c.Require2FA, m.Actor.ID, h.clock())
	if err != nil {
		return commands.Result{}, err
	}
	res, err := h.roles.Create(ctx, m, r.ID(), r)
	if errors.Is(err, commands.ErrAlreadyExists) {
		return commands.Result{}, &role.ValidationError{Field: "name", Message: fmt.Sprintf("a role named %q exists", c.Name)}
	}
	return res, err
}

// UpdateRole edits a role's permissions, data scope, 2FA requirement or display name.
func (h *Service) UpdateRole(ctx context.Context, m commands.Meta, id uuid.UUID, c role.Change) (commands.Result, error) {
	m.Command = commands.RoleUpdate
	if !m.Actor.Can(role.RolesManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	return h.roles.Update(ctx, m, id, func(r *role.Role) error {
		if r.Deleted() {
			return commands.ErrNotFound
		}
		return r.Update(c, m.Actor.ID, h.clock())
	})
}

// DeleteRole removes a custom role.
func (h *Service) DeleteRole(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.RoleDelete
	if !m.Actor.Can(role.RolesManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	return h.roles.Update(ctx, m, id, func(r *role.Role) error { return r.Delete(m.Actor.ID, h.clock()) })
}

// UpdateSettings changes system parameters; only holders of settings.manage may.
func (h *Service) UpdateSettings(ctx context.Context, m commands.Meta, c settings.Change) (commands.Result, error) {
	m.Command = commands.SettingsUpdate
	if !m.Actor.Can(role.SettingsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	res, err := h.settings.Update(ctx, m, settings.ID, func(s *settings.Settings) error { return s.Update(c, m.Actor.ID, h.clock()) })
	if errors.Is(err, commands.ErrNotFound) { // first change ever
		s := settings.New()
		if err := s.Update(c, m.Actor.ID, h.clock()); err != nil {
			return commands.Result{}, err
		}
		if len(s.Changes()) == 0 {
			return commands.Result{ID: settings.ID}, nil
		}
		return h.settings.Create(ctx, m, settings.ID, s)
	}
	return res, err
}
