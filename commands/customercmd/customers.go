// Package customercmd holds the customer module's commands: customers (enter, edit, assign,
// claim from and release to the pool, lock, merge, delete, import, automatic return to the pool)
// and their contacts, whose rules are the customer's.
package customercmd

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
)

// Claim-limit errors of the customer pool.
var (
	ErrCustomerClaimLimit = errors.New("you already own as many customers as the pool rules allow")
	ErrDailyClaimLimit    = errors.New("you have claimed as many customers today as the pool rules allow")
	ErrReclaimCooldown    = errors.New("you released this customer recently; the pool rules make you wait before claiming it again")
)

// Directory is what customer commands read from the read models.
type Directory interface {
	access.Directory
	CustomerPool(ctx context.Context) (settings.CustomerPool, error)
	CustomerFields(ctx context.Context) ([]customer.CustomField, error)
	// OwnedCustomers counts the customers a user owns, leaving out the given ones.
	OwnedCustomers(ctx context.Context, owner uuid.UUID, except []uuid.UUID) (int64, error)
	// CustomersAppliedUntil is when the last event the customer read model applied occurred.
	CustomersAppliedUntil(ctx context.Context) (time.Time, error)
	// CustomerClaimsSince counts the customers a user claimed since a time.
	CustomerClaimsSince(ctx context.Context, user uuid.UUID, since time.Time) (int64, error)
	// ContactsOf lists the contacts of a customer.
	ContactsOf(ctx context.Context, customerID uuid.UUID) ([]uuid.UUID, error)
	// CustomersToCheck lists owned, unlocked customers the pool rules may return.
	CustomersToCheck(ctx context.Context, after uuid.UUID, limit int) ([]uuid.UUID, error)
}

// NameTakenError: another live customer has the same normalised name.
type NameTakenError struct{ CustomerID uuid.UUID }

func (e *NameTakenError) Error() string {
	return "customer " + e.CustomerID.String() + " has the same name"
}

// customerNameNS namespaces the streams that reserve normalised customer names.
var customerNameNS = uuid.MustParse("3c0e7b52-81a4-4f0d-b6d2-5e9a4c1f7d20")

// Service handles the customer commands.
type Service struct {
	repo  *commands.Repository[*customer.Customer]
	names commands.Reservations
	clock commands.Clock
	dir   Directory
	rules access.Rules
	// contacts is the contact repository, for merges (which move the source's contacts).
	contacts *commands.Repository[*contact.Contact]
	claims   commands.ClaimLedger
	dict     commands.Dictionary
}

// New refuses nil dependencies.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, dir Directory) *Service {
	if dir == nil {
		panic("customercmd: New without a directory")
	}
	h := &Service{repo: commands.NewRepository(store, registry, clock, customer.Stream, customer.Rehydrate), clock: clock, dir: dir,
		rules:    access.Rules{Org: dir, Read: role.CustomersRead, Pool: role.CustomersPool, Assign: role.CustomersAssign},
		contacts: commands.NewRepository(store, registry, clock, contact.Stream, contact.Rehydrate)}
	// A name is held by a customer while it exists, is not merged away and still has that name.
	h.names = commands.Reservations{Store: store, Registry: registry, Clock: clock, Kind: commands.CustomerNameKind, NS: customerNameNS,
		Holds: func(ctx context.Context, id uuid.UUID, key string) (bool, bool, error) {
			l, err := h.repo.Load(ctx, id)
			if errors.Is(err, commands.ErrNotFound) {
				return false, false, nil
			}
			if err != nil {
				return false, false, err
			}
			c := l.Root
			return !c.Deleted() && c.MergedInto() == "" && customer.NormalizeName(c.Fields().Name) == key, true, nil
		}}
	h.claims = commands.ClaimLedger{Store: store, Registry: registry, Clock: clock, Kind: commands.CustomerClaimsKind, Fate: h.claimFate}
	return h
}

// claimFate reads a customer's stream for the claim ledger: a customer is held while its owner
// has it and it is neither deleted nor merged away (as the read model counts).
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
		c, ok := decoded[version].(customer.Claimed)
		f.Landed = ok && c.By == user.String()
	}
	f.Pending = int64(len(decoded)) == version
	c, err := customer.Rehydrate(id, decoded)
	if err != nil {
		return commands.ClaimFate{}, err
	}
	f.Held = c.Owner() == user && !c.Deleted()
	return f, nil
}

// Create enters a customer.
type Create struct {
	ID      uuid.UUID
	Fields  customer.Fields
	Status  customer.Status
	Pool    bool
	OwnerID uuid.UUID
	// UniqueName refuses (NameTakenError) a name that another customer has, normalised as the
	// duplicate check does; two such creates at the same moment can not both succeed.
	UniqueName bool
}

