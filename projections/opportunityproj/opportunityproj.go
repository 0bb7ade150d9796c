// Package opportunityproj projects opportunities into their read model: the searchable rows
// with their owner's placement, the members who may read them, the stage visits the funnel
// measures, and the kanban totals per pipeline, stage and owner. It keeps its own copy of
// customer names (for lists and search) and of the organisation (for data scopes).
package opportunityproj

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
)

// Projector builds the opportunity read model.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return opportunityview.Projection }

func names(gen int) (tables opportunityview.Tables, customers, depts, users string) {
	n := func(s string) string { return readmodels.TableName(s, gen) }
	return opportunityview.Tables{Rows: n("opportunities"), Members: n("opportunity_members"), Visits: n("opportunity_visits"),
			Totals: n("opportunity_totals"), Cohorts: n("opportunity_cohorts"), StageDays: n("opportunity_stage_days"), Forecast: n("opportunity_forecast"),
			Board: n("opportunity_board")},
		n("opportunity_customers"), n("opportunity_org_depts"), n("opportunity_org_users")
}

func pipelinesTable(gen int) string { return readmodels.TableName("opportunity_pipelines", gen) }

func followUpsTable(gen int) string { return readmodels.TableName("opportunity_followups", gen) }

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	tables, customers, depts, users := names(gen)
	ddl := append(opportunityview.TableDDL(tables), db.Dialect.SearchIndex(tables.Rows)...)
	ddl = append(ddl, `CREATE TABLE `+customers+` (id {id} PRIMARY KEY, name TEXT NOT NULL)`)
	ddl = append(ddl, opportunityview.PipelineDDL(pipelinesTable(gen))...)
	ddl = append(ddl, readmodels.FollowUpTableDDL(followUpsTable(gen))...)
	return append(ddl, kit.OrgTreeDDL(depts, users)...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t, customers, depts, users := names(gen)
	drop := db.Dialect.DropSearchIndex(t.Rows)
	for _, x := range []string{t.Rows, t.Members, t.Visits, t.Totals, t.Cohorts, t.StageDays, t.Forecast, t.Board, customers, depts, users, pipelinesTable(gen), followUpsTable(gen)} {
		drop = append(drop, `DROP TABLE IF EXISTS `+x)
	}
	return drop
}

// KeepIndexes implements engine.KeepIndexes: applying events finds rows by owner (organisation
// changes) and by customer (renames), members and visits by opportunity.
func (*Projector) KeepIndexes(gen int) []string {
	t, _, depts, users := names(gen)
	return append([]string{t.Rows + "_customer", t.Members + "_opp"}, kit.OrgTreeIndexes(depts, users)...)
}

// Wants implements engine.Selective: opportunities, customers (names), users and departments.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case opportunity.StreamPrefix, opportunity.PipelineStreamPrefix, customer.StreamPrefix, user.StreamPrefix, department.StreamPrefix:
		return true
	}
	return false
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	tree := kit.OrgTree{Depts: tx.Table("opportunity_org_depts"), Users: tx.Table("opportunity_org_users")}
	return &batch{p: p, tx: tx, table: tx.Table("opportunities"), members: tx.Table("opportunity_members"),
		visits: tx.Table("opportunity_visits"), totals: tx.Table("opportunity_totals"), customers: tx.Table("opportunity_customers"),
		cohorts: tx.Table("opportunity_cohorts"), stageDays: tx.Table("opportunity_stage_days"), pipelines: tx.Table("opportunity_pipelines"),
		forecast: tx.Table("opportunity_forecast"), board: tx.Table("opportunity_board"),
		deltas: map[cellKey]*delta{}, order: map[string][]string{}, followUps: kit.FollowUps{Table: tx.Table("opportunity_followups")},
		buf: kit.NewRowBuffer(tx.Table("opportunities"), "opportunity", tree, opportunityview.Columns, opportunityview.Scan,
			func(o *opportunityview.Opportunity) uuid.UUID { return o.ID }, opportunityview.InsertColumns,
			func(o *opportunityview.Opportunity) []any { return opportunityview.Args(tx.DB.Dialect, o) })}
}

