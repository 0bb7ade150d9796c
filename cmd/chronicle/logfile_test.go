package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/postgres"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/logfile"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/adapters/privacy"
	rpostgres "github.com/chronicle-crm/chronicle/adapters/readstore/postgres"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// logEnv is the configuration of one installation: a fresh SQLite data directory, or a data
// directory (key, anchors) with both stores in a fresh PostgreSQL schema.
func logEnv(t *testing.T, engine string) map[string]string {
	t.Helper()
	m := map[string]string{"CHRONICLE_DATA_DIR": t.TempDir(), "CHRONICLE_ADMIN_PASSWORD": "Export-log-cedar-2026!", "CHRONICLE_BACKUP_SCHEDULE": "off"}
	if engine == "postgres" {
		m["CHRONICLE_EVENTSTORE"], m["CHRONICLE_READMODELS"], m["CHRONICLE_POSTGRES_URL"] = "postgres", "postgres", pgtest.URL(t)
	}
	return m
}

// rawStore opens an installation's event store as stored (below the personal-data decorator).
func rawStore(t *testing.T, m map[string]string) eventstore.Store {
	t.Helper()
	ctx := context.Background()
	var s eventstore.Store
	var err error
	if m["CHRONICLE_EVENTSTORE"] == "postgres" {
		s, err = postgres.Open(ctx, m["CHRONICLE_POSTGRES_URL"])
	} else {
		s, err = esqlite.Open(ctx, filepath.Join(m["CHRONICLE_DATA_DIR"], "events.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// storeLog reads the whole event log of an installation.
func storeLog(t *testing.T, m map[string]string) []eventstore.Event {
	t.Helper()
	s := rawStore(t, m)
	defer s.Close()
	return readAll(t, s)
}

// fileLog reads a log file's events.
func fileLog(t *testing.T, path string) (logfile.Header, []eventstore.Event) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []eventstore.Event
	h, err := logfile.Read(f, func(e eventstore.Event, _ *auditchain.Hash) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, events
}

// sameEvents fails unless got and want are the same events, field for field and byte for byte.
func sameEvents(t *testing.T, what string, got, want []eventstore.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.StreamID != w.StreamID || g.Version != w.Version || g.Position != w.Position || g.Type != w.Type ||
			!g.OccurredAt.Equal(w.OccurredAt) || !bytes.Equal(g.Data, w.Data) || g.Metadata != w.Metadata {
			t.Fatalf("%s: event %d differs:\n got  %+v\n want %+v", what, i, g, w)
		}
	}
}

var generationTable = regexp.MustCompile(`^(.+)_g(\d+)$`)

// readModelCounts counts the rows of every projection table of an installation's serving
// generations, by table name without the generation.
func readModelCounts(t *testing.T, m map[string]string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	var db *readmodels.DB
	var err error
	list := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if m["CHRONICLE_READMODELS"] == "postgres" {
		db, err = rpostgres.Open(ctx, m["CHRONICLE_POSTGRES_URL"])
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	} else {
		db, err = rsqlite.Open(ctx, filepath.Join(m["CHRONICLE_DATA_DIR"], "readmodels.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	active := map[string]int{}
	rows, err := db.SQL.QueryContext(ctx, `SELECT name, generation FROM projection_active`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		var g int
		if err := rows.Scan(&n, &g); err != nil {
			t.Fatal(err)
		}
		active[n] = g
	}
	rows.Close()
	gens := map[int]bool{}
	for _, g := range active {
		gens[g] = true
	}
	var tables []string
	if rows, err = db.SQL.QueryContext(ctx, list); err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]int64{}
	for _, n := range tables {
		p := generationTable.FindStringSubmatch(n)
		if p == nil {
			continue
		}
		var g int
		fmt.Sscan(p[2], &g)
		if !gens[g] {
			continue
		}
		var c int64
		if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM `+n).Scan(&c); err != nil {
			t.Fatal(err)
		}
		out[p[1]] += c
	}
	return out
}

// TestExportLogImportLog: on each engine, `export-log` runs while `loadgen seed` appends (in small
// transactions) beside it; the file is a consistent prefix of the log: it verifies, and its events
// are the source's up to its last position, byte for byte. `import-log` writes it into a fresh
// installation of the same engine at the same positions; the imported log is sealed to the file's
// chain head, and with the old installation's key and anchors `audit verify` passes on it. Once the
// load has stopped, a second export of the whole log imported into another fresh installation has
// the source's events and, after the rebuild, the source's read-model row counts, table by table.
func TestExportLogImportLog(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			pgtest.Engine(t, engine)
			ctx := context.Background()
			src := logEnv(t, engine)
			var out bytes.Buffer
			if err := run(ctx, []string{"loadgen", "seed", "-leads", "120", "-customers", "30", "-sales", "3"}, &out, env(src)); err != nil {
				t.Fatalf("seed: %v\n%s", err, out.String())
			}
			if err := run(ctx, []string{"audit", "anchor"}, &out, env(src)); err != nil {
				t.Fatal(err)
			}
			seeded := len(storeLog(t, src))

			// Load: a second seed in transactions of 3 records, stopped after the export.
			loadCtx, stopLoad := context.WithCancel(ctx)
			var wg sync.WaitGroup
			wg.Go(func() {
				_ = run(loadCtx, []string{"loadgen", "seed", "-seed", "2", "-leads", "3000", "-customers", "300", "-sales", "3", "-batch", "3"}, io.Discard, env(src))
			})
			for deadline := time.Now().Add(30 * time.Second); len(storeLog(t, src)) < seeded+30; {
				if time.Now().After(deadline) {
					t.Fatal("the load appends nothing")
				}
				time.Sleep(20 * time.Millisecond)
			}
			during := filepath.Join(t.TempDir(), "during.jsonl.gz")
			out.Reset()
			if err := run(ctx, []string{"export-log", "--to", during, "--page", "7"}, &out, env(src)); err != nil {
				t.Fatalf("export-log: %v\n%s", err, out.String())
			}
			t.Logf("export under load: %s", out.String())
			for deadline := time.Now().Add(10 * time.Second); ; {
				h, _ := fileLog(t, during)
				if uint64(len(storeLog(t, src))) > h.Events+30 || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			stopLoad()
			wg.Wait()
			source := storeLog(t, src)
			h, inFile := fileLog(t, during)
			if len(inFile) <= seeded || len(inFile) >= len(source) {
				t.Fatalf("the export under load holds %d events: the log had %d before the load and %d after it", len(inFile), seeded, len(source))
			}
			sameEvents(t, "the file against the source's log", inFile, source[:len(inFile)])
			if h.Last != inFile[len(inFile)-1].Position || h.Chain.Position == 0 {
				t.Fatalf("header %+v", h)
			}

			// Into a fresh installation: the same events at the same positions, the same chain.
			dst := logEnv(t, engine)
			sameMasterKey(src, dst)
			out.Reset()
			if err := run(ctx, []string{"import-log", "--from", during}, &out, env(dst)); err != nil {
				t.Fatalf("import-log: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "audit chain: the imported log hashes to the file's chain head") ||
				!strings.Contains(out.String(), "built every read model") {
				t.Fatalf("import-log said:\n%s", out.String())
			}
			sameEvents(t, "the imported log against the file", storeLog(t, dst), inFile)
			copyAnchors(t, src, dst)
			out.Reset()
			if err := run(ctx, []string{"audit", "verify"}, &out, env(dst)); err != nil || !strings.Contains(out.String(), "audit verify: OK") {
				t.Fatalf("audit verify on the imported log: %v\n%s", err, out.String())
			}
			t.Logf("after the import: %s", out.String())

			// The whole log once the load stopped; its read models against the source's.
			whole := filepath.Join(t.TempDir(), "whole.jsonl.gz")
			if err := run(ctx, []string{"export-log", "--to", whole}, io.Discard, env(src)); err != nil {
				t.Fatal(err)
			}
			dst2 := logEnv(t, engine)
			sameMasterKey(src, dst2)
			out.Reset()
			if err := run(ctx, []string{"import-log", "--from", whole}, &out, env(dst2)); err != nil {
				t.Fatalf("import-log: %v\n%s", err, out.String())
			}
			sameEvents(t, "the second import against the source", storeLog(t, dst2), source)
			if err := run(ctx, []string{"projections", "rebuild", "--all"}, io.Discard, env(src)); err != nil {
				t.Fatal(err)
			}
			want, got := readModelCounts(t, src), readModelCounts(t, dst2)
			if !maps.Equal(want, got) || want["leads"] == 0 || want["customers"] == 0 {
				t.Fatalf("read-model rows after the import:\n got  %v\n want %v", got, want)
			}
			t.Logf("%d events; read-model rows equal in %d tables (leads %d, customers %d)", len(source), len(want), want["leads"], want["customers"])

			// Across engines (SQLite into PostgreSQL): the same events, data as jsonb keeps it, a new chain.
			if engine != "sqlite" || os.Getenv(pgtest.EnvURL) == "" {
				return
			}
			pg := logEnv(t, "postgres")
			sameMasterKey(src, pg)
			out.Reset()
			if err := run(ctx, []string{"import-log", "--from", whole, "--no-read-models"}, &out, env(pg)); err != nil ||
				!strings.Contains(out.String(), "audit chain: recomputed over the imported log") || !strings.Contains(out.String(), "the store keeps its data as") {
				t.Fatalf("import-log of a SQLite log into PostgreSQL: %v\n%s", err, out.String())
			}
			imported := storeLog(t, pg)
			if len(imported) != len(source) || imported[len(imported)-1].Position != source[len(source)-1].Position {
				t.Fatalf("%d events imported into PostgreSQL, want %d at the same positions", len(imported), len(source))
			}
			t.Logf("SQLite into PostgreSQL: %s", out.String())
		})
	}
}

// sameMasterKey points dst's CHRONICLE_MASTER_KEY_FILE at src's master key (the master key that
// wraps the subject keys export-log writes beside the log).
func sameMasterKey(src, dst map[string]string) {
	dst["CHRONICLE_MASTER_KEY_FILE"] = filepath.Join(src["CHRONICLE_DATA_DIR"], privacy.MasterKeyFileName)
}

// copyAnchors gives the target the source's audit key and anchor files.
func copyAnchors(t *testing.T, src, dst map[string]string) {
	t.Helper()
	from, to := src["CHRONICLE_DATA_DIR"], dst["CHRONICLE_DATA_DIR"]
	key, err := os.ReadFile(filepath.Join(from, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, "audit.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(to, "anchors"), os.DirFS(filepath.Join(from, "anchors"))); err != nil {
		t.Fatal(err)
	}
}

// TestImportLogRefuses: import-log writes nothing into a store that holds events, nor from a file
// with one byte of an event's data changed, a line deleted, two lines swapped, or cut short; it
// names the first position that differs and how.
func TestImportLogRefuses(t *testing.T) {
	pgtest.Engine(t, "sqlite")
	ctx := context.Background()
	src := logEnv(t, "sqlite")
	if err := run(ctx, []string{"loadgen", "seed", "-leads", "40", "-customers", "10", "-sales", "2"}, io.Discard, env(src)); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"audit", "anchor"}, io.Discard, env(src)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "log.jsonl.gz")
	if err := run(ctx, []string{"export-log", "--to", file}, io.Discard, env(src)); err != nil {
		t.Fatal(err)
	}
	head := len(storeLog(t, src))

	// To stdout: the same file.
	var piped bytes.Buffer
	if err := run(ctx, []string{"export-log", "--to", "-", "--no-keys"}, &piped, env(src)); err != nil {
		t.Fatal(err)
	}
	if s, err := logfile.Check(&piped); err != nil || s.Events != uint64(head) {
		t.Fatalf("export-log --to -: %+v %v", s, err)
	}

	// The file against the source's signed anchors, offline.
	var out bytes.Buffer
	anchors := filepath.Join(src["CHRONICLE_DATA_DIR"], "anchors")
	if err := run(ctx, []string{"import-log", "--from", file, "--check", "--anchors", anchors}, &out, env(src)); err != nil ||
		!strings.Contains(out.String(), "anchors: OK: 1 anchors of") {
		t.Fatalf("import-log --check --anchors: %v\n%s", err, out.String())
	}

	// A store that holds events: refused, nothing added.
	err := run(ctx, []string{"import-log", "--from", file}, io.Discard, env(src))
	if err == nil || !strings.Contains(err.Error(), "is not empty: its log ends at position") {
		t.Fatalf("import into a store with events: %v", err)
	}
	if n := len(storeLog(t, src)); n != head {
		t.Fatalf("the store went from %d to %d events", head, n)
	}

	lines := gunzipLines(t, file)
	p := len(lines) / 2 // an event line, sealed: the anchor's record is the last event
	pos := func(line string) uint64 {
		var n uint64
		fmt.Sscanf(line, `{"position":%d`, &n)
		return n
	}
	at := pos(lines[p])
	changed := slices.Clone(lines)
	i := strings.Index(changed[p], `"data":`)
	i += strings.Index(changed[p][i:], `":"`) + 3 // a string value of the data
	j := i + strings.IndexAny(changed[p][i:], "abcdefghijklmnopqrstuvwxyz0123456789")
	c := byte('x')
	if changed[p][j] == 'x' {
		c = 'y'
	}
	changed[p] = changed[p][:j] + string(c) + changed[p][j+1:]
	deleted := slices.Delete(slices.Clone(lines), p, p+1)
	swapped := slices.Clone(lines)
	swapped[p], swapped[p+1] = swapped[p+1], swapped[p]
	whole, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"changed", gzipLines(t, changed), fmt.Sprintf("first at position %d: changed", at)},
		{"deleted", gzipLines(t, deleted), fmt.Sprintf("first at position %d: missing", at)},
		{"swapped", gzipLines(t, swapped), fmt.Sprintf("first at position %d: missing", at)},
		{"truncated", whole[:len(whole)*2/3], "truncated"},
		{"no trailer", gzipLines(t, lines[:len(lines)-1]), "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "log.jsonl.gz")
			if err := os.WriteFile(f, tc.file, 0o600); err != nil {
				t.Fatal(err)
			}
			dst := logEnv(t, "sqlite")
			var out bytes.Buffer
			err := run(ctx, []string{"import-log", "--from", f}, &out, env(dst))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("import of a %s file: %v, want %q\n%s", tc.name, err, tc.want, out.String())
			}
			if n := len(storeLog(t, dst)); n != 0 {
				t.Fatalf("%d events written", n)
			}
			if err := run(ctx, []string{"import-log", "--from", f, "--check", "--anchors", anchors}, io.Discard, env(src)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import-log --check of a %s file: %v", tc.name, err)
			}
			t.Logf("%v\n%s", err, out.String())
		})
	}
}

func gunzipLines(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
}

func gzipLines(t *testing.T, lines []string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for _, l := range lines {
		if !strings.HasSuffix(l, "\n") {
			l += "\n"
		}
		zw.Write([]byte(l))
	}
	zw.Close()
	return b.Bytes()
}

// BenchmarkSeedLogForMeasurement is no measurement but the tool that prepares one: it bulk-loads
// CHRONICLE_LOGFILE_SEED_EVENTS generated lead events (what the commands would append:
// projtest.Seed, one lead in five events) into the SQLite event store of the data directory
// CHRONICLE_LOGFILE_SEED_DIR, for the export-log/import-log measurements of docs/performance.md
// (cmd/chronicle/loadgen/logfile.sh). A benchmark, so that no test run meets it; it fails without
// both settings.
func BenchmarkSeedLogForMeasurement(b *testing.B) {
	dir, n := os.Getenv("CHRONICLE_LOGFILE_SEED_DIR"), 0
	fmt.Sscan(os.Getenv("CHRONICLE_LOGFILE_SEED_EVENTS"), &n)
	if dir == "" || n < 10 {
		b.Fatal("set CHRONICLE_LOGFILE_SEED_DIR and CHRONICLE_LOGFILE_SEED_EVENTS (at least 10) to seed a log for the measurements")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	projtest.Seed(inDir{b, dir}, projtest.BenchBackends()[0], n/5, n)
}

// inDir is tb whose TempDir is dir: the seeded store is made there.
type inDir struct {
	testing.TB
	dir string
}

func (d inDir) TempDir() string { return d.dir }
