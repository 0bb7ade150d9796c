package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// appendSQL reads the current versions of the streams and inserts the events of the elements
// whose expected versions match, in one statement, and notifies listeners of the last position.
//
// $1 are the streams of the transaction, once each. The other arrays have one entry per event:
// its element's events at the versions they get if the element is written, and accept, the
// current versions of the stream (comma-separated) for which the element is written. The client
// computes accept from the order of the elements (see acceptSets): an element is written when
// the stream's version, after the elements before it, equals its expected version, and that
// depends only on the version the stream had before the transaction.
//
// Rows are inserted in input order (ORDER BY ord), so positions follow it. The statement answers
// the versions the streams had (all sub-statements of a WITH see one snapshot, taken after the
// append lock was granted), where each (stream, version) landed, the position the log ended at
// before the transaction, and the stored payloads (for the tail, see tail.go).
const appendSQL = `
WITH cur AS (
	SELECT s.stream, coalesce((SELECT max(version) FROM events WHERE stream_id = s.stream), 0) AS version
	FROM unnest($1::text[]) AS s(stream)
), prev AS (
	SELECT coalesce(max(position), 0) AS head FROM events
), ins AS (
	INSERT INTO events (event_id, stream_id, version, type, occurred_at, data, metadata)
	SELECT e.id::uuid, e.stream, e.version, e.type, e.occurred_at, e.data::jsonb, e.metadata::jsonb
	FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[])
		WITH ORDINALITY AS e(id, stream, version, type, occurred_at, data, metadata, accept, ord)
	JOIN cur ON cur.stream = e.stream
	WHERE cur.version = ANY (string_to_array(e.accept, ',')::bigint[])
	ORDER BY e.ord
	RETURNING stream_id, version, position, data::text AS data, metadata::text AS metadata
)
SELECT (SELECT array_agg(stream) FROM cur), (SELECT array_agg(version) FROM cur),
	array_agg(stream_id), array_agg(version), array_agg(position), (SELECT head FROM prev),
	array_agg(data), array_agg(metadata),
	CASE WHEN count(*) > 0 THEN pg_notify('` + notifyChannel + `', max(position)::text || ' ' || $10) END
FROM ins`

// Append writes events at the end of stream if its version is expectedVersion. Concurrent calls
// share transactions (group commit, see the package comment); each keeps its own version check.
func (s *Store) Append(ctx context.Context, stream string, expectedVersion int64, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.Validate(stream, expectedVersion, events); err != nil {
		return eventstore.AppendResult{}, err // refused without waiting for a transaction
	}
	out, err := s.group.Append(ctx, []eventstore.StreamAppend{{Stream: stream, ExpectedVersion: expectedVersion, Events: events}})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return out[0].AppendResult, out[0].Err
}

// AppendEach implements eventstore.Store in one transaction (one lock hold, one commit), which
// concurrent calls may share. When the database refuses one element (a reused event id, a value
// jsonb does not take), the call is written element by element so the others are written.
func (s *Store) AppendEach(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	return s.group.Append(ctx, appends)
}

// refused tells the errors of write1 that mean the database refused one of the elements: the
// transaction wrote nothing, and writing the elements separately finds which one.
func refused(err error) bool {
	return errors.Is(err, eventstore.ErrConcurrency) || errors.Is(err, eventstore.ErrInvalidEvent)
}

// write1 encodes the appends and writes them in one transaction: the group committer's
// WriteFunc. Elements refused by their expected version or content get their outcome's Err; a
// refusal of the database ends the call with an error that wraps ErrConcurrency or
// ErrInvalidEvent, having written nothing.
func (s *Store) write1(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	out := make([]eventstore.AppendOutcome, len(appends))
	valid := 0
	for i, a := range appends {
		if out[i].Err = eventstore.Validate(a.Stream, a.ExpectedVersion, a.Events); out[i].Err == nil {
			valid++
		}
	}
	if valid == 0 {
		return out, nil
	}
	if err := s.appendTx(ctx, appends, out); err != nil {
		where := "append"
		if len(appends) == 1 {
			where = "append to " + appends[0].Stream
		}
		return nil, translate(where, err)
	}
	s.notifier.Notify() // local subscribers need not wait for the NOTIFY round trip
	return out, nil
}

