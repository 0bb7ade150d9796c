package readmodels

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// ErrNotFound: no such row (or not visible to the reader).
var ErrNotFound = errors.New("not found")

// Scanner is a row or rows to scan.
type Scanner interface{ Scan(dest ...any) error }

// Scope limits what a reader sees; it becomes part of the WHERE clause, served by indexes on the
// owner columns every owned row carries (owner_id, owner_dept_id, owner_dept_path,
// owner_superior_path). It is the SQL form of access.Actor.Covers.
type Scope struct {
	All               bool       // everything (the "all" data scope), pool included
	Kind              role.Scope // otherwise: self (default), self_and_subordinates, department, department_tree
	UserID            uuid.UUID
	DepartmentID      uuid.UUID
	DeptPath          string
	SubordinatePrefix string
	Pool              bool // may see unowned (pool) rows
	None              bool // sees nothing (no read permission)
}

// ScopeOf is the scope of an actor.
func ScopeOf(a access.Actor, pool bool) Scope {
	return Scope{All: a.Scope == role.ScopeAll, Kind: a.Scope, UserID: a.ID, DepartmentID: a.DepartmentID, DeptPath: a.DeptPath,
		SubordinatePrefix: a.SubordinatePrefix(), Pool: pool}
}

// UserCondition limits rows by the organisation place of the user in column (the actor ids of the
// operation log's terms, user_id in the sign-in log): the reader's own rows, and those of the users
// their scope covers (users is the org_users table).
func (s Scope) UserCondition(users, column string) (string, []any) {
	if s.All || s.Kind == role.ScopeAll {
		return "", nil
	}
	cond, args := s.coveredUsers()
	if cond == "" {
		return column + " = ?", []any{s.UserID.String()}
	}
	return "(" + column + " = ? OR " + column + " IN (SELECT id FROM " + users + " WHERE " + cond + "))", append([]any{s.UserID.String()}, args...)
}

// coveredUsers is the condition on an organisation users table (columns superior_path,
// department_id, dept_path) that selects the other users whose rows the scope covers; "" when it
// covers only the reader's own. Without a department, the department scopes reach only the
// reader's own rows (as Covers and Condition): an empty path would be a prefix of every user's.
func (s Scope) coveredUsers() (string, []any) {
	switch {
	case s.Kind == role.ScopeSelfAndSubordinates:
		return "superior_path >= ? AND superior_path < ?", []any{s.SubordinatePrefix, s.SubordinatePrefix + "\uffff"}
	case s.Kind == role.ScopeDepartment && s.DepartmentID != uuid.Nil:
		return "department_id = ?", []any{s.DepartmentID.String()}
	case s.Kind == role.ScopeDepartmentTree && s.DeptPath != "":
		return "dept_path >= ? AND dept_path < ?", []any{s.DeptPath, s.DeptPath + "\uffff"}
	}
	return "", nil
}

// condition is the WHERE fragment for a table with the owner columns and in_pool.
func (s Scope) Condition() (string, []any) {
	if s.None {
		return "1 = 0", nil
	}
	if s.All || s.Kind == role.ScopeAll {
		return "", nil
	}
	owned, args := "owner_id = ?", []any{s.UserID.String()}
	switch s.Kind {
	case role.ScopeSelfAndSubordinates:
		owned += " OR (owner_superior_path >= ? AND owner_superior_path < ?)"
		args = append(args, s.SubordinatePrefix, s.SubordinatePrefix+"\uffff")
	case role.ScopeDepartment:
		if s.DepartmentID != uuid.Nil {
			owned += " OR owner_dept_id = ?"
			args = append(args, s.DepartmentID.String())
		}
	case role.ScopeDepartmentTree:
		if s.DeptPath != "" {
			owned += " OR (owner_dept_path >= ? AND owner_dept_path < ?)"
			args = append(args, s.DeptPath, s.DeptPath+"\uffff")
		}
	}
	if s.Pool {
		return "(in_pool = ? OR " + owned + ")", append([]any{true}, args...)
	}
	return "(" + owned + ")", args
}

// The projections every data scope and the operation log rest on: the organisation (users with
// their place, for scopes over actors) and the operation log.
const (
	OrgProjection   = "org"
	AuditProjection = "audit"
)

// UsersTable is the organisation's users table, against which UserCondition places actors.
func (db *DB) UsersTable() string { return db.Gens.Table(OrgProjection, "org_users") }

// MaxOwnerBranches is how many owners a scope may split into before a list reads it as one
// filtered walk of the sort index instead: a scope over that many owners covers enough of the rows
// that the walk meets a page's worth quickly, and the merge of many arms would cost more.
const MaxOwnerBranches = 32

// OwnerBranches splits the rows a reader may list into branches an index serves in sort order
// (see ListQuery.Branches and SortIndexes): one per owner the scope covers, and the pool (owner_id
// IS NULL) when the scope includes it. users is the owning projection's organisation users table,
// the source of the owner columns, so the owners are the same the scope condition admits; the
// condition stays in the query as well. owner and pool are the list's own filters. nil means one
// walk of the sort index (everything, or too many owners).
func (db *DB) OwnerBranches(ctx context.Context, users string, s Scope, owner *uuid.UUID, pool *bool) ([]Cond, error) {
	poolBranch := Cond{SQL: "owner_id IS NULL"}
	switch {
	case s.None:
		return nil, nil
	case owner != nil:
		return []Cond{{SQL: "owner_id = ?", Args: []any{owner.String()}}}, nil
	case pool != nil && *pool:
		return []Cond{poolBranch}, nil
	}
	out, err := db.UserBranches(ctx, users, s, "owner_id")
	if err != nil || out == nil {
		return nil, err
	}
	if s.Pool && pool == nil {
		out = append(out, poolBranch)
	}
	return out, nil
}

// UserBranches splits the rows of a table whose column names a user (an owner, the actor of an
// import) into one branch per user the scope covers (column = ?), each served in sort order by an
// index that starts with column; users is the organisation users table the scope is judged by.
// nil means one walk of the sort index: the scope covers everyone, or more than MaxOwnerBranches
// users. The scope's condition (UserCondition, Condition) stays in the query as well.
func (db *DB) UserBranches(ctx context.Context, users string, s Scope, column string) ([]Cond, error) {
	ids, err := db.CoveredUsers(ctx, users, s, MaxOwnerBranches)
	if err != nil || ids == nil {
		return nil, err
	}
	out := make([]Cond, 0, len(ids)+1)
	for _, id := range ids {
		out = append(out, Cond{SQL: column + " = ?", Args: []any{id}})
	}
	return out, nil
}

// CoveredUsers lists the users whose rows the scope covers, the reader first (users is the
// organisation users table the scope is judged by); nil when the scope covers everyone, or more
// than limit users.
func (db *DB) CoveredUsers(ctx context.Context, users string, s Scope, limit int) ([]string, error) {
	if s.None || s.All || s.Kind == role.ScopeAll {
		return nil, nil
	}
	ids := []string{s.UserID.String()}
	if cond, args := s.coveredUsers(); cond != "" {
		rows, err := db.SQL.QueryContext(ctx, db.Q("SELECT id FROM "+users+" WHERE "+cond+" ORDER BY id LIMIT ?"), append(args, limit+1)...)
		if err != nil {
			return nil, fmt.Errorf("scope users: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			if id != ids[0] {
				ids = append(ids, id)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(ids) > limit {
			return nil, nil
		}
	}
	return ids, nil
}
