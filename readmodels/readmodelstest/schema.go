package readmodelstest

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// testDDL: every marker makes a column that stores and compares its kind of value, and a
// statement with more than ten placeholders binds each argument to its own place.
func testDDL(e *env) {
	t := e.name("ddl")
	e.ddl(`CREATE TABLE ` + t + ` (
		id TEXT PRIMARY KEY, at {time} NOT NULL, flag {bool} NOT NULL, big {bigint} NOT NULL,
		doc {json} NOT NULL, path {path} NOT NULL,
		c1 TEXT NOT NULL, c2 TEXT NOT NULL, c3 TEXT NOT NULL, c4 TEXT NOT NULL, c5 TEXT NOT NULL, c6 TEXT NOT NULL)`)
	at := time.Date(2026, 5, 4, 3, 2, 1, 654321000, time.UTC)
	type row struct {
		id    string
		flag  bool
		big   int64
		doc   string
		path  string
		extra [6]string
	}
	in := []row{
		{"r1", true, 1<<62 + 3, `{"k":[1,"二"],"n":null}`, "/a/", [6]string{"v7", "v8", "v9", "v10", "v11", "v12"}},
		{"r2", false, -5, `{}`, "/a/b/", [6]string{"w7", "w8", "w9", "w10", "w11", "w12"}},
		{"r3", true, 0, `[]`, "/B/", [6]string{"x7", "x8", "x9", "x10", "x11", "x12"}},
		{"r4", false, 1 << 40, `"s"`, "/a-/", [6]string{"y7", "y8", "y9", "y10", "y11", "y12"}},
		{"r5", true, 7, `3.5`, "/é/", [6]string{"z7", "z8", "z9", "z10", "z11", "z12"}},
	}
	for _, r := range in {
		e.exec(`INSERT INTO `+t+` (id, at, flag, big, doc, path, c1, c2, c3, c4, c5, c6) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.id, e.d().Time(at), r.flag, r.big, r.doc, r.path, r.extra[0], r.extra[1], r.extra[2], r.extra[3], r.extra[4], r.extra[5])
	}
	for _, want := range in {
		var got row
		var gotAt readmodels.Time
		err := e.db.SQL.QueryRowContext(e.ctx, e.db.Q(`SELECT id, at, flag, big, doc, path, c1, c2, c3, c4, c5, c6 FROM `+t+` WHERE id = ?`), want.id).
			Scan(&got.id, &gotAt, &got.flag, &got.big, &got.doc, &got.path, &got.extra[0], &got.extra[1], &got.extra[2], &got.extra[3], &got.extra[4], &got.extra[5])
		if err != nil {
			e.Fatalf("select %s: %v", want.id, err)
		}
		if !gotAt.Valid || !gotAt.T.Equal(at) {
			e.Errorf("%s: at = %v, want %v", want.id, gotAt, at)
		}
		var gj, wj any
		if err := json.Unmarshal([]byte(got.doc), &gj); err != nil {
			e.Errorf("%s: {json} column gave back %q: %v", want.id, got.doc, err)
		}
		_ = json.Unmarshal([]byte(want.doc), &wj)
		if !reflect.DeepEqual(gj, wj) {
			e.Errorf("%s: doc = %s, want %s", want.id, got.doc, want.doc)
		}
		got.doc = want.doc
		if got != want {
			e.Errorf("round trip: got %+v, want %+v", got, want)
		}
	}

	// Conditions on each kind.
	if got := e.strings(`SELECT id FROM `+t+` WHERE flag = ? ORDER BY id`, true); !reflect.DeepEqual(got, []string{"r1", "r3", "r5"}) {
		e.Errorf("flag = true: %v", got)
	}
	if got := e.strings(`SELECT id FROM `+t+` WHERE big > ? ORDER BY big`, int64(1<<31)); !reflect.DeepEqual(got, []string{"r4", "r1"}) {
		e.Errorf("big > 2^31: %v", got)
	}
	// {path} orders by bytes (upper case before lower, '-' before '/', multi-byte last) and
	// serves prefix ranges.
	if got := e.strings(`SELECT path FROM ` + t + ` ORDER BY path`); !reflect.DeepEqual(got, []string{"/B/", "/a-/", "/a/", "/a/b/", "/é/"}) {
		e.Errorf("{path} order: %q", got)
	}
	if got := e.strings(`SELECT path FROM `+t+` WHERE path >= ? AND path < ? ORDER BY path`, "/a/", "/a/\uffff"); !reflect.DeepEqual(got, []string{"/a/", "/a/b/"}) {
		e.Errorf("{path} prefix range /a/: %q", got)
	}

	// Eleven placeholders in one statement, and a quoted '?' that is not one.
	ids := []any{"none1", "r5", "none2", "none3", "none4", "none5", "none6", "none7", "none8", "r2", "none9"}
	var lit string
	var n int
	err := e.db.SQL.QueryRowContext(e.ctx, e.db.Q(`SELECT '?', count(*) FROM `+t+` WHERE id IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), ids...).Scan(&lit, &n)
	if err != nil {
		e.Fatalf("eleven placeholders: %v", err)
	}
	if lit != "?" || n != 2 {
		e.Errorf("eleven placeholders: literal %q count %d, want \"?\" 2", lit, n)
	}
	// The tenth and eleventh arguments land in their own places (not $1 followed by a 0).
	got := e.strings(`SELECT c6 FROM `+t+` WHERE c1 = ? AND c2 = ? AND c3 = ? AND c4 = ? AND c5 = ? AND c6 = ? AND id = ? AND flag = ? AND big = ? AND path = ? AND c4 <> ?`,
		"w7", "w8", "w9", "w10", "w11", "w12", "r2", false, int64(-5), "/a/b/", "v10")
	if !reflect.DeepEqual(got, []string{"w12"}) {
		e.Errorf("eleven conditions: %v", got)
	}
}

