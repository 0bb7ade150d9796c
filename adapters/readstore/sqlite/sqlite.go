// Package sqlite is the embedded read-model store: SQLite with FTS5 trigram indexes for Chinese
// substring search.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"

	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Dialect is SQLite's readmodels.Dialect.
type Dialect struct{}

var _ readmodels.Dialect = Dialect{}

// DefaultMaxConns is the size of the connection pool when Options leave it 0.
const DefaultMaxConns = 24

// Options tune the read-model database.
type Options struct {
	// MaxConns bounds the pool's connections. They read at once; writers (projections,
	// idempotency records, leases) take turns on SQLite's one write lock. 0 means DefaultMaxConns.
	MaxConns int
}

// Open opens (creating) the read-model database file.
func Open(ctx context.Context, path string) (*readmodels.DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, o Options) (*readmodels.DB, error) {
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	// The pool is larger than the number of projections (twelve, and a rebuild of all of them runs
	// a second runner each): with fewer connections than runners, runners waiting for the write lock
	// held every connection while the engine itself waited for one (a rebuild --all hung).
	// The projections, their deferred checkpoint writes and the requests' own writes (sessions,
	// idempotency keys, leases) share the one write lock, which SQLite does not hand out in turn: a
	// writer that keeps losing it was refused after the event store's 10 s (SQLITE_BUSY, seen under
	// the race detector on a loaded machine). The read store waits 30 s.
	db, err := sql.Open("sqlite", esqlite.DSN(path, "synchronous(NORMAL)", "busy_timeout(30000)")+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite read models %s: %w", path, err)
	}
	db.SetMaxOpenConns(o.MaxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite read models %s: %w", path, err)
	}
	if err := incrementalVacuum(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite read models %s: %w", path, err)
	}
	r, err := readmodels.NewDB(ctx, db, Dialect{})
	if err != nil {
		db.Close()
		return nil, err
	}
	return r, nil
}

