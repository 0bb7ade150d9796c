package finance_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/finance"
)

var supplierID = uuid.New()

func payableFields(amount string) finance.PayableFields {
	return finance.PayableFields{SupplierID: supplierID.String(), Amount: amount, DueDate: "2026-12-31", Purpose: "服务器采购", OwnerID: clerk.String()}
}

func newPayable(t *testing.T, amount string) *finance.Payable {
	t.Helper()
	p, err := finance.NewPayable(uuid.New(), payableFields(amount), clerk, at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func voucher(amount, date string) finance.VoucherFields {
	return finance.VoucherFields{Amount: amount, Date: date, Method: "bank_transfer", PayeeAccount: "建行 6217 0000 1111"}
}

// pay drafts, submits and confirms a voucher.
func pay(t *testing.T, p *finance.Payable, amount, date string) uuid.UUID {
	t.Helper()
	id := submitted(t, p, amount, date)
	if err := p.DecideVoucher(id, true, "", nil, finBoss, at); err != nil {
		t.Fatal(err)
	}
	return id
}

func submitted(t *testing.T, p *finance.Payable, amount, date string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if err := p.DraftVoucher(id, voucher(amount, date), nil, clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := p.SubmitVoucher(id, "星河供应商", route, nil, "", clerk, at); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPayableFields(t *testing.T) {
	for _, bad := range []finance.PayableFields{
		{Amount: "1", DueDate: "2026-12-31", Purpose: "x", OwnerID: clerk.String()},                                  // no supplier
		{SupplierID: "nope", Amount: "1", DueDate: "2026-12-31", Purpose: "x", OwnerID: clerk.String()},              // not an id
		{SupplierID: supplierID.String(), Amount: "0", DueDate: "2026-12-31", Purpose: "x", OwnerID: clerk.String()}, // not > 0
		{SupplierID: supplierID.String(), Amount: "1.001", DueDate: "2026-12-31", Purpose: "x", OwnerID: clerk.String()},
		{SupplierID: supplierID.String(), Amount: "1", DueDate: "2026-02-30", Purpose: "x", OwnerID: clerk.String()},
		{SupplierID: supplierID.String(), Amount: "1", DueDate: "2026-12-31", Purpose: " ", OwnerID: clerk.String()},
		{SupplierID: supplierID.String(), Amount: "1", DueDate: "2026-12-31", Purpose: "x", ContractID: "HT-1", OwnerID: clerk.String()},
	} {
		if _, err := finance.NewPayable(uuid.New(), bad, clerk, at); err == nil {
			t.Errorf("payable %+v accepted", bad)
		}
	}
	p := newPayable(t, "100000")
	if f := p.Fields(); f.Amount != "100000.00" || p.Totals().Status != finance.PayableOpen || p.Totals().Outstanding.String() != "100000.00" {
		t.Fatalf("payable: %+v %+v", f, p.Totals())
	}
}

// TestVouchersNeverOverPay: a voucher above what is left (confirmed and pending counted) is
// refused when drafted, edited or submitted; two drafts racing for the last amount get one
// submission.
func TestVouchersNeverOverPay(t *testing.T) {
	p := newPayable(t, "100000")
	pay(t, p, "60000", "2026-11-02")
	if err := p.DraftVoucher(uuid.New(), voucher("40000.01", "2026-11-03"), nil, clerk, at); code(err) != "over_payment" {
		t.Fatalf("over-paying: %v", err)
	}
	// two drafts of the last 40,000: drafts claim nothing, the first submission claims it
	a, b := uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{a, b} {
		if err := p.DraftVoucher(id, voucher("40000", "2026-11-03"), nil, clerk, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.SubmitVoucher(a, "x", route, nil, "", clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := p.SubmitVoucher(b, "x", route, nil, "", clerk, at); code(err) != "over_payment" {
		t.Fatalf("the second submission of the last amount: %v", err)
	}
	if err := p.UpdateVoucher(b, voucher("0.01", "2026-11-03"), nil, clerk, at); code(err) != "over_payment" {
		t.Fatalf("editing a draft while the rest is claimed: %v", err)
	}
	if tot := p.Totals(); tot.Paid.String() != "60000.00" || tot.Pending.String() != "40000.00" || tot.Status != finance.PayableOpen {
		t.Fatalf("totals: %+v", tot)
	}
	// a rejection releases the claim; the other draft then goes
	if err := p.DecideVoucher(a, false, "", nil, finBoss, at); code(err) != "comment_required" {
		t.Fatalf("a rejection without a comment: %v", err)
	}
	if err := p.DecideVoucher(a, false, "账号不符", nil, finBoss, at); err != nil {
		t.Fatal(err)
	}
	if v, _ := p.Voucher(a); v.Status != finance.Draft || v.Process.Status != approval.Rejected {
		t.Fatalf("rejected: %+v", v)
	}
	if err := p.SubmitVoucher(b, "x", route, nil, "", clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := p.DecideVoucher(b, true, "", nil, clerk, at); !errors.Is(err, approval.ErrNotCurrentApprover) {
		t.Fatalf("the submitter approving: %v", err)
	}
	if err := p.DecideVoucher(b, true, "", nil, finBoss, at); err != nil {
		t.Fatal(err)
	}
	if tot := p.Totals(); tot.Paid.String() != "100000.00" || tot.Status != finance.PayablePaid || tot.Outstanding.Sign() != 0 {
		t.Fatalf("paid: %+v", tot)
	}
	if got := p.Approvers(); len(got) != 1 || got[0] != finBoss.String() {
		t.Fatalf("approvers: %v", got)
	}
}

// TestConfirmedVouchersAreReversedOnce: a confirmed voucher is not edited or deleted, only
// reversed, once, dated no earlier than the voucher in an open month; reversal frees its amount.
func TestConfirmedVouchersAreReversedOnce(t *testing.T) {
	p := newPayable(t, "1000")
	id := pay(t, p, "1000", "2026-11-02")
	if err := p.UpdateVoucher(id, voucher("1", "2026-11-02"), nil, clerk, at); !errors.Is(err, finance.ErrVoucherState) {
		t.Fatalf("editing a confirmed voucher: %v", err)
	}
	if err := p.DeleteVoucher(id, clerk, at); !errors.Is(err, finance.ErrVoucherState) {
		t.Fatalf("deleting a confirmed voucher: %v", err)
	}
	if err := p.ReverseVoucher(id, " ", "2026-11-05", nil, finBoss, at); code(err) != "" || err == nil {
		t.Fatalf("a reversal without a reason: %v", err)
	}
	if err := p.ReverseVoucher(id, "退回", "2026-11-01", nil, finBoss, at); code(err) != "before_voucher" {
		t.Fatalf("a reversal before the voucher: %v", err)
	}
	if err := p.ReverseVoucher(id, "退回", "2026-12-01", months{"2026-12": true}, finBoss, at); code(err) != "month_closed" {
		t.Fatalf("a reversal in a closed month: %v", err)
	}
	if err := p.ReverseVoucher(id, "供应商退款", "2026-12-01", nil, finBoss, at); err != nil {
		t.Fatal(err)
	}
	if err := p.ReverseVoucher(id, "again", "2026-12-02", nil, finBoss, at); !errors.Is(err, finance.ErrVoucherState) {
		t.Fatalf("reversing twice: %v", err)
	}
	draft := uuid.New()
	if err := p.DraftVoucher(draft, voucher("1000", "2026-12-03"), nil, clerk, at); err != nil {
		t.Fatalf("the reversed amount is free again: %v", err)
	}
	if err := p.ReverseVoucher(draft, "x", "2026-12-03", nil, finBoss, at); !errors.Is(err, finance.ErrVoucherState) {
		t.Fatalf("reversing a draft: %v", err)
	}
	if v, _ := p.Voucher(id); v.Status != finance.Reversed || v.Reversal.Reason != "供应商退款" || p.Totals().Paid.Sign() != 0 {
		t.Fatalf("reversed: %+v %+v", v, p.Totals())
	}
	// history: reversed vouchers stay, so the payable is not deleted
	if err := p.Delete(clerk, at); !errors.Is(err, finance.ErrPayablePaid) {
		t.Fatalf("deleting a payable with payments: %v", err)
	}
}

func TestClosedMonthsAndPayableEdits(t *testing.T) {
	closed := months{"2026-10": true}
	p := newPayable(t, "5000")
	if err := p.DraftVoucher(uuid.New(), voucher("1", "2026-10-31"), closed, clerk, at); code(err) != "month_closed" {
		t.Fatalf("a voucher dated in a closed month: %v", err)
	}
	// a month closed while the voucher waits: the final approval is refused
	id := submitted(t, p, "2000", "2026-10-15")
	if err := p.DecideVoucher(id, true, "", closed, finBoss, at); code(err) != "month_closed" {
		t.Fatalf("confirming in a closed month: %v", err)
	}
	if err := p.WithdrawVoucher(id, finBoss, at); !errors.Is(err, approval.ErrNotSubmitter) {
		t.Fatalf("withdrawn by another: %v", err)
	}
	if err := p.DecideVoucher(id, true, "", nil, finBoss, at); err != nil {
		t.Fatal(err)
	}
	pending := submitted(t, p, "1000", "2026-11-15")
	// the amount never below paid and pending
	low := "2999.99"
	if err := p.Update(finance.PayablePatch{Amount: &low}, clerk, at); code(err) != "below_paid" {
		t.Fatalf("lowering below paid + pending: %v", err)
	}
	ok := "3000"
	if err := p.Update(finance.PayablePatch{Amount: &ok}, clerk, at); err != nil {
		t.Fatal(err)
	}
	other := uuid.NewString()
	if err := p.Update(finance.PayablePatch{SupplierID: &other}, clerk, at); code(err) != "supplier_locked" {
		t.Fatalf("changing the supplier of a paid payable: %v", err)
	}
	n := len(p.Changes())
	if err := p.Update(finance.PayablePatch{Amount: &ok}, clerk, at); err != nil || len(p.Changes()) != n {
		t.Fatalf("the same amount recorded something: %v", err)
	}
	if err := p.WithdrawVoucher(pending, clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(clerk, at); !errors.Is(err, finance.ErrPayablePaid) {
		t.Fatalf("deleting a payable with a confirmed voucher: %v", err)
	}
	// a payable with drafts only is deleted, and then refuses everything
	q := newPayable(t, "10")
	if err := q.DraftVoucher(uuid.New(), voucher("10", "2026-11-01"), nil, clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := q.Delete(clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := q.DraftVoucher(uuid.New(), voucher("1", "2026-11-01"), nil, clerk, at); !errors.Is(err, finance.ErrPayableDeleted) {
		t.Fatalf("a voucher on a deleted payable: %v", err)
	}
	// a payable replays to the same state, and restores from it
	re, err := finance.RehydratePayable(p.ID(), p.Changes())
	if err != nil {
		t.Fatal(err)
	}
	if re.Totals() != p.Totals() || len(re.Vouchers()) != 2 {
		t.Fatalf("rehydrated %+v, want %+v", re.Totals(), p.Totals())
	}
	rs := finance.RestorePayable(p.ID(), p.State())
	var last event.Event = finance.PayableDeleted{PayableID: p.ID().String()}
	rs.Fold(last)
	if !rs.Deleted() || rs.Totals() != p.Totals() {
		t.Fatalf("restored: %+v", rs.State())
	}
}

func TestSuppliers(t *testing.T) {
	if _, err := finance.NewSupplier(uuid.New(), finance.SupplierFields{Name: " ", Phone: "call me"}, clerk, at); err == nil {
		t.Fatal("a supplier without a name accepted")
	}
	s, err := finance.NewSupplier(uuid.New(), finance.SupplierFields{Name: " 星河电子 ", Phone: "021-5555 1234"}, clerk, at)
	if err != nil {
		t.Fatal(err)
	}
	if s.Fields().Name != "星河电子" || finance.SupplierKey(" ABC ") != "abc" {
		t.Fatalf("supplier: %+v", s.Fields())
	}
	same := "星河电子"
	if err := s.Update(finance.SupplierPatch{Name: &same}, clerk, at); err != nil || len(s.Changes()) != 1 {
		t.Fatalf("no change: %v %d", err, len(s.Changes()))
	}
	bank := "招商银行"
	if err := s.Update(finance.SupplierPatch{Bank: &bank}, clerk, at); err != nil || s.Fields().Bank != bank {
		t.Fatal(err)
	}
	if err := s.Delete(clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(finance.SupplierPatch{Bank: &bank}, clerk, at); !errors.Is(err, finance.ErrSupplierDeleted) {
		t.Fatalf("editing a deleted supplier: %v", err)
	}
}
