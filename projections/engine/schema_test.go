package engine_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/leadproj"
	"github.com/chronicle-crm/chronicle/projections/orgproj"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// reshaped is the lead projector with one more index: a schema change.
type reshaped struct{ *leadproj.Projector }

func (r reshaped) Schema(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("leads", gen)
	return append(r.Projector.Schema(db, gen), `CREATE INDEX `+t+`_extra ON `+t+` (level)`)
}

// TestSchemaChangeRebuilds: when a projector's tables change shape, the next start serves a new
// generation rebuilt from the log instead of querying tables that no longer fit.
func TestSchemaChangeRebuilds(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := projtest.Start(t, e, engine.Options{})
			ctx := context.Background()
			res, err := env.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: "重建测试", Company: "西安古城贸易"}})
			if err != nil {
				t.Fatal(err)
			}
			projtest.Wait(t, env, res.Position)
			before := env.DB.Gens.Active(leadview.Projection)

			// "Restart" with the new code: the same stores, the reshaped projector.
			eng, err := engine.New(env.Store, env.DB, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
				reshaped{leadproj.New(env.Reg)}, orgproj.New(env.Reg))
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Prepare(ctx); err != nil {
				t.Fatal(err)
			}
			after := env.DB.Gens.Active(leadview.Projection)
			if after <= before {
				t.Fatalf("generation %d -> %d: the changed schema was not rebuilt", before, after)
			}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = eng.Run(rctx) }()
			defer func() { cancel(); <-done }()
			<-eng.Running()
			wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
			defer wcancel()
			if err := eng.WaitFor(wctx, res.Position, leadview.Projection); err != nil {
				t.Fatal(err)
			}
			page, err := leadview.New(env.DB).Search(ctx, leadview.Query{Scope: readmodels.Scope{All: true}, Q: "古城"})
			if err != nil || page.Total != 1 {
				t.Fatalf("after the rebuild: %d leads (%v)", page.Total, err)
			}
			// Same code again: no further rebuild.
			eng2, _ := engine.New(env.Store, env.DB, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
				reshaped{leadproj.New(env.Reg)}, orgproj.New(env.Reg))
			if err := eng2.Prepare(ctx); err != nil || env.DB.Gens.Active(leadview.Projection) != after {
				t.Fatalf("an unchanged schema was rebuilt again (%v)", err)
			}
		})
	}
}
