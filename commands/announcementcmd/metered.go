package announcementcmd

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/announcement"
)

// Commands is the announcement module's port: what the transport calls; *Service implements it
// and Metered decorates it.
type Commands interface {
	Publish(ctx context.Context, m commands.Meta, c Publish) (commands.Result, error)
	Edit(ctx context.Context, m commands.Meta, id uuid.UUID, p announcement.Patch) (commands.Result, error)
	SetPinned(ctx context.Context, m commands.Meta, id uuid.UUID, pinned bool) (commands.Result, error)
	Withdraw(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	MarkRead(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*announcement.Announcement], error)
	History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error)
}

// Metered records every command of next (name, outcome, duration) with rec; queries pass through.
func Metered(next Commands, rec commands.Recorder) Commands { return metered{Commands: next, rec: rec} }

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) Publish(ctx context.Context, m commands.Meta, c Publish) (commands.Result, error) {
	return commands.Measure(d.rec, commands.AnnouncementPublish, func() (commands.Result, error) { return d.Commands.Publish(ctx, m, c) })
}

func (d metered) Edit(ctx context.Context, m commands.Meta, id uuid.UUID, p announcement.Patch) (commands.Result, error) {
	return commands.Measure(d.rec, commands.AnnouncementEdit, func() (commands.Result, error) { return d.Commands.Edit(ctx, m, id, p) })
}

func (d metered) SetPinned(ctx context.Context, m commands.Meta, id uuid.UUID, pinned bool) (commands.Result, error) {
	return commands.Measure(d.rec, commands.AnnouncementPin, func() (commands.Result, error) { return d.Commands.SetPinned(ctx, m, id, pinned) })
}

func (d metered) Withdraw(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.AnnouncementWithdraw, func() (commands.Result, error) { return d.Commands.Withdraw(ctx, m, id) })
}

func (d metered) MarkRead(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.AnnouncementRead, func() (commands.Result, error) { return d.Commands.MarkRead(ctx, m, id) })
}
