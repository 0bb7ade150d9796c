package workbenchview

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// Projections are the projections the workbench reads (what a read-your-writes read waits for).
var Projections = []string{leadview.Projection, customerview.Projection, readmodels.AuditProjection}

// Weeks is how many ISO weeks the new-customers series covers, the current one included.
const Weeks = 12

// ReturningItems and ActivityItems bound the two lists of the workbench.
const (
	ReturningItems = 10
	ActivityItems  = 10
)

// Query is a workbench request.
type Query struct {
	Actor access.Actor
	// Team: the lead and customer figures cover the actor's data scope (without the pool)
	// instead of their own records. The returning-soon list and the recent activity are always
	// the actor's own.
	Team bool
	// Location is the time zone of "today" and of the weeks (Monday 00:00 there).
	Location *time.Location
	Now      time.Time
	// Days is the horizon of the returning-soon list; Rules are the pool rules in force.
	Days  int
	Rules customer.PoolRules
}

// Count is a bounded count: exact up to readmodels.TotalBound, else the bound with Exact false.
type Count struct {
	Count int64 `json:"count"`
	Exact bool  `json:"exact"`
}

// Workbench is the answer.
type Workbench struct {
	Scope       string     `json:"scope"` // mine or team
	TimeZone    string     `json:"timeZone"`
	Today       string     `json:"today"` // YYYY-MM-DD in TimeZone
	GeneratedAt time.Time  `json:"generatedAt"`
	Leads       *Leads     `json:"leads"`     // nil without leads.read
	Customers   *Customers `json:"customers"` // nil without customers.read
	Activity    []Activity `json:"recentActivity"`
}

// Leads are the lead figures.
type Leads struct {
	Total    Count         `json:"total"`
	ByStatus []StatusCount `json:"byStatus"`
	// DueToday and Overdue count the open leads (new, following) whose next follow-up falls on
	// today, or before today, in the time zone.
	DueToday Count `json:"dueToday"`
	Overdue  Count `json:"overdue"`
}

// StatusCount is the count of one status.
type StatusCount struct {
	Status string `json:"status"`
	Count
}

// Customers are the customer figures.
type Customers struct {
	Total      Count       `json:"total"`
	DueToday   Count       `json:"dueToday"`
	Overdue    Count       `json:"overdue"`
	NewPerWeek []WeekCount `json:"newPerWeek"` // oldest first, the current week last
	Returning  Returning   `json:"returningSoon"`
}

// WeekCount is the count of one ISO week.
type WeekCount struct {
	Week  string `json:"week"`  // ISO week, 2026-W23
	Start string `json:"start"` // its Monday, YYYY-MM-DD
	Count
}

// Returning are the reader's own customers the pool rules return within Days days.
type Returning struct {
	Days  int                 `json:"days"`
	Total Count               `json:"total"`
	Items []ReturningCustomer `json:"items"` // soonest first, at most ReturningItems
}

// ReturningCustomer is one customer of the returning-soon list.
type ReturningCustomer struct {
	ID       uuid.UUID `json:"id"`
	Name     string    `json:"name"`
	Level    string    `json:"level"`
	Rule     string    `json:"rule"`
	ReturnAt time.Time `json:"returnAt"`
	DaysLeft int       `json:"daysLeft"`
}

// Workbench answers q. Every figure is one bounded read of an index: the counts are scalar
// subqueries of one statement per table (a consistent view), each stopping at TotalBound+1 rows.
func (v *Views) Workbench(ctx context.Context, q Query) (*Workbench, error) {
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	now := q.Now.In(loc)
	out := &Workbench{Scope: "mine", TimeZone: loc.String(), Today: now.Format(time.DateOnly), GeneratedAt: q.Now.UTC(), Activity: []Activity{}}
	if q.Team {
		out.Scope = "team"
	}
	p, err := v.plan(ctx, q)
	if err != nil {
		return nil, err
	}
	if p.leads != nil {
		counts, err := v.run(ctx, p.leads)
		if err != nil {
			return nil, err
		}
		l := &Leads{Total: counts[0], DueToday: counts[1], Overdue: counts[2]}
		for i, st := range leadStatuses {
			l.ByStatus = append(l.ByStatus, StatusCount{Status: st, Count: counts[3+i]})
		}
		out.Leads = l
	}
	if p.customers != nil {
		counts, err := v.run(ctx, p.customers)
		if err != nil {
			return nil, err
		}
		c := &Customers{Total: counts[0], DueToday: counts[1], Overdue: counts[2]}
		for i, w := range p.weeks {
			c.NewPerWeek = append(c.NewPerWeek, WeekCount{Week: w.week, Start: w.start.Format(time.DateOnly), Count: counts[3+i]})
		}
		if c.Returning, err = v.returning(ctx, q, p.returning); err != nil {
			return nil, err
		}
		out.Customers = c
	}
	if out.Activity, err = v.activity(ctx, q); err != nil {
		return nil, err
	}
	return out, nil
}

