package finance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// A receipt (回款单) and a payment voucher (付款单) are the same kind of document: a draft that
// is edited freely, submitted to an approval flow, confirmed by the flow's final approval (it
// then counts as money moved), never edited or deleted once confirmed, only reversed (冲销)
// with a reason and a date. Lifecycle is that shared part; each document adds its own fields,
// and its aggregate (the Ledger, the Payable) decides the money limits around it.

// Lifecycle is a document's status, its approval process and its reversal.
type Lifecycle struct {
	Status      string            `json:"status"`
	Process     *approval.Process `json:"approval,omitempty"`
	Reversal    *Reversal         `json:"reversal,omitempty"`
	ConfirmedAt *time.Time        `json:"confirmedAt,omitempty"`
}

// Reversal is the reversing entry (冲销) of a confirmed document.
type Reversal struct {
	Reason string    `json:"reason"`
	Date   string    `json:"date"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// docKind names a kind of document in its errors.
type docKind struct {
	name  string // "receipt", "payment voucher"
	state error  // what its StateError unwraps to
	code  string // the code of a reversal dated before the document
}

var (
	receiptDoc = docKind{name: "receipt", state: ErrReceiptState, code: "before_receipt"}
	voucherDoc = docKind{name: "payment voucher", state: ErrVoucherState, code: "before_voucher"}
)

// StateError: the command does not apply to the document's status (it unwraps to
// ErrReceiptState or ErrVoucherState).
type StateError struct {
	Doc, Status, Action string
	kind                error
}

func (e *StateError) Error() string {
	return fmt.Sprintf("a %s %s cannot be %s", e.Status, e.Doc, e.Action)
}

func (e *StateError) Unwrap() error { return e.kind }

func (k docKind) stateError(status, action string) error {
	return &StateError{Doc: k.name, Status: status, Action: action, kind: k.state}
}

// clone is a deep copy.
func (d Lifecycle) clone() Lifecycle {
	d.Process = d.Process.Clone()
	if d.Reversal != nil {
		rv := *d.Reversal
		d.Reversal = &rv
	}
	if d.ConfirmedAt != nil {
		at := *d.ConfirmedAt
		d.ConfirmedAt = &at
	}
	return d
}

// Counts reports a document whose amount is held: confirmed, or claimed while it waits.
func (d *Lifecycle) Counts() bool { return d.Status == Confirmed || d.Status == Pending }

// editable refuses anything but a draft.
func (d *Lifecycle) editable(k docKind, action string) error {
	if d.Status != Draft {
		return k.stateError(d.Status, action)
	}
	return nil
}

// decision is an approver's decision of the waiting step; the final approval is refused while
// the document's date is in a closed month.
func (d *Lifecycle) decision(date string, approve bool, comment string, months Months, by uuid.UUID, at time.Time) (approval.Decided, error) {
	if d.Status != Pending {
		return approval.Decided{}, approval.ErrNotPending
	}
	dec, err := d.Process.Decide(by, approve, comment, at)
	if err != nil {
		return dec, err
	}
	if dec.Final && dec.Decision == approval.Approved && months != nil && months.Closed(date[:7]) {
		return dec, ClosedMonthError("date", date)
	}
	return dec, nil
}

// withdrawal is the submitter's, while the document waits.
func (d *Lifecycle) withdrawal(by uuid.UUID, at time.Time) (approval.WithdrawnBy, error) {
	if d.Status != Pending {
		return approval.WithdrawnBy{}, approval.ErrNotPending
	}
	return d.Process.Withdraw(by, at)
}

// reversal checks a reversing entry of a confirmed document dated docDate: a reason, a date in
// an open month no earlier than the document. It returns the reason trimmed.
func (d *Lifecycle) reversal(k docKind, docDate, reason, date string, months Months) (string, error) {
	if d.Status != Confirmed {
		return "", k.stateError(d.Status, "reversed")
	}
	reason = strings.TrimSpace(reason)
	if err := errors.Join(field.Required("reason", reason), field.Text("reason", reason, MaxReason), field.Date("date", date)); err != nil {
		return "", err
	}
	if date < docDate {
		return "", &field.Error{Field: "date", Message: "a reversal is dated no earlier than the " + k.name + " (" + docDate + ")", Code: k.code}
	}
	if months != nil && months.Closed(date[:7]) {
		return "", ClosedMonthError("date", date)
	}
	return reason, nil
}

// The applies: each folds one approval payload or the reversal into the lifecycle.

func (d *Lifecycle) submitted(s approval.Submitted) {
	d.Status, d.Process = Pending, approval.Started(s)
}

// decided applies a decision; it reports the document's new status when the decision ended the
// process (Confirmed, or Draft after a rejection), "" otherwise.
func (d *Lifecycle) decided(e approval.Decided) string {
	if d.Process == nil {
		return ""
	}
	d.Process.Apply(e)
	switch d.Process.Status {
	case approval.Approved:
		at := e.At
		d.Status, d.ConfirmedAt = Confirmed, &at
		return Confirmed
	case approval.Rejected:
		d.Status = Draft
		return Draft
	}
	return ""
}

func (d *Lifecycle) withdrawn(w approval.WithdrawnBy) {
	if d.Process != nil {
		d.Process.Apply(w)
	}
	d.Status = Draft
}

func (d *Lifecycle) reversed(reason, date, by string, at time.Time) {
	d.Status, d.Reversal = Reversed, &Reversal{Reason: reason, Date: date, By: by, At: at}
}

// approvers are everyone any of the documents was routed to (they may read the aggregate).
func approvers[D any](docs []D, life func(D) *Lifecycle) []string {
	var out []string
	for _, x := range docs {
		for _, a := range life(x).Process.Everyone() {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}
