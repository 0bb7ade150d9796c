package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// insertSQL writes a whole batch in one statement and notifies listeners of its last position.
// Versions follow the input order ($2 + ordinality) and so do positions: the rows reach the
// identity default in ordinality order.
const insertSQL = `
WITH ins AS (
	INSERT INTO events (event_id, stream_id, version, type, occurred_at, data, metadata)
	SELECT e.id::uuid, $1, $2 + e.ord, e.type, e.occurred_at, e.data::jsonb, e.metadata::jsonb
	FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])
		WITH ORDINALITY AS e(id, type, occurred_at, data, metadata, ord)
	ORDER BY e.ord
	RETURNING position
)
SELECT count(*), max(position), pg_notify('` + notifyChannel + `', max(position)::text) FROM ins`

// Append writes events at the end of stream if its version is expectedVersion. See the package
// comment for why it holds AppendLockKey from before the version check until the commit.
func (s *Store) Append(ctx context.Context, stream string, expectedVersion int64, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.Validate(stream, expectedVersion, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	n := len(events)
	ids, types, data, meta := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	occurred := make([]time.Time, n)
	for i, e := range events {
		m, err := json.Marshal(e.Metadata)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: encode metadata: %w", stream, err)
		}
		ids[i], types[i], data[i], meta[i] = e.ID.String(), e.Type, string(e.Data), string(m)
		occurred[i] = e.OccurredAt.UTC().Truncate(time.Microsecond)
	}

	res, err := s.appendTx(ctx, stream, expectedVersion, ids, types, occurred, data, meta)
	if err != nil {
		return eventstore.AppendResult{}, translate(stream, err)
	}
	s.notifier.Notify() // local subscribers need not wait for the NOTIFY round trip
	return res, nil
}

func (s *Store) appendTx(ctx context.Context, stream string, expected int64,
	ids, types []string, occurred []time.Time, data, meta []string) (eventstore.AppendResult, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()

	// Two statements in one round trip. The version query is a statement of its own, so under
	// READ COMMITTED its snapshot is taken after the lock was granted and includes the commit of
	// the previous lock holder.
	var current int64
	batch := &pgx.Batch{}
	batch.Queue("SELECT pg_advisory_xact_lock($1)", AppendLockKey)
	batch.Queue("SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream).
		QueryRow(func(row pgx.Row) error { return row.Scan(&current) })
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if current != expected {
		return eventstore.AppendResult{}, &versionError{expected: expected, current: current}
	}

	var count, last int64
	if err := tx.QueryRow(ctx, insertSQL, stream, expected, ids, types, occurred, data, meta).
		Scan(&count, &last, nil); err != nil {
		return eventstore.AppendResult{}, err
	}
	if count != int64(len(ids)) {
		return eventstore.AppendResult{}, fmt.Errorf("inserted %d of %d events", count, len(ids))
	}
	if s.beforeCommit != nil {
		s.beforeCommit(stream)
	}
	if err := tx.Commit(ctx); err != nil {
		return eventstore.AppendResult{}, err
	}
	return eventstore.AppendResult{Version: expected + count, Position: uint64(last)}, nil
}

type versionError struct{ expected, current int64 }

func (e *versionError) Error() string {
	return fmt.Sprintf("%v: expected version %d, current version %d", eventstore.ErrConcurrency, e.expected, e.current)
}

func (e *versionError) Unwrap() error { return eventstore.ErrConcurrency }

// translate turns PostgreSQL errors into the port's errors where one applies.
func translate(stream string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation: (stream_id, version) or a reused event_id
			return fmt.Errorf("append to %s: %w (unique constraint %s)", stream, eventstore.ErrConcurrency, pgErr.ConstraintName)
		case "22P05", "22021": // \u0000 in jsonb; NUL or invalid UTF-8 in text
			return fmt.Errorf("append to %s: %w: %s", stream, eventstore.ErrInvalidEvent, pgErr.Message)
		}
	}
	return fmt.Errorf("append to %s: %w", stream, err)
}
