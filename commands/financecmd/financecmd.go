// Package financecmd holds the finance module's commands: a contract's receivable plan, its
// receipts (drafted, submitted to the receipt flow, decided, withdrawn, reversed), the overdue
// job, the month close, suppliers, and payables with their payment vouchers (through the
// payment flow, like receipts).
package financecmd

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/approvalcmd"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Contracts is what finance reads of the contract module.
type Contracts interface {
	// Terms of a live contract, whoever asks (commands.ErrNotFound: none, or deleted).
	Terms(ctx context.Context, id uuid.UUID) (finance.Terms, error)
}

// Deps are the service's ports.
type Deps struct {
	Org        access.Directory
	Contracts  Contracts
	Dictionary commands.Dictionary
	Approvals  *approvalcmd.Service
	// Opportunities a payable may name; Payables answers whether a supplier has open payables.
	Opportunities Opportunities
	Payables      Payables
	// Zone is the installation's time zone: what "today" is for the month close and the
	// overdue job.
	Zone func(ctx context.Context) *time.Location
}

// Service handles the finance commands.
type Service struct {
	ledgers   *commands.Repository[*finance.Ledger]
	calendar  *commands.Repository[*finance.Calendar]
	suppliers *commands.Repository[*finance.Supplier]
	payables  *commands.Repository[*finance.Payable]
	names     commands.Reservations
	store     eventstore.Store
	registry  *event.Registry
	clock     commands.Clock
	deps      Deps
	rules     access.Rules
}

// New refuses missing ports.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, d Deps) *Service {
	if d.Org == nil || d.Contracts == nil || d.Dictionary == nil || d.Approvals == nil || d.Opportunities == nil || d.Payables == nil {
		panic("financecmd: New without its ports")
	}
	if d.Zone == nil {
		d.Zone = func(context.Context) *time.Location { return time.UTC }
	}
	s := &Service{
		ledgers:   commands.NewRepository(store, registry, clock, finance.LedgerStream, finance.RehydrateLedger),
		calendar:  commands.NewRepository(store, registry, clock, finance.CalendarStream, finance.RehydrateCalendar),
		suppliers: commands.NewRepository(store, registry, clock, finance.SupplierStream, finance.RehydrateSupplier),
		payables:  commands.NewRepository(store, registry, clock, finance.PayableStream, finance.RehydratePayable),
		store:     store, registry: registry, clock: clock, deps: d,
		rules: access.Rules{Org: d.Org, Read: role.FinanceRead},
	}
	s.initPayables()
	return s
}

// ErrUnknownContract: no such contract in the actor's scope.
var ErrUnknownContract = &field.Error{Field: "contractId", Message: "no such contract in your data scope", Code: "unknown_contract"}

// terms reads the contract for an actor who must see it (its owner in their finance scope, or
// routed one of its receipts).
func (s *Service) terms(ctx context.Context, a access.Actor, id uuid.UUID, l *finance.Ledger) (finance.Terms, error) {
	t, err := s.deps.Contracts.Terms(ctx, id)
	if errors.Is(err, commands.ErrNotFound) {
		return t, commands.ErrNotFound
	}
	if err != nil {
		return t, err
	}
	if l != nil && slices.Contains(l.Approvers(), a.ID.String()) {
		return t, nil
	}
	ok, err := s.rules.Sees(ctx, a, t.Owner)
	if err != nil {
		return t, err
	}
	if !ok {
		return t, commands.ErrNotFound
	}
	return t, nil
}

// Months is the calendar in force.
func (s *Service) Months(ctx context.Context) (*finance.Calendar, error) {
	l, err := s.calendar.Load(ctx, finance.CalendarID)
	if errors.Is(err, commands.ErrNotFound) {
		return finance.NewCalendar(), nil
	}
	if err != nil {
		return nil, err
	}
	return l.Root, nil
}

// decide runs a behaviour on a contract's ledger (created by its first event) for an actor who
// sees the contract and holds the permission ("" : none needed, the behaviour decides).
func (s *Service) decide(ctx context.Context, m commands.Meta, contractID uuid.UUID, permission string, do func(*finance.Ledger, finance.Terms, *finance.Calendar) error) (commands.Result, error) {
	if permission != "" && !m.Actor.Can(permission) {
		return commands.Result{}, commands.ErrForbidden
	}
	cal, err := s.Months(ctx)
	if err != nil {
		return commands.Result{}, err
	}
	return s.ledgers.UpdateOrCreate(ctx, m, contractID, func() *finance.Ledger { return finance.NewLedger(contractID) }, func(l *finance.Ledger) error {
		t, err := s.terms(ctx, m.Actor, contractID, l)
		if err != nil {
			return err
		}
		return do(l, t, cal)
	})
}

