// Package dictproj projects the data dictionary's events into its read model: each event is
// folded into its list's state (the list's own rules, dictionary.List.Fold), stored as one row.
package dictproj

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/dictview"
)

// Projector builds dictview.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string                              { return dictview.Projection }
func (*Projector) Schema(_ *readmodels.DB, gen int) []string { return dictview.DDL(gen) }
func (*Projector) Drop(_ *readmodels.DB, gen int) []string {
	return []string{`DROP TABLE IF EXISTS ` + readmodels.TableName(dictview.Table, gen)}
}

// Wants implements engine.Selective: the dictionary streams.
func (*Projector) Wants(e eventstore.Event) bool {
	return eventstore.StreamKind(e.StreamID) == dictionary.StreamPrefix
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	return &batch{p: p, tx: tx, lists: map[dictionary.Kind]*state{}}
}

type state struct {
	list     *dictionary.List
	version  int64
	position uint64
}

type batch struct {
	p     *Projector
	tx    *engine.Tx
	lists map[dictionary.Kind]*state // touched in this page
	order []dictionary.Kind
}

// kindOf reads an event's list from its payload.
func kindOf(d event.Event) (dictionary.Kind, bool) {
	switch d := d.(type) {
	case dictionary.ItemAdded:
		return d.Kind, true
	case dictionary.ItemRelabeled:
		return d.Kind, true
	case dictionary.ItemDisabled:
		return d.Kind, true
	case dictionary.ItemEnabled:
		return d.Kind, true
	case dictionary.Reordered:
		return d.Kind, true
	}
	return "", false
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !b.p.Wants(e) {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	k, ok := kindOf(d)
	if !ok {
		return nil // an event this version does not show
	}
	s, err := b.load(ctx, k)
	if err != nil {
		return err
	}
	s.list.Fold(d)
	s.version, s.position = e.Version, e.Position
	return nil
}

// load returns the page's state of a list: read once per page, its built-in items if no row.
func (b *batch) load(ctx context.Context, k dictionary.Kind) (*state, error) {
	if s, ok := b.lists[k]; ok {
		return s, nil
	}
	var items string
	s := &state{}
	err := b.tx.QueryRow(ctx, `SELECT items, version FROM `+b.tx.Table(dictview.Table)+` WHERE kind = ?`, string(k)).Scan(&items, &s.version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		s.list = dictionary.New(k)
	case err != nil:
		return nil, fmt.Errorf("load dictionary %s: %w", k, err)
	default:
		var its []dictionary.Item
		if err := json.Unmarshal([]byte(items), &its); err != nil {
			return nil, fmt.Errorf("dictionary %s: %w", k, err)
		}
		s.list = dictionary.Restore(k, its)
	}
	b.lists[k] = s
	b.order = append(b.order, k)
	return s, nil
}

func (b *batch) Flush(ctx context.Context) error {
	for _, k := range b.order {
		s := b.lists[k]
		items, err := json.Marshal(s.list.Items())
		if err != nil {
			return err
		}
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.tx.Table(dictview.Table)+` (kind, items, version, position) VALUES (?, ?, ?, ?)
			ON CONFLICT (kind) DO UPDATE SET items = excluded.items, version = excluded.version, position = excluded.position`,
			string(k), string(items), s.version, int64(s.position)); err != nil {
			return fmt.Errorf("store dictionary %s: %w", k, err)
		}
	}
	return nil
}
