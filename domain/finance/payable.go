package finance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
)

// Payables (应付款): what the company owes a supplier, optionally against a contract or an
// opportunity, due on a date. A payable is one aggregate on one stream holding its payment
// vouchers (付款单) exactly as a ledger holds its receipts: drafted, submitted to the payment
// flow (kind "payment"), confirmed (paid) by its final approval, reversed but never edited once
// confirmed. Every money limit — no voucher beyond what the payable has left (confirmed and
// pending counted), no amount lowered below what is paid or claimed — is decided against the
// payable's one expected version, so two vouchers racing for the last yuan get one success.

// PayablePrefix is the stream kind of payables.
const PayablePrefix = "payable"

// PayableStream is a payable's stream.
func PayableStream(id uuid.UUID) string { return PayablePrefix + "-" + id.String() }

// Payable limits.
const (
	MaxPurpose  = 200
	MaxVouchers = 1000 // vouchers ever drafted on one payable
)

// Payable statuses (derived): open while anything is left to pay.
const (
	PayableOpen = "open"
	PayablePaid = "paid"
)

// PayableStatuses lists them.
var PayableStatuses = []string{PayableOpen, PayablePaid}

// VoucherStatuses lists the payment voucher statuses (those of a receipt).
var VoucherStatuses = ReceiptStatuses

// Payable errors.
var (
	ErrVoucherNotFound = errors.New("payment voucher not found")
	ErrVoucherState    = errors.New("the command does not apply to the payment voucher's status")
	ErrPayableDeleted  = errors.New("payable is deleted")
	// ErrPayablePaid: a payable with payments (pending, confirmed or reversed vouchers) is not deleted.
	ErrPayablePaid     = errors.New("a payable with payments is not deleted")
	ErrTooManyVouchers = &field.Error{Field: "vouchers", Message: fmt.Sprintf("a payable has at most %d payment vouchers", MaxVouchers), Code: "too_many_vouchers"}
	ErrSupplierLocked  = &field.Error{Field: "supplierId", Message: "the supplier of a payable with payments does not change", Code: "supplier_locked"}
)

// OverPaymentError: the amount is more than the payable has left to pay.
func OverPaymentError(left money.Amount) error {
	return &field.Error{Field: "amount", Message: fmt.Sprintf("is more than the payable has left to pay (%s, pending vouchers counted)", left), Code: "over_payment"}
}

// PayableFields are what a user enters about a payable. The supplier, contract and
// opportunity are checked to exist by the command.
type PayableFields struct {
	SupplierID    string `json:"supplierId"`
	ContractID    string `json:"contractId,omitempty"`
	OpportunityID string `json:"opportunityId,omitempty"`
	Amount        string `json:"amount"`
	DueDate       string `json:"dueDate"`
	Purpose       string `json:"purpose"`
	OwnerID       string `json:"ownerId"`
	Remarks       string `json:"remarks,omitempty"`
}

// PayablePatch holds the fields an edit changes; nil is unchanged ("" clears an optional one).
type PayablePatch struct {
	SupplierID    *string `json:"supplierId,omitempty"`
	ContractID    *string `json:"contractId,omitempty"`
	OpportunityID *string `json:"opportunityId,omitempty"`
	Amount        *string `json:"amount,omitempty"`
	DueDate       *string `json:"dueDate,omitempty"`
	Purpose       *string `json:"purpose,omitempty"`
	OwnerID       *string `json:"ownerId,omitempty"`
	Remarks       *string `json:"remarks,omitempty"`
}

// Apply returns the fields with the patch applied (not validated).
func (f PayableFields) Apply(p PayablePatch) PayableFields {
	for _, x := range []struct {
		v  *string
		to *string
	}{{p.SupplierID, &f.SupplierID}, {p.ContractID, &f.ContractID}, {p.OpportunityID, &f.OpportunityID}, {p.Amount, &f.Amount},
		{p.DueDate, &f.DueDate}, {p.Purpose, &f.Purpose}, {p.OwnerID, &f.OwnerID}, {p.Remarks, &f.Remarks}} {
		if x.v != nil {
			*x.to = *x.v
		}
	}
	return f
}

