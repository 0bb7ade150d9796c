// Package contractcmd holds the contract module's commands: drafting (from a won opportunity or
// entered), editing drafts, submitting to approval, deciding, withdrawing, amending, executing,
// completing, terminating, and the numbering pattern.
package contractcmd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/approvalcmd"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Customers is what contracts need of the customer module.
type Customers interface {
	// CustomerVisible is nil when the customer exists, is not deleted and the actor's scope
	// covers it; commands.ErrNotFound otherwise.
	CustomerVisible(ctx context.Context, a access.Actor, id uuid.UUID) error
	// ContactCustomer is the customer a live contact belongs to (commands.ErrNotFound: none).
	ContactCustomer(ctx context.Context, contactID uuid.UUID) (uuid.UUID, error)
}

// WonDeal is what a contract copies from the opportunity it is made from.
type WonDeal struct {
	CustomerID uuid.UUID
	Won        bool
	Amount     string // the won amount
	Lines      []lineitem.Line
}

// Opportunities reads an opportunity the actor may read (commands.ErrNotFound otherwise).
type Opportunities interface {
	Deal(ctx context.Context, a access.Actor, id uuid.UUID) (WonDeal, error)
}

// Deps are the service's ports.
type Deps struct {
	Org           access.Directory
	Customers     Customers
	Opportunities Opportunities
	Products      commands.Products // nil: line items carry their unit price
	Dictionary    commands.Dictionary
	Approvals     *approvalcmd.Service
	// Zone is the installation's time zone for the dates in generated numbers.
	Zone func(ctx context.Context) *time.Location
}

// numberNS namespaces the streams that reserve contract numbers.
var numberNS = uuid.MustParse("6b1f0e4d-2a7c-5e39-8d40-3c5a7b9e1f02")

// Service handles the contract commands.
type Service struct {
	repo      *commands.Repository[*contract.Contract]
	numbering *commands.Repository[*contract.Numbering]
	numbers   commands.Reservations
	clock     commands.Clock
	deps      Deps
	rules     access.Rules
}

// New refuses missing ports.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, d Deps) *Service {
	if d.Org == nil || d.Customers == nil || d.Opportunities == nil || d.Dictionary == nil || d.Approvals == nil {
		panic("contractcmd: New without its ports")
	}
	if d.Zone == nil {
		d.Zone = func(context.Context) *time.Location { return time.UTC }
	}
	s := &Service{
		repo:      commands.NewRepository(store, registry, clock, contract.Stream, contract.Rehydrate),
		numbering: commands.NewRepository(store, registry, clock, contract.NumberingStream, contract.RehydrateNumbering),
		clock:     clock, deps: d,
		rules: access.Rules{Org: d.Org, Read: role.ContractsRead, Assign: role.ContractsUpdate},
	}
	// A number is held by a contract while it exists and is not deleted: a deleted draft's
	// number may be used again.
	s.numbers = commands.Reservations{Store: store, Registry: registry, Clock: clock, Kind: commands.ContractNumberKind, NS: numberNS,
		Holds: func(ctx context.Context, id uuid.UUID, key string) (bool, bool, error) {
			l, err := s.repo.Load(ctx, id)
			if errors.Is(err, commands.ErrNotFound) {
				return false, false, nil
			}
			if err != nil {
				return false, false, err
			}
			return !l.Root.Deleted() && contract.NumberKey(l.Root.Number()) == key, true, nil
		}}
	return s
}

// ErrDuplicateNumber: another contract holds the number (case-insensitively).
var ErrDuplicateNumber = errors.New("another contract has this number")

// maxNumberingConflicts bounds how often one create retries the numbering stream after another
// writer got there first (each retry already retried a few times in the repository).
const maxNumberingConflicts = 100

// newNumbering is the numbering before any event (the default pattern, nothing issued).
func newNumbering() *contract.Numbering {
	n, _ := contract.RehydrateNumbering(contract.NumberingID, nil)
	return n
}

