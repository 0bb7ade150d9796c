package workbenchapi_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/workbenchview"
)

// count reads a WorkbenchCount at path (dot-separated keys) of a workbench answer.
func count(t *testing.T, body map[string]any, path string) (int, bool) {
	t.Helper()
	var v any = body
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: no object at %s in %v", path, k, body)
		}
		v = m[k]
	}
	c, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is not a count: %v", path, v)
	}
	return int(c["count"].(float64)), c["exact"].(bool)
}

func want(t *testing.T, who string, body map[string]any, path string, n int) {
	t.Helper()
	got, exact := count(t, body, path)
	if got != n || !exact {
		t.Errorf("%s: %s = %d (exact %v), want %d exactly", who, path, got, exact, n)
	}
}

func statuses(t *testing.T, body map[string]any) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, s := range body["leads"].(map[string]any)["byStatus"].([]any) {
		m := s.(map[string]any)
		if !m["exact"].(bool) {
			t.Errorf("status %v not exact", m)
		}
		out[m["status"].(string)] = int(m["count"].(float64))
	}
	return out
}

func weeks(body map[string]any) []int {
	var out []int
	for _, w := range body["customers"].(map[string]any)["newPerWeek"].([]any) {
		out = append(out, int(w.(map[string]any)["count"].(float64)))
	}
	return out
}