// testTimes: times are stored at microsecond precision in UTC whatever the input's zone, compare
// as instants, and NULLs stay NULL.
func testTimes(e *env) {
	t := e.name("times")
	e.ddl(`CREATE TABLE ` + t + ` (id TEXT PRIMARY KEY, at {time} NOT NULL, opt {time})`)
	east := time.FixedZone("UTC+8", 8*3600)
	west := time.FixedZone("UTC-5", -5*3600)
	in := []struct {
		id  string
		at  time.Time
		opt *time.Time
	}{
		{"a", time.Date(2026, 3, 1, 12, 34, 56, 123456000, time.UTC), nil},
		{"b", time.Date(2026, 3, 1, 20, 34, 56, 123457000, east), ptr(time.Date(2026, 3, 2, 0, 0, 0, 1000, time.UTC))}, // 12:34:56.123457Z
		{"c", time.Date(1999, 12, 31, 23, 59, 59, 999999000, west), ptr(time.Date(2000, 1, 1, 0, 0, 0, 0, east))},      // 2000-01-01T04:59:59.999999Z
		{"d", time.Date(2026, 3, 1, 13, 0, 0, 0, west), nil},                                                           // 18:00Z
		{"e", time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC), nil},
	}
	for _, r := range in {
		var opt any
		if r.opt != nil {
			opt = e.d().Time(*r.opt)
		}
		e.exec(`INSERT INTO `+t+` (id, at, opt) VALUES (?, ?, ?)`, r.id, e.d().Time(r.at), opt)
	}
	for _, r := range in {
		var at, opt readmodels.Time
		if err := e.db.SQL.QueryRowContext(e.ctx, e.db.Q(`SELECT at, opt FROM `+t+` WHERE id = ?`), r.id).Scan(&at, &opt); err != nil {
			e.Fatalf("select %s: %v", r.id, err)
		}
		if !at.Valid || !at.T.Equal(r.at) || at.T.Location() != time.UTC {
			e.Errorf("%s: at = %v (valid %v), want %v in UTC", r.id, at.T, at.Valid, r.at.UTC())
		}
		switch {
		case r.opt == nil && (opt.Valid || opt.Ptr() != nil):
			e.Errorf("%s: NULL opt scanned as %v", r.id, opt.T)
		case r.opt != nil && (!opt.Valid || !opt.T.Equal(*r.opt) || opt.T.Location() != time.UTC):
			e.Errorf("%s: opt = %v (valid %v), want %v", r.id, opt.T, opt.Valid, r.opt.UTC())
		}
	}
	// Instants order and compare across the zones they were given in.
	if got := e.strings(`SELECT id FROM ` + t + ` ORDER BY at`); !reflect.DeepEqual(got, []string{"c", "a", "b", "e", "d"}) {
		e.Errorf("ORDER BY at: %v", got)
	}
	if got := e.strings(`SELECT id FROM `+t+` WHERE at > ? ORDER BY at`, e.d().Time(in[0].at.In(west))); !reflect.DeepEqual(got, []string{"b", "e", "d"}) {
		e.Errorf("at > a (one microsecond before b): %v", got)
	}
	if got := e.strings(`SELECT id FROM `+t+` WHERE at = ?`, e.d().Time(in[1].at.UTC())); !reflect.DeepEqual(got, []string{"b"}) {
		e.Errorf("at = b given in UTC: %v", got)
	}
	if got := e.strings(`SELECT id FROM `+t+` WHERE at = ?`, e.d().Time(in[2].at.In(east))); !reflect.DeepEqual(got, []string{"c"}) {
		e.Errorf("at = c given in UTC+8: %v", got)
	}
	if got := e.strings(`SELECT id FROM ` + t + ` WHERE opt IS NULL ORDER BY id`); !reflect.DeepEqual(got, []string{"a", "d", "e"}) {
		e.Errorf("opt IS NULL: %v", got)
	}

	// The same through a Table's TimeCol and OptTimeCol.
	type timed struct {
		ID  string
		At  time.Time
		Opt *time.Time
	}
	tbl := readmodels.Table[timed]{
		readmodels.TextCol("id", func(r *timed) *string { return &r.ID }),
		readmodels.TimeCol("at", func(r *timed) *time.Time { return &r.At }),
		readmodels.OptTimeCol("opt", func(r *timed) **time.Time { return &r.Opt }),
	}
	t2 := e.name("timecols")
	e.ddl(tbl.Create(t2))
	rows := []timed{
		{"x", time.Date(2026, 7, 8, 9, 10, 11, 12000, east), nil},
		{"y", time.Date(2026, 7, 8, 9, 10, 11, 999999000, time.UTC), ptr(time.Date(2030, 1, 2, 3, 4, 5, 6000, west))},
	}
	for i := range rows {
		e.exec(`INSERT INTO `+t2+` (`+tbl.Insert()+`) VALUES (?, ?, ?)`, tbl.Args(e.d(), &rows[i])...)
	}
	for _, want := range rows {
		got, err := tbl.Scan(e.db.SQL.QueryRowContext(e.ctx, e.db.Q(`SELECT `+tbl.Select()+` FROM `+t2+` WHERE id = ?`), want.ID))
		if err != nil {
			e.Fatalf("scan %s: %v", want.ID, err)
		}
		if !got.At.Equal(want.At) || got.At.Location() != time.UTC {
			e.Errorf("%s: TimeCol %v, want %v in UTC", want.ID, got.At, want.At.UTC())
		}
		if (got.Opt == nil) != (want.Opt == nil) || (got.Opt != nil && (!got.Opt.Equal(*want.Opt) || got.Opt.Location() != time.UTC)) {
			e.Errorf("%s: OptTimeCol %v, want %v", want.ID, got.Opt, want.Opt)
		}
	}
}

