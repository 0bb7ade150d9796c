package financecmd

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Suppliers and payables. A payable names a supplier that exists and is live, checked here on
// the supplier's own stream when the payable is created or moved to another supplier. Deleting
// a supplier checks for open payables in the read model (the Payables port): a payable created
// a moment before the deletion and not yet projected is not seen, so in that window a
// supplier can be deleted with an open payable. The payable keeps the supplier's id and the
// read model its name; nothing breaks, the directory just no longer lists the supplier.

// Opportunities is what finance reads of the opportunity module.
type Opportunities interface {
	// Exists: a live opportunity (commands.ErrNotFound: none, or deleted).
	Exists(ctx context.Context, id uuid.UUID) error
}

// Payables is what finance reads of its own read model on the command side.
type Payables interface {
	// OpenPayables counts the supplier's payables with something left to pay.
	OpenPayables(ctx context.Context, supplierID uuid.UUID) (int, error)
}

// supplierNS namespaces the streams that reserve supplier names.
var supplierNS = uuid.MustParse("5b7e2c91-3d4a-4f6b-8e1c-a9d0f2b3c4e5")

// ErrDuplicateSupplier: another live supplier has the name (case-insensitively).
var ErrDuplicateSupplier = errors.New("another supplier has this name")

// DuplicateSupplierError names the supplier that holds the name.
type DuplicateSupplierError struct {
	Name     string
	HolderID uuid.UUID
}

func (e *DuplicateSupplierError) Error() string {
	return fmt.Sprintf("%s: %q is the name of supplier %s", ErrDuplicateSupplier, e.Name, e.HolderID)
}

func (e *DuplicateSupplierError) Unwrap() error { return ErrDuplicateSupplier }

// Unknown references of a payable.
var (
	ErrUnknownSupplier    = &field.Error{Field: "supplierId", Message: "no such supplier", Code: "unknown_supplier"}
	ErrUnknownOpportunity = &field.Error{Field: "opportunityId", Message: "no such opportunity", Code: "unknown_opportunity"}
	errUnknownContract    = &field.Error{Field: "contractId", Message: "no such contract", Code: "unknown_contract"}
)

func (s *Service) initPayables() {
	// A name is held by a supplier while it exists, is not deleted and still has that name.
	s.names = commands.Reservations{Store: s.store, Registry: s.registry, Clock: s.clock, Kind: commands.SupplierNameKind, NS: supplierNS,
		Holds: func(ctx context.Context, id uuid.UUID, key string) (bool, bool, error) {
			l, err := s.suppliers.Load(ctx, id)
			if errors.Is(err, commands.ErrNotFound) {
				return false, false, nil
			}
			if err != nil {
				return false, false, err
			}
			return !l.Root.Deleted() && finance.SupplierKey(l.Root.Fields().Name) == key, true, nil
		}}
}

func (s *Service) reserveName(ctx context.Context, m commands.Meta, name string, id uuid.UUID) error {
	holder, err := s.names.Reserve(ctx, m, finance.SupplierKey(name), id)
	if err != nil {
		return err
	}
	if holder != uuid.Nil {
		return &DuplicateSupplierError{Name: name, HolderID: holder}
	}
	return nil
}

func mayRecord(m commands.Meta) error {
	if !m.Actor.Can(role.FinanceRecord) {
		return commands.ErrForbidden
	}
	return nil
}

// CreateSupplier enters a supplier; of two creates with the same name at once one succeeds.
func (s *Service) CreateSupplier(ctx context.Context, m commands.Meta, id uuid.UUID, f finance.SupplierFields) (commands.Result, error) {
	m.Command = commands.FinanceSupplierCreate
	if err := mayRecord(m); err != nil {
		return commands.Result{}, err
	}
	if id == uuid.Nil {
		id = uuid.Must(uuid.NewV7())
	}
	sup, err := finance.NewSupplier(id, f, m.Actor.ID, s.clock())
	if err != nil {
		return commands.Result{}, err
	}
	if err := s.reserveName(ctx, m, sup.Fields().Name, id); err != nil {
		return commands.Result{}, err
	}
	return s.suppliers.CreateOrMatch(ctx, m, id, sup, func(existing, proposed event.Event) bool {
		a, ok1 := existing.(finance.SupplierCreated)
		b, ok2 := proposed.(finance.SupplierCreated)
		return ok1 && ok2 && a.By == b.By && a.Fields == b.Fields
	})
}

