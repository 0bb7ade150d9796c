package workbenchview

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// returningCondition is the SQL form of customer.DueAt over an owned customer's row: the pool
// rules return it no later than q.Days days from now (nil when no rule returns anything). The
// times of the read model are UTC, where adding a day adds 24 hours, so "due at start + N days is
// before the horizon" is "start is before the horizon - N days". The bound on claimed_at comes
// first: the (owner_id, claimed_at) index reads only the customers held long enough.
func returningCondition(d readmodels.Dialect, q Query) *readmodels.Cond {
	r := q.Rules
	if r.NoFollowUpDays <= 0 && r.NoDealDays <= 0 {
		return nil
	}
	horizon := q.Now.UTC().AddDate(0, 0, q.Days)
	cut := func(days int) any { return d.Time(horizon.AddDate(0, 0, -days)) }
	shortest := r.NoFollowUpDays
	if shortest <= 0 || (r.NoDealDays > 0 && r.NoDealDays < shortest) {
		shortest = r.NoDealDays
	}
	conds := []string{"locked = ?", "claimed_at <= ?"}
	args := []any{false, cut(shortest)}
	if len(r.Levels) > 0 {
		conds = append(conds, "level IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(r.Levels)), ", ")+")")
		args = append(args, readmodels.AnySlice(r.Levels)...)
	}
	if r.ExcludeClosedDeal {
		conds, args = append(conds, "status <> ?"), append(args, string(customer.StatusClosedDeal))
	}
	var rules []string
	if r.NoFollowUpDays > 0 {
		rules = append(rules, "(claimed_at <= ? AND (last_follow_up_at IS NULL OR last_follow_up_at <= ?))")
		args = append(args, cut(r.NoFollowUpDays), cut(r.NoFollowUpDays))
	}
	if r.NoDealDays > 0 {
		// customer.DueAt: the clock starts at the later of the claim and the last deal; a
		// closed-deal customer without a recorded deal is not due under this rule
		rules = append(rules, "(claimed_at <= ? AND ((last_deal_at IS NULL AND status <> ?) OR last_deal_at <= ?))")
		args = append(args, cut(r.NoDealDays), string(customer.StatusClosedDeal), cut(r.NoDealDays))
	}
	conds = append(conds, "("+strings.Join(rules, " OR ")+")")
	return &readmodels.Cond{SQL: strings.Join(conds, " AND "), Args: args}
}

// returningStatement reads the reader's candidates: at most TotalBound+1 of them.
func (v *Views) returningStatement(q Query, cond readmodels.Cond) (string, []any) {
	return `SELECT id, name, level, status, locked, claimed_at, last_follow_up_at, last_deal_at FROM ` + v.Gens.Table(customerview.Projection, "customers") +
			` WHERE owner_id = ? AND ` + cond.SQL + ` LIMIT ?`,
		append(append([]any{q.Actor.ID.String()}, cond.Args...), readmodels.TotalBound+1)
}

// returning lists the reader's own customers that the pool rules return within q.Days days,
// soonest first (the rule itself, customer.DueAt, decides each one's date), and counts them up to
// TotalBound. Past the bound the list holds the soonest of the candidates read.
func (v *Views) returning(ctx context.Context, q Query, cond *readmodels.Cond) (Returning, error) {
	out := Returning{Days: q.Days, Total: Count{Exact: true}, Items: []ReturningCustomer{}}
	if cond == nil {
		return out, nil
	}
	stmt, args := v.returningStatement(q, *cond)
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), args...)
	if err != nil {
		return out, fmt.Errorf("workbench returning customers: %w", err)
	}
	defer rows.Close()
	now := q.Now.UTC()
	horizon := now.AddDate(0, 0, q.Days)
	var items []ReturningCustomer
	read := int64(0)
	for rows.Next() {
		var id, name, level, status string
		var locked bool
		var claimed, last, deal readmodels.Time
		if err := rows.Scan(&id, &name, &level, &status, &locked, &claimed, &last, &deal); err != nil {
			return out, err
		}
		read++
		st := customer.Standing{Level: level, Status: customer.Status(status), Locked: locked, ClaimedAt: claimed.T, LastFollowUpAt: last.T, LastDealAt: deal.T}
		rule, at, _ := customer.DueAt(q.Rules, now, st)
		if rule == "" || at.After(horizon) {
			continue
		}
		cid, _ := uuid.Parse(id)
		items = append(items, ReturningCustomer{ID: cid, Name: name, Level: level, Rule: rule, ReturnAt: at,
			DaysLeft: max(0, int(at.Sub(now).Hours()/24))})
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	out.Total = bounded(int64(len(items)))
	if read > readmodels.TotalBound {
		out.Total = Count{Count: readmodels.TotalBound, Exact: false}
	}
	slices.SortFunc(items, func(a, b ReturningCustomer) int {
		if c := a.ReturnAt.Compare(b.ReturnAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	if len(items) > ReturningItems {
		items = items[:ReturningItems]
	}
	out.Items = append(out.Items, items...)
	return out, nil
}
