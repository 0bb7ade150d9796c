package readmodelstest

import (
	"cmp"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/readmodels"
)

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// listRows are 25 records with repeated names and creation times, due times that are NULL in a
// third of the rows, and unique positions 1..25 in an order unlike insertion's.
func listRows() []record {
	base := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	names := []string{"alpha", "bravo", "charlie", "delta"}
	rows := make([]record, 25)
	for i := range rows {
		r := record{ID: uuid.New(), Name: names[i%4], CreatedBy: uuid.New(),
			At:       base.Add(time.Duration(i%5)*time.Hour + time.Duration(i%2)*time.Microsecond),
			Position: uint64(i*7%25 + 1), Version: int64(i)}
		if i%3 != 0 {
			r.Due = ptr(base.AddDate(0, 0, i%4))
		}
		rows[i] = r
	}
	return rows
}

// sortValue is a record's value of a sort column as the engine orders it.
func sortValue(r *record, col string) any {
	switch col {
	case "name":
		return r.Name
	case "created_at":
		return r.At
	case "due_at":
		if r.Due == nil {
			return farFuture
		}
		return *r.Due
	case "position":
		return r.Position
	}
	return r.ID.String()
}

func compareValues(a, b any) int {
	switch a := a.(type) {
	case string:
		return cmp.Compare(a, b.(string))
	case time.Time:
		return a.Compare(b.(time.Time))
	case uint64:
		return cmp.Compare(a, b.(uint64))
	}
	panic("unknown sort value")
}

func idSpec(table string) readmodels.ListSpec[*record] {
	return readmodels.ListSpec[*record]{
		Table:   table,
		Columns: recordTable.Select(),
		Sorts: map[string]readmodels.SortColumn{"name": {Column: "name"}, "createdAt": {Column: "created_at", IsTime: true},
			"due": {Column: "due_at", IsTime: true, Nullable: true}, "id": {Column: "id"}},
		DefaultSort: "-createdAt",
		Scan:        func(s readmodels.Scanner) (*record, error) { return recordTable.Scan(s) },
		Value: func(r *record, col string) (any, string) {
			switch col {
			case "name":
				return r.Name, r.ID.String()
			case "created_at":
				return &r.At, r.ID.String()
			case "due_at":
				return r.Due, r.ID.String()
			}
			return r.ID.String(), r.ID.String()
		},
	}
}

func positionSpec(table string) readmodels.ListSpec[*record] {
	s := idSpec(table)
	s.Key, s.KeyInt = "position", true
	s.Sorts = map[string]readmodels.SortColumn{"name": {Column: "name"}, "createdAt": {Column: "created_at", IsTime: true},
		"due": {Column: "due_at", IsTime: true, Nullable: true}, "position": {Column: "position"}}
	s.DefaultSort = "position"
	value := s.Value
	s.Value = func(r *record, col string) (any, string) {
		key := strconv.FormatUint(r.Position, 10)
		if col == "position" {
			return key, key
		}
		v, _ := value(r, col)
		return v, key
	}
	return s
}

// expectedOrder sorts rows by the sort column, then the key, ascending or descending.
func expectedOrder(rows []record, col, key string, desc bool, keep func(*record) bool) []string {
	var sel []*record
	for i := range rows {
		if keep == nil || keep(&rows[i]) {
			sel = append(sel, &rows[i])
		}
	}
	slices.SortFunc(sel, func(a, b *record) int {
		c := compareValues(sortValue(a, col), sortValue(b, col))
		if c == 0 {
			c = compareValues(sortValue(a, key), sortValue(b, key))
		}
		if desc {
			c = -c
		}
		return c
	})
	ids := make([]string, len(sel))
	for i, r := range sel {
		ids[i] = r.ID.String()
	}
	return ids
}

// pageAll follows the cursors from the first page and returns every item and the page sizes;
// every page must report total (unless total is negative).
func (e *env) pageAll(spec readmodels.ListSpec[*record], q readmodels.ListQuery, total int64, between func(page int)) ([]*record, []int) {
	e.Helper()
	var items []*record
	var sizes []int
	for n := 0; ; n++ {
		if n > 30 {
			e.Fatalf("sort %q: more than 30 pages", q.Sort)
		}
		page, err := readmodels.List(e.ctx, e.db, spec, q)
		if err != nil {
			e.Fatalf("sort %q page %d: %v", q.Sort, n, err)
		}
		if total >= 0 && page.Total != total {
			e.Errorf("sort %q page %d: total %d, want %d", q.Sort, n, page.Total, total)
		}
		items = append(items, page.Items...)
		sizes = append(sizes, len(page.Items))
		if page.NextCursor == "" {
			return items, sizes
		}
		if between != nil {
			between(n)
		}
		q.Cursor = page.NextCursor
	}
}

