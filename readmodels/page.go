package readmodels

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// Page is one page of results.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
	// Total counts the rows of the list up to TotalBound; TotalExact is false when there are more
	// (Total is then the bound, a lower bound of the true count).
	Total      int64 `json:"total"`
	TotalExact bool  `json:"totalExact"`
}

// ValidationError is a bad query parameter.
type ValidationError = field.Error

// cursor is the keyset position after the last row of a page, and the total of the first page
// (counting on every page would cost more than the page itself).
type cursor struct {
	V     any    `json:"v"`
	ID    string `json:"id"`
	Total int64  `json:"t"`
	Exact bool   `json:"e,omitempty"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return cursor{}, &ValidationError{Field: "cursor", Message: "is not a cursor this server issued"}
	}
	return c, nil
}

func AnySlice[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}

// ScanFunc adapts a function to Scanner (to scan extra columns after a view's own).
type ScanFunc func(dest ...any) error

// Scan implements Scanner.
func (f ScanFunc) Scan(dest ...any) error { return f(dest...) }

// NonNil turns a nil slice into an empty one (JSON [] rather than null).
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// OptID parses an optional id column (” or a UUID).
func OptID(s string) *uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return nil
	}
	return &id
}

// IDs runs a query whose one column is an id and returns the ids in row order.
func (db *DB) IDs(ctx context.Context, query string, args ...any) ([]uuid.UUID, error) {
	return db.IDsIn(ctx, db.SQL, query, args...)
}

// Querier runs queries: the database, or a transaction (a projection's page).
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// IDsIn is IDs run by q (a transaction sees its own writes).
func (db *DB) IDsIn(ctx context.Context, q Querier, query string, args ...any) ([]uuid.UUID, error) {
	rows, err := q.QueryContext(ctx, db.Q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if id, err := uuid.Parse(s); err == nil {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}