// SetPlan replaces a contract's plan of installments.
func (s *Service) SetPlan(ctx context.Context, m commands.Meta, contractID uuid.UUID, items []finance.PlanItem) (commands.Result, error) {
	m.Command = commands.FinancePlan
	return s.decide(ctx, m, contractID, role.FinanceRecord, func(l *finance.Ledger, t finance.Terms, _ *finance.Calendar) error {
		return l.SetPlan(t, items, m.Actor.ID, s.clock())
	})
}

// receiptFields resolves the method against the dictionary and defaults the owner to the actor;
// an owner given must be an active user in the actor's scope.
func (s *Service) receiptFields(ctx context.Context, a access.Actor, f finance.ReceiptFields) (finance.ReceiptFields, error) {
	dict := commands.Lists{Dict: s.deps.Dictionary}
	if err := dict.Resolve(ctx, commands.Coded{Field: "method", Kind: dictionary.PaymentMethod, Value: &f.Method}); err != nil {
		return f, err
	}
	if f.OwnerID == "" {
		f.OwnerID = a.ID.String()
		return f, nil
	}
	id, err := uuid.Parse(f.OwnerID)
	if err != nil {
		return f, field.Errorf("ownerId", "is not an id: %q", f.OwnerID)
	}
	p, ok, err := s.deps.Org.Placement(ctx, id)
	if err != nil {
		return f, err
	}
	if !ok || !a.Covers(id, p) {
		return f, &field.Error{Field: "ownerId", Message: "is not an active user in your data scope", Code: "unknown_user"}
	}
	f.OwnerID = id.String()
	return f, nil
}

// DraftReceipt records a receipt against an approved contract.
func (s *Service) DraftReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, f finance.ReceiptFields) (commands.Result, error) {
	m.Command = commands.FinanceReceiptDraft
	if id == uuid.Nil {
		id = uuid.Must(uuid.NewV7())
	}
	if !m.Actor.Can(role.FinanceRecord) {
		return commands.Result{}, commands.ErrForbidden
	}
	f, err := s.receiptFields(ctx, m.Actor, f)
	if err != nil {
		return commands.Result{}, err
	}
	res, err := s.decide(ctx, m, contractID, role.FinanceRecord, func(l *finance.Ledger, t finance.Terms, cal *finance.Calendar) error {
		if r, err := l.Receipt(id); err == nil {
			if r.CreatedBy == m.Actor.ID.String() && r.Fields.Amount == f.Amount && r.Fields.Date == f.Date {
				return nil // a retried draft: the same id by the same actor
			}
			return commands.ErrAlreadyExists
		}
		return l.DraftReceipt(t, id, f, cal, m.Actor.ID, s.clock())
	})
	res.ID = id
	return res, err
}

// UpdateReceipt replaces a draft receipt's fields.
func (s *Service) UpdateReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, f finance.ReceiptFields) (commands.Result, error) {
	m.Command = commands.FinanceReceiptUpdate
	if !m.Actor.Can(role.FinanceRecord) {
		return commands.Result{}, commands.ErrForbidden
	}
	f, err := s.receiptFields(ctx, m.Actor, f)
	if err != nil {
		return commands.Result{}, err
	}
	return s.decide(ctx, m, contractID, role.FinanceRecord, func(l *finance.Ledger, t finance.Terms, cal *finance.Calendar) error {
		return l.UpdateReceipt(t, id, f, cal, m.Actor.ID, s.clock())
	})
}

// DeleteReceipt removes a draft receipt.
func (s *Service) DeleteReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.FinanceReceiptDelete
	return s.decide(ctx, m, contractID, role.FinanceRecord, func(l *finance.Ledger, _ finance.Terms, _ *finance.Calendar) error {
		return l.DeleteReceipt(id, m.Actor.ID, s.clock())
	})
}

// SubmitReceipt sends a draft receipt to the receipt flow (confirmation by finance).
func (s *Service) SubmitReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, comment string) (commands.Result, error) {
	m.Command = commands.FinanceReceiptSubmit
	return s.decide(ctx, m, contractID, role.FinanceRecord, func(l *finance.Ledger, t finance.Terms, cal *finance.Calendar) error {
		route := func(amount money.Amount) ([]approval.Step, error) {
			return s.deps.Approvals.Route(ctx, approval.KindReceipt, m.Actor.ID, amount)
		}
		return l.SubmitReceipt(t, id, route, cal, comment, m.Actor.ID, s.clock())
	})
}

