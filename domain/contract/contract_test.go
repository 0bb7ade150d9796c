package contract_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
	"github.com/chronicle-crm/chronicle/domain/money"
)

var (
	t0                    = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	sales, boss, finance  = uuid.New(), uuid.New(), uuid.New()
	customerID, productID = uuid.NewString(), uuid.NewString()
)

// twoSteps routes every contract to the boss, and those above 10,000 to finance after.
func twoSteps(amount money.Amount) ([]approval.Step, error) {
	defs := []approval.StepDef{{Kind: approval.Superior}, {Kind: approval.RoleHolders, Role: "finance", MinAmount: "10000"}}
	var applicable []approval.StepDef
	var who [][]uuid.UUID
	for _, d := range defs {
		if d.Applies(amount) {
			applicable = append(applicable, d)
			if d.Kind == approval.Superior {
				who = append(who, []uuid.UUID{boss})
			} else {
				who = append(who, []uuid.UUID{finance, sales}) // the submitter is left out
			}
		}
	}
	return approval.Resolve(applicable, who, sales)
}

func code(err error) string {
	var fe *field.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return ""
}

func draft(t *testing.T) *contract.Contract {
	t.Helper()
	_, err := contract.New(uuid.New(), "HT-202611-0001", contract.Fields{Name: "年度服务合同", CustomerID: customerID, StartsOn: "2026-12-01", EndsOn: "2027-11-30"},
		[]lineitem.Input{{ProductID: productID, ProductName: "服务", Quantity: "3", UnitPrice: "4999.995", Discount: "0"}}, sales, sales, t0)
	if code(err) != money.CodeTooManyDecimals {
		t.Fatalf("a price with three decimals: %v", err)
	}
	c, err := contract.New(uuid.New(), "HT-202611-0001", contract.Fields{Name: "年度服务合同", CustomerID: customerID, StartsOn: "2026-12-01", EndsOn: "2027-11-30"},
		[]lineitem.Input{{ProductID: productID, ProductName: "服务", Quantity: "3", UnitPrice: "4999.99", Discount: "10"}}, sales, sales, t0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Amount() != "13499.97" || c.Status() != contract.StatusDraft {
		t.Fatalf("amount %s status %s", c.Amount(), c.Status())
	}
	return c
}

func TestApprovalInTwoStepsLocksTheContract(t *testing.T) {
	c := draft(t)
	if err := c.Submit(twoSteps, "", sales, t0); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(contract.Patch{Name: ptr("改名")}, sales, t0); !errors.Is(err, contract.ErrLocked) {
		t.Fatalf("editing a pending contract: %v", err)
	}
	if err := c.Decide(true, "", finance, t0); !errors.Is(err, approval.ErrNotCurrentApprover) {
		t.Fatalf("finance before the boss: %v", err)
	}
	if err := c.Decide(true, "", sales, t0); !errors.Is(err, approval.ErrNotCurrentApprover) {
		t.Fatalf("the submitter approving: %v", err)
	}
	if err := c.Decide(true, "同意", boss, t0); err != nil {
		t.Fatal(err)
	}
	if c.Status() != contract.StatusPending || c.Process().Current != 1 {
		t.Fatalf("after the first step: %s %+v", c.Status(), c.Process())
	}
	if err := c.Decide(true, "", finance, t0); err != nil {
		t.Fatal(err)
	}
	if c.Status() != contract.StatusApproved || c.Process().Status != approval.Approved {
		t.Fatalf("after the last step: %s %+v", c.Status(), c.Process())
	}
	if err := c.Decide(true, "", finance, t0); !errors.Is(err, approval.ErrNotPending) {
		t.Fatalf("a second decision: %v", err)
	}
	if err := c.Update(contract.Patch{Name: ptr("改名")}, sales, t0); !errors.Is(err, contract.ErrLocked) {
		t.Fatalf("editing an approved contract: %v", err)
	}
	// The history replays to the same state.
	again, err := contract.Rehydrate(c.ID(), events(c))
	if err != nil || again.Status() != contract.StatusApproved || again.Amount() != c.Amount() {
		t.Fatalf("rehydrated: %v %v", again, err)
	}
}

func TestRejectionReturnsToDraftAndWithdrawal(t *testing.T) {
	c := draft(t)
	if err := c.Submit(twoSteps, "", sales, t0); err != nil {
		t.Fatal(err)
	}
	if err := c.Decide(false, " ", boss, t0); code(err) != "comment_required" {
		t.Fatalf("a rejection without a reason: %v", err)
	}
	if err := c.Decide(false, "价格太低", boss, t0); err != nil {
		t.Fatal(err)
	}
	if c.Status() != contract.StatusDraft {
		t.Fatalf("rejected: %s", c.Status())
	}
	if err := c.Update(contract.Patch{Amount: ptr("1.00")}, sales, t0); code(err) != "amount_from_lines" {
		t.Fatalf("an amount beside lines: %v", err)
	}
	lines := []lineitem.Input{{ProductID: productID, ProductName: "服务", Quantity: "1", UnitPrice: "100"}}
	if err := c.Update(contract.Patch{Lines: &lines}, sales, t0); err != nil || c.Amount() != "100.00" {
		t.Fatalf("new lines: %v %s", err, c.Amount())
	}
	if err := c.Submit(twoSteps, "", sales, t0); err != nil {
		t.Fatal(err)
	}
	if len(c.Process().Steps) != 1 {
		t.Fatalf("100.00 is not above 10,000: finance's step applies not: %+v", c.Process().Steps)
	}
	// finance was routed the first submission: it still reads the contract
	if a := c.Approvers(); !slices.Contains(a, finance.String()) || !slices.Contains(a, boss.String()) {
		t.Fatalf("approvers who may read it: %v", a)
	}
	if err := c.Withdraw(boss, t0); !errors.Is(err, approval.ErrNotSubmitter) {
		t.Fatalf("withdrawn by the approver: %v", err)
	}
	if err := c.Withdraw(sales, t0); err != nil || c.Status() != contract.StatusDraft {
		t.Fatalf("withdrawn: %v %s", err, c.Status())
	}
}

func TestAmendmentAppliesOnlyOnceApproved(t *testing.T) {
	c := draft(t)
	must(t, c.Submit(twoSteps, "", sales, t0))
	must(t, c.Decide(true, "", boss, t0))
	must(t, c.Decide(true, "", finance, t0))
	must(t, c.Start(sales, t0))
	if err := c.Amend(contract.Patch{}, "无", twoSteps, sales, t0); !errors.Is(err, contract.ErrNothingToAmend) {
		t.Fatalf("an empty amendment: %v", err)
	}
	if err := c.Amend(contract.Patch{EndsOn: ptr("2026-01-01")}, "延期", twoSteps, sales, t0); code(err) != "ends_before_start" {
		t.Fatalf("an end before the start: %v", err)
	}
	must(t, c.Amend(contract.Patch{EndsOn: ptr("2028-11-30")}, "延期一年", twoSteps, sales, t0))
	if err := c.Amend(contract.Patch{Remarks: ptr("x")}, "再改", twoSteps, sales, t0); !errors.Is(err, contract.ErrAmendmentOpen) {
		t.Fatalf("a second amendment: %v", err)
	}
	if c.Fields().EndsOn != "2027-11-30" || c.Status() != contract.StatusExecuting {
		t.Fatalf("applied before approval: %+v %s", c.Fields(), c.Status())
	}
	must(t, c.Decide(true, "", boss, t0))
	must(t, c.Decide(true, "", finance, t0))
	if c.Fields().EndsOn != "2028-11-30" || c.Status() != contract.StatusExecuting || c.Amendment() != nil {
		t.Fatalf("approved amendment: %+v %s", c.Fields(), c.Status())
	}
	must(t, c.Amend(contract.Patch{Remarks: ptr("补充条款")}, "补充", twoSteps, sales, t0))
	must(t, c.Decide(false, "不需要", boss, t0))
	if c.Fields().Remarks != "" || c.Amendment() != nil {
		t.Fatalf("a rejected amendment applied: %+v", c.Fields())
	}
	if err := c.Terminate("", sales, t0); err == nil {
		t.Fatal("terminated without a reason")
	}
	must(t, c.Terminate("客户违约", sales, t0))
	var se *contract.StateError
	if err := c.Complete(sales, t0); !errors.As(err, &se) || se.Status != contract.StatusTerminated {
		t.Fatalf("completing a terminated contract: %v", err)
	}
}

// A contract entered with an amount and no lines takes its lines' sum once lines are set.
func TestLinesReplaceAnEnteredAmount(t *testing.T) {
	c, err := contract.New(uuid.New(), "N-1", contract.Fields{Name: "框架协议", CustomerID: customerID, Amount: "5000"}, nil, sales, sales, t0)
	must(t, err)
	lines := []lineitem.Input{{ProductID: productID, ProductName: "服务", Quantity: "2", UnitPrice: "0.05"}}
	must(t, c.Update(contract.Patch{Lines: &lines}, sales, t0))
	if c.Amount() != "0.10" || c.Fields().Amount != "" {
		t.Fatalf("amount %s, entered %q", c.Amount(), c.Fields().Amount)
	}
	empty := []lineitem.Input{}
	must(t, c.Update(contract.Patch{Lines: &empty, Amount: ptr("7.5")}, sales, t0))
	if c.Amount() != "7.50" || len(c.Lines()) != 0 {
		t.Fatalf("lines removed: amount %s, %d lines", c.Amount(), len(c.Lines()))
	}
}

func TestNumberingCountsPerPrefix(t *testing.T) {
	n, err := contract.RehydrateNumbering(contract.NumberingID, nil)
	must(t, err)
	taken := map[string]bool{"HT-202611-0002": true}
	var got []string
	for _, day := range []time.Time{t0, t0, t0.AddDate(0, 1, 0)} {
		s, err := n.Issue(day, func(s string) bool { return taken[s] }, sales, t0)
		must(t, err)
		got = append(got, s)
	}
	if got[0] != "HT-202611-0001" || got[1] != "HT-202611-0003" || got[2] != "HT-202612-0001" {
		t.Fatalf("numbers: %v", got)
	}
	for _, bad := range []string{"HT-{yyyy}", "HT-{seq:4}-{seq:2}", "HT-{seq:0}", "HT {seq:3}", "HT-{month}{seq:3}", "HT-{seq:10}"} {
		if err := n.SetPattern(bad, sales, t0); code(err) != "bad_pattern" && err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
	must(t, n.SetPattern("合同{yy}{mm}{dd}-{seq:1}", sales, t0))
	for i := 1; i <= 9; i++ {
		if _, err := n.Issue(t0, nil, sales, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.Issue(t0, nil, sales, t0); code(err) != "sequence_exhausted" {
		t.Fatalf("a tenth number of one digit: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr(s string) *string { return &s }

func events(c *contract.Contract) []event.Event { return c.Changes() }
