package engine_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

func TestLiveAndRebuiltReadModelsAreIdentical(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := projtest.Start(t, e, engine.Options{PageSize: 7, DropGrace: 50 * time.Millisecond})
			ctx := context.Background()
			var last uint64
			var ids []uuid.UUID
			for i := range 40 {
				res, err := env.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("联系人%d", i),
					Company: fmt.Sprintf("北京星河科技有限公司%d部", i), Phone: "010-8888 66" + fmt.Sprintf("%02d", i)}, Pool: i%3 == 0})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, res.ID)
				last = res.Position
			}
			remark := "客户要求报价"
			for i, id := range ids[:20] {
				var err error
				var res commands.Result
				switch i % 4 {
				case 0:
					res, err = env.Leads.Update(ctx, projtest.Manager, id, lead.Patch{Remark: &remark})
				case 1:
					res, err = env.Leads.Delete(ctx, projtest.Manager, id)
				case 2:
					res, err = env.Leads.Release(ctx, projtest.Manager, id, "无意向")
				case 3:
					res, err = env.Leads.Claim(ctx, projtest.Manager, ids[i-3])
				}
				if err != nil && i%4 != 3 && !errors.Is(err, lead.ErrAlreadyInPool) {
					t.Fatal(err)
				}
				if err == nil {
					last = max(last, res.Position)
				}
			}
			projtest.Wait(t, env, last)
			before := projtest.Dump(t, env.DB)
			if len(before) != 35 {
				t.Fatalf("read model holds %d leads, want 35 (40 created, 5 deleted)", len(before))
			}
			page, err := leadview.New(env.DB).Search(ctx, leadview.Query{Scope: readmodels.Scope{All: true}, Q: "星河", Limit: 500})
			if err != nil || page.Total != 35 {
				t.Fatalf("search 星河 = %d (%v), want 35", page.Total, err)
			}
			projtest.RebuildAndSwitch(t, env, 20*time.Second)
			after := projtest.Dump(t, env.DB)
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("rebuilt read model differs from the live one:\nlive    %v\nrebuilt %v", before, after)
			}
			// The engine keeps projecting into the new generation.
			res, err := env.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: "新线索", Company: "上海银河贸易"}})
			if err != nil {
				t.Fatal(err)
			}
			projtest.Wait(t, env, res.Position)
			if n := len(projtest.Dump(t, env.DB)); n != 36 {
				t.Fatalf("after rebuild, a new lead did not arrive: %d rows", n)
			}
		})
	}
}

// A rebuild whose last page is full and ends at the head of the log (no page after it, none
// marked caught up) still switches.
func TestRebuildSwitchesWhenTheLastPageIsFull(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := projtest.Start(t, e, engine.Options{PageSize: 7, DropGrace: 50 * time.Millisecond})
			ctx := context.Background()
			var last uint64
			for i := range 14 {
				res, err := env.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("整页%d", i)}})
				if err != nil {
					t.Fatal(err)
				}
				last = res.Position
			}
			if head, _ := env.Store.Head(ctx); head != last {
				t.Fatalf("the log holds more than the 14 leads (head %d, last %d)", head, last)
			}
			projtest.Wait(t, env, last)
			projtest.RebuildAndSwitch(t, env, 10*time.Second)
		})
	}
}

// Two processes on one event store and one read-model database (decision 8): each projection
// generation is applied by one of them at a time; the other stands by, answers read-your-writes
// from the holder's checkpoint, and takes the projection over when the holder stops.
func TestProjectionLeaseMovesBetweenProcesses(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			store, db := e.Store(t), e.DB(t)
			reg := projtest.Registry()
			type proc struct {
				eng  *engine.Engine
				stop context.CancelFunc
				done chan struct{}
			}
			run := func(holder string) *proc {
				ctx, cancel := context.WithCancel(context.Background())
				p := &proc{stop: cancel, done: make(chan struct{})}
				p.eng = projtest.RunProcessCtx(t, ctx, store, db, holder, engine.Options{LeaseTTL: 600 * time.Millisecond}, p.done)
				t.Cleanup(func() { cancel(); <-p.done })
				return p
			}
			procs := []*proc{run("A"), run("B")}
			holders := func() map[string]int { // projection -> index of the process applying it
				out := map[string]int{}
				for i, p := range procs {
					st, err := p.eng.Status(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range st {
						if s.State != engine.StateStandby {
							if _, twice := out[s.Name]; twice {
								out[s.Name] = -1
							} else {
								out[s.Name] = i
							}
						}
					}
				}
				return out
			}
			settled := func(want int) map[string]int {
				deadline := time.Now().Add(5 * time.Second)
				for {
					h := holders()
					ok := len(h) == 2
					for _, i := range h {
						ok = ok && i >= 0 && (want < 0 || i == want)
					}
					if ok {
						return h
					}
					if time.Now().After(deadline) {
						t.Fatalf("projections not held by exactly one process: %v", h)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			leads := leadcmd.New(store, reg, func() time.Time { return time.Now().UTC() }, projtest.AllowAll{})
			create := func(n int) uint64 {
				var last uint64
				for i := range n {
					res, err := leads.Create(context.Background(), projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("租约%d", i)}})
					if err != nil {
						t.Fatal(err)
					}
					last = res.Position
				}
				return last
			}
			waitOn := func(p *proc, pos uint64) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := p.eng.WaitFor(ctx, pos, leadview.Projection); err != nil {
					st, _ := p.eng.Status(context.Background())
					t.Fatalf("did not reach %d: %v (%+v)", pos, err, st)
				}
			}

			held := settled(-1)
			holder, other := procs[held[leadview.Projection]], procs[1-held[leadview.Projection]]
			pos := create(5)
			waitOn(other, pos) // the standby follows the holder's checkpoint
			if n := len(projtest.Dump(t, db)); n != 5 {
				t.Fatalf("%d leads in the read model, want 5", n)
			}

			holder.stop()
			<-holder.done
			procs = []*proc{other}
			settled(0)
			pos = create(5)
			waitOn(other, pos)
			if n := len(projtest.Dump(t, db)); n != 10 {
				t.Fatalf("after the takeover: %d leads in the read model, want 10", n)
			}
		})
	}
}
