// Package finance is the finance module's domain: the receivables of a contract (its plan of
// installments and its receipts, 回款计划 and 回款单), the month close, suppliers, payables and
// payment vouchers.
//
// A contract's receivables are one aggregate, the Ledger, on one stream: every rule that limits
// money — a plan no larger than the contract, no installment or contract received twice over,
// a receipt confirmed or reversed once — is decided against one expected version, so two
// receipts racing for the last yuan of an installment get one success and one conflict.
// Receipts go through the approval flow of kind "receipt"; their approval payloads name the
// receipt (ApprovalSubjectID), so the approval inbox shows each receipt as its own subject.
package finance

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
)

// Limits.
const (
	MaxInstallments = 120
	MaxNote         = 500
	MaxAccount      = 100
	MaxRemarks      = 2000
	MaxReason       = 1000
	MaxReceipts     = 1000 // receipts ever drafted on one contract
)

// Receipt (and payment voucher) statuses. A rejected or withdrawn receipt returns to draft (its process keeps the
// decision); only a confirmed receipt counts as received.
const (
	Draft     = "draft"
	Pending   = "pending"
	Confirmed = "confirmed"
	Reversed  = "reversed"
)

// ReceiptStatuses lists the receipt statuses.
var ReceiptStatuses = []string{Draft, Pending, Confirmed, Reversed}

// Installment statuses (derived from the amounts and the overdue record).
const (
	InstallmentPlanned  = "planned"
	InstallmentPartly   = "partly_received"
	InstallmentReceived = "received"
	InstallmentOverdue  = "overdue"
)

// InstallmentStatuses lists the installment statuses.
var InstallmentStatuses = []string{InstallmentPlanned, InstallmentPartly, InstallmentReceived, InstallmentOverdue}

// Rule violations (the HTTP layer maps them to problems with these codes).
var (
	ErrNotFound        = errors.New("receipt not found")
	ErrReceiptState    = errors.New("the command does not apply to the receipt's status")
	ErrNotReceivable   = &field.Error{Field: "contractId", Message: "receivables are planned and received on approved contracts only", Code: "contract_not_approved"}
	ErrPlanClosed      = &field.Error{Field: "contractId", Message: "the plan of a completed or terminated contract is not changed", Code: "contract_closed"}
	ErrTooManyReceipts = &field.Error{Field: "receipts", Message: fmt.Sprintf("a contract has at most %d receipts", MaxReceipts), Code: "too_many_receipts"}
)

// ClosedMonthError: a date falls in a month finance has closed.
func ClosedMonthError(name, date string) error {
	return &field.Error{Field: name, Message: fmt.Sprintf("%s is in a closed month; date the entry in an open month", date), Code: "month_closed"}
}

// OverReceiptError: the amount is more than what is left to receive.
func OverReceiptError(name string, left money.Amount, what string) error {
	return &field.Error{Field: name, Message: fmt.Sprintf("is more than the %s has left to receive (%s)", what, left), Code: "over_receipt"}
}

// LedgerPrefix is the stream kind of receivables.
const LedgerPrefix = "receivables"

// LedgerStream is the stream of a contract's receivables (the contract's id is the ledger's).
func LedgerStream(contractID uuid.UUID) string { return LedgerPrefix + "-" + contractID.String() }

// Terms is what a command read of the contract when it decides (the contract's own stream is
// the contract module's): its status, number, name, amount and owner.
type Terms struct {
	Status contract.Status
	Number string
	Name   string
	Amount money.Amount
	Owner  uuid.UUID
}

func (t Terms) receivable() bool {
	switch t.Status {
	case contract.StatusApproved, contract.StatusExecuting, contract.StatusCompleted, contract.StatusTerminated:
		return true
	}
	return false
}

// Months tells whether a month ("2006-01") is closed.
type Months interface{ Closed(month string) bool }

// PlanItem is an installment as a plan states it. Seq names an existing installment (0: a new
// one); an installment left out of a new plan is removed (only if nothing was received on it).
type PlanItem struct {
	Seq     int    `json:"seq,omitempty"`
	DueDate string `json:"dueDate"`
	Amount  string `json:"amount"`
	Note    string `json:"note,omitempty"`
}

