package projections

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// Leads projects lead events into the searchable lead table (and the lead pool).
type Leads struct{ registry *event.Registry }

// NewLeads builds the projector.
func NewLeads(registry *event.Registry) *Leads { return &Leads{registry: registry} }

func (*Leads) Name() string { return leadview.Projection }

func (*Leads) Schema(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("leads", gen)
	ddl := append(leadview.TableDDL(t), db.Dialect.SearchIndex(t)...)
	ddl = append(ddl, readmodels.FollowUpTableDDL(readmodels.TableName("lead_followups", gen))...)
	return append(ddl, orgTreeDDL(readmodels.TableName("lead_org_depts", gen), readmodels.TableName("lead_org_users", gen))...)
}

func (*Leads) Drop(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("leads", gen)
	return append(db.Dialect.DropSearchIndex(t), `DROP TABLE IF EXISTS `+t,
		`DROP TABLE IF EXISTS `+readmodels.TableName("lead_followups", gen), `DROP TABLE IF EXISTS `+readmodels.TableName("lead_org_depts", gen), `DROP TABLE IF EXISTS `+readmodels.TableName("lead_org_users", gen))
}

func (p *Leads) NewBatch(tx *Tx) Batch {
	tree := orgTree{depts: tx.Table("lead_org_depts"), users: tx.Table("lead_org_users")}
	return &leadBatch{p: p, tx: tx, table: tx.Table("leads"),
		buf: newRowBuffer(tx.Table("leads"), "lead", tree, leadview.Columns,
			func(r *sql.Row) (*leadview.Lead, error) { return leadview.Scan(r) },
			leadview.InsertColumns, func(l *leadview.Lead) []any { return leadview.Args(tx.DB.Dialect, l) })}
}

// leadBatch keeps the rows a page touches in its buffer. The projection keeps its own copy of the
// organisation tree so that a rebuild replays organisation changes in log order with the lead
// events.
type leadBatch struct {
	p     *Leads
	tx    *Tx
	table string
	buf   *rowBuffer[leadview.Lead]
}

func (b *leadBatch) Apply(ctx context.Context, e eventstore.Event) error {
	switch eventstore.StreamKind(e.StreamID) {
	case lead.StreamPrefix:
	case user.StreamPrefix, department.StreamPrefix:
		return b.applyOrg(ctx, e)
	default:
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	if c, ok := d.(lead.Created); ok {
		id, err := uuid.Parse(c.LeadID)
		if err != nil {
			return err
		}
		row := &leadview.Lead{ID: id, CreatedAt: c.At, Status: string(lead.StatusNew)}
		row.CreatedBy, _ = uuid.Parse(c.By)
		setFields(row, c.Fields)
		if err := b.setOwner(ctx, row, c.OwnerID); err != nil {
			return err
		}
		b.put(row, e, c.At)
		return nil
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, lead.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	row, err := b.buf.get(ctx, b.tx, id)
	if err != nil {
		return err
	}
	switch d := d.(type) {
	case lead.Updated:
		f := lead.Fields{Name: row.Name, Company: row.Company, Phone: row.Phone, Mobile: row.Mobile, Email: row.Email,
			Source: row.Source, Industry: row.Industry, Level: row.Level, Address: row.Address, Remark: row.Remark, NextFollowUpAt: row.NextFollowUpAt}
		setFields(row, applyPatch(f, d.Patch))
		if d.Patch.Status != nil {
			row.Status = string(*d.Patch.Status)
		}
		b.put(row, e, d.At)
	case lead.Assigned:
		err = b.setOwner(ctx, row, d.To)
		b.put(row, e, d.At)
	case lead.Claimed:
		err = b.setOwner(ctx, row, d.By)
		b.put(row, e, d.At)
	case lead.Released:
		err = b.setOwner(ctx, row, "")
		b.put(row, e, d.At)
	case lead.FollowedUp:
		if d.NextFollowUpAt != nil {
			row.NextFollowUpAt = d.NextFollowUpAt
		}
		if row.Status == string(lead.StatusNew) {
			row.Status = string(lead.StatusFollowing)
		}
		b.put(row, e, row.UpdatedAt)
		fid, _ := uuid.Parse(d.FollowUpID)
		q, args := b.tx.DB.FollowUpInsert(b.tx.Table("lead_followups"), readmodels.FollowUp{ID: fid, Subject: "lead:" + id.String(),
			Type: d.Type, At: d.At, Content: d.Content, NextFollowUpAt: d.NextFollowUpAt,
			By: readmodels.AuditActor{ID: e.Metadata.ActorID, Name: e.Metadata.ActorName}, Position: e.Position})
		_, err = b.tx.Exec(ctx, q, args...)
	case lead.Converted:
		row.Status = string(lead.StatusConverted)
		b.put(row, e, d.At)
	case lead.Deleted:
		b.buf.remove(id)
	default:
		b.put(row, e, row.UpdatedAt) // an event this version does not show: keep version and position
	}
	return err
}

// applyOrg follows organisation changes (see rowBuffer.orgChanged).
func (b *leadBatch) applyOrg(ctx context.Context, e eventstore.Event) error {
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	return b.buf.orgChanged(ctx, b.tx, d, b.table)
}

// setOwner sets the owner (empty: the pool) and the owner's placement.
func (b *leadBatch) setOwner(ctx context.Context, row *leadview.Lead, owner string) error {
	row.OwnerID, row.InPool, row.OwnerDeptID, row.OwnerDeptPath, row.OwnerSupPath = nil, true, "", "", ""
	id, err := uuid.Parse(owner)
	if err != nil {
		return nil
	}
	p, err := b.buf.placement(ctx, b.tx, id)
	if err != nil {
		return err
	}
	row.OwnerID, row.InPool = &id, false
	row.OwnerDeptID, row.OwnerDeptPath, row.OwnerSupPath = p.DepartmentID, p.DeptPath, p.SuperiorPath
	return nil
}

// applyPatch reuses the aggregate's own patch semantics through a throwaway aggregate.
func applyPatch(f lead.Fields, p lead.Patch) lead.Fields {
	l, err := lead.Rehydrate(uuid.Nil, []event.Event{lead.Created{Fields: f}, lead.Updated{Patch: p}})
	if err != nil {
		return f
	}
	return l.Fields()
}

func setFields(row *leadview.Lead, f lead.Fields) {
	row.Name, row.Company, row.Phone, row.Mobile, row.Email = f.Name, f.Company, f.Phone, f.Mobile, f.Email
	row.Source, row.Industry, row.Level, row.Address, row.Remark = f.Source, f.Industry, f.Level, f.Address, f.Remark
	row.NextFollowUpAt = f.NextFollowUpAt
}

func (b *leadBatch) put(row *leadview.Lead, e eventstore.Event, at time.Time) {
	row.Version, row.Position, row.UpdatedAt = e.Version, e.Position, at
	if at.IsZero() {
		row.UpdatedAt = e.OccurredAt
	}
	b.buf.put(row.ID, row)
}

// Flush writes the buffered rows.
func (b *leadBatch) Flush(ctx context.Context) error { return b.buf.flush(ctx, b.tx) }

// placeholders returns rows groups of n ? each: "(?, ?), (?, ?)" (or "?, ?" for one column).
func placeholders(rows, n int) string {
	one := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
	if n == 1 {
		return strings.TrimSuffix(strings.Repeat("?, ", rows), ", ")
	}
	group := "(" + one + ")"
	return strings.TrimSuffix(strings.Repeat(group+", ", rows), ", ")
}
