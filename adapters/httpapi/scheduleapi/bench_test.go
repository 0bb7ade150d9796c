package scheduleapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/scheduleapi"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/schedule"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/projections/scheduleproj"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/scheduleview"
)

// The calendar benchmark's organisation: a manager with 50 subordinates who own 10,000 entries,
// among 100,000 entries of 500 people.
const (
	benchSubordinates = 50
	benchTheirs       = 10_000
	benchOthers       = 450
	benchEntries      = 100_000
)

// BenchmarkCalendar measures the calendar API's work for a month (the read of the entries whose
// series overlaps it, by the index on the series' end, and their expansion) at 32 concurrent
// readers: a manager's subordinates' month, everything in the manager's department tree, one
// salesperson's own month; beside a primary-key read of one entry in the same run (the
// reference). The rows are COPYed in as the projection writes them; a fifth of the entries
// repeat (weekly, daily, monthly without end).
//
//	CHRONICLE_TEST_POSTGRES_URL='postgres://...' go test -run '^$' -bench Calendar -benchtime 1x -timeout 30m ./adapters/httpapi/scheduleapi/
func BenchmarkCalendar(b *testing.B) {
	for _, be := range projtest.BenchBackends() {
		if be.Name != "postgres" {
			continue
		}
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			store, _ := be.Store(b)
			db := be.DB(b)
			eng, err := engine.New(store, db, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, scheduleproj.New(projtest.Registry()))
			if err != nil {
				b.Fatal(err)
			}
			if err := eng.Prepare(ctx); err != nil {
				b.Fatal(err)
			}
			manager, subs, ids := seedCalendar(b, ctx, db)
			for _, t := range []string{"schedules", "schedule_members", "schedule_org_users"} {
				if _, err := db.SQL.ExecContext(ctx, "ANALYZE "+db.Gens.Table(scheduleview.Projection, t)); err != nil {
					b.Fatal(err)
				}
			}
			v := scheduleview.New(db)
			boss := scheduleview.Reader{Scope: readmodels.Scope{Kind: role.ScopeDepartmentTree, UserID: manager, DeptPath: "/root/sales/",
				SubordinatePrefix: "/" + manager.String() + "/"}, User: manager}
			from := time.Date(2026, 12, 1, 0, 0, 0, 0, schedule.Zone)
			to := from.AddDate(0, 1, 0)
			month := func(r scheduleview.Reader, view string) func() error {
				return func() error {
					slots, truncated, err := scheduleapi.Calendar(ctx, v, scheduleview.Query{Reader: r, View: view}, from, to)
					if err != nil {
						return err
					}
					if truncated || len(slots) == 0 {
						return fmt.Errorf("%d slots, truncated %v", len(slots), truncated)
					}
					return nil
				}
			}
			sub := func() scheduleview.Reader {
				u := subs[rand.IntN(len(subs))]
				return scheduleview.Reader{Scope: readmodels.Scope{Kind: role.ScopeSelf, UserID: u}, User: u}
			}
			rows := db.Gens.Table(scheduleview.Projection, "schedules")
			t0 := time.Now()
			entries, _, _ := v.Window(ctx, scheduleview.Query{Reader: boss, View: scheduleview.ViewSubordinates}, from, to)
			t1 := time.Now()
			slots, _ := scheduleapi.Expand(entries, from, to)
			b.Logf("the manager's subordinates' December: %d entries, %d occurrences (full rows read %v, expanded %v, one reader)", len(entries), len(slots),
				t1.Sub(t0).Round(time.Microsecond), time.Since(t1).Round(time.Microsecond))
			cases := []struct {
				name string
				run  func() error
			}{
				{"reference-pk", func() error {
					var title string
					return db.SQL.QueryRowContext(ctx, db.Q(`SELECT title FROM `+rows+` WHERE id = ?`), ids[rand.IntN(len(ids))].String()).Scan(&title)
				}},
				{"month-subordinates", month(boss, scheduleview.ViewSubordinates)},
				// the same month read with every column (what the calendar read before its narrower read)
				{"month-subordinates-full-rows", func() error {
					entries, _, err := v.Window(ctx, scheduleview.Query{Reader: boss, View: scheduleview.ViewSubordinates}, from, to)
					if err == nil {
						scheduleapi.Expand(entries, from, to)
					}
					return err
				}},
				{"month-all-in-scope", month(boss, scheduleview.ViewAll)},
				{"month-own", func() error { return month(sub(), scheduleview.ViewMine)() }},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) { projtest.Concurrently(b, c.run) })
			}
			// a reader alone (the target: the manager's month in under 20 ms at p99)
			for _, c := range cases[:3] {
				b.Run(c.name+"-one-reader", func(b *testing.B) { projtest.Callers(b, 1, 1000, c.run) })
			}
		})
	}
}

