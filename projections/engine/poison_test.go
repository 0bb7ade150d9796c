package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// poisoned fails on leads named "毒" while poison is set.
type poisoned struct{ poison atomic.Bool }

func (*poisoned) Name() string { return "poisoned" }
func (*poisoned) Schema(*readmodels.DB, int) []string {
	return nil
}
func (*poisoned) Drop(*readmodels.DB, int) []string  { return nil }
func (p *poisoned) NewBatch(*engine.Tx) engine.Batch { return poisonBatch{p} }

type poisonBatch struct{ p *poisoned }

func (b poisonBatch) Apply(_ context.Context, e eventstore.Event) error {
	if b.p.poison.Load() && strings.Contains(string(e.Data), `"毒"`) {
		return errors.New("cannot project this event")
	}
	return nil
}
func (poisonBatch) Flush(context.Context) error { return nil }

func TestPoisonEventParksOnlyItsProjection(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			p := &poisoned{}
			p.poison.Store(true)
			env := projtest.Start(t, e, engine.Options{MaxAttempts: 3}, p)
			ctx := context.Background()
			if _, err := env.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: "毒"}}); err != nil {
				t.Fatal(err)
			}
			res, err := env.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: "正常线索", Company: "广州白云商贸"}})
			if err != nil {
				t.Fatal(err)
			}
			projtest.Wait(t, env, res.Position) // the leads projection is not held up
			var st engine.Status
			deadline := time.Now().Add(15 * time.Second)
			for st.State != engine.StateParked {
				if time.Now().After(deadline) {
					t.Fatalf("poisoned projection never parked: %+v", st)
				}
				time.Sleep(50 * time.Millisecond)
				all, err := env.Engine.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range all {
					if s.Name == "poisoned" {
						st = s
					}
				}
			}
			if !strings.Contains(st.LastError, "cannot project this event") || st.LagEvents == 0 || st.Position >= res.Position {
				t.Fatalf("parked status = %+v, want the error, a lag and a position before %d", st, res.Position)
			}
			p.poison.Store(false)
			if !env.Engine.Resume("poisoned") {
				t.Fatal("resume refused")
			}
			wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, res.Position, "poisoned"); err != nil {
				t.Fatalf("resumed projection did not catch up: %v", err)
			}
		})
	}
}

// With two processes, the projection parks in the one holding its lease; the other shows it
// parked, with the error, and a resume asked of it reaches the holder.
func TestParkedProjectionResumesFromAnotherProcess(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			store, db := e.Store(t), e.DB(t)
			p := &poisoned{}
			p.poison.Store(true)
			opts := engine.Options{MaxAttempts: 2, LeaseTTL: 600 * time.Millisecond}
			a := projtest.RunProcess(t, store, db, "A", opts, p)
			projtest.WaitHeld(t, db, "poisoned", "A")
			b := projtest.RunProcess(t, store, db, "B", opts, p)
			ctx := context.Background()
			leads := leadcmd.New(store, projtest.Registry(), func() time.Time { return time.Now().UTC() }, projtest.AllowAll{})
			if _, err := leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: "毒"}}); err != nil {
				t.Fatal(err)
			}
			res, err := leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: "正常线索"}})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(15 * time.Second)
			for {
				st := projtest.StatusOf(t, b, "poisoned")
				if st.State == engine.StateParked && strings.Contains(st.LastError, "cannot project this event") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the standby process does not show the parking: %+v", st)
				}
				time.Sleep(50 * time.Millisecond)
			}
			p.poison.Store(false)
			if !b.Resume("poisoned") {
				t.Fatal("resume refused by the standby process")
			}
			wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			if err := b.WaitFor(wctx, res.Position, "poisoned"); err != nil {
				t.Fatalf("resumed projection did not catch up: %v (%+v)", err, projtest.StatusOf(t, a, "poisoned"))
			}
			if b.Resume("poisoned") {
				t.Fatal("a projection that is not parked was resumed")
			}
		})
	}
}
