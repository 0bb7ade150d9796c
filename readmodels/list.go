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

// SortColumn is a sortable column. Text and NOT NULL time columns sort by the column itself;
// a Nullable time column sorts by COALESCE(column, far future) so that NULLs come last, and the
// same expression is indexed (SortIndexes), so both engines read it in index order.
type SortColumn struct {
	Column   string
	IsTime   bool
	Nullable bool
}

// expr is what the column sorts by, with the {far_future} marker Dialect.DDL replaces.
func (c SortColumn) expr() string {
	if c.Nullable {
		return "COALESCE(" + c.Column + ", {far_future})"
	}
	return c.Column
}

// SortIndexes are the indexes that serve every sort of a list in keyset order: (sort, key) for
// readers who see everything, and, for owned rows, (owner_id, sort, key) for each owner branch of a
// data scope and (sort, key) over the pool rows for its pool branch (see OwnerBranches). A view's DDL includes them; TestListPlans checks that every sort
// and scope reads one of them in order.
func SortIndexes(table string, sorts map[string]SortColumn, key string, owned bool) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(sorts)) {
		c := sorts[name]
		col, cols := strings.ReplaceAll(c.Column, "_", ""), c.expr()+", "+key
		if c.Column == key {
			cols = key
		} else { // the primary key serves a sort by the key itself
			out = append(out, `CREATE INDEX `+table+`_s_`+col+` ON `+table+` (`+cols+`)`)
		}
		if owned {
			// PostgreSQL does not treat owner_id IS NULL as fixing the first column of the owner
			// index, so the pool branch has an index of its own (small: pool rows only).
			out = append(out, `CREATE INDEX `+table+`_o_`+col+` ON `+table+` (owner_id, `+cols+`)`,
				`CREATE INDEX `+table+`_p_`+col+` ON `+table+` (`+cols+`) WHERE owner_id IS NULL`)
		}
	}
	return out
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
	Where []string
	Args  []any
	// Branches, when set, are alternatives: the rows are those of Where and any one branch. Each
	// is a condition an index serves in sort order (an owner of the reader's scope, the pool); the
	// list reads them side by side and merges them (UNION ALL under the sort), so a reader whose
	// scope is a minority of the rows never walks the others.
	Branches []Cond
	Sort     string
	Limit    int
	Cursor   string
	// Keyword, when set, is a keyword condition with two forms that select the same rows: the
	// count and a page of a rare keyword use Index (the search index drives, the branches are
	// dropped: the scope stays a filter, and the few matches are sorted); a page of a common one
	// (more matches than TotalBound) uses Scan, walking the sort index of each branch.
	Keyword *Keyword
}

// Keyword is a keyword condition as an index lookup and as a substring test.
type Keyword struct {
	Index, Scan Cond
}

// Cond is a condition with its arguments.
type Cond struct {
	SQL  string
	Args []any
}

// Besides appends to branches one more (the records a reader takes part in, beside those of the
// owners of their scope) made disjoint from them: the arms of a list are merged with UNION ALL,
// so a row two arms select would be listed twice. extra's rows that an owner branch already
// selects are left to that branch.
func Besides(branches []Cond, extra Cond) []Cond {
	if len(branches) == 0 {
		return []Cond{extra}
	}
	ors := make([]string, len(branches))
	args := slices.Clone(extra.Args)
	for i, b := range branches {
		ors[i] = "(" + b.SQL + ")"
		args = append(args, b.Args...)
	}
	return append(slices.Clone(branches), Cond{SQL: "(" + extra.SQL + ") AND NOT COALESCE(" + strings.Join(ors, " OR ") + ", FALSE)", Args: args})
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
		// The search index finds a rare keyword at once; a common one (王, 北京) is found sooner
		// by walking the sort index with a substring test. The first page's count tells which
		// (see List); later pages keep the choice in the cursor.
		cond, a := db.Dialect.SearchCondition(table, needle)
		lq.Keyword = &Keyword{Index: Cond{cond, a}, Scan: Cond{db.Dialect.Contains("search"), []any{needle}}}
	}
	if len(statuses) > 0 {
		lq.Add("status IN ("+strings.TrimSuffix(strings.Repeat("?,", len(statuses)), ",")+")", AnySlice(statuses)...)
	}
	return lq, nil
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// TotalBound is how far a list counts its rows: a page reports the exact total up to it, else
// TotalBound with TotalExact false (the UI shows "1,000+"). Counting further would cost more than
// the page itself at a million rows.
var TotalBound int64 = 1000

