package readmodelstest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// record is a view row using every column constructor.
type record struct {
	ID        uuid.UUID
	Name      string
	CreatedBy uuid.UUID
	Parent    *uuid.UUID // nullable optional id
	Ref       *uuid.UUID // NOT NULL DEFAULT '' optional id
	At        time.Time
	Due       *time.Time
	Active    bool
	Version   int64
	Position  uint64
	Extra     extra
	readmodels.Ownership
}

type extra struct {
	Tags []string       `json:"tags"`
	N    float64        `json:"n"`
	M    map[string]int `json:"m,omitempty"`
}

func (r *record) search() string { return strings.ToLower(r.Name) + "\x1f" + fmt.Sprint(r.Version) }

var recordTable = readmodels.Cols(
	[]readmodels.Col[record]{
		readmodels.IDCol("id", "{id} PRIMARY KEY", func(r *record) *uuid.UUID { return &r.ID }),
		readmodels.TextCol("name", func(r *record) *string { return &r.Name }),
		readmodels.IDCol("created_by", "TEXT NOT NULL", func(r *record) *uuid.UUID { return &r.CreatedBy }),
		readmodels.OptIDCol("parent_id", true, func(r *record) **uuid.UUID { return &r.Parent }),
		readmodels.OptIDCol("ref_id", false, func(r *record) **uuid.UUID { return &r.Ref }),
		readmodels.TimeCol("created_at", func(r *record) *time.Time { return &r.At }),
		readmodels.OptTimeCol("due_at", func(r *record) **time.Time { return &r.Due }),
		readmodels.BoolCol("active", func(r *record) *bool { return &r.Active }),
		readmodels.Int64Col("version", func(r *record) *int64 { return &r.Version }),
		readmodels.PositionCol("position", func(r *record) *uint64 { return &r.Position }),
		readmodels.JSONCol("extra", func(r *record) any { return &r.Extra }),
	},
	readmodels.OwnershipCols(func(r *record) *readmodels.Ownership { return &r.Ownership }),
	[]readmodels.Col[record]{
		readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, r *record) any { return r.search() }),
		readmodels.WriteOnly("due_or_created", "{time} NOT NULL", func(d readmodels.Dialect, r *record) any {
			if r.Due != nil {
				return d.Time(*r.Due)
			}
			return d.Time(r.At)
		}),
	})

// insertRecords creates table (with the ownership indexes) and inserts rows through the Table.
func (e *env) insertRecords(table string, rows []record) {
	e.Helper()
	e.ddl(append([]string{recordTable.Create(table)}, readmodels.OwnershipIndexes(table, idSpec(table).Sorts)...)...)
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(recordTable)), ", ")
	for i := range rows {
		e.exec(`INSERT INTO `+table+` (`+recordTable.Insert()+`) VALUES (`+ph+`)`, recordTable.Args(e.d(), &rows[i])...)
	}
}

