package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/backup"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// TestRestoreDrill: a server on SQLite takes creates of leads and customers from several clients
// while `chronicle backup` runs beside it; the backup is restored into a fresh directory
// (`chronicle restore`) and a server started on it. The restored log is the source's up to the
// manifest's head, event for event, and what the restored server shows through the API (every
// lead, list and detail; the customers) is what the source showed of the records created up to
// that head; every create acknowledged before the backup started is there. A backup with one byte
// changed is refused by restore.
func TestRestoreDrill(t *testing.T) {
	pgtest.Engine(t, "sqlite")
	const password = "Restore-drill-cedar-2026"
	root := t.TempDir()
	source, restored := filepath.Join(root, "data"), filepath.Join(root, "restored")
	common := []string{"CHRONICLE_ADMIN_PASSWORD=" + password, "CHRONICLE_LOG_LEVEL=warn", "CHRONICLE_BACKUP_SCHEDULE=off"}
	srcEnv := serverEnv(append([]string{"CHRONICLE_DATA_DIR=" + source}, common...)...)

	srv := startServer(t, srcEnv)
	c := newAPIClient(srv.base)
	c.signIn(t, password)
	leads := startLeadLoad(c, 4, "备份")
	customers := startCustomerLoad(c, 2)
	for deadline := time.Now().Add(60 * time.Second); leads.count() < 50 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	leads.mu.Lock()
	ackedBefore := append([]string(nil), leads.acked...)
	leads.mu.Unlock()

	// The backup, while the clients go on writing.
	started := time.Now()
	cmd := exec.Command(chronicleBinary(t), "backup", "--to", filepath.Join(root, "backups"))
	cmd.Env = srcEnv
	out, err := cmd.CombinedOutput()
	took := time.Since(started)
	if err != nil {
		t.Fatalf("chronicle backup: %v\n%s", err, out)
	}
	during := leads.ackedSince(started) + customers.ackedSince(started)
	time.Sleep(time.Second) // and after it
	leads.end()
	customers.end()
	t.Logf("backup in %v while %d creates were acknowledged; load: leads %s; customers %s", took, during, leads.summary(), customers.summary())
	m := regexp.MustCompile(`backup written to (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("chronicle backup said %s", out)
	}
	backupDir := string(m[1])
	manifest, err := backup.ReadManifest(backupDir)
	if err != nil {
		t.Fatal(err)
	}

	// What the source shows, once its projections have the whole log.
	c.waitProjected(t, 60*time.Second)
	srcList, srcDetail := c.leads(t)
	srcCustomers := c.customers(t)
	srv.stop()

	// Restore into a fresh directory; a changed byte is refused.
	restore := func(from, to string) ([]byte, error) {
		cmd := exec.Command(chronicleBinary(t), "restore", "--from", from, "--data-dir", to)
		cmd.Env = serverEnv(common...)
		return cmd.CombinedOutput()
	}
	if out, err := restore(backupDir, restored); err != nil {
		t.Fatalf("chronicle restore: %v\n%s", err, out)
	}
	if out, err := restore(backupDir, restored); err == nil || !strings.Contains(string(out), "is not empty") {
		t.Fatalf("a restore into a non-empty directory: %v\n%s", err, out)
	}
	tampered := filepath.Join(root, "tampered")
	if err := os.CopyFS(tampered, os.DirFS(backupDir)); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(tampered, backup.ReadModelsFile)
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0x20
	if err := os.WriteFile(f, b, 0o640); err != nil {
		t.Fatal(err)
	}
	if out, err := restore(tampered, filepath.Join(root, "from-tampered")); err == nil || !strings.Contains(string(out), "readmodels.db does not match its manifest") {
		t.Fatalf("a restore of a changed backup: %v\n%s", err, out)
	}

	// A server on the restored directory.
	srv = startServer(t, serverEnv(append([]string{"CHRONICLE_DATA_DIR=" + restored}, common...)...))
	rc := newAPIClient(srv.base)
	rc.signIn(t, password)
	rc.waitProjected(t, 60*time.Second)
	gotList, gotDetail := rc.leads(t)
	gotCustomers := rc.customers(t)
	srv.stop()

	// The restored log is the source's up to the manifest's head (the restored server appended
	// its own events, sign-ins, after it).
	src, dst := readLog(t, source), readLog(t, restored)
	var upToHead []eventstore.Event
	for _, e := range dst {
		if e.Position <= manifest.Head {
			upToHead = append(upToHead, e)
		}
	}
	if len(upToHead) == 0 || upToHead[len(upToHead)-1].Position != manifest.Head || int64(len(upToHead)) != manifest.Events {
		t.Fatalf("the restored log has %d events up to the manifest's head %d (manifest: %d events)", len(upToHead), manifest.Head, manifest.Events)
	}
	if len(src) <= len(upToHead) {
		t.Fatalf("nothing was written after the backup's snapshot: source %d events, backup %d", len(src), len(upToHead))
	}
	if !reflect.DeepEqual(upToHead, src[:len(upToHead)]) {
		for i := range upToHead {
			if !reflect.DeepEqual(upToHead[i], src[i]) {
				t.Fatalf("event %d differs:\nrestored %+v\nsource   %+v", i, upToHead[i], src[i])
			}
		}
	}

	// The records as of the head: the leads and customers created up to it, as the source shows them.
	wantLeads, wantCustomers := map[string]bool{}, map[string]bool{}
	for _, e := range upToHead {
		switch e.Type {
		case "lead.created.v1":
			wantLeads[strings.TrimPrefix(e.StreamID, "lead-")] = true
		case "customer.created.v1":
			wantCustomers[strings.TrimPrefix(e.StreamID, "customer-")] = true
		}
	}
	for _, id := range ackedBefore {
		if !wantLeads[id] {
			t.Fatalf("lead %s, acknowledged before the backup started, is not in it", id)
		}
	}
	if len(gotList) != len(wantLeads) || len(gotCustomers) != len(wantCustomers) {
		t.Fatalf("the restored server shows %d leads and %d customers; the log up to the head created %d and %d",
			len(gotList), len(gotCustomers), len(wantLeads), len(wantCustomers))
	}
	asOfHead := func(all map[string]map[string]any) map[string]map[string]any {
		out := map[string]map[string]any{}
		for id := range wantLeads {
			out[id] = all[id]
		}
		return out
	}
	compareLeads(t, "list", asOfHead(srcList), gotList)
	compareLeads(t, "detail", asOfHead(srcDetail), gotDetail)
	for id, v := range gotCustomers {
		if !wantCustomers[id] || !reflect.DeepEqual(v, srcCustomers[id]) {
			t.Fatalf("customer %s on the restored server:\n%v\nsource:\n%v", id, v, srcCustomers[id])
		}
	}
	t.Logf("head %d: %d leads and %d customers restored (the source went on to %d leads, %d customers, %d events)",
		manifest.Head, len(gotList), len(gotCustomers), len(srcList), len(srcCustomers), len(src))
}

// readLog reads the whole event log of a data directory (no server running on it).
func readLog(t *testing.T, dir string) []eventstore.Event {
	t.Helper()
	s, err := esqlite.Open(context.Background(), filepath.Join(dir, backup.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return readAll(t, s)
}

// readAll reads the whole log of a store.
func readAll(t *testing.T, s eventstore.Store) []eventstore.Event {
	t.Helper()
	var all []eventstore.Event
	for {
		var after uint64
		if len(all) > 0 {
			after = all[len(all)-1].Position
		}
		page, err := s.ReadAll(context.Background(), after, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

// customers reads every customer of the list, page by page.
func (c *apiClient) customers(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	cursor := ""
	for {
		page := c.get(t, "/api/v1/customers?limit=500&cursor="+url.QueryEscape(cursor))
		items, _ := page["items"].([]any)
		for _, it := range items {
			m := it.(map[string]any)
			out[m["id"].(string)] = m
		}
		cursor, _ = page["nextCursor"].(string)
		if cursor == "" || len(items) == 0 {
			return out
		}
	}
}

// customerLoad creates customers from several goroutines until stopped.
type customerLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	ackedAt  []time.Time
	statuses map[int]int
}

func startCustomerLoad(c *apiClient, workers int) *customerLoad {
	l := &customerLoad{stop: make(chan struct{}), statuses: map[int]int{}}
	for w := range workers {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				status, _, err := c.do(http.MethodPost, "/api/v1/customers", map[string]any{"name": fmt.Sprintf("备份演练%d号%d商贸", w, i)})
				l.mu.Lock()
				if err == nil && status/100 == 2 {
					l.ackedAt = append(l.ackedAt, time.Now())
				}
				l.statuses[status]++
				l.mu.Unlock()
				if err != nil || status/100 != 2 {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	return l
}

func (l *customerLoad) end() { close(l.stop); l.wg.Wait() }

func (l *customerLoad) ackedSince(t time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, at := range l.ackedAt {
		if at.After(t) {
			n++
		}
	}
	return n
}

func (l *customerLoad) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d acknowledged, statuses %v", len(l.ackedAt), l.statuses)
}

// TestBackupCommandRefusesPostgres: with the stores on PostgreSQL, backup and restore refuse and
// say what to use instead.
func TestBackupCommandRefusesPostgres(t *testing.T) {
	e := env(map[string]string{"CHRONICLE_DATA_DIR": t.TempDir(), "CHRONICLE_EVENTSTORE": "postgres", "CHRONICLE_READMODELS": "postgres",
		"CHRONICLE_POSTGRES_URL": "postgres://nobody@127.0.0.1:1/none"})
	for _, args := range [][]string{{"backup"}, {"restore", "--from", t.TempDir()}} {
		err := run(context.Background(), args, &bytes.Buffer{}, e)
		if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "CHRONICLE_EVENTSTORE=postgres") {
			t.Fatalf("%v with PostgreSQL stores: %v", args, err)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"backup"}, &out, env(map[string]string{"CHRONICLE_DATA_DIR": filepath.Join(t.TempDir(), "none")})); err == nil || !strings.Contains(err.Error(), "no Chronicle data") {
		t.Fatalf("backup of a directory without data: %v", err)
	}
}
