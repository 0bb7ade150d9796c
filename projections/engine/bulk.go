package engine

import (
	"context"
	"database/sql"
	"strings"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// KeepIndexes is implemented by a projector whose Apply finds rows through secondary indexes
// (an UPDATE … WHERE owner_id = ? when an owner moves): it names those indexes of generation
// gen, as its CREATE INDEX statements do. A rebuild creates them with the tables; see
// rebuildSchema for the others.
type KeepIndexes interface {
	KeepIndexes(gen int) []string
}

// rebuildSchema divides a projector's DDL for a bulk load. A rebuild fills a fresh generation
// that nobody reads until it switches, so maintaining secondary indexes row by row while it
// loads is wasted work: first is what it creates with the generation (tables, unique
// constraints, the indexes the projector keeps), after what it runs once it has caught up, in
// the transaction that switches: the other CREATE INDEX statements and the search index, built
// over the loaded rows. tables are the generation's tables, for ANALYZE.
func rebuildSchema(db *readmodels.DB, p Projector, gen int) (first, after, tables []string) {
	ddl := p.Schema(db, gen)
	tables = createdTables(ddl)
	keep := map[string]bool{}
	if k, ok := p.(KeepIndexes); ok {
		for _, name := range k.KeepIndexes(gen) {
			keep[name] = true
		}
	}
	search := map[string]string{} // search index statement -> its table
	for _, t := range tables {
		for _, stmt := range db.Dialect.SearchIndex(t) {
			search[stmt] = t
		}
	}
	var filled []string
	for _, stmt := range ddl {
		if t, ok := search[stmt]; ok {
			after = append(after, stmt)
			if len(filled) == 0 || filled[len(filled)-1] != t {
				filled = append(filled, t)
			}
			continue
		}
		if name, ok := plainIndex(stmt); ok && !keep[name] {
			after = append(after, stmt)
			continue
		}
		first = append(first, stmt)
	}
	for _, t := range filled {
		after = append(after, db.Dialect.FillSearchIndex(t)...)
	}
	return first, after, tables
}

// plainIndex returns the index name of a "CREATE INDEX name ON …" statement (not a unique one,
// which a load's ON CONFLICT may need).
func plainIndex(stmt string) (string, bool) {
	f := strings.Fields(stmt)
	if len(f) < 4 || !strings.EqualFold(f[0], "CREATE") || !strings.EqualFold(f[1], "INDEX") {
		return "", false
	}
	f = f[2:]
	if len(f) > 3 && strings.EqualFold(f[0], "IF") && strings.EqualFold(f[1], "NOT") && strings.EqualFold(f[2], "EXISTS") {
		f = f[3:]
	}
	return f[0], true
}

// createdTables are the ordinary tables a projector's DDL creates ("CREATE TABLE name …").
func createdTables(ddl []string) []string {
	var out []string
	for _, stmt := range ddl {
		f := strings.Fields(stmt)
		if len(f) < 3 || !strings.EqualFold(f[0], "CREATE") || !strings.EqualFold(f[1], "TABLE") {
			continue
		}
		f = f[2:]
		if len(f) > 3 && strings.EqualFold(f[0], "IF") && strings.EqualFold(f[1], "NOT") && strings.EqualFold(f[2], "EXISTS") {
			f = f[3:]
		}
		name, _, _ := strings.Cut(f[0], "(")
		out = append(out, name)
	}
	return out
}

// analyze refreshes the planner statistics of tables inside tx.
func analyze(ctx context.Context, db *readmodels.DB, tx *sql.Tx, tables []string) error {
	for _, stmt := range db.Dialect.Analyze(tables) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}
