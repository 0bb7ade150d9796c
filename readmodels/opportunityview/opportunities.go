// Package opportunityview is the opportunity read model: the opportunity list and search, the
// kanban board (records grouped by stage with count and sums), the funnel and the forecast.
// Rows carry their owner's placement (data scopes) and, in a member table, the assignee and team
// members who may read them besides.
package opportunityview

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the opportunity tables.
const Projection = "opportunities"

// Views are the queries of this read model.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }

// Detail is what the row keeps as JSON: shown on the record page, never filtered on.
type Detail struct {
	ContactIDs          []string               `json:"contactIds"`
	TeamIDs             []string               `json:"teamIds"`
	Summary             string                 `json:"summary"`
	Description         string                 `json:"description"`
	NextStep            string                 `json:"nextStep"`
	ProbabilityOverride *int                   `json:"probabilityOverride"`
	StageProbability    int                    `json:"stageProbability"`
	EnteredAmount       string                 `json:"enteredAmount,omitempty"`
	Lines               []opportunity.Line     `json:"lines"`
	Plan                []opportunity.PlanStep `json:"plan"`
	WonAmount           string                 `json:"wonAmount,omitempty"`
	Competitor          string                 `json:"competitor,omitempty"`
	CloseNote           string                 `json:"closeNote,omitempty"`
}