// incrementalVacuum puts the file in auto_vacuum = INCREMENTAL mode, so that the pages of
// dropped tables (a rebuild drops the superseded generation) can be given back (Reclaim). A new
// file gets the mode before its first table; a file made by an earlier version (mode NONE) is
// converted once by a VACUUM, which rewrites the whole file (seconds per 100 MB) and needs no
// other connection to be writing.
func incrementalVacuum(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var mode int
	if err := conn.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return err
	}
	const incremental = 2
	if mode == incremental {
		return nil
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA auto_vacuum = INCREMENTAL`); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("switch to incremental auto-vacuum (one VACUUM): %w", err)
	}
	return nil
}

func (Dialect) Name() string           { return "sqlite" }
func (Dialect) Rebind(q string) string { return q }
func (Dialect) Time(t time.Time) any   { return t.UTC().Format(readmodels.TimeLayout) }
func (Dialect) IsUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// farFuture is where NULL times sort (last): the literal of readmodels' far future, the same in
// a list's ORDER BY and in the index that serves it.
const farFuture = `'9999-01-01T00:00:00.000000Z'`

func (Dialect) DDL(stmt string) string {
	return strings.NewReplacer("{far_future}", farFuture, "{time}", "TEXT", "{bool}", "INTEGER", "{bigint}", "INTEGER", "{json}", "TEXT", "{path}", "TEXT", "{id}", "TEXT", "{money}", "INTEGER").Replace(stmt)
}

// SearchIndex keeps two FTS5 tables in step with table by triggers: an external-content trigram
// table for needles of three characters or more, and a contentless table of the one- and
// two-character grams (readmodels.Grams, as tokens) for shorter ones. The gram tokens come from
// chronicle_grams, a function this package registers with the driver.
func (Dialect) SearchIndex(table string) []string {
	f, g := table+"_fts", table+"_grams"
	return []string{
		`CREATE VIRTUAL TABLE ` + f + ` USING fts5(search, content='` + table + `', content_rowid='rowid', tokenize='trigram')`,
		`CREATE VIRTUAL TABLE ` + g + ` USING fts5(grams, content='', contentless_delete=1, detail=none)`,
		`CREATE TRIGGER ` + table + `_ai AFTER INSERT ON ` + table + ` BEGIN
			INSERT INTO ` + f + `(rowid, search) VALUES (new.rowid, new.search);
			INSERT INTO ` + g + `(rowid, grams) VALUES (new.rowid, chronicle_grams(new.search)); END`,
		`CREATE TRIGGER ` + table + `_ad AFTER DELETE ON ` + table + ` BEGIN
			INSERT INTO ` + f + `(` + f + `, rowid, search) VALUES ('delete', old.rowid, old.search);
			DELETE FROM ` + g + ` WHERE rowid = old.rowid; END`,
		`CREATE TRIGGER ` + table + `_au AFTER UPDATE OF search ON ` + table + ` WHEN old.search IS NOT new.search BEGIN
			INSERT INTO ` + f + `(` + f + `, rowid, search) VALUES ('delete', old.rowid, old.search);
			INSERT INTO ` + f + `(rowid, search) VALUES (new.rowid, new.search);
			DELETE FROM ` + g + ` WHERE rowid = old.rowid;
			INSERT INTO ` + g + `(rowid, grams) VALUES (new.rowid, chronicle_grams(new.search)); END`,
	}
}

func (Dialect) DropSearchIndex(table string) []string {
	return []string{`DROP TABLE IF EXISTS ` + table + `_fts`, `DROP TABLE IF EXISTS ` + table + `_grams`}
}

// FillSearchIndex implements readmodels.Dialect: FTS5's rebuild command reads the whole content
// table once, far faster than the insert trigger row by row; the contentless gram table is
// filled from the same rows in one statement.
func (Dialect) FillSearchIndex(table string) []string {
	f, g := table+"_fts", table+"_grams"
	return []string{`INSERT INTO ` + f + `(` + f + `) VALUES ('rebuild')`,
		`INSERT INTO ` + g + `(rowid, grams) SELECT rowid, chronicle_grams(search) FROM ` + table}
}

// analysisLimit bounds the rows ANALYZE reads per index: approximate statistics in
// milliseconds instead of a full scan of every index (SQLite recommends a few hundred).
const analysisLimit = 1000

// Analyze implements readmodels.Dialect; the statements run on one connection (in a
// transaction), so the limit applies to them.
func (Dialect) Analyze(tables []string) []string {
	if len(tables) == 0 {
		return nil
	}
	out := []string{fmt.Sprintf(`PRAGMA analysis_limit = %d`, analysisLimit)}
	for _, t := range tables {
		out = append(out, `ANALYZE `+t)
	}
	return out
}

// PageCommit implements readmodels.Dialect: commits do not wait for the disk already
// (synchronous = NORMAL in WAL mode).
func (Dialect) PageCommit() string { return "" }

// Maintain implements readmodels.Dialect: SQLite's indexes need no tidying.
func (Dialect) Maintain([]string) []string { return nil }

// BulkLoad implements readmodels.Dialect: nothing to change.
func (Dialect) BulkLoad() []string { return nil }

// Reclaim implements readmodels.Dialect: the file is in incremental auto-vacuum mode (see
// Open), so dropped tables' pages are free pages until incremental_vacuum cuts them off the end
// of the file; the WAL checkpoint writes that to the main file and truncates the WAL.
func (Dialect) Reclaim() []string {
	return []string{`PRAGMA incremental_vacuum`, `PRAGMA wal_checkpoint(TRUNCATE)`}
}

func init() {
	// chronicle_grams(search) is the gram tokens of a search text (the gram index's triggers).
	if err := sqlite.RegisterDeterministicScalarFunction("chronicle_grams", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return readmodels.GramTokens(v), nil
		case []byte:
			return readmodels.GramTokens(string(v)), nil
		}
		return "", nil
	}); err != nil {
		panic(err)
	}
}

// SearchCondition uses the trigram index for needles of three characters or more and the gram
// index for shorter ones (two Chinese characters are common), exact for them.
// CustomValue implements readmodels.Dialect with SQLite's JSON functions.
func (Dialect) CustomValue(col, key, kind string) string {
	path := `'$.custom.` + key + `'`
	types := `'text'`
	if kind == "number" {
		types = `'integer', 'real'`
	}
	return `(CASE WHEN json_type(` + col + `, ` + path + `) IN (` + types + `) THEN json_extract(` + col + `, ` + path + `) END)`
}

// CustomHas implements readmodels.Dialect.
func (Dialect) CustomHas(col, key string) string {
	// json_each walks a scalar as a one-element list: check that the value is an array.
	path := `'$.custom.` + key + `'`
	return `(json_type(` + col + `, ` + path + `) = 'array' AND EXISTS (SELECT 1 FROM json_each(` + col + `, ` + path + `) WHERE json_each.type = 'text' AND json_each.value = ?))`
}

// Contains implements readmodels.Dialect.
func (Dialect) Contains(expr string) string { return `instr(` + expr + `, ?) > 0` }

func (Dialect) SearchCondition(table, needle string) (string, []any) {
	if !readmodels.ShortNeedle(needle) {
		return `rowid IN (SELECT rowid FROM ` + table + `_fts WHERE ` + table + `_fts MATCH ?)`,
			[]any{`"` + strings.ReplaceAll(needle, `"`, `""`) + `"`}
	}
	return `rowid IN (SELECT rowid FROM ` + table + `_grams WHERE ` + table + `_grams MATCH ?)`,
		[]any{`"` + readmodels.GramToken(needle) + `"`}
}

// LimitUnionArms implements readmodels.Dialect.
func (Dialect) LimitUnionArms() bool { return false }
