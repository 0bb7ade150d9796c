// Package notifycmd records what a user has read of their in-app inbox (one stream per user;
// only its owner writes it).
package notifycmd

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/notification"
)

// Commands is the inbox's port: what the transport calls.
type Commands interface {
	// MarkRead records that the actor read the notifications ids, or, with all, everything in
	// their inbox up to now.
	MarkRead(ctx context.Context, m commands.Meta, ids []uuid.UUID, all bool) (commands.Result, error)
}

// Service handles the inbox commands.
type Service struct {
	store eventstore.Store
	repo  *commands.Repository[*notification.Inbox]
	clock commands.Clock
}

// New builds the service.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock) *Service {
	return &Service{store: store, clock: clock, repo: commands.NewRepository(store, registry, clock, notification.Stream, notification.Rehydrate)}
}

// MarkRead records what the actor read in their own inbox.
func (s *Service) MarkRead(ctx context.Context, m commands.Meta, ids []uuid.UUID, all bool) (commands.Result, error) {
	m.Command = commands.InboxRead
	var upTo uint64
	if all {
		head, err := s.store.Head(ctx)
		if err != nil {
			return commands.Result{}, err
		}
		if upTo = head; upTo == 0 {
			upTo = 1
		}
	}
	user := m.Actor.ID
	return s.repo.UpdateOrCreate(ctx, m, user, func() *notification.Inbox { return notification.NewInbox(user) },
		func(i *notification.Inbox) error { return i.MarkRead(ids, upTo, s.clock()) })
}

// Metered records every command of next with rec.
func Metered(next Commands, rec commands.Recorder) Commands { return metered{Commands: next, rec: rec} }

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) MarkRead(ctx context.Context, m commands.Meta, ids []uuid.UUID, all bool) (commands.Result, error) {
	return commands.Measure(d.rec, commands.InboxRead, func() (commands.Result, error) { return d.Commands.MarkRead(ctx, m, ids, all) })
}