// Opportunity is the read view of an opportunity.
type Opportunity struct {
	ID                uuid.UUID  `json:"id"`
	Name              string     `json:"name"`
	CustomerID        uuid.UUID  `json:"customerId"`
	CustomerName      string     `json:"customerName"`
	PipelineID        uuid.UUID  `json:"pipelineId"`
	Stage             string     `json:"stage"`
	StageEnteredAt    time.Time  `json:"stageEnteredAt"`
	Status            string     `json:"status"`
	Probability       int64      `json:"probability"`
	Amount            string     `json:"amount"`
	Weighted          string     `json:"weightedAmount"`
	ExpectedCloseDate string     `json:"expectedCloseDate"`
	Source            string     `json:"source"`
	AssigneeID        *uuid.UUID `json:"assigneeId"`
	AssigneeName      string     `json:"assigneeName"`
	AssignedAt        *time.Time `json:"assignedAt"`
	ClosedOn          string     `json:"closedOn"`
	LostReason        string     `json:"lostReason"`
	// Furthest is the rank of the furthest stage the opportunity visited, in its pipeline's order
	// when it got there (the funnel's "reached").
	Furthest int64 `json:"-"`
	// WonValue and WonAt are the win's amount and time (the funnel's deal size and sales cycle);
	// clients read wonAmount and closedOn.
	WonValue string     `json:"-"`
	WonAt    *time.Time `json:"-"`
	readmodels.Ownership
	Detail
	CreatedBy uuid.UUID `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
	Position  uint64    `json:"-"`
}

// SearchText is what keyword search matches: the name, the customer's name, the summary.
func (o *Opportunity) SearchText() string {
	return strings.ToLower(strings.Join([]string{o.Name, o.CustomerName, o.Summary}, "\x1f"))
}

// Month is the cohort of the opportunity: the month it was created (UTC).
func (o *Opportunity) Month() string { return o.CreatedAt.UTC().Format("2006-01") }

// Members are who may read the opportunity besides the owner's scope: the assignee and the team.
func (o *Opportunity) Members() []string {
	var out []string
	if o.AssigneeID != nil {
		out = append(out, o.AssigneeID.String())
	}
	for _, t := range o.TeamIDs {
		if !contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func probCol(name string, f func(*Opportunity) *int64) readmodels.Col[Opportunity] {
	c := readmodels.Int64Col(name, f)
	c.Type = "INTEGER NOT NULL"
	return c
}

var table = readmodels.Cols(
	[]readmodels.Col[Opportunity]{
		readmodels.IDCol("id", "{id} PRIMARY KEY", func(o *Opportunity) *uuid.UUID { return &o.ID }),
		readmodels.TextCol("name", func(o *Opportunity) *string { return &o.Name }),
		readmodels.IDCol("customer_id", "{id} NOT NULL", func(o *Opportunity) *uuid.UUID { return &o.CustomerID }),
		readmodels.TextCol("customer_name", func(o *Opportunity) *string { return &o.CustomerName }),
		readmodels.IDCol("pipeline_id", "TEXT NOT NULL", func(o *Opportunity) *uuid.UUID { return &o.PipelineID }),
		readmodels.TextCol("stage", func(o *Opportunity) *string { return &o.Stage }),
		readmodels.TimeCol("stage_entered_at", func(o *Opportunity) *time.Time { return &o.StageEnteredAt }),
		readmodels.TextCol("status", func(o *Opportunity) *string { return &o.Status }),
		probCol("probability", func(o *Opportunity) *int64 { return &o.Probability }),
		readmodels.MoneyCol("amount", func(o *Opportunity) *string { return &o.Amount }),
		readmodels.MoneyCol("weighted", func(o *Opportunity) *string { return &o.Weighted }),
		readmodels.TextCol("expected_close", func(o *Opportunity) *string { return &o.ExpectedCloseDate }),
		readmodels.TextCol("source", func(o *Opportunity) *string { return &o.Source }),
		readmodels.OptIDCol("assignee_id", false, func(o *Opportunity) **uuid.UUID { return &o.AssigneeID }),
		readmodels.TextCol("assignee_name", func(o *Opportunity) *string { return &o.AssigneeName }),
		readmodels.OptTimeCol("assigned_at", func(o *Opportunity) **time.Time { return &o.AssignedAt }),
		readmodels.TextCol("closed_on", func(o *Opportunity) *string { return &o.ClosedOn }),
		readmodels.TextCol("lost_reason", func(o *Opportunity) *string { return &o.LostReason }),
		readmodels.JSONCol("detail", func(o *Opportunity) any { return &o.Detail }),
		readmodels.MoneyCol("won_amount", func(o *Opportunity) *string { return &o.WonValue }),
		readmodels.OptTimeCol("won_at", func(o *Opportunity) **time.Time { return &o.WonAt }),
		probCol("furthest", func(o *Opportunity) *int64 { return &o.Furthest }),
	},
	readmodels.OwnershipCols(func(o *Opportunity) *readmodels.Ownership { return &o.Ownership }),
	[]readmodels.Col[Opportunity]{
		readmodels.IDCol("created_by", "TEXT NOT NULL", func(o *Opportunity) *uuid.UUID { return &o.CreatedBy }),
		readmodels.TimeCol("created_at", func(o *Opportunity) *time.Time { return &o.CreatedAt }),
		readmodels.TimeCol("updated_at", func(o *Opportunity) *time.Time { return &o.UpdatedAt }),
		readmodels.Int64Col("version", func(o *Opportunity) *int64 { return &o.Version }),
		readmodels.PositionCol("position", func(o *Opportunity) *uint64 { return &o.Position }),
		readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, o *Opportunity) any { return o.SearchText() }),
	})

// Columns are the readable columns, in Scan order.
var Columns = table.Select()

// InsertColumns are every column, in Args order.
var InsertColumns = table.Insert()

// Args are the row's values in InsertColumns order.
func Args(d readmodels.Dialect, o *Opportunity) []any { return table.Args(d, o) }

// Scan reads one row in Columns order.
func Scan(row readmodels.Scanner) (*Opportunity, error) { return table.Scan(row) }

// Sorts are the orders the list offers (each served by an index in keyset order).
var Sorts = map[string]readmodels.SortColumn{
	"createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true},
	"name": {Column: "name"}, "expectedCloseDate": {Column: "expected_close"},
}

var spec = readmodels.ListSpec[*Opportunity]{
	Columns:     Columns,
	Sorts:       Sorts,
	DefaultSort: "-updatedAt",
	Scan:        func(r readmodels.Scanner) (*Opportunity, error) { return Scan(r) },
	Value: func(o *Opportunity, col string) (any, string) {
		switch col {
		case "name":
			return o.Name, o.ID.String()
		case "expected_close":
			return o.ExpectedCloseDate, o.ID.String()
		case "created_at":
			return &o.CreatedAt, o.ID.String()
		}
		return &o.UpdatedAt, o.ID.String()
	},
}

// Tables are the names of one generation's opportunity tables.
type Tables struct {
	Rows, Members, Visits, Totals, Cohorts, StageDays, Forecast, Board string
}

// TableDDL is the opportunity tables of one generation: the rows, the members who may read them,
// the stage visits, and the cells the projection keeps adding up so that boards and funnels read
// a few rows per owner and month, never the opportunities: open ones per stage (Totals), every one
// by how far it got and how it ended (Cohorts), and the ended stays per stage (StageDays), each
// keyed by pipeline, owner and the month the opportunity was created. Each cell table also holds
// the roll-up over every owner under the owner AllOwners (said in its DDL).
func TableDDL(t Tables) []string {
	const owner = "owner_id {id} NOT NULL, -- the nil id: the roll-up over every owner\n\t\t\t"
	return append([]string{table.Create(t.Rows),
		`CREATE INDEX ` + t.Rows + `_customer ON ` + t.Rows + ` (customer_id)`,
		`CREATE INDEX ` + t.Rows + `_board ON ` + t.Rows + ` (pipeline_id, status, stage, updated_at)`,
		`CREATE INDEX ` + t.Rows + `_forecast ON ` + t.Rows + ` (status, expected_close)`,
		`CREATE TABLE ` + t.Members + ` (opportunity_id {id} NOT NULL, user_id {id} NOT NULL, PRIMARY KEY (user_id, opportunity_id))`,
		`CREATE INDEX ` + t.Members + `_opp ON ` + t.Members + ` (opportunity_id)`,
		// one row per stay of an opportunity in a stage (left_at NULL: still there)
		`CREATE TABLE ` + t.Visits + ` (opportunity_id {id} NOT NULL, seq INTEGER NOT NULL, pipeline_id TEXT NOT NULL, stage TEXT NOT NULL,
			entered_at {time} NOT NULL, left_at {time}, PRIMARY KEY (opportunity_id, seq))`,
		`CREATE TABLE ` + t.Totals + ` (pipeline_id TEXT NOT NULL, ` + owner + `month TEXT NOT NULL, stage TEXT NOT NULL,
			n {bigint} NOT NULL, amount {money} NOT NULL, weighted {money} NOT NULL, PRIMARY KEY (pipeline_id, owner_id, month, stage))`,
		`CREATE TABLE ` + t.Cohorts + ` (pipeline_id TEXT NOT NULL, ` + owner + `month TEXT NOT NULL, furthest INTEGER NOT NULL,
			status TEXT NOT NULL, n {bigint} NOT NULL, won_amount {money} NOT NULL, cycle_secs {bigint} NOT NULL,
			PRIMARY KEY (pipeline_id, owner_id, month, furthest, status))`,
		`CREATE TABLE ` + t.StageDays + ` (pipeline_id TEXT NOT NULL, ` + owner + `month TEXT NOT NULL, stage TEXT NOT NULL,
			n {bigint} NOT NULL, secs {bigint} NOT NULL, PRIMARY KEY (pipeline_id, owner_id, month, stage))`,
		// open opportunities per stage and owner over every month (the board's sums)
		`CREATE TABLE ` + t.Board + ` (pipeline_id TEXT NOT NULL, ` + owner + `stage TEXT NOT NULL,
			n {bigint} NOT NULL, amount {money} NOT NULL, weighted {money} NOT NULL, PRIMARY KEY (pipeline_id, owner_id, stage))`,
		// open opportunities by the month they are expected to close (the forecast)
		`CREATE TABLE ` + t.Forecast + ` (pipeline_id TEXT NOT NULL, ` + owner + `month TEXT NOT NULL,
			n {bigint} NOT NULL, amount {money} NOT NULL, weighted {money} NOT NULL, PRIMARY KEY (owner_id, month, pipeline_id))`,
		// the cards of a stage for a reader whose scope is a few owners: each owner's, newest first
		`CREATE INDEX ` + t.Rows + `_owner_board ON ` + t.Rows + ` (owner_id, pipeline_id, status, stage, updated_at)`,
	}, readmodels.OwnershipIndexes(t.Rows, Sorts)...)
}

// ScopeFor is the opportunity scope of an actor (no pool: every opportunity has an owner).
func ScopeFor(a access.Actor) readmodels.Scope {
	s := readmodels.ScopeOf(a, false)
	s.None = !a.Can(role.OpportunitiesRead)
	return s
}

// Reader is who reads: their scope and their id (team memberships).
type Reader struct {
	Scope readmodels.Scope
	User  uuid.UUID
}

// ReaderOf is the reader of an actor.
func ReaderOf(a access.Actor) Reader { return Reader{Scope: ScopeFor(a), User: a.ID} }

// visible is the reader's condition: the owner in scope, or a member.
func (v *Views) visible(r Reader) (string, []any) {
	if r.Scope.None {
		return "1 = 0", nil
	}
	cond, args := r.Scope.Condition()
	if cond == "" {
		return "", nil
	}
	members := v.Gens.Table(Projection, "opportunity_members")
	return "(" + cond + " OR id IN (SELECT opportunity_id FROM " + members + " WHERE user_id = ?))", append(args, r.User.String())
}

// Query is an opportunity search.
type Query struct {
	Reader     Reader
	Q          string
	Status     []string
	PipelineID *uuid.UUID
	Stage      string
	OwnerID    *uuid.UUID
	CustomerID *uuid.UUID
	CloseFrom  string // expected close date range, inclusive
	CloseTo    string
	AmountMin  *money.Amount
	AmountMax  *money.Amount
	Sort       string
	Limit      int
	Cursor     string
}

// Search lists opportunities with keyset pagination; the scope is part of the statement.
func (v *Views) Search(ctx context.Context, q Query) (readmodels.Page[*Opportunity], error) {
	t := v.Gens.Table(Projection, "opportunities")
	lq, err := v.SearchQuery(t, readmodels.Scope{All: true}, q.Q, q.Status)
	if err != nil {
		return readmodels.Page[*Opportunity]{}, err
	}
	if cond, args := v.visible(q.Reader); cond != "" {
		lq.Add(cond, args...)
	}
	if q.PipelineID != nil {
		lq.Add("pipeline_id = ?", q.PipelineID.String())
	}
	if q.Stage != "" {
		lq.Add("stage = ?", q.Stage)
	}
	if q.OwnerID != nil {
		lq.Add("owner_id = ?", q.OwnerID.String())
	}
	if q.CustomerID != nil {
		lq.Add("customer_id = ?", q.CustomerID.String())
	}
	if q.CloseFrom != "" {
		lq.Add("expected_close >= ? AND expected_close <> ''", q.CloseFrom)
	}
	if q.CloseTo != "" {
		lq.Add("expected_close <= ? AND expected_close <> ''", q.CloseTo)
	}
	if q.AmountMin != nil {
		lq.Add("amount >= ?", readmodels.MoneyArg(v.Dialect, *q.AmountMin))
	}
	if q.AmountMax != nil {
		lq.Add("amount <= ?", readmodels.MoneyArg(v.Dialect, *q.AmountMax))
	}
	// A reader whose scope is a few owners reads each owner's rows in sort order, and their
	// memberships beside them.
	if q.OwnerID == nil && !q.Reader.Scope.None {
		branches, err := v.OwnerBranches(ctx, v.Gens.Table(Projection, "opportunity_org_users"), q.Reader.Scope, nil, nil)
		if err != nil {
			return readmodels.Page[*Opportunity]{}, err
		}
		if branches != nil {
			lq.Branches = readmodels.Besides(branches, readmodels.Cond{SQL: "id IN (SELECT opportunity_id FROM " + v.Gens.Table(Projection, "opportunity_members") +
				" WHERE user_id = ?)", Args: []any{q.Reader.User.String()}})
		}
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	s := spec
	s.Table = t
	return readmodels.List(ctx, v.DB, s, *lq)
}

// Get returns one opportunity if the reader may see it.
func (v *Views) Get(ctx context.Context, r Reader, id uuid.UUID) (*Opportunity, error) {
	cond, args := v.visible(r)
	return readmodels.GetWhere(ctx, v.DB, v.Gens.Table(Projection, "opportunities"), Columns, cond, args, id, Scan)
}

// Card is an opportunity as a kanban card shows it: what the card renders (name, customer,
// amount, expected close), what moving it needs (stage, version) and who holds it. The record
// page reads the rest.
type Card struct {
	ID                uuid.UUID  `json:"id"`
	Name              string     `json:"name"`
	CustomerID        uuid.UUID  `json:"customerId"`
	CustomerName      string     `json:"customerName"`
	Stage             string     `json:"stage"`
	Probability       int64      `json:"probability"`
	Amount            string     `json:"amount"`
	Weighted          string     `json:"weightedAmount"`
	ExpectedCloseDate string     `json:"expectedCloseDate"`
	OwnerID           *uuid.UUID `json:"ownerId"`
	OwnerName         string     `json:"ownerName"`
	AssigneeID        *uuid.UUID `json:"assigneeId"`
	AssigneeName      string     `json:"assigneeName"`
	UpdatedAt         time.Time  `json:"updatedAt"`
	Version           int64      `json:"version"`
}

// cardTable is the row's columns a card reads (no JSON detail, no search text).
var cardTable = table.Pick("id", "name", "customer_id", "customer_name", "stage", "probability", "amount", "weighted", "expected_close",
	"owner_id", "owner_name", "assignee_id", "assignee_name", "updated_at", "version")

// CardColumns are the columns a card reads, in ScanCard order.
var CardColumns = cardTable.Select()

// ScanCard reads one row of CardColumns.
func ScanCard(row readmodels.Scanner) (*Card, error) {
	o, err := cardTable.Scan(row)
	if err != nil {
		return nil, err
	}
	return &Card{ID: o.ID, Name: o.Name, CustomerID: o.CustomerID, CustomerName: o.CustomerName, Stage: o.Stage, Probability: o.Probability,
		Amount: o.Amount, Weighted: o.Weighted, ExpectedCloseDate: o.ExpectedCloseDate, OwnerID: o.OwnerID, OwnerName: o.OwnerName,
		AssigneeID: o.AssigneeID, AssigneeName: o.AssigneeName, UpdatedAt: o.UpdatedAt, Version: o.Version}, nil
}

// Column is one stage of the kanban board: its open opportunities' count and sums, and the most
// recently changed of them.
type Column struct {
	Stage    string  `json:"stage"`
	Count    int64   `json:"count"`
	Amount   string  `json:"amount"`
	Weighted string  `json:"weightedAmount"`
	Cards    []*Card `json:"cards"`
}

// Board is a pipeline's open opportunities by stage.
type Board struct {
	PipelineID uuid.UUID `json:"pipelineId"`
	Columns    []Column  `json:"columns"`
	Count      int64     `json:"count"`
	Amount     string    `json:"amount"`
	Weighted   string    `json:"weightedAmount"`
}

// MaxCards bounds the cards a kanban column returns (the list pages through the rest).
const MaxCards = 50

// AllOwners is the owner of the roll-up cells: every cell table also keeps, under this owner, the
// sum of its cells over every owner, which is what a reader who sees everything and asks for no
// owner or department reads (a few rows per month instead of a few per owner and month). No user
// has the nil id.
var AllOwners = uuid.Nil

// cellOwners is the condition on the cells' owner_id for a reader's scope: the owners it covers,
// or the roll-up when it covers everyone.
func (v *Views) cellOwners(s readmodels.Scope) (string, []any) {
	if c, a := s.UserCondition(v.Gens.Table(Projection, "opportunity_org_users"), "owner_id"); c != "" {
		return c, a
	}
	return "owner_id = ?", []any{AllOwners.String()}
}

// Kanban reads a pipeline's board for the reader in two statements: the counts and sums (the
// board cells the projection keeps per owner, or their roll-up, plus the opportunities the reader
// sees only as a member) and the cards of every column at once (the most recently changed, as
// light rows).
func (v *Views) Kanban(ctx context.Context, r Reader, pipeline uuid.UUID, stages []string, cards int) (Board, error) {
	if cards <= 0 || cards > MaxCards {
		cards = 20
	}
	b := Board{PipelineID: pipeline, Columns: make([]Column, len(stages))}
	idx := map[string]int{}
	for i, s := range stages {
		b.Columns[i] = Column{Stage: s, Cards: []*Card{}}
		idx[s] = i
	}
	sums := make([][2]money.Amount, len(stages))
	if r.Scope.None || len(stages) == 0 {
		return b.finish(sums), nil
	}
	t := v.Gens.Table(Projection, "opportunities")
	members := v.Gens.Table(Projection, "opportunity_members")
	// owned in scope: the cells of the owners the scope covers (the roll-up for everyone)
	owners, ownerArgs := v.cellOwners(r.Scope)
	stmt := `SELECT stage, SUM(n), SUM(amount), SUM(weighted) FROM ` + v.Gens.Table(Projection, "opportunity_board") +
		` WHERE pipeline_id = ? AND ` + owners + ` GROUP BY stage`
	args := append([]any{pipeline.String()}, ownerArgs...)
	if scopeCond, scopeArgs := r.Scope.Condition(); scopeCond != "" {
		// seen only as a member: outside the owner scope
		stmt += ` UNION ALL SELECT stage, count(*), SUM(amount), SUM(weighted) FROM ` + t + ` WHERE id IN (SELECT opportunity_id FROM ` + members +
			` WHERE user_id = ?) AND pipeline_id = ? AND status = ? AND NOT ` + scopeCond + ` GROUP BY stage`
		args = append(append(args, r.User.String(), pipeline.String(), string(opportunity.StatusOpen)), scopeArgs...)
	}
	if err := v.sums(ctx, stmt, args, func(stage string, n int64, amount, weighted money.Amount) {
		if i, ok := idx[stage]; ok {
			b.Columns[i].Count += n
			sums[i][0], sums[i][1] = sums[i][0].Add(amount), sums[i][1].Add(weighted)
		}
	}); err != nil {
		return b, err
	}
	// The cards: a reader whose scope is a few owners reads each owner's cards (an index per
	// owner and stage, newest first) and those of the opportunities they are a member of, merged;
	// anyone else walks the stage's index newest first, filtered by their sight. Every column's
	// arm goes into one statement.
	vis, visArgs := v.visible(r)
	branches, err := v.OwnerBranches(ctx, v.Gens.Table(Projection, "opportunity_org_users"), r.Scope, nil, nil)
	if err != nil {
		return b, err
	}
	var columns []string
	args = nil
	for i, s := range stages {
		if b.Columns[i].Count == 0 {
			continue
		}
		where := ` WHERE pipeline_id = ? AND status = ? AND stage = ?`
		base := []any{pipeline.String(), string(opportunity.StatusOpen), s}
		alias := " c" + strconv.Itoa(i)
		if branches == nil {
			arm := `SELECT ` + CardColumns + ` FROM ` + t + where
			args = append(args, base...)
			if vis != "" {
				arm += " AND " + vis
				args = append(args, visArgs...)
			}
			columns = append(columns, `SELECT * FROM (`+arm+` ORDER BY updated_at DESC LIMIT ?)`+alias)
			args = append(args, cards)
			continue
		}
		var arms []string
		for j, br := range branches {
			arms = append(arms, `SELECT * FROM (SELECT `+CardColumns+` FROM `+t+where+` AND `+br.SQL+` ORDER BY updated_at DESC LIMIT ?) b`+strconv.Itoa(j))
			args = append(append(append(args, base...), br.Args...), cards)
		}
		// the memberships: all of the reader's in the stage (a few), read through the member
		// table; an order and a limit here would have the planner walk the stage's index instead
		arms = append(arms, `SELECT `+CardColumns+` FROM `+t+where+` AND id IN (SELECT opportunity_id FROM `+members+` WHERE user_id = ?)`)
		args = append(append(args, base...), r.User.String())
		columns = append(columns, `SELECT * FROM (SELECT * FROM (`+strings.Join(arms, " UNION ALL ")+`) m ORDER BY updated_at DESC LIMIT ?)`+alias)
		args = append(args, cards)
	}
	if len(columns) == 0 {
		return b.finish(sums), nil
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(strings.Join(columns, " UNION ALL ")), args...)
	if err != nil {
		return b, fmt.Errorf("kanban cards: %w", err)
	}
	defer rows.Close()
	seen := map[uuid.UUID]bool{}
	for rows.Next() {
		c, err := ScanCard(rows)
		if err != nil {
			return b, err
		}
		if i, ok := idx[c.Stage]; ok && !seen[c.ID] { // an owned card the reader is also a member of comes twice
			seen[c.ID] = true
			b.Columns[i].Cards = append(b.Columns[i].Cards, c)
		}
	}
	if err := rows.Err(); err != nil {
		return b, err
	}
	for i := range b.Columns { // the order of a UNION ALL's rows is not promised
		slices.SortStableFunc(b.Columns[i].Cards, func(x, y *Card) int { return y.UpdatedAt.Compare(x.UpdatedAt) })
	}
	return b.finish(sums), nil
}

func (b Board) finish(sums [][2]money.Amount) Board {
	var amount, weighted money.Amount
	for i := range b.Columns {
		b.Columns[i].Amount, b.Columns[i].Weighted = sums[i][0].String(), sums[i][1].String()
		b.Count += b.Columns[i].Count
		amount, weighted = amount.Add(sums[i][0]), weighted.Add(sums[i][1])
	}
	b.Amount, b.Weighted = amount.String(), weighted.String()
	return b
}

// ForecastMonth is the open opportunities expected to close in a month.
type ForecastMonth struct {
	Month    string `json:"month"` // "2026-12"
	Count    int64  `json:"count"`
	Amount   string `json:"amount"`
	Weighted string `json:"weightedAmount"`
}

// MaxForecastMonths bounds a forecast's window.
const MaxForecastMonths = 24

// Forecast sums the weighted amounts of the reader's open opportunities by expected close month,
// from the month of from for months months (opportunities without a date are left out).
func (v *Views) Forecast(ctx context.Context, r Reader, pipeline *uuid.UUID, from time.Time, months int) ([]ForecastMonth, error) {
	if months < 1 || months > MaxForecastMonths {
		return nil, field.Errorf("months", "must be between 1 and %d", MaxForecastMonths)
	}
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]ForecastMonth, months)
	for i := range out {
		out[i] = ForecastMonth{Month: start.AddDate(0, i, 0).Format("2006-01"), Amount: "0.00", Weighted: "0.00"}
	}
	if r.Scope.None {
		return out, nil
	}
	sums := make([][2]money.Amount, months) // amount and weighted amount per month, formatted at the end
	add := func(stmt string, args ...any) error {
		return v.sums(ctx, stmt, args, func(month string, n int64, amount, weighted money.Amount) {
			for i := range out {
				if out[i].Month == month {
					out[i].Count += n
					sums[i][0], sums[i][1] = sums[i][0].Add(amount), sums[i][1].Add(weighted)
				}
			}
		})
	}
	first, end := start.Format("2006-01"), start.AddDate(0, months, 0).Format("2006-01")
	// owned in scope: the cells the projection keeps per owner and expected close month (the roll-up
	// for everyone)
	stmt := `SELECT month, SUM(n), SUM(amount), SUM(weighted) FROM ` + v.Gens.Table(Projection, "opportunity_forecast") + ` WHERE month >= ? AND month < ?`
	args := []any{first, end}
	if pipeline != nil {
		stmt += " AND pipeline_id = ?"
		args = append(args, pipeline.String())
	}
	owners, ownerArgs := v.cellOwners(r.Scope)
	stmt += " AND " + owners
	args = append(args, ownerArgs...)
	if err := add(stmt+" GROUP BY month", args...); err != nil {
		return nil, err
	}
	// seen only as a member: outside the owner scope
	if scopeCond, scopeArgs := r.Scope.Condition(); scopeCond != "" {
		stmt := `SELECT substr(expected_close, 1, 7), count(*), SUM(amount), SUM(weighted) FROM ` + v.Gens.Table(Projection, "opportunities") +
			` WHERE id IN (SELECT opportunity_id FROM ` + v.Gens.Table(Projection, "opportunity_members") + ` WHERE user_id = ?) AND status = ?
			AND expected_close >= ? AND expected_close < ? AND NOT ` + scopeCond
		args := []any{r.User.String(), string(opportunity.StatusOpen), start.Format(time.DateOnly), start.AddDate(0, months, 0).Format(time.DateOnly)}
		args = append(args, scopeArgs...)
		if pipeline != nil {
			stmt += " AND pipeline_id = ?"
			args = append(args, pipeline.String())
		}
		if err := add(stmt+" GROUP BY substr(expected_close, 1, 7)", args...); err != nil {
			return nil, err
		}
	}
	for i := range out {
		out[i].Amount, out[i].Weighted = sums[i][0].String(), sums[i][1].String()
	}
	return out, nil
}

// ForecastFromRows is the forecast recomputed from the rows (the reference the cells are tested
// against).
func (v *Views) ForecastFromRows(ctx context.Context, r Reader, pipeline *uuid.UUID, from time.Time, months int) ([]ForecastMonth, error) {
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]ForecastMonth, months)
	for i := range out {
		out[i] = ForecastMonth{Month: start.AddDate(0, i, 0).Format("2006-01"), Amount: "0.00", Weighted: "0.00"}
	}
	stmt := `SELECT substr(expected_close, 1, 7), count(*), SUM(amount), SUM(weighted) FROM ` + v.Gens.Table(Projection, "opportunities") +
		` WHERE status = ? AND expected_close >= ? AND expected_close < ?`
	args := []any{string(opportunity.StatusOpen), start.Format(time.DateOnly), start.AddDate(0, months, 0).Format(time.DateOnly)}
	if pipeline != nil {
		stmt += " AND pipeline_id = ?"
		args = append(args, pipeline.String())
	}
	if cond, a := v.visible(r); cond != "" {
		stmt += " AND " + cond
		args = append(args, a...)
	}
	err := v.sums(ctx, stmt+" GROUP BY substr(expected_close, 1, 7)", args, func(month string, n int64, amount, weighted money.Amount) {
		for i := range out {
			if out[i].Month == month {
				out[i].Count, out[i].Amount, out[i].Weighted = n, amount.String(), weighted.String()
			}
		}
	})
	return out, err
}

// sums runs a statement answering (key, count, amount, weighted amount) rows and hands each to f.
func (v *Views) sums(ctx context.Context, stmt string, args []any, f func(key string, n int64, amount, weighted money.Amount)) error {
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), args...)
	if err != nil {
		return fmt.Errorf("opportunity sums: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var n int64
		var amount, weighted readmodels.Money
		if err := rows.Scan(&key, &n, &amount, &weighted); err != nil {
			return err
		}
		f(key, n, amount.A, weighted.A)
	}
	return rows.Err()
}

// Pipeline is a pipeline as clients read it.
type Pipeline struct {
	ID       uuid.UUID           `json:"id"`
	Name     string              `json:"name"`
	Stages   []opportunity.Stage `json:"stages"`
	Disabled bool                `json:"disabled"`
	Default  bool                `json:"default"`
	Version  int64               `json:"version"`
}

// PipelineDDL is the pipelines table of one generation.
func PipelineDDL(t string) []string {
	return []string{`CREATE TABLE ` + t + ` (id {id} PRIMARY KEY, name TEXT NOT NULL, stages TEXT NOT NULL, disabled {bool} NOT NULL,
		version {bigint} NOT NULL, created_at {time} NOT NULL)`}
}

// Pipelines lists the pipelines: the default one first (as built in until it is revised), then
// the others in the order they were defined.
func (v *Views) Pipelines(ctx context.Context) ([]Pipeline, error) {
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT id, name, stages, disabled, version FROM `+v.Gens.Table(Projection, "opportunity_pipelines")+
		` ORDER BY created_at, id`))
	if err != nil {
		return nil, fmt.Errorf("pipelines: %w", err)
	}
	defer rows.Close()
	def := opportunity.DefaultPipeline()
	out := []Pipeline{{ID: def.ID(), Name: def.Name(), Stages: def.Stages(), Default: true}}
	for rows.Next() {
		var p Pipeline
		var id, stages string
		if err := rows.Scan(&id, &p.Name, &stages, &p.Disabled, &p.Version); err != nil {
			return nil, err
		}
		p.ID, _ = uuid.Parse(id)
		if err := json.Unmarshal([]byte(stages), &p.Stages); err != nil {
			return nil, err
		}
		if p.ID == opportunity.DefaultPipelineID {
			p.Default = true
			out[0] = p
			continue
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Pipeline returns one pipeline (readmodels.ErrNotFound: none).
func (v *Views) Pipeline(ctx context.Context, id uuid.UUID) (Pipeline, error) {
	ps, err := v.Pipelines(ctx)
	if err != nil {
		return Pipeline{}, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return Pipeline{}, readmodels.ErrNotFound
}

// FollowUps returns an opportunity's follow-ups, newest first. The caller has checked that the
// reader may see the opportunity.
func (v *Views) FollowUps(ctx context.Context, id uuid.UUID, limit int) ([]readmodels.FollowUp, error) {
	return v.ListFollowUps(ctx, v.Gens.Table(Projection, "opportunity_followups"), "subject = ?", "opportunity:"+id.String(), limit)
}
