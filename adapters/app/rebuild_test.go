package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/projtest"
)

// A rebuild of every projection at once runs two runners per projection, far more than the read
// store's connections on a small machine (the default pool is 8 on two cores): it finishes, and
// the rebuilt read models serve. A rebuild that held the engine's lock while it waited for a
// connection, and runners that held their connection while they waited for that lock,
// deadlocked here (CI: `chronicle projections rebuild --all` hung for an hour).
func TestRebuildAllWithFewerConnectionsThanRunners(t *testing.T) {
	for _, readers := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d connections", readers), func(t *testing.T) {
			pgtest.Engine(t, "sqlite")
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), SQLiteReaders: readers}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- a.Engine.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done; _ = a.Close() })
			<-a.Engine.Running()
			if n := a.DB.SQL.Stats().MaxOpenConnections; n != readers || 2*len(a.Engine.Names()) <= n {
				t.Fatalf("%d connections for %d projections", n, len(a.Engine.Names()))
			}
			const leads = 120
			for i := range leads {
				if _, err := a.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{
					Name: fmt.Sprintf("重建%d", i), Company: fmt.Sprintf("杭州星河科技有限公司%d", i)}}); err != nil {
					t.Fatal(err)
				}
			}
			for round := range 2 {
				wctx, stop := context.WithTimeout(ctx, 2*time.Minute)
				gens, err := a.Engine.RebuildAll(wctx, a.Engine.Names(), nil)
				stop()
				if err != nil {
					t.Fatalf("round %d: rebuild --all with %d connections: %v", round, readers, err)
				}
				if len(gens) != len(a.Engine.Names()) {
					t.Fatalf("round %d: rebuilt %d of %d projections", round, len(gens), len(a.Engine.Names()))
				}
			}
			var n int
			if err := a.DB.SQL.QueryRowContext(ctx, `SELECT count(*) FROM `+a.DB.Gens.Table("leads", "leads")).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != leads {
				t.Fatalf("the rebuilt leads read model holds %d leads, want %d", n, leads)
			}
		})
	}
}
