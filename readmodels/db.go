// Package readmodels holds the query side: read-model tables, the query services over them
// (search, pool, lists) and the operational tables (projection checkpoints, sessions,
// idempotency keys). SQL is written once with ? placeholders and {type} markers; the dialect
// adapters (adapters/readstore/sqlite, adapters/readstore/postgres) supply what differs.
package readmodels

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Dialect is what differs between SQLite and PostgreSQL.
type Dialect interface {
	Name() string
	// Rebind turns ? placeholders into the engine's own.
	Rebind(query string) string
	// DDL replaces {time}, {bool}, {bigint}, {json}, {path} (byte-ordered text, for prefix
	// ranges on organisation paths) and {id} (a record id: 16 bytes where the engine has a uuid
	// type, the keys of every list index) with column types, and {far_future} with the literal
	// of the time NULLs sort as (year 9999). Ids are passed and scanned as text either way.
	// {money} is an exact amount: NUMERIC(17,2), or INTEGER fen (see MoneyArg and Money).
	DDL(stmt string) string
	// Time is how a time is passed as an argument and compared.
	Time(t time.Time) any
	// SearchIndex returns the statements that index the "search" column of table for substring
	// search, and DropSearchIndex those that remove it.
	SearchIndex(table string) []string
	DropSearchIndex(table string) []string
	// FillSearchIndex returns the statements that index the rows already in table, run right
	// after SearchIndex's statements when a rebuild creates the search index after loading.
	FillSearchIndex(table string) []string
	// Analyze returns the statements that refresh the planner's statistics of the tables.
	Analyze(tables []string) []string
	// Maintain returns the statements that tidy the tables after a burst of writes, run beside
	// the pages (none where the engine needs no help). On PostgreSQL they merge the pending
	// lists of the GIN indexes into the indexes: otherwise the insert that finds a list full
	// merges it inside its page's transaction, and every read-back waiting on that page waits
	// for it (100 ms and more on the leads' search indexes).
	Maintain(tables []string) []string
	// PageCommit returns a clause appended to the statement that advances a projection's
	// checkpoint (the last statement of a page's transaction, or the only one of a skipped page):
	// it may trade durability for speed, because the page's checkpoint commits with it and the log
	// keeps the events, so a page lost in a crash is applied again from the checkpoint. It costs
	// no statement of its own.
	PageCommit() string
	// BulkLoad returns the further statements that start a transaction of a rebuild's bulk load
	// (more memory for building indexes).
	BulkLoad() []string
	// Reclaim returns the statements that give the space of dropped tables back to the file
	// system (none where dropping a table already does).
	Reclaim() []string
	// SearchCondition returns a WHERE condition (with ? placeholders) matching rows of table
	// whose search column contains the lower-cased needle.
	SearchCondition(table, needle string) (string, []any)
	// IsUniqueViolation reports a unique-constraint error.
	IsUniqueViolation(err error) bool
	// CustomValue is an expression of the custom field key in the JSON text column col (the
	// object at "custom"): its text when kind is "text" and the value is a string, its number when
	// kind is "number" and the value is a number, else NULL. key is [a-z][a-z0-9_]*.
	CustomValue(col, key, kind string) string
	// CustomHas is a condition with one ? placeholder: the custom value key of col is a JSON
	// array that holds that string.
	CustomHas(col, key string) string
	// LimitUnionArms reports whether each SELECT of a list's UNION ALL of branches must order
	// and limit itself to a page (PostgreSQL: it appends the arms and sorts what they return);
	// otherwise the engine merges the arms of a compound SELECT in order (SQLite).
	LimitUnionArms() bool
	// Contains is a condition with one ? placeholder: the text expression holds that substring.
	Contains(expr string) string
}

// Copier is a Dialect with a bulk path for new rows (PostgreSQL's COPY): Copy writes rows into
// table through the driver connection of a database/sql connection (sql.Conn.Raw).
type Copier interface {
	Copy(ctx context.Context, driverConn any, table string, cols []string, rows [][]any) error
}

// RowStreamer is a Dialect with a leaner path for reads of many rows than database/sql's (which
// converts every value into a driver value, then into the destination): Stream runs query on the
// driver connection of a database/sql connection and scans each row into dests, calling each
// after every row.
type RowStreamer interface {
	Stream(ctx context.Context, driverConn any, query string, args []any, dests []any, each func() error) error
}