// diffRecord lists the fields that differ.
func diffRecord(got, want *record) []string {
	var d []string
	check := func(name string, eq bool, g, w any) {
		if !eq {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	optID := func(p *uuid.UUID) string {
		if p == nil {
			return "<nil>"
		}
		return p.String()
	}
	optTime := func(p *time.Time) string {
		if p == nil {
			return "<nil>"
		}
		return p.UTC().Format(time.RFC3339Nano) + " " + p.Location().String()
	}
	check("ID", got.ID == want.ID, got.ID, want.ID)
	check("Name", got.Name == want.Name, got.Name, want.Name)
	check("CreatedBy", got.CreatedBy == want.CreatedBy, got.CreatedBy, want.CreatedBy)
	check("Parent", optID(got.Parent) == optID(want.Parent), optID(got.Parent), optID(want.Parent))
	check("Ref", optID(got.Ref) == optID(want.Ref), optID(got.Ref), optID(want.Ref))
	check("At", got.At.Equal(want.At) && got.At.Location() == time.UTC, got.At, want.At)
	var wantDue *time.Time
	if want.Due != nil {
		wantDue = ptr(want.Due.UTC())
	}
	check("Due", optTime(got.Due) == optTime(wantDue), optTime(got.Due), optTime(wantDue))
	check("Active", got.Active == want.Active, got.Active, want.Active)
	check("Version", got.Version == want.Version, got.Version, want.Version)
	check("Position", got.Position == want.Position, got.Position, want.Position)
	check("Extra", fmt.Sprint(got.Extra) == fmt.Sprint(want.Extra), got.Extra, want.Extra)
	check("OwnerID", optID(got.OwnerID) == optID(want.OwnerID), optID(got.OwnerID), optID(want.OwnerID))
	check("InPool", got.InPool == want.InPool, got.InPool, want.InPool)
	check("OwnerDeptID", got.OwnerDeptID == want.OwnerDeptID, got.OwnerDeptID, want.OwnerDeptID)
	check("OwnerDeptPath", got.OwnerDeptPath == want.OwnerDeptPath, got.OwnerDeptPath, want.OwnerDeptPath)
	check("OwnerSupPath", got.OwnerSupPath == want.OwnerSupPath, got.OwnerSupPath, want.OwnerSupPath)
	return d
}

// testTable: a Table writes every kind of column and reads back an equal row; optional ids
// are NULL or ” as declared; write-only columns are written and not read.
func testTable(e *env) {
	t := e.name("records")
	east := time.FixedZone("UTC+8", 8*3600)
	owner, dept := uuid.New(), uuid.New()
	rows := []record{{
		ID: uuid.New(), Name: "北京星河科技有限公司 ACME", CreatedBy: uuid.New(), Parent: ptr(uuid.New()), Ref: ptr(uuid.New()),
		At: time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC), Due: ptr(time.Date(2026, 2, 3, 12, 0, 0, 1000, east)),
		Active: true, Version: 1<<40 + 1, Position: 1<<62 + 5,
		Extra: extra{Tags: []string{"重要", "vip"}, N: 2.5, M: map[string]int{"a": 1}},
		Ownership: readmodels.Ownership{OwnerID: &owner, OwnerDeptID: dept.String(), OwnerDeptPath: "/" + dept.String() + "/",
			OwnerSupPath: "/" + uuid.NewString() + "/"},
	}, {
		ID: uuid.New(), Name: "", CreatedBy: uuid.New(), At: time.Date(2025, 12, 31, 23, 59, 59, 999999000, east),
		Extra: extra{}, Ownership: readmodels.Ownership{InPool: true},
	}}
	e.insertRecords(t, rows)

	sel := recordTable.Select()
	for _, c := range []string{"search", "due_or_created"} {
		if slices.Contains(strings.Split(sel, ", "), c) {
			e.Errorf("Select() %q reads the write-only column %s", sel, c)
		}
		if !slices.Contains(strings.Split(recordTable.Insert(), ", "), c) {
			e.Errorf("Insert() %q omits the write-only column %s", recordTable.Insert(), c)
		}
	}
	for i := range rows {
		want := &rows[i]
		got, err := recordTable.Scan(e.db.SQL.QueryRowContext(e.ctx, e.db.Q(`SELECT `+sel+` FROM `+t+` WHERE id = ?`), want.ID.String()))
		if err != nil {
			e.Fatalf("scan row %d: %v", i, err)
		}
		for _, d := range diffRecord(got, want) {
			e.Errorf("row %d %s", i, d)
		}
		var search string
		var doc readmodels.Time
		if err := e.db.SQL.QueryRowContext(e.ctx, e.db.Q(`SELECT search, due_or_created FROM `+t+` WHERE id = ?`), want.ID.String()).Scan(&search, &doc); err != nil {
			e.Fatalf("write-only columns of row %d: %v", i, err)
		}
		wantDoc := want.At
		if want.Due != nil {
			wantDoc = *want.Due
		}
		if search != want.search() || !doc.T.Equal(wantDoc) {
			e.Errorf("row %d write-only columns: %q %v, want %q %v", i, search, doc.T, want.search(), wantDoc)
		}
	}
	// Absent optional ids: NULL in the nullable column, '' in the NOT NULL one.
	if got := e.strings(`SELECT id FROM ` + t + ` WHERE parent_id IS NULL AND owner_id IS NULL AND ref_id = ''`); !slices.Equal(got, []string{rows[1].ID.String()}) {
		e.Errorf("absent optional ids stored as NULL / '': %v", got)
	}
	if got := e.strings(`SELECT id FROM `+t+` WHERE in_pool = ? AND active = ?`, true, false); !slices.Equal(got, []string{rows[1].ID.String()}) {
		e.Errorf("in_pool = true AND active = false: %v", got)
	}
	if got := e.strings(`SELECT id FROM `+t+` WHERE position = ? AND version = ?`, int64(rows[0].Position), rows[0].Version); !slices.Equal(got, []string{rows[0].ID.String()}) {
		e.Errorf("position and version as query arguments: %v", got)
	}
	// The key rejects a second row with the same id.
	dup := rows[0]
	_, err := e.db.SQL.ExecContext(e.ctx, e.db.Q(`INSERT INTO `+t+` (`+recordTable.Insert()+`) VALUES (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(recordTable)), ", ")+`)`), recordTable.Args(e.d(), &dup)...)
	if !e.d().IsUniqueViolation(err) {
		e.Errorf("second row with the same id: %v, want a unique violation", err)
	}
}