// UpdateSupplier changes a supplier's fields (a new name is reserved first).
func (s *Service) UpdateSupplier(ctx context.Context, m commands.Meta, id uuid.UUID, p finance.SupplierPatch) (commands.Result, error) {
	m.Command = commands.FinanceSupplierUpdate
	if err := mayRecord(m); err != nil {
		return commands.Result{}, err
	}
	cur, err := s.Supplier(ctx, m.Actor, id)
	if err != nil {
		return commands.Result{}, err
	}
	next := cur.Fields().Apply(p)
	if err := next.Validate(); err != nil {
		return commands.Result{}, err
	}
	if finance.SupplierKey(next.Name) != finance.SupplierKey(cur.Fields().Name) {
		if err := s.reserveName(ctx, m, next.Name, id); err != nil {
			return commands.Result{}, err
		}
	}
	return s.suppliers.Update(ctx, m, id, func(sup *finance.Supplier) error {
		if sup.Deleted() {
			return commands.ErrNotFound
		}
		return sup.Update(p, m.Actor.ID, s.clock())
	})
}

// DeleteSupplier removes a supplier with no open payables (as the read model knows them).
func (s *Service) DeleteSupplier(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.FinanceSupplierDelete
	if err := mayRecord(m); err != nil {
		return commands.Result{}, err
	}
	if _, err := s.Supplier(ctx, m.Actor, id); err != nil {
		return commands.Result{}, err
	}
	n, err := s.deps.Payables.OpenPayables(ctx, id)
	if err != nil {
		return commands.Result{}, err
	}
	if n > 0 {
		return commands.Result{}, finance.ErrSupplierInUse
	}
	return s.suppliers.Update(ctx, m, id, func(sup *finance.Supplier) error {
		if sup.Deleted() {
			return commands.ErrNotFound
		}
		return sup.Delete(m.Actor.ID, s.clock())
	})
}

// Supplier is a live supplier (finance.read).
func (s *Service) Supplier(ctx context.Context, a access.Actor, id uuid.UUID) (*finance.Supplier, error) {
	if !a.Can(role.FinanceRead) {
		return nil, commands.ErrNotFound
	}
	l, err := s.suppliers.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if l.Root.Deleted() {
		return nil, commands.ErrNotFound
	}
	return l.Root, nil
}

// owner defaults the owner to the actor; an owner given must be an active user in the actor's
// scope.
func (s *Service) owner(ctx context.Context, a access.Actor, owner string) (string, error) {
	if owner == "" {
		return a.ID.String(), nil
	}
	id, err := uuid.Parse(owner)
	if err != nil {
		return owner, field.Errorf("ownerId", "is not an id: %q", owner)
	}
	p, ok, err := s.deps.Org.Placement(ctx, id)
	if err != nil {
		return owner, err
	}
	if !ok || !a.Covers(id, p) {
		return owner, &field.Error{Field: "ownerId", Message: "is not an active user in your data scope", Code: "unknown_user"}
	}
	return id.String(), nil
}

