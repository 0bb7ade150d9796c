// Package taskproj projects tasks into their read model: a row per live task (its state folded by
// the aggregate's own rules) with the assignee's placement in the owner columns, the users
// involved in it, its comments, and its own copy of the organisation (data scopes and names).
package taskproj

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/task"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/taskview"
)

// Projector builds the task read model.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return taskview.Projection }

func names(gen int) (t taskview.Tables, depts, users string) {
	return taskview.TablesOf(gen), readmodels.TableName("task_org_depts", gen), readmodels.TableName("task_org_users", gen)
}

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	t, depts, users := names(gen)
	ddl := append(taskview.TableDDL(t), db.Dialect.SearchIndex(t.Rows)...)
	return append(ddl, kit.OrgTreeDDL(depts, users)...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t, depts, users := names(gen)
	drop := db.Dialect.DropSearchIndex(t.Rows)
	for _, x := range []string{t.Rows, t.Members, t.Comments, depts, users} {
		drop = append(drop, `DROP TABLE IF EXISTS `+x)
	}
	return drop
}

// KeepIndexes implements engine.KeepIndexes: applying events finds members and comments by
// task, and the organisation by path.
func (*Projector) KeepIndexes(gen int) []string {
	t, depts, users := names(gen)
	return append([]string{t.Members + "_task", t.Comments + "_task"}, kit.OrgTreeIndexes(depts, users)...)
}

// Wants implements engine.Selective.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case privacy.StreamPrefix, task.StreamPrefix, user.StreamPrefix, department.StreamPrefix:
		return true
	}
	return false
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	tree := kit.OrgTree{Depts: tx.Table("task_org_depts"), Users: tx.Table("task_org_users")}
	return &batch{p: p, tx: tx, table: tx.Table("tasks"), members: tx.Table("task_members"), comments: tx.Table("task_comments"),
		buf: kit.NewRowBuffer(tx.Table("tasks"), "task", tree, taskview.Columns, taskview.Scan,
			func(t *taskview.Task) uuid.UUID { return t.ID }, taskview.InsertColumns,
			func(t *taskview.Task) []any { return taskview.Args(tx.DB.Dialect, t) })}
}

type batch struct {
	p                        *Projector
	tx                       *engine.Tx
	table, members, comments string
	buf                      *kit.RowBuffer[taskview.Task]
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
	case privacy.StreamPrefix: // the label of a related lead or contact erased
		return kit.EraseRelated(ctx, b.tx, b.buf, b.table, d, func(r *taskview.Task) bool {
			if r.RelatedName == "" || r.RelatedName == privacy.Erased {
				return false
			}
			r.RelatedName = privacy.Erased
			return true
		})
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, task.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	var row *taskview.Task
	var agg *task.Task
	var before []string
	if c, ok := d.(task.Created); ok {
		row = &taskview.Task{ID: id, CreatedAt: c.At}
		agg = task.Restore(id, task.State{})
	} else {
		if row, err = b.buf.Get(ctx, b.tx, id); err != nil {
			return err
		}
		agg, before = row.Aggregate(), involved(row)
	}
	agg.Fold(d)
	if agg.Deleted() {
		for _, t := range []string{b.members, b.comments} {
			if _, err := b.tx.Exec(ctx, `DELETE FROM `+t+` WHERE task_id = ?`, id.String()); err != nil {
				return err
			}
		}
		b.buf.Remove(id)
		return nil
	}
	row.FromAggregate(agg)
	if err := b.place(ctx, row, agg.Assignee()); err != nil {
		return err
	}
	if c, ok := d.(task.Commented); ok {
		name, err := b.nameOf(ctx, c.By)
		if err != nil {
			return err
		}
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.comments+` (id, task_id, text, by_id, by_name, at, position) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, c.CommentID, id.String(), c.Text, c.By, name, b.tx.DB.Dialect.Time(c.At), int64(e.Position)); err != nil {
			return err
		}
	}
	if now := involved(row); !slices.Equal(before, now) {
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.members+` WHERE task_id = ?`, id.String()); err != nil {
			return err
		}
		for _, u := range now {
			if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.members+` (task_id, user_id) VALUES (?, ?)`, id.String(), u); err != nil {
				return err
			}
		}
	}
	// the version clients send back moves with what they edit, not with reminders or comments
	if task.MovesEditVersion(d) {
		row.Version, row.UpdatedAt = e.Version, e.OccurredAt
	}
	row.Position = e.Position
	b.buf.Put(id, row)
	return nil
}

// involved are the users who read the task whatever their scope: creator, assignee,
// participants (sorted, once each).
func involved(r *taskview.Task) []string {
	out := append([]string{r.CreatorID.String()}, r.State.Participants...)
	if r.OwnerID != nil {
		out = append(out, r.OwnerID.String())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// place sets the assignee's columns and the creator's name from the projection's copy of the
// organisation.
func (b *batch) place(ctx context.Context, r *taskview.Task, owner uuid.UUID) error {
	p, err := b.buf.Placement(ctx, b.tx, owner)
	if err != nil {
		return err
	}
	r.OwnerID, r.OwnerName, r.OwnerDeptID, r.OwnerDeptPath, r.OwnerSupPath = &owner, p.Name, p.DepartmentID, p.DeptPath, p.SuperiorPath
	if r.CreatorName, err = b.nameOf(ctx, r.CreatorID.String()); err != nil {
		return err
	}
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