// leadStatuses are the statuses the lead figures count, in the lifecycle's order.
var leadStatuses = []string{string(lead.StatusNew), string(lead.StatusFollowing), string(lead.StatusConverted), string(lead.StatusInvalid)}

// count is one bounded count: the rows of table in one of the arms (each an index range: an owner
// of the scope) that match where.
type count struct {
	name  string
	table string
	arms  []readmodels.Cond
	where []readmodels.Cond
}

// sql is the count as a scalar subquery: the arms side by side, stopped after TotalBound+1 rows.
func (c count) sql() (string, []any) {
	arms := c.arms
	if len(arms) == 0 {
		arms = []readmodels.Cond{{}}
	}
	selects := make([]string, len(arms))
	var args []any
	for i, arm := range arms {
		var conds []string
		for _, w := range append([]readmodels.Cond{arm}, c.where...) {
			if w.SQL != "" {
				conds, args = append(conds, w.SQL), append(args, w.Args...)
			}
		}
		selects[i] = "SELECT 1 FROM " + c.table
		if len(conds) > 0 {
			selects[i] += " WHERE " + strings.Join(conds, " AND ")
		}
	}
	return "(SELECT count(*) FROM (" + strings.Join(selects, " UNION ALL ") + " LIMIT ?) c)", append(args, readmodels.TotalBound+1)
}

// week is one week of the new-customers series: [start, end) in the time zone.
type week struct {
	week       string
	start, end time.Time
}

// plan is what Workbench reads: the counts of each table and the returning-soon candidates.
type plan struct {
	leads, customers []count
	weeks            []week
	returning        *readmodels.Cond // nil: no rule returns customers
}

// ownerArms are the arms and the condition every count of a table shares: the reader's own rows,
// or (team) the rows of their data scope, one arm per owner it covers (OwnerBranches; one arm with
// the scope's condition when it covers too many, none when it covers everything).
func (v *Views) ownerArms(ctx context.Context, q Query, users string) ([]readmodels.Cond, []readmodels.Cond, error) {
	if !q.Team {
		return []readmodels.Cond{{SQL: "owner_id = ?", Args: []any{q.Actor.ID.String()}}}, nil, nil
	}
	s := readmodels.ScopeOf(q.Actor, false) // the team's records, not the pool
	var shared []readmodels.Cond
	if cond, a := s.Condition(); cond != "" {
		shared = append(shared, readmodels.Cond{SQL: cond, Args: a})
	}
	arms, err := v.OwnerBranches(ctx, users, s, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	if s.All || s.Kind == role.ScopeAll {
		shared = append(shared, readmodels.Cond{SQL: "owner_id IS NOT NULL"})
	}
	return arms, shared, nil
}

// plan builds the statements of q.
func (v *Views) plan(ctx context.Context, q Query) (plan, error) {
	var p plan
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	now := q.Now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)
	d := v.Dialect
	next := d.DDL("COALESCE(next_follow_up_at, {far_future})") // the expression the nextFollowUpAt indexes hold
	dueToday := readmodels.Cond{SQL: next + " >= ? AND " + next + " < ?", Args: []any{d.Time(today), d.Time(tomorrow)}}
	overdue := readmodels.Cond{SQL: next + " < ?", Args: []any{d.Time(today)}}

	if q.Actor.Can(role.LeadsRead) {
		t := v.Gens.Table(leadview.Projection, "leads")
		arms, shared, err := v.ownerArms(ctx, q, v.Gens.Table(leadview.Projection, "lead_org_users"))
		if err != nil {
			return p, err
		}
		open := readmodels.Cond{SQL: "status IN (?, ?)", Args: []any{string(lead.StatusNew), string(lead.StatusFollowing)}}
		c := func(name string, where ...readmodels.Cond) count {
			return count{name: name, table: t, arms: arms, where: append(slices.Clone(shared), where...)}
		}
		p.leads = []count{c("leads.total"), c("leads.dueToday", dueToday, open), c("leads.overdue", overdue, open)}
		for _, st := range leadStatuses {
			p.leads = append(p.leads, c("leads.status."+st, readmodels.Cond{SQL: "status = ?", Args: []any{st}}))
		}
	}
	if q.Actor.Can(role.CustomersRead) {
		t := v.Gens.Table(customerview.Projection, "customers")
		arms, shared, err := v.ownerArms(ctx, q, v.Gens.Table(customerview.Projection, "customer_org_users"))
		if err != nil {
			return p, err
		}
		c := func(name string, where ...readmodels.Cond) count {
			return count{name: name, table: t, arms: arms, where: append(slices.Clone(shared), where...)}
		}
		p.customers = []count{c("customers.total"), c("customers.dueToday", dueToday), c("customers.overdue", overdue)}
		// ISO weeks start on Monday.
		monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
		for i := Weeks - 1; i >= 0; i-- {
			start := time.Date(monday.Year(), monday.Month(), monday.Day()-7*i, 0, 0, 0, 0, loc)
			end := time.Date(start.Year(), start.Month(), start.Day()+7, 0, 0, 0, 0, loc)
			y, n := start.ISOWeek()
			w := week{week: fmt.Sprintf("%04d-W%02d", y, n), start: start, end: end}
			p.weeks = append(p.weeks, w)
			p.customers = append(p.customers, c("customers.week."+w.week,
				readmodels.Cond{SQL: "created_at >= ? AND created_at < ?", Args: []any{d.Time(start), d.Time(end)}}))
		}
		p.returning = returningCondition(d, q)
	}
	return p, nil
}