// TestWorkbench seeds two sales users in different departments, a manager over one of them and the
// pools, and checks every figure exactly, for each reader and scope, on both engines.
func TestWorkbench(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clock := &apitest.FakeClock{}
			h := apitest.New(t, engine, clock.Now)
			admin := h.Login("admin", apitest.AdminPassword)
			sales := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售部"}), 201).Body["id"].(string)
			north := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华北区", "parentId": sales}), 201).Body["id"].(string)
			south := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华南区"}), 201).Body["id"].(string)
			h.CreateUser(admin, "li.manager", "manager", sales)
			zhaoID, zhao := h.CreateUser(admin, "zhao.sales", "sales", north)
			h.CreateUser(admin, "qian.sales", "sales", south)
			// Pool rule: 10 days without a follow-up.
			h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerPool": map[string]any{"rules": map[string]any{"noFollowUpDays": 10}}}), 200)

			// A customer of zhao's a week before the rest.
			c0 := h.Must(h.Do("POST", "/api/v1/customers", zhao, map[string]any{"name": "北京老客户有限公司"}), 201).Body["id"].(string)
			clock.Advance(7 * 24 * time.Hour)
			// (the sessions have expired meanwhile)
			admin = h.Login("admin", apitest.AdminPassword)
			li, zhao, qian := h.Login("li.manager", apitest.PasswordOf("li.manager")), h.Login("zhao.sales", apitest.PasswordOf("zhao.sales")),
				h.Login("qian.sales", apitest.PasswordOf("qian.sales"))

			sh, _ := time.LoadLocation("Asia/Shanghai")
			now := clock.Now().In(sh)
			today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, sh)
			dueToday := today.Add(time.Minute).Format(time.RFC3339)
			overdue := today.Add(-time.Hour).Format(time.RFC3339)
			later := today.Add(25 * time.Hour).Format(time.RFC3339)
			lead := func(token string, body map[string]any) string {
				t.Helper()
				return h.Must(h.Do("POST", "/api/v1/leads", token, body), 201).Body["id"].(string)
			}
			l1 := lead(zhao, map[string]any{"name": "刘一", "company": "星河科技", "nextFollowUpAt": dueToday})
			lead(zhao, map[string]any{"name": "陈二", "nextFollowUpAt": overdue})
			l3 := lead(zhao, map[string]any{"name": "张三", "nextFollowUpAt": later})
			h.Must(h.Do("PATCH", "/api/v1/leads/"+l3, zhao, map[string]any{"status": "invalid"}), 200)
			// Assigned by the administrator: an invalid lead's overdue follow-up is not due.
			l4 := lead(admin, map[string]any{"name": "李四", "ownerId": zhaoID, "nextFollowUpAt": overdue})
			h.Must(h.Do("PATCH", "/api/v1/leads/"+l4, zhao, map[string]any{"status": "invalid"}), 200)
			lead(qian, map[string]any{"name": "王五", "nextFollowUpAt": overdue})
			lead(qian, map[string]any{"name": "赵六"})
			lead(admin, map[string]any{"name": "孙七", "pool": true, "nextFollowUpAt": overdue})

			customer := func(token string, body map[string]any) string {
				t.Helper()
				return h.Must(h.Do("POST", "/api/v1/customers", token, body), 201).Body["id"].(string)
			}
			customer(zhao, map[string]any{"name": "上海今日科技有限公司", "nextFollowUpAt": dueToday})
			customer(zhao, map[string]any{"name": "广州逾期贸易有限公司", "nextFollowUpAt": overdue})
			customer(qian, map[string]any{"name": "深圳南方电子有限公司", "nextFollowUpAt": overdue})
			customer(admin, map[string]any{"name": "公海客户有限公司", "pool": true, "nextFollowUpAt": overdue})
			// Last: the administrator changes one of zhao's leads.
			h.Must(h.Do("PATCH", "/api/v1/leads/"+l1, admin, map[string]any{"remark": "经理已沟通"}), 200)

			get := func(token, query string) map[string]any {
				t.Helper()
				return h.Must(h.Do("GET", "/api/v1/workbench"+query, token, nil, "X-Chronicle-Min-Position", h.Head()), 200).Body
			}

			// zhao: their own records only.
			z := get(zhao, "")
			if z["scope"] != "mine" || z["timeZone"] != "Asia/Shanghai" || z["today"] != today.Format(time.DateOnly) {
				t.Errorf("zhao: header %v %v %v", z["scope"], z["timeZone"], z["today"])
			}
			want(t, "zhao", z, "leads.total", 4)
			want(t, "zhao", z, "leads.dueToday", 1)
			want(t, "zhao", z, "leads.overdue", 1)
			if got := statuses(t, z); !mapsEqual(got, map[string]int{"new": 2, "following": 0, "converted": 0, "invalid": 2}) {
				t.Errorf("zhao: by status %v", got)
			}
			want(t, "zhao", z, "customers.total", 3)
			want(t, "zhao", z, "customers.dueToday", 1)
			want(t, "zhao", z, "customers.overdue", 1)
			if got := weeks(z); len(got) != workbenchview.Weeks || got[11] != 2 || got[10] != 1 || sum(got) != 3 {
				t.Errorf("zhao: new customers per week %v, want ..., 1, 2", got)
			}
			ret := z["customers"].(map[string]any)["returningSoon"].(map[string]any)
			items := ret["items"].([]any)
			want(t, "zhao", z, "customers.returningSoon.total", 1)
			if len(items) != 1 || items[0].(map[string]any)["id"] != c0 || items[0].(map[string]any)["rule"] != "no_follow_up" {
				t.Fatalf("zhao: returning soon %v, want the customer of a week ago", ret)
			}
			if d := items[0].(map[string]any)["daysLeft"].(float64); d < 2 || d > 3 {
				t.Errorf("zhao: days left %v, want 2 or 3", d)
			}
			// With a 14-day horizon the customers of today return too.
			want(t, "zhao, days=14", get(zhao, "?days=14"), "customers.returningSoon.total", 3)

			// Recent activity: zhao's own events and the administrator's change of zhao's lead first.
			act := z["recentActivity"].([]any)
			if len(act) != workbenchview.ActivityItems {
				t.Fatalf("zhao: %d activities, want %d", len(act), workbenchview.ActivityItems)
			}
			first := act[0].(map[string]any)
			rec := first["record"].(map[string]any)
			if first["type"] != "lead.updated.v1" || first["byMe"] != false || rec["kind"] != "lead" || rec["id"] != l1 || rec["name"] != "刘一" {
				t.Errorf("zhao: newest activity %v, want the administrator's change of 刘一", first)
			}
			last := uint64(1 << 62)
			for _, a := range act {
				m := a.(map[string]any)
				p := uint64(m["position"].(float64))
				if p >= last {
					t.Errorf("zhao: activity not newest first: %v", act)
				}
				last = p
				r := m["record"].(map[string]any)
				if r["name"] == "王五" || r["name"] == "赵六" || r["name"] == "深圳南方电子有限公司" || r["name"] == "公海客户有限公司" || r["name"] == "孙七" {
					t.Errorf("zhao sees another's record in the activity: %v", m)
				}
				if m["byMe"] == false && r["kind"] != "lead" && r["kind"] != "customer" {
					t.Errorf("zhao: another's event on no record of theirs: %v", m)
				}
			}

			// scope=team for a sales user is their data scope (self): the same figures.
			zt := get(zhao, "?scope=team")
			want(t, "zhao team", zt, "leads.total", 4)
			want(t, "zhao team", zt, "customers.total", 3)

			// qian never sees zhao's numbers.
			q := get(qian, "")
			want(t, "qian", q, "leads.total", 2)
			want(t, "qian", q, "leads.dueToday", 0)
			want(t, "qian", q, "leads.overdue", 1)
			want(t, "qian", q, "customers.total", 1)
			want(t, "qian", q, "customers.overdue", 1)
			want(t, "qian", q, "customers.returningSoon.total", 0)
			if got := weeks(q); got[11] != 1 || sum(got) != 1 {
				t.Errorf("qian: weeks %v", got)
			}
			for _, a := range q["recentActivity"].([]any) {
				if r := a.(map[string]any)["record"].(map[string]any); r["id"] == l1 || r["id"] == c0 {
					t.Errorf("qian sees zhao's record: %v", a)
				}
			}

			// The manager owns nothing; their team is the 销售部 subtree: zhao's records, not qian's,
			// not the pools.
			lm := get(li, "")
			want(t, "li", lm, "leads.total", 0)
			want(t, "li", lm, "customers.total", 0)
			lt := get(li, "?scope=team&tz=Asia/Shanghai")
			if lt["scope"] != "team" {
				t.Errorf("li: scope %v", lt["scope"])
			}
			want(t, "li team", lt, "leads.total", 4)
			want(t, "li team", lt, "leads.dueToday", 1)
			want(t, "li team", lt, "leads.overdue", 1)
			want(t, "li team", lt, "customers.total", 3)
			want(t, "li team", lt, "customers.overdue", 1)
			if got := weeks(lt); got[11] != 2 || got[10] != 1 {
				t.Errorf("li team: weeks %v", got)
			}
			want(t, "li team", lt, "customers.returningSoon.total", 0) // always the reader's own

			// The administrator's team is everyone's owned records, the pools left out.
			at := get(admin, "?scope=team")
			want(t, "admin team", at, "leads.total", 6)
			want(t, "admin team", at, "leads.overdue", 2)
			want(t, "admin team", at, "customers.total", 4)
			want(t, "admin team", at, "customers.overdue", 2)

			// Another time zone moves "today": in UTC-11 the lead due at 00:01 Shanghai time is
			// due yesterday (overdue) or today, never tomorrow; the weeks start on Monday there.
			samoa := get(zhao, "?tz=Pacific/Pago_Pago")
			if samoa["timeZone"] != "Pacific/Pago_Pago" {
				t.Errorf("tz: %v", samoa["timeZone"])
			}
			dt, _ := count(t, samoa, "leads.dueToday")
			od, _ := count(t, samoa, "leads.overdue")
			if dt+od != 2 {
				t.Errorf("Pago Pago: due today %d + overdue %d, want 2", dt, od)
			}
			for _, w := range samoa["customers"].(map[string]any)["newPerWeek"].([]any) {
				start, _ := time.Parse(time.DateOnly, w.(map[string]any)["start"].(string))
				if start.Weekday() != time.Monday {
					t.Errorf("week %v does not start on a Monday", w)
				}
			}

			// Bad parameters: one 422 naming each; nothing else answers.
			r := h.Must(h.Do("GET", "/api/v1/workbench?tz=Mars/Olympus&scope=all&days=-1", zhao, nil), 422)
			apitest.WantCode(t, r, "validation_failed")
			var fields []string
			for _, e := range r.Body["errors"].([]any) {
				fields = append(fields, e.(map[string]any)["field"].(string))
			}
			slices.Sort(fields)
			if !slices.Equal(fields, []string{"days", "scope", "tz"}) {
				t.Errorf("field errors %v, want days, scope, tz: %s", fields, r.Raw)
			}
			for _, bad := range []string{"Local", "../../etc/passwd", "Asia/Shanghai/../../x", strings.Repeat("A", 70)} {
				apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/workbench?tz="+bad, zhao, nil), 422), "validation_failed")
			}
			h.Must(h.Do("GET", "/api/v1/workbench", "", nil), 401)

			// Plans: every owner-scoped figure reads an index range, never the whole table.
			checkPlans(t, h, zhao, false)
			checkPlans(t, h, li, true)
		})
	}
}

