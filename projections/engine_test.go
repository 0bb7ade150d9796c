package projections_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/eventstore/postgres"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	rpostgres "github.com/chronicle-crm/chronicle/adapters/readstore/postgres"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

type env struct {
	store  eventstore.Store
	db     *readmodels.DB
	engine *projections.Engine
	leads  *leadcmd.Service
	reg    *event.Registry
}

func registry() *event.Registry { return app.Registry() }

type engines struct {
	name  string
	store func(t *testing.T) eventstore.Store
	db    func(t *testing.T) *readmodels.DB
}

func allEngines() []engines {
	return []engines{
		{"sqlite", func(t *testing.T) eventstore.Store {
			s, err := esqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}, func(t *testing.T) *readmodels.DB {
			db, err := rsqlite.Open(context.Background(), filepath.Join(t.TempDir(), "read.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}},
		{"postgres", func(t *testing.T) eventstore.Store {
			s, err := postgres.Open(context.Background(), pgtest.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}, func(t *testing.T) *readmodels.DB {
			db, err := rpostgres.Open(context.Background(), pgtest.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}},
	}
}

// allowAll is an organisation where everyone is active, in no department, and may claim.
type allowAll struct{}

func (allowAll) Placement(context.Context, uuid.UUID) (access.Placement, bool, error) {
	return access.Placement{SuperiorPath: "/"}, true, nil
}
func (allowAll) OwnedLeads(context.Context, uuid.UUID) (int64, error) { return 0, nil }
func (allowAll) LeadClaimCap(context.Context) (int64, error)          { return 1000, nil }

func start(t *testing.T, e engines, opts projections.Options, extra ...projections.Projector) *env {
	t.Helper()
	store, db := e.store(t), e.db(t)
	reg := registry()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ps := append([]projections.Projector{projections.NewLeads(reg), projections.NewOrg(reg)}, extra...)
	eng, err := projections.NewEngine(store, db, opts, ps...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-eng.Running()
	clock := func() time.Time { return time.Now().UTC() }
	return &env{store: store, db: db, engine: eng, reg: reg, leads: leadcmd.New(store, reg, clock, allowAll{})}
}

var manager = commands.Meta{Actor: access.Actor{ID: uuid.MustParse("0190a000-0000-7000-8000-0000000000a1"), Name: "经理",
	Roles: []string{role.Admin}, Permissions: allPerms(), Scope: role.ScopeAll}}

func allPerms() map[string]bool {
	m := map[string]bool{}
	for _, p := range role.Permissions {
		m[p] = true
	}
	return m
}

func TestLiveAndRebuiltReadModelsAreIdentical(t *testing.T) {
	for _, e := range allEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, e, projections.Options{PageSize: 7, DropGrace: 50 * time.Millisecond})
			ctx := context.Background()
			var last uint64
			var ids []uuid.UUID
			for i := range 40 {
				res, err := env.leads.Create(ctx, manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("联系人%d", i),
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
					res, err = env.leads.Update(ctx, manager, id, lead.Patch{Remark: &remark})
				case 1:
					res, err = env.leads.Delete(ctx, manager, id)
				case 2:
					res, err = env.leads.Release(ctx, manager, id, "无意向")
				case 3:
					res, err = env.leads.Claim(ctx, manager, ids[i-3])
				}
				if err != nil && i%4 != 3 && !errors.Is(err, lead.ErrAlreadyInPool) {
					t.Fatal(err)
				}
				if err == nil {
					last = max(last, res.Position)
				}
			}
			wait(t, env, last)
			before := dump(t, env.db)
			if len(before) != 35 {
				t.Fatalf("read model holds %d leads, want 35 (40 created, 5 deleted)", len(before))
			}
			page, err := leadview.New(env.db).Search(ctx, leadview.Query{Scope: readmodels.Scope{All: true}, Q: "星河", Limit: 500})
			if err != nil || page.Total != 35 {
				t.Fatalf("search 星河 = %d (%v), want 35", page.Total, err)
			}
			rebuildAndSwitch(t, env, 20*time.Second)
			after := dump(t, env.db)
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("rebuilt read model differs from the live one:\nlive    %v\nrebuilt %v", before, after)
			}
			// The engine keeps projecting into the new generation.
			res, err := env.leads.Create(ctx, manager, leadcmd.Create{Fields: lead.Fields{Name: "新线索", Company: "上海银河贸易"}})
			if err != nil {
				t.Fatal(err)
			}
			wait(t, env, res.Position)
			if n := len(dump(t, env.db)); n != 36 {
				t.Fatalf("after rebuild, a new lead did not arrive: %d rows", n)
			}
		})
	}
}

func wait(t *testing.T, env *env, pos uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := env.engine.WaitFor(ctx, pos, leadview.Projection); err != nil {
		st, _ := env.engine.Status(context.Background())
		t.Fatalf("projection did not reach %d: %v; status %+v", pos, err, st)
	}
}

func dump(t *testing.T, db *readmodels.DB) []leadview.Lead {
	t.Helper()
	var out []leadview.Lead
	cursor := ""
	for {
		page, err := leadview.New(db).Search(context.Background(), leadview.Query{Scope: readmodels.Scope{All: true}, Sort: "createdAt", Limit: 11, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Items {
			out = append(out, *l)
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

// A rebuild whose last page is full and ends at the head of the log (no page after it, none
// marked caught up) still switches.
func TestRebuildSwitchesWhenTheLastPageIsFull(t *testing.T) {
	for _, e := range allEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			env := start(t, e, projections.Options{PageSize: 7, DropGrace: 50 * time.Millisecond})
			ctx := context.Background()
			var last uint64
			for i := range 14 {
				res, err := env.leads.Create(ctx, manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("整页%d", i)}})
				if err != nil {
					t.Fatal(err)
				}
				last = res.Position
			}
			if head, _ := env.store.Head(ctx); head != last {
				t.Fatalf("the log holds more than the 14 leads (head %d, last %d)", head, last)
			}
			wait(t, env, last)
			rebuildAndSwitch(t, env, 10*time.Second)
		})
	}
}

// Two processes on one event store and one read-model database (decision 8): each projection
// generation is applied by one of them at a time; the other stands by, answers read-your-writes
// from the holder's checkpoint, and takes the projection over when the holder stops.
func TestProjectionLeaseMovesBetweenProcesses(t *testing.T) {
	for _, e := range allEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			store, db := e.store(t), e.db(t)
			reg := registry()
			type proc struct {
				eng  *projections.Engine
				stop context.CancelFunc
				done chan struct{}
			}
			run := func(holder string) *proc {
				ctx, cancel := context.WithCancel(context.Background())
				p := &proc{stop: cancel, done: make(chan struct{})}
				p.eng = runProcessCtx(t, ctx, store, db, holder, projections.Options{LeaseTTL: 600 * time.Millisecond}, p.done)
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
						if s.State != projections.StateStandby {
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
			leads := leadcmd.New(store, reg, func() time.Time { return time.Now().UTC() }, allowAll{})
			create := func(n int) uint64 {
				var last uint64
				for i := range n {
					res, err := leads.Create(context.Background(), manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("租约%d", i)}})
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
			if n := len(dump(t, db)); n != 5 {
				t.Fatalf("%d leads in the read model, want 5", n)
			}

			holder.stop()
			<-holder.done
			procs = []*proc{other}
			settled(0)
			pos = create(5)
			waitOn(other, pos)
			if n := len(dump(t, db)); n != 10 {
				t.Fatalf("after the takeover: %d leads in the read model, want 10", n)
			}
		})
	}
}

// runProcess starts an engine on shared stores, as another process would, until the test ends.
func runProcess(t *testing.T, store eventstore.Store, db *readmodels.DB, holder string, opts projections.Options, extra ...projections.Projector) *projections.Engine {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	return runProcessCtx(t, ctx, store, db, holder, opts, done, extra...)
}

// runProcessCtx starts an engine that runs until ctx ends and then closes done.
func runProcessCtx(t *testing.T, ctx context.Context, store eventstore.Store, db *readmodels.DB, holder string, opts projections.Options,
	done chan struct{}, extra ...projections.Projector) *projections.Engine {
	t.Helper()
	reg := registry()
	opts.Holder = holder
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := projections.NewEngine(store, db, opts, append([]projections.Projector{projections.NewLeads(reg), projections.NewOrg(reg)}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { defer close(done); _ = eng.Run(ctx) }()
	<-eng.Running()
	return eng
}

func statusOf(t *testing.T, eng *projections.Engine, name string) projections.Status {
	t.Helper()
	all, err := eng.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no projection %q", name)
	return projections.Status{}
}

// waitHeld waits until holder holds the lease of the projection's generation.
func waitHeld(t *testing.T, db *readmodels.DB, name, holder string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got string
		err := db.SQL.QueryRow(db.Q(`SELECT holder FROM leases WHERE name LIKE ?`), "projection:"+name+"/%").Scan(&got)
		if err == nil && got == holder {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never held by %s (%q, %v)", name, holder, got, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rebuildAndSwitch rebuilds the leads projection and waits until the new generation serves.
func rebuildAndSwitch(t *testing.T, env *env, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	gen, err := env.engine.Rebuild(ctx, leadview.Projection)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(within)
	for env.db.Gens.Active(leadview.Projection) != gen {
		if time.Now().After(deadline) {
			st, _ := env.engine.Status(ctx)
			t.Fatalf("rebuild did not switch: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
