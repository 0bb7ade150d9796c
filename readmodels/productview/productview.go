// Package productview is the product catalogue's read model: a row per live product (searchable by
// Chinese substrings of its name and by its code, filtered by category subtree and status) and
// the category tree as one document, with the number of products in each category.
//
// Amounts are exact: NUMERIC(17,2) on PostgreSQL, an INTEGER of fen on SQLite; both read back as
// the canonical decimal string ("0.10"), never a float.
package productview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/product"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the product tables.
const Projection = "products"

// Base names of the tables.
const (
	Table          = "products"
	CatalogueTable = "product_catalogue"
	// CountsTable keeps the number of live products filed in each category, which the projection
	// adjusts as products are created, moved and deleted (the tree never counts the products table).
	CountsTable = "product_category_counts"
)

// Product is the read view of a product.
type Product struct {
	ID             uuid.UUID `json:"id"`
	Name           string    `json:"name"`
	Code           string    `json:"code"`
	CategoryID     string    `json:"categoryId"`
	CategoryPath   string    `json:"categoryPath"` // filled in on reads from the tree
	Unit           string    `json:"unit"`
	ProductionDate string    `json:"productionDate"`
	Cost           *string   `json:"cost"`
	Price          *string   `json:"price"`
	Description    string    `json:"description"`
	Status         string    `json:"status"`
	CreatedBy      uuid.UUID `json:"createdBy"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	Version        int64     `json:"version"`
	Position       uint64    `json:"-"`
}

// FromFields sets the row's fields from the aggregate's.
func (p *Product) FromFields(f product.Fields) {
	p.Name, p.Code, p.CategoryID, p.Unit, p.ProductionDate, p.Description = f.Name, f.Code, f.CategoryID, f.Unit, f.ProductionDate, f.Description
	p.Cost, p.Price = optAmount(f.Cost), optAmount(f.Price)
}

// Fields are the row's fields as the aggregate holds them.
func (p *Product) Fields() product.Fields {
	return product.Fields{Name: p.Name, Code: p.Code, CategoryID: p.CategoryID, Unit: p.Unit, ProductionDate: p.ProductionDate,
		Description: p.Description, Cost: deref(p.Cost), Price: deref(p.Price)}
}

func optAmount(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// SearchText is what keyword search matches: the name and the code.
func (p *Product) SearchText() string {
	return strings.ToLower(p.Name + readmodels.Separator + p.Code)
}

var table = readmodels.Cols([]readmodels.Col[Product]{
	readmodels.IDCol("id", "{id} PRIMARY KEY", func(p *Product) *uuid.UUID { return &p.ID }),
	readmodels.TextCol("name", func(p *Product) *string { return &p.Name }),
	readmodels.TextCol("code", func(p *Product) *string { return &p.Code }),
	readmodels.TextCol("category_id", func(p *Product) *string { return &p.CategoryID }),
	readmodels.TextCol("unit", func(p *Product) *string { return &p.Unit }),
	readmodels.TextCol("production_date", func(p *Product) *string { return &p.ProductionDate }),
	readmodels.OptMoneyCol("cost", func(p *Product) **string { return &p.Cost }),
	readmodels.OptMoneyCol("price", func(p *Product) **string { return &p.Price }),
	readmodels.TextCol("description", func(p *Product) *string { return &p.Description }),
	readmodels.TextCol("status", func(p *Product) *string { return &p.Status }),
	readmodels.IDCol("created_by", "TEXT NOT NULL", func(p *Product) *uuid.UUID { return &p.CreatedBy }),
	readmodels.TimeCol("created_at", func(p *Product) *time.Time { return &p.CreatedAt }),
	readmodels.TimeCol("updated_at", func(p *Product) *time.Time { return &p.UpdatedAt }),
	readmodels.Int64Col("version", func(p *Product) *int64 { return &p.Version }),
	readmodels.PositionCol("position", func(p *Product) *uint64 { return &p.Position }),
	readmodels.WriteOnly("code_key", "TEXT NOT NULL", func(_ readmodels.Dialect, p *Product) any { return product.CodeKey(p.Code) }),
	readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, p *Product) any { return p.SearchText() }),
})

// Columns are the readable columns, in Scan order; InsertColumns every column, in Args order.
var (
	Columns       = table.Select()
	InsertColumns = table.Insert()
)

// Args are the row's values in InsertColumns order.
func Args(d readmodels.Dialect, p *Product) []any { return table.Args(d, p) }

// Scan reads one row in Columns order.
func Scan(row readmodels.Scanner) (*Product, error) { return table.Scan(row) }

var spec = readmodels.ListSpec[*Product]{
	Columns: Columns,
	Sorts: map[string]readmodels.SortColumn{"createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true},
		"name": {Column: "name"}, "code": {Column: "code_key"}},
	DefaultSort: "-createdAt",
	Scan:        func(r readmodels.Scanner) (*Product, error) { return Scan(r) },
	Value: func(p *Product, col string) (any, string) {
		switch col {
		case "name":
			return p.Name, p.ID.String()
		case "code_key":
			return product.CodeKey(p.Code), p.ID.String()
		case "created_at":
			return &p.CreatedAt, p.ID.String()
		}
		return &p.UpdatedAt, p.ID.String()
	},
}

// DDL is the product tables of one generation (the search index comes from the dialect).
func DDL(d readmodels.Dialect, gen int) []string {
	t := readmodels.TableName(Table, gen)
	out := append([]string{table.Create(t),
		`CREATE INDEX ` + t + `_category ON ` + t + ` (category_id, status)`,
		`CREATE INDEX ` + t + `_code ON ` + t + ` (code_key)`,
	}, readmodels.SortIndexes(t, spec.Sorts, "id", false)...)
	return append(out, `CREATE TABLE `+readmodels.TableName(CatalogueTable, gen)+` (
		id TEXT PRIMARY KEY, categories {json} NOT NULL, version {bigint} NOT NULL, position {bigint} NOT NULL)`,
		`CREATE TABLE `+readmodels.TableName(CountsTable, gen)+` (category_id TEXT PRIMARY KEY, products {bigint} NOT NULL)`)
}

// CatalogueRow is the key of the catalogue's one row.
const CatalogueRow = "catalogue"

// Views reads the product catalogue.
type Views struct{ db *readmodels.DB }

// New builds the views.
func New(db *readmodels.DB) *Views { return &Views{db: db} }

// Category is a node of the tree as clients read it.
type Category struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ParentID string `json:"parentId"`
	Path     string `json:"path"`
	// ProductCount counts the live products filed in the category itself, TotalCount those of its
	// whole subtree.
	ProductCount int64      `json:"productCount"`
	TotalCount   int64      `json:"totalCount"`
	Children     []Category `json:"children"`
}

// Tree is the category tree.
type Tree struct {
	Version    int64      `json:"version"` // 0: the catalogue never changed
	Categories []Category `json:"categories"`
}

// Catalogue reads the tree's state (the categories) and version.
func (v *Views) Catalogue(ctx context.Context) (*product.Catalogue, int64, error) {
	var cats string
	var version int64
	err := v.db.SQL.QueryRowContext(ctx, v.db.Q(`SELECT categories, version FROM `+v.db.Gens.Table(Projection, CatalogueTable)+` WHERE id = ?`),
		CatalogueRow).Scan(&cats, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return product.NewCatalogue(), 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read product catalogue: %w", err)
	}
	var list []product.Category
	if err := json.Unmarshal([]byte(cats), &list); err != nil {
		return nil, 0, fmt.Errorf("product catalogue: %w", err)
	}
	return product.RestoreCatalogue(list), version, nil
}

// Tree returns the categories as a tree (siblings by name) with their product counts.
func (v *Views) Tree(ctx context.Context) (Tree, error) {
	cat, version, err := v.Catalogue(ctx)
	if err != nil {
		return Tree{}, err
	}
	counts := map[string]int64{}
	rows, err := v.db.SQL.QueryContext(ctx, `SELECT category_id, products FROM `+v.db.Gens.Table(Projection, CountsTable))
	if err != nil {
		return Tree{}, fmt.Errorf("count products: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return Tree{}, err
		}
		counts[id] = n
	}
	if err := rows.Err(); err != nil {
		return Tree{}, err
	}
	all := cat.Categories()
	var build func(parent string) []Category
	build = func(parent string) []Category {
		out := []Category{}
		for _, c := range all {
			if c.ParentID != parent {
				continue
			}
			n := Category{ID: c.ID, Name: c.Name, ParentID: c.ParentID, Path: cat.Path(c.ID), ProductCount: counts[c.ID], Children: build(c.ID)}
			n.TotalCount = n.ProductCount
			for _, ch := range n.Children {
				n.TotalCount += ch.TotalCount
			}
			out = append(out, n)
		}
		sortByName(out)
		return out
	}
	return Tree{Version: version, Categories: build("")}, nil
}

func sortByName(cs []Category) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].Name < cs[j-1].Name; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// Query is a product search.
type Query struct {
	Q string
	// CategoryID narrows to the category and every category under it.
	CategoryID string
	Status     []string
	Sort       string
	Limit      int
	Cursor     string
}

// Search lists live products with keyset pagination.
func (v *Views) Search(ctx context.Context, q Query) (readmodels.Page[*Product], error) {
	t := v.db.Gens.Table(Projection, Table)
	lq, err := v.db.SearchQuery(t, readmodels.Scope{All: true}, q.Q, q.Status)
	if err != nil {
		return readmodels.Page[*Product]{}, err
	}
	cat, _, err := v.Catalogue(ctx)
	if err != nil {
		return readmodels.Page[*Product]{}, err
	}
	if q.CategoryID != "" {
		if _, ok := cat.Category(q.CategoryID); !ok {
			return readmodels.Page[*Product]{}, &readmodels.ValidationError{Field: "categoryId", Message: "no such product category"}
		}
		ids := cat.Subtree(q.CategoryID)
		lq.Add("category_id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+")", readmodels.AnySlice(ids)...)
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	s := spec
	s.Table = t
	page, err := readmodels.List(ctx, v.db, s, *lq)
	for _, p := range page.Items {
		p.CategoryPath = cat.Path(p.CategoryID)
	}
	return page, err
}

// Get returns one live product.
func (v *Views) Get(ctx context.Context, id uuid.UUID) (*Product, error) {
	p, err := readmodels.GetScoped(ctx, v.db, v.db.Gens.Table(Projection, Table), Columns, readmodels.Scope{All: true}, id, Scan)
	if err != nil {
		return nil, err
	}
	cat, _, err := v.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	p.CategoryPath = cat.Path(p.CategoryID)
	return p, nil
}
