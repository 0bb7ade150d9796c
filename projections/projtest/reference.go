package projtest

// Same-run references for the rebuild benchmark: how fast the database takes the event rows a
// rebuild reads when they are simply loaded in bulk.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// referenceDDL is a table shaped like the event stores' events table (its columns, primary key
// and unique constraints, no secondary index); {json} and {time} per dialect.
const referenceDDL = `CREATE TABLE %s (
	position {bigint} PRIMARY KEY,
	event_id TEXT NOT NULL UNIQUE,
	stream_id TEXT NOT NULL,
	version {bigint} NOT NULL,
	type TEXT NOT NULL,
	occurred_at {time} NOT NULL,
	data {json} NOT NULL,
	metadata {json} NOT NULL,
	UNIQUE (stream_id, version))`

// ReadLog reads the whole log (outside any timed part of a benchmark).
func ReadLog(tb testing.TB, store eventstore.Store) []eventstore.Event {
	tb.Helper()
	var out []eventstore.Event
	for {
		after := uint64(0)
		if len(out) > 0 {
			after = out[len(out)-1].Position
		}
		page, err := store.ReadAll(context.Background(), after, 10_000)
		if err != nil {
			tb.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
	}
}

// BulkLoadReference loads events into a fresh table of db shaped like the events table, in one
// transaction: PostgreSQL by COPY (pgx CopyFrom), SQLite by multi-row INSERTs of 500 rows. It
// returns the time the load took (encoding the rows is not timed) and drops the table.
func BulkLoadReference(tb testing.TB, db *readmodels.DB, events []eventstore.Event) time.Duration {
	tb.Helper()
	ctx := context.Background()
	table := fmt.Sprintf("bulk_reference_%d", time.Now().UnixNano())
	if _, err := db.SQL.ExecContext(ctx, db.Dialect.DDL(fmt.Sprintf(referenceDDL, table))); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		if _, err := db.SQL.ExecContext(ctx, `DROP TABLE `+table); err != nil {
			tb.Error(err)
		}
	}()
	cols := []string{"position", "event_id", "stream_id", "version", "type", "occurred_at", "data", "metadata"}
	rows := make([][]any, len(events))
	for i, e := range events {
		meta, err := json.Marshal(e.Metadata)
		if err != nil {
			tb.Fatal(err)
		}
		if db.Dialect.Name() == "postgres" {
			rows[i] = []any{int64(e.Position), e.ID.String(), e.StreamID, e.Version, e.Type, e.OccurredAt, []byte(e.Data), meta}
		} else {
			rows[i] = []any{int64(e.Position), e.ID.String(), e.StreamID, e.Version, e.Type, db.Dialect.Time(e.OccurredAt), string(e.Data), string(meta)}
		}
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if db.Dialect.Name() == "postgres" {
		err = conn.Raw(func(dc any) error {
			return pgx.BeginFunc(ctx, dc.(*stdlib.Conn).Conn(), func(tx pgx.Tx) error {
				_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
				return err
			})
		})
	} else {
		err = sqliteInsertAll(ctx, conn, table, cols, rows)
	}
	took := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	return took
}

func sqliteInsertAll(ctx context.Context, conn *sql.Conn, table string, cols []string, rows [][]any) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	const chunk = 500
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		args := make([]any, 0, len(part)*len(cols))
		for _, r := range part {
			args = append(args, r...)
		}
		q := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(one+", ", len(part)), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}
