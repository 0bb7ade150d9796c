// Package dictview is the data dictionary's read model: every list with its items in order, as
// one JSON document per list that has changed (a list that never changed reads as its built-in
// items).
package dictview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection is the name of the dictionary projection.
const Projection = "dictionaries"

// Table is the base name of its table.
const Table = "dict_lists"

// DDL is the table of one generation: a row per list that has changed.
func DDL(gen int) []string {
	return []string{`CREATE TABLE ` + readmodels.TableName(Table, gen) + ` (
		kind TEXT PRIMARY KEY, items {json} NOT NULL, version {bigint} NOT NULL, position {bigint} NOT NULL)`}
}

// List is one list as clients read it.
type List struct {
	Kind    dictionary.Kind   `json:"kind"`
	Levels  int               `json:"levels"`
	Version int64             `json:"version"` // 0: never changed (its built-in items)
	Items   []dictionary.Item `json:"items"`
}

// Views reads the dictionary.
type Views struct{ db *readmodels.DB }

// New builds the views.
func New(db *readmodels.DB) *Views { return &Views{db: db} }

// ErrUnknownKind: no list has that name.
var ErrUnknownKind = errors.New("no such list")

// Lists returns every list in the order of dictionary.Kinds.
func (v *Views) Lists(ctx context.Context) ([]List, error) {
	rows, err := v.db.SQL.QueryContext(ctx, `SELECT kind, items, version FROM `+v.db.Gens.Table(Projection, Table))
	if err != nil {
		return nil, fmt.Errorf("read dictionaries: %w", err)
	}
	defer rows.Close()
	stored := map[dictionary.Kind]List{}
	for rows.Next() {
		var kind, items string
		var version int64
		if err := rows.Scan(&kind, &items, &version); err != nil {
			return nil, err
		}
		l := List{Kind: dictionary.Kind(kind), Version: version}
		if err := json.Unmarshal([]byte(items), &l.Items); err != nil {
			return nil, fmt.Errorf("dictionary %s: %w", kind, err)
		}
		stored[l.Kind] = l
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]List, 0, len(dictionary.Kinds))
	for _, k := range dictionary.Kinds {
		l, ok := stored[k]
		if !ok {
			l = List{Kind: k, Items: dictionary.Defaults[k]}
		}
		l.Levels = k.Levels()
		out = append(out, l)
	}
	return out, nil
}

// List returns one list.
func (v *Views) List(ctx context.Context, k dictionary.Kind) (List, error) {
	var items string
	l := List{Kind: k, Levels: k.Levels()}
	err := v.db.SQL.QueryRowContext(ctx, v.db.Q(`SELECT items, version FROM `+v.db.Gens.Table(Projection, Table)+` WHERE kind = ?`), string(k)).
		Scan(&items, &l.Version)
	if errors.Is(err, sql.ErrNoRows) {
		l.Items = dictionary.Defaults[k]
		return l, nil
	}
	if err != nil {
		return List{}, fmt.Errorf("read dictionary %s: %w", k, err)
	}
	return l, json.Unmarshal([]byte(items), &l.Items)
}
