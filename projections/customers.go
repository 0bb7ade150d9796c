package projections

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// Customers projects customer events into the searchable customer table (and the customer pool),
// following organisation changes for data scopes.
type Customers struct{ registry *event.Registry }

// NewCustomers builds the projector.
func NewCustomers(registry *event.Registry) *Customers { return &Customers{registry: registry} }

func (*Customers) Name() string { return customerview.Projection }

func (*Customers) Schema(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("customers", gen)
	ct := readmodels.TableName("contacts", gen)
	ddl := append(customerview.TableDDL(t), db.Dialect.SearchIndex(t)...)
	ddl = append(append(ddl, customerview.ContactTableDDL(ct)...), db.Dialect.SearchIndex(ct)...)
	ddl = append(ddl, readmodels.FollowUpTableDDL(readmodels.TableName("customer_followups", gen))...)
	return append(ddl, orgTreeDDL(readmodels.TableName("customer_org_depts", gen), readmodels.TableName("customer_org_users", gen))...)
}

func (*Customers) Drop(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("customers", gen)
	ct := readmodels.TableName("contacts", gen)
	drop := append(db.Dialect.DropSearchIndex(ct), `DROP TABLE IF EXISTS `+ct, `DROP TABLE IF EXISTS `+readmodels.TableName("customer_followups", gen))
	return append(append(drop, db.Dialect.DropSearchIndex(t)...), `DROP TABLE IF EXISTS `+t,
		`DROP TABLE IF EXISTS `+readmodels.TableName("customer_org_depts", gen), `DROP TABLE IF EXISTS `+readmodels.TableName("customer_org_users", gen))
}

func (p *Customers) NewBatch(tx *Tx) Batch {
	tree := orgTree{depts: tx.Table("customer_org_depts"), users: tx.Table("customer_org_users")}
	return &customerBatch{p: p, tx: tx, table: tx.Table("customers"), contacts: tx.Table("contacts"),
		buf: newRowBuffer(tx.Table("customers"), "customer", tree, customerview.Columns,
			func(r *sql.Row) (*customerview.Customer, error) { return customerview.Scan(r) },
			customerview.InsertColumns, func(c *customerview.Customer) []any { return customerview.Args(tx.DB.Dialect, c) })}
}

// customerBatch keeps the customer rows a page touches in its buffer; contacts and follow-ups
// are written through.
type customerBatch struct {
	p        *Customers
	tx       *Tx
	table    string
	contacts string
	buf      *rowBuffer[customerview.Customer]
}

