// Package loginproj projects sign-in outcomes into the sign-in log.
package loginproj

import (
	"context"
	"fmt"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
)

// Projector projects sign-in outcomes into the sign-in log: the login audit reads it and
// sign-in throttling counts recent failures in it by address and username. Rows are keyed by
// position, so replaying a page writes nothing twice.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return loginview.Projection }

func (*Projector) Schema(_ *readmodels.DB, gen int) []string { return loginview.DDL(gen) }

func (*Projector) Drop(_ *readmodels.DB, gen int) []string {
	return []string{`DROP TABLE IF EXISTS ` + readmodels.TableName("login_events", gen)}
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch { return &batch{p: p, tx: tx} }

// entry is the sign-in log row one event makes.
type entry struct {
	e   eventstore.Event
	row loginview.LoginEvent
}

// account names the user account the entry is about.
func (x *entry) account(id, username string) { x.row.UserID, x.row.Username = &id, username }

// entries are the events the sign-in log is made of.
var entries = kit.NewHandlers(
	kit.On(func(_ context.Context, x *entry, d user.SignedIn) error {
		x.account(d.UserID, d.Username)
		x.row.OccurredAt, x.row.Address, x.row.Outcome, x.row.Method = d.At, d.Address, loginview.LoginSucceeded, d.Method
		return nil
	}),
	kit.On(func(_ context.Context, x *entry, d user.SignInFailed) error {
		x.account(d.UserID, d.Username)
		x.row.OccurredAt, x.row.Address, x.row.Outcome, x.row.Reason = d.At, d.Address, loginview.LoginFailed, d.Reason
		return nil
	}),
	kit.On(func(_ context.Context, x *entry, d user.Locked) error {
		x.account(d.UserID, d.Username)
		x.row.OccurredAt, x.row.Address, x.row.Outcome = d.At, x.e.Metadata.ClientAddr, loginview.LoginLocked
		until := d.LockedUntil()
		x.row.LockedUntil = &until
		return nil
	}),
	kit.On(func(_ context.Context, x *entry, d user.Unlocked) error {
		x.account(d.UserID, d.Username)
		x.row.OccurredAt, x.row.Address, x.row.Outcome = d.At, x.e.Metadata.ClientAddr, loginview.LoginUnlocked
		return nil
	}),
	kit.On(func(_ context.Context, x *entry, d user.SignInThrottled) error {
		if d.UserID != "" {
			x.account(d.UserID, d.Username)
		}
		x.row.Username, x.row.Address, x.row.Outcome, x.row.Count, x.row.OccurredAt = d.Username, d.Address, loginview.LoginThrottled, d.Count, d.Minute
		return nil
	}),
	kit.On(func(_ context.Context, x *entry, d user.AddressSignInFailed) error {
		x.row.Username, x.row.Address, x.row.Outcome, x.row.Reason, x.row.OccurredAt = d.Username, d.Address, loginview.LoginFailed, d.Reason, d.At
		return nil
	}),
)

type batch struct {
	p    *Projector
	tx   *engine.Tx
	rows []loginview.LoginEvent
}

// Wants implements engine.Selective: the sign-in events (an old type may read as one it shows).
func (p *Projector) Wants(e eventstore.Event) bool {
	return entries.Handles(e.Type) || p.registry.Upcasts(e.Type)
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !b.p.Wants(e) {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	x := &entry{e: e, row: loginview.LoginEvent{Position: e.Position, OccurredAt: e.OccurredAt,
		Actor: readmodels.AuditActor{ID: e.Metadata.ActorID, Name: e.Metadata.ActorName}}}
	if handled, err := entries.Handle(ctx, x, d); !handled || err != nil {
		return err
	}
	b.rows = append(b.rows, x.row)
	return nil
}

func (b *batch) Flush(ctx context.Context) error {
	err := kit.InsertNew(ctx, b.tx, b.tx.Table("login_events"), loginview.Columns, "position", len(b.rows),
		func(i int) []any { return loginview.Args(b.tx.DB.Dialect, b.rows[i]) })
	if err != nil {
		return fmt.Errorf("insert login events: %w", err)
	}
	b.rows = b.rows[:0]
	return nil
}