// Installment is one installment of the plan.
type Installment struct {
	Seq          int    `json:"seq"`
	DueDate      string `json:"dueDate"`
	Amount       string `json:"amount"`
	Note         string `json:"note,omitempty"`
	Received     string `json:"received"`
	OverdueSince string `json:"overdueSince,omitempty"` // the day the overdue job recorded it
}

// Allocation is the part of a receipt that settles one installment (Seq 0: no installment,
// the part received beyond the plan).
type Allocation struct {
	Seq    int    `json:"seq"`
	Amount string `json:"amount"`
}

// ReceiptFields are what a user enters about a receipt.
type ReceiptFields struct {
	Amount       string `json:"amount"`
	Date         string `json:"date"`             // when the money came
	Method       string `json:"method,omitempty"` // dictionary payment_method
	PayerAccount string `json:"payerAccount,omitempty"`
	Remarks      string `json:"remarks,omitempty"`
	// Installments are the installments it settles, in the order given (none: oldest first).
	Installments []int  `json:"installments,omitempty"`
	OwnerID      string `json:"ownerId"`
}

// Receipt is one receipt of the ledger.
type Receipt struct {
	ID         string        `json:"id"`
	Number     string        `json:"number"`
	Fields     ReceiptFields `json:"fields"`
	Allocation []Allocation  `json:"allocation,omitempty"` // decided at submission
	Lifecycle
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
}