func ids(items []*record) []string {
	out := make([]string, len(items))
	for i, r := range items {
		out[i] = r.ID.String()
	}
	return out
}

// checkPaging pages through a sort with limit 7 and compares with the expected order.
func (e *env) checkPaging(spec readmodels.ListSpec[*record], rows []record, sort, col string, q readmodels.ListQuery, keep func(*record) bool) []*record {
	e.Helper()
	key := cmp.Or(spec.Key, "id")
	_, desc := cutMinus(cmp.Or(sort, spec.DefaultSort))
	want := expectedOrder(rows, col, key, desc, keep)
	q.Sort, q.Limit = sort, 7
	items, sizes := e.pageAll(spec, q, int64(len(want)), nil)
	var wantSizes []int
	for n := len(want); n > 0; n -= 7 {
		wantSizes = append(wantSizes, min(n, 7))
	}
	if !slices.Equal(sizes, wantSizes) {
		e.Errorf("sort %q: page sizes %v, want %v", sort, sizes, wantSizes)
	}
	if got := ids(items); !slices.Equal(got, want) {
		e.Errorf("sort %q: %d rows in order\n%v\nwant %d\n%v", sort, len(got), got, len(want), want)
	}
	return items
}

func cutMinus(s string) (string, bool) {
	if len(s) > 0 && s[0] == '-' {
		return s[1:], true
	}
	return s, false
}

// testList: the keyset list engine pages through every row exactly once, in order, both ways,
// with ties on the sort column broken by the id; NULL times sort as the far future.
func testList(e *env) {
	t := e.name("list")
	rows := listRows()
	e.insertRecords(t, rows)
	spec := idSpec(t)
	cols := map[string]string{"name": "name", "createdAt": "created_at", "due": "due_at", "id": "id"}
	for sort, col := range cols {
		for _, s := range []string{sort, "-" + sort} {
			items := e.checkPaging(spec, rows, s, col, readmodels.ListQuery{}, nil)
			if s == "due" && len(items) == 25 {
				for i, r := range items {
					if (i >= 25-9) != (r.Due == nil) {
						e.Errorf("sort due: row %d has due %v; the 9 NULL due times must come last", i, r.Due)
					}
				}
			}
		}
	}
	// The default sort, and a filter (the total counts the filtered rows).
	e.checkPaging(spec, rows, "", "created_at", readmodels.ListQuery{}, nil)
	if got, want := ids(e.firstPage(spec, readmodels.ListQuery{Limit: 25})), expectedOrder(rows, "created_at", "id", true, nil); !slices.Equal(got, want) {
		e.Errorf("default sort (-createdAt): %v, want %v", got, want)
	}
	notAlpha := func(r *record) bool { return r.Name != "alpha" }
	for _, s := range []string{"name", "-due"} {
		var q readmodels.ListQuery
		q.Add("name <> ?", "alpha")
		col, _ := cutMinus(s)
		e.checkPaging(spec, rows, s, cols[col], q, notAlpha)
	}
	// Limits: 0 is the default (50), exactly the row count needs no second page.
	for _, limit := range []int{0, 25, 500} {
		page, err := readmodels.List(e.ctx, e.db, spec, readmodels.ListQuery{Limit: limit, Sort: "name"})
		if err != nil || len(page.Items) != 25 || page.NextCursor != "" || page.Total != 25 {
			e.Errorf("limit %d: %d items, cursor %q, total %d, err %v; want 25 items, no cursor", limit, len(page.Items), page.NextCursor, page.Total, err)
		}
	}
	if page, err := readmodels.List(e.ctx, e.db, spec, readmodels.ListQuery{Limit: 24, Sort: "name"}); err != nil || len(page.Items) != 24 || page.NextCursor == "" {
		e.Errorf("limit 24: %d items, cursor %q, err %v; want 24 items and a cursor", len(page.Items), page.NextCursor, err)
	}
	// A scoped read by id.
	if got, err := readmodels.GetScoped(e.ctx, e.db, t, recordTable.Select(), readmodels.Scope{All: true}, rows[3].ID, spec.Scan); err != nil || got.ID != rows[3].ID {
		e.Errorf("GetScoped: %v, %v", got, err)
	}
	if _, err := readmodels.GetScoped(e.ctx, e.db, t, recordTable.Select(), readmodels.Scope{All: true}, uuid.New(), spec.Scan); !errors.Is(err, readmodels.ErrNotFound) {
		e.Errorf("GetScoped of a missing id: %v, want ErrNotFound", err)
	}
}