func (b *customerBatch) Apply(ctx context.Context, e eventstore.Event) error {
	kind := eventstore.StreamKind(e.StreamID)
	if kind != customer.StreamPrefix && kind != contact.StreamPrefix && kind != user.StreamPrefix && kind != department.StreamPrefix {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch kind {
	case contact.StreamPrefix:
		return b.applyContact(ctx, e, d)
	case user.StreamPrefix, department.StreamPrefix:
		return b.buf.orgChanged(ctx, b.tx, d, b.table, b.contacts)
	}
	if c, ok := d.(customer.Created); ok {
		id, err := uuid.Parse(c.CustomerID)
		if err != nil {
			return err
		}
		row := &customerview.Customer{ID: id, Fields: c.Fields, Status: string(c.Status), CreatedAt: c.At, FromLeadID: optUUID(c.FromLeadID)}
		row.CreatedBy, _ = uuid.Parse(c.By)
		if err := b.setOwner(ctx, row, c.OwnerID, c.At); err != nil {
			return err
		}
		b.put(row, e, c.At)
		return nil
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, customer.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	row, err := b.buf.get(ctx, b.tx, id)
	if err != nil {
		return err
	}
	before := ownerColumns(row)
	at := e.OccurredAt
	switch d := d.(type) {
	case customer.Updated:
		cu, err := customer.Rehydrate(id, []event.Event{customer.Created{Fields: row.Fields, Status: customer.Status(row.Status)}, d})
		if err != nil {
			return err
		}
		row.Fields, row.Status, at = cu.Fields(), string(cu.Status()), d.At
	case customer.Assigned:
		err, at = b.setOwner(ctx, row, d.To, d.At), d.At
	case customer.Claimed:
		err, at = b.setOwner(ctx, row, d.By, d.At), d.At
	case customer.Released:
		row.PreviousOwner, row.ReleasedAt = d.From, &d.At
		err, at = b.setOwner(ctx, row, "", d.At), d.At
	case customer.Locked:
		row.Locked, at = true, d.At
	case customer.Unlocked:
		row.Locked, at = false, d.At
	case customer.FollowedUp:
		if row.LastFollowUpAt == nil || d.At.After(*row.LastFollowUpAt) {
			t := d.At
			row.LastFollowUpAt = &t
		}
		if d.NextFollowUpAt != nil {
			row.Fields.NextFollowUpAt = d.NextFollowUpAt
		}
		at = row.UpdatedAt
		fid, _ := uuid.Parse(d.FollowUpID)
		subject := "customer:" + id.String()
		if d.ContactID != "" {
			subject = "contact:" + d.ContactID
		}
		q, args := b.tx.DB.FollowUpInsert(b.tx.Table("customer_followups"), readmodels.FollowUp{ID: fid, Subject: subject, CustomerID: &id,
			ContactID: optUUID(d.ContactID), Type: d.Type, At: d.At, Content: d.Content, NextFollowUpAt: d.NextFollowUpAt,
			By: readmodels.AuditActor{ID: e.Metadata.ActorID, Name: e.Metadata.ActorName}, Position: e.Position})
		_, err = b.tx.Exec(ctx, q, args...)
	case customer.Merged:
		if _, err := b.tx.Exec(ctx, `UPDATE `+b.tx.Table("customer_followups")+` SET customer_id = ? WHERE customer_id = ?`, d.Into, id.String()); err != nil {
			return err
		}
		b.buf.remove(id)
		return nil
	case customer.Absorbed:
		if d.OwnerID != "" {
			err = b.setOwner(ctx, row, d.OwnerID, d.At)
		}
		if d.LastFollowUpAt != nil && (row.LastFollowUpAt == nil || d.LastFollowUpAt.After(*row.LastFollowUpAt)) {
			row.LastFollowUpAt = d.LastFollowUpAt
		}
		at = d.At
	case customer.PrimaryContactSet:
		_, err = b.tx.Exec(ctx, `UPDATE `+b.contacts+` SET is_primary = (id = ?) WHERE customer_id = ?`, d.ContactID, id.String())
		at = row.UpdatedAt
	case customer.Deleted:
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.contacts+` WHERE customer_id = ?`, id.String()); err != nil {
			return err
		}
		b.buf.remove(id)
		return nil
	}
	if err != nil {
		return err
	}
	b.put(row, e, at)
	if ownerColumns(row) == before {
		return nil
	}
	// Contacts carry their customer's owner columns: keep them in step.
	o := ownerColumns(row)
	_, err = b.tx.Exec(ctx, `UPDATE `+b.contacts+` SET owner_id = ?, owner_dept_id = ?, owner_dept_path = ?, owner_superior_path = ?, in_pool = ?
		WHERE customer_id = ?`, o.id, o.dept, o.deptPath, o.supPath, o.inPool, id.String())
	return err
}

// owner is a customer's owner columns, which its contacts copy.
type owner struct {
	id                      any // nil: the pool
	dept, deptPath, supPath string
	inPool                  bool
}

func ownerColumns(c *customerview.Customer) owner {
	o := owner{dept: c.OwnerDeptID, deptPath: c.OwnerDeptPath, supPath: c.OwnerSupPath, inPool: c.InPool}
	if c.OwnerID != nil {
		o.id = c.OwnerID.String()
	}
	return o
}

// applyContact writes a contact row with its customer's owner columns.
func (b *customerBatch) applyContact(ctx context.Context, e eventstore.Event, d event.Event) error {
	var f contact.Fields
	var custID string
	switch d := d.(type) {
	case contact.Created:
		f, custID = d.Fields, d.CustomerID
	case contact.Updated:
		f = d.Fields
		if err := b.tx.QueryRow(ctx, `SELECT customer_id FROM `+b.contacts+` WHERE id = ?`, d.ContactID).Scan(&custID); err != nil {
			return fmt.Errorf("contact %s: %w", d.ContactID, err)
		}
	case contact.Deleted:
		_, err := b.tx.Exec(ctx, `DELETE FROM `+b.contacts+` WHERE id = ?`, d.ContactID)
		return err
	case contact.Moved:
		to, err := uuid.Parse(d.To)
		if err != nil {
			return err
		}
		cu, err := b.buf.get(ctx, b.tx, to)
		if err != nil {
			return fmt.Errorf("contact %s moved to customer %s: %w", d.ContactID, d.To, err)
		}
		o := ownerColumns(cu)
		_, err = b.tx.Exec(ctx, `UPDATE `+b.contacts+` SET customer_id = ?, is_primary = ?, owner_id = ?, owner_dept_id = ?, owner_dept_path = ?,
			owner_superior_path = ?, in_pool = ?, version = ? WHERE id = ?`, d.To, false, o.id, o.dept, o.deptPath, o.supPath,
			o.inPool, e.Version, d.ContactID)
		return err
	default:
		return nil
	}
	cid, err := uuid.Parse(custID)
	if err != nil {
		return err
	}
	cu, err := b.buf.get(ctx, b.tx, cid)
	if err != nil {
		return fmt.Errorf("contact %s of customer %s: %w", e.StreamID, cid, err)
	}
	o := ownerColumns(cu)
	id := strings.TrimPrefix(e.StreamID, contact.StreamPrefix+"-")
	search := strings.ToLower(strings.Join([]string{f.Name, f.Mobile, f.OfficePhone, f.Email, f.Title}, "\x1f"))
	tm := b.tx.DB.Dialect.Time(e.OccurredAt)
	_, err = b.tx.Exec(ctx, `INSERT INTO `+b.contacts+` (id, customer_id, name, gender, title, office_phone, mobile, email, fax, birthday, remark,
		is_primary, owner_id, owner_dept_id, owner_dept_path, owner_superior_path, in_pool, created_at, updated_at, version, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, gender = excluded.gender, title = excluded.title, office_phone = excluded.office_phone,
		mobile = excluded.mobile, email = excluded.email, fax = excluded.fax, birthday = excluded.birthday, remark = excluded.remark,
		updated_at = excluded.updated_at, version = excluded.version, search = excluded.search`,
		id, cid.String(), f.Name, f.Gender, f.Title, f.OfficePhone, f.Mobile, f.Email, f.Fax, f.Birthday, f.Remark, false, o.id,
		o.dept, o.deptPath, o.supPath, o.inPool, tm, tm, e.Version, search)
	return err
}

func optUUID(s string) *uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return nil
	}
	return &id
}

func (b *customerBatch) setOwner(ctx context.Context, row *customerview.Customer, owner string, at time.Time) error {
	row.OwnerID, row.InPool, row.OwnerDeptID, row.OwnerDeptPath, row.OwnerSupPath, row.ClaimedAt = nil, true, "", "", "", nil
	id, err := uuid.Parse(owner)
	if err != nil {
		return nil
	}
	p, err := b.buf.placement(ctx, b.tx, id)
	if err != nil {
		return err
	}
	t := at
	row.OwnerID, row.InPool, row.ClaimedAt = &id, false, &t
	row.OwnerDeptID, row.OwnerDeptPath, row.OwnerSupPath = p.DepartmentID, p.DeptPath, p.SuperiorPath
	return nil
}

func (b *customerBatch) put(row *customerview.Customer, e eventstore.Event, at time.Time) {
	row.Version, row.Position, row.UpdatedAt = e.Version, e.Position, at
	b.buf.put(row.ID, row)
}

// Flush writes the buffered customer rows.
func (b *customerBatch) Flush(ctx context.Context) error { return b.buf.flush(ctx, b.tx) }
