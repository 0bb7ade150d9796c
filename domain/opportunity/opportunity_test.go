package opportunity_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
)

var (
	t0    = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	admin = uuid.MustParse("00000000-0000-0000-0000-0000000000a1")
	cust  = uuid.MustParse("00000000-0000-0000-0000-0000000000c1")
	prodA = uuid.MustParse("00000000-0000-0000-0000-0000000000f1")
	prodB = uuid.MustParse("00000000-0000-0000-0000-0000000000f2")
)

func codeOf(err error) string {
	var fe *field.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return ""
}

func fieldOf(err error) string {
	var fe *field.Error
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// replay rebuilds the aggregate from what it recorded: state must come from events only.
func replay(t *testing.T, o *opportunity.Opportunity, history *[]event.Event) *opportunity.Opportunity {
	t.Helper()
	*history = append(*history, o.Changes()...)
	r, err := opportunity.Rehydrate(o.ID(), *history)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOpportunityLifecycle(t *testing.T) {
	p := opportunity.DefaultPipeline()
	id := uuid.New()
	o, err := opportunity.New(id, opportunity.Fields{Name: " 星河科技 ERP 升级 ", CustomerID: cust.String()}, p, "", []opportunity.LineInput{
		{ProductID: prodA.String(), ProductName: "ERP 标准版", Quantity: "2", UnitPrice: "19999.99", Discount: "12.5"},
		{ProductID: prodB.String(), ProductName: "实施服务", Quantity: "1.5", UnitPrice: "3333.33"},
	}, admin, "", admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	var h []event.Event
	o = replay(t, o, &h)
	// 2 × 19999.99 × 0.875 = 34999.9825 → 34999.98; 1.5 × 3333.33 = 4999.995 → 5000.00
	if o.Amount() != "39999.98" || o.Lines()[0].Total != "34999.98" || o.Lines()[1].Total != "5000.00" {
		t.Fatalf("amount %s lines %+v", o.Amount(), o.Lines())
	}
	if o.Stage() != "qualify" || o.Probability() != 10 || o.Fields().Name != "星河科技 ERP 升级" {
		t.Fatalf("stage %s prob %d name %q", o.Stage(), o.Probability(), o.Fields().Name)
	}
	// the amount follows the lines
	amt := "100.00"
	if err := o.Update(opportunity.Patch{Amount: &amt}, admin, t0); codeOf(err) != "amount_from_lines" {
		t.Fatalf("amount with lines: %v", err)
	}
	if err := o.MoveStage(p, "nowhere", "", admin, t0); codeOf(err) != "unknown_stage" {
		t.Fatalf("unknown stage: %v", err)
	}
	if err := o.MoveStage(p, "proposal", "报价已发", admin, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	o = replay(t, o, &h)
	if o.Stage() != "proposal" || o.Probability() != 60 {
		t.Fatalf("after advance: %s %d", o.Stage(), o.Probability())
	}
	sc := h[len(h)-1].(opportunity.StageChanged)
	if !sc.Forward || sc.From != "qualify" || sc.Note != "报价已发" {
		t.Fatalf("stage event %+v", sc)
	}
	if err := o.MoveStage(p, "needs", "客户需求变化", admin, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	o = replay(t, o, &h)
	if sc := h[len(h)-1].(opportunity.StageChanged); sc.Forward {
		t.Fatal("moving back recorded as forward")
	}
	// an override probability, then back to the stage's
	seventy, back := 70, -1
	if err := o.Update(opportunity.Patch{Probability: &seventy}, admin, t0); err != nil {
		t.Fatal(err)
	}
	o = replay(t, o, &h)
	if o.Probability() != 70 {
		t.Fatalf("override: %d", o.Probability())
	}
	if err := o.Update(opportunity.Patch{Probability: &back}, admin, t0); err != nil {
		t.Fatal(err)
	}
	o = replay(t, o, &h)
	if o.Probability() != 30 {
		t.Fatalf("back to the stage's: %d", o.Probability())
	}
	step := uuid.New()
	if err := o.AddPlanStep(step, "2026-12-03", "上门演示", admin, t0); err != nil {
		t.Fatal(err)
	}
	if err := o.RecordPlanResult(step, "客户认可方案", admin, t0); err != nil {
		t.Fatal(err)
	}
	o = replay(t, o, &h)
	if pl := o.Plan(); len(pl) != 1 || pl[0].Result != "客户认可方案" {
		t.Fatalf("plan %+v", pl)
	}
	if err := o.Win("", "2026-12-20", "签约", admin, t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	o = replay(t, o, &h)
	won := h[len(h)-1].(opportunity.Won)
	if o.Status() != opportunity.StatusWon || o.Probability() != 100 || won.Amount != "39999.98" || won.CustomerID != cust.String() {
		t.Fatalf("won: %s %d %+v", o.Status(), o.Probability(), won)
	}
	// closed: no advancing, no plan, no lines; reopen then works
	if err := o.MoveStage(p, "negotiation", "", admin, t0); !errors.Is(err, opportunity.ErrClosed) {
		t.Fatalf("advancing a won opportunity: %v", err)
	}
	if err := o.AddPlanStep(uuid.New(), "2026-12-21", "x", admin, t0); !errors.Is(err, opportunity.ErrClosed) {
		t.Fatalf("plan on a won opportunity: %v", err)
	}
	if err := o.Reopen(p, "", "客户撤回", admin, t0); err != nil {
		t.Fatal(err)
	}
	o = replay(t, o, &h)
	if o.Status() != opportunity.StatusOpen || o.Stage() != "needs" {
		t.Fatalf("reopened: %s %s", o.Status(), o.Stage())
	}
	if err := o.Lose("", "", "", admin, t0); fieldOf(err) != "reason" {
		t.Fatalf("lose without a reason: %v", err)
	}
	if err := o.Lose("price", "竞品A", "价格", admin, t0); err != nil {
		t.Fatal(err)
	}
	o = replay(t, o, &h)
	if o.Status() != opportunity.StatusLost || o.Probability() != 0 {
		t.Fatalf("lost: %s", o.Status())
	}
}

func TestOpportunityRefusesBadInput(t *testing.T) {
	p := opportunity.DefaultPipeline()
	good := opportunity.Fields{Name: "x", CustomerID: cust.String()}
	line := func(q, price, disc string) []opportunity.LineInput {
		return []opportunity.LineInput{{ProductID: prodA.String(), Quantity: q, UnitPrice: price, Discount: disc}}
	}
	cases := []struct {
		name  string
		f     opportunity.Fields
		lines []opportunity.LineInput
		field string
		code  string
		stage string
	}{
		{"no customer", opportunity.Fields{Name: "x"}, nil, "customerId", "customer_required", ""},
		{"negative quantity", good, line("-1", "10", ""), "lines[0].quantity", "negative_not_allowed", ""},
		{"zero quantity", good, line("0", "10", ""), "lines[0].quantity", "zero_quantity", ""},
		{"discount over 100", good, line("1", "10", "100.5"), "lines[0].discount", "decimal_out_of_range", ""},
		{"three decimals", good, line("1", "10.005", ""), "lines[0].unitPrice", "too_many_decimals", ""},
		{"not a number", good, line("1", "ten", ""), "lines[0].unitPrice", "not_a_decimal", ""},
		{"amount not a number", opportunity.Fields{Name: "x", CustomerID: cust.String(), Amount: "1e5"}, nil, "amount", "not_a_decimal", ""},
		{"unknown stage", good, nil, "stage", "unknown_stage", "signed"},
		{"bad date", opportunity.Fields{Name: "x", CustomerID: cust.String(), ExpectedCloseDate: "2026-02-30"}, nil, "expectedCloseDate", "not_a_date", ""},
	}
	for _, c := range cases {
		_, err := opportunity.New(uuid.New(), c.f, p, c.stage, c.lines, admin, "", admin, t0)
		if fieldOf(err) != c.field || codeOf(err) != c.code {
			t.Errorf("%s: %v; want %s %s", c.name, err, c.field, c.code)
		}
	}
}

func TestPipelineStagesAreDisabledNeverRemoved(t *testing.T) {
	p := opportunity.DefaultPipeline()
	stages := p.Stages()
	if err := p.Revise("默认", stages[1:], false, admin, t0); codeOf(err) != "stage_removed" {
		t.Fatalf("removing a stage: %v", err)
	}
	stages[0].Disabled = true
	stages = append(stages, opportunity.Stage{Key: "contract", Name: "合同签订", Probability: 90})
	if err := p.Revise("默认", stages, false, admin, t0); err != nil {
		t.Fatal(err)
	}
	r, err := opportunity.RehydratePipeline(opportunity.DefaultPipelineID, p.Changes())
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := r.FirstStage(); s.Key != "needs" {
		t.Fatalf("first enabled stage %q", s.Key)
	}
	if _, err := r.Enterable("qualify"); codeOf(err) != "stage_disabled" {
		t.Fatalf("entering a disabled stage: %v", err)
	}
	dup := append(r.Stages(), opportunity.Stage{Key: "needs", Name: "x", Probability: 1})
	if err := r.Revise("默认", dup, false, admin, t0); codeOf(err) != "duplicate_stage" {
		t.Fatalf("duplicate stage: %v", err)
	}
	if err := r.Revise("默认", r.Stages(), true, admin, t0); codeOf(err) != "default_pipeline" {
		t.Fatalf("disabling the default pipeline: %v", err)
	}
	if _, err := opportunity.DefinePipeline(uuid.New(), "项目型", []opportunity.Stage{{Key: "won", Name: "赢", Probability: 100}}, admin, t0); err == nil {
		t.Fatal("a stage named won was accepted")
	}
}
