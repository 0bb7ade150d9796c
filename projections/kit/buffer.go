package kit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// RowBuffer keeps the rows a page touches in memory and writes each once at flush, in multi-row
// upserts: catch-up costs a statement per few hundred rows, not per event. It also caches owner
// placements from the projection's organisation tree for the page. Whatever reads or writes the
// table other than through the buffer must flush it first (organisation changes do).
type RowBuffer[R any] struct {
	table  string
	kind   string // for errors: "lead", "customer"
	read   string // the columns scan reads
	scan   func(readmodels.Scanner) (*R, error)
	key    func(*R) uuid.UUID
	cols   string // upsert columns, args their values; id, created_by and created_at are never updated
	args   func(*R) []any
	tree   OrgTree
	rows   map[uuid.UUID]*R
	order  []uuid.UUID
	gone   map[uuid.UUID]bool
	places map[uuid.UUID]Placement
	// stored holds the rows Prefetch read, as stored (nil: asked for and not there).
	stored map[uuid.UUID]*R
	// known are the rows read from the table (by Get or Prefetch); the others Put are new.
	known map[uuid.UUID]bool
}

// NewRowBuffer buffers rows of table (kind names them in errors). read is the column list scan
// reads, key a row's id; cols the upsert's columns and args their values for a row.
func NewRowBuffer[R any](table, kind string, tree OrgTree, read string, scan func(readmodels.Scanner) (*R, error), key func(*R) uuid.UUID,
	cols string, args func(*R) []any) *RowBuffer[R] {
	return &RowBuffer[R]{table: table, kind: kind, read: read, scan: scan, key: key, cols: cols, args: args, tree: tree,
		rows: map[uuid.UUID]*R{}, gone: map[uuid.UUID]bool{}, places: map[uuid.UUID]Placement{}, stored: map[uuid.UUID]*R{},
		known: map[uuid.UUID]bool{}}
}