// seedCalendar COPYs the organisation copy and the entries (rows and members) as the projection
// writes them; it returns the manager, the subordinates and every entry's id.
func seedCalendar(b *testing.B, ctx context.Context, db *readmodels.DB) (uuid.UUID, []uuid.UUID, []uuid.UUID) {
	b.Helper()
	r := rand.New(rand.NewPCG(5, 9))
	manager := uuid.New()
	type person struct {
		id             uuid.UUID
		dept, deptPath string
		supPath, name  string
	}
	sales := uuid.NewString()
	people := []person{{manager, sales, "/root/sales/", "/", "经理"}}
	var subs []uuid.UUID
	for i := range benchSubordinates {
		id := uuid.New()
		subs = append(subs, id)
		people = append(people, person{id, sales, "/root/sales/", "/" + manager.String() + "/", fmt.Sprintf("销售%d", i)})
	}
	for i := range benchOthers {
		d := fmt.Sprintf("d%d", i%20)
		people = append(people, person{uuid.New(), d, "/root/" + d + "/", "/", fmt.Sprintf("员工%d", i)})
	}
	var org [][]any
	for _, p := range people {
		org = append(org, []any{p.id.String(), p.dept, p.deptPath, "", p.supPath, p.name})
	}
	projtest.CopyRows(b, ctx, db, db.Gens.Table(scheduleview.Projection, "schedule_org_users"), "id, department_id, dept_path, superior_id, superior_path, name", org)
	rules := []string{"FREQ=WEEKLY;BYDAY=MO,WE;COUNT=20", "FREQ=DAILY;COUNT=10", "FREQ=MONTHLY"}
	year := time.Date(2026, 1, 1, 8, 0, 0, 0, schedule.Zone)
	ids := make([]uuid.UUID, 0, benchEntries)
	var batch, members [][]any
	flush := func() {
		projtest.CopyRows(b, ctx, db, db.Gens.Table(scheduleview.Projection, "schedules"), scheduleview.InsertColumns, batch)
		projtest.CopyRows(b, ctx, db, db.Gens.Table(scheduleview.Projection, "schedule_members"), "schedule_id, user_id, series_end", members)
		batch, members = batch[:0], members[:0]
	}
	for i := range benchEntries {
		var p person
		if i < benchTheirs {
			p = people[1+r.IntN(benchSubordinates)]
		} else {
			p = people[1+benchSubordinates+r.IntN(benchOthers)]
		}
		start := year.Add(time.Duration(r.IntN(365*24)) * time.Hour)
		f := schedule.Fields{Title: fmt.Sprintf("拜访客户%d", i), Location: "北京", Start: start.Format(time.RFC3339), End: start.Add(time.Hour).Format(time.RFC3339)}
		if r.IntN(5) == 0 {
			f.Recurrence = rules[r.IntN(len(rules))]
		}
		id := uuid.New()
		agg, err := schedule.New(id, f, p.id, p.id, start.Add(-24*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		row := &scheduleview.Entry{ID: id, CreatedAt: start.Add(-24 * time.Hour), UpdatedAt: start.Add(-24 * time.Hour), Version: 1, Position: uint64(i + 1)}
		row.FromAggregate(agg)
		owner := p.id
		row.OwnerID, row.OwnerName, row.OwnerDeptID, row.OwnerDeptPath, row.OwnerSupPath = &owner, p.name, p.dept, p.deptPath, p.supPath
		row.CreatorName = p.name
		batch = append(batch, scheduleview.Args(db.Dialect, row))
		members = append(members, []any{id.String(), p.id.String(), db.Dialect.Time(row.SeriesEnd)})
		ids = append(ids, id)
		if len(batch) == 20_000 {
			flush()
		}
	}
	flush()
	return manager, subs, ids
}
