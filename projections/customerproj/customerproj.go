// Package customerproj projects customers, their contacts and their follow-up records into one
// read model (the customers projection owns all three tables), following organisation changes
// for data scopes.
package customerproj

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// Projector projects customer events into the searchable customer table (and the customer pool),
// following organisation changes for data scopes.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return customerview.Projection }

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("customers", gen)
	ct := readmodels.TableName("contacts", gen)
	ddl := append(customerview.TableDDL(t), db.Dialect.SearchIndex(t)...)
	ddl = append(append(ddl, customerview.ContactTableDDL(ct)...), db.Dialect.SearchIndex(ct)...)
	ddl = append(ddl, readmodels.FollowUpTableDDL(readmodels.TableName("customer_followups", gen))...)
	return append(ddl, kit.OrgTreeDDL(readmodels.TableName("customer_org_depts", gen), readmodels.TableName("customer_org_users", gen))...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("customers", gen)
	ct := readmodels.TableName("contacts", gen)
	drop := append(db.Dialect.DropSearchIndex(ct), `DROP TABLE IF EXISTS `+ct, `DROP TABLE IF EXISTS `+readmodels.TableName("customer_followups", gen))
	return append(append(drop, db.Dialect.DropSearchIndex(t)...), `DROP TABLE IF EXISTS `+t,
		`DROP TABLE IF EXISTS `+readmodels.TableName("customer_org_depts", gen), `DROP TABLE IF EXISTS `+readmodels.TableName("customer_org_users", gen))
}

// KeepIndexes implements engine.KeepIndexes: applying events finds customers and contacts by
// owner (organisation changes), contacts by customer (owner changes, deletions, the primary
// contact) and follow-ups by customer (merges); the tree is read by path.
func (*Projector) KeepIndexes(gen int) []string {
	t, ct := readmodels.TableName("customers", gen), readmodels.TableName("contacts", gen)
	return append([]string{t + "_owner", ct + "_owner", ct + "_customer", readmodels.TableName("customer_followups", gen) + "_customer"},
		kit.OrgTreeIndexes(readmodels.TableName("customer_org_depts", gen), readmodels.TableName("customer_org_users", gen))...)
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	tree := kit.OrgTree{Depts: tx.Table("customer_org_depts"), Users: tx.Table("customer_org_users")}
	return &batch{p: p, tx: tx, table: tx.Table("customers"), contacts: tx.Table("contacts"),
		followUps: kit.FollowUps{Table: tx.Table("customer_followups")},
		buf: kit.NewRowBuffer(tx.Table("customers"), "customer", tree, customerview.Columns,
			customerview.Scan, func(r *customerview.Customer) uuid.UUID { return r.ID },
			customerview.InsertColumns, func(c *customerview.Customer) []any { return customerview.Args(tx.DB.Dialect, c) })}
}

// batch keeps the customer rows a page touches in its buffer; contacts and follow-ups are
// written through.
type batch struct {
	p         *Projector
	tx        *engine.Tx
	table     string
	contacts  string
	buf       *kit.RowBuffer[customerview.Customer]
	followUps kit.FollowUps
}

// change is one event of an existing customer, with the customer's row as the page left it.
type change struct {
	*batch
	e       eventstore.Event
	id      uuid.UUID
	row     *customerview.Customer
	at      time.Time // the row's new updated-at (default: when the event occurred)
	removed bool      // the row is gone: nothing to write back
}

