// Package worklogproj projects work logs into their read model: a row per log (its state folded by
// the aggregate's own rules) with the writer's placement in the owner columns, the recipients of
// each submitted log with their read receipts, the comments, its own copy of the organisation
// (data scopes and names), and the statistics' counters: each department's active members and
// the submissions per kind, period and department.
package worklogproj

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/domain/worklog"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/worklogview"
)

// Projector builds the work log read model.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return worklogview.Projection }

func names(gen int) (t worklogview.Tables, depts, users string) {
	return worklogview.TablesOf(gen), readmodels.TableName("worklog_org_depts", gen), readmodels.TableName("worklog_org_users", gen)
}

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	t, depts, users := names(gen)
	ddl := append(worklogview.TableDDL(t), db.Dialect.SearchIndex(t.Rows)...)
	return append(ddl, kit.OrgTreeDDL(depts, users)...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t, depts, users := names(gen)
	drop := db.Dialect.DropSearchIndex(t.Rows)
	for _, x := range []string{t.Rows, t.Recipients, t.Comments, t.Depts, t.Staff, t.Counts, depts, users} {
		drop = append(drop, `DROP TABLE IF EXISTS `+x)
	}
	return drop
}

// KeepIndexes implements engine.KeepIndexes: applying events finds recipients and comments by
// log, and the organisation by path.
func (*Projector) KeepIndexes(gen int) []string {
	t, depts, users := names(gen)
	return append([]string{t.Recipients + "_log", t.Comments + "_log"}, kit.OrgTreeIndexes(depts, users)...)
}

// Wants implements engine.Selective.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case worklog.StreamPrefix, user.StreamPrefix, department.StreamPrefix:
		return true
	}
	return false
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	tree := kit.OrgTree{Depts: tx.Table("worklog_org_depts"), Users: tx.Table("worklog_org_users")}
	t := worklogview.Tables{Rows: tx.Table("worklogs"), Recipients: tx.Table("worklog_recipients"), Comments: tx.Table("worklog_comments"),
		Depts: tx.Table("worklog_depts"), Staff: tx.Table("worklog_staff"), Counts: tx.Table("worklog_counts")}
	return &batch{p: p, tx: tx, t: t,
		buf: kit.NewRowBuffer(t.Rows, "worklog", tree, worklogview.Columns, worklogview.Scan,
			func(l *worklogview.Log) uuid.UUID { return l.ID }, worklogview.InsertColumns,
			func(l *worklogview.Log) []any { return worklogview.Args(tx.DB.Dialect, l) })}
}

