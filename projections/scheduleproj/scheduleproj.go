// Package scheduleproj projects schedule entries into their read model: a row per live entry (its
// state folded by the aggregate's own rules) with the owner's placement in the owner columns, the
// users involved in it, and its own copy of the organisation (data scopes and names).
package scheduleproj

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/schedule"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/scheduleview"
)

// Projector builds the schedule read model.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return scheduleview.Projection }

func names(gen int) (t scheduleview.Tables, depts, users string) {
	return scheduleview.TablesOf(gen), readmodels.TableName("schedule_org_depts", gen), readmodels.TableName("schedule_org_users", gen)
}

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	t, depts, users := names(gen)
	ddl := append(scheduleview.TableDDL(t), db.Dialect.SearchIndex(t.Rows)...)
	return append(ddl, kit.OrgTreeDDL(depts, users)...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t, depts, users := names(gen)
	drop := db.Dialect.DropSearchIndex(t.Rows)
	for _, x := range []string{t.Rows, t.Members, t.Feeds, depts, users} {
		drop = append(drop, `DROP TABLE IF EXISTS `+x)
	}
	return drop
}

// KeepIndexes implements engine.KeepIndexes: applying events finds members by entry, and the
// organisation by path.
func (*Projector) KeepIndexes(gen int) []string {
	t, depts, users := names(gen)
	return append([]string{t.Members + "_schedule"}, kit.OrgTreeIndexes(depts, users)...)
}

// Wants implements engine.Selective.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case privacy.StreamPrefix, schedule.StreamPrefix, schedule.FeedStreamPrefix, user.StreamPrefix, department.StreamPrefix:
		return true
	}
	return false
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	tree := kit.OrgTree{Depts: tx.Table("schedule_org_depts"), Users: tx.Table("schedule_org_users")}
	return &batch{p: p, tx: tx, table: tx.Table("schedules"), members: tx.Table("schedule_members"), feeds: tx.Table("calendar_feeds"),
		buf: kit.NewRowBuffer(tx.Table("schedules"), "schedule", tree, scheduleview.Columns, scheduleview.Scan,
			func(e *scheduleview.Entry) uuid.UUID { return e.ID }, scheduleview.InsertColumns,
			func(e *scheduleview.Entry) []any { return scheduleview.Args(tx.DB.Dialect, e) })}
}

type batch struct {
	p                     *Projector
	tx                    *engine.Tx
	table, members, feeds string
	buf                   *kit.RowBuffer[scheduleview.Entry]
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
		return kit.EraseRelated(ctx, b.tx, b.buf, b.table, d, func(r *scheduleview.Entry) bool {
			if r.RelatedName == "" || r.RelatedName == privacy.Erased {
				return false
			}
			r.RelatedName = privacy.Erased
			return true
		})
	case schedule.FeedStreamPrefix:
		return b.feed(ctx, d)
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, schedule.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	var row *scheduleview.Entry
	var agg *schedule.Schedule
	var before []string
	var seriesEnd time.Time // the members rows' copy
	if c, ok := d.(schedule.Created); ok {
		row = &scheduleview.Entry{ID: id, CreatedAt: c.At}
		agg = schedule.Restore(id, schedule.State{})
	} else {
		if row, err = b.buf.Get(ctx, b.tx, id); err != nil {
			return err
		}
		agg, before, seriesEnd = row.Aggregate(), involved(row), row.SeriesEnd
	}
	agg.Fold(d)
	if agg.Deleted() {
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.members+` WHERE schedule_id = ?`, id.String()); err != nil {
			return err
		}
		b.buf.Remove(id)
		return nil
	}
	row.FromAggregate(agg)
	if err := b.place(ctx, row, agg.Owner()); err != nil {
		return err
	}
	if now := involved(row); !slices.Equal(before, now) || !row.SeriesEnd.Equal(seriesEnd) {
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.members+` WHERE schedule_id = ?`, id.String()); err != nil {
			return err
		}
		for _, u := range now {
			if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.members+` (schedule_id, user_id, series_end) VALUES (?, ?, ?)`, id.String(), u,
				b.tx.DB.Dialect.Time(row.SeriesEnd)); err != nil {
				return err
			}
		}
	}
	// the version clients send back moves with what they edit, not with reminders
	if schedule.MovesEditVersion(d) {
		row.Version, row.UpdatedAt = e.Version, e.OccurredAt
	}
	row.Position = e.Position
	b.buf.Put(id, row)
	return nil
}

// involved are the users who read the entry whatever their scope: creator, owner, participants
// (sorted, once each).
func involved(r *scheduleview.Entry) []string {
	out := append([]string{r.CreatorID.String()}, r.State.Participants...)
	if r.OwnerID != nil {
		out = append(out, r.OwnerID.String())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// place sets the owner's columns and the creator's name from the projection's copy of the
// organisation.
func (b *batch) place(ctx context.Context, r *scheduleview.Entry, owner uuid.UUID) error {
	p, err := b.buf.Placement(ctx, b.tx, owner)
	if err != nil {
		return err
	}
	r.OwnerID, r.OwnerName, r.OwnerDeptID, r.OwnerDeptPath, r.OwnerSupPath = &owner, p.Name, p.DepartmentID, p.DeptPath, p.SuperiorPath
	creator, err := b.buf.Placement(ctx, b.tx, r.CreatorID)
	if err != nil {
		return err
	}
	r.CreatorName = creator.Name
	return nil
}

func (b *batch) Flush(ctx context.Context) error { return b.buf.Flush(ctx, b.tx) }

// feed keeps a user's feed row: the hash of the current secret, none once revoked.
func (b *batch) feed(ctx context.Context, d event.Event) error {
	switch e := d.(type) {
	case schedule.FeedIssued:
		_, err := b.tx.Exec(ctx, `INSERT INTO `+b.feeds+` (user_id, token_hash, issued_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, issued_at = excluded.issued_at`,
			e.UserID, e.TokenHash, b.tx.DB.Dialect.Time(e.At))
		return err
	case schedule.FeedRevoked:
		_, err := b.tx.Exec(ctx, `DELETE FROM `+b.feeds+` WHERE user_id = ?`, e.UserID)
		return err
	}
	return nil
}
