package leadcmd

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/lead"
)

// Commands is the lead module's port: what the transport calls; *Service implements it and
// Metered decorates it.
type Commands interface {
	Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error)
	Update(ctx context.Context, m commands.Meta, id uuid.UUID, p lead.Patch) (commands.Result, error)
	Assign(ctx context.Context, m commands.Meta, id uuid.UUID, to uuid.UUID) (commands.Result, error)
	Claim(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Release(ctx context.Context, m commands.Meta, id uuid.UUID, reason string) (commands.Result, error)
	Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Import(ctx context.Context, m commands.Meta, rows []ImportRow, o commands.ImportOptions) ([]commands.ImportResult, error)
	History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error)
	AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error)
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

func (d meteredCommands) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	return commands.Measure(d.rec, commands.LeadCreate, func() (commands.Result, error) { return d.Commands.Create(ctx, m, c) })
}

func (d meteredCommands) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p lead.Patch) (commands.Result, error) {
	return commands.Measure(d.rec, commands.LeadUpdate, func() (commands.Result, error) { return d.Commands.Update(ctx, m, id, p) })
}

func (d meteredCommands) Assign(ctx context.Context, m commands.Meta, id uuid.UUID, to uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.LeadAssign, func() (commands.Result, error) { return d.Commands.Assign(ctx, m, id, to) })
}

func (d meteredCommands) Claim(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.LeadClaim, func() (commands.Result, error) { return d.Commands.Claim(ctx, m, id) })
}

func (d meteredCommands) Release(ctx context.Context, m commands.Meta, id uuid.UUID, reason string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.LeadRelease, func() (commands.Result, error) { return d.Commands.Release(ctx, m, id, reason) })
}

func (d meteredCommands) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.LeadDelete, func() (commands.Result, error) { return d.Commands.Delete(ctx, m, id) })
}

func (d meteredCommands) Import(ctx context.Context, m commands.Meta, rows []ImportRow, o commands.ImportOptions) ([]commands.ImportResult, error) {
	return commands.Measure(d.rec, commands.LeadImport, func() ([]commands.ImportResult, error) { return d.Commands.Import(ctx, m, rows, o) })
}