// rows are the per-event columns of appendSQL.
type rows struct {
	ids, streams, types, data, meta, accept []string
	versions                                []int64
	occurred                                []time.Time
}

// chains returns the streams of the valid elements in order of first appearance, and for each
// stream the indexes of its valid elements in order.
func chains(appends []eventstore.StreamAppend, out []eventstore.AppendOutcome) ([]string, map[string][]int) {
	var streams []string
	elems := map[string][]int{}
	for i, a := range appends {
		if out[i].Err != nil {
			continue
		}
		if _, ok := elems[a.Stream]; !ok {
			streams = append(streams, a.Stream)
		}
		elems[a.Stream] = append(elems[a.Stream], i)
	}
	return streams, elems
}

// acceptSets returns, for each of one stream's elements (indexes into appends, in order), the
// versions the stream may have before the transaction for which the element is written: an
// element is written when the stream's version, after the elements before it that were written,
// equals its expected version. Only an expected version of one of the elements can start a chain
// of writes, so those are the candidates; anything else writes none.
func acceptSets(appends []eventstore.StreamAppend, elems []int) [][]int64 {
	sets := make([][]int64, len(elems))
	tried := map[int64]bool{}
	for _, i := range elems {
		start := appends[i].ExpectedVersion
		if tried[start] {
			continue
		}
		tried[start] = true
		v := start
		for k, j := range elems {
			if appends[j].ExpectedVersion == v {
				sets[k] = append(sets[k], start)
				v += int64(len(appends[j].Events))
			}
		}
	}
	return sets
}

