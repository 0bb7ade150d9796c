package projections_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// reshaped is the lead projector with one more index: a schema change.
type reshaped struct{ *projections.Leads }

func (r reshaped) Schema(db *readmodels.DB, gen int) []string {
	t := readmodels.TableName("leads", gen)
	return append(r.Leads.Schema(db, gen), `CREATE INDEX `+t+`_extra ON `+t+` (level)`)
}

// TestSchemaChangeRebuilds: when a projector's tables change shape, the next start serves a new
// generation rebuilt from the log instead of querying tables that no longer fit.
func TestSchemaChangeRebuilds(t *testing.T) {
	for _, e := range allEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, e, projections.Options{})
			ctx := context.Background()
			res, err := env.leads.Create(ctx, manager, leadcmd.Create{Fields: lead.Fields{Name: "重建测试", Company: "西安古城贸易"}})
			if err != nil {
				t.Fatal(err)
			}
			wait(t, env, res.Position)
			before := env.db.Gens.Active(leadview.Projection)

			// "Restart" with the new code: the same stores, the reshaped projector.
			eng, err := projections.NewEngine(env.store, env.db, projections.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
				reshaped{projections.NewLeads(env.reg)}, projections.NewOrg(env.reg))
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Prepare(ctx); err != nil {
				t.Fatal(err)
			}
			after := env.db.Gens.Active(leadview.Projection)
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
			page, err := leadview.New(env.db).Search(ctx, leadview.Query{Scope: readmodels.Scope{All: true}, Q: "古城"})
			if err != nil || page.Total != 1 {
				t.Fatalf("after the rebuild: %d leads (%v)", page.Total, err)
			}
			// Same code again: no further rebuild.
			eng2, _ := projections.NewEngine(env.store, env.db, projections.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
				reshaped{projections.NewLeads(env.reg)}, projections.NewOrg(env.reg))
			if err := eng2.Prepare(ctx); err != nil || env.db.Gens.Active(leadview.Projection) != after {
				t.Fatalf("an unchanged schema was rebuilt again (%v)", err)
			}
		})
	}
}