// cellKey names a cell the projection adds up: a table and its key columns' values.
type cellKey struct {
	table string
	key   [5]string // pipeline, owner (every table's second), month, then stage (totals, stage days) or furthest and status (cohorts)
}

// delta is what a page adds to a cell.
type delta struct {
	n, secs          int64
	amount, weighted money.Amount // totals: amount, weighted; cohorts: won amount in amount
}

type batch struct {
	p                                                  *Projector
	tx                                                 *engine.Tx
	table, members, visits, totals, customers, cohorts string
	stageDays, pipelines, forecast, board              string
	buf                                                *kit.RowBuffer[opportunityview.Opportunity]
	deltas                                             map[cellKey]*delta
	order                                              map[string][]string // stage keys of each pipeline, in order
	followUps                                          kit.FollowUps
}

// cell is one row's part of one cell.
type cell struct {
	key cellKey
	d   delta
}

// cellsOf are the cells a row counts in: its cohort (how far it got, how it ended) and, while it
// is open, its stage's totals. A removed row counts nowhere.
func (b *batch) cellsOf(o *opportunityview.Opportunity) []cell {
	if o == nil || o.OwnerID == nil {
		return nil
	}
	pipe, owner, month := o.PipelineID.String(), o.OwnerID.String(), o.Month()
	co := cell{key: cellKey{b.cohorts, [5]string{pipe, owner, month, fmt.Sprint(o.Furthest), o.Status}}, d: delta{n: 1}}
	if o.Status == string(opportunity.StatusWon) {
		co.d.amount, _ = money.ParseAmount("won", o.WonValue)
		if o.WonAt != nil {
			co.d.secs = opportunityview.CycleSeconds(o.CreatedAt, *o.WonAt)
		}
	}
	out := []cell{co}
	if o.Status == string(opportunity.StatusOpen) {
		a, _ := money.ParseAmount("amount", o.Amount)
		w, _ := money.ParseAmount("weighted", o.Weighted)
		out = append(out, cell{key: cellKey{b.totals, [5]string{pipe, owner, month, o.Stage}}, d: delta{n: 1, amount: a, weighted: w}},
			cell{key: cellKey{b.board, [5]string{pipe, owner, o.Stage}}, d: delta{n: 1, amount: a, weighted: w}})
		if len(o.ExpectedCloseDate) >= 7 {
			out = append(out, cell{key: cellKey{b.forecast, [5]string{pipe, owner, o.ExpectedCloseDate[:7]}}, d: delta{n: 1, amount: a, weighted: w}})
		}
	}
	return out
}

// move takes a row's cells out and puts its new ones in.
func (b *batch) move(before, after []cell) {
	for _, c := range before {
		b.add(c.key, -1, c.d)
	}
	for _, c := range after {
		b.add(c.key, 1, c.d)
	}
}

// add adds a row's part to a cell and to the cell's roll-up over every owner (the same key with
// opportunityview.AllOwners as the owner), so that the roll-up always equals the sum of the owners'.
func (b *batch) add(k cellKey, sign int64, d delta) {
	b.addCell(k, sign, d)
	k.key[1] = rollUpOwner
	b.addCell(k, sign, d)
}

var rollUpOwner = opportunityview.AllOwners.String()

func (b *batch) addCell(k cellKey, sign int64, d delta) {
	x := b.deltas[k]
	if x == nil {
		x = &delta{}
		b.deltas[k] = x
	}
	x.n += sign * d.n
	x.secs += sign * d.secs
	if sign < 0 {
		x.amount, x.weighted = x.amount.Sub(d.amount), x.weighted.Sub(d.weighted)
	} else {
		x.amount, x.weighted = x.amount.Add(d.amount), x.weighted.Add(d.weighted)
	}
}