// DuplicateNumberError: another contract holds the number.
type DuplicateNumberError struct {
	Number   string
	HolderID uuid.UUID
}

func (e *DuplicateNumberError) Error() string {
	return fmt.Sprintf("%s: %q is the number of contract %s", ErrDuplicateNumber, e.Number, e.HolderID)
}

func (e *DuplicateNumberError) Unwrap() error { return ErrDuplicateNumber }

// ErrOpportunityNotWon: a contract is made from a won opportunity only.
var ErrOpportunityNotWon = &field.Error{Field: "opportunityId", Message: "the opportunity is not won", Code: "opportunity_not_won"}

// Create is a contract to draft.
type Create struct {
	ID      uuid.UUID
	Number  string // "": generated from the pattern
	Fields  contract.Fields
	Lines   []lineitem.Input
	OwnerID uuid.UUID // uuid.Nil: the actor
}

// Create drafts a contract for a customer in the actor's scope.
func (s *Service) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	m.Command = commands.ContractCreate
	if !m.Actor.Can(role.ContractsCreate) {
		return commands.Result{}, commands.ErrForbidden
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	if existing, err := s.repo.Load(ctx, c.ID); err == nil {
		if !existing.Root.Deleted() && existing.Root.Owner() == m.Actor.ID && existing.Root.Fields().Name == c.Fields.Name {
			// a retried create: the same id drafted by the same actor
			return commands.Result{ID: c.ID, Version: existing.Root.Version(), Position: existing.Position}, nil
		}
		return commands.Result{}, commands.ErrAlreadyExists
	} else if !errors.Is(err, commands.ErrNotFound) {
		return commands.Result{}, err
	}
	owner, err := s.rules.NewOwner(ctx, m.Actor, false, c.OwnerID)
	if err != nil {
		return commands.Result{}, err
	}
	if c.Fields.OpportunityID != "" {
		if err := s.fromOpportunity(ctx, m.Actor, &c); err != nil {
			return commands.Result{}, err
		}
	}
	lines, err := commands.PriceLines(ctx, s.deps.Products, c.Lines)
	if err != nil {
		return commands.Result{}, err
	}
	if err := s.resolveType(ctx, &c.Fields.Type); err != nil {
		return commands.Result{}, err
	}
	// Check everything but the number before a number is issued or reserved.
	number := c.Number
	if number == "" {
		number = "—"
	}
	draft, err := contract.New(c.ID, number, c.Fields, lines, owner, m.Actor.ID, s.clock())
	if err != nil {
		return commands.Result{}, err
	}
	if err := s.references(ctx, m.Actor, contract.Fields{}, draft.Fields()); err != nil {
		return commands.Result{}, err
	}
	if c.Number == "" {
		if number, err = s.issue(ctx, m, c.ID); err != nil {
			return commands.Result{}, err
		}
	} else {
		number = draft.Number()
		holder, err := s.numbers.Reserve(ctx, m, contract.NumberKey(number), c.ID)
		if err != nil {
			return commands.Result{}, err
		}
		if holder != uuid.Nil {
			return commands.Result{}, &DuplicateNumberError{Number: number, HolderID: holder}
		}
	}
	draft, err = contract.New(c.ID, number, c.Fields, lines, owner, m.Actor.ID, s.clock())
	if err != nil {
		return commands.Result{}, err
	}
	return s.repo.CreateOrMatch(ctx, m, c.ID, draft, commands.SameCreation[contract.Created])
}