// appendTx writes the appends in one transaction in one round trip: a pipeline of BEGIN, the
// append lock, appendSQL and COMMIT. appendSQL is a statement of its own after the lock
// statement, so under READ COMMITTED its snapshot is taken after the lock was granted and
// includes the commit of the previous lock holder. If a statement fails, PostgreSQL skips the
// rest of the pipeline (the COMMIT) and the transaction is rolled back. The outcomes are worked
// out afterwards from the versions the streams had, as appendSQL decided them.
func (s *Store) appendTx(ctx context.Context, appends []eventstore.StreamAppend, out []eventstore.AppendOutcome) (err error) {
	streams, elems := chains(appends, out)
	accept := make([]string, len(appends)) // "": written for no version of its stream
	for _, stream := range streams {
		idx := elems[stream]
		for k, set := range acceptSets(appends, idx) {
			for n, v := range set {
				if n > 0 {
					accept[idx[k]] += ","
				}
				accept[idx[k]] += strconv.FormatInt(v, 10)
			}
		}
	}
	var r rows // in input order, so that positions follow it
	for i, a := range appends {
		if out[i].Err == nil && accept[i] != "" {
			for j, e := range a.Events {
				m, err := json.Marshal(e.Metadata)
				if err != nil {
					return fmt.Errorf("%s: encode metadata: %w", a.Stream, err)
				}
				r.ids, r.streams, r.types = append(r.ids, e.ID.String()), append(r.streams, a.Stream), append(r.types, e.Type)
				r.data, r.meta, r.accept = append(r.data, string(e.Data)), append(r.meta, string(m)), append(r.accept, accept[i])
				r.versions = append(r.versions, a.ExpectedVersion+int64(j)+1)
				r.occurred = append(r.occurred, e.OccurredAt.UTC().Truncate(time.Microsecond))
			}
		}
	}

	s.transactions.Add(1)
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if conn.Conn().PgConn().TxStatus() != 'I' {
			// Roll back to keep the connection; if that fails, Release closes it, which ends the
			// transaction (and its lock) just as well.
			rctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, _ = conn.Exec(rctx, "ROLLBACK")
			cancel()
		}
		conn.Release()
	}()

	var (
		curStreams, gotStreams   []string
		curVersions, gotVersions []int64
		gotPositions             []int64
		prevHead                 int64
		gotData, gotMeta         []string
		committed                bool
	)
	b := &pgx.Batch{}
	b.Queue("BEGIN ISOLATION LEVEL READ COMMITTED")
	b.Queue("SELECT pg_advisory_xact_lock($1)", AppendLockKey)
	b.Queue(appendSQL, streams, r.ids, r.streams, r.versions, r.types, r.occurred, r.data, r.meta, r.accept, s.token).
		QueryRow(func(row pgx.Row) error {
			return row.Scan(&curStreams, &curVersions, &gotStreams, &gotVersions, &gotPositions, &prevHead, &gotData, &gotMeta, nil)
		})
	commit := func(b *pgx.Batch) {
		b.Queue("COMMIT").Exec(func(tag pgconn.CommandTag) error {
			// An aborted transaction answers COMMIT with ROLLBACK, and no error.
			committed = tag.String() == "COMMIT"
			return nil
		})
	}
	if s.beforeCommit == nil {
		commit(b)
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if s.beforeCommit != nil { // tests: stop between the insert and the commit
		s.beforeCommit(streams)
		b := &pgx.Batch{}
		commit(b)
		if err := conn.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
	}
	if !committed {
		return errors.New("commit: the transaction was rolled back")
	}

	// The outcomes, from the versions the streams had: the same rule appendSQL applied.
	current := make(map[string]int64, len(curStreams))
	for i, stream := range curStreams {
		current[stream] = curVersions[i]
	}
	type key struct {
		stream  string
		version int64
	}
	landed := make(map[key]int64, len(gotPositions))
	for i := range gotPositions {
		landed[key{gotStreams[i], gotVersions[i]}] = gotPositions[i]
	}
	written := 0
	for _, stream := range streams {
		v := current[stream]
		for _, i := range elems[stream] {
			a := appends[i]
			if a.ExpectedVersion != v {
				out[i].Err = &versionError{stream: a.Stream, expected: a.ExpectedVersion, current: v}
				continue
			}
			v += int64(len(a.Events))
			out[i].Version, out[i].Position = v, uint64(landed[key{stream, v}])
			written += len(a.Events)
		}
	}
	if written != len(gotPositions) || len(current) != len(streams) {
		// Not reachable. Were it, the transaction committed but the outcomes are unknown.
		return fmt.Errorf("committed %d events where %d were expected; outcomes unknown", len(gotPositions), written)
	}
	s.tail.appended(uint64(prevHead), stored(&r, gotStreams, gotVersions, gotPositions, gotData, gotMeta))
	return nil
}

// stored returns the events a transaction wrote as a read of the log returns them (payloads as
// the database stores them), in position order; none when one cannot be rebuilt (then the
// subscriptions read them from the database).
func stored(r *rows, streams []string, versions, positions []int64, data, meta []string) []eventstore.Event {
	if len(data) != len(positions) || len(meta) != len(positions) {
		return nil
	}
	type key struct {
		stream  string
		version int64
	}
	input := make(map[key]int, len(r.ids))
	for i := range r.ids {
		input[key{r.streams[i], r.versions[i]}] = i
	}
	events := make([]eventstore.Event, len(positions))
	for k := range positions {
		i, ok := input[key{streams[k], versions[k]}]
		if !ok {
			return nil
		}
		e := eventstore.Event{StreamID: streams[k], Version: versions[k], Type: r.types[i], OccurredAt: r.occurred[i],
			Data: json.RawMessage(data[k]), Position: uint64(positions[k])}
		id, err := uuid.Parse(r.ids[i])
		if err != nil || json.Unmarshal([]byte(meta[k]), &e.Metadata) != nil {
			return nil
		}
		e.ID = id
		events[k] = e
	}
	slices.SortFunc(events, func(a, b eventstore.Event) int { return cmp.Compare(a.Position, b.Position) })
	return events
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
