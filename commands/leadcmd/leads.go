// Package leadcmd holds the lead commands: enter, edit, assign, claim from and release to the
// pool, delete, import, and the record history.
package leadcmd

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// ErrClaimLimit: the claimer already owns as many leads as the pool rules allow.
var ErrClaimLimit = errors.New("you already own as many leads as the pool rules allow")

// Directory is what lead commands read from the read models (eventually consistent with the
// log, like every read).
type Directory interface {
	access.Directory
	// OwnedLeads counts the leads a user owns, leaving out the given ones.
	OwnedLeads(ctx context.Context, owner uuid.UUID, except []uuid.UUID) (int64, error)
	// LeadsAppliedUntil is when the last event the lead read model applied occurred.
	LeadsAppliedUntil(ctx context.Context) (time.Time, error)
	// LeadClaimCap is the most leads one user may own and still claim from the pool.
	LeadClaimCap(ctx context.Context) (int64, error)
}

// Service handles the lead commands.
type Service struct {
	repo   *commands.Repository[*lead.Lead]
	clock  commands.Clock
	org    Directory
	rules  access.Rules
	claims commands.ClaimLedger
	dict   commands.Dictionary
}

// WithDictionary makes the commands check the coded fields (source, industry, level) against
// the data dictionary d; without it they check against the built-in lists.
func (h *Service) WithDictionary(d commands.Dictionary) *Service {
	h.dict = d
	return h
}

// New refuses nil dependencies.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, org Directory) *Service {
	if org == nil {
		panic("leadcmd: New without an organisation directory")
	}
	h := &Service{repo: commands.NewRepository(store, registry, clock, lead.Stream, lead.Rehydrate), clock: clock, org: org,
		rules: access.Rules{Org: org, Read: role.LeadsRead, Pool: role.LeadsPool, Assign: role.LeadsAssign}}
	h.claims = commands.ClaimLedger{Store: store, Registry: registry, Clock: clock, Kind: commands.LeadClaimsKind, Fate: h.claimFate}
	return h
}

// claimFate reads a lead's stream for the claim ledger: a lead is held while its owner has it and
// it is not deleted (the read model counts converted leads too).
func (h *Service) claimFate(ctx context.Context, id uuid.UUID, version int64, user uuid.UUID) (commands.ClaimFate, error) {
	_, decoded, err := h.repo.Events(ctx, id)
	if errors.Is(err, commands.ErrNotFound) {
		return commands.ClaimFate{}, nil
	}
	if err != nil {
		return commands.ClaimFate{}, err
	}
	var f commands.ClaimFate
	if int64(len(decoded)) > version {
		c, ok := decoded[version].(lead.Claimed)
		f.Landed = ok && c.By == user.String()
	}
	f.Pending = int64(len(decoded)) == version
	l, err := lead.Rehydrate(id, decoded)
	if err != nil {
		return commands.ClaimFate{}, err
	}
	f.Held = l.Owner() == user && !l.Deleted()
	return f, nil
}

func (h *Service) sees(ctx context.Context, a access.Actor, l *lead.Lead) (bool, error) {
	return h.rules.Sees(ctx, a, l.Owner())
}

// Create enters a lead.
type Create struct {
	ID      uuid.UUID // optional; chosen by the server when zero
	Fields  lead.Fields
	Pool    bool      // straight into the pool
	OwnerID uuid.UUID // optional; those who assign may enter a lead for someone in their scope
}

// Create enters a lead owned by the actor (or OwnerID), or into the pool.
func (h *Service) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	m.Command = commands.LeadCreate
	if !m.Actor.Can(role.LeadsCreate) {
		return commands.Result{}, commands.ErrForbidden
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	owner, err := h.rules.NewOwner(ctx, m.Actor, c.Pool, c.OwnerID)
	if err != nil {
		return commands.Result{}, err
	}
	if err := h.resolveFields(ctx, &commands.Lists{Dict: h.dict}, &c.Fields); err != nil {
		return commands.Result{}, err
	}
	l, err := lead.New(c.ID, c.Fields, owner, m.Actor.ID, h.clock())
	if err != nil {
		return commands.Result{}, err
	}
	return h.repo.CreateOrMatch(ctx, m, c.ID, l, func(existing, proposed event.Event) bool {
		a, ok1 := existing.(lead.Created)
		b, ok2 := proposed.(lead.Created)
		return ok1 && ok2 && a.OwnerID == b.OwnerID && a.By == b.By && reflect.DeepEqual(a.Fields, b.Fields)
	})
}

// Update changes fields or the status of a lead the actor may edit.
func (h *Service) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p lead.Patch) (commands.Result, error) {
	m.Command = commands.LeadUpdate
	return h.Edit(ctx, m, id, role.LeadsUpdate, func(l *lead.Lead) error {
		p := p
		if err := h.resolvePatch(ctx, l.Fields(), &p); err != nil {
			return err
		}
		return l.Update(p, m.Actor.ID, h.clock())
	})
}

