package finance_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
)

var (
	at       = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	clerk    = uuid.New()
	finBoss  = uuid.New()
	contrID  = uuid.New()
	approved = finance.Terms{Status: contract.StatusApproved, Number: "HT-202611-0001", Name: "星河科技年度框架", Amount: money.Fen(100_000_00), Owner: clerk}
)

func route(money.Amount) ([]approval.Step, error) {
	return []approval.Step{{Name: "财务", Kind: approval.RoleHolders, ApproverIDs: []string{finBoss.String()}}}, nil
}

type months map[string]bool

func (m months) Closed(month string) bool { return m[month] }

func code(err error) string {
	var fe *field.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return ""
}

func fields(amount, date string, installments ...int) finance.ReceiptFields {
	return finance.ReceiptFields{Amount: amount, Date: date, Method: "bank_transfer", OwnerID: clerk.String(), Installments: installments}
}

// planned is a ledger with three installments of 30,000, 30,000 and 40,000.
func planned(t *testing.T) *finance.Ledger {
	t.Helper()
	l := finance.NewLedger(contrID)
	if err := l.SetPlan(approved, []finance.PlanItem{{DueDate: "2026-10-31", Amount: "30000"}, {DueDate: "2026-12-31", Amount: "30000.00"},
		{DueDate: "2027-03-31", Amount: "40000"}}, clerk, at); err != nil {
		t.Fatal(err)
	}
	return l
}