// changes are the events that change an existing customer; any other event of a customer keeps
// the row's version and position current.
var changes = kit.NewHandlers(
	kit.On(func(_ context.Context, c *change, d customer.Updated) error {
		cu, err := customer.Rehydrate(c.id, []event.Event{customer.Created{Fields: c.row.Fields, Status: customer.Status(c.row.Status)}, d})
		if err != nil {
			return err
		}
		c.row.Fields, c.row.Status, c.at = cu.Fields(), string(cu.Status()), d.At
		c.row.LeadCopies = keepLeadCopies(c.row.LeadCopies, d.Patch)
		if d.Patch.Remark != nil {
			c.row.RemarkSet(d.By, d.At)
		}
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d customer.Assigned) error {
		c.at = d.At
		return c.setOwner(ctx, c.row, d.To, d.At)
	}),
	kit.On(func(ctx context.Context, c *change, d customer.Claimed) error {
		c.at = d.At
		return c.setOwner(ctx, c.row, d.By, d.At)
	}),
	kit.On(func(ctx context.Context, c *change, d customer.Released) error {
		c.row.PreviousOwner = d.From
		c.row.Released(d.At)
		c.at = d.At
		return c.setOwner(ctx, c.row, "", d.At)
	}),
	kit.On(func(_ context.Context, c *change, d customer.Locked) error {
		c.row.Locked, c.at = true, d.At
		return nil
	}),
	kit.On(func(_ context.Context, c *change, d customer.Unlocked) error {
		c.row.Locked, c.at = false, d.At
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d customer.FollowedUp) error {
		row := c.row
		if row.LastFollowUpAt == nil || d.At.After(*row.LastFollowUpAt) {
			t := d.At
			row.LastFollowUpAt = &t
		}
		if d.NextFollowUpAt != nil {
			row.Fields.NextFollowUpAt = d.NextFollowUpAt
		}
		c.at = row.UpdatedAt
		fid, _ := uuid.Parse(d.FollowUpID)
		subject := "customer:" + c.id.String()
		if d.ContactID != "" {
			subject = "contact:" + d.ContactID
		}
		c.followUps.Add(readmodels.FollowUp{ID: fid, Subject: subject, CustomerID: &c.id,
			ContactID: optUUID(d.ContactID), Type: d.Type, At: d.At, Content: d.Content, NextFollowUpAt: d.NextFollowUpAt,
			By: readmodels.AuditActor{ID: c.e.Metadata.ActorID, Name: c.e.Metadata.ActorName}, Position: c.e.Position})
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d customer.Merged) error {
		if err := c.followUps.Flush(ctx, c.tx); err != nil { // the page's follow-ups move too
			return err
		}
		if _, err := c.tx.Exec(ctx, `UPDATE `+c.tx.Table("customer_followups")+` SET customer_id = ? WHERE customer_id = ?`, d.Into, c.id.String()); err != nil {
			return err
		}
		c.buf.Remove(c.id)
		c.removed = true
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d customer.Absorbed) error {
		var err error
		if d.OwnerID != "" {
			err = c.setOwner(ctx, c.row, d.OwnerID, d.At)
		}
		if d.LastFollowUpAt != nil && (c.row.LastFollowUpAt == nil || d.LastFollowUpAt.After(*c.row.LastFollowUpAt)) {
			c.row.LastFollowUpAt = d.LastFollowUpAt
		}
		c.at = d.At
		return err
	}),
	kit.On(func(_ context.Context, c *change, d customer.DealClosed) error {
		c.row.Status = string(customer.StatusClosedDeal)
		if c.row.LastDealAt == nil || d.WonAt.After(*c.row.LastDealAt) {
			t := d.WonAt
			c.row.LastDealAt = &t
		}
		c.at = d.At
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d customer.PrimaryContactSet) error {
		_, err := c.tx.Exec(ctx, `UPDATE `+c.contacts+` SET is_primary = (id = ?) WHERE customer_id = ?`, d.ContactID, c.id.String())
		c.at = c.row.UpdatedAt
		return err
	}),
	kit.On(func(ctx context.Context, c *change, _ customer.Deleted) error {
		if _, err := c.tx.Exec(ctx, `DELETE FROM `+c.contacts+` WHERE customer_id = ?`, c.id.String()); err != nil {
			return err
		}
		c.buf.Remove(c.id)
		c.removed = true
		return nil
	}),
)

// createdType is the type name of the event that starts a customer's row.
var createdType = customer.Created{}.EventType()