// issue gives the contract the next number of the pattern and reserves it; a number someone
// entered by hand is passed over.
func (s *Service) issue(ctx context.Context, m commands.Meta, id uuid.UUID) (string, error) {
	day := s.clock().In(s.deps.Zone(ctx))
	um := m
	um.IfMatch, um.Command = nil, commands.ContractCreate
	// Every generated number is decided on the one numbering stream: creates at the same moment
	// conflict there and try again (after a short random pause, so they do not collide again in
	// step) rather than fail — the repository's own few retries are not enough for a burst.
	taken := 0
	for conflicts := 0; taken < 20; {
		var number string
		_, err := s.numbering.UpdateOrCreate(ctx, um, contract.NumberingID, newNumbering, func(n *contract.Numbering) error {
			var err error
			number, err = n.Issue(day, nil, m.Actor.ID, s.clock())
			return err
		})
		if errors.Is(err, eventstore.ErrConcurrency) && conflicts < maxNumberingConflicts {
			conflicts++
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(time.Duration(1+rand.IntN(5*min(conflicts, 10))) * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return "", err
		}
		holder, err := s.numbers.Reserve(ctx, m, contract.NumberKey(number), id)
		if err != nil {
			return "", err
		}
		if holder == uuid.Nil {
			return number, nil
		}
		taken++
	}
	return "", &field.Error{Field: "number", Message: "twenty generated numbers in a row are taken; enter one", Code: "duplicate_number"}
}

// fromOpportunity: the opportunity must be won and readable; the contract takes its customer and,
// unless lines are sent, its lines and won amount.
func (s *Service) fromOpportunity(ctx context.Context, a access.Actor, c *Create) error {
	id, err := uuid.Parse(c.Fields.OpportunityID)
	if err != nil {
		return field.Errorf("opportunityId", "is not an id: %q", c.Fields.OpportunityID)
	}
	deal, err := s.deps.Opportunities.Deal(ctx, a, id)
	if errors.Is(err, commands.ErrNotFound) {
		return &field.Error{Field: "opportunityId", Message: "no such opportunity in your data scope", Code: "unknown_opportunity"}
	}
	if err != nil {
		return err
	}
	if !deal.Won {
		return ErrOpportunityNotWon
	}
	switch c.Fields.CustomerID {
	case "":
		c.Fields.CustomerID = deal.CustomerID.String()
	default:
		if cid, err := uuid.Parse(c.Fields.CustomerID); err == nil && cid != deal.CustomerID {
			return &field.Error{Field: "customerId", Message: "is not the opportunity's customer", Code: "customer_mismatch"}
		}
	}
	if len(c.Lines) == 0 && len(deal.Lines) > 0 {
		for _, l := range deal.Lines {
			c.Lines = append(c.Lines, lineitem.Input{ProductID: l.ProductID, ProductName: l.ProductName, Quantity: l.Quantity,
				UnitPrice: l.UnitPrice, Discount: l.Discount, Remark: l.Remark})
		}
		c.Fields.Amount = ""
	} else if len(c.Lines) == 0 && c.Fields.Amount == "" {
		c.Fields.Amount = deal.Amount
	}
	return nil
}

func (s *Service) resolveType(ctx context.Context, v *string) error {
	dict := commands.Lists{Dict: s.deps.Dictionary}
	return dict.Resolve(ctx, commands.Coded{Field: "type", Kind: dictionary.ContractType, Value: v})
}

// references checks what changed between two versions of the fields: the customer is in the
// actor's scope, the customer signatory is its contact, our signatory an active user.
func (s *Service) references(ctx context.Context, a access.Actor, before, after contract.Fields) error {
	var errs []error
	cust, _ := uuid.Parse(after.CustomerID)
	if after.CustomerID != before.CustomerID {
		if err := s.deps.Customers.CustomerVisible(ctx, a, cust); errors.Is(err, commands.ErrNotFound) {
			errs = append(errs, &field.Error{Field: "customerId", Message: "no such customer in your data scope", Code: "unknown_customer"})
		} else if err != nil {
			return err
		}
	}
	if after.CustomerSignatoryID != "" && (after.CustomerSignatoryID != before.CustomerSignatoryID || after.CustomerID != before.CustomerID) {
		id, _ := uuid.Parse(after.CustomerSignatoryID)
		owner, err := s.deps.Customers.ContactCustomer(ctx, id)
		if err != nil && !errors.Is(err, commands.ErrNotFound) {
			return err
		}
		if err != nil || owner != cust {
			errs = append(errs, &field.Error{Field: "customerSignatoryId", Message: "is not a contact of the customer", Code: "unknown_contact"})
		}
	}
	if after.OurSignatoryID != "" && after.OurSignatoryID != before.OurSignatoryID {
		id, _ := uuid.Parse(after.OurSignatoryID)
		if _, ok, err := s.deps.Org.Placement(ctx, id); err != nil {
			return err
		} else if !ok {
			errs = append(errs, &field.Error{Field: "ourSignatoryId", Message: "is not an active user", Code: "unknown_user"})
		}
	}
	return errors.Join(errs...)
}

// Load returns a contract the actor may read: its owner is in the actor's scope, or the actor
// was routed one of its approvals.
func (s *Service) Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*contract.Contract], error) {
	l, err := s.repo.Load(ctx, id)
	if err != nil {
		return l, err
	}
	if l.Root.Deleted() {
		return l, commands.ErrNotFound
	}
	if slices.Contains(l.Root.Approvers(), a.ID.String()) {
		return l, nil
	}
	ok, err := s.rules.Sees(ctx, a, l.Root.Owner())
	if err != nil {
		return l, err
	}
	if !ok {
		return l, commands.ErrNotFound
	}
	return l, nil
}

