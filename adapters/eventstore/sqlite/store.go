// Package sqlite is the embedded event store: one SQLite file (modernc.org/sqlite, no cgo).
//
// Appends are serialised by SQLite's single writer (and a mutex in front of it), so positions
// (INTEGER PRIMARY KEY AUTOINCREMENT) become visible strictly in order and the global log has no
// skipped events. The database runs in WAL mode with synchronous=FULL: an Append that returned
// nil has been fsynced.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Store is the SQLite event store.
type Store struct {
	write   *sql.DB // one connection: SQLite has one writer
	read    *sql.DB
	mu      sync.Mutex
	changed eventstore.Notifier
	poll    time.Duration
}

var (
	_ eventstore.Store   = (*Store)(nil)
	_ eventstore.Counter = (*Store)(nil)
)

const schema = `
CREATE TABLE IF NOT EXISTS events (
	position    INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id    TEXT    NOT NULL UNIQUE,
	stream_id   TEXT    NOT NULL,
	version     INTEGER NOT NULL,
	type        TEXT    NOT NULL,
	occurred_at INTEGER NOT NULL, -- unix microseconds, UTC
	recorded_at INTEGER NOT NULL,
	data        TEXT    NOT NULL,
	metadata    TEXT    NOT NULL,
	UNIQUE (stream_id, version)
);
CREATE INDEX IF NOT EXISTS events_occurred_at ON events (occurred_at);
CREATE INDEX IF NOT EXISTS events_type ON events (type);
`

// DSN builds the connection string used for a database file with the given pragmas.
func DSN(path string, pragmas ...string) string {
	var b strings.Builder
	b.WriteString("file:")
	b.WriteString(path)
	b.WriteString("?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)")
	for _, p := range pragmas {
		b.WriteString("&_pragma=")
		b.WriteString(p)
	}
	return b.String()
}

// Open opens (creating if needed) the event store in the file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	w, err := sql.Open("sqlite", DSN(path, "synchronous(FULL)"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite event store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if _, err := w.ExecContext(ctx, schema); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite event store %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", DSN(path, "query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite event store %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	return &Store{write: w, read: r, poll: time.Second}, nil
}

// Close closes both connection pools.
func (s *Store) Close() error { return errors.Join(s.read.Close(), s.write.Close()) }

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected int64, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.Validate(stream, expected, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	defer tx.Rollback() //nolint:errcheck // after commit this is a no-op
	var current int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ?`, stream).Scan(&current); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	if current != expected {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s at version %d (stream is at %d): %w", stream, expected, current, eventstore.ErrConcurrency)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO events (event_id, stream_id, version, type, occurred_at, recorded_at, data, metadata)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	defer stmt.Close()
	now := time.Now().UnixMicro()
	var res eventstore.AppendResult
	for i, e := range events {
		meta, err := json.Marshal(e.Metadata)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
		}
		r, err := stmt.ExecContext(ctx, e.ID.String(), stream, expected+int64(i)+1, e.Type, e.OccurredAt.UnixMicro(), now, string(e.Data), string(meta))
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return eventstore.AppendResult{}, fmt.Errorf("append to %s: %v: %w", stream, err, eventstore.ErrConcurrency)
			}
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
		}
		pos, err := r.LastInsertId()
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
		}
		res = eventstore.AppendResult{Version: expected + int64(i) + 1, Position: uint64(pos)}
	}
	if err := tx.Commit(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: commit: %w", stream, err)
	}
	s.changed.Notify()
	return res, nil
}

const columns = `position, event_id, stream_id, version, type, occurred_at, data, metadata`

// Load implements eventstore.Store.
func (s *Store) Load(ctx context.Context, stream string, opts eventstore.LoadOptions) ([]eventstore.Event, error) {
	q := `SELECT ` + columns + ` FROM events WHERE stream_id = ? AND version >= ?`
	args := []any{stream, opts.FromVersion}
	if !opts.Until.IsZero() {
		q += ` AND occurred_at <= ?`
		args = append(args, opts.Until.UnixMicro())
	}
	events, err := s.query(ctx, q+` ORDER BY version`, args...)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", stream, err)
	}
	return events, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	events, err := s.query(ctx, `SELECT `+columns+` FROM events WHERE position > ? ORDER BY position LIMIT ?`, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	return events, nil
}

// Subscribe implements eventstore.Store. Appends of this process wake it at once; appends of other
// processes are seen within the poll interval.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	return eventstore.PollingSubscription(ctx, s.ReadAll, after, s.changed.Wait, s.poll), nil
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	var head int64
	if err := s.read.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) FROM events`).Scan(&head); err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	return uint64(head), nil
}

// CountAfter implements eventstore.Counter.
func (s *Store) CountAfter(ctx context.Context, after uint64) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE position > ?`, int64(after)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count after %d: %w", after, err)
	}
	return n, nil
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]eventstore.Event, error) {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []eventstore.Event
	for rows.Next() {
		var (
			e              eventstore.Event
			pos, occurred  int64
			id, data, meta string
		)
		if err := rows.Scan(&pos, &id, &e.StreamID, &e.Version, &e.Type, &occurred, &data, &meta); err != nil {
			return nil, err
		}
		e.Position = uint64(pos)
		if e.ID, err = uuid.Parse(id); err != nil {
			return nil, fmt.Errorf("event at %d: %w", pos, err)
		}
		e.OccurredAt = time.UnixMicro(occurred).UTC()
		e.Data = json.RawMessage(data)
		if err := json.Unmarshal([]byte(meta), &e.Metadata); err != nil {
			return nil, fmt.Errorf("event at %d metadata: %w", pos, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