// List runs a filtered, sorted, keyset-paginated query and counts the total on the first page
// (later pages carry it in the cursor). Every arm of the query is a range read of one index in sort
// order (see SortIndexes and ListQuery.Branches): no sort of the table, no scan past the page.
func List[T any](ctx context.Context, db *DB, spec ListSpec[T], q ListQuery) (Page[T], error) {
	if _, err := buildList(db, spec, withKeyword(q, true)); err != nil {
		return Page[T]{}, err // a bad limit, sort or cursor costs no query
	}
	var total int64
	exact := false
	counted := false
	if q.Cursor == "" && q.Keyword != nil {
		// A keyword's count decides how its page is read.
		var err error
		if total, exact, err = countBounded(ctx, db, spec.Table, withKeyword(q, true)); err != nil {
			return Page[T]{}, err
		}
		counted = true
	} else if c, err := decodeCursor(q.Cursor); q.Cursor != "" && err == nil {
		exact = c.Exact
	}
	pq := withKeyword(q, exact)
	l, err := buildList(db, spec, pq)
	if err != nil {
		return Page[T]{}, err
	}
	q = *pq // with its defaults
	if q.Cursor != "" {
		total, exact = l.total, l.exact
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q(l.stmt), l.args...)
	if err != nil {
		return Page[T]{}, fmt.Errorf("list %s: %w", spec.Table, err)
	}
	defer rows.Close()
	page := Page[T]{Items: []T{}, Total: total, TotalExact: exact}
	var row Scanner = rows
	if l.extra {
		var skip any
		row = ScanFunc(func(dest ...any) error { return rows.Scan(append(dest, &skip)...) })
	}
	for rows.Next() {
		item, err := spec.Scan(row)
		if err != nil {
			return Page[T]{}, err
		}
		page.Items = append(page.Items, item)
	}
	if err := rows.Err(); err != nil {
		return Page[T]{}, err
	}
	if q.Cursor == "" && !counted {
		// A first page that holds every match is its own count; only a fuller list is counted.
		if len(page.Items) <= q.Limit {
			page.Total, page.TotalExact = int64(len(page.Items)), true
		} else if page.Total, page.TotalExact, err = countBounded(ctx, db, spec.Table, &q); err != nil {
			return Page[T]{}, err
		}
		total, exact = page.Total, page.TotalExact
	}
	if len(page.Items) > q.Limit {
		page.Items = page.Items[:q.Limit]
		v, id := spec.Value(page.Items[q.Limit-1], l.col.Column)
		if t, ok := v.(*time.Time); ok || l.col.IsTime {
			tv := farFuture
			if t != nil {
				tv = *t
			}
			v = tv.Format(time.RFC3339Nano)
		}
		page.NextCursor = encodeCursor(cursor{V: v, ID: id, Total: total, Exact: exact})
	}
	return page, nil
}

// ListStatement returns the page query List runs for q and its arguments (for tests that read its
// plan).
func ListStatement[T any](db *DB, spec ListSpec[T], q ListQuery) (string, []any, error) {
	exact := true
	if c, err := decodeCursor(q.Cursor); q.Cursor != "" && err == nil {
		exact = c.Exact
	}
	l, err := buildList(db, spec, withKeyword(q, exact))
	if err != nil {
		return "", nil, err
	}
	return db.Q(l.stmt), l.args, nil
}

// listPlan is a page query: its statement, the sort column, and the total a cursor carried.
type listPlan struct {
	stmt  string
	args  []any
	col   SortColumn
	total int64
	exact bool
	extra bool // the rows end with sort_key, which the scan skips
}

