package workbenchview_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/adapters/readstore/postgres"
	"github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
	"github.com/chronicle-crm/chronicle/readmodels/workbenchview"
)

// open returns an empty read-model database of an engine with the lead and operation-log tables of
// generation 0 (the generation a view reads before any projection has switched).
func open(t *testing.T, engine string) *readmodels.DB {
	t.Helper()
	ctx := context.Background()
	var db *readmodels.DB
	var err error
	if engine == "postgres" {
		db, err = postgres.Open(ctx, pgtest.URL(t))
	} else {
		db, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "readmodels.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ddl := append(leadview.TableDDL("leads_g0"), auditview.TableDDL("audit_events_g0", "audit_terms_g0")...)
	for _, stmt := range ddl {
		if _, err := db.SQL.ExecContext(ctx, db.Dialect.DDL(stmt)); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return db
}

// TestLargeOwner: an owner with many leads gets bounded counts (flagged past the bound), exact
// ones where a status or a day holds fewer, and another owner's exact figures beside them.
func TestLargeOwner(t *testing.T) {
	rows := 6_000 // past the bound in total, new, following and overdue (1,200)
	if n, err := strconv.Atoi(os.Getenv("WORKBENCH_ROWS")); err == nil && n > 0 {
		rows = n // e.g. WORKBENCH_ROWS=100000 for the figure in docs/api.md
	}
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			db := open(t, engine)
			ctx := context.Background()
			sh, _ := time.LoadLocation("Asia/Shanghai")
			now := time.Date(2026, 6, 10, 15, 0, 0, 0, sh) // a Wednesday afternoon
			today := time.Date(2026, 6, 10, 0, 0, 0, 0, sh)
			big, small := uuid.New(), uuid.New()
			var batch []*leadview.Lead
			flush := func() {
				if len(batch) == 0 {
					return
				}
				one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(strings.Split(leadview.InsertColumns, ","))), ", ") + ")"
				var args []any
				for _, l := range batch {
					args = append(args, leadview.Args(db.Dialect, l)...)
				}
				stmt := "INSERT INTO leads_g0 (" + leadview.InsertColumns + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", len(batch)), ", ")
				if _, err := db.SQL.ExecContext(ctx, db.Q(stmt), args...); err != nil {
					t.Fatal(err)
				}
				batch = batch[:0]
			}
			add := func(owner uuid.UUID, i int, status string, next *time.Time) {
				o := owner
				batch = append(batch, &leadview.Lead{ID: uuid.New(), Name: fmt.Sprintf("线索%d", i), Status: status, NextFollowUpAt: next,
					Ownership: readmodels.Ownership{OwnerID: &o}, CreatedAt: now.Add(-time.Duration(i) * time.Minute), UpdatedAt: now, Version: 1, Position: uint64(i + 1)})
				if len(batch) == 400 {
					flush()
				}
			}
			overdue, due := today.Add(-48*time.Hour), today.Add(9*time.Hour)
			for i := range rows {
				status, next := "new", (*time.Time)(nil)
				switch {
				case i%3 == 1:
					status = "following"
				case i < 10:
					status = "invalid"
				}
				switch {
				case i%5 == 0:
					next = &overdue
				case i >= 10 && i < 15:
					next = &due
				}
				add(big, i, status, next)
			}
			for i := range 50 {
				var next *time.Time
				if i < 3 {
					next = &overdue
				}
				add(small, rows+i, []string{"new", "following", "converted", "invalid"}[i%4], next)
			}
			flush()
			for _, stmt := range db.Dialect.Analyze([]string{"leads_g0"}) {
				if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			v := workbenchview.New(db, auditview.New(db, nil))
			reader := func(id uuid.UUID) access.Actor {
				return access.Actor{ID: id, Permissions: map[string]bool{role.LeadsRead: true}, Scope: role.ScopeSelf}
			}
			start := time.Now()
			wb, err := v.Workbench(ctx, workbenchview.Query{Actor: reader(big), Location: sh, Now: now, Days: 7})
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: the workbench of an owner of %d leads in %v", engine, rows, took)
			bound := workbenchview.Count{Count: readmodels.TotalBound, Exact: false}
			exact := func(n int64) workbenchview.Count { return workbenchview.Count{Count: n, Exact: true} }
			l := wb.Leads
			if wb.Customers != nil || l == nil {
				t.Fatalf("sections: leads %v, customers %v (no customers.read)", l, wb.Customers)
			}
			if l.Total != bound || l.Overdue != bound || l.DueToday != exact(4) { // 11 to 14 (10 is overdue)
				t.Errorf("big owner: total %+v, overdue %+v, due today %+v", l.Total, l.Overdue, l.DueToday)
			}
			want := map[string]workbenchview.Count{"new": bound, "following": bound, "converted": exact(0), "invalid": exact(7)} // 3 of the first 10 are following
			for _, s := range l.ByStatus {
				if s.Count != want[s.Status] {
					t.Errorf("big owner: status %s = %+v, want %+v", s.Status, s.Count, want[s.Status])
				}
			}
			if len(wb.Activity) != 0 {
				t.Errorf("activity without an operation log: %v", wb.Activity)
			}

			wb, err = v.Workbench(ctx, workbenchview.Query{Actor: reader(small), Location: sh, Now: now, Days: 7})
			if err != nil {
				t.Fatal(err)
			}
			l = wb.Leads
			// 50 leads; of the three overdue ones the converted one is not open
			if l.Total != exact(50) || l.Overdue != exact(2) || l.DueToday != exact(0) {
				t.Errorf("small owner: total %+v, overdue %+v, due today %+v", l.Total, l.Overdue, l.DueToday)
			}
			sum := int64(0)
			for _, s := range l.ByStatus {
				if !s.Exact {
					t.Errorf("small owner: %s not exact", s.Status)
				}
				sum += s.Count.Count
			}
			if sum != 50 {
				t.Errorf("small owner: statuses add up to %d", sum)
			}
		})
	}
}