func checkPlans(t *testing.T, h *apitest.Harness, token string, team bool) {
	t.Helper()
	ctx := context.Background()
	actor, _, err := h.App.Auth.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	stmts, err := h.App.WorkbenchViews.Statements(ctx, workbenchview.Query{Actor: actor, Team: team, Location: sh, Now: time.Now(), Days: 7,
		Rules: rules10})
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) < 20 {
		t.Fatalf("only %d statements", len(stmts))
	}
	db := h.App.DB
	tables := regexp.MustCompile(`\b(leads|customers)_g\d+\b`)
	for _, stmt := range db.Dialect.Analyze([]string{db.Gens.Table("leads", "leads"), db.Gens.Table("customers", "customers")}) {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range stmts {
		plan := explain(t, db, s.SQL, s.Args)
		if !team {
			// The reader's own figures: each reads the index made for it.
			for prefix, index := range ownIndexes {
				if strings.HasPrefix(s.Name, prefix) && !strings.Contains(plan, index) {
					t.Errorf("%s: the plan does not read %s:\n%s", s.Name, index, plan)
				}
			}
		}
		switch db.Dialect.Name() {
		case "postgres":
			if strings.Contains(plan, "Seq Scan") {
				t.Errorf("%s (team %v): a sequential scan:\n%s\n%s", s.Name, team, s.SQL, plan)
			}
		default:
			for _, line := range strings.Split(plan, "\n") {
				// SQLite: a table or index of leads or customers is searched (a range), never scanned.
				if tables.MatchString(line) && strings.HasPrefix(line, "SCAN ") {
					t.Errorf("%s (team %v): %q\n%s\n%s", s.Name, team, line, s.SQL, plan)
				}
			}
		}
	}
}

