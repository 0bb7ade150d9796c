package readmodels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// sortColumn is a sortable column: time columns may be NULL (sorted last via a far-future
// stand-in), text columns are NOT NULL.
type sortColumn struct {
	column string
	isTime bool
}

// listSpec describes a keyset-paginated list over one table.
type listSpec[T any] struct {
	table       string
	columns     string
	sorts       map[string]sortColumn
	defaultSort string // e.g. "-createdAt"
	scan        func(scanner) (T, error)
	// value returns a row's value of a sort column (a string or a *time.Time) and its id.
	value func(T, string) (any, string)
}

// listQuery is the filtered part of a list request.
type listQuery struct {
	where  []string
	args   []any
	sort   string
	limit  int
	cursor string
}

// add appends a condition and its arguments.
func (q *listQuery) add(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

// searchQuery starts every owned-record search the same way: the reader's data scope, the
// keyword (Chinese substring) and the status filter.
func (db *DB) searchQuery(table string, scope Scope, keyword string, statuses []string) (*listQuery, error) {
	lq := &listQuery{}
	if cond, a := scope.condition(); cond != "" {
		lq.add(cond, a...)
	}
	if needle := strings.ToLower(strings.TrimSpace(keyword)); needle != "" {
		if utf8.RuneCountInString(needle) > 100 {
			return nil, &ValidationError{Field: "q", Message: "at most 100 characters"}
		}
		cond, a := db.Dialect.SearchCondition(table, needle)
		lq.add(cond, a...)
	}
	if len(statuses) > 0 {
		lq.add("status IN ("+strings.TrimSuffix(strings.Repeat("?,", len(statuses)), ",")+")", anySlice(statuses)...)
	}
	return lq, nil
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// list runs a filtered, sorted, keyset-paginated query and counts the total on the first page
// (later pages carry the total in the cursor).
func list[T any](ctx context.Context, db *DB, spec listSpec[T], q listQuery) (Page[T], error) {
	if q.limit <= 0 {
		q.limit = 50
	}
	if q.limit > 500 {
		return Page[T]{}, &ValidationError{Field: "limit", Message: "at most 500"}
	}
	if q.sort == "" {
		q.sort = spec.defaultSort
	}
	key, desc := strings.CutPrefix(q.sort, "-")
	col, ok := spec.sorts[key]
	if !ok {
		keys := make([]string, 0, len(spec.sorts))
		for k := range spec.sorts {
			keys = append(keys, k)
		}
		return Page[T]{}, &ValidationError{Field: "sort", Message: "one of " + strings.Join(sorted(keys), ", ") + " (prefix - for descending)"}
	}
	filter := ""
	if len(q.where) > 0 {
		filter = " WHERE " + strings.Join(q.where, " AND ")
	}
	var total int64
	var after *cursor
	if q.cursor != "" {
		c, err := decodeCursor(q.cursor)
		if err != nil {
			return Page[T]{}, err
		}
		after, total = &c, c.Total
	} else if err := db.SQL.QueryRowContext(ctx, db.Q("SELECT count(*) FROM "+spec.table+filter), q.args...).Scan(&total); err != nil {
		return Page[T]{}, fmt.Errorf("count %s: %w", spec.table, err)
	}
	expr, exprArgs := col.column, []any(nil)
	if col.isTime {
		expr, exprArgs = "COALESCE("+col.column+", ?)", []any{db.Dialect.Time(farFuture)}
	}
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	where, args := append([]string(nil), q.where...), append([]any(nil), q.args...)
	if after != nil {
		v := after.V
		if col.isTime {
			s, _ := v.(string)
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return Page[T]{}, &ValidationError{Field: "cursor", Message: "does not belong to this sort"}
			}
			v = db.Dialect.Time(t)
		}
		where = append(where, fmt.Sprintf("(%s %s ? OR (%s = ? AND id %s ?))", expr, op, expr, op))
		args = append(append(append(append(args, exprArgs...), v), exprArgs...), v, after.ID)
	}
	stmt := "SELECT " + spec.columns + " FROM " + spec.table
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	stmt += fmt.Sprintf(" ORDER BY %s %s, id %s LIMIT ?", expr, dir, dir)
	args = append(append(args, exprArgs...), q.limit+1)
	rows, err := db.SQL.QueryContext(ctx, db.Q(stmt), args...)
	if err != nil {
		return Page[T]{}, fmt.Errorf("list %s: %w", spec.table, err)
	}
	defer rows.Close()
	page := Page[T]{Items: []T{}, Total: total}
	for rows.Next() {
		item, err := spec.scan(rows)
		if err != nil {
			return Page[T]{}, err
		}
		page.Items = append(page.Items, item)
	}
	if err := rows.Err(); err != nil {
		return Page[T]{}, err
	}
	if len(page.Items) > q.limit {
		page.Items = page.Items[:q.limit]
		v, id := spec.value(page.Items[q.limit-1], col.column)
		if t, ok := v.(*time.Time); ok || col.isTime {
			tv := farFuture
			if t != nil {
				tv = *t
			}
			v = tv.Format(time.RFC3339Nano)
		}
		page.NextCursor = encodeCursor(cursor{V: v, ID: id, Total: total})
	}
	return page, nil
}

func sorted(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

// getScoped reads one row by id if the scope covers it (ErrNotFound otherwise).
func getScoped[T any](ctx context.Context, db *DB, table, columns string, scope Scope, id uuid.UUID, scan func(scanner) (T, error)) (T, error) {
	stmt := "SELECT " + columns + " FROM " + table + " WHERE id = ?"
	args := []any{id.String()}
	if cond, a := scope.condition(); cond != "" {
		stmt += " AND " + cond
		args = append(args, a...)
	}
	v, err := scan(db.SQL.QueryRowContext(ctx, db.Q(stmt), args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, ErrNotFound
	}
	return v, err
}