// Prefetch implements engine.Prefetcher: the rows of the customers the page changes, read at
// once.
func (b *batch) Prefetch(ctx context.Context, page []eventstore.Event) error {
	var ids []uuid.UUID
	for _, e := range page {
		if eventstore.StreamKind(e.StreamID) != customer.StreamPrefix || e.Type == createdType {
			continue
		}
		if id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, customer.StreamPrefix+"-")); err == nil {
			ids = append(ids, id)
		}
	}
	return b.buf.Prefetch(ctx, b.tx, ids)
}

// Wants implements engine.Selective: the events of customers and contacts, and of the users
// and departments whose names and placements the rows carry.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case customer.StreamPrefix, contact.StreamPrefix, user.StreamPrefix, department.StreamPrefix, privacy.StreamPrefix:
		return true
	}
	return false
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !b.p.Wants(e) {
		return nil
	}
	kind := eventstore.StreamKind(e.StreamID)
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch kind {
	case contact.StreamPrefix:
		_, err := contactChanges.Handle(ctx, &contactChange{batch: b, e: e}, d)
		return err
	case user.StreamPrefix, department.StreamPrefix:
		return b.buf.OrgChanged(ctx, b.tx, d, b.table, b.contacts)
	case privacy.StreamPrefix:
		if er, ok := d.(privacy.SubjectErased); ok {
			switch er.Kind {
			case privacy.KindContact:
				return b.eraseContact(ctx, er.SubjectID)
			case privacy.KindLead:
				return b.eraseLeadCopies(ctx, er.SubjectID)
			}
		}
		return nil
	}
	if c, ok := d.(customer.Created); ok {
		return b.create(ctx, e, c)
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, customer.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	row, err := b.buf.Get(ctx, b.tx, id)
	if err != nil {
		return err
	}
	before := ownerColumns(row)
	c := &change{batch: b, e: e, id: id, row: row, at: e.OccurredAt}
	if _, err := changes.Handle(ctx, c, d); err != nil || c.removed {
		return err
	}
	b.put(row, e, c.at)
	if ownerColumns(row) == before {
		return nil
	}
	// Contacts carry their customer's owner columns: keep them in step.
	o := ownerColumns(row)
	_, err = b.tx.Exec(ctx, `UPDATE `+b.contacts+` SET owner_id = ?, owner_name = ?, owner_dept_id = ?, owner_dept_path = ?, owner_superior_path = ?,
		in_pool = ? WHERE customer_id = ?`, o.id, o.name, o.dept, o.deptPath, o.supPath, o.inPool, id.String())
	return err
}

func (b *batch) create(ctx context.Context, e eventstore.Event, c customer.Created) error {
	id, err := uuid.Parse(c.CustomerID)
	if err != nil {
		return err
	}
	row := &customerview.Customer{ID: id, Fields: c.Fields, Status: string(c.Status), CreatedAt: c.At, FromLeadID: optUUID(c.FromLeadID)}
	if c.FromLeadID != "" {
		row.LeadCopies = leadCopies(&row.Fields)
	}
	row.CreatedBy, _ = uuid.Parse(c.By)
	if c.Fields.Remark != "" {
		row.RemarkSet(c.By, c.At)
	}
	if err := b.setOwner(ctx, row, c.OwnerID, c.At); err != nil {
		return err
	}
	b.put(row, e, c.At)
	return nil
}

// owner is a customer's owner columns, which its contacts copy.
type owner struct {
	id                            any // nil: the pool
	name, dept, deptPath, supPath string
	inPool                        bool
}

func ownerColumns(c *customerview.Customer) owner {
	o := owner{name: c.OwnerName, dept: c.OwnerDeptID, deptPath: c.OwnerDeptPath, supPath: c.OwnerSupPath, inPool: c.InPool}
	if c.OwnerID != nil {
		o.id = c.OwnerID.String()
	}
	return o
}

// contactChange is one contact event; contact rows carry their customer's owner columns.
type contactChange struct {
	*batch
	e eventstore.Event
}