func confirm(t *testing.T, l *finance.Ledger, f finance.ReceiptFields) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if err := l.DraftReceipt(approved, id, f, nil, clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := l.SubmitReceipt(approved, id, route, nil, "", clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := l.DecideReceipt(id, true, "", nil, finBoss, at); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPlanRules(t *testing.T) {
	l := finance.NewLedger(contrID)
	draft := approved
	draft.Status = contract.StatusDraft
	if err := l.SetPlan(draft, []finance.PlanItem{{DueDate: "2026-10-31", Amount: "1"}}, clerk, at); code(err) != "contract_not_approved" {
		t.Fatalf("plan on a draft contract: %v", err)
	}
	if err := l.SetPlan(approved, []finance.PlanItem{{DueDate: "2026-10-31", Amount: "60000"}, {DueDate: "2026-11-30", Amount: "40000.01"}}, clerk, at); code(err) != "plan_exceeds_contract" {
		t.Fatalf("plan over the contract: %v", err)
	}
	for _, bad := range []finance.PlanItem{{DueDate: "2026-13-01", Amount: "1"}, {DueDate: "2026-10-31", Amount: "-1"}, {DueDate: "2026-10-31", Amount: "0"},
		{DueDate: "2026-10-31", Amount: "1.001"}, {DueDate: "2026-10-31", Amount: "1e3"}, {Seq: 7, DueDate: "2026-10-31", Amount: "1"}} {
		if err := l.SetPlan(approved, []finance.PlanItem{bad}, clerk, at); err == nil {
			t.Errorf("plan %+v accepted", bad)
		}
	}
	if len(l.Changes()) != 0 {
		t.Fatalf("refused plans recorded %d events", len(l.Changes()))
	}
	l = planned(t)
	ins := l.Installments()
	if len(ins) != 3 || ins[0].Seq != 1 || ins[1].Amount != "30000.00" || l.Totals().Planned.String() != "100000.00" {
		t.Fatalf("plan: %+v", ins)
	}
	// a plan equal to the one in force records nothing
	n := len(l.Changes())
	if err := l.SetPlan(approved, []finance.PlanItem{{Seq: 1, DueDate: "2026-10-31", Amount: "30000"}, {Seq: 2, DueDate: "2026-12-31", Amount: "30000"},
		{Seq: 3, DueDate: "2027-03-31", Amount: "40000"}}, clerk, at); err != nil || len(l.Changes()) != n {
		t.Fatalf("same plan: %v, %d events", err, len(l.Changes())-n)
	}
	// an installment with money on it stays, and not below what it received
	confirm(t, l, fields("10000", "2026-11-02", 1))
	if err := l.SetPlan(approved, []finance.PlanItem{{Seq: 2, DueDate: "2026-12-31", Amount: "30000"}}, clerk, at); code(err) != "installment_received" {
		t.Fatalf("removing a received installment: %v", err)
	}
	if err := l.SetPlan(approved, []finance.PlanItem{{Seq: 1, DueDate: "2026-10-31", Amount: "9999.99"}}, clerk, at); code(err) != "below_received" {
		t.Fatalf("shrinking below received: %v", err)
	}
	if err := l.SetPlan(approved, []finance.PlanItem{{Seq: 1, DueDate: "2026-10-31", Amount: "10000"}, {DueDate: "2027-01-31", Amount: "90000"}}, clerk, at); err != nil {
		t.Fatal(err)
	}
	ins = l.Installments()
	if len(ins) != 2 || ins[0].Received != "10000.00" || ins[1].Seq != 4 || finance.InstallmentStatus(ins[0]) != finance.InstallmentReceived {
		t.Fatalf("replanned: %+v", ins)
	}
}

func TestReceiptsAllocateOldestFirstAndNeverOverReceive(t *testing.T) {
	l := planned(t)
	confirm(t, l, fields("45000", "2026-11-01"))
	ins := l.Installments()
	if ins[0].Received != "30000.00" || ins[1].Received != "15000.00" || ins[2].Received != "0.00" {
		t.Fatalf("oldest first: %+v", ins)
	}
	if finance.InstallmentStatus(ins[1]) != finance.InstallmentPartly || finance.InstallmentStatus(ins[2]) != finance.InstallmentPlanned {
		t.Fatalf("statuses: %+v", ins)
	}
	// a pending receipt claims its part: another cannot take the same money
	pending := uuid.New()
	if err := l.DraftReceipt(approved, pending, fields("15000", "2026-11-02", 2), nil, clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := l.SubmitReceipt(approved, pending, route, nil, "", clerk, at); err != nil {
		t.Fatal(err)
	}
	other := uuid.New()
	if err := l.DraftReceipt(approved, other, fields("0.01", "2026-11-02", 2), nil, clerk, at); code(err) != "over_receipt" {
		t.Fatalf("over-receiving an installment another receipt claims: %v", err)
	}
	// the contract has 40,000 left: 40,000.01 is refused, 40,000 goes to installment 3
	if err := l.DraftReceipt(approved, other, fields("40000.01", "2026-11-02"), nil, clerk, at); code(err) != "over_receipt" {
		t.Fatalf("over-receiving the contract: %v", err)
	}
	// rejected, the claim is released
	if err := l.DecideReceipt(pending, false, "", nil, finBoss, at); code(err) != "comment_required" {
		t.Fatalf("rejection without a comment: %v", err)
	}
	if err := l.DecideReceipt(pending, true, "", nil, clerk, at); !errors.Is(err, approval.ErrNotCurrentApprover) {
		t.Fatalf("approval by the clerk: %v", err)
	}
	if err := l.DecideReceipt(pending, false, "银行流水对不上", nil, finBoss, at); err != nil {
		t.Fatal(err)
	}
	if r, _ := l.Receipt(pending); r.Status != finance.Draft || len(r.Allocation) != 0 {
		t.Fatalf("rejected receipt: %+v", r)
	}
	confirm(t, l, fields("55000", "2026-11-03"))
	tot := l.Totals()
	if tot.Received.String() != "100000.00" || tot.Unplanned.String() != "0.00" || tot.LastDate != "2026-11-03" {
		t.Fatalf("totals: %+v", tot)
	}
	if err := l.DraftReceipt(approved, uuid.New(), fields("0.01", "2026-11-04"), nil, clerk, at); code(err) != "over_receipt" {
		t.Fatalf("receiving a fully received contract: %v", err)
	}
}

func TestReceiptBeyondThePlanAndReversal(t *testing.T) {
	l := finance.NewLedger(contrID)
	if err := l.SetPlan(approved, []finance.PlanItem{{DueDate: "2026-10-31", Amount: "60000"}}, clerk, at); err != nil {
		t.Fatal(err)
	}
	id := confirm(t, l, fields("70000", "2026-11-01"))
	r, _ := l.Receipt(id)
	if len(r.Allocation) != 2 || r.Allocation[1].Seq != 0 || r.Allocation[1].Amount != "10000.00" || r.Number != "HT-202611-0001-R01" {
		t.Fatalf("allocation beyond the plan: %+v", r)
	}
	// the plan may not grow into what was received beyond it
	if err := l.SetPlan(approved, []finance.PlanItem{{Seq: 1, DueDate: "2026-10-31", Amount: "60000"}, {DueDate: "2026-12-31", Amount: "30000.01"}}, clerk, at); code(err) != "plan_exceeds_contract" {
		t.Fatalf("plan beside unplanned receipts: %v", err)
	}
	closed := months{"2026-11": true}
	if err := l.ReverseReceipt(id, "付款方退票", "2026-11-20", closed, clerk, at); code(err) != "month_closed" {
		t.Fatalf("reversal in a closed month: %v", err)
	}
	if err := l.ReverseReceipt(id, "", "2026-12-01", nil, clerk, at); err == nil {
		t.Fatal("reversal without a reason")
	}
	if err := l.ReverseReceipt(id, "付款方退票", "2026-10-31", nil, clerk, at); code(err) != "before_receipt" {
		t.Fatalf("reversal before the receipt: %v", err)
	}
	if err := l.ReverseReceipt(id, "付款方退票", "2026-12-01", closed, clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := l.ReverseReceipt(id, "again", "2026-12-01", nil, clerk, at); !errors.Is(err, finance.ErrReceiptState) {
		t.Fatalf("reversing twice: %v", err)
	}
	if tot := l.Totals(); !tot.Received.IsZero() || l.Installments()[0].Received != "0.00" || !tot.Unplanned.IsZero() {
		t.Fatalf("after reversal: %+v %+v", tot, l.Installments())
	}
	// a draft receipt cannot be reversed; a reversed one cannot be edited
	d := uuid.New()
	if err := l.DraftReceipt(approved, d, fields("1", "2026-12-02"), nil, clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := l.ReverseReceipt(d, "x", "2026-12-02", nil, clerk, at); !errors.Is(err, finance.ErrReceiptState) {
		t.Fatalf("reversing a draft: %v", err)
	}
	if err := l.UpdateReceipt(approved, id, fields("1", "2026-12-02"), nil, clerk, at); !errors.Is(err, finance.ErrReceiptState) {
		t.Fatalf("editing a reversed receipt: %v", err)
	}
}

func TestClosedMonthsAndOverdue(t *testing.T) {
	l := planned(t)
	closed := months{"2026-10": true}
	if err := l.DraftReceipt(approved, uuid.New(), fields("1", "2026-10-15"), closed, clerk, at); code(err) != "month_closed" {
		t.Fatalf("receipt in a closed month: %v", err)
	}
	// a receipt drafted while its month was open is not confirmed once the month closes
	id := uuid.New()
	if err := l.DraftReceipt(approved, id, fields("1000", "2026-10-15"), nil, clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := l.SubmitReceipt(approved, id, route, nil, "", clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := l.DecideReceipt(id, true, "", closed, finBoss, at); code(err) != "month_closed" {
		t.Fatalf("confirming into a closed month: %v", err)
	}
	if err := l.WithdrawReceipt(id, finBoss, at); !errors.Is(err, approval.ErrNotSubmitter) {
		t.Fatalf("withdrawal by the approver: %v", err)
	}
	if err := l.WithdrawReceipt(id, clerk, at); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteReceipt(id, clerk, at); err != nil {
		t.Fatal(err)
	}
	// overdue: installment 1 (due 2026-10-31) on 2026-11-01, once
	if err := l.MarkOverdue("2026-10-31", uuid.Nil, at); err != nil || len(l.Changes()) != 5 {
		t.Fatalf("nothing is overdue on its due date: %v %d", err, len(l.Changes()))
	}
	if err := l.MarkOverdue("2026-11-01", uuid.Nil, at); err != nil {
		t.Fatal(err)
	}
	n := len(l.Changes())
	if err := l.MarkOverdue("2026-11-02", uuid.Nil, at); err != nil || len(l.Changes()) != n {
		t.Fatalf("overdue twice: %v", err)
	}
	if st := finance.InstallmentStatus(l.Installments()[0]); st != finance.InstallmentOverdue || l.Totals().Overdue.String() != "30000.00" {
		t.Fatalf("overdue: %s %+v", st, l.Totals())
	}
	confirm(t, l, fields("30000", "2026-11-05", 1))
	if st := finance.InstallmentStatus(l.Installments()[0]); st != finance.InstallmentReceived || !l.Totals().Overdue.IsZero() {
		t.Fatalf("paid late: %s %+v", st, l.Totals())
	}
}

func TestCalendar(t *testing.T) {
	c := finance.NewCalendar()
	if err := c.Close("2026-11", "2026-11-29", clerk, at); code(err) != "month_not_ended" {
		t.Fatalf("closing the current month: %v", err)
	}
	if err := c.Close("2026-1", "2026-11-29", clerk, at); code(err) != "not_a_month" {
		t.Fatalf("bad month: %v", err)
	}
	if err := c.Close("2026-10", "2026-11-29", clerk, at); err != nil || !c.Closed("2026-10") {
		t.Fatal(err)
	}
	if err := c.Close("2026-10", "2026-11-29", clerk, at); !errors.Is(err, finance.ErrMonthClosed) {
		t.Fatalf("closing twice: %v", err)
	}
	if err := c.Reopen("2026-10", " ", clerk, at); err == nil {
		t.Fatal("reopening without a reason")
	}
	if err := c.Reopen("2026-10", "补录十月回款", clerk, at); err != nil || c.Closed("2026-10") {
		t.Fatal(err)
	}
	if err := c.Reopen("2026-10", "again", clerk, at); !errors.Is(err, finance.ErrMonthOpen) {
		t.Fatalf("reopening an open month: %v", err)
	}
}
