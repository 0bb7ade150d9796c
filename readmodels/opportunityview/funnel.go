package opportunityview

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// FunnelQuery selects the cohort a funnel measures: the opportunities of a pipeline created in
// [From, To), optionally of one owner or one department's tree, inside the reader's sight.
type FunnelQuery struct {
	Reader       Reader
	PipelineID   uuid.UUID
	Stages       []string // the pipeline's stages in order
	From, To     time.Time
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
	// AvgCycleDays: average days from creation to the win's date.
	AvgCycleDays string `json:"avgCycleDays"`
}

// MaxFunnelDays bounds a funnel's period.
const MaxFunnelDays = 3 * 366

// secondsBetween is the SQL of b − a in seconds for two time columns.
func secondsBetween(d readmodels.Dialect, a, b string) string {
	if d.Name() == "postgres" {
		return "EXTRACT(EPOCH FROM (" + b + " - " + a + "))"
	}
	return "((julianday(" + b + ") - julianday(" + a + ")) * 86400.0)"
}

// Funnel measures the cohort: how far its opportunities got, conversions between stages, what
// is open in each stage, average days per stage (from the stage visits the projection records
// from the events), win rate, average deal size and sales cycle.
func (v *Views) Funnel(ctx context.Context, q FunnelQuery) (Funnel, error) {
	if !q.To.After(q.From) || q.To.Sub(q.From) > MaxFunnelDays*24*time.Hour {
		return Funnel{}, field.Errorf("to", "the period must end after it starts and last at most %d days", MaxFunnelDays)
	}
	f := Funnel{PipelineID: q.PipelineID, From: q.From.Format(time.DateOnly), To: q.To.Format(time.DateOnly), WonAmount: "0.00"}
	f.Stages = make([]FunnelStage, len(q.Stages))
	idx := map[string]int{}
	for i, s := range q.Stages {
		f.Stages[i] = FunnelStage{Stage: s, Amount: "0.00", Weighted: "0.00"}
		idx[s] = i
	}
	if q.Reader.Scope.None || len(q.Stages) == 0 {
		return f, nil
	}
	t := v.Gens.Table(Projection, "opportunities")
	visits := v.Gens.Table(Projection, "opportunity_visits")
	d := v.Dialect
	cohort := []string{"o.pipeline_id = ?", "created_at >= ?", "created_at < ?"}
	args := []any{q.PipelineID.String(), d.Time(q.From), d.Time(q.To)}
	if q.OwnerID != nil {
		cohort, args = append(cohort, "owner_id = ?"), append(args, q.OwnerID.String())
	}
	if q.DepartmentID != nil {
		var path string
		err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT path FROM `+v.Gens.Table(Projection, "opportunity_org_depts")+` WHERE id = ?`), q.DepartmentID.String()).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return Funnel{}, field.Errorf("departmentId", "no such department")
		}
		if err != nil {
			return Funnel{}, err
		}
		cohort, args = append(cohort, "owner_dept_path >= ? AND owner_dept_path < ?"), append(args, path, path+"\uffff")
	}
	// unqualified columns are the opportunity's: the visits have none of id, owner_*, created_at
	if cond, a := v.visible(q.Reader); cond != "" {
		cohort, args = append(cohort, cond), append(args, a...)
	}
	where := strings.Join(cohort, " AND ")

	// how far each opportunity got: the furthest stage it visited, by the pipeline's order
	var rank strings.Builder
	rank.WriteString("CASE v.stage")
	var rankArgs []any
	for i, s := range q.Stages {
		rank.WriteString(" WHEN ? THEN " + fmt.Sprint(i))
		rankArgs = append(rankArgs, s)
	}
	rank.WriteString(" ELSE -1 END")
	stmt := `SELECT furthest, status, count(*), SUM(won_amount), SUM(cycle) FROM (SELECT o.id, o.status, o.won_amount, MAX(` + rank.String() + `) AS furthest,
		CASE WHEN o.status = 'won' THEN ` + secondsBetween(d, "o.created_at", "o.won_at") + ` ELSE 0 END AS cycle
		FROM ` + t + ` o JOIN ` + visits + ` v ON v.opportunity_id = o.id WHERE ` + where + ` GROUP BY o.id, o.status, o.won_amount, o.created_at, o.won_at) x
		GROUP BY furthest, status`
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), append(rankArgs, args...)...)
	if err != nil {
		return f, fmt.Errorf("funnel: %w", err)
	}
	reachedAt := make([]int64, len(q.Stages)) // opportunities whose furthest stage is i
	var wonAll int64
	var wonSum money.Amount
	var cycle float64
	for rows.Next() {
		var furthest, n int64
		var status string
		var won readmodels.Money
		var cyc *float64
		if err := rows.Scan(&furthest, &status, &n, &won, &cyc); err != nil {
			rows.Close()
			return f, err
		}
		f.Total += n
		switch status {
		case string(opportunity.StatusWon):
			f.Won += n
			wonAll += n
			wonSum = wonSum.Add(won.A)
			if cyc != nil {
				cycle += *cyc
			}
		case string(opportunity.StatusLost):
			f.Lost += n
		}
		if furthest >= 0 && int(furthest) < len(reachedAt) && status != string(opportunity.StatusWon) {
			reachedAt[furthest] += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, err
	}
	// reached(i) = those whose furthest stage is i or later, and every won one
	var later int64
	for i := len(q.Stages) - 1; i >= 0; i-- {
		later += reachedAt[i]
		f.Stages[i].Reached = later + wonAll
	}
	for i := range f.Stages {
		next := wonAll
		if i+1 < len(f.Stages) {
			next = f.Stages[i+1].Reached
		}
		f.Stages[i].Conversion = percent(next, f.Stages[i].Reached)
	}
	f.WonAmount = wonSum.String()
	f.WinRate = percent(f.Won, f.Won+f.Lost)
	if f.Won > 0 {
		f.AvgDealSize = money.Fen(divRound(wonSum.Fen(), f.Won)).String()
		f.AvgCycleDays = fmt.Sprintf("%.1f", cycle/86400/float64(f.Won))
	}

	// what is open in each stage now
	rows, err = v.SQL.QueryContext(ctx, v.Q(`SELECT o.stage, count(*), SUM(o.amount), SUM(o.weighted) FROM `+t+` o WHERE `+where+
		` AND o.status = 'open' GROUP BY o.stage`), args...)
	if err != nil {
		return f, fmt.Errorf("funnel open: %w", err)
	}
	for rows.Next() {
		var stage string
		var n int64
		var a, w readmodels.Money
		if err := rows.Scan(&stage, &n, &a, &w); err != nil {
			rows.Close()
			return f, err
		}
		if i, ok := idx[stage]; ok {
			f.Stages[i].Open, f.Stages[i].Amount, f.Stages[i].Weighted = n, a.A.String(), w.A.String()
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, err
	}

	// average stay per stage, over the visits that ended
	rows, err = v.SQL.QueryContext(ctx, v.Q(`SELECT v.stage, count(*), SUM(`+secondsBetween(d, "v.entered_at", "v.left_at")+`) FROM `+visits+` v JOIN `+t+
		` o ON o.id = v.opportunity_id WHERE `+where+` AND v.left_at IS NOT NULL GROUP BY v.stage`), args...)
	if err != nil {
		return f, fmt.Errorf("funnel days: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var stage string
		var n int64
		var secs *float64
		if err := rows.Scan(&stage, &n, &secs); err != nil {
			return f, err
		}
		if i, ok := idx[stage]; ok && n > 0 && secs != nil {
			f.Stages[i].AvgDays = fmt.Sprintf("%.1f", *secs/86400/float64(n))
		}
	}
	return f, rows.Err()
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
