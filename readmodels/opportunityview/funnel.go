package opportunityview

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// FunnelQuery selects the cohort a funnel measures: the opportunities of a pipeline created in
// the months From to To (inclusive, "2026-01"), optionally of one owner or one department's tree,
// inside the reader's sight.
type FunnelQuery struct {
	Reader       Reader
	PipelineID   uuid.UUID
	Stages       []string // the pipeline's stages in order
	From, To     string
	OwnerID      *uuid.UUID
	DepartmentID *uuid.UUID // the owners of this department and those below it
}

// FunnelStage is one stage of the funnel.
type FunnelStage struct {
	Stage string `json:"stage"`
	// Reached: opportunities of the cohort that got to this stage or further (or were won).
	Reached int64 `json:"reached"`
	// Conversion: of those that reached this stage, the share that reached the next one (the
	// last stage: that were won), in percent with two decimals; "" when none reached it.
	Conversion string `json:"conversion"`
	// Open: the cohort's open opportunities in the stage now, with their sums.
	Open     int64  `json:"open"`
	Amount   string `json:"amount"`
	Weighted string `json:"weightedAmount"`
	// AvgDays: the average stay in the stage of the visits that ended (days, one decimal).
	AvgDays string `json:"avgDays"`
}

// Funnel is a pipeline's funnel for a cohort.
type Funnel struct {
	PipelineID uuid.UUID     `json:"pipelineId"`
	From       string        `json:"from"`
	To         string        `json:"to"`
	Total      int64         `json:"total"`
	Stages     []FunnelStage `json:"stages"`
	Won        int64         `json:"won"`
	Lost       int64         `json:"lost"`
	WonAmount  string        `json:"wonAmount"`
	// WinRate: won ÷ (won + lost), percent with two decimals ("" when none closed).
	WinRate string `json:"winRate"`
	// AvgDealSize: the won amount ÷ won, rounded half-up to the fen ("" when none won).
	AvgDealSize string `json:"avgDealSize"`
	// AvgCycleDays: average days from creation to the win.
	AvgCycleDays string `json:"avgCycleDays"`
}

// MaxFunnelMonths bounds a funnel's period.
const MaxFunnelMonths = 36

// funnelAcc adds up a funnel's parts from any source (the cells, the rows).
type funnelAcc struct {
	stages    []string
	idx       map[string]int
	furthest  []int64 // open or lost opportunities whose furthest stage has this rank
	won, lost int64
	total     int64
	wonSum    money.Amount
	cycleSecs int64
	open      []int64
	openAmt   []money.Amount
	openW     []money.Amount
	stays     []int64
	staySecs  []int64
}

func newAcc(stages []string) *funnelAcc {
	a := &funnelAcc{stages: stages, idx: map[string]int{}, furthest: make([]int64, len(stages)), open: make([]int64, len(stages)),
		openAmt: make([]money.Amount, len(stages)), openW: make([]money.Amount, len(stages)), stays: make([]int64, len(stages)), staySecs: make([]int64, len(stages))}
	for i, s := range stages {
		a.idx[s] = i
	}
	return a
}

func (a *funnelAcc) cohort(furthest int64, status string, n int64, won money.Amount, cycle int64) {
	a.total += n
	switch status {
	case string(opportunity.StatusWon):
		a.won, a.wonSum, a.cycleSecs = a.won+n, a.wonSum.Add(won), a.cycleSecs+cycle
		return
	case string(opportunity.StatusLost):
		a.lost += n
	}
	if furthest >= 0 && int(furthest) < len(a.furthest) {
		a.furthest[furthest] += n
	}
}

func (a *funnelAcc) openIn(stage string, n int64, amount, weighted money.Amount) {
	if i, ok := a.idx[stage]; ok {
		a.open[i], a.openAmt[i], a.openW[i] = a.open[i]+n, a.openAmt[i].Add(amount), a.openW[i].Add(weighted)
	}
}

func (a *funnelAcc) stay(stage string, n, secs int64) {
	if i, ok := a.idx[stage]; ok {
		a.stays[i], a.staySecs[i] = a.stays[i]+n, a.staySecs[i]+secs
	}
}

func (a *funnelAcc) funnel(q FunnelQuery) Funnel {
	f := Funnel{PipelineID: q.PipelineID, From: q.From, To: q.To, Total: a.total, Won: a.won, Lost: a.lost, WonAmount: a.wonSum.String(),
		WinRate: percent(a.won, a.won+a.lost), Stages: make([]FunnelStage, len(a.stages))}
	// reached(i): the open or lost ones whose furthest stage is i or later, and every won one
	var later int64
	for i := len(a.stages) - 1; i >= 0; i-- {
		later += a.furthest[i]
		f.Stages[i] = FunnelStage{Stage: a.stages[i], Reached: later + a.won, Open: a.open[i], Amount: a.openAmt[i].String(), Weighted: a.openW[i].String()}
		if a.stays[i] > 0 {
			f.Stages[i].AvgDays = days(a.staySecs[i], a.stays[i])
		}
	}
	for i := range f.Stages {
		next := a.won
		if i+1 < len(f.Stages) {
			next = f.Stages[i+1].Reached
		}
		f.Stages[i].Conversion = percent(next, f.Stages[i].Reached)
	}
	if a.won > 0 {
		f.AvgDealSize = money.Fen(divRound(a.wonSum.Fen(), a.won)).String()
		f.AvgCycleDays = days(a.cycleSecs, a.won)
	}
	return f
}

