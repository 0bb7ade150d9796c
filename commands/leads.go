package commands

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// OrgDirectory answers questions about the organisation; it is served by the organisation and
// lead read models (eventually consistent with the log, like every read).
type OrgDirectory interface {
	// Placement of an active user; ok is false for unknown or disabled users.
	Placement(ctx context.Context, id uuid.UUID) (p Placement, ok bool, err error)
	// OwnedLeads counts the leads a user owns.
	OwnedLeads(ctx context.Context, owner uuid.UUID) (int64, error)
	// LeadClaimCap is the most leads one user may own and still claim from the pool.
	LeadClaimCap(ctx context.Context) (int64, error)
}

// Leads handles the lead commands.
type Leads struct {
	repo   *Repository[*lead.Lead]
	clock  Clock
	org    OrgDirectory
	access access
}

// NewLeads refuses nil dependencies.
func NewLeads(store eventstore.Store, registry *event.Registry, clock Clock, org OrgDirectory) *Leads {
	if org == nil {
		panic("commands: NewLeads without an organisation directory")
	}
	return &Leads{repo: NewRepository(store, registry, clock, lead.Stream, lead.Rehydrate), clock: clock, org: org,
		access: access{org: org, read: role.LeadsRead, pool: role.LeadsPool, assign: role.LeadsAssign}}
}

func (h *Leads) sees(ctx context.Context, a Actor, l *lead.Lead) (bool, error) {
	return h.access.sees(ctx, a, l.Owner())
}

// CreateLead enters a lead.
type CreateLead struct {
	ID      uuid.UUID // optional; chosen by the server when zero
	Fields  lead.Fields
	Pool    bool      // straight into the pool
	OwnerID uuid.UUID // optional; those who assign may enter a lead for someone in their scope
}

// Create enters a lead owned by the actor (or OwnerID), or into the pool.
func (h *Leads) Create(ctx context.Context, m Meta, c CreateLead) (Result, error) {
	m.Command = "lead.create"
	if !m.Actor.Can(role.LeadsCreate) {
		return Result{}, ErrForbidden
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	owner := m.Actor.ID
	switch {
	case c.Pool:
		owner = uuid.Nil
	case c.OwnerID != uuid.Nil && c.OwnerID != m.Actor.ID:
		if err := h.assignable(ctx, m.Actor, c.OwnerID); err != nil {
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
	return h.edit(ctx, m, id, role.LeadsUpdate, func(l *lead.Lead) error { return l.Update(p, m.Actor.ID, h.clock()) })
}

// Assign gives a lead to an active user inside the actor's data scope.
func (h *Leads) Assign(ctx context.Context, m Meta, id, to uuid.UUID) (Result, error) {
	m.Command = "lead.assign"
	return h.edit(ctx, m, id, role.LeadsAssign, func(l *lead.Lead) error {
		if err := h.assignable(ctx, m.Actor, to); err != nil {
			return err
		}
		return l.Assign(to, m.Actor.ID, h.clock())
	})
}

func (h *Leads) assignable(ctx context.Context, a Actor, to uuid.UUID) error {
	return h.access.assignable(ctx, a, to)
}

// Claim takes a pool lead. When several users claim the same lead at once exactly one wins: the
// others reload, find it owned, and get lead.ErrNotInPool. The pool is shared ground, so a lead
// that has left it answers "not in the pool" to everyone rather than "not found".
func (h *Leads) Claim(ctx context.Context, m Meta, id uuid.UUID) (Result, error) {
	m.Command = "lead.claim"
	if !m.Actor.Can(role.LeadsPool) {
		return Result{}, ErrForbidden
	}
	return h.repo.Update(ctx, m, id, func(l *lead.Lead) error {
		if l.Deleted() {
			return ErrNotFound
		}
		if !l.InPool() {
			return lead.ErrNotInPool
		}
		owned, err := h.org.OwnedLeads(ctx, m.Actor.ID)
		if err != nil {
			return err
		}
		limit, err := h.org.LeadClaimCap(ctx)
		if err != nil {
			return err
		}
		if owned >= limit {
			return fmt.Errorf("%w (%d of %d)", ErrClaimLimit, owned, limit)
		}
		return l.Claim(m.Actor.ID, h.clock())
	})
}

// Release puts a lead back into the pool.
func (h *Leads) Release(ctx context.Context, m Meta, id uuid.UUID, reason string) (Result, error) {
	m.Command = "lead.release"
	return h.edit(ctx, m, id, role.LeadsRelease, func(l *lead.Lead) error { return l.Release(reason, m.Actor.ID, h.clock()) })
}

// Delete removes a lead from every list; its history stays.
func (h *Leads) Delete(ctx context.Context, m Meta, id uuid.UUID) (Result, error) {
	m.Command = "lead.delete"
	return h.edit(ctx, m, id, role.LeadsDelete, func(l *lead.Lead) error { return l.Delete(m.Actor.ID, h.clock()) })
}

// edit runs a behaviour on a lead the actor may change (see access.mayChange).
func (h *Leads) edit(ctx context.Context, m Meta, id uuid.UUID, permission string, change func(*lead.Lead) error) (Result, error) {
	return h.repo.Update(ctx, m, id, func(l *lead.Lead) error {
		if err := h.access.mayChange(ctx, m.Actor, l.Owner(), l.Deleted(), permission); err != nil {
			return err
		}
		return change(l)
	})
}

// LeadEvent is one entry of a lead's history.
type LeadEvent = Change

// History returns the lead's events with field-level changes, if the actor may see the lead now.
func (h *Leads) History(ctx context.Context, a Actor, id uuid.UUID) ([]Change, error) {
	if _, err := h.visibleAny(ctx, a, id); err != nil {
		return nil, err
	}
	return h.repo.History(ctx, id, (*lead.Lead).Snapshot)
}

// AsOf returns the lead as it was at a time (its snapshot), if the actor may see the lead now.
func (h *Leads) AsOf(ctx context.Context, a Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
	if _, err := h.visibleAny(ctx, a, id); err != nil {
		return nil, err
	}
	l, err := h.repo.AsOf(ctx, id, until)
	if err != nil {
		return nil, err
	}
	return l.Snapshot(), nil
}

// visibleAny lets history be read for deleted leads too (compliance), by those who could see the
// lead.
func (h *Leads) visibleAny(ctx context.Context, a Actor, id uuid.UUID) (*lead.Lead, error) {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := h.sees(ctx, a, l.Root)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	return l.Root, nil
}
