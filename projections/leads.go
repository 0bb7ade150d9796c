package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Leads projects lead events into the searchable lead table (and the lead pool).
type Leads struct{ registry *event.Registry }

// NewLeads builds the projector.
func NewLeads(registry *event.Registry) *Leads { return &Leads{registry: registry} }

func (*Leads) Name() string { return readmodels.LeadsProjection }

func (*Leads) Schema(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("leads", gen)
	ddl := append(readmodels.LeadTableDDL(t), db.Dialect.SearchIndex(t)...)
	ddl = append(ddl, readmodels.FollowUpTableDDL(readmodels.TableName("lead_followups", gen))...)
	return append(ddl, orgTreeDDL(readmodels.TableName("lead_org_depts", gen), readmodels.TableName("lead_org_users", gen))...)
}

func (*Leads) Drop(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("leads", gen)
	return append(db.Dialect.DropSearchIndex(t), `DROP TABLE IF EXISTS `+t,
		`DROP TABLE IF EXISTS `+readmodels.TableName("lead_followups", gen), `DROP TABLE IF EXISTS `+readmodels.TableName("lead_org_depts", gen), `DROP TABLE IF EXISTS `+readmodels.TableName("lead_org_users", gen))
}

func (p *Leads) NewBatch(tx *Tx) Batch {
	return &leadBatch{p: p, tx: tx, table: tx.Table("leads"), rows: map[uuid.UUID]*readmodels.Lead{}, gone: map[uuid.UUID]bool{},
		tree: orgTree{depts: tx.Table("lead_org_depts"), users: tx.Table("lead_org_users")}, places: map[uuid.UUID]Placement{}}
}

// leadBatch keeps the rows a page touches in memory and writes each once at Flush, in
// multi-row statements: catch-up costs a statement per few hundred rows, not per event.
type leadBatch struct {
	p     *Leads
	tx    *Tx
	table string
	rows  map[uuid.UUID]*readmodels.Lead
	order []uuid.UUID
	gone  map[uuid.UUID]bool
	// Owner placement: the projection keeps its own copy of the organisation tree so that a rebuild
	// replays organisation changes in log order with the lead events.
	tree   orgTree
	places map[uuid.UUID]Placement
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
		row := &readmodels.Lead{ID: id, CreatedAt: c.At, Status: string(lead.StatusNew)}
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
	row, err := b.get(ctx, id)
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
		delete(b.rows, id)
		b.gone[id] = true
	default:
		b.put(row, e, row.UpdatedAt) // an event this version does not show: keep version and position
	}
	return err
}

// applyOrg follows organisation changes (see followOrg), after writing the buffered rows so they
// cannot overwrite the update.
func (b *leadBatch) applyOrg(ctx context.Context, e eventstore.Event) error {
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil || !b.tree.handles(d) {
		return err
	}
	if err := b.Flush(ctx); err != nil {
		return err
	}
	clear(b.places)
	return followOrg(ctx, b.tx, b.tree, d, b.table)
}

func (b *leadBatch) placement(ctx context.Context, id uuid.UUID) (Placement, error) {
	if p, ok := b.places[id]; ok {
		return p, nil
	}
	p, err := b.tree.lookup(ctx, b.tx, id)
	if err == nil {
		b.places[id] = p
	}
	return p, err
}

// setOwner sets the owner (empty: the pool) and the owner's placement.
func (b *leadBatch) setOwner(ctx context.Context, row *readmodels.Lead, owner string) error {
	row.OwnerID, row.InPool, row.OwnerDeptID, row.OwnerDeptPath, row.OwnerSupPath = nil, true, "", "", ""
	id, err := uuid.Parse(owner)
	if err != nil {
		return nil
	}
	p, err := b.placement(ctx, id)
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

func setFields(row *readmodels.Lead, f lead.Fields) {
	row.Name, row.Company, row.Phone, row.Mobile, row.Email = f.Name, f.Company, f.Phone, f.Mobile, f.Email
	row.Source, row.Industry, row.Level, row.Address, row.Remark = f.Source, f.Industry, f.Level, f.Address, f.Remark
	row.NextFollowUpAt = f.NextFollowUpAt
}

func (b *leadBatch) put(row *readmodels.Lead, e eventstore.Event, at time.Time) {
	row.Version, row.Position, row.UpdatedAt = e.Version, e.Position, at
	if at.IsZero() {
		row.UpdatedAt = e.OccurredAt
	}
	if _, seen := b.rows[row.ID]; !seen {
		b.order = append(b.order, row.ID)
	}
	b.rows[row.ID] = row
	delete(b.gone, row.ID)
}

func (b *leadBatch) get(ctx context.Context, id uuid.UUID) (*readmodels.Lead, error) {
	if row, ok := b.rows[id]; ok {
		return row, nil
	}
	if b.gone[id] {
		return nil, fmt.Errorf("lead %s: event after deletion", id)
	}
	row, err := readmodels.ScanLead(b.tx.QueryRow(ctx, `SELECT `+readmodels.LeadColumns+` FROM `+b.table+` WHERE id = ?`, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("lead %s: not in the read model", id)
	}
	return row, err
}

const upsertChunk = 200

// Flush writes the buffered rows and forgets them.
func (b *leadBatch) Flush(ctx context.Context) error {
	defer func() {
		clear(b.rows)
		clear(b.gone)
		b.order = b.order[:0]
	}()
	if len(b.gone) > 0 {
		ids := make([]any, 0, len(b.gone))
		for id := range b.gone {
			ids = append(ids, id.String())
		}
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.table+` WHERE id IN (`+placeholders(len(ids), 1)+`)`, ids...); err != nil {
			return err
		}
	}
	live := make([]*readmodels.Lead, 0, len(b.order))
	for _, id := range b.order {
		if row, ok := b.rows[id]; ok {
			live = append(live, row)
		}
	}
	cols := readmodels.LeadColumns + ", search"
	ncol := strings.Count(cols, ",") + 1
	var set []string
	for _, c := range strings.Split(cols, ",") {
		c = strings.TrimSpace(c)
		if c != "id" && c != "created_by" && c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	for start := 0; start < len(live); start += upsertChunk {
		chunk := live[start:min(start+upsertChunk, len(live))]
		args := make([]any, 0, len(chunk)*ncol)
		for _, row := range chunk {
			args = append(args, b.tx.DB.LeadArgs(row)...)
		}
		q := `INSERT INTO ` + b.table + ` (` + cols + `) VALUES ` + placeholders(len(chunk), ncol) +
			` ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ")
		if _, err := b.tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("upsert leads: %w", err)
		}
	}
	return nil
}

// placeholders returns rows groups of n ? each: "(?, ?), (?, ?)" (or "?, ?" for one column).
func placeholders(rows, n int) string {
	one := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
	if n == 1 {
		return strings.TrimSuffix(strings.Repeat("?, ", rows), ", ")
	}
	group := "(" + one + ")"
	return strings.TrimSuffix(strings.Repeat(group+", ", rows), ", ")
}
