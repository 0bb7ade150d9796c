// Package leadproj projects lead events into the searchable lead table, the lead pool and the
// leads' follow-up records.
package leadproj

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// Projector projects lead events into the searchable lead table (and the lead pool).
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return leadview.Projection }

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("leads", gen)
	ddl := append(leadview.TableDDL(t), db.Dialect.SearchIndex(t)...)
	ddl = append(ddl, readmodels.FollowUpTableDDL(readmodels.TableName("lead_followups", gen))...)
	return append(ddl, kit.OrgTreeDDL(readmodels.TableName("lead_org_depts", gen), readmodels.TableName("lead_org_users", gen))...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("leads", gen)
	return append(db.Dialect.DropSearchIndex(t), `DROP TABLE IF EXISTS `+t,
		`DROP TABLE IF EXISTS `+readmodels.TableName("lead_followups", gen), `DROP TABLE IF EXISTS `+readmodels.TableName("lead_org_depts", gen), `DROP TABLE IF EXISTS `+readmodels.TableName("lead_org_users", gen))
}

// KeepIndexes implements engine.KeepIndexes: an organisation change moves the owner columns of
// the leads of the users it moved (by owner_id), and the tree is read by path.
func (*Projector) KeepIndexes(gen int) []string {
	return append([]string{readmodels.TableName("leads", gen) + "_owner"},
		kit.OrgTreeIndexes(readmodels.TableName("lead_org_depts", gen), readmodels.TableName("lead_org_users", gen))...)
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	tree := kit.OrgTree{Depts: tx.Table("lead_org_depts"), Users: tx.Table("lead_org_users")}
	return &batch{p: p, tx: tx, table: tx.Table("leads"), followUps: kit.FollowUps{Table: tx.Table("lead_followups")},
		buf: kit.NewRowBuffer(tx.Table("leads"), "lead", tree, leadview.Columns,
			leadview.Scan, func(r *leadview.Lead) uuid.UUID { return r.ID },
			leadview.InsertColumns, func(l *leadview.Lead) []any { return leadview.Args(tx.DB.Dialect, l) })}
}

// batch keeps the rows a page touches in its buffer. The projection keeps its own copy of the
// organisation tree so that a rebuild replays organisation changes in log order with the lead
// events.
type batch struct {
	p         *Projector
	tx        *engine.Tx
	table     string
	buf       *kit.RowBuffer[leadview.Lead]
	followUps kit.FollowUps
}

// change is one event of an existing lead, with the lead's row as the page left it.
type change struct {
	*batch
	e   eventstore.Event
	id  uuid.UUID
	row *leadview.Lead
}

// changes are the events that change an existing lead's row; any other event of a lead keeps
// the row's version and position current.
var changes = kit.NewHandlers(
	kit.On(func(_ context.Context, c *change, d lead.Updated) error {
		row := c.row
		f := lead.Fields{Name: row.Name, Company: row.Company, Phone: row.Phone, Mobile: row.Mobile, Email: row.Email,
			Source: row.Source, Industry: row.Industry, Level: row.Level, Address: row.Address, Remark: row.Remark, NextFollowUpAt: row.NextFollowUpAt}
		setFields(row, applyPatch(f, d.Patch))
		if d.Patch.Status != nil {
			row.Status = string(*d.Patch.Status)
		}
		if d.Patch.Remark != nil {
			row.RemarkSet(d.By, d.At)
		}
		c.put(row, c.e, d.At)
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d lead.Assigned) error { return c.ownedBy(ctx, d.To, d.At) }),
	kit.On(func(ctx context.Context, c *change, d lead.Claimed) error { return c.ownedBy(ctx, d.By, d.At) }),
	kit.On(func(ctx context.Context, c *change, d lead.Released) error {
		c.row.Released(d.At)
		return c.ownedBy(ctx, "", d.At)
	}),
	kit.On(func(ctx context.Context, c *change, d lead.FollowedUp) error {
		row := c.row
		if d.NextFollowUpAt != nil {
			row.NextFollowUpAt = d.NextFollowUpAt
		}
		if row.Status == string(lead.StatusNew) {
			row.Status = string(lead.StatusFollowing)
		}
		c.put(row, c.e, row.UpdatedAt)
		fid, _ := uuid.Parse(d.FollowUpID)
		c.followUps.Add(readmodels.FollowUp{ID: fid, Subject: "lead:" + c.id.String(),
			Type: d.Type, At: d.At, Content: d.Content, NextFollowUpAt: d.NextFollowUpAt,
			By: readmodels.AuditActor{ID: c.e.Metadata.ActorID, Name: c.e.Metadata.ActorName}, Position: c.e.Position})
		return nil
	}),
	kit.On(func(_ context.Context, c *change, d lead.Converted) error {
		c.row.Status = string(lead.StatusConverted)
		c.put(c.row, c.e, d.At)
		return nil
	}),
	kit.On(func(_ context.Context, c *change, _ lead.Deleted) error {
		c.buf.Remove(c.id)
		return nil
	}),
)