// ownIndexes are the indexes (name suffixes) that serve the reader's own figures, by statement name.
var ownIndexes = map[string]string{
	"leads.status.":       "_status", // (owner_id, status), or (status) for a status no row has
	"leads.dueToday":      "_o_nextfollowupat",
	"leads.overdue":       "_o_nextfollowupat",
	"customers.dueToday":  "_o_nextfollowupat",
	"customers.overdue":   "_o_nextfollowupat",
	"customers.week.":     "_o_createdat",
	"customers.returning": "_owner_claimed",
	"activity.recent":     "_owner_position",
	"activity.byActor":    "audit_events_g1_actor",
}

func explain(t *testing.T, db *readmodels.DB, stmt string, args []any) string {
	t.Helper()
	ctx := context.Background()
	stmt = db.Q(stmt)
	var lines []string
	if db.Dialect.Name() == "postgres" {
		// On tables of a few rows PostgreSQL rightly reads them whole; with sequential scans priced
		// out the plan shows whether an index serves the query at all.
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.QueryContext(ctx, "EXPLAIN (COSTS OFF) "+stmt, args...)
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		defer rows.Close()
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	rows, err := db.SQL.QueryContext(ctx, "EXPLAIN QUERY PLAN "+stmt, args...)
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

func mapsEqual(a, b map[string]int) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

var rules10 = customer.PoolRules{NoFollowUpDays: 10}
