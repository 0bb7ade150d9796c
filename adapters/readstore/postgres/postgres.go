// Package postgres is the production read-model store: PostgreSQL with pg_trgm GIN indexes for
// Chinese substring search.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also the database/sql driver "pgx"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// Dialect is PostgreSQL's readmodels.Dialect.
type Dialect struct{}

var _ readmodels.Dialect = Dialect{}

// DefaultMaxConns is the size of the connection pool when Options leave it 0.
const DefaultMaxConns = 20

// Options tune the read-model database.
type Options struct {
	// MaxConns bounds the pool's connections (queries, projection transactions, leases); all of
	// them stay open while idle, so a steady load does not reconnect. 0 means DefaultMaxConns.
	MaxConns int
}

// Open connects to the read-model database and makes sure pg_trgm is installed.
func Open(ctx context.Context, url string) (*readmodels.DB, error) {
	return OpenWith(ctx, url, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, o Options) (*readmodels.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres read models: %w", err)
	}
	// Every read plans with its own values: a cached generic plan cannot use the trigram index
	// for LIKE $1 (the pattern is unknown) and walks the sort index instead, 10x slower for a rare
	// keyword; which list branch or keyword form is cheapest also depends on the values.
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	db, err := sql.Open("pgx", stdlib.RegisterConnConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("open postgres read models: %w", err)
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres read models unreachable: %w", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm`); err != nil {
		// Another process may be creating it at the same moment; it only has to exist.
		var ok bool
		if qerr := db.QueryRowContext(ctx, `SELECT true FROM pg_extension WHERE extname = 'pg_trgm'`).Scan(&ok); qerr != nil {
			db.Close()
			return nil, fmt.Errorf("postgres read models need the pg_trgm extension: %w", err)
		}
	}
	if err := createGramsFunction(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	r, err := readmodels.NewDB(ctx, db, Dialect{})
	if err != nil {
		db.Close()
		return nil, err
	}
	return r, nil
}

func (Dialect) Name() string         { return "postgres" }
func (Dialect) Time(t time.Time) any { return t.UTC() }

func (Dialect) IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}

// farFuture is where NULL times sort (last): the literal of readmodels' far future, the same in
// a list's ORDER BY and in the index that serves it.
const farFuture = `'9999-01-01 00:00:00+00'::timestamptz`

func (Dialect) DDL(stmt string) string {
	return strings.NewReplacer("{far_future}", farFuture, "{time}", "TIMESTAMPTZ", "{bool}", "BOOLEAN", "{bigint}", "BIGINT", "{json}", "JSONB", "{path}", `TEXT COLLATE "C"`, "{id}", "UUID", "{money}", "NUMERIC(17,2)").Replace(stmt)
}

// Rebind turns ? into $1, $2, ... outside single-quoted literals.
func (Dialect) Rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (Dialect) SearchIndex(table string) []string {
	return []string{`CREATE INDEX ` + table + `_search ON ` + table + ` USING gin (search gin_trgm_ops)`,
		`CREATE INDEX ` + table + `_grams ON ` + table + ` USING gin (chronicle_grams2(search))`}
}
func (Dialect) DropSearchIndex(string) []string { return nil } // dropped with the table

// FillSearchIndex implements readmodels.Dialect: CREATE INDEX indexes the rows already there.
func (Dialect) FillSearchIndex(string) []string { return nil }

// Analyze implements readmodels.Dialect. Autovacuum may be off (it is on the test server), so
// statistics are never left to it.
func (Dialect) Analyze(tables []string) []string {
	if len(tables) == 0 {
		return nil
	}
	return []string{`ANALYZE ` + strings.Join(tables, ", ")}
}

// PageCommit implements readmodels.Dialect. A projection's page need not wait for its WAL flush
// (one fsync less between a command's append and the moment its read-back can answer): a page
// lost in a crash of the database server is applied again from the checkpoint, which commits with
// it, and no reader can have been told more than the log holds durably (the events were flushed
// before the command answered). A lost switch of a rebuild leaves the old generation serving, and
// the old generation is only dropped by a later, synchronous commit, which flushes the switch
// before it. Everything else written to the read-model database (idempotency records, leases,
// sessions' bookkeeping) keeps synchronous commits. set_config(…, true) is SET LOCAL as an
// expression: evaluated in the checkpoint's UPDATE it turns the flush off for the transaction
// that statement belongs to (which, for a skipped page, is the statement alone), without a round
// trip of its own.
func (Dialect) PageCommit() string { return ` RETURNING set_config('synchronous_commit', 'off', true)` }

// Maintain implements readmodels.Dialect: the pending lists of the tables' GIN indexes (the
// search indexes, fastupdate on) are merged by gin_clean_pending_list, outside any page.
// Autovacuum would do it too, but may be off or late after a burst.
func (Dialect) Maintain(tables []string) []string {
	out := make([]string, 0, len(tables))
	for _, t := range tables {
		out = append(out, `SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
			WHERE a.amname = 'gin' AND i.indrelid = to_regclass('`+strings.ReplaceAll(t, "'", "''")+`')`)
	}
	return out
}

