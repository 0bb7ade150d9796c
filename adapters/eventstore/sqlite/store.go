// Package sqlite is the embedded event store: one SQLite file (modernc.org/sqlite, no cgo).
//
// Appends are serialised by SQLite's single writer (one write connection), so positions
// (INTEGER PRIMARY KEY AUTOINCREMENT) become visible strictly in order and the global log has no
// skipped events. The database runs in WAL mode with synchronous=FULL: an Append that returned
// nil has been fsynced.
//
// Concurrent appends of the process share transactions (group commit, package groupcommit):
// calls that arrive while a transaction is being written wait and are written together in the
// next one, one fsync for all of them, each with its own expected-version check and outcome. A
// call whose context ends before its transaction starts returns the context's error and nothing
// of it is written; once started, its outcome is whatever the transaction did.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/groupcommit"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Store is the SQLite event store.
type Store struct {
	write   *sql.DB // one connection: SQLite has one writer
	read    *sql.DB
	mu      sync.Mutex
	changed eventstore.Notifier
	poll    time.Duration
	group   *groupcommit.Committer

	// For tests: transactions counts the append transactions begun; beforeCommit, when set, is
	// called in an append transaction after its inserts, before its commit.
	transactions atomic.Int64
	beforeCommit func()
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
	busy := "busy_timeout(10000)" // unless the caller names its own: the driver keeps the first
	for _, p := range pragmas {
		if strings.HasPrefix(p, "busy_timeout(") {
			busy = p
		}
	}
	b.WriteString("?_pragma=" + busy + "&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)")
	for _, p := range pragmas {
		if strings.HasPrefix(p, "busy_timeout(") {
			continue
		}
		b.WriteString("&_pragma=")
		b.WriteString(p)
	}
	return b.String()
}

// DefaultReaders is the size of the reader pool when Options leave it 0.
const DefaultReaders = 8

// Options tune a Store.
type Options struct {
	// Readers bounds the connections reading at once (loads, log reads, head); appends have one
	// writer connection of their own. 0 means DefaultReaders.
	Readers int
}

// Open opens (creating if needed) the event store in the file at path.
func Open(ctx context.Context, path string) (*Store, error) { return OpenWith(ctx, path, Options{}) }

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, o Options) (*Store, error) {
	if o.Readers <= 0 {
		o.Readers = DefaultReaders
	}
	// Appends begin IMMEDIATE: they take the write lock first, waiting (busy_timeout) for a writer
	// of another process. A deferred transaction would read first, and SQLite refuses at once
	// (SQLITE_BUSY, no wait) to upgrade a read to a write while another connection writes.
	w, err := sql.Open("sqlite", DSN(path, "synchronous(FULL)")+"&_txlock=immediate")
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
	r.SetMaxOpenConns(o.Readers)
	s := &Store{write: w, read: r, poll: time.Second}
	s.group = groupcommit.New(s.write1, isReusedID, groupcommit.DefaultLimits)
	return s, nil
}

// Close closes both connection pools.
func (s *Store) Close() error { return errors.Join(s.read.Close(), s.write.Close()) }

// Append implements eventstore.Store; concurrent calls share transactions.
func (s *Store) Append(ctx context.Context, stream string, expected int64, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.Validate(stream, expected, events); err != nil {
		return eventstore.AppendResult{}, err // refused without waiting for a transaction
	}
	out, err := s.group.Append(ctx, []eventstore.StreamAppend{{Stream: stream, ExpectedVersion: expected, Events: events}})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return out[0].AppendResult, out[0].Err
}

// AppendEach implements eventstore.Store: the whole call is one transaction, one fsync (shared
// with concurrent calls). An element that reuses a stored event id refuses the transaction; the
// call is then written element by element, so only that element fails.
func (s *Store) AppendEach(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	return s.group.Append(ctx, appends)
}

func isReusedID(err error) bool {
	var reused *reusedIDError
	return errors.As(err, &reused)
}