// edit runs a behaviour on a contract whose owner is in the actor's scope, with the permission.
func (s *Service) edit(ctx context.Context, m commands.Meta, id uuid.UUID, permission string, change func(*contract.Contract) error) (commands.Result, error) {
	return s.repo.Update(ctx, m, id, func(c *contract.Contract) error {
		if err := s.rules.MayChange(ctx, m.Actor, c.Owner(), c.Deleted(), permission); err != nil {
			return err
		}
		return change(c)
	})
}

// Update edits a draft.
func (s *Service) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p contract.Patch) (commands.Result, error) {
	m.Command = commands.ContractUpdate
	p, err := s.patch(ctx, p)
	if err != nil {
		return commands.Result{}, err
	}
	return s.edit(ctx, m, id, role.ContractsUpdate, func(c *contract.Contract) error {
		before := c.Fields()
		if err := c.Update(p, m.Actor.ID, s.clock()); err != nil {
			return err
		}
		return s.references(ctx, m.Actor, before, c.Fields())
	})
}

// patch resolves a patch's coded type and prices its lines.
func (s *Service) patch(ctx context.Context, p contract.Patch) (contract.Patch, error) {
	if p.Type != nil && *p.Type != "" {
		t := *p.Type
		if err := s.resolveType(ctx, &t); err != nil {
			return p, err
		}
		p.Type = &t
	}
	if p.Lines != nil {
		ls, err := commands.PriceLines(ctx, s.deps.Products, *p.Lines)
		if err != nil {
			return p, err
		}
		p.Lines = &ls
	}
	return p, nil
}

// Delete removes a draft.
func (s *Service) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.ContractDelete
	return s.edit(ctx, m, id, role.ContractsDelete, func(c *contract.Contract) error {
		return c.Delete(m.Actor.ID, s.clock())
	})
}

func (s *Service) route(ctx context.Context, submitter uuid.UUID) contract.Route {
	return func(amount money.Amount) ([]approval.Step, error) {
		return s.deps.Approvals.Route(ctx, approval.KindContract, submitter, amount)
	}
}

// Submit sends a draft to approval.
func (s *Service) Submit(ctx context.Context, m commands.Meta, id uuid.UUID, comment string) (commands.Result, error) {
	m.Command = commands.ContractSubmit
	return s.edit(ctx, m, id, role.ContractsUpdate, func(c *contract.Contract) error {
		return c.Submit(s.route(ctx, m.Actor.ID), comment, m.Actor.ID, s.clock())
	})
}

