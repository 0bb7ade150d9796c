package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

// TestRotateMasterKey: on a PostgreSQL data set (the keys in privacy_keys) and a SQLite one
// (keys.db), `privacy rotate-master-key` rewraps every subject key; with CHRONICLE_MASTER_KEY_FILE
// pointing at the new key the commands still open the stores, with the old one they stop, saying
// why; an unusable new key file is refused before anything changes.
func TestRotateMasterKey(t *testing.T) {
	engines := map[string]func(t *testing.T) map[string]string{
		"sqlite": func(t *testing.T) map[string]string { return map[string]string{"CHRONICLE_DATA_DIR": t.TempDir()} },
		"postgres": func(t *testing.T) map[string]string {
			return map[string]string{"CHRONICLE_DATA_DIR": t.TempDir(), "CHRONICLE_EVENTSTORE": "postgres", "CHRONICLE_READMODELS": "postgres",
				"CHRONICLE_POSTGRES_URL": pgtest.URL(t)}
		},
	}
	for name, vars := range engines {
		t.Run(name, func(t *testing.T) {
			pgtest.Engine(t, name)
			ctx := context.Background()
			keyDir := t.TempDir()
			write := func(name, hexDigit string) string {
				p := filepath.Join(keyDir, name)
				if err := os.WriteFile(p, []byte(strings.Repeat(hexDigit, 64)+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			m := vars(t)
			m["CHRONICLE_MASTER_KEY_FILE"] = write("old.key", "a")
			var out bytes.Buffer
			if err := run(ctx, []string{"loadgen", "seed", "-leads", "30", "-customers", "5", "-sales", "2"}, &out, env(m)); err != nil {
				t.Fatalf("seed: %v\n%s", err, out.String())
			}
			bad := filepath.Join(keyDir, "bad.key")
			if err := os.WriteFile(bad, []byte("short"), 0o600); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if err := run(ctx, []string{"privacy", "rotate-master-key", "--new-key-file", bad}, &out, env(m)); err == nil || !strings.Contains(err.Error(), "new master key") {
				t.Fatalf("a bad new key: %v", err)
			}
			next := write("next.key", "b")
			out.Reset()
			if err := run(ctx, []string{"privacy", "rotate-master-key", "--new-key-file", next}, &out, env(m)); err != nil ||
				!strings.Contains(out.String(), "rewrapped ") || !strings.Contains(out.String(), "set CHRONICLE_MASTER_KEY_FILE="+next) {
				t.Fatalf("rotate: %v\n%s", err, out.String())
			}
			if strings.Contains(out.String(), "rewrapped 0 ") {
				t.Fatalf("no key rewrapped: %s", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"projections", "status"}, &out, env(m)); err == nil || !strings.Contains(err.Error(), "master key") {
				t.Fatalf("the old key after the rotation: %v", err)
			}
			m["CHRONICLE_MASTER_KEY_FILE"] = next
			out.Reset()
			if err := run(ctx, []string{"projections", "status"}, &out, env(m)); err != nil {
				t.Fatalf("the new key: %v\n%s", err, out.String())
			}
		})
	}
}