// testUnique: duplicate keys (primary or unique, wrapped or not) are unique violations; other
// constraint and statement errors are not.
func testUnique(e *env) {
	t := e.name("uniq")
	e.ddl(`CREATE TABLE ` + t + ` (id TEXT PRIMARY KEY, name TEXT NOT NULL, code TEXT UNIQUE)`)
	e.exec(`INSERT INTO `+t+` (id, name, code) VALUES (?, ?, ?)`, "k1", "n", "c1")
	ins := func(args ...any) error {
		_, err := e.db.SQL.ExecContext(e.ctx, e.db.Q(`INSERT INTO `+t+` (id, name, code) VALUES (?, ?, ?)`), args...)
		return err
	}
	d := e.d()
	dupKey := ins("k1", "other", "c2")
	if dupKey == nil || !d.IsUniqueViolation(dupKey) {
		e.Errorf("duplicate primary key: IsUniqueViolation(%v) = false", dupKey)
	}
	if !d.IsUniqueViolation(fmt.Errorf("insert lead: %w", dupKey)) {
		e.Errorf("wrapped duplicate primary key: IsUniqueViolation = false")
	}
	if err := ins("k2", "n", "c1"); err == nil || !d.IsUniqueViolation(err) {
		e.Errorf("duplicate unique column: IsUniqueViolation(%v) = false", err)
	}
	if err := ins("k3", nil, "c3"); err == nil || d.IsUniqueViolation(err) {
		e.Errorf("NOT NULL violation: IsUniqueViolation(%v) = true or no error", err)
	}
	_, err := e.db.SQL.ExecContext(e.ctx, `INSERT INTO `+t+`_missing (id) VALUES ('x')`)
	if err == nil || d.IsUniqueViolation(err) {
		e.Errorf("missing table: IsUniqueViolation(%v) = true or no error", err)
	}
	for _, err := range []error{nil, sql.ErrNoRows, errors.New("unique")} {
		if d.IsUniqueViolation(err) {
			e.Errorf("IsUniqueViolation(%v) = true", err)
		}
	}
	var n int
	if err := e.db.SQL.QueryRowContext(e.ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil || n != 1 {
		e.Errorf("rows after the violations: %d (%v), want 1", n, err)
	}
}

func ptr[T any](v T) *T { return &v }
