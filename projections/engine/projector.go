package engine

import (
	"context"
	"database/sql"
	"strings"

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

// Selective is a Projector that applies only some of the log's events. A page in which it
// wants none costs it no transaction: its checkpoint moves past the page in one statement (a
// generation being rebuilt applies every page, since its switch happens inside a page's
// transaction). Wants must agree with the Batch, which is only ever given wanted events then.
type Selective interface {
	Wants(e eventstore.Event) bool
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
	// Bulk: the generation is being rebuilt. Nobody else reads or writes it, and the rows a page
	// creates are new, so they may be written with Insert instead of upserts.
	Bulk bool
	conn *sql.Conn // the transaction's connection (nil in tests that make a Tx by hand)
}

// Insert writes new rows (no conflict handling: a row that exists fails the page): by the
// driver's bulk path where the dialect has one (COPY on PostgreSQL), else in multi-row INSERTs
// of insertChunk rows.
func (t *Tx) Insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if c, ok := t.DB.Dialect.(readmodels.Copier); ok && t.conn != nil {
		return t.conn.Raw(func(driverConn any) error { return c.Copy(ctx, driverConn, table, cols, rows) })
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < len(rows); start += insertChunk {
		part := rows[start:min(start+insertChunk, len(rows))]
		args := make([]any, 0, len(part)*len(cols))
		for _, r := range part {
			args = append(args, r...)
		}
		q := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(one+", ", len(part)), ", ")
		if _, err := t.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// insertChunk is how many rows one INSERT of Insert writes (SQLite allows 32,766 parameters).
const insertChunk = 500

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
