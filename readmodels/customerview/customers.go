package customerview

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the customer tables.
const Projection = "customers"

// Customer is the read view of a customer.
type Customer struct {
	ID uuid.UUID `json:"id"`
	customer.Fields
	Status string `json:"status"`
	readmodels.Ownership
	Locked         bool       `json:"locked"`
	ClaimedAt      *time.Time `json:"claimedAt"`
	LastFollowUpAt *time.Time `json:"lastFollowUpAt"`
	LastDealAt     *time.Time `json:"lastDealAt"`
	FromLeadID     *uuid.UUID `json:"fromLeadId"`
	CreatedBy      uuid.UUID  `json:"createdBy"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
	Version        int64      `json:"version"`
	Position       uint64     `json:"-"`
	PreviousOwner  string     `json:"-"`
	// LeadCopies lists the fields (phone, email, address; comma-separated) that still hold what
	// the conversion copied from the lead's personal fields: the lead's erasure erases them.
	LeadCopies string `json:"-"`
	readmodels.PoolRemark
	readmodels.Masking
}

// SearchText is what keyword search matches.
func (c *Customer) SearchText() string {
	f := c.Fields
	return strings.ToLower(strings.Join([]string{f.Name, f.LegalRepresentative, f.Phone, f.Email, f.Address, f.City,
		field.Digits(f.Phone), field.Digits(f.Fax), customer.CustomSearchText(f.Custom)}, "\x1f"))
}

// fieldCopy is a column that repeats one of the fields (kept in the fields JSON) for indexes and
// filters; reads take the fields from the JSON.
func fieldCopy(name string, f func(*Customer) string) readmodels.Col[Customer] {
	return readmodels.WriteOnly(name, "TEXT NOT NULL", func(_ readmodels.Dialect, c *Customer) any { return f(c) })
}

// table is the customer table's columns: scan order first (the fields JSON before
// next_follow_up_at, which is read into the fields), then the search text and the keys of the
// duplicate check (normalised name, phone digits, e-mail).
var table = readmodels.Cols(
	[]readmodels.Col[Customer]{
		readmodels.IDCol("id", "{id} PRIMARY KEY", func(c *Customer) *uuid.UUID { return &c.ID }),
		readmodels.TextCol("status", func(c *Customer) *string { return &c.Status }),
		readmodels.JSONCol("fields", func(c *Customer) any { return &c.Fields }),
	},
	readmodels.OwnershipCols(func(c *Customer) *readmodels.Ownership { return &c.Ownership }),
	[]readmodels.Col[Customer]{
		readmodels.BoolCol("locked", func(c *Customer) *bool { return &c.Locked }),
		readmodels.OptTimeCol("claimed_at", func(c *Customer) **time.Time { return &c.ClaimedAt }),
		readmodels.OptTimeCol("last_follow_up_at", func(c *Customer) **time.Time { return &c.LastFollowUpAt }),
		readmodels.OptTimeCol("last_deal_at", func(c *Customer) **time.Time { return &c.LastDealAt }),
		readmodels.OptTimeCol("next_follow_up_at", func(c *Customer) **time.Time { return &c.Fields.NextFollowUpAt }),
		readmodels.OptIDCol("from_lead_id", false, func(c *Customer) **uuid.UUID { return &c.FromLeadID }),
		withDefault(readmodels.TextCol("previous_owner_id", func(c *Customer) *string { return &c.PreviousOwner })),
		withDefault(readmodels.TextCol("lead_copies", func(c *Customer) *string { return &c.LeadCopies })),
	},
	readmodels.PoolRemarkCols(func(c *Customer) *readmodels.PoolRemark { return &c.PoolRemark }),
	[]readmodels.Col[Customer]{
		readmodels.IDCol("created_by", "TEXT NOT NULL", func(c *Customer) *uuid.UUID { return &c.CreatedBy }),
		readmodels.TimeCol("created_at", func(c *Customer) *time.Time { return &c.CreatedAt }),
		readmodels.TimeCol("updated_at", func(c *Customer) *time.Time { return &c.UpdatedAt }),
		readmodels.Int64Col("version", func(c *Customer) *int64 { return &c.Version }),
		readmodels.PositionCol("position", func(c *Customer) *uint64 { return &c.Position }),
		fieldCopy("name", func(c *Customer) string { return c.Fields.Name }),
		fieldCopy("level", func(c *Customer) string { return c.Fields.Level }),
		fieldCopy("industry", func(c *Customer) string { return c.Fields.Industry }),
		fieldCopy("source", func(c *Customer) string { return c.Fields.Source }),
		fieldCopy("classification", func(c *Customer) string { return c.Fields.Classification }),
		fieldCopy("province", func(c *Customer) string { return c.Fields.Province }),
		fieldCopy("city", func(c *Customer) string { return c.Fields.City }),
		readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, c *Customer) any { return c.SearchText() }),
		readmodels.WriteOnly("name_norm", "TEXT NOT NULL DEFAULT ''", func(_ readmodels.Dialect, c *Customer) any {
			return customer.NormalizeName(c.Fields.Name)
		}),
		readmodels.WriteOnly("phone_key", "TEXT NOT NULL DEFAULT ''", func(_ readmodels.Dialect, c *Customer) any { return PhoneKey(c.Fields.Phone) }),
		readmodels.WriteOnly("email_key", "TEXT NOT NULL DEFAULT ''", func(_ readmodels.Dialect, c *Customer) any { return EmailKey(c.Fields.Email) }),
	})

func withDefault(c readmodels.Col[Customer]) readmodels.Col[Customer] {
	c.Type = "TEXT NOT NULL DEFAULT ''"
	return c
}

// TableDDL is the customer table of one generation.
func TableDDL(t string) []string {
	return append([]string{table.Create(t),
		`CREATE INDEX ` + t + `_norm ON ` + t + ` (name_norm)`,
		`CREATE INDEX ` + t + `_phone_key ON ` + t + ` (phone_key)`, // the duplicate check
		`CREATE INDEX ` + t + `_email_key ON ` + t + ` (email_key)`,
		// the workbench: an owner's customers by the time they got them (the pool rules' clock)
		// and by their last change (recent activity)
		`CREATE INDEX ` + t + `_owner_claimed ON ` + t + ` (owner_id, claimed_at)`,
		`CREATE INDEX ` + t + `_owner_position ON ` + t + ` (owner_id, position)`,
	}, readmodels.OwnershipIndexes(t, spec.Sorts)...)
}

// Columns are the readable columns, in Scan order.
var Columns = table.Select()

// InsertColumns are every column, in Args order.
var InsertColumns = table.Insert()

// Args are the row's values in InsertColumns order.
func Args(d readmodels.Dialect, c *Customer) []any { return table.Args(d, c) }

// Scan reads one row in Columns order.
func Scan(row readmodels.Scanner) (*Customer, error) { return table.Scan(row) }

var spec = readmodels.ListSpec[*Customer]{
	Columns: Columns,
	Sorts: map[string]readmodels.SortColumn{"createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true}, "name": {Column: "name", IsTime: false},
		"nextFollowUpAt": {Column: "next_follow_up_at", IsTime: true, Nullable: true}, "lastFollowUpAt": {Column: "last_follow_up_at", IsTime: true, Nullable: true}},
	DefaultSort: "-createdAt",
	Scan:        func(r readmodels.Scanner) (*Customer, error) { return Scan(r) },
	Value: func(c *Customer, col string) (any, string) {
		switch col {
		case "name":
			return c.Name, c.ID.String()
		case "created_at":
			return &c.CreatedAt, c.ID.String()
		case "updated_at":
			return &c.UpdatedAt, c.ID.String()
		case "last_follow_up_at":
			return c.LastFollowUpAt, c.ID.String()
		}
		return c.Fields.NextFollowUpAt, c.ID.String()
	},
}

// CustomerQuery is a customer search.
type Query struct {
	Scope          readmodels.Scope
	Q              string
	Status         []string
	Level          string
	Industry       string
	Source         string
	Classification string
	OwnerID        *uuid.UUID
	Pool           *bool
	Locked         *bool
	Custom         []CustomFilter
	Sort           string
	Limit          int
	Cursor         string
}

// CustomFilter narrows a customer search by one administrator-defined field. By the field's type:
// text holds every one of Values as a substring (case-insensitive); option is one of Values;
// multi_option holds every one of Values; number and date equal one of Values (if any) and lie
// within Min and Max (inclusive, either may be empty). Numbers are compared as numbers, dates
// (YYYY-MM-DD) as text.
type CustomFilter struct {
	Key      string
	Type     string
	Values   []string
	Min, Max string
}

var customFilterKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// where adds the filter's conditions to a query; add takes a condition and its arguments.
func (f CustomFilter) where(d readmodels.Dialect, add func(cond string, args ...any)) error {
	if !customFilterKey.MatchString(f.Key) {
		return field.Errorf("custom."+f.Key, "is not a custom field")
	}
	num := func(s string) (any, error) {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, field.Errorf("custom."+f.Key, "%q is not a number", s)
		}
		return n, nil
	}
	switch f.Type {
	case customer.CustomText:
		for _, v := range f.Values {
			add(d.Contains(`lower(`+d.CustomValue("fields", f.Key, "text")+`)`), strings.ToLower(v))
		}
	case customer.CustomOption:
		if len(f.Values) > 0 {
			args := make([]any, len(f.Values))
			for i, v := range f.Values {
				args[i] = v
			}
			add(d.CustomValue("fields", f.Key, "text")+` IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+`)`, args...)
		}
	case customer.CustomMultiOption:
		for _, v := range f.Values {
			add(d.CustomHas("fields", f.Key), v)
		}
	case customer.CustomNumber, customer.CustomDate:
		kind, conv := "text", func(s string) (any, error) { return s, nil }
		if f.Type == customer.CustomNumber {
			kind, conv = "number", num
		}
		expr := d.CustomValue("fields", f.Key, kind)
		if len(f.Values) > 0 {
			args := make([]any, len(f.Values))
			for i, v := range f.Values {
				a, err := conv(v)
				if err != nil {
					return err
				}
				args[i] = a
			}
			add(expr+` IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+`)`, args...)
		}
		for op, bound := range map[string]string{">=": f.Min, "<=": f.Max} {
			if bound == "" {
				continue
			}
			a, err := conv(bound)
			if err != nil {
				return err
			}
			add(expr+` `+op+` ?`, a)
		}
	default:
		return field.Errorf("custom."+f.Key, "has an unknown type %q", f.Type)
	}
	return nil
}

// Search runs a customer search with keyset pagination; scope, filters and search are
// one SQL statement.
func (db *Views) Search(ctx context.Context, q Query) (readmodels.Page[*Customer], error) {
	table := db.Gens.Table(Projection, "customers")
	lq, err := db.SearchQuery(table, q.Scope, q.Q, q.Status)
	if err != nil {
		return readmodels.Page[*Customer]{}, err
	}
	add := lq.Add
	for col, v := range map[string]string{"level": q.Level, "industry": q.Industry, "source": q.Source, "classification": q.Classification} {
		if v != "" {
			add(col+" = ?", v)
		}
	}
	if q.OwnerID != nil {
		add("owner_id = ?", q.OwnerID.String())
	}
	if q.Pool != nil {
		add("in_pool = ?", *q.Pool)
	}
	if q.Locked != nil {
		add("locked = ?", *q.Locked)
	}
	if lq.Branches, err = db.OwnerBranches(ctx, db.Gens.Table(Projection, "customer_org_users"), q.Scope, q.OwnerID, q.Pool); err != nil {
		return readmodels.Page[*Customer]{}, err
	}
	for _, f := range q.Custom {
		if err := f.where(db.Dialect, add); err != nil {
			return readmodels.Page[*Customer]{}, err
		}
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	spec := spec
	spec.Table = table
	return readmodels.List(ctx, db.DB, spec, *lq)
}

// Get returns one customer if the scope covers it.
func (db *Views) Get(ctx context.Context, scope readmodels.Scope, id uuid.UUID) (*Customer, error) {
	return readmodels.GetScoped(ctx, db.DB, db.Gens.Table(Projection, "customers"), Columns, scope, id, Scan)
}

// OwnedCustomers implements customercmd.Directory.
func (db *Views) OwnedCustomers(ctx context.Context, owner uuid.UUID, except []uuid.UUID) (int64, error) {
	return db.CountOwned(ctx, db.Gens.Table(Projection, "customers"), owner, except)
}

// CustomersAppliedUntil implements customercmd.Directory.
func (db *Views) CustomersAppliedUntil(ctx context.Context) (time.Time, error) {
	return db.Gens.AppliedUntil(ctx, Projection)
}

// CustomerClaimsSince implements commands.CustomerDirectory (from the operation log, whose rows
// refer to their actor and type by the numbers of its terms table: see auditview.TableDDL).
func (db *Views) CustomerClaimsSince(ctx context.Context, user uuid.UUID, since time.Time) (int64, error) {
	var n int64
	terms := db.Gens.Table(readmodels.AuditProjection, "audit_terms")
	err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT count(*) FROM `+db.Gens.Table(readmodels.AuditProjection, "audit_events")+
		` WHERE actor_term IN (SELECT term_id FROM `+terms+` WHERE kind = 'actor' AND term = ?)
		AND type_term IN (SELECT term_id FROM `+terms+` WHERE kind = 'type' AND term = ?) AND occurred_at >= ?`),
		user.String(), customer.Claimed{}.EventType(), db.Dialect.Time(since)).Scan(&n)
	return n, err
}