// buildList validates q (filling its defaults) and writes the page query.
func buildList[T any](db *DB, spec ListSpec[T], q *ListQuery) (listPlan, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.Limit > 500 {
		return listPlan{}, &ValidationError{Field: "limit", Message: "at most 500"}
	}
	if q.Sort == "" {
		q.Sort = spec.DefaultSort
	}
	key, desc := strings.CutPrefix(q.Sort, "-")
	col, ok := spec.Sorts[key]
	if !ok {
		return listPlan{}, &ValidationError{Field: "sort", Message: "one of " + strings.Join(slices.Sorted(maps.Keys(spec.Sorts)), ", ") + " (prefix - for descending)"}
	}
	keyCol := cmp.Or(spec.Key, "id")
	byKey := col.Column == keyCol
	expr := db.Dialect.DDL(col.expr())
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	var keyset *Cond
	var total int64
	exact := false
	if q.Cursor != "" {
		after, err := decodeCursor(q.Cursor)
		if err != nil {
			return listPlan{}, err
		}
		total, exact = after.Total, after.Exact
		k, err := spec.keyArg(after.ID)
		if err != nil {
			return listPlan{}, err
		}
		if byKey {
			keyset = &Cond{fmt.Sprintf("%s %s ?", keyCol, op), []any{k}}
		} else {
			v := after.V
			if col.IsTime {
				s, _ := v.(string)
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					return listPlan{}, &ValidationError{Field: "cursor", Message: "does not belong to this sort"}
				}
				v = db.Dialect.Time(t)
			}
			// A row comparison: both engines start the index range at the cursor.
			keyset = &Cond{fmt.Sprintf("(%s, %s) %s (?, ?)", expr, keyCol, op), []any{v, k}}
		}
	}
	order := fmt.Sprintf(" ORDER BY %s %s, %s %s LIMIT ?", expr, dir, keyCol, dir)
	if byKey {
		order = fmt.Sprintf(" ORDER BY %s %s LIMIT ?", keyCol, dir)
	}
	arm := func(branch *Cond, columns string) (string, []any) {
		where, args := slices.Clone(q.Where), slices.Clone(q.Args)
		for _, c := range []*Cond{branch, keyset} {
			if c != nil {
				where, args = append(where, c.SQL), append(args, c.Args...)
			}
		}
		stmt := "SELECT " + columns + " FROM " + spec.Table
		if len(where) > 0 {
			stmt += " WHERE " + strings.Join(where, " AND ")
		}
		return stmt, args
	}
	var stmt string
	var args []any
	extra := false
	switch len(q.Branches) {
	case 0:
		stmt, args = arm(nil, spec.Columns)
	case 1:
		stmt, args = arm(&q.Branches[0], spec.Columns)
	default:
		// The arms carry the sort value as sort_key, a last column the scan skips. SQLite merges
		// the arms of a compound SELECT in order, reading each from its index; PostgreSQL appends
		// them and sorts, so there each arm reads at most a page from its index first (the
		// sort is of a page per branch, never of the table).
		arms := make([]string, len(q.Branches))
		limited := db.Dialect.LimitUnionArms()
		for i := range q.Branches {
			a, aa := arm(&q.Branches[i], spec.Columns+", "+expr+" AS sort_key")
			if limited {
				a, aa = "("+a+order+")", append(aa, q.Limit+1)
			}
			arms[i], args = a, append(args, aa...)
		}
		stmt, extra = strings.Join(arms, " UNION ALL "), true
		order = fmt.Sprintf(" ORDER BY sort_key %s, %s %s LIMIT ?", dir, keyCol, dir)
		if byKey {
			order = fmt.Sprintf(" ORDER BY %s %s LIMIT ?", keyCol, dir)
		}
	}
	stmt += order
	args = append(args, q.Limit+1)
	return listPlan{stmt: stmt, args: args, col: col, total: total, exact: exact, extra: extra}, nil
}

// withKeyword returns q with its keyword as a plain condition: the index form for a count or a
// rare keyword (exact: the count stayed under the bound), else the substring test.
func withKeyword(q ListQuery, exact bool) *ListQuery {
	if q.Keyword != nil {
		k := q.Keyword.Scan
		if exact {
			k, q.Branches = q.Keyword.Index, nil
		}
		q.Where, q.Args = append(slices.Clone(q.Where), k.SQL), append(slices.Clone(q.Args), k.Args...)
		q.Keyword = nil
	}
	return &q
}

// countBounded counts the rows of a list up to TotalBound.
func countBounded(ctx context.Context, db *DB, table string, q *ListQuery) (int64, bool, error) {
	where, args := slices.Clone(q.Where), slices.Clone(q.Args)
	if len(q.Branches) > 0 {
		ors := make([]string, len(q.Branches))
		for i, b := range q.Branches {
			ors[i], args = "("+b.SQL+")", append(args, b.Args...)
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	filter := ""
	if len(where) > 0 {
		filter = " WHERE " + strings.Join(where, " AND ")
	}
	n, exact, err := db.BoundedCount(ctx, table+filter, args)
	if err != nil {
		return 0, false, fmt.Errorf("count %s: %w", table, err)
	}
	return n, exact, nil
}

// BoundedCount counts the rows of "FROM <from>" (tables, joins and a WHERE, with args) up to
// TotalBound: exact below it, else TotalBound with exact false. It stops reading at the bound, so
// it costs at most TotalBound+1 index entries whatever the table's size.
func (db *DB) BoundedCount(ctx context.Context, from string, args []any) (n int64, exact bool, err error) {
	err = db.SQL.QueryRowContext(ctx, db.Q("SELECT count(*) FROM (SELECT 1 FROM "+from+" LIMIT ?) c"), append(slices.Clone(args), TotalBound+1)...).Scan(&n)
	if err != nil || n <= TotalBound {
		return n, err == nil, err
	}
	return TotalBound, false, nil
}

// GetScoped reads one row by id if the scope covers it (ErrNotFound otherwise).
func GetScoped[T any](ctx context.Context, db *DB, table, columns string, scope Scope, id uuid.UUID, scan func(Scanner) (T, error)) (T, error) {
	cond, args := scope.Condition()
	return GetWhere(ctx, db, table, columns, cond, args, id, scan)
}

// GetWhere reads the row id of table if it also meets cond (the reader's sight; "" for none):
// ErrNotFound otherwise.
func GetWhere[T any](ctx context.Context, db *DB, table, columns, cond string, condArgs []any, id uuid.UUID, scan func(Scanner) (T, error)) (T, error) {
	stmt := "SELECT " + columns + " FROM " + table + " WHERE id = ?"
	args := []any{id.String()}
	if cond != "" {
		stmt += " AND " + cond
		args = append(args, condArgs...)
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
