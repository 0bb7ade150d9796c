package readmodels

import (
	"context"
	"strings"

	"github.com/google/uuid"
)

// Ownership is the block every owned row carries (leads, customers, and every module after
// them): the owner and where the owner sits, so that a data scope is a WHERE clause served by an
// index (see Scope.Condition), and whether the record is in its pool. Declared once: a view
// embeds the struct, adds OwnershipCols to its table and OwnershipIndexes to its DDL.
//
// OwnerName is the owner's display name, denormalised by the projection from its own copy of the
// organisation (kit.OrgTree) so that a list shows names without a join or a second query; a
// rename rewrites the rows of that owner (by the owner index). Empty for a record in its pool.
type Ownership struct {
	OwnerID       *uuid.UUID `json:"ownerId"`
	OwnerName     string     `json:"ownerName,omitempty"`
	InPool        bool       `json:"inPool"`
	OwnerDeptID   string     `json:"-"`
	OwnerDeptPath string     `json:"-"`
	OwnerSupPath  string     `json:"-"`
}

// OwnershipCols are the ownership block's columns of a view whose rows embed Ownership.
func OwnershipCols[R any](get func(*R) *Ownership) []Col[R] {
	return []Col[R]{
		OptIDCol("owner_id", true, func(r *R) **uuid.UUID { return &get(r).OwnerID }),
		withType(TextCol("owner_name", func(r *R) *string { return &get(r).OwnerName }), "TEXT NOT NULL DEFAULT ''"),
		withType(TextCol("owner_dept_id", func(r *R) *string { return &get(r).OwnerDeptID }), "TEXT NOT NULL DEFAULT ''"),
		withType(TextCol("owner_dept_path", func(r *R) *string { return &get(r).OwnerDeptPath }), "{path} NOT NULL DEFAULT ''"),
		withType(TextCol("owner_superior_path", func(r *R) *string { return &get(r).OwnerSupPath }), "{path} NOT NULL DEFAULT ''"),
		BoolCol("in_pool", func(r *R) *bool { return &get(r).InPool }),
	}
}

// OwnershipIndexes serve the lists of a table of owned rows: for every sort, one index in keyset
// order for readers who see everything and one per owner for the branches of a data scope (see
// SortIndexes and OwnerBranches); the owner index also serves CountOwned and the organisation
// updates of the owner columns.
func OwnershipIndexes(table string, sorts map[string]SortColumn) []string {
	return SortIndexes(table, sorts, "id", true)
}

func withType[R any](c Col[R], typ string) Col[R] {
	c.Type = typ
	return c
}

// CountOwned counts the rows of table owned by owner, leaving out the ids in except (records whose
// holding the caller knows better: the claim limits, see commands.ClaimLedger).
func (db *DB) CountOwned(ctx context.Context, table string, owner uuid.UUID, except []uuid.UUID) (int64, error) {
	query := `SELECT count(*) FROM ` + table + ` WHERE owner_id = ?`
	args := []any{owner.String()}
	if len(except) > 0 {
		query += ` AND id NOT IN (?` + strings.Repeat(`, ?`, len(except)-1) + `)`
		for _, id := range except {
			args = append(args, id.String())
		}
	}
	var n int64
	err := db.SQL.QueryRowContext(ctx, db.Q(query), args...).Scan(&n)
	return n, err
}