// Stream runs query (? placeholders) and scans each row into dests, calling each after every row:
// a read of thousands of rows (a calendar month) through the engine's own row reader where the
// dialect has one (RowStreamer), database/sql's otherwise.
func (db *DB) Stream(ctx context.Context, query string, args []any, dests []any, each func() error) error {
	query = db.Q(query)
	if s, ok := db.Dialect.(RowStreamer); ok {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error { return s.Stream(ctx, dc, query, args, dests, each) })
	}
	rows, err := db.SQL.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return EachRow(rows, dests, each)
}

// Rows are the rows of a query as both database/sql and pgx give them.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// EachRow scans every row left in rows into dests and calls each after it (Stream's loop, for
// RowStreamer implementations too).
func EachRow(rows Rows, dests []any, each func() error) error {
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			return err
		}
		if err := each(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DB is a read-model database.
type DB struct {
	SQL     *sql.DB
	Dialect Dialect
	Gens    *Generations
}

// NewDB wraps an open database and creates the operational tables.
func NewDB(ctx context.Context, db *sql.DB, d Dialect) (*DB, error) {
	r := &DB{SQL: db, Dialect: d}
	for _, stmt := range operationalSchema {
		if _, err := db.ExecContext(ctx, d.DDL(stmt)); err != nil {
			return nil, fmt.Errorf("read-model schema: %w", err)
		}
	}
	r.Gens = newGenerations(r)
	if err := r.Gens.Refresh(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.SQL.Close() }

// Q rebinds a query for this engine.
func (db *DB) Q(query string) string { return db.Dialect.Rebind(query) }

var operationalSchema = []string{
	`CREATE TABLE IF NOT EXISTS leases (
		name TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		expires_at {time} NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS projection_checkpoints (
		name TEXT NOT NULL,
		generation INTEGER NOT NULL,
		position {bigint} NOT NULL DEFAULT 0,
		events {bigint} NOT NULL DEFAULT 0,
		updated_at {time},
		last_event_at {time},
		last_error TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (name, generation))`,
	// A projection generation parked in the process that holds its lease; resume asks it (from
	// any process) to try again.
	`CREATE TABLE IF NOT EXISTS projection_parked (
		topic TEXT PRIMARY KEY,
		resume {bool} NOT NULL DEFAULT false)`,
	`CREATE TABLE IF NOT EXISTS projection_active (
		name TEXT PRIMARY KEY,
		generation INTEGER NOT NULL)`,
	// The oldest generation of each projection that a process (holder) may still read; a
	// superseded generation is dropped once no unexpired record reaches it.
	`CREATE TABLE IF NOT EXISTS projection_readers (
		holder TEXT NOT NULL,
		name TEXT NOT NULL,
		generation INTEGER NOT NULL,
		expires_at {time} NOT NULL,
		PRIMARY KEY (holder, name))`,
	`CREATE TABLE IF NOT EXISTS projection_schemas (
		name TEXT NOT NULL,
		generation INTEGER NOT NULL,
		schema_hash TEXT NOT NULL,
		PRIMARY KEY (name, generation))`,
	`CREATE TABLE IF NOT EXISTS sessions (
		token_hash TEXT PRIMARY KEY,
		id TEXT NOT NULL UNIQUE,
		user_id TEXT NOT NULL,
		created_at {time} NOT NULL,
		expires_at {time} NOT NULL,
		client TEXT NOT NULL DEFAULT '',
		two_factor {bool} NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id)`,
	`CREATE TABLE IF NOT EXISTS idempotency_keys (
		actor_id TEXT NOT NULL,
		key TEXT NOT NULL,
		request_hash TEXT NOT NULL,
		status INTEGER NOT NULL DEFAULT 0,
		headers TEXT NOT NULL DEFAULT '',
		body TEXT NOT NULL DEFAULT '',
		created_at {time} NOT NULL,
		PRIMARY KEY (actor_id, key))`,
	// imports: the state of file imports (importview/imports.go); operational, not derived from events.
	`CREATE TABLE IF NOT EXISTS imports (
		id TEXT PRIMARY KEY,
		kind TEXT NOT NULL,
		dry_run {bool} NOT NULL,
		state TEXT NOT NULL,
		actor_id TEXT NOT NULL,
		file_name TEXT NOT NULL DEFAULT '',
		total {bigint} NOT NULL DEFAULT 0,
		imported {bigint} NOT NULL DEFAULT 0,
		skipped {bigint} NOT NULL DEFAULT 0,
		failed {bigint} NOT NULL DEFAULT 0,
		errors TEXT NOT NULL DEFAULT '[]',
		errors_truncated {bool} NOT NULL DEFAULT FALSE,
		detail TEXT NOT NULL DEFAULT '',
		position {bigint} NOT NULL DEFAULT 0,
		created_at {time} NOT NULL,
		updated_at {time} NOT NULL,
		finished_at {time})`,
	// The import history reads these in keyset order (newest first): everyone's, and one user's.
	`CREATE INDEX IF NOT EXISTS imports_created ON imports (created_at, id)`,
	`CREATE INDEX IF NOT EXISTS imports_by ON imports (actor_id, created_at, id)`,
	`DROP INDEX IF EXISTS imports_actor`, // superseded by imports_by
	// import_errors: the stored error reports of imports (importview/report.go), one row per
	// failing row of a file with its original cells and problems; seq 0 is the file's header.
	`CREATE TABLE IF NOT EXISTS import_errors (
		import_id TEXT NOT NULL,
		seq {bigint} NOT NULL,
		row_no {bigint} NOT NULL,
		cells TEXT NOT NULL,
		problems TEXT NOT NULL,
		PRIMARY KEY (import_id, seq))`,
	`CREATE INDEX IF NOT EXISTS import_errors_row ON import_errors (import_id, row_no, seq)`,
	// mail_outbox: the e-mails of the mailer (adapters/mailer), one per notification (keyed by
	// the notification's id, so nothing is e-mailed twice) or per password-reset request;
	// operational, not derived from events. mail_checkpoint: the log position of the last
	// notification the mailer looked at.
	`CREATE TABLE IF NOT EXISTS mail_outbox (
		id TEXT PRIMARY KEY,
		kind TEXT NOT NULL,
		recipient_id TEXT NOT NULL,
		address TEXT NOT NULL,
		subject TEXT NOT NULL,
		body TEXT NOT NULL,
		status TEXT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT '',
		next_attempt {time} NOT NULL,
		created_at {time} NOT NULL,
		sent_at {time})`,
	`CREATE INDEX IF NOT EXISTS mail_outbox_due ON mail_outbox (status, next_attempt, id)`,
	`CREATE INDEX IF NOT EXISTS mail_outbox_list ON mail_outbox (status, created_at, id)`,
	`CREATE TABLE IF NOT EXISTS mail_checkpoint (
		name TEXT PRIMARY KEY,
		position {bigint} NOT NULL)`,
}

// Time scans a time column from either engine (PostgreSQL gives time.Time, SQLite text).
type Time struct {
	T     time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*t = Time{}
	case time.Time:
		*t = Time{T: v.UTC(), Valid: true}
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("readmodels: cannot scan %T into a time", v)
	}
	return nil
}

func (t *Time) parse(s string) error {
	for _, layout := range []string{TimeLayout, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00"} {
		if p, err := time.Parse(layout, s); err == nil {
			*t = Time{T: p.UTC(), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("readmodels: bad time %q", s)
}

// Ptr returns nil for NULL.
func (t Time) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.T
	return &v
}

// TimeLayout is how SQLite stores times: fixed width, UTC, so text order is time order.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// likeEscape escapes LIKE wildcards; conditions use ESCAPE '\'.
func LikeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Names fills names (keys: ids) with the nameCol of the rows of table with those ids that also
// match cond (with its args; "" for none): one query by primary key. Ids without such a row keep
// their value.
func (db *DB) Names(ctx context.Context, table, nameCol, cond string, condArgs []any, names map[string]string) error {
	if len(names) == 0 {
		return nil
	}
	args := make([]any, 0, len(names)+len(condArgs))
	for id := range names {
		args = append(args, id)
	}
	stmt := `SELECT id, ` + nameCol + ` FROM ` + table + ` WHERE id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(args)), ",") + `)`
	if cond != "" {
		stmt += " AND " + cond
		args = append(args, condArgs...)
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q(stmt), args...)
	if err != nil {
		return fmt.Errorf("names from %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		names[id] = name
	}
	return rows.Err()
}
