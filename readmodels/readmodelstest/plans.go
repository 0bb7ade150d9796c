package readmodelstest

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// orgTable creates a projection's users table (as kit.OrgTreeDDL does) holding users.
func (e *env) orgTable(users []orgUser) string {
	ut := e.name("org_users")
	e.ddl(`CREATE TABLE `+ut+` (id TEXT PRIMARY KEY, department_id TEXT NOT NULL DEFAULT '', dept_path {path} NOT NULL DEFAULT '',
		superior_id TEXT NOT NULL DEFAULT '', superior_path {path} NOT NULL DEFAULT '/')`,
		`CREATE INDEX `+ut+`_dept ON `+ut+` (dept_path)`, `CREATE INDEX `+ut+`_sup ON `+ut+` (superior_path)`,
		`CREATE INDEX `+ut+`_deptid ON `+ut+` (department_id)`)
	for _, u := range users {
		dept := ""
		if u.p.DepartmentID != uuid.Nil {
			dept = u.p.DepartmentID.String()
		}
		e.exec(`INSERT INTO `+ut+` (id, department_id, dept_path, superior_path) VALUES (?, ?, ?, ?)`, u.id.String(), dept, u.p.DeptPath, u.p.SuperiorPath)
	}
	return ut
}

// insertMany writes rows in multi-row statements (the plan test needs thousands).
func (e *env) insertMany(table string, rows []record) {
	e.Helper()
	ncol := len(recordTable)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncol), ", ") + ")"
	for start := 0; start < len(rows); start += 200 {
		chunk := rows[start:min(start+200, len(rows))]
		var args []any
		for i := range chunk {
			args = append(args, recordTable.Args(e.d(), &chunk[i])...)
		}
		e.exec(`INSERT INTO `+table+` (`+recordTable.Insert()+`) VALUES `+strings.TrimSuffix(strings.Repeat(one+", ", len(chunk)), ", "), args...)
	}
}

// testScopeBranches: a list split into owner branches (OwnerBranches) pages through exactly the
// rows Scope.Condition admits, in order, for every actor, data scope, pool permission and the
// owner and pool filters, and with the owner cap exceeded.
func testScopeBranches(e *env) {
	users := buildOrg()
	ut := e.orgTable(users)
	var rows []record
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range 90 {
		r := record{ID: uuid.New(), Name: fmt.Sprintf("n%02d", i%7), CreatedBy: uuid.New(), At: at.Add(time.Duration(i%11) * time.Minute)}
		if i%9 == 0 {
			r.Due = ptr(at.Add(time.Duration(i%4) * time.Hour))
		}
		switch {
		case i%8 == 0:
			r.InPool = true
		case i%13 == 0:
			r.Ownership = ownership(orgUser{id: uuid.New()}) // an owner the organisation does not place
		default:
			r.Ownership = ownership(users[i%len(users)])
		}
		rows = append(rows, r)
	}
	t := e.name("branched")
	e.insertRecords(t, rows)
	spec := idSpec(t)
	check := func(label string, s readmodels.Scope, owner *uuid.UUID, pool *bool) {
		e.Helper()
		q := readmodels.ListQuery{}
		if cond, a := s.Condition(); cond != "" {
			q.Add(cond, a...)
		}
		if owner != nil {
			q.Add("owner_id = ?", owner.String())
		}
		if pool != nil {
			q.Add("in_pool = ?", *pool)
		}
		branches, err := e.db.OwnerBranches(e.ctx, ut, s, owner, pool)
		if err != nil {
			e.Fatalf("%s: %v", label, err)
		}
		want := q // the same list without branches: one filtered walk
		q.Branches = branches
		for _, sort := range []string{"-createdAt", "due"} { // a time and a nullable sort (ListPlans covers every sort)
			q.Sort, want.Sort, q.Limit, want.Limit = sort, sort, 12, 12
			got, _ := e.pageAll(spec, q, -1, nil)
			exp, _ := e.pageAll(spec, want, -1, nil)
			if !slices.EqualFunc(got, exp, func(a, b *record) bool { return a.ID == b.ID }) {
				e.Errorf("%s sort %s: %d rows through %d branches, %d by the condition alone", label, sort, len(got), len(branches), len(exp))
			}
		}
	}
	yes, no := true, false
	for _, u := range users {
		for _, kind := range role.Scopes {
			for _, pool := range []bool{false, true} {
				s := readmodels.ScopeOf(actorOf(u, kind), pool)
				label := fmt.Sprintf("%s/%s/%v", u.name, kind, pool)
				check(label, s, nil, nil)
				check(label+"/pool=true", s, nil, &yes)
				check(label+"/pool=false", s, nil, &no)
				check(label+"/owner", s, &users[1].id, nil)
			}
		}
	}
	// More owners than MaxOwnerBranches: one walk (nil branches), same rows.
	many := slices.Clone(users)
	top := users[0]
	for range readmodels.MaxOwnerBranches + 1 {
		u := orgUser{name: "x", id: uuid.New(), p: top.p}
		u.p.SuperiorPath = top.p.SuperiorPath + top.id.String() + "/"
		many = append(many, u)
	}
	ut2 := e.orgTable(many)
	if b, err := e.db.OwnerBranches(e.ctx, ut2, readmodels.ScopeOf(actorOf(top, role.ScopeSelfAndSubordinates), false), nil, nil); err != nil || b != nil {
		e.Errorf("%d subordinates: %d branches (%v), want one walk", len(many)-1, len(b), err)
	}
}

