package commands

import (
	"context"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// UserDirectory answers whether a user may own records. It is served by the users read model.
type UserDirectory interface {
	IsActiveUser(ctx context.Context, id uuid.UUID) (bool, error)
}

// Leads handles the lead commands.
type Leads struct {
	repo  *Repository[*lead.Lead]
	clock Clock
	users UserDirectory
}

// NewLeads refuses nil dependencies.
func NewLeads(store eventstore.Store, registry *event.Registry, clock Clock, users UserDirectory) *Leads {
	if users == nil {
		panic("commands: NewLeads without a user directory")
	}
	return &Leads{repo: NewRepository(store, registry, clock, lead.Stream, lead.Rehydrate), clock: clock, users: users}
}

// managesAll: admins and managers act on every lead (data scopes refine this per department).
func managesAll(a Actor) bool { return a.Has(user.RoleAdmin) || a.Has(user.RoleManager) }

// visible is the read rule: your own leads, pool leads, or everything for managers.
func visible(a Actor, l *lead.Lead) bool {
	return managesAll(a) || l.InPool() || l.Owner() == a.ID
}

// CreateLead enters a lead.
type CreateLead struct {
	ID      uuid.UUID // optional; chosen by the server when zero
	Fields  lead.Fields
	Pool    bool      // straight into the pool
	OwnerID uuid.UUID // optional; managers may enter a lead for someone else
}

// Create enters a lead owned by the actor (or OwnerID), or into the pool.
func (h *Leads) Create(ctx context.Context, m Meta, c CreateLead) (Result, error) {
	m.Command = "lead.create"
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	owner := m.Actor.ID
	switch {
	case c.Pool:
		owner = uuid.Nil
	case c.OwnerID != uuid.Nil && c.OwnerID != m.Actor.ID:
		if !managesAll(m.Actor) {
			return Result{}, ErrForbidden
		}
		if err := h.activeOwner(ctx, c.OwnerID); err != nil {
			return Result{}, err
		}
		owner = c.OwnerID
	}
	l, err := lead.New(c.ID, c.Fields, owner, m.Actor.ID, h.clock())
	if err != nil {
		return Result{}, err
	}
	return h.repo.CreateOrMatch(ctx, m, c.ID, l, func(existing, proposed event.Event) bool {
		a, ok1 := existing.(lead.Created)
		b, ok2 := proposed.(lead.Created)
		return ok1 && ok2 && a.OwnerID == b.OwnerID && a.By == b.By && reflect.DeepEqual(a.Fields, b.Fields)
	})
}

// Update changes fields or the status of a lead the actor may edit.
func (h *Leads) Update(ctx context.Context, m Meta, id uuid.UUID, p lead.Patch) (Result, error) {
	m.Command = "lead.update"
	return h.edit(ctx, m, id, func(l *lead.Lead) error { return l.Update(p, m.Actor.ID, h.clock()) })
}

// Assign gives a lead to an active user; only managers and admins assign.
func (h *Leads) Assign(ctx context.Context, m Meta, id, to uuid.UUID) (Result, error) {
	m.Command = "lead.assign"
	if !managesAll(m.Actor) {
		if _, err := h.visibleLead(ctx, m.Actor, id); err != nil {
			return Result{}, err
		}
		return Result{}, ErrForbidden
	}
	if err := h.activeOwner(ctx, to); err != nil {
		return Result{}, err
	}
	return h.repo.Update(ctx, m, id, func(l *lead.Lead) error {
		if l.Deleted() {
			return ErrNotFound
		}
		return l.Assign(to, m.Actor.ID, h.clock())
	})
}

// Claim takes a pool lead. When several users claim the same lead at once exactly one wins: the
// others reload, find it owned, and get lead.ErrNotInPool. The pool is shared ground, so a lead
// that has left it answers "not in the pool" to everyone rather than "not found".
func (h *Leads) Claim(ctx context.Context, m Meta, id uuid.UUID) (Result, error) {
	m.Command = "lead.claim"
	return h.repo.Update(ctx, m, id, func(l *lead.Lead) error {
		if l.Deleted() {
			return ErrNotFound
		}
		return l.Claim(m.Actor.ID, h.clock())
	})
}

// Release puts a lead back into the pool.
func (h *Leads) Release(ctx context.Context, m Meta, id uuid.UUID, reason string) (Result, error) {
	m.Command = "lead.release"
	return h.edit(ctx, m, id, func(l *lead.Lead) error { return l.Release(reason, m.Actor.ID, h.clock()) })
}

// Delete removes a lead from every list; its history stays.
func (h *Leads) Delete(ctx context.Context, m Meta, id uuid.UUID) (Result, error) {
	m.Command = "lead.delete"
	return h.edit(ctx, m, id, func(l *lead.Lead) error { return l.Delete(m.Actor.ID, h.clock()) })
}

// edit runs a behaviour on a lead the actor may change: invisible or deleted leads are not found,
// visible leads of others (pool leads, for a sales user) are forbidden.
func (h *Leads) edit(ctx context.Context, m Meta, id uuid.UUID, change func(*lead.Lead) error) (Result, error) {
	return h.repo.Update(ctx, m, id, func(l *lead.Lead) error {
		switch {
		case l.Deleted() || !visible(m.Actor, l):
			return ErrNotFound
		case !managesAll(m.Actor) && l.Owner() != m.Actor.ID:
			return ErrForbidden
		}
		return change(l)
	})
}

func (h *Leads) visibleLead(ctx context.Context, a Actor, id uuid.UUID) (*lead.Lead, error) {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if l.Root.Deleted() || !visible(a, l.Root) {
		return nil, ErrNotFound
	}
	return l.Root, nil
}

func (h *Leads) activeOwner(ctx context.Context, id uuid.UUID) error {
	if id == uuid.Nil {
		return lead.ErrNoOwner
	}
	ok, err := h.users.IsActiveUser(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return &lead.ValidationError{Field: "ownerId", Message: "is not an active user"}
	}
	return nil
}

// History and AsOf derive views of a lead from its stream.

// LeadEvent is one entry of a lead's history.
type LeadEvent struct {
	Event   eventstore.Event
	Changes []event.Change
}

// History returns the lead's events with field-level changes, if the actor may see the lead now.
func (h *Leads) History(ctx context.Context, a Actor, id uuid.UUID) ([]LeadEvent, error) {
	if _, err := h.visibleAny(ctx, a, id); err != nil {
		return nil, err
	}
	events, err := h.repo.store.Load(ctx, lead.Stream(id), eventstore.LoadOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]LeadEvent, 0, len(events))
	var history []event.Event
	before := map[string]any{}
	for _, e := range events {
		d, err := h.repo.registry.Decode(e.Type, e.Data)
		if err != nil {
			return nil, err
		}
		history = append(history, d)
		l, err := lead.Rehydrate(id, history)
		if err != nil {
			return nil, err
		}
		after := l.Snapshot()
		out = append(out, LeadEvent{Event: e, Changes: event.Diff(before, after)})
		before = after
	}
	return out, nil
}

// AsOf returns the lead as it was at a time (its snapshot), if the actor may see the lead now.
func (h *Leads) AsOf(ctx context.Context, a Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
	if _, err := h.visibleAny(ctx, a, id); err != nil {
		return nil, err
	}
	events, err := h.repo.store.Load(ctx, lead.Stream(id), eventstore.LoadOptions{Until: until})
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, ErrNotFound
	}
	decoded, err := h.repo.decode(events)
	if err != nil {
		return nil, err
	}
	l, err := lead.Rehydrate(id, decoded)
	if err != nil {
		return nil, err
	}
	return l.Snapshot(), nil
}

// visibleAny lets history be read for deleted leads too (compliance), but only by those who could
// see the lead.
func (h *Leads) visibleAny(ctx context.Context, a Actor, id uuid.UUID) (*lead.Lead, error) {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if !visible(a, l.Root) {
		return nil, ErrNotFound
	}
	return l.Root, nil
}
