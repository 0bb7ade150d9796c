// Package projtest is the harness of the projection tests: engines on both read-store
// dialects, a running engine with the lead and organisation projectors, and generated lead logs
// for benchmarks.
package projtest

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
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
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/leadproj"
	"github.com/chronicle-crm/chronicle/projections/orgproj"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// Env is a running engine over fresh stores, with lead commands to feed it.
type Env struct {
	Store  eventstore.Store
	DB     *readmodels.DB
	Engine *engine.Engine
	Leads  *leadcmd.Service
	Reg    *event.Registry
}

// Registry is the application's event registry.
func Registry() *event.Registry { return app.Registry() }

// Backend opens fresh stores of one engine.
type Backend struct {
	Name  string
	Store func(t *testing.T) eventstore.Store
	DB    func(t *testing.T) *readmodels.DB
	// Handles opens one fresh read-model database n times, as n processes would.
	Handles func(t *testing.T, n int) []*readmodels.DB
}

// Backends are SQLite and PostgreSQL (which skips without a server, see pgtest).
func Backends() []Backend {
	return []Backend{
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
		}, func(t *testing.T, n int) []*readmodels.DB {
			path := filepath.Join(t.TempDir(), "read.db")
			return handles(t, n, func() (*readmodels.DB, error) { return rsqlite.Open(context.Background(), path) })
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
		}, func(t *testing.T, n int) []*readmodels.DB {
			url := pgtest.URL(t)
			return handles(t, n, func() (*readmodels.DB, error) { return rpostgres.Open(context.Background(), url) })
		}},
	}
}

// handles opens n handles with open, closed when the test ends.
func handles(t *testing.T, n int, open func() (*readmodels.DB, error)) []*readmodels.DB {
	t.Helper()
	out := make([]*readmodels.DB, n)
	for i := range out {
		db, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		out[i] = db
	}
	return out
}

// AllowAll is an organisation where everyone is active, in no department, and may claim.
type AllowAll struct{}

func (AllowAll) Placement(context.Context, uuid.UUID) (access.Placement, bool, error) {
	return access.Placement{SuperiorPath: "/"}, true, nil
}
func (AllowAll) OwnedLeads(context.Context, uuid.UUID, []uuid.UUID) (int64, error) { return 0, nil }
func (AllowAll) LeadsAppliedUntil(context.Context) (time.Time, error)              { return time.Time{}, nil }
func (AllowAll) LeadClaimCap(context.Context) (int64, error)                       { return 1000, nil }

// Start runs an engine with the lead and organisation projectors (and extra) until the test ends.
func Start(t *testing.T, e Backend, opts engine.Options, extra ...engine.Projector) *Env {
	t.Helper()
	store, db := e.Store(t), e.DB(t)
	reg := Registry()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ps := append([]engine.Projector{leadproj.New(reg), orgproj.New(reg)}, extra...)
	eng, err := engine.New(store, db, opts, ps...)
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
	return &Env{Store: store, DB: db, Engine: eng, Reg: reg, Leads: leadcmd.New(store, reg, clock, AllowAll{})}
}

// Manager is an administrator who may do everything.
var Manager = commands.Meta{Actor: access.Actor{ID: uuid.MustParse("0190a000-0000-7000-8000-0000000000a1"), Name: "经理",
	Roles: []string{role.Admin}, Permissions: AllPerms(), Scope: role.ScopeAll}}

// AllPerms grants every permission.
func AllPerms() map[string]bool {
	m := map[string]bool{}
	for _, p := range role.Permissions {
		m[p] = true
	}
	return m
}

// Wait waits until the leads projection has processed pos.
func Wait(t *testing.T, env *Env, pos uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := env.Engine.WaitFor(ctx, pos, leadview.Projection); err != nil {
		st, _ := env.Engine.Status(context.Background())
		t.Fatalf("projection did not reach %d: %v; status %+v", pos, err, st)
	}
}

// Dump reads every lead the read model serves, oldest first.
func Dump(t *testing.T, db *readmodels.DB) []leadview.Lead {
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

// RunProcess starts an engine on shared stores, as another process would, until the test ends.
func RunProcess(t *testing.T, store eventstore.Store, db *readmodels.DB, holder string, opts engine.Options, extra ...engine.Projector) *engine.Engine {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	return RunProcessCtx(t, ctx, store, db, holder, opts, done, extra...)
}

// RunProcessCtx starts an engine that runs until ctx ends and then closes done.
func RunProcessCtx(t *testing.T, ctx context.Context, store eventstore.Store, db *readmodels.DB, holder string, opts engine.Options,
	done chan struct{}, extra ...engine.Projector) *engine.Engine {
	t.Helper()
	reg := Registry()
	opts.Holder = holder
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.New(store, db, opts, append([]engine.Projector{leadproj.New(reg), orgproj.New(reg)}, extra...)...)
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

// StatusOf is the status of the named projection.
func StatusOf(t *testing.T, eng *engine.Engine, name string) engine.Status {
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
	return engine.Status{}
}

// WaitHeld waits until holder holds the lease of the projection's generation.
func WaitHeld(t *testing.T, db *readmodels.DB, name, holder string) {
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

// RebuildAndSwitch rebuilds the leads projection and waits until the new generation serves.
func RebuildAndSwitch(t *testing.T, env *Env, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	gen, err := env.Engine.Rebuild(ctx, leadview.Projection)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(within)
	for env.DB.Gens.Active(leadview.Projection) != gen {
		if time.Now().After(deadline) {
			st, _ := env.Engine.Status(ctx)
			t.Fatalf("rebuild did not switch: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