// rank is a stage's place in its pipeline (-1: not a stage of it).
func (b *batch) rank(ctx context.Context, pipeline uuid.UUID, stage string) (int64, error) {
	order, ok := b.order[pipeline.String()]
	if !ok {
		var stages string
		err := b.tx.QueryRow(ctx, `SELECT stages FROM `+b.pipelines+` WHERE id = ?`, pipeline.String()).Scan(&stages)
		var list []opportunity.Stage
		switch {
		case errors.Is(err, sql.ErrNoRows):
			list = opportunity.DefaultStages
		case err != nil:
			return 0, err
		default:
			if err := json.Unmarshal([]byte(stages), &list); err != nil {
				return 0, err
			}
		}
		for _, s := range list {
			order = append(order, s.Key)
		}
		b.order[pipeline.String()] = order
	}
	return int64(slices.Index(order, stage)), nil
}

// change is one event of an existing opportunity with its row.
type change struct {
	*batch
	e       eventstore.Event
	row     *opportunityview.Opportunity
	at      time.Time
	removed bool
}

var changes = kit.NewHandlers(
	kit.On(func(ctx context.Context, c *change, d opportunity.Updated) error {
		r := c.row
		p := d.Patch
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&r.Name, p.Name)
		set(&r.ExpectedCloseDate, p.ExpectedCloseDate)
		set(&r.Source, p.Source)
		set(&r.Summary, p.Summary)
		set(&r.Description, p.Description)
		set(&r.NextStep, p.NextStep)
		if p.Amount != nil {
			r.EnteredAmount = *p.Amount
			if len(r.Lines) == 0 {
				r.Amount = *p.Amount
			}
		}
		if p.ContactIDs != nil {
			r.ContactIDs = slices.Clone(*p.ContactIDs)
		}
		if p.TeamIDs != nil {
			r.TeamIDs = slices.Clone(*p.TeamIDs)
		}
		if p.Probability != nil {
			if *p.Probability < 0 {
				r.ProbabilityOverride = nil
			} else {
				v := *p.Probability
				r.ProbabilityOverride = &v
			}
		}
		if p.CustomerID != nil {
			id, _ := uuid.Parse(*p.CustomerID)
			r.CustomerID = id
			name, err := c.customerName(ctx, id)
			if err != nil {
				return err
			}
			r.CustomerName = name
		}
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d opportunity.StageChanged) error {
		c.row.Stage, c.row.StageEnteredAt = d.To, d.At
		c.stageProb(d.Probability)
		return c.enter(ctx, d.To, d.At)
	}),
	kit.On(func(_ context.Context, c *change, d opportunity.LinesSet) error {
		c.row.Lines = d.Lines
		switch {
		case len(d.Lines) > 0:
			c.row.Amount = d.Amount
		case c.row.EnteredAmount != "":
			c.row.Amount = c.row.EnteredAmount
		default:
			c.row.Amount = d.Amount
		}
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d opportunity.Won) error {
		c.row.Status, c.row.WonAmount, c.row.ClosedOn, c.row.CloseNote = string(opportunity.StatusWon), d.Amount, d.Date, d.Note
		at := d.At
		c.row.WonValue, c.row.WonAt = d.Amount, &at
		return c.leave(ctx, d.At)
	}),
	kit.On(func(ctx context.Context, c *change, d opportunity.Lost) error {
		c.row.Status, c.row.LostReason, c.row.Competitor, c.row.CloseNote = string(opportunity.StatusLost), d.Reason, d.Competitor, d.Note
		c.row.ClosedOn = d.At.Format(time.DateOnly)
		return c.leave(ctx, d.At)
	}),
	kit.On(func(ctx context.Context, c *change, d opportunity.Reopened) error {
		r := c.row
		r.Status, r.Stage, r.StageEnteredAt = string(opportunity.StatusOpen), d.Stage, d.At
		r.WonAmount, r.ClosedOn, r.LostReason, r.Competitor, r.CloseNote = "", "", "", "", ""
		r.WonValue, r.WonAt = "", nil
		c.stageProb(d.Probability)
		return c.enter(ctx, d.Stage, d.At)
	}),
	kit.On(func(ctx context.Context, c *change, d opportunity.Assigned) error {
		id, err := uuid.Parse(d.To)
		if err != nil {
			return err
		}
		p, err := c.buf.Placement(ctx, c.tx, id)
		if err != nil {
			return err
		}
		t := d.At
		c.row.AssigneeID, c.row.AssigneeName, c.row.AssignedAt = &id, p.Name, &t
		return nil
	}),
	kit.On(func(_ context.Context, c *change, d opportunity.PlanStepAdded) error {
		c.row.Plan = append(c.row.Plan, opportunity.PlanStep{ID: d.StepID, Date: d.Date, Action: d.Action})
		return nil
	}),
	kit.On(func(_ context.Context, c *change, d opportunity.PlanStepRecorded) error {
		for i := range c.row.Plan {
			if c.row.Plan[i].ID == d.StepID {
				c.row.Plan[i].Result, c.row.Plan[i].RecordedAt = d.Result, d.At
			}
		}
		return nil
	}),
	kit.On(func(_ context.Context, c *change, d opportunity.FollowedUp) error {
		fid, _ := uuid.Parse(d.FollowUpID)
		c.followUps.Add(readmodels.FollowUp{ID: fid, Subject: "opportunity:" + c.row.ID.String(), CustomerID: &c.row.CustomerID,
			Type: d.Type, At: d.At, Content: d.Content, NextFollowUpAt: d.NextFollowUpAt,
			By: readmodels.AuditActor{ID: c.e.Metadata.ActorID, Name: c.e.Metadata.ActorName}, Position: c.e.Position})
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, _ opportunity.Deleted) error {
		id := c.row.ID.String()
		var stays []struct {
			stage   string
			in, out readmodels.Time
		}
		rows, err := c.tx.QueryContext(ctx, c.tx.DB.Q(`SELECT stage, entered_at, left_at FROM `+c.visits+` WHERE opportunity_id = ? AND left_at IS NOT NULL`), id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var st struct {
				stage   string
				in, out readmodels.Time
			}
			if err := rows.Scan(&st.stage, &st.in, &st.out); err != nil {
				rows.Close()
				return err
			}
			stays = append(stays, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, st := range stays {
			c.add(c.stayKey(st.stage), -1, delta{n: 1, secs: opportunityview.StaySeconds(st.in.T, st.out.T)})
		}
		for _, t := range []string{c.members, c.visits} {
			if _, err := c.tx.Exec(ctx, `DELETE FROM `+t+` WHERE opportunity_id = ?`, id); err != nil {
				return err
			}
		}
		c.buf.Remove(c.row.ID)
		c.removed = true
		return nil
	}),
)

// stageProb records the probability of the stage the row entered (an override still wins: see derive).
func (c *change) stageProb(p int) { c.row.StageProbability = p }

// enter closes the open visit and opens one in stage; the furthest stage reached follows.
func (c *change) enter(ctx context.Context, stage string, at time.Time) error {
	if err := c.leave(ctx, at); err != nil {
		return err
	}
	r, err := c.rank(ctx, c.row.PipelineID, stage)
	if err != nil {
		return err
	}
	c.row.Furthest = max(c.row.Furthest, r)
	_, err = c.tx.Exec(ctx, `INSERT INTO `+c.visits+` (opportunity_id, seq, pipeline_id, stage, entered_at) VALUES (?, ?, ?, ?, ?)`,
		c.row.ID.String(), c.e.Version, c.row.PipelineID.String(), stage, c.tx.DB.Dialect.Time(at))
	return err
}

// leave closes the open visit and adds the stay to its stage's days.
func (c *change) leave(ctx context.Context, at time.Time) error {
	var stage string
	var in readmodels.Time
	err := c.tx.QueryRow(ctx, `SELECT stage, entered_at FROM `+c.visits+` WHERE opportunity_id = ? AND left_at IS NULL`, c.row.ID.String()).Scan(&stage, &in)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	c.add(c.stayKey(stage), 1, delta{n: 1, secs: opportunityview.StaySeconds(in.T, at)})
	_, err = c.tx.Exec(ctx, `UPDATE `+c.visits+` SET left_at = ? WHERE opportunity_id = ? AND left_at IS NULL`, c.tx.DB.Dialect.Time(at), c.row.ID.String())
	return err
}

func (c *change) stayKey(stage string) cellKey {
	return cellKey{c.stageDays, [5]string{c.row.PipelineID.String(), c.row.OwnerID.String(), c.row.Month(), stage}}
}

func (b *batch) customerName(ctx context.Context, id uuid.UUID) (string, error) {
	var name string
	err := b.tx.QueryRow(ctx, `SELECT name FROM `+b.customers+` WHERE id = ?`, id.String()).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil // a customer created before its name reached us: shown without a name
	}
	return name, err
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !b.p.Wants(e) {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch eventstore.StreamKind(e.StreamID) {
	case user.StreamPrefix, department.StreamPrefix:
		return b.buf.OrgChanged(ctx, b.tx, d, b.table)
	case customer.StreamPrefix:
		return b.customerEvent(ctx, d)
	case opportunity.PipelineStreamPrefix:
		return b.pipelineEvent(ctx, e, d)
	}
	if c, ok := d.(opportunity.Created); ok {
		return b.create(ctx, e, c)
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, opportunity.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	row, err := b.buf.Get(ctx, b.tx, id)
	if err != nil {
		return err
	}
	before := b.cellsOf(row)
	members := row.Members()
	c := &change{batch: b, e: e, row: row, at: e.OccurredAt}
	if _, err := changes.Handle(ctx, c, d); err != nil {
		return err
	}
	if c.removed {
		b.move(before, nil)
		return nil
	}
	b.derive(row)
	b.move(before, b.cellsOf(row))
	if !slices.Equal(members, row.Members()) {
		if err := b.setMembers(ctx, row); err != nil {
			return err
		}
	}
	row.Version, row.Position, row.UpdatedAt = e.Version, e.Position, c.at
	b.buf.Put(row.ID, row)
	return nil
}

// derive recomputes what follows from the row's state: the probability and weighted amount.
func (b *batch) derive(r *opportunityview.Opportunity) {
	switch {
	case r.Status == string(opportunity.StatusWon):
		r.Probability = 100
	case r.Status == string(opportunity.StatusLost):
		r.Probability = 0
	case r.ProbabilityOverride != nil:
		r.Probability = int64(*r.ProbabilityOverride)
	default:
		r.Probability = int64(r.StageProbability)
	}
	a, _ := money.ParseAmount("amount", r.Amount)
	r.Weighted = money.Percentage(a, money.WholePercent(int(r.Probability))).String()
}

func (b *batch) setMembers(ctx context.Context, r *opportunityview.Opportunity) error {
	if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.members+` WHERE opportunity_id = ?`, r.ID.String()); err != nil {
		return err
	}
	for _, m := range r.Members() {
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.members+` (opportunity_id, user_id) VALUES (?, ?)`, r.ID.String(), m); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) create(ctx context.Context, e eventstore.Event, c opportunity.Created) error {
	id, err := uuid.Parse(c.OpportunityID)
	if err != nil {
		return err
	}
	f := c.Fields
	r := &opportunityview.Opportunity{ID: id, Name: f.Name, Stage: c.Stage, StageEnteredAt: c.At, Status: string(opportunity.StatusOpen),
		Amount: c.Amount, ExpectedCloseDate: f.ExpectedCloseDate, Source: f.Source, CreatedAt: c.At,
		Detail: opportunityview.Detail{ContactIDs: f.ContactIDs, TeamIDs: f.TeamIDs, Summary: f.Summary, Description: f.Description,
			NextStep: f.NextStep, ProbabilityOverride: f.Probability, EnteredAmount: f.Amount, Lines: c.Lines, StageProbability: c.StageProb}}
	r.PipelineID, _ = uuid.Parse(c.PipelineID)
	r.CustomerID, _ = uuid.Parse(f.CustomerID)
	r.CreatedBy, _ = uuid.Parse(c.By)
	if r.CustomerName, err = b.customerName(ctx, r.CustomerID); err != nil {
		return err
	}
	owner, err := uuid.Parse(c.OwnerID)
	if err != nil {
		return err
	}
	p, err := b.buf.Placement(ctx, b.tx, owner)
	if err != nil {
		return err
	}
	r.OwnerID, r.OwnerName, r.OwnerDeptID, r.OwnerDeptPath, r.OwnerSupPath = &owner, p.Name, p.DepartmentID, p.DeptPath, p.SuperiorPath
	if r.Furthest, err = b.rank(ctx, r.PipelineID, c.Stage); err != nil {
		return err
	}
	b.derive(r)
	b.move(nil, b.cellsOf(r))
	if len(r.Members()) > 0 {
		if err := b.setMembers(ctx, r); err != nil {
			return err
		}
	}
	if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.visits+` (opportunity_id, seq, pipeline_id, stage, entered_at) VALUES (?, ?, ?, ?, ?)`,
		id.String(), e.Version, c.PipelineID, c.Stage, b.tx.DB.Dialect.Time(c.At)); err != nil {
		return err
	}
	r.Version, r.Position, r.UpdatedAt = e.Version, e.Position, c.At
	b.buf.Put(id, r)
	return nil
}