// planRows is the size of the plan test's table: enough for statistics to mean something, small
// enough for SQLite under the race detector.
const planRows = 10000

// testListPlans: with statistics of a table of planRows owned rows, every sort in both directions,
// first and later pages, for every kind of reader, reads indexes in keyset order: no sequential
// scan of the table, no sort of its rows (the plans are read with EXPLAIN).
func testListPlans(e *env) {
	users := buildOrg()
	ut := e.orgTable(users)
	t := e.name("planned")
	spec := idSpec(t)
	e.ddl(append([]string{recordTable.Create(t)}, readmodels.OwnershipIndexes(t, spec.Sorts)...)...)
	// A realistic spread: most rows belong to owners outside the org above (other teams), a few
	// per placed user, some in the pool.
	others := make([]orgUser, 60)
	for i := range others {
		others[i] = orgUser{id: uuid.New()}
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]record, planRows)
	for i := range rows {
		r := record{ID: uuid.New(), Name: fmt.Sprintf("客户%05d", (i*7919)%planRows), CreatedBy: uuid.New(), At: at.Add(time.Duration(i) * time.Minute)}
		if i%3 == 0 {
			r.Due = ptr(at.Add(time.Duration(i%500) * time.Hour))
		}
		switch {
		case i%10 == 0:
			r.InPool = true
		case i%25 == 1:
			r.Ownership = ownership(users[i%len(users)])
		default:
			r.Ownership = ownership(others[i%len(others)])
		}
		rows[i] = r
	}
	e.insertMany(t, rows)
	e.exec(`ANALYZE ` + t)
	e.exec(`ANALYZE ` + ut)
	mgr, s1, lead := users[1], users[3], users[2]
	yes := true
	readers := []struct {
		name  string
		s     readmodels.Scope
		owner *uuid.UUID
		pool  *bool
	}{
		{"administrator", readmodels.Scope{All: true}, nil, nil},
		{"administrator, pool only", readmodels.Scope{All: true}, nil, &yes},
		{"administrator, one owner", readmodels.Scope{All: true}, &s1.id, nil},
		{"sales (self)", readmodels.ScopeOf(actorOf(s1, role.ScopeSelf), false), nil, nil},
		{"sales (self) with the pool", readmodels.ScopeOf(actorOf(s1, role.ScopeSelf), true), nil, nil},
		{"team lead (department)", readmodels.ScopeOf(actorOf(lead, role.ScopeDepartment), true), nil, nil},
		{"manager (department tree)", readmodels.ScopeOf(actorOf(mgr, role.ScopeDepartmentTree), false), nil, nil},
		{"manager (subordinates) with the pool", readmodels.ScopeOf(actorOf(mgr, role.ScopeSelfAndSubordinates), true), nil, nil},
	}
	bad := regexp.MustCompile(`(?m)Seq Scan|^\s*(->\s+)?(Incremental )?Sort$|Bitmap Heap Scan|USE TEMP B-TREE|^SCAN \w+$|^SCAN ` + t + `\b(?: USING)?$`)
	for _, r := range readers {
		branches, err := e.db.OwnerBranches(e.ctx, ut, r.s, r.owner, r.pool)
		if err != nil {
			e.Fatal(err)
		}
		q := readmodels.ListQuery{Branches: branches}
		if cond, a := r.s.Condition(); cond != "" {
			q.Add(cond, a...)
		}
		if r.owner != nil {
			q.Add("owner_id = ?", r.owner.String())
		}
		if r.pool != nil {
			q.Add("in_pool = ?", *r.pool)
		}
		for _, key := range slices.Sorted(maps.Keys(spec.Sorts)) {
			for _, sort := range []string{key, "-" + key} {
				q.Sort, q.Limit, q.Cursor = sort, 50, ""
				first, err := readmodels.List(e.ctx, e.db, spec, q)
				if err != nil {
					e.Fatalf("%s %s: %v", r.name, sort, err)
				}
				// Totals: counted up to the bound, exact below it.
				switch r.name {
				case "administrator":
					if first.Total != readmodels.TotalBound || first.TotalExact {
						e.Errorf("%s: total %d (exact %v) of %d rows, want the bound %d, not exact", r.name, first.Total, first.TotalExact, planRows, readmodels.TotalBound)
					}
				case "sales (self)":
					if want := int64(countOwned(rows, s1.id)); first.Total != want || !first.TotalExact {
						e.Errorf("%s: total %d (exact %v), want %d exactly", r.name, first.Total, first.TotalExact, want)
					}
				}
				for page, cur := range []string{"", first.NextCursor} {
					if page == 1 && cur == "" {
						continue
					}
					q.Cursor = cur
					plan := e.plan(spec, q)
					if m := bad.FindString(plan); m != "" {
						e.Errorf("%s, sort %s, page %d: the plan has %q:\n%s", r.name, sort, page+1, m, plan)
					}
				}
			}
		}
	}
}

