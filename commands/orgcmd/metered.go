package orgcmd

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
)

// Commands is the organisation module's port: what the transport calls; *Service implements it
// and Metered decorates it.
type Commands interface {
	CreateDepartment(ctx context.Context, m commands.Meta, c CreateDepartment) (commands.Result, error)
	UpdateDepartment(ctx context.Context, m commands.Meta, id uuid.UUID, c DepartmentChange) (commands.Result, error)
	CreateRole(ctx context.Context, m commands.Meta, c CreateRole) (commands.Result, error)
	UpdateRole(ctx context.Context, m commands.Meta, id uuid.UUID, c role.Change) (commands.Result, error)
	DeleteRole(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	UpdateSettings(ctx context.Context, m commands.Meta, c settings.Change) (commands.Result, error)
	UpdateSMTP(ctx context.Context, m commands.Meta, in SMTPInput) (commands.Result, error)
	EnsureBuiltInRoles(ctx context.Context) error
}

var _ Commands = (*Service)(nil)

// Metered records every command of next (name, outcome, duration) with rec; queries pass
// through.
func Metered(next Commands, rec commands.Recorder) Commands {
	return meteredCommands{Commands: next, rec: rec}
}

type meteredCommands struct {
	Commands
	rec commands.Recorder
}

func (d meteredCommands) CreateDepartment(ctx context.Context, m commands.Meta, c CreateDepartment) (commands.Result, error) {
	return commands.Measure(d.rec, commands.DepartmentCreate, func() (commands.Result, error) { return d.Commands.CreateDepartment(ctx, m, c) })
}

func (d meteredCommands) UpdateDepartment(ctx context.Context, m commands.Meta, id uuid.UUID, c DepartmentChange) (commands.Result, error) {
	return commands.Measure(d.rec, commands.DepartmentUpdate, func() (commands.Result, error) { return d.Commands.UpdateDepartment(ctx, m, id, c) })
}

func (d meteredCommands) CreateRole(ctx context.Context, m commands.Meta, c CreateRole) (commands.Result, error) {
	return commands.Measure(d.rec, commands.RoleCreate, func() (commands.Result, error) { return d.Commands.CreateRole(ctx, m, c) })
}

func (d meteredCommands) UpdateRole(ctx context.Context, m commands.Meta, id uuid.UUID, c role.Change) (commands.Result, error) {
	return commands.Measure(d.rec, commands.RoleUpdate, func() (commands.Result, error) { return d.Commands.UpdateRole(ctx, m, id, c) })
}

func (d meteredCommands) DeleteRole(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.RoleDelete, func() (commands.Result, error) { return d.Commands.DeleteRole(ctx, m, id) })
}

func (d meteredCommands) UpdateSettings(ctx context.Context, m commands.Meta, c settings.Change) (commands.Result, error) {
	return commands.Measure(d.rec, commands.SettingsUpdate, func() (commands.Result, error) { return d.Commands.UpdateSettings(ctx, m, c) })
}

func (d meteredCommands) UpdateSMTP(ctx context.Context, m commands.Meta, in SMTPInput) (commands.Result, error) {
	return commands.Measure(d.rec, commands.SettingsUpdate, func() (commands.Result, error) { return d.Commands.UpdateSMTP(ctx, m, in) })
}
