// Package contractproj projects contracts into their read model: a row per live contract (its
// state folded by the aggregate's own rules) with the owner's placement, the approvers who may
// read it, and its own copies of customer and opportunity names (lists and search) and of the
// organisation (data scopes).
package contractproj

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/contractview"
)

// Projector builds the contract read model.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return contractview.Projection }

func names(gen int) (t contractview.Tables, customers, opps, depts, users string) {
	n := func(s string) string { return readmodels.TableName(s, gen) }
	return contractview.Tables{Rows: n("contracts"), Members: n("contract_members")}, n("contract_customers"), n("contract_opportunities"),
		n("contract_org_depts"), n("contract_org_users")
}

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	t, customers, opps, depts, users := names(gen)
	ddl := append(contractview.TableDDL(t), db.Dialect.SearchIndex(t.Rows)...)
	ddl = append(ddl, `CREATE TABLE `+customers+` (id {id} PRIMARY KEY, name TEXT NOT NULL)`,
		`CREATE TABLE `+opps+` (id {id} PRIMARY KEY, name TEXT NOT NULL)`)
	return append(ddl, kit.OrgTreeDDL(depts, users)...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t, customers, opps, depts, users := names(gen)
	drop := db.Dialect.DropSearchIndex(t.Rows)
	for _, x := range []string{t.Rows, t.Members, customers, opps, depts, users} {
		drop = append(drop, `DROP TABLE IF EXISTS `+x)
	}
	return drop
}

// KeepIndexes implements engine.KeepIndexes: applying events finds rows by customer and
// opportunity (renames), members by contract, and the organisation by path.
func (*Projector) KeepIndexes(gen int) []string {
	t, _, _, depts, users := names(gen)
	return append([]string{t.Rows + "_customer", t.Rows + "_opportunity", t.Members + "_contract"}, kit.OrgTreeIndexes(depts, users)...)
}

// Wants implements engine.Selective.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case contract.StreamPrefix, customer.StreamPrefix, opportunity.StreamPrefix, user.StreamPrefix, department.StreamPrefix:
		return true
	}
	return false
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	tree := kit.OrgTree{Depts: tx.Table("contract_org_depts"), Users: tx.Table("contract_org_users")}
	return &batch{p: p, tx: tx, table: tx.Table("contracts"), members: tx.Table("contract_members"),
		customers: tx.Table("contract_customers"), opps: tx.Table("contract_opportunities"),
		buf: kit.NewRowBuffer(tx.Table("contracts"), "contract", tree, contractview.Columns, contractview.Scan,
			func(c *contractview.Contract) uuid.UUID { return c.ID }, contractview.InsertColumns,
			func(c *contractview.Contract) []any { return contractview.Args(tx.DB.Dialect, c) })}
}

type batch struct {
	p                               *Projector
	tx                              *engine.Tx
	table, members, customers, opps string
	buf                             *kit.RowBuffer[contractview.Contract]
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
		return b.named(ctx, d, b.customers, "customer_id")
	case opportunity.StreamPrefix:
		return b.named(ctx, d, b.opps, "opportunity_id")
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, contract.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	var row *contractview.Contract
	if c, ok := d.(contract.Created); ok {
		row = &contractview.Contract{ID: id, CreatedAt: c.At}
		row.CreatedBy, _ = uuid.Parse(c.By)
		agg := contract.Restore(id, contract.State{})
		agg.Fold(c)
		row.FromState(agg.State())
		if err := b.place(ctx, row); err != nil {
			return err
		}
		if row.CustomerName, err = b.name(ctx, b.customers, row.CustomerID); err != nil {
			return err
		}
		if row.OpportunityID != nil {
			if row.OpportunityName, err = b.name(ctx, b.opps, *row.OpportunityID); err != nil {
				return err
			}
		}
	} else {
		if row, err = b.buf.Get(ctx, b.tx, id); err != nil {
			return err
		}
		before, members := row.CustomerID, contractMembers(row)
		agg := contract.Restore(id, row.State)
		agg.Fold(d)
		st := agg.State()
		if st.Deleted {
			if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.members+` WHERE contract_id = ?`, id.String()); err != nil {
				return err
			}
			b.buf.Remove(id)
			return nil
		}
		row.FromState(st)
		if row.CustomerID != before {
			if row.CustomerName, err = b.name(ctx, b.customers, row.CustomerID); err != nil {
				return err
			}
		}
		if !slices.Equal(members, contractMembers(row)) {
			if err := b.setMembers(ctx, row); err != nil {
				return err
			}
		}
	}
	if _, ok := d.(contract.Created); ok && len(contractMembers(row)) > 0 {
		if err := b.setMembers(ctx, row); err != nil {
			return err
		}
	}
	row.Version, row.Position, row.UpdatedAt = e.Version, e.Position, e.OccurredAt
	b.buf.Put(id, row)
	return nil
}

// contractMembers are who were routed the contract's approvals (any submission's).
func contractMembers(r *contractview.Contract) []string { return r.State.Routed }

// place sets the owner columns from the projection's copy of the organisation.
func (b *batch) place(ctx context.Context, r *contractview.Contract) error {
	owner, err := uuid.Parse(r.State.OwnerID)
	if err != nil {
		return err
	}
	p, err := b.buf.Placement(ctx, b.tx, owner)
	if err != nil {
		return err
	}
	r.OwnerID, r.OwnerName, r.OwnerDeptID, r.OwnerDeptPath, r.OwnerSupPath = &owner, p.Name, p.DepartmentID, p.DeptPath, p.SuperiorPath
	return nil
}

// setMembers keeps the approvers of every submission (later ones add to earlier ones: whoever
// was asked once keeps reading the contract).
func (b *batch) setMembers(ctx context.Context, r *contractview.Contract) error {
	for _, m := range contractMembers(r) {
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.members+` (contract_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, r.ID.String(), m); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) name(ctx context.Context, table string, id uuid.UUID) (string, error) {
	var name string
	err := b.tx.QueryRow(ctx, `SELECT name FROM `+table+` WHERE id = ?`, id.String()).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil // created before its name reached us: shown without a name
	}
	return name, err
}

// named keeps the names of customers and opportunities; a rename rewrites the rows that show it.
func (b *batch) named(ctx context.Context, d event.Event, table, column string) error {
	var id string
	var name *string
	created := false
	switch d := d.(type) {
	case customer.Created:
		id, name, created = d.CustomerID, &d.Fields.Name, true
	case customer.Updated:
		id, name = d.CustomerID, d.Patch.Name
	case opportunity.Created:
		id, name, created = d.OpportunityID, &d.Fields.Name, true
	case opportunity.Updated:
		id, name = d.OpportunityID, d.Patch.Name
	}
	if name == nil {
		return nil
	}
	if _, err := b.tx.Exec(ctx, `INSERT INTO `+table+` (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name`, id, *name); err != nil {
		return err
	}
	if created {
		return nil
	}
	if err := b.buf.Flush(ctx, b.tx); err != nil { // rows read below must be current
		return err
	}
	ids, err := b.tx.DB.IDs(ctx, `SELECT id FROM `+b.table+` WHERE `+column+` = ?`, id)
	if err != nil {
		return err
	}
	for _, cid := range ids {
		row, err := b.buf.Get(ctx, b.tx, cid)
		if err != nil {
			return err
		}
		if column == "customer_id" {
			row.CustomerName = *name
		} else {
			row.OpportunityName = *name
		}
		b.buf.Put(cid, row)
	}
	return nil
}

func (b *batch) Flush(ctx context.Context) error { return b.buf.Flush(ctx, b.tx) }