// check normalises and checks a payable's fields, joining all problems.
func (f PayableFields) check() (PayableFields, money.Amount, error) {
	f.Purpose, f.Remarks = strings.TrimSpace(f.Purpose), strings.TrimSpace(f.Remarks)
	var errs []error
	id := func(name string, v *string, required bool) {
		*v = strings.TrimSpace(*v)
		if *v == "" {
			if required {
				errs = append(errs, field.Errorf(name, "is required"))
			}
			return
		}
		u, err := uuid.Parse(*v)
		if err != nil {
			errs = append(errs, field.Errorf(name, "is not an id: %q", *v))
			return
		}
		*v = u.String()
	}
	id("supplierId", &f.SupplierID, true)
	id("contractId", &f.ContractID, false)
	id("opportunityId", &f.OpportunityID, false)
	id("ownerId", &f.OwnerID, true)
	a, err := positive("amount", f.Amount)
	errs = append(errs, err, field.Date("dueDate", f.DueDate), field.Required("purpose", f.Purpose), field.Text("purpose", f.Purpose, MaxPurpose),
		field.Text("remarks", f.Remarks, MaxRemarks))
	if err == nil {
		f.Amount = a.String()
	}
	return f, a, errors.Join(errs...)
}

// positive parses an exact amount above zero.
func positive(name, s string) (money.Amount, error) {
	a, err := money.ParseAmount(name, s)
	if err == nil && a.Sign() <= 0 {
		err = &field.Error{Field: name, Message: "must be more than zero", Code: money.CodeNegative}
	}
	return a, err
}

// VoucherFields are what a user enters about a payment voucher.
type VoucherFields struct {
	Amount       string `json:"amount"`
	Date         string `json:"date"`             // when the money went
	Method       string `json:"method,omitempty"` // dictionary payment_method
	PayeeAccount string `json:"payeeAccount,omitempty"`
	Remarks      string `json:"remarks,omitempty"`
}

// Voucher is one payment voucher of a payable.
type Voucher struct {
	ID     string        `json:"id"`
	Number string        `json:"number"`
	Fields VoucherFields `json:"fields"`
	Lifecycle
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
}

func (v *Voucher) clone() Voucher {
	c := *v
	c.Lifecycle = v.Lifecycle.clone()
	return c
}