// plan is the engine's query plan of the page query of q, one line per node.
func (e *env) plan(spec readmodels.ListSpec[*record], q readmodels.ListQuery) string {
	e.Helper()
	stmt, args, err := readmodels.ListStatement(e.db, spec, q)
	if err != nil {
		e.Fatal(err)
	}
	return e.explain(stmt, args...)
}

// explain returns the plan of a query (? placeholders), one line per node.
func (e *env) explain(stmt string, args ...any) string {
	e.Helper()
	stmt = e.db.Q(stmt)
	if e.d().Name() == "postgres" {
		// On a table of 10,000 rows PostgreSQL rightly prefers a bitmap scan and a sort of a few
		// hundred matching rows; at a million it reads the ordered index (docs/performance.md
		// shows those plans). What this test proves on PostgreSQL is that such an ordered path
		// exists for every sort and reader: with sorts, sequential and bitmap scans priced out, a
		// missing index still shows as a Sort or a Seq Scan.
		tx, err := e.db.SQL.BeginTx(e.ctx, nil)
		if err != nil {
			e.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		off := "SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off"
		if strings.Contains(stmt, "chronicle_grams") {
			off = "SET LOCAL enable_seqscan = off" // a GIN index is read by bitmap
		}
		if _, err := tx.ExecContext(e.ctx, off); err != nil {
			e.Fatal(err)
		}
		rows, err := tx.QueryContext(e.ctx, "EXPLAIN (COSTS OFF) "+stmt, args...)
		if err != nil {
			e.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				e.Fatal(err)
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	rows, err := e.db.SQL.QueryContext(e.ctx, "EXPLAIN QUERY PLAN "+stmt, args...)
	if err != nil {
		e.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			e.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

func countOwned(rows []record, owner uuid.UUID) int {
	n := 0
	for _, r := range rows {
		if r.OwnerID != nil && *r.OwnerID == owner {
			n++
		}
	}
	return n
}
