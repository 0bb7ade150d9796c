package taskcmd

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/task"
)

// Commands is the task module's port: what the transport calls; *Service implements it and
// Metered decorates it.
type Commands interface {
	Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error)
	Update(ctx context.Context, m commands.Meta, id uuid.UUID, p task.Patch) (commands.Result, error)
	Assign(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error)
	SetStatus(ctx context.Context, m commands.Meta, id uuid.UUID, to task.Status, note string) (commands.Result, error)
	AddItem(ctx context.Context, m commands.Meta, id, itemID uuid.UUID, text string) (commands.Result, error)
	CheckItem(ctx context.Context, m commands.Meta, id, itemID uuid.UUID, done bool) (commands.Result, error)
	RemoveItem(ctx context.Context, m commands.Meta, id, itemID uuid.UUID) (commands.Result, error)
	Comment(ctx context.Context, m commands.Meta, id uuid.UUID, text string) (commands.Result, error)
	Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*task.Task], error)
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
	return commands.Measure(d.rec, commands.TaskCreate, func() (commands.Result, error) { return d.Commands.Create(ctx, m, c) })
}

func (d metered) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p task.Patch) (commands.Result, error) {
	return commands.Measure(d.rec, commands.TaskUpdate, func() (commands.Result, error) { return d.Commands.Update(ctx, m, id, p) })
}

func (d metered) Assign(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.TaskAssign, func() (commands.Result, error) { return d.Commands.Assign(ctx, m, id, to) })
}

func (d metered) SetStatus(ctx context.Context, m commands.Meta, id uuid.UUID, to task.Status, note string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.TaskSetStatus, func() (commands.Result, error) { return d.Commands.SetStatus(ctx, m, id, to, note) })
}

func (d metered) AddItem(ctx context.Context, m commands.Meta, id, itemID uuid.UUID, text string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.TaskChecklist, func() (commands.Result, error) { return d.Commands.AddItem(ctx, m, id, itemID, text) })
}

func (d metered) CheckItem(ctx context.Context, m commands.Meta, id, itemID uuid.UUID, done bool) (commands.Result, error) {
	return commands.Measure(d.rec, commands.TaskChecklist, func() (commands.Result, error) { return d.Commands.CheckItem(ctx, m, id, itemID, done) })
}

func (d metered) RemoveItem(ctx context.Context, m commands.Meta, id, itemID uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.TaskChecklist, func() (commands.Result, error) { return d.Commands.RemoveItem(ctx, m, id, itemID) })
}

func (d metered) Comment(ctx context.Context, m commands.Meta, id uuid.UUID, text string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.TaskComment, func() (commands.Result, error) { return d.Commands.Comment(ctx, m, id, text) })
}

func (d metered) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.TaskDelete, func() (commands.Result, error) { return d.Commands.Delete(ctx, m, id) })
}