// Prefetch reads the stored rows of ids (those the page's events change) in a few queries, so
// that Get costs no round trip per event.
func (rb *RowBuffer[R]) Prefetch(ctx context.Context, tx *engine.Tx, ids []uuid.UUID) error {
	var want []any
	for _, id := range ids {
		if _, ok := rb.stored[id]; ok || rb.rows[id] != nil || rb.gone[id] {
			continue
		}
		rb.stored[id] = nil
		want = append(want, id.String())
	}
	for start := 0; start < len(want); start += PrefetchChunk {
		chunk := want[start:min(start+PrefetchChunk, len(want))]
		rows, err := tx.QueryContext(ctx, tx.DB.Q(`SELECT `+rb.read+` FROM `+rb.table+` WHERE id IN (`+Placeholders(len(chunk), 1)+`)`), chunk...)
		if err != nil {
			return err
		}
		for rows.Next() {
			row, err := rb.scan(rows)
			if err != nil {
				rows.Close()
				return err
			}
			rb.stored[rb.key(row)] = row
			rb.known[rb.key(row)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Put buffers the row's new state.
func (rb *RowBuffer[R]) Put(id uuid.UUID, row *R) {
	if _, seen := rb.rows[id]; !seen {
		rb.order = append(rb.order, id)
	}
	rb.rows[id] = row
	delete(rb.gone, id)
}

// Remove deletes the row at flush.
func (rb *RowBuffer[R]) Remove(id uuid.UUID) {
	delete(rb.rows, id)
	rb.gone[id] = true
}

// Get returns the row as this page left it, else as stored.
func (rb *RowBuffer[R]) Get(ctx context.Context, tx *engine.Tx, id uuid.UUID) (*R, error) {
	if row, ok := rb.rows[id]; ok {
		return row, nil
	}
	if rb.gone[id] {
		return nil, fmt.Errorf("%s %s: event after deletion", rb.kind, id)
	}
	if row, ok := rb.stored[id]; ok {
		if row == nil {
			return nil, fmt.Errorf("%s %s: not in the read model", rb.kind, id)
		}
		return row, nil
	}
	row, err := rb.scan(tx.QueryRow(ctx, `SELECT `+rb.read+` FROM `+rb.table+` WHERE id = ?`, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s %s: not in the read model", rb.kind, id)
	}
	if err == nil {
		rb.known[id] = true
	}
	return row, err
}

// Find is Get for an event that may concern a row that is not (or no longer) in the read model
// (an erasure of a deleted record): ok is false then, and only a failed read is an error.
func (rb *RowBuffer[R]) Find(ctx context.Context, tx *engine.Tx, id uuid.UUID) (row *R, ok bool, err error) {
	if row, ok := rb.rows[id]; ok {
		return row, true, nil
	}
	if rb.gone[id] {
		return nil, false, nil
	}
	if row, ok := rb.stored[id]; ok {
		return row, row != nil, nil
	}
	row, err = rb.scan(tx.QueryRow(ctx, `SELECT `+rb.read+` FROM `+rb.table+` WHERE id = ?`, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	rb.known[id] = true
	return row, true, nil
}

// Placement is where the user sits, from the projection's tree, cached for the page.
func (rb *RowBuffer[R]) Placement(ctx context.Context, tx *engine.Tx, id uuid.UUID) (Placement, error) {
	if p, ok := rb.places[id]; ok {
		return p, nil
	}
	p, err := rb.tree.Lookup(ctx, tx, id)
	if err == nil {
		rb.places[id] = p
	}
	return p, err
}

// OrgChanged writes the buffer (so buffered rows can not overwrite the change), forgets cached
// placements, and applies an organisation event to the tree and the owner columns of tables.
func (rb *RowBuffer[R]) OrgChanged(ctx context.Context, tx *engine.Tx, d event.Event, tables ...string) error {
	if !rb.tree.Handles(d) {
		return nil
	}
	if err := rb.Flush(ctx, tx); err != nil {
		return err
	}
	clear(rb.places)
	return followOrg(ctx, tx, rb.tree, d, tables...)
}

// Flush writes the buffered rows and forgets them.
func (rb *RowBuffer[R]) Flush(ctx context.Context, tx *engine.Tx) error {
	defer func() {
		clear(rb.rows)
		clear(rb.gone)
		clear(rb.stored)
		clear(rb.known)
		rb.order = rb.order[:0]
	}()
	if len(rb.gone) > 0 {
		ids := make([]any, 0, len(rb.gone))
		for id := range rb.gone {
			ids = append(ids, id.String())
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+rb.table+` WHERE id IN (`+Placeholders(len(ids), 1)+`)`, ids...); err != nil {
			return err
		}
	}
	// In a rebuild (tx.Bulk) the rows this page created are new to the table: they are written
	// by the bulk path, the others upserted.
	live := make([]*R, 0, len(rb.order))
	var fresh [][]any
	for _, id := range rb.order {
		row, ok := rb.rows[id]
		switch {
		case !ok:
		case tx.Bulk && !rb.known[id]:
			fresh = append(fresh, rb.args(row))
		default:
			live = append(live, row)
		}
	}
	if len(fresh) > 0 {
		cols := strings.Split(rb.cols, ",")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		if err := tx.Insert(ctx, rb.table, cols, fresh); err != nil {
			return fmt.Errorf("insert new %s rows: %w", rb.kind, err)
		}
	}
	ncol := strings.Count(rb.cols, ",") + 1
	var set []string
	for _, c := range strings.Split(rb.cols, ",") {
		c = strings.TrimSpace(c)
		if c != "id" && c != "created_by" && c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	for start := 0; start < len(live); start += UpsertChunk {
		chunk := live[start:min(start+UpsertChunk, len(live))]
		args := make([]any, 0, len(chunk)*ncol)
		for _, row := range chunk {
			args = append(args, rb.args(row)...)
		}
		q := `INSERT INTO ` + rb.table + ` (` + rb.cols + `) VALUES ` + Placeholders(len(chunk), ncol) +
			` ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("upsert %s rows: %w", rb.kind, err)
		}
	}
	return nil
}