// days is secs ÷ n in days with one decimal, rounded half-up.
func days(secs, n int64) string {
	tenths := divRound(secs*10, n*86400)
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}

// percent is a/b in percent with two decimals, rounded half-up ("" when b is 0).
func percent(a, b int64) string {
	if b == 0 {
		return ""
	}
	return money.Fen(divRound(a*10000, b)).String()
}

// divRound is a/b rounded half-up (a ≥ 0, b > 0).
func divRound(a, b int64) int64 { return (2*a + b) / (2 * b) }

// check validates the period.
func (q FunnelQuery) check() error {
	var errs []error
	for name, m := range map[string]string{"from": q.From, "to": q.To} {
		if len(m) != 7 || m[4] != '-' || opportunity.CheckDate(name, m+"-01") != nil {
			errs = append(errs, field.Errorf(name, "must be a month written 2006-01; got %q", m))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if months(q.From, q.To) < 1 || months(q.From, q.To) > MaxFunnelMonths {
		return field.Errorf("to", "the period must end after it starts and last at most %d months", MaxFunnelMonths)
	}
	return nil
}

// months is how many months from..to covers (inclusive).
func months(from, to string) int {
	var fy, fm, ty, tm int
	fmt.Sscanf(from, "%d-%d", &fy, &fm)
	fmt.Sscanf(to, "%d-%d", &ty, &tm)
	return (ty-fy)*12 + tm - fm + 1
}

// Funnel measures the cohort from the cells the projection keeps (a few rows per owner and month
// in the reader's scope, or per month of the roll-up for a reader who sees everything), in one
// statement, plus, read from the rows, the opportunities the reader sees only as
// their account manager or a team member.
func (v *Views) Funnel(ctx context.Context, q FunnelQuery) (Funnel, error) {
	if err := q.check(); err != nil {
		return Funnel{}, err
	}
	acc := newAcc(q.Stages)
	if q.Reader.Scope.None || len(q.Stages) == 0 {
		return acc.funnel(q), nil
	}
	owners, args, err := v.ownerFilter(ctx, q)
	if err != nil {
		return Funnel{}, err
	}
	if owners == "" { // everyone, no owner or department asked: the roll-up cells
		owners, args = "owner_id = ?", []any{AllOwners.String()}
	}
	cells := `pipeline_id = ? AND month >= ? AND month <= ? AND ` + owners
	cellArgs := append([]any{q.PipelineID.String(), q.From, q.To}, args...)
	g := func(t string) string { return v.Gens.Table(Projection, t) }
	// the three kinds of cells in one statement: (kind, status or stage, furthest, n, amount,
	// weighted amount, seconds)
	const cohort, open, stay = 0, 1, 2
	stmt := `SELECT 0, status, furthest, SUM(n), SUM(won_amount), NULL, SUM(cycle_secs) FROM ` + g("opportunity_cohorts") + ` WHERE ` + cells + ` GROUP BY furthest, status
		UNION ALL SELECT 1, stage, 0, SUM(n), SUM(amount), SUM(weighted), 0 FROM ` + g("opportunity_totals") + ` WHERE ` + cells + ` GROUP BY stage
		UNION ALL SELECT 2, stage, 0, SUM(n), NULL, NULL, SUM(secs) FROM ` + g("opportunity_stage_days") + ` WHERE ` + cells + ` GROUP BY stage`
	if err := v.scan(ctx, stmt, slices.Concat(cellArgs, cellArgs, cellArgs), func(r readmodels.Scanner) error {
		var kind, furthest, n, secs int64
		var key string
		var amount, weighted readmodels.Money
		if err := r.Scan(&kind, &key, &furthest, &n, &amount, &weighted, &secs); err != nil {
			return err
		}
		switch kind {
		case cohort:
			acc.cohort(furthest, key, n, amount.A, secs)
		case open:
			acc.openIn(key, n, amount.A, weighted.A)
		case stay:
			acc.stay(key, n, secs)
		}
		return nil
	}); err != nil {
		return Funnel{}, err
	}
	// seen only as a member: outside the owner scope, read from the rows (a handful)
	if scope, sargs := q.Reader.Scope.Condition(); scope != "" {
		cond := "id IN (SELECT opportunity_id FROM " + g("opportunity_members") + " WHERE user_id = ?) AND NOT " + scope
		if err := v.fromRows(ctx, q, acc, cond, append([]any{q.Reader.User.String()}, sargs...)); err != nil {
			return Funnel{}, err
		}
	}
	return acc.funnel(q), nil
}

// ownerFilter is the condition on owner_id of the reader's scope, the owner and the department.
func (v *Views) ownerFilter(ctx context.Context, q FunnelQuery) (string, []any, error) {
	users := v.Gens.Table(Projection, "opportunity_org_users")
	var conds []string
	var args []any
	if c, a := q.Reader.Scope.UserCondition(users, "owner_id"); c != "" {
		conds, args = append(conds, c), append(args, a...)
	}
	if q.OwnerID != nil {
		conds, args = append(conds, "owner_id = ?"), append(args, q.OwnerID.String())
	}
	if q.DepartmentID != nil {
		var path string
		err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT path FROM `+v.Gens.Table(Projection, "opportunity_org_depts")+` WHERE id = ?`), q.DepartmentID.String()).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil, field.Errorf("departmentId", "no such department")
		}
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, "owner_id IN (SELECT id FROM "+users+" WHERE dept_path >= ? AND dept_path < ?)")
		args = append(args, path, path+"\uffff")
	}
	return strings.Join(conds, " AND "), args, nil
}

// FunnelFromRows measures the cohort from the rows and visits alone (what the cells must always
// add up to; tests compare the two).
func (v *Views) FunnelFromRows(ctx context.Context, q FunnelQuery) (Funnel, error) {
	if err := q.check(); err != nil {
		return Funnel{}, err
	}
	acc := newAcc(q.Stages)
	cond, args := v.visible(q.Reader)
	if cond == "" {
		cond = "1 = 1"
	}
	owners, oargs, err := v.ownerFilter(ctx, FunnelQuery{Reader: Reader{Scope: readmodels.Scope{All: true}}, OwnerID: q.OwnerID, DepartmentID: q.DepartmentID})
	if err != nil {
		return Funnel{}, err
	}
	if owners != "" {
		cond, args = cond+" AND "+owners, append(args, oargs...)
	}
	if err := v.fromRows(ctx, q, acc, cond, args); err != nil {
		return Funnel{}, err
	}
	return acc.funnel(q), nil
}

// fromRows adds the cohort's opportunities that also meet cond (on the opportunities table, no
// alias) to acc, from the rows and their visits.
func (v *Views) fromRows(ctx context.Context, q FunnelQuery, acc *funnelAcc, cond string, args []any) error {
	t, visits := v.Gens.Table(Projection, "opportunities"), v.Gens.Table(Projection, "opportunity_visits")
	d := v.Dialect
	from, to := monthStart(q.From), monthStart(q.To).AddDate(0, 1, 0)
	where := `pipeline_id = ? AND created_at >= ? AND created_at < ? AND ` + cond
	wargs := append([]any{q.PipelineID.String(), d.Time(from), d.Time(to)}, args...)
	var ids []string
	err := v.scan(ctx, `SELECT id, furthest, status, won_amount, created_at, won_at, stage, amount, weighted FROM `+t+` WHERE `+where, wargs,
		func(r readmodels.Scanner) error {
			var id, status, stage string
			var furthest int64
			var won, amount, weighted readmodels.Money
			var created, wonAt readmodels.Time
			if err := r.Scan(&id, &furthest, &status, &won, &created, &wonAt, &stage, &amount, &weighted); err != nil {
				return err
			}
			cycle := int64(0)
			if status == string(opportunity.StatusWon) && !wonAt.T.IsZero() {
				cycle = CycleSeconds(created.T, wonAt.T)
			}
			acc.cohort(furthest, status, 1, won.A, cycle)
			if status == string(opportunity.StatusOpen) {
				acc.openIn(stage, 1, amount.A, weighted.A)
			}
			ids = append(ids, id)
			return nil
		})
	if err != nil || len(ids) == 0 {
		return err
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		if err := v.scan(ctx, `SELECT stage, entered_at, left_at FROM `+visits+` WHERE left_at IS NOT NULL AND opportunity_id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`, readmodels.AnySlice(chunk), func(r readmodels.Scanner) error {
			var stage string
			var in, out readmodels.Time
			if err := r.Scan(&stage, &in, &out); err != nil {
				return err
			}
			acc.stay(stage, 1, StaySeconds(in.T, out.T))
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func (v *Views) scan(ctx context.Context, stmt string, args []any, row func(readmodels.Scanner) error) error {
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), args...)
	if err != nil {
		return fmt.Errorf("funnel: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// StaySeconds is how long a stay in a stage lasted, in whole seconds (what the stage-days cells
// add up).
func StaySeconds(in, out time.Time) int64 { return int64(out.Sub(in) / time.Second) }

// CycleSeconds is how long an opportunity took from creation to its win, in whole seconds.
func CycleSeconds(created, won time.Time) int64 { return int64(won.Sub(created) / time.Second) }

func monthStart(m string) time.Time {
	t, _ := time.Parse("2006-01", m)
	return t
}
