package leadview

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// LeadsProjection is the name of the projection that owns the lead tables.
const Projection = "leads"

// Lead is the read view of a lead.
type Lead struct {
	ID             uuid.UUID  `json:"id"`
	Name           string     `json:"name"`
	Company        string     `json:"company"`
	Phone          string     `json:"phone"`
	Mobile         string     `json:"mobile"`
	Email          string     `json:"email"`
	Source         string     `json:"source"`
	Industry       string     `json:"industry"`
	Level          string     `json:"level"`
	Address        string     `json:"address"`
	Remark         string     `json:"remark"`
	NextFollowUpAt *time.Time `json:"nextFollowUpAt"`
	Status         string     `json:"status"`
	OwnerID        *uuid.UUID `json:"ownerId"`
	OwnerDeptID    string     `json:"-"`
	OwnerDeptPath  string     `json:"-"`
	OwnerSupPath   string     `json:"-"`
	InPool         bool       `json:"inPool"`
	CreatedBy      uuid.UUID  `json:"createdBy"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
	Version        int64      `json:"version"`
	Position       uint64     `json:"-"`
}

// SearchText is what keyword search matches: the lower-cased searchable fields plus the digits
// of the phone numbers, separated so a match cannot span two fields.
func (l *Lead) SearchText() string {
	parts := []string{l.Name, l.Company, l.Phone, l.Mobile, l.Email, field.Digits(l.Phone), field.Digits(l.Mobile)}
	return strings.ToLower(strings.Join(parts, "\x1f"))
}

// LeadTableDDL is the lead table of one generation.
func TableDDL(table string) []string {
	return []string{
		`CREATE TABLE ` + table + ` (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL, company TEXT NOT NULL, phone TEXT NOT NULL, mobile TEXT NOT NULL,
		email TEXT NOT NULL, source TEXT NOT NULL, industry TEXT NOT NULL, level TEXT NOT NULL,
		address TEXT NOT NULL, remark TEXT NOT NULL, next_follow_up_at {time},
		status TEXT NOT NULL, owner_id TEXT, owner_dept_id TEXT NOT NULL DEFAULT '', owner_dept_path {path} NOT NULL DEFAULT '',
		owner_superior_path {path} NOT NULL DEFAULT '', in_pool {bool} NOT NULL,
		created_by TEXT NOT NULL, created_at {time} NOT NULL, updated_at {time} NOT NULL,
		version {bigint} NOT NULL, position {bigint} NOT NULL, search TEXT NOT NULL)`,
		`CREATE INDEX ` + table + `_owner ON ` + table + ` (owner_id, created_at, id)`,
		`CREATE INDEX ` + table + `_pool ON ` + table + ` (in_pool, created_at, id)`,
		`CREATE INDEX ` + table + `_created ON ` + table + ` (created_at, id)`,
		`CREATE INDEX ` + table + `_updated ON ` + table + ` (updated_at, id)`,
		`CREATE INDEX ` + table + `_status ON ` + table + ` (status)`,
		`CREATE INDEX ` + table + `_dept ON ` + table + ` (owner_dept_path, created_at)`,
		`CREATE INDEX ` + table + `_deptid ON ` + table + ` (owner_dept_id, created_at)`,
		`CREATE INDEX ` + table + `_sup ON ` + table + ` (owner_superior_path, created_at)`,
	}
}

// LeadColumns in scan order.
const Columns = `id, name, company, phone, mobile, email, source, industry, level, address, remark,
	next_follow_up_at, status, owner_id, owner_dept_id, owner_dept_path, owner_superior_path, in_pool, created_by, created_at, updated_at, version, position`

// Args returns the row's values in LeadColumns order, then search.
func Args(d readmodels.Dialect, l *Lead) []any {
	var next any
	if l.NextFollowUpAt != nil {
		next = d.Time(*l.NextFollowUpAt)
	}
	var owner any
	if l.OwnerID != nil {
		owner = l.OwnerID.String()
	}
	return []any{l.ID.String(), l.Name, l.Company, l.Phone, l.Mobile, l.Email, l.Source, l.Industry, l.Level,
		l.Address, l.Remark, next, l.Status, owner, l.OwnerDeptID, l.OwnerDeptPath, l.OwnerSupPath, l.InPool, l.CreatedBy.String(),
		d.Time(l.CreatedAt), d.Time(l.UpdatedAt), l.Version, int64(l.Position), l.SearchText()}
}

// ScanLead reads one row in LeadColumns order.
func Scan(row readmodels.Scanner) (*Lead, error) {
	var (
		l                  Lead
		id, createdBy      string
		owner              sql.NullString
		next, created, upd readmodels.Time
		pos                int64
	)
	if err := row.Scan(&id, &l.Name, &l.Company, &l.Phone, &l.Mobile, &l.Email, &l.Source, &l.Industry, &l.Level,
		&l.Address, &l.Remark, &next, &l.Status, &owner, &l.OwnerDeptID, &l.OwnerDeptPath, &l.OwnerSupPath, &l.InPool, &createdBy, &created, &upd,
		&l.Version, &pos); err != nil {
		return nil, err
	}
	l.ID, _ = uuid.Parse(id)
	l.CreatedBy, _ = uuid.Parse(createdBy)
	if owner.Valid {
		o, err := uuid.Parse(owner.String)
		if err == nil {
			l.OwnerID = &o
		}
	}
	l.NextFollowUpAt, l.CreatedAt, l.UpdatedAt, l.Position = next.Ptr(), created.T, upd.T, uint64(pos)
	return &l, nil
}

// LeadQuery is a lead search.
type Query struct {
	Scope   readmodels.Scope
	Q       string
	Status  []string
	Source  string
	OwnerID *uuid.UUID
	Pool    *bool
	Sort    string // createdAt, updatedAt, name, nextFollowUpAt; "-" prefix for descending
	Limit   int
	Cursor  string
}

var spec = readmodels.ListSpec[*Lead]{
	Columns: Columns,
	Sorts: map[string]readmodels.SortColumn{"createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true},
		"name": {Column: "name", IsTime: false}, "nextFollowUpAt": {Column: "next_follow_up_at", IsTime: true}},
	DefaultSort: "-createdAt",
	Scan:        func(r readmodels.Scanner) (*Lead, error) { return Scan(r) },
	Value: func(l *Lead, col string) (any, string) {
		switch col {
		case "name":
			return l.Name, l.ID.String()
		case "created_at":
			return &l.CreatedAt, l.ID.String()
		case "updated_at":
			return &l.UpdatedAt, l.ID.String()
		}
		return l.NextFollowUpAt, l.ID.String()
	},
}

// LeadSortKeys lists the accepted sort keys.
func SortKeys() []string { return []string{"createdAt", "updatedAt", "name", "nextFollowUpAt"} }

// Search runs a lead search with keyset pagination. Scope, filters and search are all in
// the one SQL statement.
func (db *Views) Search(ctx context.Context, q Query) (readmodels.Page[*Lead], error) {
	table := db.Gens.Table(Projection, "leads")
	lq, err := db.SearchQuery(table, q.Scope, q.Q, q.Status)
	if err != nil {
		return readmodels.Page[*Lead]{}, err
	}
	add := lq.Add
	if q.Source != "" {
		add("source = ?", q.Source)
	}
	if q.OwnerID != nil {
		add("owner_id = ?", q.OwnerID.String())
	}
	if q.Pool != nil {
		add("in_pool = ?", *q.Pool)
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	spec := spec
	spec.Table = table
	return readmodels.List(ctx, db.DB, spec, *lq)
}

// Get returns one lead if the scope covers it.
func (db *Views) Get(ctx context.Context, scope readmodels.Scope, id uuid.UUID) (*Lead, error) {
	return readmodels.GetScoped(ctx, db.DB, db.Gens.Table(Projection, "leads"), Columns, scope, id, Scan)
}

// FollowUps returns a lead's follow-ups, newest first. The caller has checked that the reader may
// see the lead.
func (db *Views) FollowUps(ctx context.Context, id uuid.UUID, limit int) ([]readmodels.FollowUp, error) {
	return db.ListFollowUps(ctx, db.Gens.Table(Projection, "lead_followups"), "subject = ?", "lead:"+id.String(), limit)
}

// OwnedLeads implements leadcmd.Directory.
func (db *Views) OwnedLeads(ctx context.Context, owner uuid.UUID) (int64, error) {
	var n int64
	err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT count(*) FROM `+db.Gens.Table(Projection, "leads")+` WHERE owner_id = ?`), owner.String()).Scan(&n)
	return n, err
}
