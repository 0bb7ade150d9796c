package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

// TestKilledDuringCreatesLosesNothingAcknowledged: 16 clients create leads for 2 s (longer on a
// machine too slow to have acknowledged 20 by then), then the server is killed with SIGKILL (no
// shutdown of any kind) while their creates are in flight. Restarted on the same data, every
// create it acknowledged (2xx) is there, and the read models it rebuilds from the event log
// (`chronicle projections rebuild --all`) equal the ones it kept: the list and the detail of
// every lead. On SQLite and on PostgreSQL (a fresh schema).
func TestKilledDuringCreatesLosesNothingAcknowledged(t *testing.T) {
	const password = "Crash-test-amber-2026"
	setups := map[string]func(t *testing.T) []string{
		"sqlite": func(t *testing.T) []string {
			return []string{"CHRONICLE_DATA_DIR=" + filepath.Join(t.TempDir(), "data")}
		},
		"postgres": func(t *testing.T) []string {
			return []string{"CHRONICLE_DATA_DIR=" + t.TempDir(), "CHRONICLE_EVENTSTORE=postgres", "CHRONICLE_READMODELS=postgres",
				"CHRONICLE_POSTGRES_URL=" + pgtest.URL(t)}
		},
	}
	for name, setup := range setups {
		t.Run(name, func(t *testing.T) {
			pgtest.Engine(t, name)
			t.Parallel()
			env := serverEnv(append(setup(t), "CHRONICLE_ADMIN_PASSWORD="+password, "CHRONICLE_LOG_LEVEL=warn")...)

			srv := startServer(t, env)
			c := newAPIClient(srv.base)
			c.signIn(t, password)
			load := startLeadLoad(c, 16, "崩溃")
			time.Sleep(2 * time.Second)
			// A machine slow enough to have acknowledged almost nothing yet gets more time.
			for deadline := time.Now().Add(30 * time.Second); load.count() < 20 && time.Now().Before(deadline); {
				time.Sleep(100 * time.Millisecond)
			}
			srv.kill()
			load.end()
			t.Logf("before the kill: %s", load.summary())
			if load.count() == 0 {
				t.Fatal("no create was acknowledged before the kill")
			}

			// Restarted on the same data: every acknowledged lead is there. The dead process's
			// projection leases run out first (15 s), then the projections catch up.
			srv = startServer(t, env)
			c = newAPIClient(srv.base)
			c.signIn(t, password)
			c.waitProjected(t, 60*time.Second)
			list, detail := c.leads(t)
			var lost []string
			for _, id := range load.acked {
				if _, ok := detail[id]; !ok {
					lost = append(lost, id)
				}
			}
			if len(lost) > 0 {
				t.Fatalf("%d of %d acknowledged creates are missing after the restart, e.g. %s", len(lost), len(load.acked), lost[0])
			}
			t.Logf("after the restart: %d leads (%d acknowledged, the rest were in flight at the kill)", len(list), len(load.acked))

			// The read models the server kept equal a rebuild from the log.
			srv.stop()
			// A hang shows as a goroutine dump (SIGQUIT) after five minutes, not as the suite's timeout.
			rctx, stop := context.WithTimeout(context.Background(), 5*time.Minute)
			defer stop()
			rebuild := exec.CommandContext(rctx, chronicleBinary(t), "projections", "rebuild", "--all")
			rebuild.Cancel = func() error { return rebuild.Process.Signal(syscall.SIGQUIT) }
			rebuild.WaitDelay = 10 * time.Second
			rebuild.Env = env
			if out, err := rebuild.CombinedOutput(); err != nil {
				t.Fatalf("chronicle projections rebuild --all: %v\n%s", err, out)
			}
			srv = startServer(t, env)
			c = newAPIClient(srv.base)
			c.signIn(t, password)
			c.waitProjected(t, 60*time.Second)
			rebuiltList, rebuiltDetail := c.leads(t)
			compareLeads(t, "list", list, rebuiltList)
			compareLeads(t, "detail", detail, rebuiltDetail)
		})
	}
}

// compareLeads fails the test when the leads read before and after the rebuild differ.
func compareLeads(t *testing.T, what string, kept, rebuilt map[string]map[string]any) {
	t.Helper()
	if len(kept) != len(rebuilt) {
		t.Errorf("%s: %d leads kept, %d after the rebuild", what, len(kept), len(rebuilt))
	}
	differ := 0
	for id, k := range kept {
		if r := rebuilt[id]; !reflect.DeepEqual(k, r) {
			if differ++; differ <= 3 {
				t.Errorf("%s of lead %s differs after the rebuild:\nkept    %v\nrebuilt %v", what, id, k, r)
			}
		}
	}
	if differ > 3 {
		t.Errorf("%s: %d leads differ after the rebuild", what, differ)
	}
}
