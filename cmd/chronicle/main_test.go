package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/user"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigurationErrorsAreOneClearLine(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"unknown event store":  {map[string]string{"CHRONICLE_EVENTSTORE": "mysql"}, `CHRONICLE_EVENTSTORE="mysql": use sqlite, postgres or eventstoredb`},
		"unknown read models":  {map[string]string{"CHRONICLE_READMODELS": "mongo"}, `CHRONICLE_READMODELS="mongo": use sqlite or postgres`},
		"postgres without url": {map[string]string{"CHRONICLE_EVENTSTORE": "postgres"}, "CHRONICLE_POSTGRES_URL is required"},
		"esdb without url":     {map[string]string{"CHRONICLE_EVENTSTORE": "eventstoredb"}, "CHRONICLE_ESDB_URL is required"},
		"bad log level":        {map[string]string{"CHRONICLE_LOG_LEVEL": "loud"}, `CHRONICLE_LOG_LEVEL="loud"`},
		"bad hash concurrency": {map[string]string{"CHRONICLE_AUTH_HASH_CONCURRENCY": "many"}, `CHRONICLE_AUTH_HASH_CONCURRENCY="many"`},
		"bad hash wait":        {map[string]string{"CHRONICLE_AUTH_HASH_WAIT": "-1s"}, `CHRONICLE_AUTH_HASH_WAIT="-1s"`},
		"bad address limit":    {map[string]string{"CHRONICLE_AUTH_ADDRESS_CONCURRENCY": "0"}, `CHRONICLE_AUTH_ADDRESS_CONCURRENCY="0"`},
		"bad pg pool size":     {map[string]string{"CHRONICLE_PG_MAX_CONNS": "-1"}, `CHRONICLE_PG_MAX_CONNS="-1"`},
		"bad sqlite pool size": {map[string]string{"CHRONICLE_SQLITE_READERS": "eight"}, `CHRONICLE_SQLITE_READERS="eight"`},
		"bad mail interval":    {map[string]string{"CHRONICLE_MAIL_INTERVAL": "soon"}, `CHRONICLE_MAIL_INTERVAL="soon"`},
		"bad public url":       {map[string]string{"CHRONICLE_PUBLIC_URL": "crm.example.com"}, `CHRONICLE_PUBLIC_URL="crm.example.com"`},
		"bad seal interval":    {map[string]string{"CHRONICLE_AUDIT_SEAL_INTERVAL": "1ms"}, `CHRONICLE_AUDIT_SEAL_INTERVAL="1ms"`},
		"bad anchor interval":  {map[string]string{"CHRONICLE_AUDIT_ANCHOR_INTERVAL": "often"}, `CHRONICLE_AUDIT_ANCHOR_INTERVAL="often"`},
		"bad anchor events":    {map[string]string{"CHRONICLE_AUDIT_ANCHOR_EVENTS": "0"}, `CHRONICLE_AUDIT_ANCHOR_EVENTS="0"`},
		"bad trusted proxy":    {map[string]string{"CHRONICLE_TRUSTED_PROXIES": "10.0.0.0/8, proxy.lan"}, `CHRONICLE_TRUSTED_PROXIES: "proxy.lan"`},
		"unreachable postgres": {map[string]string{"CHRONICLE_EVENTSTORE": "postgres", "CHRONICLE_POSTGRES_URL": "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, "event store (postgres)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.env["CHRONICLE_DATA_DIR"] = t.TempDir()
			err := run(context.Background(), []string{"serve"}, &bytes.Buffer{}, env(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, env(nil)); err != nil || !strings.HasPrefix(out.String(), "chronicle ") {
		t.Fatalf("version: %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, &out, env(nil)); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}

func TestCreateAdminCommand(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	e := env(map[string]string{"CHRONICLE_DATA_DIR": dir, "CHRONICLE_ADMIN_PASSWORD": "Second-admin-2026"})
	if err := run(context.Background(), []string{"users", "create-admin", "-username", "ops"}, &out, e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `administrator "ops" created`) {
		t.Fatalf("output %q", out.String())
	}
	if err := run(context.Background(), []string{"users", "create-admin", "-username", "OPS"}, &out, e); err == nil {
		t.Fatal("a second administrator with the same username was created")
	}
}

// TestUnlockCommand: an administrator locked out by failed sign-ins gets back in with
// `chronicle users unlock`, against the configured stores (SQLite and PostgreSQL); the unlock is
// in the log as the system actor's.
func TestUnlockCommand(t *testing.T) {
	engines := map[string]func(t *testing.T) map[string]string{
		"sqlite": func(t *testing.T) map[string]string { return map[string]string{"CHRONICLE_DATA_DIR": t.TempDir()} },
		"postgres": func(t *testing.T) map[string]string {
			u := pgtest.URL(t)
			return map[string]string{"CHRONICLE_DATA_DIR": t.TempDir(), "CHRONICLE_EVENTSTORE": "postgres", "CHRONICLE_READMODELS": "postgres",
				"CHRONICLE_POSTGRES_URL": u}
		},
	}
	for name, vars := range engines {
		t.Run(name, func(t *testing.T) {
			pgtest.Engine(t, name)
			ctx := context.Background()
			m := vars(t)
			m["CHRONICLE_ADMIN_PASSWORD"] = "Only-admin-2026"
			e := env(m)
			var out bytes.Buffer
			if err := run(ctx, []string{"users", "create-admin", "-username", "boss"}, &out, e); err != nil {
				t.Fatal(err)
			}
			cfg, _, err := config(flag.NewFlagSet("test", flag.ContinueOnError), nil, e)
			if err != nil {
				t.Fatal(err)
			}
			login := func(a *app.App, pw string) error {
				_, err := a.Auth.Login(ctx, usercmd.LoginRequest{Username: "boss", Password: pw, Address: "198.51.100.1", RequestID: "t"})
				return err
			}
			open := func() *app.App {
				a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				a.Auth.SetSignInPolicy(usercmd.SignInPolicy{})
				// Sign-in finds accounts in the users read model: let the projections catch up.
				runCtx, cancel := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- a.Engine.Run(runCtx) }()
				head, _ := a.Store.Head(ctx)
				wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
				defer wcancel()
				if err := a.Engine.WaitFor(wctx, head, "org"); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cancel(); <-done; a.Close() })
				return a
			}
			a := open()
			for range user.LockThreshold {
				err = login(a, "wrong-password-1")
			}
			if !errors.Is(err, usercmd.ErrAccountLocked) || !errors.Is(login(a, "Only-admin-2026"), usercmd.ErrAccountLocked) {
				t.Fatalf("the administrator is not locked: %v", err)
			}
			out.Reset()
			if err := run(ctx, []string{"users", "unlock", "BOSS"}, &out, e); err != nil || !strings.Contains(out.String(), `user "BOSS" unlocked`) {
				t.Fatalf("unlock: %q %v", out.String(), err)
			}
			if err := login(a, "Only-admin-2026"); err != nil {
				t.Fatalf("after the unlock: %v", err)
			}
			events, err := a.Store.ReadAll(ctx, 0, 10000)
			if err != nil {
				t.Fatal(err)
			}
			unlocks := 0
			for _, x := range events {
				if x.Type == "user.unlocked.v1" {
					unlocks++
					if x.Metadata.ActorName != "system" || x.Metadata.Command != "user.unlock" {
						t.Fatalf("the unlock is recorded as %+v", x.Metadata)
					}
				}
			}
			if unlocks != 1 {
				t.Fatalf("%d unlock events", unlocks)
			}
			out.Reset()
			if err := run(ctx, []string{"users", "unlock", "boss"}, &out, e); err != nil || !strings.Contains(out.String(), "was not locked") {
				t.Fatalf("unlock of an unlocked account: %q %v", out.String(), err)
			}
			if err := run(ctx, []string{"users", "unlock", "nobody"}, &out, e); err == nil || !strings.Contains(err.Error(), `no user "nobody"`) {
				t.Fatalf("unlock of an unknown user: %v", err)
			}
			if err := run(ctx, []string{"users", "unlock"}, &out, e); err == nil || !strings.Contains(err.Error(), "usage") {
				t.Fatalf("unlock without a username: %v", err)
			}
		})
	}
}

// stderrOf runs f with os.Stderr captured (the commands log there).
func stderrOf(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	out := make(chan string)
	go func() { b, _ := io.ReadAll(r); out <- string(b) }()
	defer func() { os.Stderr = saved }()
	f()
	w.Close()
	return <-out
}

// TestProjectionsCommandsNeedExistingData: status and rebuild of a directory that holds no
// Chronicle data refuse (saying where they looked) instead of creating empty stores there; on real
// data they print their table and nothing else.
func TestProjectionsCommandsNeedExistingData(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{{"projections", "status"}, {"projections", "rebuild", "--all"}} {
		var out bytes.Buffer
		err := run(context.Background(), args, &out, env(map[string]string{"CHRONICLE_DATA_DIR": empty}))
		if err == nil || !strings.Contains(err.Error(), "no Chronicle data in "+empty) {
			t.Fatalf("%v: err = %v, want it to name %s", args, err, empty)
		}
		if _, statErr := os.Stat(empty); !os.IsNotExist(statErr) {
			t.Fatalf("%v created %s", args, empty)
		}
	}

	dir := t.TempDir()
	e := env(map[string]string{"CHRONICLE_DATA_DIR": dir, "CHRONICLE_ADMIN_PASSWORD": "Data-lantern-2026!"})
	if err := run(context.Background(), []string{"users", "create-admin"}, &bytes.Buffer{}, e); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var err error
	logged := stderrOf(t, func() { err = run(context.Background(), []string{"projections", "status"}, &out, e) })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "NAME") || !strings.Contains(out.String(), "\nleads ") {
		t.Fatalf("status printed %q", out.String())
	}
	if logged != "" {
		t.Fatalf("status logged: %q", logged)
	}
}

// TestPoolSizeConfiguration: CHRONICLE_PG_MAX_CONNS and CHRONICLE_SQLITE_READERS (or their flags)
// set the pool sizes; unset, they are app.DefaultPoolSize.
func TestPoolSizeConfiguration(t *testing.T) {
	cfg, _, err := config(flag.NewFlagSet("t", flag.ContinueOnError), nil, env(nil))
	if err != nil || cfg.PGMaxConns != app.DefaultPoolSize() || cfg.SQLiteReaders != app.DefaultPoolSize() {
		t.Fatalf("defaults: %d and %d (%v), want %d", cfg.PGMaxConns, cfg.SQLiteReaders, err, app.DefaultPoolSize())
	}
	e := env(map[string]string{"CHRONICLE_PG_MAX_CONNS": "12", "CHRONICLE_SQLITE_READERS": "6"})
	cfg, _, err = config(flag.NewFlagSet("t", flag.ContinueOnError), nil, e)
	if err != nil || cfg.PGMaxConns != 12 || cfg.SQLiteReaders != 6 {
		t.Fatalf("from the environment: %d and %d (%v)", cfg.PGMaxConns, cfg.SQLiteReaders, err)
	}
	cfg, _, err = config(flag.NewFlagSet("t", flag.ContinueOnError), []string{"-pg-max-conns", "3", "-sqlite-readers", "2"}, e)
	if err != nil || cfg.PGMaxConns != 3 || cfg.SQLiteReaders != 2 {
		t.Fatalf("flags over the environment: %d and %d (%v)", cfg.PGMaxConns, cfg.SQLiteReaders, err)
	}
}

// TestProjectionsRebuildAll: `projections rebuild --all` rebuilds every projection, and with no
// server reading the old generations it drops them itself before it returns (no fixed wait).
func TestProjectionsRebuildAll(t *testing.T) {
	pgtest.Engine(t, "sqlite")
	dir := t.TempDir()
	e := env(map[string]string{"CHRONICLE_DATA_DIR": dir, "CHRONICLE_ADMIN_PASSWORD": "Data-lantern-2026!"})
	if err := run(context.Background(), []string{"users", "create-admin"}, &bytes.Buffer{}, e); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"projections", "rebuild", "--all"}, &out, e); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"org", "leads", "customers", "conversions", "audit", "logins"} {
		if !strings.Contains(out.String(), "rebuilt "+name+" into generation 2 in ") {
			t.Fatalf("output %q does not report the rebuild of %s", out.String(), name)
		}
	}
	db, err := rsqlite.Open(context.Background(), filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var old []string
	rows, err := db.SQL.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\_g1%' ESCAPE '\'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		old = append(old, n)
	}
	rows.Close()
	var checkpoints int
	if err := db.SQL.QueryRow(`SELECT count(*) FROM projection_checkpoints WHERE generation = 1`).Scan(&checkpoints); err != nil {
		t.Fatal(err)
	}
	if len(old) > 0 || checkpoints > 0 {
		t.Fatalf("generation 1 left behind: tables %v, %d checkpoints", old, checkpoints)
	}
}