// contactChanges are the contact events the contact table shows.
var contactChanges = kit.NewHandlers(
	kit.On(func(ctx context.Context, c *contactChange, d contact.Created) error {
		return c.upsert(ctx, d.Fields, d.CustomerID)
	}),
	kit.On(func(ctx context.Context, c *contactChange, d contact.Updated) error {
		var custID string
		if err := c.tx.QueryRow(ctx, `SELECT customer_id FROM `+c.contacts+` WHERE id = ?`, d.ContactID).Scan(&custID); err != nil {
			return fmt.Errorf("contact %s: %w", d.ContactID, err)
		}
		return c.upsert(ctx, d.Fields, custID)
	}),
	kit.On(func(ctx context.Context, c *contactChange, d contact.Deleted) error {
		_, err := c.tx.Exec(ctx, `DELETE FROM `+c.contacts+` WHERE id = ?`, d.ContactID)
		return err
	}),
	kit.On(func(ctx context.Context, c *contactChange, d contact.Moved) error {
		to, err := uuid.Parse(d.To)
		if err != nil {
			return err
		}
		cu, err := c.buf.Get(ctx, c.tx, to)
		if err != nil {
			return fmt.Errorf("contact %s moved to customer %s: %w", d.ContactID, d.To, err)
		}
		o := ownerColumns(cu)
		_, err = c.tx.Exec(ctx, `UPDATE `+c.contacts+` SET customer_id = ?, is_primary = ?, owner_id = ?, owner_name = ?, owner_dept_id = ?,
			owner_dept_path = ?, owner_superior_path = ?, in_pool = ?, version = ? WHERE id = ?`, d.To, false, o.id, o.name, o.dept, o.deptPath,
			o.supPath, o.inPool, c.e.Version, d.ContactID)
		return err
	}),
)

// copyFields are a customer's fields a conversion fills from the lead's personal fields, by the
// names of privacy.LeadCopies.
func copyFields(f *customer.Fields) map[string]*string {
	return map[string]*string{"phone": &f.Phone, "email": &f.Email, "address": &f.Address}
}

// leadCopies lists the copied fields that hold a value (those the lead's erasure erases).
func leadCopies(f *customer.Fields) string {
	fields := copyFields(f)
	var out []string
	for _, name := range privacy.LeadCopies() {
		if *fields[name] != "" {
			out = append(out, name)
		}
	}
	return strings.Join(out, ",")
}

// keepLeadCopies drops from the list the fields a patch set: they hold the customer's own values now.
func keepLeadCopies(list string, p customer.Patch) string {
	if list == "" {
		return ""
	}
	set := map[string]bool{"phone": p.Phone != nil, "email": p.Email != nil, "address": p.Address != nil}
	var out []string
	for _, name := range strings.Split(list, ",") {
		if !set[name] {
			out = append(out, name)
		}
	}
	return strings.Join(out, ",")
}

// eraseLeadCopies replaces, in the customers made from an erased lead, the values still copied
// from the lead's personal fields with privacy.Erased (a rebuild reads them erased from the
// customer's first event; a value the customer was given since stays). The search text and the
// duplicate keys follow when the row is written. An erasure is rare: the customers are found
// without an index.
func (b *batch) eraseLeadCopies(ctx context.Context, leadID string) error {
	if err := b.buf.Flush(ctx, b.tx); err != nil { // rows of this page are found too
		return err
	}
	ids, err := b.tx.DB.IDsIn(ctx, b.tx, `SELECT id FROM `+b.table+` WHERE from_lead_id = ? AND lead_copies <> ''`, leadID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		row, err := b.buf.Get(ctx, b.tx, id)
		if err != nil {
			return err
		}
		fields := copyFields(&row.Fields)
		for _, name := range strings.Split(row.LeadCopies, ",") {
			if v, ok := fields[name]; ok && *v != "" {
				*v = privacy.Erased
			}
		}
		row.LeadCopies = ""
		b.buf.Put(row.ID, row)
	}
	return nil
}

