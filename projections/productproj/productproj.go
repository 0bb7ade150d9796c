// Package productproj projects the product catalogue into productview: a row per live product
// (each event folded into the product's state by the aggregate's own rules) and the category tree
// as one document (the catalogue's events folded likewise).
package productproj

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/product"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/productview"
)

// Projector builds productview.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return productview.Projection }

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	return append(productview.DDL(db.Dialect, gen), db.Dialect.SearchIndex(readmodels.TableName(productview.Table, gen))...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName(productview.Table, gen)
	return append(db.Dialect.DropSearchIndex(t), `DROP TABLE IF EXISTS `+t, `DROP TABLE IF EXISTS `+readmodels.TableName(productview.CatalogueTable, gen),
		`DROP TABLE IF EXISTS `+readmodels.TableName(productview.CountsTable, gen))
}

// Wants implements engine.Selective: the product and catalogue streams.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case product.StreamPrefix, product.CatalogueStreamPrefix:
		return true
	}
	return false
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	return &batch{p: p, tx: tx, rows: map[uuid.UUID]*productview.Product{}, was: map[uuid.UUID]string{}}
}

type batch struct {
	p     *Projector
	tx    *engine.Tx
	rows  map[uuid.UUID]*productview.Product // touched in this page; nil: deleted
	order []uuid.UUID
	// was is the category each touched product was filed in before this page ("": none, or the
	// product did not exist), for the per-category counts.
	was     map[uuid.UUID]string
	cat     *product.Catalogue // loaded on the page's first catalogue event
	version int64
	pos     uint64
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !b.p.Wants(e) {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	if eventstore.StreamKind(e.StreamID) == product.CatalogueStreamPrefix {
		if err := b.loadCatalogue(ctx); err != nil {
			return err
		}
		b.cat.Fold(d)
		b.version, b.pos = e.Version, e.Position
		return nil
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, product.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	if c, ok := d.(product.Created); ok {
		row := &productview.Product{ID: id, Status: string(c.Status), CreatedAt: c.At, UpdatedAt: c.At}
		row.CreatedBy, _ = uuid.Parse(c.By)
		row.FromFields(c.Fields)
		b.put(id, row, e)
		return nil
	}
	row, err := b.row(ctx, id)
	if err != nil || row == nil {
		return err // a product this page or an earlier one deleted: nothing to show
	}
	if _, ok := d.(product.Deleted); ok {
		b.put(id, nil, e)
		return nil
	}
	st := product.Restore(id, row.Fields(), product.Status(row.Status))
	st.Fold(d)
	row.FromFields(st.Fields())
	row.Status = string(st.Status())
	if at := occurred(d); !at.IsZero() {
		row.UpdatedAt = at
	}
	b.put(id, row, e)
	return nil
}

func occurred(d event.Event) (at time.Time) {
	switch d := d.(type) {
	case product.Updated:
		return d.At
	case product.PutOnSale:
		return d.At
	case product.TakenOffSale:
		return d.At
	}
	return at
}

func (b *batch) put(id uuid.UUID, row *productview.Product, e eventstore.Event) {
	if _, ok := b.rows[id]; !ok {
		b.order = append(b.order, id)
		if _, known := b.was[id]; !known {
			b.was[id] = "" // created in this page
		}
	}
	if row != nil {
		row.Version, row.Position = e.Version, e.Position
	}
	b.rows[id] = row
}

// row returns the product's row as this page left it (nil: deleted or unknown).
func (b *batch) row(ctx context.Context, id uuid.UUID) (*productview.Product, error) {
	if r, ok := b.rows[id]; ok {
		return r, nil
	}
	r, err := productview.Scan(b.tx.QueryRow(ctx, `SELECT `+productview.Columns+` FROM `+b.tx.Table(productview.Table)+` WHERE id = ?`, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load product %s: %w", id, err)
	}
	b.was[id] = r.CategoryID
	return r, nil
}

func (b *batch) loadCatalogue(ctx context.Context) error {
	if b.cat != nil {
		return nil
	}
	var cats string
	err := b.tx.QueryRow(ctx, `SELECT categories, version FROM `+b.tx.Table(productview.CatalogueTable)+` WHERE id = ?`, productview.CatalogueRow).
		Scan(&cats, &b.version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		b.cat = product.NewCatalogue()
		return nil
	case err != nil:
		return fmt.Errorf("load product catalogue: %w", err)
	}
	var list []product.Category
	if err := json.Unmarshal([]byte(cats), &list); err != nil {
		return err
	}
	b.cat = product.RestoreCatalogue(list)
	return nil
}

var upsert = func() string {
	cols := strings.Split(productview.InsertColumns, ", ")
	var set []string
	for _, c := range cols[1:] {
		set = append(set, c+" = excluded."+c)
	}
	return ` (` + productview.InsertColumns + `) VALUES (` + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") +
		`) ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ")
}()

func (b *batch) Flush(ctx context.Context) error {
	t := b.tx.Table(productview.Table)
	delta := map[string]int64{}
	for _, id := range b.order {
		row := b.rows[id]
		if was := b.was[id]; was != "" {
			delta[was]--
		}
		if row != nil && row.CategoryID != "" {
			delta[row.CategoryID]++
		}
		if row == nil {
			if _, err := b.tx.Exec(ctx, `DELETE FROM `+t+` WHERE id = ?`, id.String()); err != nil {
				return fmt.Errorf("delete product %s: %w", id, err)
			}
			continue
		}
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+t+upsert, productview.Args(b.tx.DB.Dialect, row)...); err != nil {
			return fmt.Errorf("store product %s: %w", id, err)
		}
	}
	for _, cat := range slices.Sorted(maps.Keys(delta)) { // one order for every writer: no deadlocks
		if delta[cat] == 0 {
			continue
		}
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.tx.Table(productview.CountsTable)+` (category_id, products) VALUES (?, ?)
			ON CONFLICT (category_id) DO UPDATE SET products = `+b.tx.Table(productview.CountsTable)+`.products + excluded.products`, cat, delta[cat]); err != nil {
			return fmt.Errorf("count products of category %s: %w", cat, err)
		}
	}
	if b.cat == nil {
		return nil
	}
	cats, err := json.Marshal(b.cat.Categories())
	if err != nil {
		return err
	}
	_, err = b.tx.Exec(ctx, `INSERT INTO `+b.tx.Table(productview.CatalogueTable)+` (id, categories, version, position) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET categories = excluded.categories, version = excluded.version, position = excluded.position`,
		productview.CatalogueRow, string(cats), b.version, int64(b.pos))
	return err
}