func (e *env) firstPage(spec readmodels.ListSpec[*record], q readmodels.ListQuery) []*record {
	e.Helper()
	page, err := readmodels.List(e.ctx, e.db, spec, q)
	if err != nil {
		e.Fatalf("list: %v", err)
	}
	return page.Items
}

// testListIntKey: a list keyed by an integer column (the logs' positions) orders and pages by
// its numeric value, and later pages carry the first page's total.
func testListIntKey(e *env) {
	t := e.name("listpos")
	rows := listRows()
	e.insertRecords(t, rows)
	spec := positionSpec(t)
	for sort, col := range map[string]string{"position": "position", "name": "name", "createdAt": "created_at", "due": "due_at"} {
		e.checkPaging(spec, rows, sort, col, readmodels.ListQuery{}, nil)
		e.checkPaging(spec, rows, "-"+sort, col, readmodels.ListQuery{}, nil)
	}
	// A row added after the first page, before the cursor: later pages keep the first page's
	// total (they do not count again) and do not show the row.
	extra := record{ID: uuid.New(), Name: "zulu", CreatedBy: uuid.New(), At: time.Now().UTC().Truncate(time.Microsecond), Position: 26}
	want := expectedOrder(rows, "position", "position", true, nil)
	items, _ := e.pageAll(spec, readmodels.ListQuery{Sort: "-position", Limit: 7}, 25, func(page int) {
		if page == 0 {
			e.exec(`INSERT INTO `+t+` (`+recordTable.Insert()+`) VALUES (`+placeholders(len(recordTable))+`)`, recordTable.Args(e.d(), &extra)...)
		}
	})
	if got := ids(items); !slices.Equal(got, want) {
		e.Errorf("-position with a row added after page 1: %v, want %v", got, want)
	}
	page, err := readmodels.List(e.ctx, e.db, spec, readmodels.ListQuery{Sort: "-position", Limit: 7})
	if err != nil || page.Total != 26 || len(page.Items) == 0 || page.Items[0].ID != extra.ID {
		e.Errorf("first page after the insert: total %d, err %v; want 26 with the new row first", page.Total, err)
	}
}

func placeholders(n int) string {
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// testListValidation: bad cursors, sorts and limits are validation errors naming the field.
func testListValidation(e *env) {
	t := e.name("listbad")
	rows := listRows()
	e.insertRecords(t, rows)
	spec, pspec := idSpec(t), positionSpec(t)
	cursorOf := func(spec readmodels.ListSpec[*record], sort string) string {
		page, err := readmodels.List(e.ctx, e.db, spec, readmodels.ListQuery{Sort: sort, Limit: 3})
		if err != nil || page.NextCursor == "" {
			e.Fatalf("cursor for %s: %v", sort, err)
		}
		return page.NextCursor
	}
	nameCursor := cursorOf(spec, "name")
	cases := []struct {
		name  string
		spec  readmodels.ListSpec[*record]
		q     readmodels.ListQuery
		field string
	}{
		{"garbage cursor", spec, readmodels.ListQuery{Cursor: "not a cursor!"}, "cursor"},
		{"cursor without id", spec, readmodels.ListQuery{Cursor: base64.RawURLEncoding.EncodeToString([]byte(`{"v":"x","t":3}`))}, "cursor"},
		{"cursor of a text sort on a time sort", spec, readmodels.ListQuery{Sort: "createdAt", Cursor: nameCursor}, "cursor"},
		{"cursor with a text key on an integer key", pspec, readmodels.ListQuery{Sort: "name", Cursor: nameCursor}, "cursor"},
		{"negative integer key", pspec, readmodels.ListQuery{Sort: "position", Cursor: base64.RawURLEncoding.EncodeToString([]byte(`{"v":"1","id":"-1","t":3}`))}, "cursor"},
		{"unknown sort", spec, readmodels.ListQuery{Sort: "nope"}, "sort"},
		{"unknown descending sort", spec, readmodels.ListQuery{Sort: "-nope"}, "sort"},
		{"sort by a column not offered", pspec, readmodels.ListQuery{Sort: "id"}, "sort"},
		{"limit 501", spec, readmodels.ListQuery{Limit: 501}, "limit"},
	}
	for _, c := range cases {
		_, err := readmodels.List(e.ctx, e.db, c.spec, c.q)
		var ve *readmodels.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			e.Errorf("%s: %v (%T), want a validation error on %q", c.name, err, err, c.field)
		}
	}
	// A cursor still works with its own sort.
	if _, err := readmodels.List(e.ctx, e.db, spec, readmodels.ListQuery{Sort: "name", Cursor: nameCursor}); err != nil {
		e.Errorf("cursor with its own sort: %v", err)
	}
}
