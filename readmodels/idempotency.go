package readmodels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Idempotency records: the first response to a POST with an Idempotency-Key is kept and replayed.

// ErrKeyInFlight: the same key is being processed by another request right now.
var ErrKeyInFlight = errors.New("a request with this idempotency key is in progress")

// ErrKeyReused: the key was used before for a different request.
var ErrKeyReused = errors.New("idempotency key was used for a different request")

// StoredResponse is a replayable response.
type StoredResponse struct {
	Status  int
	Headers string
	Body    string
}

// BeginIdempotent reserves the key. It returns the stored response when the request was answered
// before, ErrKeyInFlight while another request holds it, ErrKeyReused for another request hash.
func (db *DB) BeginIdempotent(ctx context.Context, actor, key, requestHash string, now time.Time) (*StoredResponse, error) {
	_, err := db.SQL.ExecContext(ctx, db.Q(`INSERT INTO idempotency_keys (actor_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)`),
		actor, key, requestHash, db.Dialect.Time(now))
	if err == nil {
		return nil, nil
	}
	if !db.Dialect.IsUniqueViolation(err) {
		return nil, fmt.Errorf("reserve idempotency key: %w", err)
	}
	var r StoredResponse
	var hash string
	err = db.SQL.QueryRowContext(ctx, db.Q(`SELECT request_hash, status, headers, body FROM idempotency_keys WHERE actor_id = ? AND key = ?`), actor, key).
		Scan(&hash, &r.Status, &r.Headers, &r.Body)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, ErrKeyInFlight // released between our insert and select; the client retries
	case err != nil:
		return nil, err
	case hash != requestHash:
		return nil, ErrKeyReused
	case r.Status == 0:
		return nil, ErrKeyInFlight
	}
	return &r, nil
}

// FinishIdempotent stores the response for replay.
func (db *DB) FinishIdempotent(ctx context.Context, actor, key string, r StoredResponse) error {
	_, err := db.SQL.ExecContext(ctx, db.Q(`UPDATE idempotency_keys SET status = ?, headers = ?, body = ? WHERE actor_id = ? AND key = ?`),
		r.Status, r.Headers, r.Body, actor, key)
	return err
}

// AbandonIdempotent frees the key after a failure that should not be replayed (5xx).
func (db *DB) AbandonIdempotent(ctx context.Context, actor, key string) error {
	_, err := db.SQL.ExecContext(ctx, db.Q(`DELETE FROM idempotency_keys WHERE actor_id = ? AND key = ?`), actor, key)
	return err
}