// Payable events.
type (
	PayableCreated struct {
		PayableID string        `json:"payableId"`
		Number    string        `json:"number"`
		Fields    PayableFields `json:"fields"`
		By        string        `json:"by"`
		At        time.Time     `json:"at"`
	}
	// PayableUpdated carries the whole fields after the change.
	PayableUpdated struct {
		PayableID string        `json:"payableId"`
		Fields    PayableFields `json:"fields"`
		By        string        `json:"by"`
		At        time.Time     `json:"at"`
	}
	PayableDeleted struct {
		PayableID string    `json:"payableId"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
	VoucherDrafted struct {
		PayableID string        `json:"payableId"`
		VoucherID string        `json:"voucherId"`
		Number    string        `json:"number"`
		Fields    VoucherFields `json:"fields"`
		By        string        `json:"by"`
		At        time.Time     `json:"at"`
	}
	VoucherUpdated struct {
		PayableID string        `json:"payableId"`
		VoucherID string        `json:"voucherId"`
		Fields    VoucherFields `json:"fields"`
		By        string        `json:"by"`
		At        time.Time     `json:"at"`
	}
	VoucherDeleted struct {
		PayableID string    `json:"payableId"`
		VoucherID string    `json:"voucherId"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
	// VoucherSubmitted: the voucher went to the payment flow; its amount is claimed from now.
	VoucherSubmitted struct {
		PayableID string `json:"payableId"`
		VoucherID string `json:"voucherId"`
		approval.Submitted
	}
	// VoucherDecided: the final approval confirms the voucher (paid); a rejection returns it to draft.
	VoucherDecided struct {
		PayableID string `json:"payableId"`
		VoucherID string `json:"voucherId"`
		approval.Decided
	}
	VoucherWithdrawn struct {
		PayableID string `json:"payableId"`
		VoucherID string `json:"voucherId"`
		approval.WithdrawnBy
	}
	// VoucherReversed: a confirmed voucher is cancelled by a reversing entry dated Date.
	VoucherReversed struct {
		PayableID string    `json:"payableId"`
		VoucherID string    `json:"voucherId"`
		Reason    string    `json:"reason"`
		Date      string    `json:"date"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
)

func (PayableCreated) EventType() string   { return "payable.created.v1" }
func (PayableUpdated) EventType() string   { return "payable.updated.v1" }
func (PayableDeleted) EventType() string   { return "payable.deleted.v1" }
func (VoucherDrafted) EventType() string   { return "payable.voucher_drafted.v1" }
func (VoucherUpdated) EventType() string   { return "payable.voucher_updated.v1" }
func (VoucherDeleted) EventType() string   { return "payable.voucher_deleted.v1" }
func (VoucherSubmitted) EventType() string { return "payable.voucher_submitted.v1" }
func (VoucherDecided) EventType() string   { return "payable.voucher_decided.v1" }
func (VoucherWithdrawn) EventType() string { return "payable.voucher_withdrawn.v1" }
func (VoucherReversed) EventType() string  { return "payable.voucher_reversed.v1" }

// The approval payloads name the voucher, not the payable (approval.SubjectCarrier).
func (e VoucherSubmitted) ApprovalSubjectID() string { return e.VoucherID }
func (e VoucherDecided) ApprovalSubjectID() string   { return e.VoucherID }
func (e VoucherWithdrawn) ApprovalSubjectID() string { return e.VoucherID }

func registerPayables(r *event.Registry) {
	r.Register(func() event.Event { return &PayableCreated{} }, func() event.Event { return &PayableUpdated{} },
		func() event.Event { return &PayableDeleted{} }, func() event.Event { return &VoucherDrafted{} },
		func() event.Event { return &VoucherUpdated{} }, func() event.Event { return &VoucherDeleted{} },
		func() event.Event { return &VoucherSubmitted{} }, func() event.Event { return &VoucherDecided{} },
		func() event.Event { return &VoucherWithdrawn{} }, func() event.Event { return &VoucherReversed{} })
}

// Payable is the aggregate: one payable and its payment vouchers.
type Payable struct {
	event.Root
	id       uuid.UUID
	st       PayableState
	vouchers []*Voucher
}

// PayableState is the payable as a read model keeps it, to which Fold applies later events.
type PayableState struct {
	Number    string        `json:"number"`
	Fields    PayableFields `json:"fields"`
	Vouchers  []Voucher     `json:"vouchers"`
	Drafted   int           `json:"drafted"`
	Deleted   bool          `json:"deleted,omitempty"`
	CreatedBy string        `json:"createdBy"`
	CreatedAt time.Time     `json:"createdAt"`
}

// PayableNumber is a payable's number, made of its id (YF- and its last twelve hex digits).
func PayableNumber(id uuid.UUID) string {
	return "YF-" + strings.ToUpper(strings.ReplaceAll(id.String(), "-", "")[20:])
}

// NewPayable records a payable (the command checked that its supplier, contract and
// opportunity exist).
func NewPayable(id uuid.UUID, f PayableFields, by uuid.UUID, at time.Time) (*Payable, error) {
	if id == uuid.Nil {
		return nil, field.Errorf("id", "is required")
	}
	f, _, err := f.check()
	if err != nil {
		return nil, err
	}
	p := &Payable{id: id}
	p.record(PayableCreated{PayableID: id.String(), Number: PayableNumber(id), Fields: f, By: by.String(), At: at.UTC()})
	return p, nil
}

// RehydratePayable rebuilds a payable. Only repositories call it.
func RehydratePayable(id uuid.UUID, history []event.Event) (*Payable, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(PayableCreated); !ok {
		return nil, fmt.Errorf("payable %s: history starts with %s", id, history[0].EventType())
	}
	p := &Payable{id: id}
	p.Replay(p.apply, history, nil)
	return p, nil
}

// RestorePayable is a payable in a state a read model kept.
func RestorePayable(id uuid.UUID, st PayableState) *Payable {
	p := &Payable{id: id, st: st}
	p.st.Vouchers = nil
	for _, v := range st.Vouchers {
		c := v.clone()
		p.vouchers = append(p.vouchers, &c)
	}
	return p
}

// State is the payable's state.
func (p *Payable) State() PayableState {
	st := p.st
	st.Vouchers = p.Vouchers()
	return st
}

func (p *Payable) ID() uuid.UUID         { return p.id }
func (p *Payable) Number() string        { return p.st.Number }
func (p *Payable) Fields() PayableFields { return p.st.Fields }
func (p *Payable) Deleted() bool         { return p.st.Deleted }

// Owner is the payable's owner (its scope).
func (p *Payable) Owner() uuid.UUID {
	id, _ := uuid.Parse(p.st.Fields.OwnerID)
	return id
}

// Vouchers are every voucher not deleted, oldest first.
func (p *Payable) Vouchers() []Voucher {
	out := make([]Voucher, len(p.vouchers))
	for i, v := range p.vouchers {
		out[i] = v.clone()
	}
	return out
}

// Voucher is one voucher (ErrVoucherNotFound: none).
func (p *Payable) Voucher(id uuid.UUID) (Voucher, error) {
	v := p.find(id.String())
	if v == nil {
		return Voucher{}, ErrVoucherNotFound
	}
	return v.clone(), nil
}

func (p *Payable) find(id string) *Voucher {
	for _, v := range p.vouchers {
		if v.ID == id {
			return v
		}
	}
	return nil
}

func (p *Payable) record(e event.Event) { p.Record(p.apply, e) }

func (p *Payable) apply(e event.Event) {
	switch e := e.(type) {
	case PayableCreated:
		p.st.Number, p.st.Fields, p.st.CreatedBy, p.st.CreatedAt = e.Number, e.Fields, e.By, e.At
	case PayableUpdated:
		p.st.Fields = e.Fields
	case PayableDeleted:
		p.st.Deleted = true
	case VoucherDrafted:
		p.st.Drafted++
		p.vouchers = append(p.vouchers, &Voucher{ID: e.VoucherID, Number: e.Number, Fields: e.Fields, Lifecycle: Lifecycle{Status: Draft}, CreatedBy: e.By, CreatedAt: e.At})
	case VoucherUpdated:
		if v := p.find(e.VoucherID); v != nil {
			v.Fields = e.Fields
		}
	case VoucherDeleted:
		p.vouchers = slices.DeleteFunc(p.vouchers, func(v *Voucher) bool { return v.ID == e.VoucherID })
	case VoucherSubmitted:
		if v := p.find(e.VoucherID); v != nil {
			v.submitted(e.Submitted)
		}
	case VoucherDecided:
		if v := p.find(e.VoucherID); v != nil {
			v.decided(e.Decided)
		}
	case VoucherWithdrawn:
		if v := p.find(e.VoucherID); v != nil && v.Process != nil {
			v.withdrawn(e.WithdrawnBy)
		}
	case VoucherReversed:
		if v := p.find(e.VoucherID); v != nil {
			v.reversed(e.Reason, e.Date, e.By, e.At)
		}
	}
}

// Fold applies an event, recording nothing (read models).
func (p *Payable) Fold(e event.Event) { p.apply(e) }

// PayableTotals of a payable.
type PayableTotals struct {
	Amount      money.Amount
	Paid        money.Amount // confirmed vouchers not reversed
	Pending     money.Amount // vouchers waiting for approval
	Outstanding money.Amount // amount − paid
	Status      string       // open, paid
	LastDate    string       // the latest confirmed voucher's date
}

// Totals adds the payable up.
func (p *Payable) Totals() PayableTotals {
	t := PayableTotals{Amount: amt(p.st.Fields.Amount)}
	for _, v := range p.vouchers {
		switch v.Status {
		case Confirmed:
			t.Paid = t.Paid.Add(amt(v.Fields.Amount))
			t.LastDate = max(t.LastDate, v.Fields.Date)
		case Pending:
			t.Pending = t.Pending.Add(amt(v.Fields.Amount))
		}
	}
	t.Outstanding, t.Status = t.Amount.Sub(t.Paid), PayableOpen
	if t.Outstanding.Sign() <= 0 {
		t.Status = PayablePaid
	}
	return t
}

// held is what confirmed and pending vouchers hold of the payable (except one).
func (p *Payable) held(except string) money.Amount {
	var h money.Amount
	for _, v := range p.vouchers {
		if v.Counts() && v.ID != except {
			h = h.Add(amt(v.Fields.Amount))
		}
	}
	return h
}

// Update changes a payable's fields: its amount never below what is paid and claimed, its
// supplier not once anything is paid or claimed. No change records nothing.
func (p *Payable) Update(patch PayablePatch, by uuid.UUID, at time.Time) error {
	if p.st.Deleted {
		return ErrPayableDeleted
	}
	f, a, err := p.st.Fields.Apply(patch).check()
	if err != nil {
		return err
	}
	held := p.held("")
	if a.Cmp(held) < 0 {
		return &field.Error{Field: "amount", Message: fmt.Sprintf("may not be less than what is paid and claimed (%s)", held), Code: "below_paid"}
	}
	if f.SupplierID != p.st.Fields.SupplierID && slices.ContainsFunc(p.vouchers, func(v *Voucher) bool { return v.Status != Draft }) {
		return ErrSupplierLocked
	}
	if f == p.st.Fields {
		return nil
	}
	p.record(PayableUpdated{PayableID: p.id.String(), Fields: f, By: by.String(), At: at.UTC()})
	return nil
}

// Delete removes a payable with nothing paid, claimed or reversed on it (its drafts go with it).
func (p *Payable) Delete(by uuid.UUID, at time.Time) error {
	if p.st.Deleted {
		return ErrPayableDeleted
	}
	if slices.ContainsFunc(p.vouchers, func(v *Voucher) bool { return v.Status != Draft }) {
		return ErrPayablePaid
	}
	p.record(PayableDeleted{PayableID: p.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// checkVoucher normalises and checks a voucher's fields against what the payable has left
// (the method is resolved by the command).
func (p *Payable) checkVoucher(f VoucherFields, months Months, except string) (VoucherFields, money.Amount, error) {
	f.PayeeAccount, f.Remarks = strings.TrimSpace(f.PayeeAccount), strings.TrimSpace(f.Remarks)
	a, err := positive("amount", f.Amount)
	if err := errors.Join(err, field.Date("date", f.Date), field.Text("payeeAccount", f.PayeeAccount, MaxAccount), field.Text("remarks", f.Remarks, MaxRemarks)); err != nil {
		return f, a, err
	}
	f.Amount = a.String()
	if left := amt(p.st.Fields.Amount).Sub(p.held(except)); a.Cmp(left) > 0 {
		return f, a, OverPaymentError(left)
	}
	if months != nil && months.Closed(f.Date[:7]) {
		return f, a, ClosedMonthError("date", f.Date)
	}
	return f, a, nil
}

// live refuses a deleted payable.
func (p *Payable) live() error {
	if p.st.Deleted {
		return ErrPayableDeleted
	}
	return nil
}

// DraftVoucher records a payment voucher; nothing counts as paid until it is confirmed.
func (p *Payable) DraftVoucher(id uuid.UUID, f VoucherFields, months Months, by uuid.UUID, at time.Time) error {
	if err := p.live(); err != nil {
		return err
	}
	if id == uuid.Nil {
		return field.Errorf("id", "is required")
	}
	if p.find(id.String()) != nil {
		return voucherDoc.stateError("existing", "drafted again")
	}
	if p.st.Drafted >= MaxVouchers {
		return ErrTooManyVouchers
	}
	f, _, err := p.checkVoucher(f, months, "")
	if err != nil {
		return err
	}
	number := fmt.Sprintf("%s-P%02d", p.st.Number, p.st.Drafted+1)
	p.record(VoucherDrafted{PayableID: p.id.String(), VoucherID: id.String(), Number: number, Fields: f, By: by.String(), At: at.UTC()})
	return nil
}

// draft is a draft voucher of a live payable.
func (p *Payable) draft(id uuid.UUID, action string) (*Voucher, error) {
	if err := p.live(); err != nil {
		return nil, err
	}
	v := p.find(id.String())
	if v == nil {
		return nil, ErrVoucherNotFound
	}
	return v, v.editable(voucherDoc, action)
}

// UpdateVoucher replaces a draft voucher's fields (nothing recorded when nothing changes).
func (p *Payable) UpdateVoucher(id uuid.UUID, f VoucherFields, months Months, by uuid.UUID, at time.Time) error {
	v, err := p.draft(id, "edited")
	if err != nil {
		return err
	}
	if f, _, err = p.checkVoucher(f, months, v.ID); err != nil {
		return err
	}
	if f == v.Fields {
		return nil
	}
	p.record(VoucherUpdated{PayableID: p.id.String(), VoucherID: v.ID, Fields: f, By: by.String(), At: at.UTC()})
	return nil
}

// DeleteVoucher removes a draft voucher.
func (p *Payable) DeleteVoucher(id uuid.UUID, by uuid.UUID, at time.Time) error {
	v, err := p.draft(id, "deleted")
	if err != nil {
		return err
	}
	p.record(VoucherDeleted{PayableID: p.id.String(), VoucherID: v.ID, By: by.String(), At: at.UTC()})
	return nil
}

// SubmitVoucher sends a draft voucher to the payment flow: its amount is claimed from now, so
// no other voucher can take the same money while it waits. Title is what the inbox shows
// (the command names the supplier).
func (p *Payable) SubmitVoucher(id uuid.UUID, title string, route Route, months Months, comment string, by uuid.UUID, at time.Time) error {
	v, err := p.draft(id, "submitted")
	if err != nil {
		return err
	}
	_, a, err := p.checkVoucher(v.Fields, months, v.ID)
	if err != nil {
		return err
	}
	steps, err := route(a)
	if err != nil {
		return err
	}
	s, err := approval.Submit(approval.KindPayment, approval.Subject{Number: v.Number, Title: title, Amount: a.String()}, steps, comment, by, at)
	if err != nil {
		return err
	}
	p.record(VoucherSubmitted{PayableID: p.id.String(), VoucherID: v.ID, Submitted: s})
	return nil
}

// voucher is a voucher of a live payable.
func (p *Payable) voucher(id uuid.UUID) (*Voucher, error) {
	if err := p.live(); err != nil {
		return nil, err
	}
	v := p.find(id.String())
	if v == nil {
		return nil, ErrVoucherNotFound
	}
	return v, nil
}

// DecideVoucher approves or rejects the waiting step (its approvers only). The final approval
// confirms the voucher (paid) — refused while its date is in a closed month.
func (p *Payable) DecideVoucher(id uuid.UUID, approve bool, comment string, months Months, by uuid.UUID, at time.Time) error {
	v, err := p.voucher(id)
	if err != nil {
		return err
	}
	d, err := v.decision(v.Fields.Date, approve, comment, months, by, at)
	if err != nil {
		return err
	}
	p.record(VoucherDecided{PayableID: p.id.String(), VoucherID: v.ID, Decided: d})
	return nil
}

// WithdrawVoucher takes a waiting voucher back (its submitter).
func (p *Payable) WithdrawVoucher(id uuid.UUID, by uuid.UUID, at time.Time) error {
	v, err := p.voucher(id)
	if err != nil {
		return err
	}
	w, err := v.withdrawal(by, at)
	if err != nil {
		return err
	}
	p.record(VoucherWithdrawn{PayableID: p.id.String(), VoucherID: v.ID, WithdrawnBy: w})
	return nil
}

// ReverseVoucher cancels a confirmed voucher by a reversing entry dated in an open month, no
// earlier than the voucher.
func (p *Payable) ReverseVoucher(id uuid.UUID, reason, date string, months Months, by uuid.UUID, at time.Time) error {
	v, err := p.voucher(id)
	if err != nil {
		return err
	}
	reason, err = v.reversal(voucherDoc, v.Fields.Date, reason, date, months)
	if err != nil {
		return err
	}
	p.record(VoucherReversed{PayableID: p.id.String(), VoucherID: v.ID, Reason: reason, Date: date, By: by.String(), At: at.UTC()})
	return nil
}

// Approvers are everyone any voucher was routed to (they may read the payable).
func (p *Payable) Approvers() []string {
	return approvers(p.vouchers, func(v *Voucher) *Lifecycle { return &v.Lifecycle })
}

// Snapshot is the payable as a flat map (history diffs).
func (p *Payable) Snapshot() map[string]any {
	t := p.Totals()
	f := p.st.Fields
	return map[string]any{"id": p.id.String(), "number": p.st.Number, "supplierId": f.SupplierID, "contractId": f.ContractID, "opportunityId": f.OpportunityID,
		"amount": f.Amount, "dueDate": f.DueDate, "purpose": f.Purpose, "ownerId": f.OwnerID, "remarks": f.Remarks, "vouchers": p.Vouchers(),
		"paid": t.Paid.String(), "pending": t.Pending.String(), "status": t.Status, "deleted": p.st.Deleted, "version": p.Version()}
}