// createdType is the type name of the event that starts a lead's row.
var createdType = lead.Created{}.EventType()

// Prefetch implements engine.Prefetcher: the rows of the leads the page changes, read at once.
func (b *batch) Prefetch(ctx context.Context, page []eventstore.Event) error {
	var ids []uuid.UUID
	for _, e := range page {
		if eventstore.StreamKind(e.StreamID) != lead.StreamPrefix || e.Type == createdType {
			continue
		}
		if id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, lead.StreamPrefix+"-")); err == nil {
			ids = append(ids, id)
		}
	}
	return b.buf.Prefetch(ctx, b.tx, ids)
}

// Wants implements engine.Selective: the events of leads, and of the users and departments
// whose names and placements the rows carry.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case lead.StreamPrefix, user.StreamPrefix, department.StreamPrefix, privacy.StreamPrefix:
		return true
	}
	return false
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	switch eventstore.StreamKind(e.StreamID) {
	case lead.StreamPrefix:
	case user.StreamPrefix, department.StreamPrefix:
		return b.applyOrg(ctx, e)
	case privacy.StreamPrefix:
		return b.erase(ctx, e)
	default:
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	if c, ok := d.(lead.Created); ok {
		return b.create(ctx, e, c)
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, lead.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	row, err := b.buf.Get(ctx, b.tx, id)
	if err != nil {
		return err
	}
	handled, err := changes.Handle(ctx, &change{batch: b, e: e, id: id, row: row}, d)
	if !handled {
		b.put(row, e, row.UpdatedAt) // an event this version does not show: keep version and position
	}
	return err
}

func (b *batch) create(ctx context.Context, e eventstore.Event, c lead.Created) error {
	id, err := uuid.Parse(c.LeadID)
	if err != nil {
		return err
	}
	row := &leadview.Lead{ID: id, CreatedAt: c.At, Status: string(lead.StatusNew)}
	row.CreatedBy, _ = uuid.Parse(c.By)
	setFields(row, c.Fields)
	if c.Fields.Remark != "" {
		row.RemarkSet(c.By, c.At)
	}
	if err := b.setOwner(ctx, row, c.OwnerID); err != nil {
		return err
	}
	b.put(row, e, c.At)
	return nil
}

// erase replaces an erased lead's personal values with privacy.Erased (the search text follows
// them, so the old values find it no longer). The row keeps its version and position: the
// erasure is no event of the lead's stream. A rebuild reads the values erased from the store
// anyway; this is for the rows projected before the erasure.
func (b *batch) erase(ctx context.Context, e eventstore.Event) error {
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	er, ok := d.(privacy.SubjectErased)
	if !ok || er.Kind != privacy.KindLead {
		return nil
	}
	id, err := uuid.Parse(er.SubjectID)
	if err != nil {
		return nil
	}
	row, found, err := b.buf.Find(ctx, b.tx, id)
	if err != nil || !found {
		return err
	}
	for _, v := range []*string{&row.Name, &row.Phone, &row.Mobile, &row.Email, &row.Address} {
		if *v != "" {
			*v = privacy.Erased
		}
	}
	b.buf.Put(id, row)
	return nil
}

// ownedBy gives the lead to owner (empty: the pool) at the time of the change.
func (c *change) ownedBy(ctx context.Context, owner string, at time.Time) error {
	err := c.setOwner(ctx, c.row, owner)
	c.put(c.row, c.e, at)
	return err
}

// applyOrg follows organisation changes (see kit.RowBuffer.OrgChanged).
func (b *batch) applyOrg(ctx context.Context, e eventstore.Event) error {
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	return b.buf.OrgChanged(ctx, b.tx, d, b.table)
}

// setOwner sets the owner (empty: the pool), the owner's placement and name.
func (b *batch) setOwner(ctx context.Context, row *leadview.Lead, owner string) error {
	row.OwnerID, row.OwnerName, row.InPool, row.OwnerDeptID, row.OwnerDeptPath, row.OwnerSupPath = nil, "", true, "", "", ""
	id, err := uuid.Parse(owner)
	if err != nil {
		return nil
	}
	p, err := b.buf.Placement(ctx, b.tx, id)
	if err != nil {
		return err
	}
	row.OwnerID, row.OwnerName, row.InPool = &id, p.Name, false
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

func (b *batch) put(row *leadview.Lead, e eventstore.Event, at time.Time) {
	row.Version, row.Position, row.UpdatedAt = e.Version, e.Position, at
	if at.IsZero() {
		row.UpdatedAt = e.OccurredAt
	}
	b.buf.Put(row.ID, row)
}

// Flush writes the buffered rows and follow-ups.
func (b *batch) Flush(ctx context.Context) error {
	if err := b.buf.Flush(ctx, b.tx); err != nil {
		return err
	}
	return b.followUps.Flush(ctx, b.tx)
}