// CustomersToCheck implements commands.CustomerDirectory: owned, unlocked customers by id.
func (db *Views) CustomersToCheck(ctx context.Context, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	return db.IDs(ctx, `SELECT id FROM `+db.Gens.Table(Projection, "customers")+
		` WHERE in_pool = ? AND locked = ? AND id > ? ORDER BY id LIMIT ?`, false, false, after.String(), limit)
}

// Contact is the read view of a contact.
type Contact struct {
	ID         uuid.UUID `json:"id"`
	CustomerID uuid.UUID `json:"customerId"`
	// CustomerName is the customer's name, looked up for one page of contacts at a time in one
	// query by primary key (see withCustomerNames), so a customer's rename needs no contact update.
	CustomerName string `json:"customerName"`
	Name         string `json:"name"`
	Gender       string `json:"gender"`
	Title        string `json:"title"`
	OfficePhone  string `json:"officePhone"`
	Mobile       string `json:"mobile"`
	Email        string `json:"email"`
	Fax          string `json:"fax"`
	Birthday     string `json:"birthday"`
	Remark       string `json:"remark"`
	Primary      bool   `json:"primary"`
	// The owner is the customer's (contacts are scoped through their customers), with the name
	// denormalised like the customer's (empty when the customer is in the pool).
	OwnerID   *uuid.UUID `json:"ownerId"`
	OwnerName string     `json:"ownerName,omitempty"`
	InPool    bool       `json:"inPool"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	Version   int64      `json:"version"`
	readmodels.Masking
}

// SearchText is what keyword search matches of a contact: its name, numbers, e-mail and title,
// lower-cased and separated so a match cannot span two fields.
func (c *Contact) SearchText() string {
	return strings.ToLower(strings.Join([]string{c.Name, c.Mobile, c.OfficePhone, c.Email, c.Title}, "\x1f"))
}

// ContactTableDDL is the contact table of one generation: each row carries its customer's owner
// columns, so contact lists are scoped like customers.
func ContactTableDDL(table string) []string {
	return append([]string{
		`CREATE TABLE ` + table + ` (
		id {id} PRIMARY KEY, customer_id {id} NOT NULL, name TEXT NOT NULL, gender TEXT NOT NULL, title TEXT NOT NULL,
		office_phone TEXT NOT NULL, mobile TEXT NOT NULL, email TEXT NOT NULL, fax TEXT NOT NULL, birthday TEXT NOT NULL,
		remark TEXT NOT NULL, is_primary {bool} NOT NULL, owner_id {id}, owner_name TEXT NOT NULL DEFAULT '', owner_dept_id TEXT NOT NULL DEFAULT '',
		owner_dept_path {path} NOT NULL DEFAULT '', owner_superior_path {path} NOT NULL DEFAULT '', in_pool {bool} NOT NULL,
		created_at {time} NOT NULL, updated_at {time} NOT NULL, version {bigint} NOT NULL, search TEXT NOT NULL)`,
		`CREATE INDEX ` + table + `_customer ON ` + table + ` (customer_id, name, id)`,
	}, readmodels.OwnershipIndexes(table, contactSpec.Sorts)...)
}

const contactColumns = `id, customer_id, name, gender, title, office_phone, mobile, email, fax, birthday, remark, is_primary, owner_id, owner_name,
	in_pool, created_at, updated_at, version`

func scanContact(row readmodels.Scanner) (*Contact, error) {
	var c Contact
	var id, cust string
	var owner sql.NullString
	var cr, up readmodels.Time
	if err := row.Scan(&id, &cust, &c.Name, &c.Gender, &c.Title, &c.OfficePhone, &c.Mobile, &c.Email, &c.Fax, &c.Birthday, &c.Remark,
		&c.Primary, &owner, &c.OwnerName, &c.InPool, &cr, &up, &c.Version); err != nil {
		return nil, err
	}
	if o, err := uuid.Parse(owner.String); owner.Valid && err == nil {
		c.OwnerID = &o
	}
	c.ID, _ = uuid.Parse(id)
	c.CustomerID, _ = uuid.Parse(cust)
	c.CreatedAt, c.UpdatedAt = cr.T, up.T
	return &c, nil
}

// ContactQuery is a contact search.
type ContactQuery struct {
	Scope      readmodels.Scope
	Q          string
	CustomerID *uuid.UUID
	Limit      int
	Cursor     string
	Sort       string
}

var contactSpec = readmodels.ListSpec[*Contact]{
	Columns:     contactColumns,
	Sorts:       map[string]readmodels.SortColumn{"name": {Column: "name", IsTime: false}, "createdAt": {Column: "created_at", IsTime: true}},
	DefaultSort: "name",
	Scan:        func(r readmodels.Scanner) (*Contact, error) { return scanContact(r) },
	Value: func(c *Contact, col string) (any, string) {
		if col == "name" {
			return c.Name, c.ID.String()
		}
		return &c.CreatedAt, c.ID.String()
	},
}

// SearchContacts lists contacts inside the reader's scope (through their customers' owners).
func (db *Views) SearchContacts(ctx context.Context, q ContactQuery) (readmodels.Page[*Contact], error) {
	table := db.Gens.Table(Projection, "contacts")
	lq, err := db.SearchQuery(table, q.Scope, q.Q, nil)
	if err != nil {
		return readmodels.Page[*Contact]{}, err
	}
	add := lq.Add
	if q.CustomerID != nil {
		add("customer_id = ?", q.CustomerID.String())
	} else if lq.Branches, err = db.OwnerBranches(ctx, db.Gens.Table(Projection, "customer_org_users"), q.Scope, nil, nil); err != nil {
		return readmodels.Page[*Contact]{}, err
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	spec := contactSpec
	spec.Table = table
	page, err := readmodels.List(ctx, db.DB, spec, *lq)
	if err != nil {
		return page, err
	}
	return page, db.withCustomerNames(ctx, page.Items...)
}

// GetContact returns one contact inside the scope.
func (db *Views) GetContact(ctx context.Context, scope readmodels.Scope, id uuid.UUID) (*Contact, error) {
	c, err := readmodels.GetScoped(ctx, db.DB, db.Gens.Table(Projection, "contacts"), contactColumns, scope, id, scanContact)
	if err != nil {
		return nil, err
	}
	return c, db.withCustomerNames(ctx, c)
}

// withCustomerNames fills in the customers' names of contacts (at most a page: one query by the
// customers' primary key). A contact is seen exactly when its customer is (they share the owner
// columns), so the names reveal nothing the reader could not open.
func (db *Views) withCustomerNames(ctx context.Context, contacts ...*Contact) error {
	ids := make([]uuid.UUID, 0, len(contacts))
	seen := map[uuid.UUID]bool{}
	for _, c := range contacts {
		if !seen[c.CustomerID] {
			seen[c.CustomerID] = true
			ids = append(ids, c.CustomerID)
		}
	}
	names, err := db.CustomerNames(ctx, ids)
	if err != nil {
		return err
	}
	for _, c := range contacts {
		c.CustomerName = names[c.CustomerID]
	}
	return nil
}

// DuplicateLimit caps the answer of a duplicate check.
const DuplicateLimit = 20

// MinPhoneDigits is how many digits a phone number needs before it is compared.
const MinPhoneDigits = 7

// Duplicate is an existing customer that matches the one being entered: the same normalised name,
// the same phone digits or the same e-mail, never a mere substring. One inside the asker's data
// scope shows its id, name and owner; one outside shows only that it exists and the department
// that owns it (or that it is in the pool), so the check cannot be used to list customers.
type Duplicate struct {
	Kind    string   `json:"kind"`    // "customer"
	Match   string   `json:"match"`   // the strongest match: name, phone or email
	Reasons []string `json:"reasons"` // same_name, same_phone, same_email
	Score   float64  `json:"score"`   // 1 = same normalised name, 0.9 = same phone or e-mail
	Exists  bool     `json:"exists"`  // always true
	Visible bool     `json:"visible"` // inside the asker's data scope
	// Inside the scope only:
	ID      *uuid.UUID `json:"id,omitempty"`
	Name    string     `json:"name,omitempty"`
	OwnerID *uuid.UUID `json:"ownerId,omitempty"`
	// Outside the scope only:
	OwnerDepartment string `json:"ownerDepartment,omitempty"`
	InPool          bool   `json:"inPool,omitempty"`

	deptID string
}

// PhoneKey is what two phone numbers must share to be the same: their digits, without a leading
// +86 / 0086 country code; "" when fewer than MinPhoneDigits digits remain.
func PhoneKey(phone string) string {
	d := field.Digits(phone)
	switch t := strings.TrimSpace(phone); {
	case strings.HasPrefix(d, "0086"):
		d = d[4:]
	case strings.HasPrefix(t, "+86"):
		d = d[2:]
	}
	if len(d) < MinPhoneDigits {
		return ""
	}
	return d
}

// EmailKey is what two e-mail addresses must share to be the same: the address, trimmed and
// lower-cased.
func EmailKey(email string) string {
	if email == privacy.Erased {
		return "" // erased addresses are no duplicates of each other
	}
	return strings.ToLower(strings.TrimSpace(email))
}

// Hidden is the duplicate as shown outside the asker's scope.
func (d Duplicate) Hidden(department string) Duplicate {
	return Duplicate{Kind: d.Kind, Match: d.Match, Reasons: d.Reasons, Score: d.Score, Exists: true,
		OwnerDepartment: department, InPool: d.InPool}
}

// FindDuplicates lists the customers, across the whole company (a duplicate owned by someone else
// is exactly what must not be entered twice), with the same normalised name (the name reservation's
// key), the same phone digits or the same e-mail; best first, at most DuplicateLimit. Each match is
// an equality on an indexed column: no scan of the table.
func (db *Views) FindDuplicates(ctx context.Context, scope readmodels.Scope, name, phone, email string, exclude uuid.UUID) ([]Duplicate, error) {
	table := db.Gens.Table(Projection, "customers")
	norm, digits, mail := customer.NormalizeName(name), PhoneKey(phone), EmailKey(email)
	var conds []string
	var args []any
	for _, c := range []struct{ col, v string }{{"name_norm", norm}, {"phone_key", digits}, {"email_key", mail}} {
		if c.v != "" {
			conds, args = append(conds, c.col+" = ?"), append(args, c.v)
		}
	}
	if len(conds) == 0 {
		return []Duplicate{}, nil
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q("SELECT "+Columns+", name_norm, phone_key, email_key FROM "+table+
		" WHERE "+strings.Join(conds, " OR ")+" LIMIT ?"), append(args, DuplicateLimit+1)...)
	if err != nil {
		return nil, fmt.Errorf("find duplicates: %w", err)
	}
	defer rows.Close()
	var out []Duplicate
	depts := map[string]string{}
	for rows.Next() {
		var candNorm, candPhone, candMail string
		cand, err := Scan(readmodels.ScanFunc(func(dest ...any) error { return rows.Scan(append(dest, &candNorm, &candPhone, &candMail)...) }))
		if err != nil {
			return nil, err
		}
		if cand.ID == exclude {
			continue
		}
		d := Duplicate{Kind: "customer", Exists: true}
		if mail != "" && candMail == mail {
			d.Score, d.Match, d.Reasons = 0.9, "email", append(d.Reasons, "same_email")
		}
		if digits != "" && candPhone == digits {
			d.Score, d.Match, d.Reasons = 0.9, "phone", append(d.Reasons, "same_phone")
		}
		if norm != "" && candNorm == norm {
			d.Score, d.Match, d.Reasons = 1, "name", append(d.Reasons, "same_name")
		}
		if d.Score == 0 {
			continue
		}
		slices.Reverse(d.Reasons) // strongest first
		if inScope(scope, cand) {
			d.Visible, d.ID, d.Name, d.OwnerID = true, &cand.ID, cand.Name, cand.OwnerID
		} else if cand.OwnerID == nil {
			d.InPool = true
		} else {
			d.deptID, depts[cand.OwnerDeptID] = cand.OwnerDeptID, ""
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := db.departmentNames(ctx, depts); err != nil {
		return nil, err
	}
	for i, d := range out {
		if !d.Visible {
			out[i] = d.Hidden(depts[d.deptID])
		}
	}
	slices.SortStableFunc(out, func(a, b Duplicate) int { return cmp.Compare(b.Score, a.Score) })
	if len(out) > DuplicateLimit {
		out = out[:DuplicateLimit]
	}
	if out == nil {
		out = []Duplicate{}
	}
	return out, nil
}

// departmentNames fills in the names of the departments (keys of names) from the organisation's
// read model.
func (db *Views) departmentNames(ctx context.Context, names map[string]string) error {
	if len(names) == 0 {
		return nil
	}
	return db.Names(ctx, db.Gens.Table(readmodels.OrgProjection, "org_departments"), "name", "", nil, names)
}

// inScope is Scope.condition evaluated on a loaded row.
func inScope(s readmodels.Scope, c *Customer) bool {
	if s.All || s.Kind == "all" {
		return true
	}
	if c.OwnerID == nil {
		return s.Pool
	}
	if *c.OwnerID == s.UserID {
		return true
	}
	switch s.Kind {
	case "self_and_subordinates":
		return strings.HasPrefix(c.OwnerSupPath, s.SubordinatePrefix)
	case "department":
		return s.DepartmentID != uuid.Nil && c.OwnerDeptID == s.DepartmentID.String()
	case "department_tree":
		return s.DeptPath != "" && strings.HasPrefix(c.OwnerDeptPath, s.DeptPath)
	}
	return false
}

// ContactsOf implements commands.CustomerDirectory.
func (db *Views) ContactsOf(ctx context.Context, customerID uuid.UUID) ([]uuid.UUID, error) {
	return db.IDs(ctx, `SELECT id FROM `+db.Gens.Table(Projection, "contacts")+` WHERE customer_id = ? ORDER BY id`, customerID.String())
}

// FollowUps returns the follow-ups of a customer (including those through its contacts) or, with
// kind "contact", of one contact, newest first. The caller has checked that the reader may see it.
func (db *Views) FollowUps(ctx context.Context, kind string, id uuid.UUID, limit int) ([]readmodels.FollowUp, error) {
	cond := "customer_id = ?"
	if kind == "contact" {
		cond = "contact_id = ?"
	}
	return db.ListFollowUps(ctx, db.Gens.Table(Projection, "customer_followups"), cond, id.String(), limit)
}

// CustomersNamed returns the ids of up to limit customers inside scope whose name is exactly
// name (contacts imports name their customer).
func (db *Views) CustomersNamed(ctx context.Context, scope readmodels.Scope, name string, limit int) ([]uuid.UUID, error) {
	stmt := `SELECT id FROM ` + db.Gens.Table(Projection, "customers") + ` WHERE name = ?`
	args := []any{strings.TrimSpace(name)}
	if cond, a := scope.Condition(); cond != "" {
		stmt += " AND " + cond
		args = append(args, a...)
	}
	stmt += " ORDER BY id LIMIT ?"
	ids, err := db.IDs(ctx, stmt, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("customers named %q: %w", name, err)
	}
	return ids, nil
}

// CustomerNames returns the names of the given customers (contacts exports show them).
func (db *Views) CustomerNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	names := make(map[string]string, len(ids))
	for _, id := range ids {
		names[id.String()] = ""
	}
	if err := db.Names(ctx, db.Gens.Table(Projection, "customers"), "name", "", nil, names); err != nil {
		return nil, fmt.Errorf("customer names: %w", err)
	}
	for sid, name := range names {
		if id, err := uuid.Parse(sid); err == nil && name != "" {
			out[id] = name
		}
	}
	return out, nil
}

// CustomersWithNormalizedNames returns, for each name, the ids of the customers whose normalised
// name (customer.NormalizeName) is the same, across all scopes (the duplicate check).
func (db *Views) CustomersWithNormalizedNames(ctx context.Context, names []string) ([][]uuid.UUID, error) {
	out := make([][]uuid.UUID, len(names))
	at := map[string][]int{}
	args := []any{}
	for i, n := range names {
		norm := customer.NormalizeName(n)
		if norm == "" {
			continue
		}
		if _, ok := at[norm]; !ok {
			args = append(args, norm)
		}
		at[norm] = append(at[norm], i)
	}
	if len(args) == 0 {
		return out, nil
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT id, name_norm FROM `+db.Gens.Table(Projection, "customers")+
		` WHERE name_norm IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("customers by normalised name: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid, norm string
		if err := rows.Scan(&sid, &norm); err != nil {
			return nil, err
		}
		id, err := uuid.Parse(sid)
		if err != nil {
			continue
		}
		for _, i := range at[norm] {
			out[i] = append(out[i], id)
		}
	}
	return out, rows.Err()
}
