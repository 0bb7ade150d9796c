// Package sqlite is the embedded read-model store: SQLite with FTS5 trigram indexes for Chinese
// substring search.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Dialect is SQLite's readmodels.Dialect.
type Dialect struct{}

var _ readmodels.Dialect = Dialect{}

// Open opens (creating) the read-model database file.
func Open(ctx context.Context, path string) (*readmodels.DB, error) {
	db, err := sql.Open("sqlite", esqlite.DSN(path, "synchronous(NORMAL)")+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite read models %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
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

func (Dialect) DDL(stmt string) string {
	return strings.NewReplacer("{time}", "TEXT", "{bool}", "INTEGER", "{bigint}", "INTEGER", "{json}", "TEXT", "{path}", "TEXT").Replace(stmt)
}

// SearchIndex keeps an external-content FTS5 trigram table in step with table by triggers.
func (Dialect) SearchIndex(table string) []string {
	f := table + "_fts"
	return []string{
		`CREATE VIRTUAL TABLE ` + f + ` USING fts5(search, content='` + table + `', content_rowid='rowid', tokenize='trigram')`,
		`CREATE TRIGGER ` + table + `_ai AFTER INSERT ON ` + table + ` BEGIN
			INSERT INTO ` + f + `(rowid, search) VALUES (new.rowid, new.search); END`,
		`CREATE TRIGGER ` + table + `_ad AFTER DELETE ON ` + table + ` BEGIN
			INSERT INTO ` + f + `(` + f + `, rowid, search) VALUES ('delete', old.rowid, old.search); END`,
		`CREATE TRIGGER ` + table + `_au AFTER UPDATE OF search ON ` + table + ` WHEN old.search IS NOT new.search BEGIN
			INSERT INTO ` + f + `(` + f + `, rowid, search) VALUES ('delete', old.rowid, old.search);
			INSERT INTO ` + f + `(rowid, search) VALUES (new.rowid, new.search); END`,
	}
}

func (Dialect) DropSearchIndex(table string) []string {
	return []string{`DROP TABLE IF EXISTS ` + table + `_fts`}
}

// FillSearchIndex implements readmodels.Dialect: FTS5's rebuild command reads the whole content
// table once, far faster than the insert trigger row by row.
func (Dialect) FillSearchIndex(table string) []string {
	f := table + "_fts"
	return []string{`INSERT INTO ` + f + `(` + f + `) VALUES ('rebuild')`}
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

// BulkLoad implements readmodels.Dialect: commits do not wait for the disk already
// (synchronous = NORMAL in WAL mode).
func (Dialect) BulkLoad() []string { return nil }

// Reclaim implements readmodels.Dialect: the file is in incremental auto-vacuum mode (see
// Open), so dropped tables' pages are free pages until incremental_vacuum cuts them off the end
// of the file; the WAL checkpoint writes that to the main file and truncates the WAL.
func (Dialect) Reclaim() []string {
	return []string{`PRAGMA incremental_vacuum`, `PRAGMA wal_checkpoint(TRUNCATE)`}
}

// SearchCondition uses the trigram index for needles of three characters or more; shorter
// needles (two Chinese characters are common) scan the search column.
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
	if utf8.RuneCountInString(needle) >= 3 {
		return `rowid IN (SELECT rowid FROM ` + table + `_fts WHERE ` + table + `_fts MATCH ?)`,
			[]any{`"` + strings.ReplaceAll(needle, `"`, `""`) + `"`}
	}
	return `search LIKE ? ESCAPE '\'`, []any{"%" + readmodels.LikeEscape(needle) + "%"}
}
