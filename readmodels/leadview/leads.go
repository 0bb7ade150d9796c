package leadview

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection is the name of the projection that owns the lead tables.
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
	readmodels.Ownership
	CreatedBy uuid.UUID `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
	Position  uint64    `json:"-"`
	readmodels.PoolRemark
	readmodels.Masking
}

// SearchText is what keyword search matches: the lower-cased searchable fields plus the digits
// of the phone numbers, separated so a match cannot span two fields.
func (l *Lead) SearchText() string {
	parts := []string{l.Name, l.Company, l.Phone, l.Mobile, l.Email, field.Digits(l.Phone), field.Digits(l.Mobile)}
	return strings.ToLower(strings.Join(parts, "\x1f"))
}

// table is the lead table's columns: scan order first, then the search text.
var table = readmodels.Cols(
	[]readmodels.Col[Lead]{
		readmodels.IDCol("id", "{id} PRIMARY KEY", func(l *Lead) *uuid.UUID { return &l.ID }),
		readmodels.TextCol("name", func(l *Lead) *string { return &l.Name }),
		readmodels.TextCol("company", func(l *Lead) *string { return &l.Company }),
		readmodels.TextCol("phone", func(l *Lead) *string { return &l.Phone }),
		readmodels.TextCol("mobile", func(l *Lead) *string { return &l.Mobile }),
		readmodels.TextCol("email", func(l *Lead) *string { return &l.Email }),
		readmodels.TextCol("source", func(l *Lead) *string { return &l.Source }),
		readmodels.TextCol("industry", func(l *Lead) *string { return &l.Industry }),
		readmodels.TextCol("level", func(l *Lead) *string { return &l.Level }),
		readmodels.TextCol("address", func(l *Lead) *string { return &l.Address }),
		readmodels.TextCol("remark", func(l *Lead) *string { return &l.Remark }),
		readmodels.OptTimeCol("next_follow_up_at", func(l *Lead) **time.Time { return &l.NextFollowUpAt }),
		readmodels.TextCol("status", func(l *Lead) *string { return &l.Status }),
	},
	readmodels.OwnershipCols(func(l *Lead) *readmodels.Ownership { return &l.Ownership }),
	[]readmodels.Col[Lead]{
		readmodels.IDCol("created_by", "TEXT NOT NULL", func(l *Lead) *uuid.UUID { return &l.CreatedBy }),
		readmodels.TimeCol("created_at", func(l *Lead) *time.Time { return &l.CreatedAt }),
		readmodels.TimeCol("updated_at", func(l *Lead) *time.Time { return &l.UpdatedAt }),
		readmodels.Int64Col("version", func(l *Lead) *int64 { return &l.Version }),
		readmodels.PositionCol("position", func(l *Lead) *uint64 { return &l.Position }),
	},
	readmodels.PoolRemarkCols(func(l *Lead) *readmodels.PoolRemark { return &l.PoolRemark }),
	[]readmodels.Col[Lead]{
		readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, l *Lead) any { return l.SearchText() }),
	})

// TableDDL is the lead table of one generation. Besides the list indexes: (owner_id, status) and
// (status) serve the per-status counts of an owner and of everyone (the workbench), and
// (owner_id, position) an owner's most recently changed leads (the workbench's recent activity).
func TableDDL(t string) []string {
	return append([]string{table.Create(t),
		`CREATE INDEX ` + t + `_owner_status ON ` + t + ` (owner_id, status)`,
		`CREATE INDEX ` + t + `_status ON ` + t + ` (status)`,
		`CREATE INDEX ` + t + `_owner_position ON ` + t + ` (owner_id, position)`,
	}, readmodels.OwnershipIndexes(t, spec.Sorts)...)
}

// Columns are the readable columns, in Scan order; the table also has the search text, written
// after them (Args).
var Columns = table.Select()

// InsertColumns are every column, in Args order.
var InsertColumns = table.Insert()

// Args returns the row's values in InsertColumns order.
func Args(d readmodels.Dialect, l *Lead) []any { return table.Args(d, l) }

// Scan reads one row in Columns order.
func Scan(row readmodels.Scanner) (*Lead, error) { return table.Scan(row) }

// Query is a lead search.
type Query struct {
	Scope    readmodels.Scope
	Q        string
	Status   []string
	Source   string
	Industry string
	OwnerID  *uuid.UUID
	Pool     *bool
	Sort     string // createdAt, updatedAt, name, nextFollowUpAt; "-" prefix for descending
	Limit    int
	Cursor   string
}

var spec = readmodels.ListSpec[*Lead]{
	Columns: Columns,
	Sorts: map[string]readmodels.SortColumn{"createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true},
		"name": {Column: "name", IsTime: false}, "nextFollowUpAt": {Column: "next_follow_up_at", IsTime: true, Nullable: true}},
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

// SortKeys lists the accepted sort keys.
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
	// Source and industry are equalities checked on the rows the scope's index walk reads (a
	// page of a scope reads its rows in index order and stops at the limit): no index of their own.
	if q.Source != "" {
		add("source = ?", q.Source)
	}
	if q.Industry != "" {
		add("industry = ?", q.Industry)
	}
	if q.OwnerID != nil {
		add("owner_id = ?", q.OwnerID.String())
	}
	if q.Pool != nil {
		add("in_pool = ?", *q.Pool)
	}
	if lq.Branches, err = db.OwnerBranches(ctx, db.Gens.Table(Projection, "lead_org_users"), q.Scope, q.OwnerID, q.Pool); err != nil {
		return readmodels.Page[*Lead]{}, err
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
func (db *Views) OwnedLeads(ctx context.Context, owner uuid.UUID, except []uuid.UUID) (int64, error) {
	return db.CountOwned(ctx, db.Gens.Table(Projection, "leads"), owner, except)
}

// LeadsAppliedUntil implements leadcmd.Directory.
func (db *Views) LeadsAppliedUntil(ctx context.Context) (time.Time, error) {
	return db.Gens.AppliedUntil(ctx, Projection)
}