// references checks what a payable names that changed from before (nil: a new payable): a live
// supplier, an existing contract and opportunity. Malformed ids are left to the aggregate.
func (s *Service) references(ctx context.Context, f finance.PayableFields, before *finance.PayableFields) error {
	var was finance.PayableFields
	if before != nil {
		was = *before
	}
	fresh := func(now, old string) (uuid.UUID, bool) {
		id, err := uuid.Parse(now)
		return id, err == nil && (before == nil || now != old)
	}
	var errs []error
	if id, ok := fresh(f.SupplierID, was.SupplierID); ok {
		l, err := s.suppliers.Load(ctx, id)
		switch {
		case errors.Is(err, commands.ErrNotFound) || err == nil && l.Root.Deleted():
			errs = append(errs, ErrUnknownSupplier)
		case err != nil:
			return err
		}
	}
	if id, ok := fresh(f.ContractID, was.ContractID); ok {
		if _, err := s.deps.Contracts.Terms(ctx, id); errors.Is(err, commands.ErrNotFound) {
			errs = append(errs, errUnknownContract)
		} else if err != nil {
			return err
		}
	}
	if id, ok := fresh(f.OpportunityID, was.OpportunityID); ok {
		if err := s.deps.Opportunities.Exists(ctx, id); errors.Is(err, commands.ErrNotFound) {
			errs = append(errs, ErrUnknownOpportunity)
		} else if err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// CreatePayable records a payable to a live supplier (finance.record).
func (s *Service) CreatePayable(ctx context.Context, m commands.Meta, id uuid.UUID, f finance.PayableFields) (commands.Result, error) {
	m.Command = commands.FinancePayableCreate
	if err := mayRecord(m); err != nil {
		return commands.Result{}, err
	}
	if id == uuid.Nil {
		id = uuid.Must(uuid.NewV7())
	}
	var err error
	if f.OwnerID, err = s.owner(ctx, m.Actor, f.OwnerID); err != nil {
		return commands.Result{}, err
	}
	p, err := finance.NewPayable(id, f, m.Actor.ID, s.clock())
	if err != nil {
		return commands.Result{}, err
	}
	if err := s.references(ctx, p.Fields(), nil); err != nil {
		return commands.Result{}, err
	}
	return s.payables.CreateOrMatch(ctx, m, id, p, func(existing, proposed event.Event) bool {
		a, ok1 := existing.(finance.PayableCreated)
		b, ok2 := proposed.(finance.PayableCreated)
		return ok1 && ok2 && a.By == b.By && a.Fields == b.Fields
	})
}

// visible: the payable's owner is in the actor's finance scope, or a voucher of it was routed to
// the actor.
func (s *Service) visible(ctx context.Context, a access.Actor, p *finance.Payable) error {
	if p.Deleted() {
		return commands.ErrNotFound
	}
	if slices.Contains(p.Approvers(), a.ID.String()) {
		return nil
	}
	ok, err := s.rules.Sees(ctx, a, p.Owner())
	if err != nil {
		return err
	}
	if !ok {
		return commands.ErrNotFound
	}
	return nil
}

// onPayable runs a behaviour on a payable the actor sees, with the permission ("": none needed,
// the behaviour decides).
func (s *Service) onPayable(ctx context.Context, m commands.Meta, id uuid.UUID, permission string, do func(*finance.Payable, *finance.Calendar) error) (commands.Result, error) {
	if permission != "" && !m.Actor.Can(permission) {
		return commands.Result{}, commands.ErrForbidden
	}
	cal, err := s.Months(ctx)
	if err != nil {
		return commands.Result{}, err
	}
	return s.payables.Update(ctx, m, id, func(p *finance.Payable) error {
		if err := s.visible(ctx, m.Actor, p); err != nil {
			return err
		}
		return do(p, cal)
	})
}

// UpdatePayable changes a payable's fields.
func (s *Service) UpdatePayable(ctx context.Context, m commands.Meta, id uuid.UUID, patch finance.PayablePatch) (commands.Result, error) {
	m.Command = commands.FinancePayableUpdate
	if patch.OwnerID != nil {
		o, err := s.owner(ctx, m.Actor, *patch.OwnerID)
		if err != nil {
			return commands.Result{}, err
		}
		patch.OwnerID = &o
	}
	return s.onPayable(ctx, m, id, role.FinanceRecord, func(p *finance.Payable, _ *finance.Calendar) error {
		before := p.Fields()
		if err := s.references(ctx, before.Apply(patch), &before); err != nil {
			return err
		}
		return p.Update(patch, m.Actor.ID, s.clock())
	})
}

// DeletePayable removes a payable with nothing paid on it.
func (s *Service) DeletePayable(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.FinancePayableDelete
	return s.onPayable(ctx, m, id, role.FinanceRecord, func(p *finance.Payable, _ *finance.Calendar) error {
		return p.Delete(m.Actor.ID, s.clock())
	})
}

func (s *Service) voucherMethod(ctx context.Context, f finance.VoucherFields) (finance.VoucherFields, error) {
	dict := commands.Lists{Dict: s.deps.Dictionary}
	err := dict.Resolve(ctx, commands.Coded{Field: "method", Kind: dictionary.PaymentMethod, Value: &f.Method})
	return f, err
}

// DraftVoucher records a payment voucher on a payable.
func (s *Service) DraftVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, f finance.VoucherFields) (commands.Result, error) {
	m.Command = commands.FinanceVoucherDraft
	if id == uuid.Nil {
		id = uuid.Must(uuid.NewV7())
	}
	if err := mayRecord(m); err != nil {
		return commands.Result{}, err
	}
	f, err := s.voucherMethod(ctx, f)
	if err != nil {
		return commands.Result{}, err
	}
	res, err := s.onPayable(ctx, m, payableID, role.FinanceRecord, func(p *finance.Payable, cal *finance.Calendar) error {
		if v, err := p.Voucher(id); err == nil {
			if v.CreatedBy == m.Actor.ID.String() && amountsEqual(v.Fields.Amount, f.Amount) && v.Fields.Date == f.Date {
				return nil // a retried draft: the same id by the same actor
			}
			return commands.ErrAlreadyExists
		}
		return p.DraftVoucher(id, f, cal, m.Actor.ID, s.clock())
	})
	res.ID = id
	return res, err
}

func amountsEqual(a, b string) bool {
	x, err1 := money.ParseAmount("a", a)
	y, err2 := money.ParseAmount("b", b)
	return err1 == nil && err2 == nil && x.Cmp(y) == 0
}

// UpdateVoucher replaces a draft voucher's fields.
func (s *Service) UpdateVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, f finance.VoucherFields) (commands.Result, error) {
	m.Command = commands.FinanceVoucherUpdate
	if err := mayRecord(m); err != nil {
		return commands.Result{}, err
	}
	f, err := s.voucherMethod(ctx, f)
	if err != nil {
		return commands.Result{}, err
	}
	return s.onPayable(ctx, m, payableID, role.FinanceRecord, func(p *finance.Payable, cal *finance.Calendar) error {
		return p.UpdateVoucher(id, f, cal, m.Actor.ID, s.clock())
	})
}