// Amend proposes a change of an approved or executing contract.
func (s *Service) Amend(ctx context.Context, m commands.Meta, id uuid.UUID, p contract.Patch, reason string) (commands.Result, error) {
	m.Command = commands.ContractAmend
	p, err := s.patch(ctx, p)
	if err != nil {
		return commands.Result{}, err
	}
	return s.edit(ctx, m, id, role.ContractsUpdate, func(c *contract.Contract) error {
		before := c.Fields()
		if err := c.Amend(p, reason, s.route(ctx, m.Actor.ID), m.Actor.ID, s.clock()); err != nil {
			return err
		}
		if a := c.Amendment(); a != nil {
			return s.references(ctx, m.Actor, before, before.WithChange(*a))
		}
		return nil
	})
}

// Decide approves or rejects the waiting step: the step's approvers only, whatever their scope
// (the flow routed the contract to them).
func (s *Service) Decide(ctx context.Context, m commands.Meta, id uuid.UUID, approve bool, comment string) (commands.Result, error) {
	m.Command = commands.ContractReject
	if approve {
		m.Command = commands.ContractApprove
	}
	return s.repo.Update(ctx, m, id, func(c *contract.Contract) error {
		if c.Deleted() {
			return commands.ErrNotFound
		}
		if !slices.Contains(c.Approvers(), m.Actor.ID.String()) {
			if ok, err := s.rules.Sees(ctx, m.Actor, c.Owner()); err != nil {
				return err
			} else if !ok {
				return commands.ErrNotFound
			}
		}
		return c.Decide(approve, comment, m.Actor.ID, s.clock())
	})
}

// Withdraw takes a waiting submission back (its submitter).
func (s *Service) Withdraw(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.ContractWithdraw
	return s.edit(ctx, m, id, role.ContractsRead, func(c *contract.Contract) error {
		return c.Withdraw(m.Actor.ID, s.clock())
	})
}

// Start, Complete and Terminate move an approved contract through execution.
func (s *Service) Start(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.ContractStart
	return s.edit(ctx, m, id, role.ContractsUpdate, func(c *contract.Contract) error { return c.Start(m.Actor.ID, s.clock()) })
}

func (s *Service) Complete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.ContractComplete
	return s.edit(ctx, m, id, role.ContractsUpdate, func(c *contract.Contract) error { return c.Complete(m.Actor.ID, s.clock()) })
}

func (s *Service) Terminate(ctx context.Context, m commands.Meta, id uuid.UUID, reason string) (commands.Result, error) {
	m.Command = commands.ContractTerminate
	return s.edit(ctx, m, id, role.ContractsTerminate, func(c *contract.Contract) error {
		return c.Terminate(reason, m.Actor.ID, s.clock())
	})
}

// History is the contract's events with field-level changes, if the actor may read it.
func (s *Service) History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	return s.repo.History(ctx, id, (*contract.Contract).Snapshot)
}

// AsOf is the contract as it was at a time, if the actor may read it now.
func (s *Service) AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	c, err := s.repo.AsOf(ctx, id, until)
	if err != nil {
		return nil, err
	}
	return c.Snapshot(), nil
}

// Numbering is the pattern in force and the version clients match.
func (s *Service) Numbering(ctx context.Context) (string, int64, error) {
	l, err := s.numbering.Load(ctx, contract.NumberingID)
	if errors.Is(err, commands.ErrNotFound) {
		return contract.DefaultPattern, 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	return l.Root.Pattern(), l.Root.Version(), nil
}

// SetNumbering changes the pattern (settings.manage; If-Match pins the numbering's version).
func (s *Service) SetNumbering(ctx context.Context, m commands.Meta, pattern string) (commands.Result, error) {
	m.Command = commands.ContractNumbering
	if !m.Actor.Can(role.SettingsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	return s.numbering.UpdateOrCreate(ctx, m, contract.NumberingID, newNumbering, func(n *contract.Numbering) error { return n.SetPattern(pattern, m.Actor.ID, s.clock()) })
}