type batch struct {
	p   *Projector
	tx  *engine.Tx
	t   worklogview.Tables
	buf *kit.RowBuffer[worklogview.Log]
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
		if err := b.buf.OrgChanged(ctx, b.tx, d, b.t.Rows); err != nil {
			return err
		}
		return b.members(ctx, d)
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, worklog.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	var row *worklogview.Log
	var agg *worklog.Log
	if dr, ok := d.(worklog.Drafted); ok {
		row = &worklogview.Log{ID: id, CreatedAt: dr.At}
		agg = worklog.Restore(id, worklog.State{})
	} else {
		if row, err = b.buf.Get(ctx, b.tx, id); err != nil {
			return err
		}
		agg = row.Aggregate()
	}
	agg.Fold(d)
	row.FromAggregate(agg)
	if err := b.place(ctx, row, agg.Writer()); err != nil {
		return err
	}
	switch d := d.(type) {
	case worklog.Submitted:
		if err := b.submitted(ctx, row, d); err != nil {
			return err
		}
	case worklog.Commented:
		name, err := b.nameOf(ctx, d.By)
		if err != nil {
			return err
		}
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Comments+` (id, log_id, text, by_id, by_name, at, position) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, d.CommentID, id.String(), d.Text, d.By, name, b.tx.DB.Dialect.Time(d.At), int64(e.Position)); err != nil {
			return err
		}
	case worklog.Read:
		if _, err := b.tx.Exec(ctx, `UPDATE `+b.t.Recipients+` SET read_at = ? WHERE user_id = ? AND log_id = ? AND read_at IS NULL`,
			b.tx.DB.Dialect.Time(d.At), d.ReaderID, id.String()); err != nil {
			return err
		}
	}
	// the version clients send back moves with what the writer edits, not with comments or receipts
	if worklog.MovesEditVersion(d) {
		row.Version, row.UpdatedAt = e.Version, e.OccurredAt
	}
	row.Position = e.Position
	b.buf.Put(id, row)
	return nil
}

// submitted writes the recipients (named as the organisation names them now) and counts the log
// for the writer's department and its period.
func (b *batch) submitted(ctx context.Context, row *worklogview.Log, d worklog.Submitted) error {
	for _, r := range d.Recipients {
		name, err := b.nameOf(ctx, r)
		if err != nil {
			return err
		}
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Recipients+` (log_id, user_id, name) VALUES (?, ?, ?) ON CONFLICT (user_id, log_id) DO NOTHING`,
			d.LogID, r, name); err != nil {
			return err
		}
	}
	row.DepartmentID = row.OwnerDeptID
	if row.DepartmentID == "" {
		return nil // a writer in no department is in no department's figures
	}
	_, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Counts+` (kind, period, department_id, submitted) VALUES (?, ?, ?, 1)
		ON CONFLICT (kind, department_id, period) DO UPDATE SET submitted = `+b.t.Counts+`.submitted + 1`, string(d.Kind), d.Period, row.DepartmentID)
	return err
}

// members keeps the departments (names, active members) and each user's department and whether
// they are active, from the organisation's events.
func (b *batch) members(ctx context.Context, d event.Event) error {
	switch e := d.(type) {
	case department.Created:
		_, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Depts+` (id, name, members) VALUES (?, ?, 0) ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
			e.DepartmentID, e.Name)
		return err
	case department.Renamed:
		_, err := b.tx.Exec(ctx, `UPDATE `+b.t.Depts+` SET name = ? WHERE id = ?`, e.To, e.DepartmentID)
		return err
	case user.Created:
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Staff+` (id, department_id, active) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			e.UserID, e.DepartmentID, true); err != nil {
			return err
		}
		return b.count(ctx, e.DepartmentID, 1)
	case user.Updated:
		if e.DepartmentID == nil {
			return nil
		}
		dept, active, err := b.staff(ctx, e.UserID)
		if err != nil {
			return err
		}
		if _, err := b.tx.Exec(ctx, `UPDATE `+b.t.Staff+` SET department_id = ? WHERE id = ?`, *e.DepartmentID, e.UserID); err != nil {
			return err
		}
		if !active || dept == *e.DepartmentID {
			return nil
		}
		if err := b.count(ctx, dept, -1); err != nil {
			return err
		}
		return b.count(ctx, *e.DepartmentID, 1)
	case user.Disabled, user.Enabled:
		uid, on := "", false
		if x, ok := e.(user.Enabled); ok {
			uid, on = x.UserID, true
		} else {
			uid = e.(user.Disabled).UserID
		}
		dept, active, err := b.staff(ctx, uid)
		if err != nil || active == on {
			return err
		}
		if _, err := b.tx.Exec(ctx, `UPDATE `+b.t.Staff+` SET active = ? WHERE id = ?`, on, uid); err != nil {
			return err
		}
		if on {
			return b.count(ctx, dept, 1)
		}
		return b.count(ctx, dept, -1)
	}
	return nil
}

// staff is where the projection has a user and whether they are active (a user it does not know
// is in no department and inactive).
func (b *batch) staff(ctx context.Context, id string) (dept string, active bool, err error) {
	err = b.tx.QueryRow(ctx, `SELECT department_id, active FROM `+b.t.Staff+` WHERE id = ?`, id).Scan(&dept, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return dept, active, err
}

// count changes a department's active members by delta (a department it has not seen yet gets a
// row without a name).
func (b *batch) count(ctx context.Context, dept string, delta int64) error {
	if dept == "" {
		return nil
	}
	_, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Depts+` (id, name, members) VALUES (?, '', ?)
		ON CONFLICT (id) DO UPDATE SET members = `+b.t.Depts+`.members + excluded.members`, dept, delta)
	return err
}

// place sets the writer's columns from the projection's copy of the organisation.
func (b *batch) place(ctx context.Context, r *worklogview.Log, writer uuid.UUID) error {
	p, err := b.buf.Placement(ctx, b.tx, writer)
	if err != nil {
		return err
	}
	r.OwnerID, r.OwnerName, r.OwnerDeptID, r.OwnerDeptPath, r.OwnerSupPath = &writer, p.Name, p.DepartmentID, p.DeptPath, p.SuperiorPath
	return nil
}

func (b *batch) nameOf(ctx context.Context, id string) (string, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return "", nil
	}
	p, err := b.buf.Placement(ctx, b.tx, uid)
	return p.Name, err
}

func (b *batch) Flush(ctx context.Context) error { return b.buf.Flush(ctx, b.tx) }