// run answers counts in one statement.
func (v *Views) run(ctx context.Context, counts []count) ([]Count, error) {
	subs := make([]string, len(counts))
	var args []any
	for i, c := range counts {
		s, a := c.sql()
		subs[i], args = s, append(args, a...)
	}
	ns := make([]int64, len(counts))
	dests := make([]any, len(counts))
	for i := range ns {
		dests[i] = &ns[i]
	}
	if err := v.SQL.QueryRowContext(ctx, v.Q("SELECT "+strings.Join(subs, ", ")), args...).Scan(dests...); err != nil {
		return nil, fmt.Errorf("workbench counts: %w", err)
	}
	out := make([]Count, len(counts))
	for i, n := range ns {
		out[i] = bounded(n)
	}
	return out, nil
}

func bounded(n int64) Count {
	if n > readmodels.TotalBound {
		return Count{Count: readmodels.TotalBound, Exact: false}
	}
	return Count{Count: n, Exact: true}
}

// Statement is one query the workbench runs, with its arguments (? placeholders).
type Statement struct {
	Name string
	SQL  string
	Args []any
}

// Statements are the queries Workbench runs for q, each on its own (the counts run together as
// scalar subqueries of one SELECT), for tests that read their plans. The activity's statements
// take sample arguments.
func (v *Views) Statements(ctx context.Context, q Query) ([]Statement, error) {
	p, err := v.plan(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Statement
	for _, c := range append(slices.Clone(p.leads), p.customers...) {
		s, a := c.sql()
		out = append(out, Statement{Name: c.name, SQL: "SELECT " + s, Args: a})
	}
	if p.returning != nil {
		s, a := v.returningStatement(q, *p.returning)
		out = append(out, Statement{Name: "customers.returning", SQL: s, Args: a})
	}
	s, a := v.byActorStatement(1)
	out = append(out, Statement{Name: "activity.byActor", SQL: s, Args: a})
	s, a = v.byStreamsStatement([]any{lead.Stream(q.Actor.ID), customer.Stream(q.Actor.ID)})
	out = append(out, Statement{Name: "activity.byStreams", SQL: s, Args: a})
	for _, t := range []string{v.Gens.Table(leadview.Projection, "leads"), v.Gens.Table(customerview.Projection, "customers")} {
		out = append(out, Statement{Name: "activity.recent " + t, SQL: v.recentStatement(t), Args: []any{q.Actor.ID.String(), ActivityItems}})
	}
	return out, nil
}