// DecideReceipt approves (the last step confirms) or rejects the waiting step: its approvers,
// whatever their scope.
func (s *Service) DecideReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, approve bool, comment string) (commands.Result, error) {
	m.Command = commands.FinanceReceiptReject
	if approve {
		m.Command = commands.FinanceReceiptConfirm
	}
	return s.decide(ctx, m, contractID, "", func(l *finance.Ledger, _ finance.Terms, cal *finance.Calendar) error {
		return l.DecideReceipt(id, approve, comment, cal, m.Actor.ID, s.clock())
	})
}

// WithdrawReceipt takes a waiting receipt back (its submitter).
func (s *Service) WithdrawReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.FinanceReceiptWithdraw
	return s.decide(ctx, m, contractID, "", func(l *finance.Ledger, _ finance.Terms, _ *finance.Calendar) error {
		return l.WithdrawReceipt(id, m.Actor.ID, s.clock())
	})
}

// ReverseReceipt cancels a confirmed receipt by a reversing entry.
func (s *Service) ReverseReceipt(ctx context.Context, m commands.Meta, contractID, id uuid.UUID, reason, date string) (commands.Result, error) {
	m.Command = commands.FinanceReceiptReverse
	return s.decide(ctx, m, contractID, role.FinanceReverse, func(l *finance.Ledger, _ finance.Terms, cal *finance.Calendar) error {
		if date == "" {
			date = s.today(ctx)
		}
		return l.ReverseReceipt(id, reason, date, cal, m.Actor.ID, s.clock())
	})
}

func (s *Service) today(ctx context.Context) string {
	return s.clock().In(s.deps.Zone(ctx)).Format(time.DateOnly)
}

// MarkOverdue records a contract's overdue installments as of today, as the system actor
// (idempotent: a second run records nothing).
func (s *Service) MarkOverdue(ctx context.Context, contractID uuid.UUID) (commands.Result, error) {
	m := commands.Meta{Actor: access.System, Command: commands.FinanceMarkOverdue, RequestID: "overdue-job", CorrelationID: uuid.NewString()}
	asOf := s.today(ctx)
	res, err := s.ledgers.Update(ctx, m, contractID, func(l *finance.Ledger) error {
		return l.MarkOverdue(asOf, access.System.ID, s.clock())
	})
	if errors.Is(err, commands.ErrNotFound) {
		return res, nil
	}
	return res, err
}

// Ledger is a contract's ledger, if the actor may read it (an empty one before any event).
func (s *Service) Ledger(ctx context.Context, a access.Actor, contractID uuid.UUID) (*finance.Ledger, error) {
	l, _, err := s.Receivables(ctx, a, contractID)
	return l, err
}

// Receivables is a contract's ledger and the terms it is decided on, if the actor may read it.
func (s *Service) Receivables(ctx context.Context, a access.Actor, contractID uuid.UUID) (*finance.Ledger, finance.Terms, error) {
	l, err := s.ledgers.Load(ctx, contractID)
	root := finance.NewLedger(contractID)
	if err == nil {
		root = l.Root
	} else if !errors.Is(err, commands.ErrNotFound) {
		return nil, finance.Terms{}, err
	}
	t, err := s.terms(ctx, a, contractID, root)
	if err != nil {
		return nil, t, err
	}
	return root, t, nil
}

// History is the ledger's events with field-level changes, if the actor may read it.
func (s *Service) History(ctx context.Context, a access.Actor, contractID uuid.UUID) ([]commands.Change, error) {
	if _, err := s.Ledger(ctx, a, contractID); err != nil {
		return nil, err
	}
	h, err := s.ledgers.History(ctx, contractID, (*finance.Ledger).Snapshot)
	if errors.Is(err, commands.ErrNotFound) {
		return []commands.Change{}, nil
	}
	return h, err
}

// CloseMonth closes a month that has ended (finance.close).
func (s *Service) CloseMonth(ctx context.Context, m commands.Meta, month string) (commands.Result, error) {
	m.Command = commands.FinanceCloseMonth
	if !m.Actor.Can(role.FinanceClose) {
		return commands.Result{}, commands.ErrForbidden
	}
	today := s.today(ctx)
	return s.calendar.UpdateOrCreate(ctx, m, finance.CalendarID, finance.NewCalendar, func(c *finance.Calendar) error {
		return c.Close(month, today, m.Actor.ID, s.clock())
	})
}

// ReopenMonth reopens a closed month (administrators: settings.manage), with a reason.
func (s *Service) ReopenMonth(ctx context.Context, m commands.Meta, month, reason string) (commands.Result, error) {
	m.Command = commands.FinanceReopenMonth
	if !m.Actor.Can(role.SettingsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	return s.calendar.UpdateOrCreate(ctx, m, finance.CalendarID, finance.NewCalendar, func(c *finance.Calendar) error {
		return c.Reopen(month, reason, m.Actor.ID, s.clock())
	})
}
