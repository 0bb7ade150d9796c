// Package auditproj indexes every event of the log for the operation-log queries.
package auditproj

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
)

// Projector indexes every event of the log for the operation-log queries: a narrow row per event
// (see auditview.TableDDL), no payload. It is derived from the log like every other read model
// and can be rebuilt from it.
type Projector struct{}

func (Projector) Name() string { return auditview.Projection }

func (Projector) Schema(_ *readmodels.DB, gen int) []string {
	return auditview.TableDDL(readmodels.TableName("audit_events", gen), readmodels.TableName("audit_terms", gen))
}

func (Projector) Drop(_ *readmodels.DB, gen int) []string {
	return []string{`DROP TABLE IF EXISTS ` + readmodels.TableName("audit_events", gen),
		`DROP TABLE IF EXISTS ` + readmodels.TableName("audit_terms", gen)}
}

func (Projector) NewBatch(tx *engine.Tx) engine.Batch { return &batch{tx: tx} }

type batch struct {
	tx     *engine.Tx
	events []eventstore.Event
}

func (b *batch) Apply(_ context.Context, e eventstore.Event) error {
	b.events = append(b.events, e)
	return nil
}

func (b *batch) Flush(ctx context.Context) error {
	if len(b.events) == 0 {
		return nil
	}
	numbers, err := b.number(ctx)
	if err != nil {
		return fmt.Errorf("number audit terms: %w", err)
	}
	d := b.tx.DB.Dialect
	err = kit.InsertNew(ctx, b.tx, b.tx.Table("audit_events"), auditview.Columns, "position", len(b.events), func(i int) []any {
		e := b.events[i]
		return []any{int64(e.Position), d.Time(e.OccurredAt), numbers[term{auditview.TermKind, eventstore.StreamKind(e.StreamID)}],
			numbers[term{auditview.TermType, e.Type}], numbers[term{auditview.TermActor, e.Metadata.ActorID}], e.StreamID}
	})
	if err != nil {
		return fmt.Errorf("insert audit events: %w", err)
	}
	return nil
}

// term is an entry of the terms table.
type term struct{ kind, text string }

// lookupChunk is how many terms one lookup asks for.
const lookupChunk = 500

// number returns the numbers of the batch's stream kinds, event types and actor ids: those the
// terms table holds keep theirs, new ones get the next free numbers. The projection's transaction
// is the only writer of its generation's tables.
func (b *batch) number(ctx context.Context) (map[term]int64, error) {
	var wanted []term
	seen := map[term]bool{}
	for _, e := range b.events {
		for _, t := range []term{{auditview.TermKind, eventstore.StreamKind(e.StreamID)}, {auditview.TermType, e.Type},
			{auditview.TermActor, e.Metadata.ActorID}} {
			if !seen[t] {
				seen[t] = true
				wanted = append(wanted, t)
			}
		}
	}
	table := b.tx.Table("audit_terms")
	numbers := make(map[term]int64, len(wanted))
	for start := 0; start < len(wanted); start += lookupChunk {
		chunk := wanted[start:min(start+lookupChunk, len(wanted))]
		args := make([]any, len(chunk))
		for i, t := range chunk {
			args[i] = t.text
		}
		rows, err := b.tx.QueryContext(ctx, b.tx.DB.Q(`SELECT kind, term, term_id FROM `+table+` WHERE term IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var t term
			var n int64
			if err := rows.Scan(&t.kind, &t.text, &n); err != nil {
				rows.Close()
				return nil, err
			}
			numbers[t] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var missing []term
	for _, t := range wanted {
		if _, ok := numbers[t]; !ok {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return numbers, nil
	}
	var last int64
	if err := b.tx.QueryRow(ctx, `SELECT coalesce(max(term_id), 0) FROM `+table).Scan(&last); err != nil {
		return nil, err
	}
	slices.SortFunc(missing, func(a, b term) int { return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.text, b.text)) })
	for i, t := range missing {
		numbers[t] = last + int64(i) + 1
	}
	err := kit.InsertNew(ctx, b.tx, table, auditview.TermColumns, "term_id", len(missing), func(i int) []any {
		t := missing[i]
		return []any{numbers[t], t.kind, t.text}
	})
	return numbers, err
}
