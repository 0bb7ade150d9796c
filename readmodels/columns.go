package readmodels

import (
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Col is one column of a view's table, declared once: its DDL type, the value a row writes and
// where a read puts it back. The column list, the insert arguments, the scan and the CREATE TABLE
// of a view all come from its Table, so they can never disagree.
type Col[R any] struct {
	Name string
	Type string // DDL after the name: "TEXT NOT NULL", "{time}", …
	Arg  func(d Dialect, r *R) any
	// Read returns a scan destination and the function that stores what was scanned into a row. A
	// read of many rows makes the pair once and reuses it for every row (no allocation per column
	// per row). Nil: the column is written, never read (search text).
	Read func() (dest any, store func(r *R))
}

// Table is a view's columns in order.
type Table[R any] []Col[R]

// Select is the readable columns, in scan order.
func (t Table[R]) Select() string {
	var names []string
	for _, c := range t {
		if c.Read != nil {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

// Insert is every column, in Args order.
func (t Table[R]) Insert() string {
	names := make([]string, len(t))
	for i, c := range t {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// Args are a row's values for Insert.
func (t Table[R]) Args(d Dialect, r *R) []any {
	out := make([]any, len(t))
	for i, c := range t {
		out[i] = c.Arg(d, r)
	}
	return out
}

// Scan reads one row of Select.
func (t Table[R]) Scan(row Scanner) (*R, error) {
	r := new(R)
	if err := t.Reader().Into(row, r); err != nil {
		return nil, err
	}
	return r, nil
}

// RowReader reads rows of a table's Select into records, with one set of scan destinations for
// all of them: what a read of thousands of rows uses (a calendar month, an inbox page).
type RowReader[R any] struct {
	dests  []any
	stores []func(*R)
}

// Reader is a RowReader of the table's readable columns.
func (t Table[R]) Reader() *RowReader[R] {
	rr := &RowReader[R]{dests: make([]any, 0, len(t)), stores: make([]func(*R), 0, len(t))}
	for _, c := range t {
		if c.Read == nil {
			continue
		}
		d, f := c.Read()
		rr.dests, rr.stores = append(rr.dests, d), append(rr.stores, f)
	}
	return rr
}

// All reads every row left in rows (and closes them).
func (t Table[R]) All(rows *sql.Rows) ([]*R, error) {
	defer rows.Close()
	rr := t.Reader()
	var out []*R
	for rows.Next() {
		r := new(R)
		if err := rr.Into(rows, r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Dests are the scan destinations of a row (for DB.Stream); Store puts what was scanned into r.
func (rr *RowReader[R]) Dests() []any { return rr.dests }

// Store puts the row last scanned into Dests into r.
func (rr *RowReader[R]) Store(r *R) {
	for _, f := range rr.stores {
		f(r)
	}
}

// Into scans one row into r.
func (rr *RowReader[R]) Into(row Scanner, r *R) error {
	if err := row.Scan(rr.dests...); err != nil {
		return err
	}
	for _, f := range rr.stores {
		f(r)
	}
	return nil
}

// Only is a narrower read of the same rows: the table's readable columns of the names given, in
// the table's order (what a screen that shows a few fields of many rows reads). A name the table
// lacks is a programming error and panics.
func (t Table[R]) Only(names ...string) Table[R] {
	var out Table[R]
	for _, n := range names {
		if !slices.ContainsFunc(t, func(c Col[R]) bool { return c.Name == n && c.Read != nil }) {
			panic("readmodels: no readable column " + n)
		}
	}
	for _, c := range t {
		if c.Read != nil && slices.Contains(names, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// Create is the CREATE TABLE statement of a generation's table; the first column is the key.
func (t Table[R]) Create(table string) string {
	defs := make([]string, len(t))
	for i, c := range t {
		defs[i] = c.Name + " " + c.Type
	}
	return "CREATE TABLE " + table + " (" + strings.Join(defs, ", ") + ")"
}

// Column constructors for the types views hold.

// TextCol is a NOT NULL text column.
func TextCol[R any](name string, f func(*R) *string) Col[R] {
	return Col[R]{Name: name, Type: "TEXT NOT NULL", Arg: func(_ Dialect, r *R) any { return *f(r) },
		Read: func() (any, func(*R)) {
			var s string
			return &s, func(r *R) { *f(r) = s }
		}}
}

// IDCol is a NOT NULL id column (the key when first: TEXT PRIMARY KEY).
func IDCol[R any](name, typ string, f func(*R) *uuid.UUID) Col[R] {
	return Col[R]{Name: name, Type: typ, Arg: func(_ Dialect, r *R) any { return f(r).String() },
		Read: func() (any, func(*R)) {
			var s string
			return &s, func(r *R) { *f(r), _ = uuid.Parse(s) }
		}}
}

// OptIDCol is an optional id: NULL when absent (nullable, an {id} column) or ” (NOT NULL
// DEFAULT ”, text).
func OptIDCol[R any](name string, nullable bool, f func(*R) **uuid.UUID) Col[R] {
	typ := "TEXT NOT NULL DEFAULT ''"
	if nullable {
		typ = "{id}"
	}
	return Col[R]{Name: name, Type: typ,
		Arg: func(_ Dialect, r *R) any {
			if id := *f(r); id != nil {
				return id.String()
			}
			if nullable {
				return nil
			}
			return ""
		},
		Read: func() (any, func(*R)) {
			var s sql.NullString
			return &s, func(r *R) { *f(r) = OptID(s.String) }
		}}
}

// TimeCol is a NOT NULL time.
func TimeCol[R any](name string, f func(*R) *time.Time) Col[R] {
	return Col[R]{Name: name, Type: "{time} NOT NULL", Arg: func(d Dialect, r *R) any { return d.Time(*f(r)) },
		Read: func() (any, func(*R)) {
			var t Time
			return &t, func(r *R) { *f(r) = t.T }
		}}
}

// OptTimeCol is a nullable time.
func OptTimeCol[R any](name string, f func(*R) **time.Time) Col[R] {
	return Col[R]{Name: name, Type: "{time}",
		Arg: func(d Dialect, r *R) any {
			if t := *f(r); t != nil {
				return d.Time(*t)
			}
			return nil
		},
		Read: func() (any, func(*R)) {
			var t Time
			return &t, func(r *R) { *f(r) = t.Ptr() }
		}}
}

// BoolCol is a NOT NULL boolean.
func BoolCol[R any](name string, f func(*R) *bool) Col[R] {
	return Col[R]{Name: name, Type: "{bool} NOT NULL", Arg: func(_ Dialect, r *R) any { return *f(r) },
		Read: func() (any, func(*R)) {
			var b bool
			return &b, func(r *R) { *f(r) = b }
		}}
}

// Int64Col is a NOT NULL bigint (a record's version).
func Int64Col[R any](name string, f func(*R) *int64) Col[R] {
	return Col[R]{Name: name, Type: "{bigint} NOT NULL", Arg: func(_ Dialect, r *R) any { return *f(r) },
		Read: func() (any, func(*R)) {
			var n int64
			return &n, func(r *R) { *f(r) = n }
		}}
}

// PositionCol is a global log position, stored as a NOT NULL bigint.
func PositionCol[R any](name string, f func(*R) *uint64) Col[R] {
	return Col[R]{Name: name, Type: "{bigint} NOT NULL", Arg: func(_ Dialect, r *R) any { return int64(*f(r)) },
		Read: func() (any, func(*R)) {
			var n int64
			return &n, func(r *R) { *f(r) = uint64(n) }
		}}
}

// JSONCol is a value kept as JSON text.
func JSONCol[R any](name string, f func(*R) any) Col[R] {
	return Col[R]{Name: name, Type: "TEXT NOT NULL",
		Arg: func(_ Dialect, r *R) any {
			b, _ := json.Marshal(f(r))
			return string(b)
		},
		Read: func() (any, func(*R)) {
			var s string
			return &s, func(r *R) { _ = json.Unmarshal([]byte(s), f(r)) }
		}}
}

// WriteOnly is a derived column the view writes for queries and never reads back (search text,
// a normalised name). typ is its DDL.
func WriteOnly[R any](name, typ string, arg func(d Dialect, r *R) any) Col[R] {
	return Col[R]{Name: name, Type: typ, Arg: arg}
}

// Pick is the columns named, in the table's order (a lighter read of the same rows).
func (t Table[R]) Pick(names ...string) Table[R] {
	var out Table[R]
	for _, c := range t {
		for _, n := range names {
			if c.Name == n {
				out = append(out, c)
			}
		}
	}
	return out
}

// Cols joins column groups (a view's own and the blocks it embeds) into one table.
func Cols[R any](groups ...[]Col[R]) Table[R] {
	var t Table[R]
	for _, g := range groups {
		t = append(t, g...)
	}
	return t
}