// eraseContact replaces an erased contact's personal values with privacy.Erased, and its search
// text with the one of the erased values. The row keeps its version (the erasure is no event of
// the contact's stream).
func (b *batch) eraseContact(ctx context.Context, id string) error {
	var f contact.Fields
	err := b.tx.QueryRow(ctx, `SELECT name, title, office_phone, mobile, email, fax, birthday FROM `+b.contacts+` WHERE id = ?`, id).
		Scan(&f.Name, &f.Title, &f.OfficePhone, &f.Mobile, &f.Email, &f.Fax, &f.Birthday)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // deleted
	}
	if err != nil {
		return err
	}
	for _, v := range []*string{&f.Name, &f.OfficePhone, &f.Mobile, &f.Email, &f.Fax, &f.Birthday} {
		if *v != "" {
			*v = privacy.Erased
		}
	}
	search := (&customerview.Contact{Name: f.Name, Mobile: f.Mobile, OfficePhone: f.OfficePhone, Email: f.Email, Title: f.Title}).SearchText()
	_, err = b.tx.Exec(ctx, `UPDATE `+b.contacts+` SET name = ?, office_phone = ?, mobile = ?, email = ?, fax = ?, birthday = ?, search = ? WHERE id = ?`,
		f.Name, f.OfficePhone, f.Mobile, f.Email, f.Fax, f.Birthday, search, id)
	return err
}

// upsert writes a contact row with its customer's owner columns.
func (c *contactChange) upsert(ctx context.Context, f contact.Fields, custID string) error {
	e := c.e
	cid, err := uuid.Parse(custID)
	if err != nil {
		return err
	}
	cu, err := c.buf.Get(ctx, c.tx, cid)
	if err != nil {
		return fmt.Errorf("contact %s of customer %s: %w", e.StreamID, cid, err)
	}
	o := ownerColumns(cu)
	id := strings.TrimPrefix(e.StreamID, contact.StreamPrefix+"-")
	search := (&customerview.Contact{Name: f.Name, Mobile: f.Mobile, OfficePhone: f.OfficePhone, Email: f.Email, Title: f.Title}).SearchText()
	tm := c.tx.DB.Dialect.Time(e.OccurredAt)
	_, err = c.tx.Exec(ctx, `INSERT INTO `+c.contacts+` (id, customer_id, name, gender, title, office_phone, mobile, email, fax, birthday, remark,
		is_primary, owner_id, owner_name, owner_dept_id, owner_dept_path, owner_superior_path, in_pool, created_at, updated_at, version, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, gender = excluded.gender, title = excluded.title, office_phone = excluded.office_phone,
		mobile = excluded.mobile, email = excluded.email, fax = excluded.fax, birthday = excluded.birthday, remark = excluded.remark,
		updated_at = excluded.updated_at, version = excluded.version, search = excluded.search`,
		id, cid.String(), f.Name, f.Gender, f.Title, f.OfficePhone, f.Mobile, f.Email, f.Fax, f.Birthday, f.Remark, false, o.id, o.name,
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

func (b *batch) setOwner(ctx context.Context, row *customerview.Customer, owner string, at time.Time) error {
	row.OwnerID, row.OwnerName, row.InPool, row.OwnerDeptID, row.OwnerDeptPath, row.OwnerSupPath, row.ClaimedAt = nil, "", true, "", "", "", nil
	id, err := uuid.Parse(owner)
	if err != nil {
		return nil
	}
	p, err := b.buf.Placement(ctx, b.tx, id)
	if err != nil {
		return err
	}
	t := at
	row.OwnerID, row.OwnerName, row.InPool, row.ClaimedAt = &id, p.Name, false, &t
	row.OwnerDeptID, row.OwnerDeptPath, row.OwnerSupPath = p.DepartmentID, p.DeptPath, p.SuperiorPath
	return nil
}

func (b *batch) put(row *customerview.Customer, e eventstore.Event, at time.Time) {
	row.Version, row.Position, row.UpdatedAt = e.Version, e.Position, at
	b.buf.Put(row.ID, row)
}

// Flush writes the buffered customer rows and follow-ups.
func (b *batch) Flush(ctx context.Context) error {
	if err := b.buf.Flush(ctx, b.tx); err != nil {
		return err
	}
	return b.followUps.Flush(ctx, b.tx)
}
