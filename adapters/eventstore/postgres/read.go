package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

const selectEvent = `SELECT position, event_id, stream_id, version, type, occurred_at, data, metadata FROM events `

// Load returns the stream's events in version order; a missing stream has none.
func (s *Store) Load(ctx context.Context, stream string, opts eventstore.LoadOptions) ([]eventstore.Event, error) {
	var until any // NULL: no limit
	if !opts.Until.IsZero() {
		until = opts.Until
	}
	rows, err := s.pool.Query(ctx, selectEvent+
		`WHERE stream_id = $1 AND version >= $2 AND ($3::timestamptz IS NULL OR occurred_at <= $3)
		ORDER BY version`, stream, max(opts.FromVersion, 1), until)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", stream, err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", stream, err)
	}
	return events, nil
}

// ReadAll returns at most limit events of the global log after the position, in position order.
// It needs no gap handling: appends are serialised, so positions become visible in order.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	if limit <= 0 || after >= math.MaxInt64 {
		return nil, nil
	}
	if events, ok := s.tail.read(after, limit, time.Now()); ok {
		return events, nil
	}
	epoch := s.tail.readStarts()
	s.logReads.Add(1)
	rows, err := s.pool.Query(ctx, selectEvent+`WHERE position > $1 ORDER BY position LIMIT $2`, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	end := after
	if len(events) > 0 {
		end = events[len(events)-1].Position
	}
	s.tail.dbRead(epoch, len(events) < limit, end, time.Now())
	return events, nil
}

// ReadPositions returns the events at the positions, in position order (primary-key lookups).
func (s *Store) ReadPositions(ctx context.Context, positions []uint64) ([]eventstore.Event, error) {
	wanted := eventstore.DistinctPositions(positions)
	keys := make([]int64, 0, len(wanted))
	for _, p := range wanted {
		if p <= math.MaxInt64 {
			keys = append(keys, int64(p))
		}
	}
	if len(keys) == 0 {
		return []eventstore.Event{}, nil
	}
	rows, err := s.pool.Query(ctx, selectEvent+`WHERE position = ANY($1) ORDER BY position`, keys)
	if err != nil {
		return nil, fmt.Errorf("read %d positions: %w", len(keys), err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("read %d positions: %w", len(keys), err)
	}
	return events, nil
}

// Head returns the highest committed position, 0 for an empty log.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	var head int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM events`).Scan(&head); err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	return uint64(head), nil
}

// CountAfter counts the events with a position greater than after (an index-only scan of the
// primary key).
func (s *Store) CountAfter(ctx context.Context, after uint64) (int64, error) {
	if after >= math.MaxInt64 {
		return 0, nil
	}
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE position > $1`, int64(after)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count after %d: %w", after, err)
	}
	return n, nil
}

func scanEvents(rows pgx.Rows) ([]eventstore.Event, error) {
	defer rows.Close()
	events := []eventstore.Event{}
	for rows.Next() {
		var (
			e        eventstore.Event
			position int64
			id       [16]byte
			data     []byte
			meta     []byte
		)
		if err := rows.Scan(&position, &id, &e.StreamID, &e.Version, &e.Type, &e.OccurredAt, &data, &meta); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(meta, &e.Metadata); err != nil {
			return nil, fmt.Errorf("event at position %d: decode metadata: %w", position, err)
		}
		e.ID = uuid.UUID(id)
		e.Position = uint64(position)
		e.OccurredAt = e.OccurredAt.UTC()
		e.Data = json.RawMessage(data)
		events = append(events, e)
	}
	return events, rows.Err()
}
