package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the tampering
)

// TestAuditCommands: on a log of real events (loadgen seed through the commands), `audit anchor`
// seals and anchors it, `audit verify` proves it unaltered; after one event's data is changed
// with SQL, verify fails (exit status 1) naming that position, and `--from` past it verifies the
// rest against the anchor. `audit key` prints the key the anchors were signed with.
func TestAuditCommands(t *testing.T) {
	engines := map[string]func(t *testing.T) (map[string]string, func() *sql.DB){
		"sqlite": func(t *testing.T) (map[string]string, func() *sql.DB) {
			dir := t.TempDir()
			return map[string]string{"CHRONICLE_DATA_DIR": dir}, func() *sql.DB {
				db, err := sql.Open("sqlite", esqlite.DSN(filepath.Join(dir, "events.db")))
				if err != nil {
					t.Fatal(err)
				}
				return db
			}
		},
		"postgres": func(t *testing.T) (map[string]string, func() *sql.DB) {
			u := pgtest.URL(t)
			return map[string]string{"CHRONICLE_DATA_DIR": t.TempDir(), "CHRONICLE_EVENTSTORE": "postgres", "CHRONICLE_READMODELS": "postgres",
					"CHRONICLE_POSTGRES_URL": u}, func() *sql.DB {
					db, err := sql.Open("pgx", u)
					if err != nil {
						t.Fatal(err)
					}
					return db
				}
		},
	}
	for name, vars := range engines {
		t.Run(name, func(t *testing.T) {
			pgtest.Engine(t, name)
			ctx := context.Background()
			m, events := vars(t)
			e := env(m)
			var out bytes.Buffer
			if err := run(ctx, []string{"loadgen", "seed", "-leads", "200", "-customers", "40", "-sales", "3"}, &out, e); err != nil {
				t.Fatalf("seed: %v\n%s", err, out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"audit", "anchor"}, &out, e); err != nil || !strings.Contains(out.String(), "anchored: the log up to position ") {
				t.Fatalf("anchor: %q %v", out.String(), err)
			}
			var head uint64
			if _, err := fmt.Sscanf(strings.TrimPrefix(out.String(), "anchored: the log up to position "), "%d", &head); err != nil || head < 250 {
				t.Fatalf("anchored head %d (%v) in %q", head, err, out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"audit", "verify"}, &out, e); err != nil ||
				!strings.HasPrefix(out.String(), "audit verify: OK: ") || !strings.Contains(out.String(), "1 anchors checked") {
				t.Fatalf("verify of the untouched log: %q %v", out.String(), err)
			}
			out.Reset()
			if err := run(ctx, []string{"audit", "key"}, &out, e); err != nil || !strings.Contains(out.String(), "fingerprint SHA256:") {
				t.Fatalf("key: %q %v", out.String(), err)
			}
			fp := strings.TrimSpace(out.String()[strings.Index(out.String(), "SHA256:"):])
			anchor, err := os.ReadFile(filepath.Join(m["CHRONICLE_DATA_DIR"], "anchors", fmt.Sprintf("anchor-%020d.json", head)))
			if err != nil || !strings.Contains(string(anchor), fp) {
				t.Fatalf("the anchor file does not name the key %s: %v\n%s", fp, err, anchor)
			}

			// Change one event's data behind Chronicle's back.
			p := head / 2
			db := events()
			defer db.Close()
			stmt := `UPDATE events SET data = json_set(data, '$.tampered', 1) WHERE position = ?`
			if name == "postgres" {
				stmt = `UPDATE events SET data = data || '{"tampered": 1}'::jsonb WHERE position = $1`
			}
			if res, err := db.ExecContext(ctx, stmt, p); err != nil {
				t.Fatal(err)
			} else if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("no event at position %d", p)
			}
			out.Reset()
			err = run(ctx, []string{"audit", "verify"}, &out, e)
			want := fmt.Sprintf("first at position %d: changed", p)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("verify of the altered log: err %v, want %q; output %q", err, want, out.String())
			}
			if !strings.Contains(out.String(), fmt.Sprintf("  changed at position %d: ", p)) || !strings.Contains(out.String(), "anchor-mismatch at position") {
				t.Fatalf("verify output %q", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"audit", "verify", "--from", fmt.Sprint(p + 1)}, &out, e); err != nil || !strings.Contains(out.String(), "audit verify: OK: ") {
				t.Fatalf("verify --from %d: %q %v", p+1, out.String(), err)
			}
		})
	}
}
