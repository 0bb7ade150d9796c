package readmodels

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// SortColumn is a sortable column: time columns may be NULL (sorted last via a far-future
// stand-in), text columns are NOT NULL.
type SortColumn struct {
	Column string
	IsTime bool
}

// ListSpec describes a keyset-paginated list over one table.
type ListSpec[T any] struct {
	Table       string
	Columns     string
	Sorts       map[string]SortColumn
	DefaultSort string // e.g. "-createdAt"
	Scan        func(Scanner) (T, error)
	// Value returns a row's value of a sort column (a string or a *time.Time) and its key.
	Value func(T, string) (any, string)
	// Key is the unique column that breaks ties and names a row in a cursor: "id" unless set
	// (the logs use their position). Sorting by the key itself orders by it alone.
	Key string
	// KeyInt: the key is an integer column (its cursor value is parsed as one).
	KeyInt bool
}

// ListQuery is the filtered part of a list request.
type ListQuery struct {
	Where  []string
	Args   []any
	Sort   string
	Limit  int
	Cursor string
}

// Add appends a condition and its arguments.
func (q *ListQuery) Add(cond string, args ...any) {
	q.Where = append(q.Where, cond)
	q.Args = append(q.Args, args...)
}

// SearchQuery starts every owned-record search the same way: the reader's data scope, the
// keyword (Chinese substring) and the status filter.
func (db *DB) SearchQuery(table string, scope Scope, keyword string, statuses []string) (*ListQuery, error) {
	lq := &ListQuery{}
	if cond, a := scope.Condition(); cond != "" {
		lq.Add(cond, a...)
	}
	if needle := strings.ToLower(strings.TrimSpace(keyword)); needle != "" {
		if utf8.RuneCountInString(needle) > 100 {
			return nil, &ValidationError{Field: "q", Message: "at most 100 characters"}
		}
		cond, a := db.Dialect.SearchCondition(table, needle)
		lq.Add(cond, a...)
	}
	if len(statuses) > 0 {
		lq.Add("status IN ("+strings.TrimSuffix(strings.Repeat("?,", len(statuses)), ",")+")", AnySlice(statuses)...)
	}
	return lq, nil
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// List runs a filtered, sorted, keyset-paginated query and counts the total on the first page
// (later pages carry the total in the cursor).
func List[T any](ctx context.Context, db *DB, spec ListSpec[T], q ListQuery) (Page[T], error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.Limit > 500 {
		return Page[T]{}, &ValidationError{Field: "limit", Message: "at most 500"}
	}
	if q.Sort == "" {
		q.Sort = spec.DefaultSort
	}
	key, desc := strings.CutPrefix(q.Sort, "-")
	col, ok := spec.Sorts[key]
	if !ok {
		return Page[T]{}, &ValidationError{Field: "sort", Message: "one of " + strings.Join(slices.Sorted(maps.Keys(spec.Sorts)), ", ") + " (prefix - for descending)"}
	}
	filter := ""
	if len(q.Where) > 0 {
		filter = " WHERE " + strings.Join(q.Where, " AND ")
	}
	var total int64
	var after *cursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page[T]{}, err
		}
		after, total = &c, c.Total
	} else if err := db.SQL.QueryRowContext(ctx, db.Q("SELECT count(*) FROM "+spec.Table+filter), q.Args...).Scan(&total); err != nil {
		return Page[T]{}, fmt.Errorf("count %s: %w", spec.Table, err)
	}
	keyCol := cmp.Or(spec.Key, "id")
	byKey := col.Column == keyCol
	expr, exprArgs := col.Column, []any(nil)
	if col.IsTime {
		expr, exprArgs = "COALESCE("+col.Column+", ?)", []any{db.Dialect.Time(farFuture)}
	}
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	where, args := append([]string(nil), q.Where...), append([]any(nil), q.Args...)
	if after != nil {
		k, err := spec.keyArg(after.ID)
		if err != nil {
			return Page[T]{}, err
		}
		if byKey {
			where, args = append(where, fmt.Sprintf("%s %s ?", keyCol, op)), append(args, k)
		} else {
			v := after.V
			if col.IsTime {
				s, _ := v.(string)
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					return Page[T]{}, &ValidationError{Field: "cursor", Message: "does not belong to this sort"}
				}
				v = db.Dialect.Time(t)
			}
			where = append(where, fmt.Sprintf("(%s %s ? OR (%s = ? AND %s %s ?))", expr, op, expr, keyCol, op))
			args = append(append(append(append(args, exprArgs...), v), exprArgs...), v, k)
		}
	}
	stmt := "SELECT " + spec.Columns + " FROM " + spec.Table
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	if byKey {
		stmt += fmt.Sprintf(" ORDER BY %s %s LIMIT ?", keyCol, dir)
		args = append(args, q.Limit+1)
	} else {
		stmt += fmt.Sprintf(" ORDER BY %s %s, %s %s LIMIT ?", expr, dir, keyCol, dir)
		args = append(append(args, exprArgs...), q.Limit+1)
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q(stmt), args...)
	if err != nil {
		return Page[T]{}, fmt.Errorf("list %s: %w", spec.Table, err)
	}
	defer rows.Close()
	page := Page[T]{Items: []T{}, Total: total}
	for rows.Next() {
		item, err := spec.Scan(rows)
		if err != nil {
			return Page[T]{}, err
		}
		page.Items = append(page.Items, item)
	}
	if err := rows.Err(); err != nil {
		return Page[T]{}, err
	}
	if len(page.Items) > q.Limit {
		page.Items = page.Items[:q.Limit]
		v, id := spec.Value(page.Items[q.Limit-1], col.Column)
		if t, ok := v.(*time.Time); ok || col.IsTime {
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

// GetScoped reads one row by id if the scope covers it (ErrNotFound otherwise).
func GetScoped[T any](ctx context.Context, db *DB, table, columns string, scope Scope, id uuid.UUID, scan func(Scanner) (T, error)) (T, error) {
	stmt := "SELECT " + columns + " FROM " + table + " WHERE id = ?"
	args := []any{id.String()}
	if cond, a := scope.Condition(); cond != "" {
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

// keyArg is a cursor's key as a query argument.
func (spec ListSpec[T]) keyArg(k string) (any, error) {
	if !spec.KeyInt {
		return k, nil
	}
	n, err := strconv.ParseInt(k, 10, 64)
	if err != nil || n < 0 {
		return nil, &ValidationError{Field: "cursor", Message: "is not a cursor this server issued"}
	}
	return n, nil
}
