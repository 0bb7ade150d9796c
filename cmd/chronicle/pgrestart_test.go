package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRecoversFromPostgresRestart: PostgreSQL (a private cluster: the shared server is never
// touched) stops with -m immediate while clients create leads, and starts again. The server
// notices (/readyz answers 503), then recovers by itself, without a restart: /readyz answers 200
// again, creates succeed again, the projections catch up with the whole log, and every create it
// acknowledged, before, during or after the outage, is readable.
func TestRecoversFromPostgresRestart(t *testing.T) {
	const password = "Restart-test-cobalt-2026"
	pg := startPrivatePostgres(t)
	env := serverEnv("CHRONICLE_DATA_DIR="+t.TempDir(), "CHRONICLE_EVENTSTORE=postgres", "CHRONICLE_READMODELS=postgres",
		"CHRONICLE_POSTGRES_URL="+pg.url, "CHRONICLE_ADMIN_PASSWORD="+password, "CHRONICLE_LOG_LEVEL=warn")
	srv := startServer(t, env)
	c := newAPIClient(srv.base)
	c.signIn(t, password)

	load := startLeadLoad(c, 8, "重启")
	defer func() {
		select {
		case <-load.stop:
		default:
			load.end()
		}
	}()
	eventually(t, 20*time.Second, "creates before the outage", func() bool { return load.count() >= 20 })
	pg.stop(t)
	eventually(t, 20*time.Second, "/readyz to answer 503 while PostgreSQL is down", func() bool { return readyz(c) == http.StatusServiceUnavailable })
	time.Sleep(2 * time.Second) // the outage goes on under load
	t.Logf("PostgreSQL stopped, then: %s", load.summary())
	pg.start(t)
	restarted := time.Now()

	eventually(t, 45*time.Second, "/readyz to answer 200 after PostgreSQL started again", func() bool { return readyz(c) == http.StatusOK })
	eventually(t, 45*time.Second, "a create to succeed after PostgreSQL started again", func() bool { return load.ackedSince(restarted) > 0 })
	t.Logf("recovered %v after PostgreSQL started", time.Since(restarted).Round(100*time.Millisecond))
	load.end()
	if srv.exited() {
		t.Fatal("chronicle serve exited during the outage")
	}
	t.Logf("load: %s", load.summary())

	c.waitProjected(t, 60*time.Second)
	t.Logf("projections at the head of the log %v after PostgreSQL started", time.Since(restarted).Round(100*time.Millisecond))
	_, detail := c.leads(t)
	for _, id := range load.acked {
		if _, ok := detail[id]; !ok {
			t.Fatalf("acknowledged lead %s is missing (%d leads, %d acknowledged)", id, len(detail), load.count())
		}
	}
}

// readyz answers the status of GET /readyz (0 when there is no answer).
func readyz(c *apiClient) int {
	status, _, err := c.do(http.MethodGet, "/readyz", nil)
	if err != nil {
		return 0
	}
	return status
}

// eventually fails the test unless cond holds within timeout (asked every 100 ms).
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// privatePostgres is a PostgreSQL cluster of the test's own, in a temporary directory, on a free
// local port.
type privatePostgres struct {
	bin  string // the directory of initdb, pg_ctl, postgres
	dir  string // holds data/, the log and the socket
	port int
	url  string
	as   string // the user the server runs as: "" for this process's own
}

// startPrivatePostgres creates and starts a cluster; it is stopped and removed at the end of the
// test. Without PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) the test is skipped, or
// fails when CHRONICLE_REQUIRE_POSTGRES=1. initdb refuses to run as root, so as root the cluster
// belongs to the postgres user.
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CHRONICLE_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("CHRONICLE_REQUIRE_POSTGRES=1 but "+format, args...)
		}
		t.Skipf(format+"; test skipped", args...)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		unavailable("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
	}
	sort.Slice(found, func(i, j int) bool { return pgVersion(found[i]) < pgVersion(found[j]) })
	pg := &privatePostgres{bin: filepath.Dir(found[len(found)-1])}
	dir, err := os.MkdirTemp("", "chronicle-pg-")
	if err != nil {
		t.Fatal(err)
	}
	pg.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable("running as root without a postgres user to run PostgreSQL as (%v)", err)
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			unavailable("running as root without runuser to run PostgreSQL as the postgres user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		pg.as = "postgres"
	}
	pg.run(t, "initdb", "-D", pg.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pg.port = ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	pg.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", pg.port)
	pg.start(t)
	t.Cleanup(func() {
		_ = pg.command("pg_ctl", "stop", "-D", pg.data(), "-m", "immediate").Run()
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "postgres.log")); err == nil {
				t.Logf("log of the private PostgreSQL:\n%s", b)
			}
		}
	})
	return pg
}

func (pg *privatePostgres) data() string { return filepath.Join(pg.dir, "data") }

// start starts the cluster and waits until it accepts connections.
func (pg *privatePostgres) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=32MB", pg.port, pg.dir)
	pg.run(t, "pg_ctl", "start", "-D", pg.data(), "-l", filepath.Join(pg.dir, "postgres.log"), "-w", "-t", "60", "-o", opts)
}

// stop stops the cluster the way a crash would: immediate shutdown, no checkpoint, connections cut.
func (pg *privatePostgres) stop(t *testing.T) {
	t.Helper()
	pg.run(t, "pg_ctl", "stop", "-D", pg.data(), "-m", "immediate", "-w", "-t", "60")
}

func (pg *privatePostgres) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := pg.command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// command runs one of the cluster's binaries, as the cluster's user.
func (pg *privatePostgres) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(pg.bin, name)
	if pg.as == "" {
		return exec.Command(path, args...)
	}
	cmd := exec.Command("runuser", append([]string{"-u", pg.as, "--", path}, args...)...)
	cmd.Dir = pg.dir // a directory the postgres user may enter
	return cmd
}

// pgVersion is the major version in a path /usr/lib/postgresql/<version>/bin/initdb.
func pgVersion(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}