// Events.
type (
	PlanSet struct {
		ContractID   string        `json:"contractId"`
		Installments []Installment `json:"installments"` // Received and OverdueSince are not carried
		By           string        `json:"by"`
		At           time.Time     `json:"at"`
	}
	ReceiptDrafted struct {
		ContractID string        `json:"contractId"`
		ReceiptID  string        `json:"receiptId"`
		Number     string        `json:"number"`
		Fields     ReceiptFields `json:"fields"`
		By         string        `json:"by"`
		At         time.Time     `json:"at"`
	}
	ReceiptUpdated struct {
		ContractID string        `json:"contractId"`
		ReceiptID  string        `json:"receiptId"`
		Fields     ReceiptFields `json:"fields"`
		By         string        `json:"by"`
		At         time.Time     `json:"at"`
	}
	ReceiptDeleted struct {
		ContractID string    `json:"contractId"`
		ReceiptID  string    `json:"receiptId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// ReceiptSubmitted: the receipt went to confirmation; its allocation is claimed from now.
	ReceiptSubmitted struct {
		ContractID string       `json:"contractId"`
		ReceiptID  string       `json:"receiptId"`
		Allocation []Allocation `json:"allocation"`
		approval.Submitted
	}
	// ReceiptDecided: an approver decided the waiting step; the final approval confirms the
	// receipt (its allocation is received), a rejection returns it to draft.
	ReceiptDecided struct {
		ContractID string `json:"contractId"`
		ReceiptID  string `json:"receiptId"`
		approval.Decided
	}
	ReceiptWithdrawn struct {
		ContractID string `json:"contractId"`
		ReceiptID  string `json:"receiptId"`
		approval.WithdrawnBy
	}
	// ReceiptReversed: a confirmed receipt is cancelled by a reversing entry dated Date.
	ReceiptReversed struct {
		ContractID string    `json:"contractId"`
		ReceiptID  string    `json:"receiptId"`
		Reason     string    `json:"reason"`
		Date       string    `json:"date"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// InstallmentsOverdue: the overdue job found these installments past due with an amount
	// outstanding on AsOf.
	InstallmentsOverdue struct {
		ContractID string    `json:"contractId"`
		Seqs       []int     `json:"seqs"`
		AsOf       string    `json:"asOf"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
)

func (PlanSet) EventType() string             { return "receivables.plan_set.v1" }
func (ReceiptDrafted) EventType() string      { return "receivables.receipt_drafted.v1" }
func (ReceiptUpdated) EventType() string      { return "receivables.receipt_updated.v1" }
func (ReceiptDeleted) EventType() string      { return "receivables.receipt_deleted.v1" }
func (ReceiptSubmitted) EventType() string    { return "receivables.receipt_submitted.v1" }
func (ReceiptDecided) EventType() string      { return "receivables.receipt_decided.v1" }
func (ReceiptWithdrawn) EventType() string    { return "receivables.receipt_withdrawn.v1" }
func (ReceiptReversed) EventType() string     { return "receivables.receipt_reversed.v1" }
func (InstallmentsOverdue) EventType() string { return "receivables.installments_overdue.v1" }

// The approval payloads name the receipt, not the ledger (approval.SubjectCarrier).
func (e ReceiptSubmitted) ApprovalSubjectID() string { return e.ReceiptID }
func (e ReceiptDecided) ApprovalSubjectID() string   { return e.ReceiptID }
func (e ReceiptWithdrawn) ApprovalSubjectID() string { return e.ReceiptID }

// Register adds the finance events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &PlanSet{} }, func() event.Event { return &ReceiptDrafted{} },
		func() event.Event { return &ReceiptUpdated{} }, func() event.Event { return &ReceiptDeleted{} },
		func() event.Event { return &ReceiptSubmitted{} }, func() event.Event { return &ReceiptDecided{} },
		func() event.Event { return &ReceiptWithdrawn{} }, func() event.Event { return &ReceiptReversed{} },
		func() event.Event { return &InstallmentsOverdue{} })
	registerCalendar(r)
	registerSuppliers(r)
	registerPayables(r)
}

// Ledger is the aggregate: one contract's plan and receipts.
type Ledger struct {
	event.Root
	contractID   uuid.UUID
	installments []Installment
	receipts     []*Receipt
	drafted      int
}

// NewLedger is a contract's ledger before any event.
func NewLedger(contractID uuid.UUID) *Ledger { return &Ledger{contractID: contractID} }

// RehydrateLedger rebuilds a ledger. Only repositories call it.
func RehydrateLedger(id uuid.UUID, history []event.Event) (*Ledger, error) {
	l := NewLedger(id)
	l.Replay(l.apply, history, nil)
	return l, nil
}

// ContractID is the contract the ledger belongs to.
func (l *Ledger) ContractID() uuid.UUID { return l.contractID }

// Installments are the plan, with what was received on each.
func (l *Ledger) Installments() []Installment { return slices.Clone(l.installments) }

// Receipts are every receipt not deleted, oldest first.
func (l *Ledger) Receipts() []Receipt {
	out := make([]Receipt, len(l.receipts))
	for i, r := range l.receipts {
		out[i] = r.clone()
	}
	return out
}

// Receipt is one receipt (ErrNotFound: none).
func (l *Ledger) Receipt(id uuid.UUID) (Receipt, error) {
	r := l.find(id.String())
	if r == nil {
		return Receipt{}, ErrNotFound
	}
	return r.clone(), nil
}

func (r *Receipt) clone() Receipt {
	c := *r
	c.Fields.Installments = slices.Clone(r.Fields.Installments)
	c.Allocation = slices.Clone(r.Allocation)
	c.Lifecycle = r.Lifecycle.clone()
	return c
}

func (l *Ledger) find(id string) *Receipt {
	for _, r := range l.receipts {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (l *Ledger) installment(seq int) *Installment {
	for i := range l.installments {
		if l.installments[i].Seq == seq {
			return &l.installments[i]
		}
	}
	return nil
}

func amt(s string) money.Amount {
	a, _ := money.ParseAmount("amount", s)
	return a
}

func (l *Ledger) apply(e event.Event) {
	switch e := e.(type) {
	case PlanSet:
		next := make([]Installment, len(e.Installments))
		for i, in := range e.Installments {
			in.Received, in.OverdueSince = "0.00", ""
			if old := l.installment(in.Seq); old != nil {
				in.Received, in.OverdueSince = old.Received, old.OverdueSince
			}
			next[i] = in
		}
		l.installments = next
	case ReceiptDrafted:
		f := e.Fields
		f.Installments = slices.Clone(f.Installments)
		l.drafted++
		l.receipts = append(l.receipts, &Receipt{ID: e.ReceiptID, Number: e.Number, Fields: f, Lifecycle: Lifecycle{Status: Draft}, CreatedBy: e.By, CreatedAt: e.At})
	case ReceiptUpdated:
		if r := l.find(e.ReceiptID); r != nil {
			r.Fields = e.Fields
			r.Fields.Installments = slices.Clone(e.Fields.Installments)
		}
	case ReceiptDeleted:
		l.receipts = slices.DeleteFunc(l.receipts, func(r *Receipt) bool { return r.ID == e.ReceiptID })
	case ReceiptSubmitted:
		if r := l.find(e.ReceiptID); r != nil {
			r.submitted(e.Submitted)
			r.Allocation = slices.Clone(e.Allocation)
		}
	case ReceiptDecided:
		if r := l.find(e.ReceiptID); r != nil {
			switch r.decided(e.Decided) {
			case Confirmed:
				l.receive(r.Allocation, 1)
			case Draft:
				r.Allocation = nil
			}
		}
	case ReceiptWithdrawn:
		if r := l.find(e.ReceiptID); r != nil && r.Process != nil {
			r.withdrawn(e.WithdrawnBy)
			r.Allocation = nil
		}
	case ReceiptReversed:
		if r := l.find(e.ReceiptID); r != nil {
			r.reversed(e.Reason, e.Date, e.By, e.At)
			l.receive(r.Allocation, -1)
		}
	case InstallmentsOverdue:
		for _, s := range e.Seqs {
			if in := l.installment(s); in != nil && in.OverdueSince == "" {
				in.OverdueSince = e.AsOf
			}
		}
	}
}

// receive adds (sign 1) or takes back (-1) an allocation on the installments.
func (l *Ledger) receive(alloc []Allocation, sign int) {
	for _, a := range alloc {
		if in := l.installment(a.Seq); in != nil {
			v := amt(a.Amount)
			if sign < 0 {
				v = money.Fen(-v.Fen())
			}
			in.Received = amt(in.Received).Add(v).String()
		}
	}
}

func (l *Ledger) record(e event.Event) { l.Record(l.apply, e) }

// Totals of a ledger.
type Totals struct {
	Planned   money.Amount // the sum of the installments
	Received  money.Amount // confirmed receipts not reversed
	Pending   money.Amount // receipts waiting for confirmation
	Overdue   money.Amount // outstanding on installments recorded overdue
	LastDate  string       // the date of the latest confirmed receipt not reversed
	Receipts  int          // confirmed, not reversed
	Unplanned money.Amount // received beyond the plan
}

// Totals adds the ledger up.
func (l *Ledger) Totals() Totals {
	var t Totals
	for _, in := range l.installments {
		t.Planned = t.Planned.Add(amt(in.Amount))
		if in.OverdueSince != "" {
			if left := amt(in.Amount).Sub(amt(in.Received)); left.Sign() > 0 {
				t.Overdue = t.Overdue.Add(left)
			}
		}
	}
	for _, r := range l.receipts {
		switch r.Status {
		case Confirmed:
			t.Received = t.Received.Add(amt(r.Fields.Amount))
			t.Receipts++
			if r.Fields.Date > t.LastDate {
				t.LastDate = r.Fields.Date
			}
			for _, a := range r.Allocation {
				if a.Seq == 0 {
					t.Unplanned = t.Unplanned.Add(amt(a.Amount))
				}
			}
		case Pending:
			t.Pending = t.Pending.Add(amt(r.Fields.Amount))
		}
	}
	return t
}

// InstallmentStatus is an installment's status.
func InstallmentStatus(in Installment) string {
	a, r := amt(in.Amount), amt(in.Received)
	switch {
	case r.Cmp(a) >= 0:
		return InstallmentReceived
	case in.OverdueSince != "":
		return InstallmentOverdue
	case r.Sign() > 0:
		return InstallmentPartly
	}
	return InstallmentPlanned
}

// claimed is what pending receipts hold of each installment (0: beyond the plan).
func (l *Ledger) claimed(except string) map[int]money.Amount {
	out := map[int]money.Amount{}
	for _, r := range l.receipts {
		if r.Status == Pending && r.ID != except {
			for _, a := range r.Allocation {
				out[a.Seq] = out[a.Seq].Add(amt(a.Amount))
			}
		}
	}
	return out
}

// SetPlan replaces the plan of an approved or executing contract. Installments keep what was
// received on them: one with receipts is neither removed nor made smaller than received, nor
// smaller than pending receipts claim. The plan's total may not exceed the contract's amount.
func (l *Ledger) SetPlan(t Terms, items []PlanItem, by uuid.UUID, at time.Time) error {
	if !t.receivable() {
		return ErrNotReceivable
	}
	if t.Status != contract.StatusApproved && t.Status != contract.StatusExecuting {
		return ErrPlanClosed
	}
	if len(items) > MaxInstallments {
		return field.Errorf("installments", "a plan has at most %d installments", MaxInstallments)
	}
	next := 0
	for _, in := range l.installments {
		next = max(next, in.Seq)
	}
	claims := l.claimed("")
	var errs []error
	var total money.Amount
	out := make([]Installment, 0, len(items))
	seen := map[int]bool{}
	for i, it := range items {
		at := fmt.Sprintf("installments[%d].", i)
		it.Note = strings.TrimSpace(it.Note)
		var ierrs []error
		ierrs = append(ierrs, field.Date(at+"dueDate", it.DueDate), field.Text(at+"note", it.Note, MaxNote))
		a, err := money.ParseAmount(at+"amount", it.Amount)
		if err == nil && a.Sign() <= 0 {
			err = &field.Error{Field: at + "amount", Message: "must be more than zero", Code: money.CodeNegative}
		}
		ierrs = append(ierrs, err)
		if it.Seq != 0 {
			old := l.installment(it.Seq)
			switch {
			case old == nil:
				ierrs = append(ierrs, &field.Error{Field: at + "seq", Message: fmt.Sprintf("no installment %d", it.Seq), Code: "unknown_installment"})
			case seen[it.Seq]:
				ierrs = append(ierrs, field.Errorf(at+"seq", "installment %d is listed twice", it.Seq))
			case err == nil:
				if held := amt(old.Received).Add(claims[it.Seq]); a.Cmp(held) < 0 {
					ierrs = append(ierrs, &field.Error{Field: at + "amount", Message: fmt.Sprintf("may not be less than what is received or claimed on it (%s)", held), Code: "below_received"})
				}
			}
			seen[it.Seq] = true
		}
		if e := errors.Join(ierrs...); e != nil {
			errs = append(errs, e)
			continue
		}
		total = total.Add(a)
		seq := it.Seq
		if seq == 0 {
			next++
			seq = next
		}
		out = append(out, Installment{Seq: seq, DueDate: it.DueDate, Amount: a.String(), Note: it.Note})
	}
	for _, in := range l.installments {
		if !seen[in.Seq] && (amt(in.Received).Sign() != 0 || claims[in.Seq].Sign() != 0) {
			errs = append(errs, &field.Error{Field: "installments", Message: fmt.Sprintf("installment %d has receipts; it stays in the plan", in.Seq), Code: "installment_received"})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if total.Cmp(t.Amount) > 0 {
		return &field.Error{Field: "installments", Message: fmt.Sprintf("the plan's total %s is more than the contract's amount %s", total, t.Amount), Code: "plan_exceeds_contract"}
	}
	// received beyond the plan must still fit beside it
	tot := l.Totals()
	if total.Add(tot.Unplanned).Add(claims[0]).Cmp(t.Amount) > 0 {
		return &field.Error{Field: "installments", Message: fmt.Sprintf("the plan's total %s and %s received beyond it exceed the contract's amount %s", total, tot.Unplanned.Add(claims[0]), t.Amount), Code: "plan_exceeds_contract"}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].DueDate != out[j].DueDate {
			return out[i].DueDate < out[j].DueDate
		}
		return out[i].Seq < out[j].Seq
	})
	if slices.EqualFunc(out, l.installments, func(a, b Installment) bool {
		return a.Seq == b.Seq && a.DueDate == b.DueDate && a.Amount == b.Amount && a.Note == b.Note
	}) {
		return nil
	}
	l.record(PlanSet{ContractID: l.contractID.String(), Installments: out, By: by.String(), At: at.UTC()})
	return nil
}

// checkFields normalises and checks a receipt's fields (the method is resolved by the command).
func (l *Ledger) checkFields(f ReceiptFields, months Months) (ReceiptFields, money.Amount, error) {
	f.PayerAccount, f.Remarks = strings.TrimSpace(f.PayerAccount), strings.TrimSpace(f.Remarks)
	var errs []error
	a, err := money.ParseAmount("amount", f.Amount)
	if err == nil && a.Sign() <= 0 {
		err = &field.Error{Field: "amount", Message: "must be more than zero", Code: money.CodeNegative}
	}
	errs = append(errs, err, field.Date("date", f.Date), field.Text("payerAccount", f.PayerAccount, MaxAccount),
		field.Text("remarks", f.Remarks, MaxRemarks))
	if _, err := uuid.Parse(f.OwnerID); err != nil {
		errs = append(errs, field.Errorf("ownerId", "is required"))
	}
	if len(f.Installments) > MaxInstallments {
		errs = append(errs, field.Errorf("installments", "at most %d", MaxInstallments))
	} else {
		seen := map[int]bool{}
		for i, s := range f.Installments {
			if l.installment(s) == nil {
				errs = append(errs, &field.Error{Field: fmt.Sprintf("installments[%d]", i), Message: fmt.Sprintf("no installment %d", s), Code: "unknown_installment"})
			} else if seen[s] {
				errs = append(errs, field.Errorf(fmt.Sprintf("installments[%d]", i), "installment %d is listed twice", s))
			}
			seen[s] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return f, a, err
	}
	f.Amount = a.String()
	if months != nil && months.Closed(f.Date[:7]) {
		return f, a, ClosedMonthError("date", f.Date)
	}
	return f, a, nil
}

// room is what the contract has left to receive: its amount less confirmed and pending receipts.
func (l *Ledger) room(t Terms, except string) money.Amount {
	left := t.Amount
	for _, r := range l.receipts {
		if r.Counts() && r.ID != except {
			left = left.Sub(amt(r.Fields.Amount))
		}
	}
	return left
}

// allocate spreads an amount over the installments (those named, in their order; else every
// installment by due date), each up to what it has left less what pending receipts claim; the
// rest, when no installment was named, is received beyond the plan (Seq 0) as far as the
// contract has room.
func (l *Ledger) allocate(t Terms, f ReceiptFields, a money.Amount, except string) ([]Allocation, error) {
	if room := l.room(t, except); a.Cmp(room) > 0 {
		return nil, OverReceiptError("amount", room, "contract")
	}
	claims := l.claimed(except)
	order := f.Installments
	if len(order) == 0 {
		for _, in := range l.installments { // kept in due order
			order = append(order, in.Seq)
		}
	}
	var out []Allocation
	left := a
	var capacity money.Amount
	for _, s := range order {
		in := l.installment(s)
		free := amt(in.Amount).Sub(amt(in.Received)).Sub(claims[s])
		if free.Sign() <= 0 || left.Sign() <= 0 {
			capacity = capacity.Add(money.Fen(max(free.Fen(), 0)))
			continue
		}
		take := free
		if left.Cmp(free) < 0 {
			take = left
		}
		capacity = capacity.Add(free)
		out = append(out, Allocation{Seq: s, Amount: take.String()})
		left = left.Sub(take)
	}
	if left.Sign() > 0 {
		if len(f.Installments) > 0 {
			return nil, OverReceiptError("amount", capacity, "installments named")
		}
		out = append(out, Allocation{Seq: 0, Amount: left.String()})
	}
	return out, nil
}

// receiptNumber is the next receipt's number: the contract's number and a sequence that never
// goes back (a deleted draft's number is not given again).
func (l *Ledger) receiptNumber(t Terms) string { return fmt.Sprintf("%s-R%02d", t.Number, l.drafted+1) }

// DraftReceipt records a receipt against an approved contract (its number follows the
// contract's); nothing counts as received until it is confirmed.
func (l *Ledger) DraftReceipt(t Terms, id uuid.UUID, f ReceiptFields, months Months, by uuid.UUID, at time.Time) error {
	if !t.receivable() {
		return ErrNotReceivable
	}
	if id == uuid.Nil {
		return field.Errorf("id", "is required")
	}
	if l.find(id.String()) != nil {
		return receiptDoc.stateError("existing", "drafted again")
	}
	if l.drafted >= MaxReceipts {
		return ErrTooManyReceipts
	}
	f, a, err := l.checkFields(f, months)
	if err != nil {
		return err
	}
	if _, err := l.allocate(t, f, a, ""); err != nil {
		return err
	}
	l.record(ReceiptDrafted{ContractID: l.contractID.String(), ReceiptID: id.String(), Number: l.receiptNumber(t), Fields: f, By: by.String(), At: at.UTC()})
	return nil
}

// editable is a draft receipt.
func (l *Ledger) editable(id uuid.UUID, action string) (*Receipt, error) {
	r := l.find(id.String())
	if r == nil {
		return nil, ErrNotFound
	}
	return r, r.editable(receiptDoc, action)
}

// UpdateReceipt replaces a draft receipt's fields (nothing recorded when nothing changes).
func (l *Ledger) UpdateReceipt(t Terms, id uuid.UUID, f ReceiptFields, months Months, by uuid.UUID, at time.Time) error {
	r, err := l.editable(id, "edited")
	if err != nil {
		return err
	}
	f, a, err := l.checkFields(f, months)
	if err != nil {
		return err
	}
	if _, err := l.allocate(t, f, a, r.ID); err != nil {
		return err
	}
	if sameFields(f, r.Fields) {
		return nil
	}
	l.record(ReceiptUpdated{ContractID: l.contractID.String(), ReceiptID: r.ID, Fields: f, By: by.String(), At: at.UTC()})
	return nil
}

func sameFields(a, b ReceiptFields) bool {
	return a.Amount == b.Amount && a.Date == b.Date && a.Method == b.Method && a.PayerAccount == b.PayerAccount &&
		a.Remarks == b.Remarks && a.OwnerID == b.OwnerID && slices.Equal(a.Installments, b.Installments)
}

// DeleteReceipt removes a draft receipt.
func (l *Ledger) DeleteReceipt(id uuid.UUID, by uuid.UUID, at time.Time) error {
	r, err := l.editable(id, "deleted")
	if err != nil {
		return err
	}
	l.record(ReceiptDeleted{ContractID: l.contractID.String(), ReceiptID: r.ID, By: by.String(), At: at.UTC()})
	return nil
}

// Route resolves the receipt flow's steps for an amount (the command reads the organisation).
type Route func(amount money.Amount) ([]approval.Step, error)

// SubmitReceipt sends a draft receipt to confirmation: its allocation is decided and claimed now,
// so no other receipt can take the same money while it waits.
func (l *Ledger) SubmitReceipt(t Terms, id uuid.UUID, route Route, months Months, comment string, by uuid.UUID, at time.Time) error {
	if !t.receivable() {
		return ErrNotReceivable
	}
	r, err := l.editable(id, "submitted")
	if err != nil {
		return err
	}
	f, a, err := l.checkFields(r.Fields, months)
	if err != nil {
		return err
	}
	alloc, err := l.allocate(t, f, a, r.ID)
	if err != nil {
		return err
	}
	steps, err := route(a)
	if err != nil {
		return err
	}
	s, err := approval.Submit(approval.KindReceipt, approval.Subject{Number: r.Number, Title: t.Name, Amount: a.String()}, steps, comment, by, at)
	if err != nil {
		return err
	}
	l.record(ReceiptSubmitted{ContractID: l.contractID.String(), ReceiptID: r.ID, Allocation: alloc, Submitted: s})
	return nil
}

// DecideReceipt approves or rejects the waiting step (its approvers only). The final approval
// confirms the receipt — refused while its date is in a closed month.
func (l *Ledger) DecideReceipt(id uuid.UUID, approve bool, comment string, months Months, by uuid.UUID, at time.Time) error {
	r := l.find(id.String())
	if r == nil {
		return ErrNotFound
	}
	d, err := r.decision(r.Fields.Date, approve, comment, months, by, at)
	if err != nil {
		return err
	}
	l.record(ReceiptDecided{ContractID: l.contractID.String(), ReceiptID: r.ID, Decided: d})
	return nil
}

// WithdrawReceipt takes a waiting receipt back (its submitter).
func (l *Ledger) WithdrawReceipt(id uuid.UUID, by uuid.UUID, at time.Time) error {
	r := l.find(id.String())
	if r == nil {
		return ErrNotFound
	}
	w, err := r.withdrawal(by, at)
	if err != nil {
		return err
	}
	l.record(ReceiptWithdrawn{ContractID: l.contractID.String(), ReceiptID: r.ID, WithdrawnBy: w})
	return nil
}

// ReverseReceipt cancels a confirmed receipt by a reversing entry dated in an open month, no
// earlier than the receipt.
func (l *Ledger) ReverseReceipt(id uuid.UUID, reason, date string, months Months, by uuid.UUID, at time.Time) error {
	r := l.find(id.String())
	if r == nil {
		return ErrNotFound
	}
	reason, err := r.reversal(receiptDoc, r.Fields.Date, reason, date, months)
	if err != nil {
		return err
	}
	l.record(ReceiptReversed{ContractID: l.contractID.String(), ReceiptID: r.ID, Reason: reason, Date: date, By: by.String(), At: at.UTC()})
	return nil
}

// MarkOverdue records the installments due before asOf with an amount outstanding that are not
// yet recorded overdue; nothing when there are none (the job runs again harmlessly).
func (l *Ledger) MarkOverdue(asOf string, by uuid.UUID, at time.Time) error {
	if err := field.Date("asOf", asOf); err != nil {
		return err
	}
	var seqs []int
	for _, in := range l.installments {
		if in.OverdueSince == "" && in.DueDate < asOf && amt(in.Amount).Cmp(amt(in.Received)) > 0 {
			seqs = append(seqs, in.Seq)
		}
	}
	if len(seqs) == 0 {
		return nil
	}
	l.record(InstallmentsOverdue{ContractID: l.contractID.String(), Seqs: seqs, AsOf: asOf, By: by.String(), At: at.UTC()})
	return nil
}

// Approvers are everyone any receipt was routed to (they may read the ledger's receipts).
func (l *Ledger) Approvers() []string {
	return approvers(l.receipts, func(r *Receipt) *Lifecycle { return &r.Lifecycle })
}

// Fold applies an event, recording nothing (read models).
func (l *Ledger) Fold(e event.Event) { l.apply(e) }

// Snapshot is the ledger as a flat map (history diffs and as-of views).
func (l *Ledger) Snapshot() map[string]any {
	t := l.Totals()
	return map[string]any{"contractId": l.contractID.String(), "installments": l.Installments(), "receipts": l.Receipts(),
		"planned": t.Planned.String(), "received": t.Received.String(), "overdue": t.Overdue.String(), "version": l.Version()}
}

// LedgerState is the ledger as a read model keeps it, to which Fold applies later events.
type LedgerState struct {
	Installments []Installment `json:"installments"`
	Receipts     []Receipt     `json:"receipts"`
	Drafted      int           `json:"drafted"`
}

// State is the ledger's state.
func (l *Ledger) State() LedgerState {
	return LedgerState{Installments: l.Installments(), Receipts: l.Receipts(), Drafted: l.drafted}
}

// RestoreLedger is a ledger in a state a read model kept.
func RestoreLedger(contractID uuid.UUID, st LedgerState) *Ledger {
	l := &Ledger{contractID: contractID, installments: slices.Clone(st.Installments), drafted: st.Drafted}
	for _, r := range st.Receipts {
		c := r.clone()
		l.receipts = append(l.receipts, &c)
	}
	return l
}
