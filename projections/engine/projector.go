package engine

import (
	"context"
	"database/sql"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projector builds one read model.
type Projector interface {
	// Name never changes: it keys the checkpoint and the tables.
	Name() string
	// Schema is the DDL that creates the projector's tables in a generation.
	Schema(db *readmodels.DB, gen int) []string
	// Drop is the DDL that removes a generation's tables.
	Drop(db *readmodels.DB, gen int) []string
	// NewBatch starts applying a page of events inside tx.
	NewBatch(tx *Tx) Batch
}

// Batch applies events within one transaction; Flush writes what Apply buffered.
type Batch interface {
	Apply(ctx context.Context, e eventstore.Event) error
	Flush(ctx context.Context) error
}

// Prefetcher is a Batch that reads in advance, in a few queries, what the events of a page will
// look up, so that applying them one by one costs no round trip per event.
type Prefetcher interface {
	Prefetch(ctx context.Context, page []eventstore.Event) error
}

// Tx is a read-model transaction for one projector generation.
type Tx struct {
	*sql.Tx
	DB  *readmodels.DB
	Gen int
}

// Table is the physical name of one of the projector's tables in this generation.
func (t *Tx) Table(base string) string { return readmodels.TableName(base, t.Gen) }

// Exec rebinds and executes.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.ExecContext(ctx, t.DB.Q(q), args...)
}

// QueryRow rebinds and queries one row.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.QueryRowContext(ctx, t.DB.Q(q), args...)
}