// Assign gives a lead to an active user inside the actor's data scope.
func (h *Service) Assign(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error) {
	m.Command = commands.LeadAssign
	return h.Edit(ctx, m, id, role.LeadsAssign, func(l *lead.Lead) error {
		if err := h.assignable(ctx, m.Actor, to); err != nil {
			return err
		}
		return l.Assign(to, m.Actor.ID, h.clock())
	})
}

func (h *Service) assignable(ctx context.Context, a access.Actor, to uuid.UUID) error {
	return h.rules.Assignable(ctx, a, to)
}

// Claim takes a pool lead. When several users claim the same lead at once exactly one wins: the
// others reload, find it owned, and get lead.ErrNotInPool. The pool is shared ground, so a lead
// that has left it answers "not in the pool" to everyone rather than "not found". The cap on held
// leads is decided on the claimer's claim ledger (commands.ClaimLedger), so of many claims by one
// user at once no more succeed than the cap allows.
func (h *Service) Claim(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.LeadClaim
	if !m.Actor.Can(role.LeadsPool) {
		return commands.Result{}, commands.ErrForbidden
	}
	return h.repo.Update(ctx, m, id, func(l *lead.Lead) error {
		if l.Deleted() {
			return commands.ErrNotFound
		}
		if !l.InPool() {
			return lead.ErrNotInPool
		}
		version := l.Version()
		if err := l.Claim(m.Actor.ID, h.clock()); err != nil {
			return err
		}
		limit, err := h.org.LeadClaimCap(ctx)
		if err != nil {
			return err
		}
		// The read model is corrected by the ledger's entries from shortly before the last event
		// it applied: the claims it may not show yet.
		since := func() (time.Time, error) {
			at, err := h.org.LeadsAppliedUntil(ctx)
			return minTime(at, h.clock()).Add(-commands.ClaimGrace), err
		}
		return h.claims.Decide(ctx, m, m.Actor.ID, id, version, since, func(recent commands.Claims) error {
			owned, err := h.org.OwnedLeads(ctx, m.Actor.ID, append(recent.Records(), id))
			if err != nil {
				return err
			}
			if owned += recent.Held(); owned >= limit {
				return fmt.Errorf("%w (%d of %d)", ErrClaimLimit, owned, limit)
			}
			return nil
		})
	})
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Release puts a lead back into the pool.
func (h *Service) Release(ctx context.Context, m commands.Meta, id uuid.UUID, reason string) (commands.Result, error) {
	m.Command = commands.LeadRelease
	return h.Edit(ctx, m, id, role.LeadsRelease, func(l *lead.Lead) error { return l.Release(reason, m.Actor.ID, h.clock()) })
}

// Delete removes a lead from every list; its history stays.
func (h *Service) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.LeadDelete
	return h.Edit(ctx, m, id, role.LeadsDelete, func(l *lead.Lead) error { return l.Delete(m.Actor.ID, h.clock()) })
}

// Edit runs a behaviour on a lead the actor may change (see access.Rules.MayChange); processes
// (conversion, follow-ups) decide on a lead through it.
func (h *Service) Edit(ctx context.Context, m commands.Meta, id uuid.UUID, permission string, change func(*lead.Lead) error) (commands.Result, error) {
	return h.repo.Update(ctx, m, id, func(l *lead.Lead) error {
		if err := h.rules.MayChange(ctx, m.Actor, l.Owner(), l.Deleted(), permission); err != nil {
			return err
		}
		return change(l)
	})
}

// History returns the lead's events with field-level changes, if the actor may see the lead now.
func (h *Service) History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	if _, err := h.visibleAny(ctx, a, id); err != nil {
		return nil, err
	}
	return h.repo.History(ctx, id, (*lead.Lead).Snapshot)
}

// AsOf returns the lead as it was at a time (its snapshot), if the actor may see the lead now.
func (h *Service) AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
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
func (h *Service) visibleAny(ctx context.Context, a access.Actor, id uuid.UUID) (*lead.Lead, error) {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := h.sees(ctx, a, l.Root)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, commands.ErrNotFound
	}
	return l.Root, nil
}

// Conversion finds a converted lead's conversion event: what it promised, the id of the event
// (the causation of the records created from it) and the lead as it is now.
func (h *Service) Conversion(ctx context.Context, id uuid.UUID) (lead.Converted, uuid.UUID, *lead.Lead, error) {
	stored, decoded, err := h.repo.Events(ctx, id)
	if err != nil {
		return lead.Converted{}, uuid.Nil, nil, err
	}
	var conv lead.Converted
	var cause uuid.UUID
	for i, d := range decoded {
		if c, ok := d.(lead.Converted); ok {
			conv, cause = c, stored[i].ID
		}
	}
	if conv.CustomerID == "" {
		return lead.Converted{}, uuid.Nil, nil, errors.New("lead is not converted")
	}
	l, err := lead.Rehydrate(id, decoded)
	return conv, cause, l, err
}
