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

// insertSQL writes the events of a whole call in one statement and notifies listeners of its
// last position. Rows are inserted in input order (ORDER BY ord), so positions follow it; the
// statement answers where each (stream, version) landed.
const insertSQL = `
WITH ins AS (
	INSERT INTO events (event_id, stream_id, version, type, occurred_at, data, metadata)
	SELECT e.id::uuid, e.stream, e.version, e.type, e.occurred_at, e.data::jsonb, e.metadata::jsonb
	FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])
		WITH ORDINALITY AS e(id, stream, version, type, occurred_at, data, metadata, ord)
	ORDER BY e.ord
	RETURNING stream_id, version, position
)
SELECT array_agg(stream_id), array_agg(version), array_agg(position),
	pg_notify('` + notifyChannel + `', max(position)::text) FROM ins`

// Append writes events at the end of stream if its version is expectedVersion. See the package
// comment for why it holds AppendLockKey from before the version check until the commit.
func (s *Store) Append(ctx context.Context, stream string, expectedVersion int64, events []eventstore.EventData) (eventstore.AppendResult, error) {
	out, err := s.write1(ctx, []eventstore.StreamAppend{{Stream: stream, ExpectedVersion: expectedVersion, Events: events}})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return out[0].AppendResult, out[0].Err
}

// AppendEach implements eventstore.Store in one transaction (one lock hold, one commit).
func (s *Store) AppendEach(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	out, err := s.write1(ctx, appends)
	if (errors.Is(err, eventstore.ErrConcurrency) || errors.Is(err, eventstore.ErrInvalidEvent)) && len(appends) > 1 {
		// The database refused the statement for one element (a reused event id, a value jsonb
		// does not take); find which by appending in turn.
		return eventstore.AppendInTurn(ctx, s.Append, appends)
	}
	return out, err
}

// write1 encodes the appends and writes them in one transaction. Elements refused by their
// expected version or content get their outcome's Err; a refusal of the database ends the call
// with an error that wraps ErrConcurrency or ErrInvalidEvent, having written nothing.
func (s *Store) write1(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	out := make([]eventstore.AppendOutcome, len(appends))
	streams := make([]string, 0, len(appends))
	for i, a := range appends {
		if out[i].Err = eventstore.Validate(a.Stream, a.ExpectedVersion, a.Events); out[i].Err == nil {
			streams = append(streams, a.Stream)
		}
	}
	if len(streams) == 0 {
		return out, nil
	}
	if err := s.appendTx(ctx, appends, streams, out); err != nil {
		where := "append"
		if len(appends) == 1 {
			where = "append to " + appends[0].Stream
		}
		return nil, translate(where, err)
	}
	s.notifier.Notify() // local subscribers need not wait for the NOTIFY round trip
	return out, nil
}

// rows are the columns of insertSQL.
type rows struct {
	ids, streams, types, data, meta []string
	versions                        []int64
	occurred                        []time.Time
}

func (s *Store) appendTx(ctx context.Context, appends []eventstore.StreamAppend, streams []string, out []eventstore.AppendOutcome) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()

	// Two statements in one round trip. The version query is a statement of its own, so under
	// READ COMMITTED its snapshot is taken after the lock was granted and includes the commit of
	// the previous lock holder.
	current := make(map[string]int64, len(streams))
	batch := &pgx.Batch{}
	batch.Queue("SELECT pg_advisory_xact_lock($1)", AppendLockKey)
	batch.Queue("SELECT stream_id, max(version) FROM events WHERE stream_id = ANY($1) GROUP BY stream_id", streams).
		Query(func(rs pgx.Rows) error {
			var stream string
			var version int64
			_, err := pgx.ForEachRow(rs, []any{&stream, &version}, func() error { current[stream] = version; return nil })
			return err
		})
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}

	var r rows
	for i, a := range appends {
		if out[i].Err != nil {
			continue
		}
		if v := current[a.Stream]; v != a.ExpectedVersion {
			out[i].Err = &versionError{stream: a.Stream, expected: a.ExpectedVersion, current: v}
			continue
		}
		for j, e := range a.Events {
			m, err := json.Marshal(e.Metadata)
			if err != nil {
				return fmt.Errorf("%s: encode metadata: %w", a.Stream, err)
			}
			r.ids, r.streams, r.types = append(r.ids, e.ID.String()), append(r.streams, a.Stream), append(r.types, e.Type)
			r.data, r.meta = append(r.data, string(e.Data)), append(r.meta, string(m))
			r.versions = append(r.versions, a.ExpectedVersion+int64(j)+1)
			r.occurred = append(r.occurred, e.OccurredAt.UTC().Truncate(time.Microsecond))
		}
		current[a.Stream] = a.ExpectedVersion + int64(len(a.Events))
		out[i].Version = current[a.Stream]
	}
	if len(r.ids) == 0 {
		return nil
	}

	var (
		gotStreams   []string
		gotVersions  []int64
		gotPositions []int64
	)
	if err := tx.QueryRow(ctx, insertSQL, r.ids, r.streams, r.versions, r.types, r.occurred, r.data, r.meta).
		Scan(&gotStreams, &gotVersions, &gotPositions, nil); err != nil {
		return err
	}
	if len(gotPositions) != len(r.ids) {
		return fmt.Errorf("inserted %d of %d events", len(gotPositions), len(r.ids))
	}
	type key struct {
		stream  string
		version int64
	}
	landed := make(map[key]int64, len(gotPositions))
	for i := range gotPositions {
		landed[key{gotStreams[i], gotVersions[i]}] = gotPositions[i]
	}
	for i, a := range appends {
		if out[i].Err == nil {
			out[i].Position = uint64(landed[key{a.Stream, out[i].Version}])
		}
	}
	if s.beforeCommit != nil {
		s.beforeCommit(streams[0])
	}
	return tx.Commit(ctx)
}

type versionError struct {
	stream            string
	expected, current int64
}

func (e *versionError) Error() string {
	return fmt.Sprintf("append to %s: %v: expected version %d, current version %d", e.stream, eventstore.ErrConcurrency, e.expected, e.current)
}

func (e *versionError) Unwrap() error { return eventstore.ErrConcurrency }

// translate turns PostgreSQL errors into the port's errors where one applies.
func translate(where string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation: (stream_id, version) or a reused event_id
			return fmt.Errorf("%s: %w (unique constraint %s)", where, eventstore.ErrConcurrency, pgErr.ConstraintName)
		case "22P05", "22021": // \u0000 in jsonb; NUL or invalid UTF-8 in text
			return fmt.Errorf("%s: %w: %s", where, eventstore.ErrInvalidEvent, pgErr.Message)
		}
	}
	return fmt.Errorf("%s: %w", where, err)
}