// BulkLoad implements readmodels.Dialect: index builds at a rebuild's switch get more memory than
// the 64 MB default (a GIN trigram build over 85,000 rows took 3x longer with it).
func (Dialect) BulkLoad() []string { return []string{`SET LOCAL maintenance_work_mem = '256MB'`} }

// Copy implements readmodels.Copier with COPY FROM STDIN.
func (Dialect) Copy(ctx context.Context, driverConn any, table string, cols []string, rows [][]any) error {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return fmt.Errorf("copy into %s: driver connection is %T, not pgx", table, driverConn)
	}
	_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	return err
}

// Stream implements readmodels.RowStreamer with pgx's own rows: values are decoded straight into
// the destinations (no driver values in between).
func (Dialect) Stream(ctx context.Context, driverConn any, query string, args []any, dests []any, each func() error) error {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return fmt.Errorf("stream: driver connection is %T, not pgx", driverConn)
	}
	rows, err := c.Conn().Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return readmodels.EachRow(rows, dests, each)
}

// Reclaim implements readmodels.Dialect: DROP TABLE removes the table's files.
func (Dialect) Reclaim() []string { return nil }

// SearchCondition is a LIKE the trigram index serves for needles of three characters or more;
// shorter ones have no trigram and look up the gram index (chronicle_grams2), which is exact for
// them (a row has the gram exactly when its text holds the needle), so no heap check is needed and
// a count can skip the heap of all-visible pages.
// CustomValue implements readmodels.Dialect with jsonb operators (the column holds JSON text).
func (Dialect) CustomValue(col, key, kind string) string {
	v := `(` + col + `::jsonb -> 'custom' -> '` + key + `')`
	if kind == "number" {
		return `(CASE WHEN jsonb_typeof(` + v + `) = 'number' THEN (` + v + ` #>> '{}')::float8 END)`
	}
	return `(CASE WHEN jsonb_typeof(` + v + `) = 'string' THEN ` + v + ` #>> '{}' END)`
}

// CustomHas implements readmodels.Dialect.
func (Dialect) CustomHas(col, key string) string {
	return `(jsonb_typeof(` + col + `::jsonb -> 'custom' -> '` + key + `') = 'array' AND ` + col + `::jsonb -> 'custom' -> '` + key + `' @> jsonb_build_array(?::text))`
}

// Contains implements readmodels.Dialect.
func (Dialect) Contains(expr string) string { return `strpos(` + expr + `, ?) > 0` }

func (Dialect) SearchCondition(_, needle string) (string, []any) {
	if readmodels.ShortNeedle(needle) {
		return `chronicle_grams2(search) @> ARRAY[?]::text[]`, []any{needle}
	}
	return `search LIKE ? ESCAPE '\'`, []any{"%" + readmodels.LikeEscape(needle) + "%"}
}

// LimitUnionArms implements readmodels.Dialect.
func (Dialect) LimitUnionArms() bool { return true }

// gramsFunction is readmodels.Grams in SQL: the one- and two-character substrings of a search
// text that do not hold the field separator (chr(31)), as a set (a GIN index keeps each key of a
// row once, so neither order nor repeats matter). The gram index is a GIN index on it. Changing
// what it returns changes what existing indexes mean: give a new body a new name (the index
// expression then changes, and with it the schema, so the tables are rebuilt).
//
// chronicle_grams2 finds the characters with regexp_split_to_array and the pairs with two
// regexp_matches passes (from the first and from the second character), each linear in the
// text; chronicle_grams took substr(s, i, n) for every i, quadratic in UTF-8, and sorted its
// result: building the leads' gram index spent 16.6 s of a 20.8 s rebuild switch on it at
// 185,000 leads (12.5 s now).
const gramsFunction = `CREATE FUNCTION chronicle_grams2(s text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT ARRAY(SELECT c FROM unnest(regexp_split_to_array(s, '')) AS c WHERE c <> '' AND c <> chr(31))
	|| ARRAY(SELECT m[1] FROM regexp_matches(s, '(..)', 'g') AS m WHERE strpos(m[1], chr(31)) = 0)
	|| ARRAY(SELECT m[1] FROM regexp_matches(substr(s, 2), '(..)', 'g') AS m WHERE strpos(m[1], chr(31)) = 0) $$`

// createGramsFunction creates chronicle_grams2 unless it exists (another process may be creating
// it at the same moment; it only has to exist).
func createGramsFunction(ctx context.Context, db *sql.DB) error {
	exists := func() bool {
		var ok bool
		err := db.QueryRowContext(ctx, `SELECT true FROM pg_proc WHERE proname = 'chronicle_grams2' AND pronamespace = current_schema()::regnamespace`).Scan(&ok)
		return err == nil && ok
	}
	if exists() {
		return nil
	}
	if _, err := db.ExecContext(ctx, gramsFunction); err != nil && !exists() {
		return fmt.Errorf("postgres read models: create chronicle_grams2: %w", err)
	}
	return nil
}
