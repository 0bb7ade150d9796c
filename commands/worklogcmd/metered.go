package worklogcmd

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/worklog"
)

// Commands is the work log module's port: what the transport calls; *Service implements it and
// Metered decorates it.
type Commands interface {
	Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error)
	Update(ctx context.Context, m commands.Meta, id uuid.UUID, p worklog.Patch) (commands.Result, error)
	Submit(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Comment(ctx context.Context, m commands.Meta, id uuid.UUID, text string) (commands.Result, error)
	MarkRead(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*worklog.Log], error)
	History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error)
	AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error)
}

// Metered records every command of next (name, outcome, duration) with rec; queries pass through.
func Metered(next Commands, rec commands.Recorder) Commands { return metered{Commands: next, rec: rec} }

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	return commands.Measure(d.rec, commands.WorkLogCreate, func() (commands.Result, error) { return d.Commands.Create(ctx, m, c) })
}

func (d metered) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p worklog.Patch) (commands.Result, error) {
	return commands.Measure(d.rec, commands.WorkLogUpdate, func() (commands.Result, error) { return d.Commands.Update(ctx, m, id, p) })
}

func (d metered) Submit(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.WorkLogSubmit, func() (commands.Result, error) { return d.Commands.Submit(ctx, m, id) })
}

func (d metered) Comment(ctx context.Context, m commands.Meta, id uuid.UUID, text string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.WorkLogComment, func() (commands.Result, error) { return d.Commands.Comment(ctx, m, id, text) })
}

func (d metered) MarkRead(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.WorkLogRead, func() (commands.Result, error) { return d.Commands.MarkRead(ctx, m, id) })
}