// reusedIDError: an event id of the call is stored already, which refuses the transaction.
type reusedIDError struct {
	stream string
	err    error
}

func (e *reusedIDError) Error() string {
	return fmt.Sprintf("append to %s: %v: %v", e.stream, e.err, eventstore.ErrConcurrency)
}
func (e *reusedIDError) Unwrap() error { return eventstore.ErrConcurrency }

// write1 writes the appends in one transaction (the group committer's WriteFunc). An element refused by its expected version or
// its content gets its outcome's Err; an event id stored already ends the call with a
// *reusedIDError, having written nothing.
func (s *Store) write1(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	out := make([]eventstore.AppendOutcome, len(appends))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transactions.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after commit this is a no-op
	version, err := tx.PrepareContext(ctx, `SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ?`)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	defer version.Close()
	insert, err := tx.PrepareContext(ctx, `INSERT INTO events (event_id, stream_id, version, type, occurred_at, recorded_at, data, metadata)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	defer insert.Close()
	now := time.Now().UnixMicro()
	versions := map[string]int64{} // streams written by this call, at their new version
	written := false
	for i, a := range appends {
		if err := eventstore.Validate(a.Stream, a.ExpectedVersion, a.Events); err != nil {
			out[i].Err = err
			continue
		}
		current, ok := versions[a.Stream]
		if !ok {
			if err := version.QueryRowContext(ctx, a.Stream).Scan(&current); err != nil {
				return nil, fmt.Errorf("append to %s: %w", a.Stream, err)
			}
		}
		if current != a.ExpectedVersion {
			out[i].Err = fmt.Errorf("append to %s at version %d (stream is at %d): %w", a.Stream, a.ExpectedVersion, current, eventstore.ErrConcurrency)
			continue
		}
		for j, e := range a.Events {
			meta, err := json.Marshal(e.Metadata)
			if err != nil {
				return nil, fmt.Errorf("append to %s: %w", a.Stream, err)
			}
			r, err := insert.ExecContext(ctx, e.ID.String(), a.Stream, current+int64(j)+1, e.Type, e.OccurredAt.UnixMicro(), now, string(e.Data), string(meta))
			if err != nil {
				if strings.Contains(err.Error(), "UNIQUE constraint failed") {
					return nil, &reusedIDError{stream: a.Stream, err: err}
				}
				return nil, fmt.Errorf("append to %s: %w", a.Stream, err)
			}
			pos, err := r.LastInsertId()
			if err != nil {
				return nil, fmt.Errorf("append to %s: %w", a.Stream, err)
			}
			out[i].AppendResult = eventstore.AppendResult{Version: current + int64(j) + 1, Position: uint64(pos)}
		}
		versions[a.Stream] = out[i].Version
		written = true
	}
	if !written {
		return out, nil
	}
	if s.beforeCommit != nil {
		s.beforeCommit()
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("append: commit: %w", err)
	}
	s.changed.Notify()
	return out, nil
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

// readPositionsChunk is how many positions one ReadPositions query looks up (SQLite binds at
// most 32,766 parameters).
const readPositionsChunk = 500

// ReadPositions implements eventstore.Store with primary-key lookups.
func (s *Store) ReadPositions(ctx context.Context, positions []uint64) ([]eventstore.Event, error) {
	var wanted []any
	for _, p := range eventstore.DistinctPositions(positions) {
		if p <= math.MaxInt64 {
			wanted = append(wanted, int64(p))
		}
	}
	out := make([]eventstore.Event, 0, len(wanted))
	for start := 0; start < len(wanted); start += readPositionsChunk {
		args := wanted[start:min(start+readPositionsChunk, len(wanted))]
		events, err := s.query(ctx, `SELECT `+columns+` FROM events WHERE position IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+`) ORDER BY position`, args...)
		if err != nil {
			return nil, fmt.Errorf("read %d positions: %w", len(args), err)
		}
		out = append(out, events...)
	}
	return out, nil
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
