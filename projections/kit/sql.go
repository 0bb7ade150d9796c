package kit

import (
	"context"
	"strings"

	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// UpsertChunk is how many rows one multi-row statement writes.
const UpsertChunk = 200

// PrefetchChunk is how many rows one prefetching query reads by id.
const PrefetchChunk = 500

// Placeholders returns rows groups of n ? each: "(?, ?), (?, ?)" (or "?, ?" for one column).
func Placeholders(rows, n int) string {
	one := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
	if n == 1 {
		return strings.TrimSuffix(strings.Repeat("?, ", rows), ", ")
	}
	group := "(" + one + ")"
	return strings.TrimSuffix(strings.Repeat(group+", ", rows), ", ")
}

// InsertNew writes n rows into table in multi-row INSERTs of UpsertChunk rows, skipping rows
// whose key (a unique column such as the log position) is already there, so a replayed page
// writes nothing twice. args returns the values of row i in the order of cols.
//
// In a rebuild (tx.Bulk) the page's rows are new to the table, and they go by tx.Insert.
func InsertNew(ctx context.Context, tx *engine.Tx, table, cols, key string, n int, args func(i int) []any) error {
	if !tx.Bulk {
		return InsertIgnoring(ctx, tx, table, cols, key, n, args)
	}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = args(i)
	}
	names := strings.Split(cols, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	return tx.Insert(ctx, table, names, rows)
}

// InsertIgnoring is InsertNew's multi-row INSERTs, also in a rebuild: for rows that may repeat
// a key within the log.
func InsertIgnoring(ctx context.Context, tx *engine.Tx, table, cols, key string, n int, args func(i int) []any) error {
	ncol := strings.Count(cols, ",") + 1
	for start := 0; start < n; start += UpsertChunk {
		end := min(start+UpsertChunk, n)
		vals := make([]any, 0, (end-start)*ncol)
		for i := start; i < end; i++ {
			vals = append(vals, args(i)...)
		}
		q := `INSERT INTO ` + table + ` (` + cols + `) VALUES ` + Placeholders(end-start, ncol) + ` ON CONFLICT (` + key + `) DO NOTHING`
		if _, err := tx.Exec(ctx, q, vals...); err != nil {
			return err
		}
	}
	return nil
}

// FollowUps buffers the follow-up records of a page and writes them at Flush in multi-row
// INSERTs (a follow-up id already there is skipped, as one record may be followed up twice in
// the log): no statement per event. Whatever reads or changes the table within the page must
// flush it first.
type FollowUps struct {
	Table string
	rows  []readmodels.FollowUp
}

// Add buffers a follow-up.
func (f *FollowUps) Add(r readmodels.FollowUp) { f.rows = append(f.rows, r) }

// Flush writes the buffered follow-ups and forgets them.
func (f *FollowUps) Flush(ctx context.Context, tx *engine.Tx) error {
	rows := f.rows
	f.rows = f.rows[:0]
	return InsertIgnoring(ctx, tx, f.Table, readmodels.FollowUpColumns, "id", len(rows), func(i int) []any { return tx.DB.FollowUpArgs(rows[i]) })
}