// DeleteVoucher removes a draft voucher.
func (s *Service) DeleteVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.FinanceVoucherDelete
	return s.onPayable(ctx, m, payableID, role.FinanceRecord, func(p *finance.Payable, _ *finance.Calendar) error {
		return p.DeleteVoucher(id, m.Actor.ID, s.clock())
	})
}

// SubmitVoucher sends a draft voucher to the payment flow; the inbox shows the supplier's name
// and the payable's purpose.
func (s *Service) SubmitVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, comment string) (commands.Result, error) {
	m.Command = commands.FinanceVoucherSubmit
	return s.onPayable(ctx, m, payableID, role.FinanceRecord, func(p *finance.Payable, cal *finance.Calendar) error {
		title := p.Fields().Purpose
		if sid, err := uuid.Parse(p.Fields().SupplierID); err == nil {
			if l, err := s.suppliers.Load(ctx, sid); err == nil {
				title = l.Root.Fields().Name + " · " + title
			} else if !errors.Is(err, commands.ErrNotFound) {
				return err
			}
		}
		route := func(amount money.Amount) ([]approval.Step, error) {
			return s.deps.Approvals.Route(ctx, approval.KindPayment, m.Actor.ID, amount)
		}
		return p.SubmitVoucher(id, title, route, cal, comment, m.Actor.ID, s.clock())
	})
}

// DecideVoucher approves (the last step pays) or rejects the waiting step: its approvers,
// whatever their scope.
func (s *Service) DecideVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, approve bool, comment string) (commands.Result, error) {
	m.Command = commands.FinanceVoucherReject
	if approve {
		m.Command = commands.FinanceVoucherApprove
	}
	return s.onPayable(ctx, m, payableID, "", func(p *finance.Payable, cal *finance.Calendar) error {
		return p.DecideVoucher(id, approve, comment, cal, m.Actor.ID, s.clock())
	})
}

// WithdrawVoucher takes a waiting voucher back (its submitter).
func (s *Service) WithdrawVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.FinanceVoucherWithdraw
	return s.onPayable(ctx, m, payableID, "", func(p *finance.Payable, _ *finance.Calendar) error {
		return p.WithdrawVoucher(id, m.Actor.ID, s.clock())
	})
}

// ReverseVoucher cancels a confirmed voucher by a reversing entry (finance.reverse).
func (s *Service) ReverseVoucher(ctx context.Context, m commands.Meta, payableID, id uuid.UUID, reason, date string) (commands.Result, error) {
	m.Command = commands.FinanceVoucherReverse
	return s.onPayable(ctx, m, payableID, role.FinanceReverse, func(p *finance.Payable, cal *finance.Calendar) error {
		if date == "" {
			date = s.today(ctx)
		}
		return p.ReverseVoucher(id, reason, date, cal, m.Actor.ID, s.clock())
	})
}

// Payable is a payable, if the actor may read it.
func (s *Service) Payable(ctx context.Context, a access.Actor, id uuid.UUID) (*finance.Payable, error) {
	l, err := s.payables.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.visible(ctx, a, l.Root); err != nil {
		return nil, err
	}
	return l.Root, nil
}

// PayableHistory is the payable's events with field-level changes, if the actor may read it.
func (s *Service) PayableHistory(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	if _, err := s.Payable(ctx, a, id); err != nil {
		return nil, err
	}
	return s.payables.History(ctx, id, (*finance.Payable).Snapshot)
}
