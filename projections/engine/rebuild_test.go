package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// indexesOf lists the indexes of a table (SQLite: without its automatic ones).
func indexesOf(t *testing.T, db *readmodels.DB, table string) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'sqlite_autoindex%'`
	if db.Dialect.Name() == "postgres" {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?`
	}
	rows, err := db.SQL.Query(db.Q(q), table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// hasStatistics reports whether ANALYZE has recorded statistics of the table.
func hasStatistics(t *testing.T, db *readmodels.DB, table string) bool {
	t.Helper()
	q := `SELECT count(*) FROM sqlite_stat1 WHERE tbl = ?`
	if db.Dialect.Name() == "postgres" {
		q = `SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = ?`
	}
	var n int
	if err := db.SQL.QueryRow(db.Q(q), table).Scan(&n); err != nil {
		if strings.Contains(err.Error(), "no such table") { // SQLite before any ANALYZE
			return false
		}
		t.Fatal(err)
	}
	return n > 0
}

func tableExists(t *testing.T, db *readmodels.DB, table string) bool {
	t.Helper()
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if db.Dialect.Name() == "postgres" {
		q = `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?`
	}
	var n int
	if err := db.SQL.QueryRow(db.Q(q), table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func createLeads(t *testing.T, env *projtest.Env, n int, name string) uint64 {
	t.Helper()
	var last uint64
	for i := range n {
		res, err := env.Leads.Create(context.Background(), projtest.Manager, leadcmd.Create{Fields: lead.Fields{
			Name: fmt.Sprintf("%s%d", name, i), Company: fmt.Sprintf("杭州星河科技有限公司%d", i)}, Pool: i%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		last = res.Position
	}
	return last
}

// A rebuild loads its generation without the secondary and search indexes and builds them, and
// the planner statistics, in the transaction that switches: the generation serves with every
// index of the live one, statistics, and a search index over the loaded rows that follows new
// rows.
func TestRebuildIndexesAndAnalyzesBeforeTheSwitch(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := projtest.Start(t, e, engine.Options{PageSize: 7})
			projtest.Wait(t, env, createLeads(t, env, 30, "索引"))
			before := projtest.Dump(t, env.DB)
			live := indexesOf(t, env.DB, "leads_g1")
			if len(live) < 8 {
				t.Fatalf("the live generation has indexes %v", live)
			}
			projtest.RebuildAndSwitch(t, env, 30*time.Second)
			gen := env.DB.Gens.Active(leadview.Projection)
			var want []string
			for _, n := range live {
				want = append(want, strings.Replace(n, "leads_g1", fmt.Sprintf("leads_g%d", gen), 1))
			}
			slices.Sort(want)
			if got := indexesOf(t, env.DB, fmt.Sprintf("leads_g%d", gen)); !slices.Equal(got, want) {
				t.Fatalf("rebuilt generation's indexes %v, want %v", got, want)
			}
			if !hasStatistics(t, env.DB, fmt.Sprintf("leads_g%d", gen)) {
				t.Fatal("the rebuilt generation serves without planner statistics")
			}
			if after := projtest.Dump(t, env.DB); !slices.EqualFunc(before, after, func(a, b leadview.Lead) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
				t.Fatalf("rebuilt read model differs:\nlive    %v\nrebuilt %v", before, after)
			}
			ctx := context.Background()
			page, err := leadview.New(env.DB).Search(ctx, leadview.Query{Scope: readmodels.Scope{All: true}, Q: "星河科技", Limit: 100})
			if err != nil || page.Total != 30 {
				t.Fatalf("search over the rebuilt generation: %d (%v), want 30", page.Total, err)
			}
			projtest.Wait(t, env, createLeads(t, env, 1, "重建后新增"))
			page, err = leadview.New(env.DB).Search(ctx, leadview.Query{Scope: readmodels.Scope{All: true}, Q: "重建后新增", Limit: 100})
			if err != nil || page.Total != 1 {
				t.Fatalf("a lead created after the switch is not found by search: %d (%v)", page.Total, err)
			}
		})
	}
}

// A serving generation that applied a burst of events (an import) gets planner statistics once
// it has caught up.
func TestServingGenerationIsAnalyzedAfterABurst(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := projtest.Start(t, e, engine.Options{AnalyzeAfter: 20})
			if hasStatistics(t, env.DB, "leads_g1") {
				t.Fatal("statistics before any event")
			}
			projtest.Wait(t, env, createLeads(t, env, 25, "统计"))
			deadline := time.Now().Add(20 * time.Second)
			for !hasStatistics(t, env.DB, "leads_g1") {
				if time.Now().After(deadline) {
					t.Fatal("25 leads applied (at least AnalyzeAfter = 20), and the leads table was never analyzed")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// A superseded generation is dropped when no process reads it any more: not while a serving
// process still does (it follows the switch, keeps the old tables for its DropGrace, then leaves
// and drops them), and at once when the rebuilding process was the only reader.
func TestSupersededGenerationIsDroppedWhenNoProcessReadsIt(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			store, dbs := e.Store(t), e.Handles(t, 2)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			// The server notices switches every 2 s and keeps reading the old tables for 3 s after.
			server := projtest.RunProcess(t, store, dbs[0], "server", engine.Options{LeaseTTL: 600 * time.Millisecond, DropGrace: 3 * time.Second})
			leads := leadcmd.New(store, projtest.Registry(), func() time.Time { return time.Now().UTC() }, projtest.AllowAll{})
			var head uint64
			for i := range 3 {
				res, err := leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("读者%d", i)}})
				if err != nil {
					t.Fatal(err)
				}
				head = res.Position
			}
			if err := server.WaitFor(ctx, head, leadview.Projection); err != nil {
				t.Fatal(err)
			}
			cli := projtest.RunProcess(t, store, dbs[1], "cli", engine.Options{LeaseTTL: 600 * time.Millisecond})
			gens, err := cli.RebuildAll(ctx, []string{leadview.Projection}, nil)
			if err != nil {
				t.Fatal(err)
			}
			remaining, err := cli.ReleaseSuperseded(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(remaining[leadview.Projection], []int{1}) || !tableExists(t, dbs[1], "leads_g1") {
				t.Fatalf("generation 1 was dropped while the server read it (remaining %v)", remaining)
			}
			for !func() bool { return !tableExists(t, dbs[1], "leads_g1") }() {
				if ctx.Err() != nil {
					t.Fatal("the server never dropped generation 1 after following the switch")
				}
				page, err := leadview.New(dbs[0]).Search(ctx, leadview.Query{Scope: readmodels.Scope{All: true}, Limit: 10})
				if err != nil || page.Total != 3 {
					t.Fatalf("the server's reads failed while it followed the switch: %d (%v)", page.Total, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := dbs[0].Gens.Active(leadview.Projection); got != gens[leadview.Projection] {
				t.Fatalf("generation 1 dropped while the server serves generation %d", got)
			}

			// Alone, the rebuilding process drops what it superseded at once.
			gens, err = cli.RebuildAll(ctx, []string{leadview.Projection}, nil)
			if err != nil {
				t.Fatal(err)
			}
			server.Close() // its Run returns and removes its reader records
			old := fmt.Sprintf("leads_g%d", gens[leadview.Projection]-1)
			for {
				remaining, err = cli.ReleaseSuperseded(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(remaining[leadview.Projection]) == 0 || ctx.Err() != nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if tableExists(t, dbs[1], old) {
				t.Fatalf("%s is still there with no other reader (remaining %v)", old, remaining)
			}
		})
	}
}

// After a rebuild of every projection on SQLite the read-model file is no larger than before:
// the superseded generation's pages are given back (incremental auto-vacuum).
func TestSQLiteFileDoesNotGrowAfterRebuild(t *testing.T) {
	pgtest.Engine(t, "sqlite")
	seeded := projtest.Seed(t, projtest.BenchBackends()[0], 2000, 3000)
	path := filepath.Join(t.TempDir(), "read.db")
	db, err := rsqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	eng, stop := projtest.RunAll(t, seeded.Store, db, engine.Options{})
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // -race on a loaded machine
	defer cancel()
	if err := eng.WaitFor(ctx, seeded.Head, eng.Names()...); err != nil {
		t.Fatal(err)
	}
	// The file's size once the WAL is checkpointed into it. A checkpoint cannot finish while the
	// runners read (it answers busy, not an error: CI once measured a file that had not yet been
	// cut), so it is retried until it finishes; if it never does within 30 s, the database's
	// pages (page_count × page_size, what the file holds after the next full checkpoint) are
	// measured instead.
	size := func() int64 {
		for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
			var busy, logFrames, done int64
			if err := db.SQL.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
				t.Fatal(err)
			}
			if busy == 0 {
				break
			}
			if time.Since(start) > 30*time.Second {
				var pages, pageSize int64
				if err := db.SQL.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
					t.Fatal(err)
				}
				if err := db.SQL.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
					t.Fatal(err)
				}
				t.Logf("the checkpoint stayed busy for 30 s: measuring the database's pages")
				return pages * pageSize
			}
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := size()
	if _, err := eng.RebuildAll(ctx, eng.Names(), nil); err != nil {
		t.Fatal(err)
	}
	// The engine's own reader record may still reach an old generation for a moment after the
	// switch (it is renewed every few seconds): release until nothing is left, within 60 s (a
	// loaded machine renews late; thirteen projections switch one after another).
	left := func(remaining map[string][]int) bool {
		return slices.ContainsFunc(eng.Names(), func(n string) bool { return len(remaining[n]) > 0 })
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		remaining, err := eng.ReleaseSuperseded(ctx)
		if err == nil && !left(remaining) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("superseded generations left: %v (%v)", remaining, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	after := size()
	t.Logf("read-model file: %d bytes before the rebuild, %d after", before, after)
	if slack := before/50 + 64<<10; after > before+slack {
		t.Fatalf("the file grew from %d to %d bytes (more than %d)", before, after, slack)
	}
	if n := projtest.CountLeads(t, db); n != 2000 {
		t.Fatalf("rebuilt read model holds %d leads, want 2000", n)
	}
}

// A process that starts following a generation of some size analyzes its tables once, even if no
// event arrives: the process that loaded them may have stopped before its own analyze ended.
func TestStartingProcessAnalyzesALoadedGeneration(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			store, db := e.Store(t), e.DB(t)
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			loader := projtest.RunProcessCtx(t, ctx, store, db, "loader", engine.Options{AnalyzeAfter: 1 << 30}, done)
			leads := leadcmd.New(store, projtest.Registry(), func() time.Time { return time.Now().UTC() }, projtest.AllowAll{})
			var head uint64
			for i := range 30 {
				res, err := leads.Create(context.Background(), projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("载入%d", i)}})
				if err != nil {
					t.Fatal(err)
				}
				head = res.Position
			}
			wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := loader.WaitFor(wctx, head, leadview.Projection); err != nil {
				t.Fatal(err)
			}
			stop()
			<-done
			if hasStatistics(t, db, "leads_g1") {
				t.Fatal("the loader analyzed although its threshold was never reached")
			}
			projtest.RunProcess(t, store, db, "server", engine.Options{AnalyzeAfter: 20})
			deadline := time.Now().Add(20 * time.Second)
			for !hasStatistics(t, db, "leads_g1") {
				if time.Now().After(deadline) {
					t.Fatal("a process following 30 applied leads (AnalyzeAfter 20) never analyzed them")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
