package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/logfile"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/adapters/privacy"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// legacyInstallation is an installation whose log holds personal values in clear, as written
// before they were encrypted: the events of a seeded installation, read in clear, written straight
// into the raw store of a new one. It answers the new installation's configuration.
func legacyInstallation(t *testing.T, engine string) map[string]string {
	t.Helper()
	ctx := context.Background()
	seeded := logEnv(t, engine)
	if err := run(ctx, []string{"loadgen", "seed", "-leads", "15", "-customers", "3", "-sales", "2"}, io.Discard, env(seeded)); err != nil {
		t.Fatal(err)
	}
	events := clearLog(t, seeded)
	src := logEnv(t, engine)
	raw := rawStore(t, src)
	defer raw.Close()
	if engine == "sqlite" { // the data directory as a server leaves it
		db, err := rsqlite.Open(ctx, filepath.Join(src["CHRONICLE_DATA_DIR"], "readmodels.db"))
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	w, err := logfile.NewWriter(ctx, raw, logfile.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := w.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestMigrateEncryptPersonalData: on each engine, a log of clear personal values is copied into an
// empty target whose raw log holds only ciphertext and reads, through its decorator, as the
// source does (an erased lead stays erased); the target's chain verifies, the mapping names every
// event, and a target that is not empty is refused.
func TestMigrateEncryptPersonalData(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			pgtest.Engine(t, engine)
			ctx := context.Background()
			src := legacyInstallation(t, engine)
			reg := dp.Default()
			for _, e := range storeLog(t, src) {
				if e.Type == "lead.created.v1" && len(privacy.ClearValues(reg, e.Type, e.Data)) == 0 {
					t.Fatalf("the legacy log holds no clear value at %d: %s", e.Position, e.Data)
				}
			}
			kept, erased := eraseSecondLead(t, src)
			source := clearLog(t, src)
			if _, v := leadField(t, source[erased.Position-1].Data, "name"); v != dp.Erased {
				t.Fatalf("the erased lead reads %q in the source", v)
			}

			dst := map[string]string{"CHRONICLE_DATA_DIR": t.TempDir()}
			args := []string{"migrate", "encrypt-personal-data", "--to-data-dir", dst["CHRONICLE_DATA_DIR"], "--page", "7", "--batch", "10"}
			if engine == "postgres" {
				dst["CHRONICLE_EVENTSTORE"], dst["CHRONICLE_READMODELS"], dst["CHRONICLE_POSTGRES_URL"] = "postgres", "postgres", pgtest.URL(t)
				args = append(args, "--to-postgres-url", dst["CHRONICLE_POSTGRES_URL"])
			}
			var out bytes.Buffer
			if err := run(ctx, args, &out, env(src)); err != nil {
				t.Fatalf("migrate: %v\n%s", err, out.String())
			}
			t.Logf("migrate:\n%s", out.String())
			for _, want := range []string{"verify: OK", "built every read model", "mapping: "} {
				if !strings.Contains(out.String(), want) {
					t.Fatalf("migrate said no %q:\n%s", want, out.String())
				}
			}

			target, raw := clearLog(t, dst), storeLog(t, dst)
			if len(target) != len(source)+1 || len(raw) != len(source)+1 {
				t.Fatalf("%d events in the target, the source has %d (and the migration's record)", len(target), len(source))
			}
			for i, s := range source {
				g := target[i]
				if g.ID != s.ID || g.StreamID != s.StreamID || g.Version != s.Version || g.Type != s.Type || !g.OccurredAt.Equal(s.OccurredAt) ||
					g.Metadata != s.Metadata || !sameJSON(g.Data, s.Data) {
					t.Fatalf("event %d differs:\n got  %+v\n want %+v", i, g, s)
				}
				if v := privacy.ClearValues(reg, raw[i].Type, raw[i].Data); len(v) > 0 {
					t.Fatalf("the target stores %q in clear at %d", v, raw[i].Position)
				}
			}
			if !privacy.HoldsCiphertext(raw[kept.Position-1].Data) {
				t.Fatalf("the kept lead is not encrypted in the target: %s", raw[kept.Position-1].Data)
			}
			if _, v := leadField(t, target[kept.Position-1].Data, "name"); v == "" || v == dp.Erased {
				t.Fatalf("the kept lead's name reads %q in the target", v)
			}
			if _, v := leadField(t, target[erased.Position-1].Data, "name"); v != dp.Erased {
				t.Fatalf("the erased lead's name reads %q in the target", v)
			}
			_, v := leadField(t, raw[erased.Position-1].Data, "name")
			if v != dp.Erased {
				t.Fatalf("the erased lead's name is stored as %q in the target", v)
			}
			files, _ := filepath.Glob(filepath.Join(dst["CHRONICLE_DATA_DIR"], "migration-*.jsonl.gz"))
			if len(files) != 1 {
				t.Fatalf("mapping files: %v", files)
			}
			lines := gunzipLines(t, files[0])
			if len(lines) != len(source)+1 || !strings.Contains(lines[0], `"sourceChain":{"position":`) {
				t.Fatalf("the mapping has %d lines for %d events: %s", len(lines), len(source), lines[0])
			}
			for i, l := range lines[1:] {
				if want := fmt.Sprintf(`{"s":%d,"t":%d}`, source[i].Position, target[i].Position); strings.TrimSpace(l) != want {
					t.Fatalf("mapping line %d: %s, want %s", i+1, l, want)
				}
			}
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			var rec auditchain.Migrated
			last := target[len(target)-1]
			if err := json.Unmarshal(last.Data, &rec); err != nil || last.Type != rec.EventType() || last.StreamID != auditchain.MigrationStream ||
				rec.MappingSHA256 != hex.EncodeToString(sum[:]) || rec.SourcePosition != source[len(source)-1].Position || rec.Events != uint64(len(source)) {
				t.Fatalf("the migration's record: %s %s (%v)", last.Type, last.Data, err)
			}
			if !strings.Contains(out.String(), fmt.Sprintf("recorded the migration in the target's log (audit.migrated.v1 at position %d)", last.Position)) {
				t.Fatalf("the migration's record is not sealed:\n%s", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"audit", "verify"}, &out, env(dst)); err != nil || !strings.Contains(out.String(), "audit verify: OK") {
				t.Fatalf("audit verify on the target: %v\n%s", err, out.String())
			}

			// Again into the same target: refused.
			out.Reset()
			if err := run(ctx, args, &out, env(src)); err == nil || !strings.Contains(err.Error(), "not empty") {
				t.Fatalf("migrate into a non-empty target: %v\n%s", err, out.String())
			}
			if n := len(storeLog(t, dst)); n != len(source)+1 {
				t.Fatalf("the refused migration changed the target: %d events", n)
			}
		})
	}
}
