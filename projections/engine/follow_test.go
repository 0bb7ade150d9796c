package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// TestRebuildByAnotherProcessShowsLive: a running server follows the generation a CLI rebuild
// ("chronicle projections rebuild") built and switched to, and reports it live at the head as
// soon as it serves it, with no new event needed to get it out of catching_up.
func TestRebuildByAnotherProcessShowsLive(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			store, db := e.Store(t), e.DB(t)
			opts := engine.Options{LeaseTTL: 600 * time.Millisecond}
			server := projtest.RunProcess(t, store, db, "server", opts)
			leads := leadcmd.New(store, projtest.Registry(), func() time.Time { return time.Now().UTC() }, projtest.AllowAll{})
			var head uint64
			for i := range 3 {
				res, err := leads.Create(context.Background(), projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("重建%d", i)}})
				if err != nil {
					t.Fatal(err)
				}
				head = res.Position
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := server.WaitFor(ctx, head, leadview.Projection); err != nil {
				t.Fatal(err)
			}

			cliCtx, stopCLI := context.WithCancel(context.Background())
			cliDone := make(chan struct{})
			cli := projtest.RunProcessCtx(t, cliCtx, store, db, "cli", opts, cliDone)
			t.Cleanup(func() { stopCLI(); <-cliDone })
			gen, err := cli.Rebuild(ctx, leadview.Projection)
			if err != nil {
				t.Fatal(err)
			}
			for cli.Rebuilding(leadview.Projection) {
				select {
				case <-ctx.Done():
					t.Fatal("the rebuild did not finish")
				case <-time.After(20 * time.Millisecond):
				}
			}
			stopCLI() // the CLI exits; the server takes the new generation's lease
			<-cliDone

			var last []engine.Status
			for ctx.Err() == nil {
				last, err = server.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range last {
					if s.Name == leadview.Projection && s.Serving && s.Generation == gen && s.State == engine.StateLive && s.Position == head && s.LagEvents == 0 {
						return
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Fatalf("the server never reported generation %d live at %d: %+v", gen, head, last)
		})
	}
}