// Create enters a customer owned by the actor (or OwnerID, for those who assign), or into the pool.
func (h *Service) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	m.Command = commands.CustomerCreate
	if !m.Actor.Can(role.CustomersCreate) {
		return commands.Result{}, commands.ErrForbidden
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	owner, err := h.rules.NewOwner(ctx, m.Actor, c.Pool, c.OwnerID)
	if err != nil {
		return commands.Result{}, err
	}
	if err := resolveFields(ctx, &commands.Lists{Dict: h.dict}, &c.Fields); err != nil {
		return commands.Result{}, err
	}
	cu, err := customer.New(c.ID, c.Fields, c.Status, owner, "", m.Actor.ID, h.clock())
	if err := errors.Join(err, h.checkCustom(ctx, c.Fields.Custom)); err != nil {
		return commands.Result{}, err
	}
	if key := customer.NormalizeName(c.Fields.Name); c.UniqueName && key != "" {
		holder, err := h.names.Reserve(ctx, m, key, c.ID)
		if err != nil {
			return commands.Result{}, err
		}
		if holder != uuid.Nil {
			return commands.Result{}, &NameTakenError{CustomerID: holder}
		}
	}
	return h.repo.CreateOrMatch(ctx, m, c.ID, cu, func(existing, proposed event.Event) bool {
		a, ok1 := existing.(customer.Created)
		b, ok2 := proposed.(customer.Created)
		return ok1 && ok2 && a.OwnerID == b.OwnerID && a.By == b.By && a.Status == b.Status && reflect.DeepEqual(a.Fields, b.Fields)
	})
}

// Edit runs a behaviour on a customer the actor may change (see access.Rules.MayChange);
// processes (follow-ups) decide on a customer through it.
func (h *Service) Edit(ctx context.Context, m commands.Meta, id uuid.UUID, permission string, change func(*customer.Customer) error) (commands.Result, error) {
	return h.repo.Update(ctx, m, id, func(c *customer.Customer) error {
		if err := h.rules.MayChange(ctx, m.Actor, c.Owner(), c.Deleted(), permission); err != nil {
			return err
		}
		return change(c)
	})
}

// Update changes fields or the status.
func (h *Service) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p customer.Patch) (commands.Result, error) {
	m.Command = commands.CustomerUpdate
	return h.Edit(ctx, m, id, role.CustomersUpdate, func(c *customer.Customer) error {
		p := p
		if err := resolvePatch(ctx, &commands.Lists{Dict: h.dict}, c.Fields(), &p); err != nil {
			return err
		}
		if len(p.Custom) > 0 {
			merged := map[string]any{}
			for k, v := range c.Fields().Custom {
				merged[k] = v
			}
			for k, v := range p.Custom {
				if v == nil {
					delete(merged, k)
				} else {
					merged[k] = v
				}
			}
			if err := h.checkCustom(ctx, merged); err != nil {
				return err
			}
		}
		return c.Update(p, m.Actor.ID, h.clock())
	})
}

// checkCustom validates custom field values against the definitions in force.
func (h *Service) checkCustom(ctx context.Context, values map[string]any) error {
	defs, err := h.dir.CustomerFields(ctx)
	if err != nil {
		return err
	}
	return customer.ValidateCustom(defs, values)
}

// Assign gives a customer to an active user inside the actor's scope.
func (h *Service) Assign(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error) {
	m.Command = commands.CustomerAssign
	return h.Edit(ctx, m, id, role.CustomersAssign, func(c *customer.Customer) error {
		if err := h.rules.Assignable(ctx, m.Actor, to); err != nil {
			return err
		}
		return c.Assign(to, m.Actor.ID, h.clock())
	})
}

// Release puts a customer back into the pool (never a locked one).
func (h *Service) Release(ctx context.Context, m commands.Meta, id uuid.UUID, reason string) (commands.Result, error) {
	m.Command = commands.CustomerRelease
	return h.Edit(ctx, m, id, role.CustomersRelease, func(c *customer.Customer) error { return c.Release(reason, m.Actor.ID, h.clock()) })
}

// SetLocked locks (never returns to the pool) or unlocks a customer.
func (h *Service) SetLocked(ctx context.Context, m commands.Meta, id uuid.UUID, locked bool) (commands.Result, error) {
	m.Command = commands.CustomerUnlock
	if locked {
		m.Command = commands.CustomerLock
	}
	return h.Edit(ctx, m, id, role.CustomersLock, func(c *customer.Customer) error {
		if locked {
			return c.Lock(m.Actor.ID, h.clock())
		}
		return c.Unlock(m.Actor.ID, h.clock())
	})
}

