package readmodels

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// LeadsProjection is the name of the projection that owns the lead tables.
const LeadsProjection = "leads"

// ErrNotFound: no such row (or not visible to the reader).
var ErrNotFound = errors.New("not found")

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
	parts := []string{l.Name, l.Company, l.Phone, l.Mobile, l.Email, digits(l.Phone), digits(l.Mobile)}
	return strings.ToLower(strings.Join(parts, "\x1f"))
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// LeadTableDDL is the lead table of one generation.
func LeadTableDDL(table string) []string {
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
const LeadColumns = `id, name, company, phone, mobile, email, source, industry, level, address, remark,
	next_follow_up_at, status, owner_id, owner_dept_id, owner_dept_path, owner_superior_path, in_pool, created_by, created_at, updated_at, version, position`

// LeadArgs returns the row's values in LeadColumns order, then search.
func (db *DB) LeadArgs(l *Lead) []any {
	var next any
	if l.NextFollowUpAt != nil {
		next = db.Dialect.Time(*l.NextFollowUpAt)
	}
	var owner any
	if l.OwnerID != nil {
		owner = l.OwnerID.String()
	}
	return []any{l.ID.String(), l.Name, l.Company, l.Phone, l.Mobile, l.Email, l.Source, l.Industry, l.Level,
		l.Address, l.Remark, next, l.Status, owner, l.OwnerDeptID, l.OwnerDeptPath, l.OwnerSupPath, l.InPool, l.CreatedBy.String(),
		db.Dialect.Time(l.CreatedAt), db.Dialect.Time(l.UpdatedAt), l.Version, int64(l.Position), l.SearchText()}
}

type scanner interface{ Scan(dest ...any) error }

// ScanLead reads one row in LeadColumns order.
func ScanLead(row scanner) (*Lead, error) {
	var (
		l                  Lead
		id, createdBy      string
		owner              sql.NullString
		next, created, upd Time
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

// Scope limits what a reader sees; it becomes part of the WHERE clause, served by indexes on the
// owner columns every owned row carries (owner_id, owner_dept_id, owner_dept_path,
// owner_superior_path). It is the SQL form of commands.Actor.Covers.
type Scope struct {
	All               bool       // everything (the "all" data scope), pool included
	Kind              role.Scope // otherwise: self (default), self_and_subordinates, department, department_tree
	UserID            uuid.UUID
	DepartmentID      uuid.UUID
	DeptPath          string
	SubordinatePrefix string
	Pool              bool // may see unowned (pool) rows
	None              bool // sees nothing (no read permission)
}

// ScopeOf is the scope of an actor.
func ScopeOf(a access.Actor, pool bool) Scope {
	return Scope{All: a.Scope == role.ScopeAll, Kind: a.Scope, UserID: a.ID, DepartmentID: a.DepartmentID, DeptPath: a.DeptPath,
		SubordinatePrefix: a.SubordinatePrefix(), Pool: pool}
}

// userCondition limits rows by the organisation place of the user in column (actor_id in the
// operation log, user_id in the sign-in log): the reader's own rows, and those of the users their
// scope covers (users is the org_users table).
func (s Scope) userCondition(users, column string) (string, []any) {
	if s.All || s.Kind == role.ScopeAll {
		return "", nil
	}
	var cond string
	var args []any
	switch s.Kind {
	case role.ScopeSelfAndSubordinates:
		cond, args = "superior_path >= ? AND superior_path < ?", []any{s.SubordinatePrefix, s.SubordinatePrefix + "\uffff"}
	case role.ScopeDepartment:
		cond, args = "department_id = ?", []any{s.DepartmentID.String()}
	case role.ScopeDepartmentTree:
		cond, args = "dept_path >= ? AND dept_path < ?", []any{s.DeptPath, s.DeptPath + "\uffff"}
	default:
		return column + " = ?", []any{s.UserID.String()}
	}
	return "(" + column + " = ? OR " + column + " IN (SELECT id FROM " + users + " WHERE " + cond + "))", append([]any{s.UserID.String()}, args...)
}

// condition is the WHERE fragment for a table with the owner columns and in_pool.
func (s Scope) condition() (string, []any) {
	if s.None {
		return "1 = 0", nil
	}
	if s.All || s.Kind == role.ScopeAll {
		return "", nil
	}
	owned, args := "owner_id = ?", []any{s.UserID.String()}
	switch s.Kind {
	case role.ScopeSelfAndSubordinates:
		owned += " OR (owner_superior_path >= ? AND owner_superior_path < ?)"
		args = append(args, s.SubordinatePrefix, s.SubordinatePrefix+"\uffff")
	case role.ScopeDepartment:
		if s.DepartmentID != uuid.Nil {
			owned += " OR owner_dept_id = ?"
			args = append(args, s.DepartmentID.String())
		}
	case role.ScopeDepartmentTree:
		if s.DeptPath != "" {
			owned += " OR (owner_dept_path >= ? AND owner_dept_path < ?)"
			args = append(args, s.DeptPath, s.DeptPath+"\uffff")
		}
	}
	if s.Pool {
		return "(in_pool = ? OR " + owned + ")", append([]any{true}, args...)
	}
	return "(" + owned + ")", args
}

// LeadQuery is a lead search.
type LeadQuery struct {
	Scope   Scope
	Q       string
	Status  []string
	Source  string
	OwnerID *uuid.UUID
	Pool    *bool
	Sort    string // createdAt, updatedAt, name, nextFollowUpAt; "-" prefix for descending
	Limit   int
	Cursor  string
}

// Page is one page of results.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
	Total      int64  `json:"total"`
}

// ValidationError is a bad query parameter.
type ValidationError = field.Error

var leadSpec = listSpec[*Lead]{
	columns: LeadColumns,
	sorts: map[string]sortColumn{"createdAt": {"created_at", true}, "updatedAt": {"updated_at", true},
		"name": {"name", false}, "nextFollowUpAt": {"next_follow_up_at", true}},
	defaultSort: "-createdAt",
	scan:        func(r scanner) (*Lead, error) { return ScanLead(r) },
	value: func(l *Lead, col string) (any, string) {
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
func LeadSortKeys() []string { return []string{"createdAt", "updatedAt", "name", "nextFollowUpAt"} }

// cursor is the keyset position after the last row of a page, and the total of the first page
// (counting on every page would cost more than the page itself).
type cursor struct {
	V     any    `json:"v"`
	ID    string `json:"id"`
	Total int64  `json:"t"`
}

// SearchLeads runs a lead search with keyset pagination. Scope, filters and search are all in
// the one SQL statement.
func (db *DB) SearchLeads(ctx context.Context, q LeadQuery) (Page[*Lead], error) {
	table := db.Gens.Table(LeadsProjection, "leads")
	lq, err := db.searchQuery(table, q.Scope, q.Q, q.Status)
	if err != nil {
		return Page[*Lead]{}, err
	}
	add := lq.add
	if q.Source != "" {
		add("source = ?", q.Source)
	}
	if q.OwnerID != nil {
		add("owner_id = ?", q.OwnerID.String())
	}
	if q.Pool != nil {
		add("in_pool = ?", *q.Pool)
	}
	lq.sort, lq.limit, lq.cursor = q.Sort, q.Limit, q.Cursor
	spec := leadSpec
	spec.table = table
	return list(ctx, db, spec, *lq)
}

// GetLead returns one lead if the scope covers it.
func (db *DB) GetLead(ctx context.Context, scope Scope, id uuid.UUID) (*Lead, error) {
	return getScoped(ctx, db, db.Gens.Table(LeadsProjection, "leads"), LeadColumns, scope, id, ScanLead)
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return cursor{}, &ValidationError{Field: "cursor", Message: "is not a cursor this server issued"}
	}
	return c, nil
}

func anySlice[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}