// customerEvent keeps the customer names: a new customer, a rename (its opportunities' rows and
// search text follow).
func (b *batch) customerEvent(ctx context.Context, d event.Event) error {
	var id, name string
	switch d := d.(type) {
	case customer.Created:
		_, err := b.tx.Exec(ctx, `INSERT INTO `+b.customers+` (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name`, d.CustomerID, d.Fields.Name)
		return err
	case customer.Updated:
		if d.Patch.Name == nil {
			return nil
		}
		id, name = d.CustomerID, *d.Patch.Name
	default:
		return nil
	}
	if _, err := b.tx.Exec(ctx, `UPDATE `+b.customers+` SET name = ? WHERE id = ?`, name, id); err != nil {
		return err
	}
	if err := b.buf.Flush(ctx, b.tx); err != nil { // rows read below must be current
		return err
	}
	ids, err := b.tx.DB.IDs(ctx, `SELECT id FROM `+b.table+` WHERE customer_id = ?`, id)
	if err != nil {
		return err
	}
	for _, oid := range ids {
		row, err := b.buf.Get(ctx, b.tx, oid)
		if err != nil {
			return err
		}
		row.CustomerName = name
		b.buf.Put(oid, row)
	}
	return nil
}

func (b *batch) Flush(ctx context.Context) error {
	if err := b.buf.Flush(ctx, b.tx); err != nil {
		return err
	}
	if err := b.followUps.Flush(ctx, b.tx); err != nil {
		return err
	}
	dl := b.tx.DB.Dialect
	keys := slices.SortedFunc(maps.Keys(b.deltas), func(x, y cellKey) int { // a fixed order: no deadlocks between writers
		return strings.Compare(x.table+strings.Join(x.key[:], "\x1f"), y.table+strings.Join(y.key[:], "\x1f"))
	})
	for _, k := range keys {
		d := b.deltas[k]
		if *d == (delta{}) {
			continue
		}
		var stmt string
		var args []any
		switch k.table {
		case b.totals:
			stmt = `INSERT INTO ` + k.table + ` (pipeline_id, owner_id, month, stage, n, amount, weighted) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (pipeline_id, owner_id, month, stage) DO UPDATE SET n = ` + k.table + `.n + excluded.n,
				amount = ` + k.table + `.amount + excluded.amount, weighted = ` + k.table + `.weighted + excluded.weighted`
			args = []any{k.key[0], k.key[1], k.key[2], k.key[3], d.n, readmodels.MoneyArg(dl, d.amount), readmodels.MoneyArg(dl, d.weighted)}
		case b.board:
			stmt = `INSERT INTO ` + k.table + ` (pipeline_id, owner_id, stage, n, amount, weighted) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (pipeline_id, owner_id, stage) DO UPDATE SET n = ` + k.table + `.n + excluded.n,
				amount = ` + k.table + `.amount + excluded.amount, weighted = ` + k.table + `.weighted + excluded.weighted`
			args = []any{k.key[0], k.key[1], k.key[2], d.n, readmodels.MoneyArg(dl, d.amount), readmodels.MoneyArg(dl, d.weighted)}
		case b.forecast:
			stmt = `INSERT INTO ` + k.table + ` (pipeline_id, owner_id, month, n, amount, weighted) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (owner_id, month, pipeline_id) DO UPDATE SET n = ` + k.table + `.n + excluded.n,
				amount = ` + k.table + `.amount + excluded.amount, weighted = ` + k.table + `.weighted + excluded.weighted`
			args = []any{k.key[0], k.key[1], k.key[2], d.n, readmodels.MoneyArg(dl, d.amount), readmodels.MoneyArg(dl, d.weighted)}
		case b.cohorts:
			stmt = `INSERT INTO ` + k.table + ` (pipeline_id, owner_id, month, furthest, status, n, won_amount, cycle_secs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (pipeline_id, owner_id, month, furthest, status) DO UPDATE SET n = ` + k.table + `.n + excluded.n,
				won_amount = ` + k.table + `.won_amount + excluded.won_amount, cycle_secs = ` + k.table + `.cycle_secs + excluded.cycle_secs`
			furthest, _ := strconv.Atoi(k.key[3])
			args = []any{k.key[0], k.key[1], k.key[2], furthest, k.key[4], d.n, readmodels.MoneyArg(dl, d.amount), d.secs}
		default:
			stmt = `INSERT INTO ` + k.table + ` (pipeline_id, owner_id, month, stage, n, secs) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (pipeline_id, owner_id, month, stage) DO UPDATE SET n = ` + k.table + `.n + excluded.n, secs = ` + k.table + `.secs + excluded.secs`
			args = []any{k.key[0], k.key[1], k.key[2], k.key[3], d.n, d.secs}
		}
		if _, err := b.tx.Exec(ctx, stmt, args...); err != nil {
			return err
		}
	}
	clear(b.deltas)
	return nil
}

// pipelineEvent keeps the pipelines table (the whole definition per event).
func (b *batch) pipelineEvent(ctx context.Context, e eventstore.Event, d event.Event) error {
	var id, name string
	var stages []opportunity.Stage
	disabled := false
	switch d := d.(type) {
	case opportunity.PipelineDefined:
		id, name, stages = d.PipelineID, d.Name, d.Stages
	case opportunity.PipelineRevised:
		id, name, stages, disabled = d.PipelineID, d.Name, d.Stages, d.Disabled
	default:
		return nil
	}
	js, err := json.Marshal(stages)
	if err != nil {
		return err
	}
	delete(b.order, id)
	t := b.tx.Table("opportunity_pipelines")
	_, err = b.tx.Exec(ctx, `INSERT INTO `+t+` (id, name, stages, disabled, version, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, stages = excluded.stages, disabled = excluded.disabled, version = excluded.version`,
		id, name, string(js), disabled, e.Version, b.tx.DB.Dialect.Time(e.OccurredAt))
	return err
}