// Delete removes a customer from every list; its history stays.
func (h *Service) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.CustomerDelete
	return h.Edit(ctx, m, id, role.CustomersDelete, func(c *customer.Customer) error { return c.Delete(m.Actor.ID, h.clock()) })
}

// Claim takes a pool customer within the pool's limits: owned customers, claims per day, and the
// cool-down before a previous owner may take it back. Concurrent claimers: one wins, the others
// get customer.ErrNotInPool. The cool-down is decided on the customer's stream; the owned and
// daily limits on the claimer's claim ledger (commands.ClaimLedger), so of many claims by one user
// at once no more succeed than the limits allow.
func (h *Service) Claim(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.CustomerClaim
	if !m.Actor.Can(role.CustomersPool) {
		return commands.Result{}, commands.ErrForbidden
	}
	return h.repo.Update(ctx, m, id, func(c *customer.Customer) error {
		if c.Deleted() {
			return commands.ErrNotFound
		}
		if !c.InPool() {
			return customer.ErrNotInPool
		}
		now := h.clock()
		pool, err := h.dir.CustomerPool(ctx)
		if err != nil {
			return err
		}
		if prev, at := c.PreviousOwner(); pool.ReclaimCooldownDays > 0 && prev == m.Actor.ID && now.Before(at.AddDate(0, 0, pool.ReclaimCooldownDays)) {
			return fmt.Errorf("%w (until %s)", ErrReclaimCooldown, at.AddDate(0, 0, pool.ReclaimCooldownDays).Format(time.RFC3339))
		}
		version := c.Version()
		if err := c.Claim(m.Actor.ID, now); err != nil {
			return err
		}
		if pool.MaxOwned <= 0 && pool.MaxClaimsPerDay <= 0 {
			return nil
		}
		y, mo, d := now.Date()
		midnight := time.Date(y, mo, d, 0, 0, 0, 0, now.Location())
		// The read model is corrected by the ledger's entries from shortly before the last event
		// it applied (the claims it may not show yet), and from midnight for the daily limit.
		since := func() (time.Time, error) {
			at, err := h.dir.CustomersAppliedUntil(ctx)
			from := minTime(at, now).Add(-commands.ClaimGrace)
			if pool.MaxClaimsPerDay > 0 {
				from = minTime(from, midnight)
			}
			return from, err
		}
		return h.claims.Decide(ctx, m, m.Actor.ID, id, version, since, func(recent commands.Claims) error {
			if pool.MaxOwned > 0 {
				owned, err := h.dir.OwnedCustomers(ctx, m.Actor.ID, append(recent.Records(), id))
				if err != nil {
					return err
				}
				if owned += recent.Held(); owned >= int64(pool.MaxOwned) {
					return fmt.Errorf("%w (%d of %d)", ErrCustomerClaimLimit, owned, pool.MaxOwned)
				}
			}
			if pool.MaxClaimsPerDay > 0 {
				// The operation log counts today's claims made before the ledger existed; the
				// ledger those it may not show yet.
				n, err := h.dir.CustomerClaimsSince(ctx, m.Actor.ID, midnight)
				if err != nil {
					return err
				}
				if n = max(n, recent.ClaimedSince(midnight)); n >= int64(pool.MaxClaimsPerDay) {
					return fmt.Errorf("%w (%d today)", ErrDailyClaimLimit, n)
				}
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

// History returns the customer's events with field-level changes.
func (h *Service) History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	if err := h.visible(ctx, a, id); err != nil {
		return nil, err
	}
	return h.repo.History(ctx, id, (*customer.Customer).Snapshot)
}

// AsOf returns the customer as it was at a time.
func (h *Service) AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
	if err := h.visible(ctx, a, id); err != nil {
		return nil, err
	}
	c, err := h.repo.AsOf(ctx, id, until)
	if err != nil {
		return nil, err
	}
	return c.Snapshot(), nil
}

func (h *Service) visible(ctx context.Context, a access.Actor, id uuid.UUID) error {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return err
	}
	ok, err := h.rules.Sees(ctx, a, l.Root.Owner())
	if err != nil {
		return err
	}
	if !ok {
		return commands.ErrNotFound
	}
	return nil
}

// ReturnDue applies the pool rules at now: every owned, unlocked customer whose rule is due goes
// back to the pool, as the system actor. It is idempotent (a second run finds them in the pool)
// and returns how many it returned. Only one process should run it at a time (see the scheduler).
func (h *Service) ReturnDue(ctx context.Context, now time.Time) (int, error) {
	pool, err := h.dir.CustomerPool(ctx)
	if err != nil {
		return 0, err
	}
	if pool.Rules.NoFollowUpDays == 0 && pool.Rules.NoDealDays == 0 {
		return 0, nil
	}
	m := commands.Meta{Actor: access.System, Command: commands.CustomerReturnToPool, RequestID: "pool-rules-" + now.UTC().Format("20060102T150405"),
		CorrelationID: uuid.NewString()}
	returned := 0
	after := uuid.Nil
	for {
		ids, err := h.dir.CustomersToCheck(ctx, after, 500)
		if err != nil {
			return returned, err
		}
		for _, id := range ids {
			after = id
			_, err := h.repo.Update(ctx, m, id, func(c *customer.Customer) error {
				rule, at, due := c.Due(pool.Rules, now)
				if !due {
					return nil
				}
				reason := fmt.Sprintf("pool rule %s: due since %s", rule, at.UTC().Format("2006-01-02"))
				if err := c.Return(rule, reason, access.System.ID, now); err != nil {
					return err
				}
				returned++
				return nil
			})
			if err != nil && !errors.Is(err, customer.ErrAlreadyInPool) && !errors.Is(err, customer.ErrLocked) {
				return returned, fmt.Errorf("return customer %s: %w", id, err)
			}
		}
		if len(ids) < 500 {
			return returned, nil
		}
	}
}

// Adopt appends a customer another process built and decided on (a lead's conversion): no
// create rules run here. An existing stream is commands.ErrAlreadyExists.
func (h *Service) Adopt(ctx context.Context, m commands.Meta, c *customer.Customer) (commands.Result, error) {
	m.Command = commands.CustomerCreate
	return h.repo.Create(ctx, m, c.ID(), c)
}

// SetPrimaryContactIfNone makes contactID the customer's primary contact unless it has one.
func (h *Service) SetPrimaryContactIfNone(ctx context.Context, m commands.Meta, customerID, contactID uuid.UUID) (commands.Result, error) {
	m.Command = commands.CustomerSetPrimaryContact
	return h.repo.Update(ctx, m, customerID, func(c *customer.Customer) error {
		if c.PrimaryContact() != "" {
			return nil
		}
		return c.SetPrimaryContact(contactID, m.Actor.ID, h.clock())
	})
}

// ContactCustomer is the customer of a live contact (commands.ErrNotFound for a deleted one).
func (h *Service) ContactCustomer(ctx context.Context, contactID uuid.UUID) (uuid.UUID, error) {
	c, err := h.contacts.Load(ctx, contactID)
	if err != nil {
		return uuid.Nil, err
	}
	if c.Root.Deleted() {
		return uuid.Nil, commands.ErrNotFound
	}
	return c.Root.Customer(), nil
}

// CustomerVisible is nil when the customer exists, is live and the actor's scope covers it;
// commands.ErrNotFound otherwise (the opportunity module's port).
func (h *Service) CustomerVisible(ctx context.Context, a access.Actor, id uuid.UUID) error {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return err
	}
	if l.Root.Deleted() {
		return commands.ErrNotFound
	}
	ok, err := h.rules.Sees(ctx, a, l.Root.Owner())
	if err != nil {
		return err
	}
	if !ok {
		return commands.ErrNotFound
	}
	return nil
}

// RecordDeal marks the customer of a won opportunity closed-deal and moves its last-deal time,
// as the system actor (the deal process calls it for every opportunity.won event; a replay
// records nothing). A customer merged into another records the deal on the survivor.
func (h *Service) RecordDeal(ctx context.Context, m commands.Meta, customerID, opportunityID, wonEvent uuid.UUID, amount, date string, wonAt time.Time) (commands.Result, error) {
	m.Command = commands.CustomerRecordDeal
	for hops := 0; ; hops++ {
		var into string
		res, err := h.repo.Update(ctx, m, customerID, func(c *customer.Customer) error {
			if into = c.MergedInto(); into != "" {
				return nil
			}
			return c.RecordDeal(opportunityID, wonEvent, amount, date, wonAt, m.Actor.ID, h.clock())
		})
		if err != nil || into == "" || hops > 10 {
			return res, err
		}
		customerID, err = uuid.Parse(into)
		if err != nil {
			return res, err
		}
	}
}

// RecordWonDeal is RecordDeal for the deal process: the system actor, caused by the
// opportunity.won event. A customer that no longer exists has nothing to record.
func (h *Service) RecordWonDeal(ctx context.Context, cause eventstore.Event, customerID, opportunityID uuid.UUID, amount, date string) error {
	m := commands.Meta{Actor: access.System, RequestID: "record-deal", CorrelationID: opportunityID.String(), CausationID: cause.ID.String()}
	_, err := h.RecordDeal(ctx, m, customerID, opportunityID, cause.ID, amount, date, cause.OccurredAt)
	if errors.Is(err, commands.ErrNotFound) {
		return nil
	}
	return err
}
