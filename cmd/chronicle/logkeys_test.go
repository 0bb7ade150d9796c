package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/adapters/privacy"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// decorated opens an installation's event store through the personal-data decorator (its key
// store and master key), as the servers read it; close it with the answered func.
func decorated(t *testing.T, m map[string]string) (*privacy.Store, dp.KeyStore, func()) {
	t.Helper()
	ctx := context.Background()
	raw := rawStore(t, m)
	var keys *privacy.Keys
	var err error
	if m["CHRONICLE_EVENTSTORE"] == "postgres" {
		keys, err = privacy.OpenPostgres(ctx, m["CHRONICLE_POSTGRES_URL"])
	} else {
		keys, err = privacy.OpenSQLite(ctx, m["CHRONICLE_DATA_DIR"])
	}
	if err != nil {
		t.Fatal(err)
	}
	master, err := privacy.LoadMaster(m["CHRONICLE_MASTER_KEY_FILE"], m["CHRONICLE_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	return privacy.New(raw, keys, master, privacy.Options{}), keys, func() { raw.Close(); keys.Close() }
}

// clearLog reads an installation's whole log in clear (erased values as privacy.Erased).
func clearLog(t *testing.T, m map[string]string) []eventstore.Event {
	t.Helper()
	s, _, closeAll := decorated(t, m)
	defer closeAll()
	return readAll(t, s)
}

// leadField is a personal field of a lead.created.v1 event's data.
func leadField(t *testing.T, data []byte, name string) (id, value string) {
	t.Helper()
	var d struct {
		LeadID string            `json:"leadId"`
		Fields map[string]string `json:"fields"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return d.LeadID, d.Fields[name]
}

// eraseSecondLead destroys the key of the second lead an installation's log creates, and answers
// the events that created the first (kept) and the second (erased) lead.
func eraseSecondLead(t *testing.T, m map[string]string) (kept, erased eventstore.Event) {
	t.Helper()
	for _, e := range storeLog(t, m) {
		if e.Type != "lead.created.v1" {
			continue
		}
		if kept.Type == "" {
			kept = e
		} else {
			erased = e
			break
		}
	}
	erasedID, _ := leadField(t, erased.Data, "name")
	_, keys, closeAll := decorated(t, m)
	defer closeAll()
	if err := keys.Destroy(context.Background(), dp.KindLead, uuid.MustParse(erasedID), time.Now()); err != nil {
		t.Fatal(err)
	}
	return kept, erased
}

// TestExportLogImportLogKeys: on each engine, export-log writes the subjects' keys (wrapped) beside the log and
// import-log writes them into the target's key store: a seeded lead's name and mobile read back in
// clear there, an erased lead stays erased. A target with another master key is refused before
// anything is written; a log of ciphertext without its keys file is refused unless --without-keys,
// with which its personal values read as erased.
func TestExportLogImportLogKeys(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			pgtest.Engine(t, engine)
			ctx := context.Background()
			src := logEnv(t, engine)
			if err := run(ctx, []string{"loadgen", "seed", "-leads", "20", "-customers", "3", "-sales", "2"}, io.Discard, env(src)); err != nil {
				t.Fatal(err)
			}
			// Erase one lead (its key destroyed) before the export.
			kept, erased := eraseSecondLead(t, src)
			source := clearLog(t, src)

			dir := t.TempDir()
			file := filepath.Join(dir, "log.jsonl.gz")
			var out bytes.Buffer
			if err := run(ctx, []string{"export-log", "--to", file}, &out, env(src)); err != nil || !strings.Contains(out.String(), "subject keys: ") {
				t.Fatalf("export-log: %v\n%s", err, out.String())
			}
			if _, err := os.Stat(file + privacy.KeysFileSuffix); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if err := run(ctx, []string{"import-log", "--from", file, "--check"}, &out, env(src)); err != nil ||
				!strings.Contains(out.String(), "subject keys: "+file+privacy.KeysFileSuffix+" holds ") || !strings.Contains(out.String(), "and 1 erased subjects") {
				t.Fatalf("import-log --check: %v\n%s", err, out.String())
			}
			if err := run(ctx, []string{"export-log", "--to", "-"}, io.Discard, env(src)); err == nil || !strings.Contains(err.Error(), "--keys-to") {
				t.Fatalf("export-log --to - without --keys-to: %v", err)
			}

			// Into a fresh installation with the source's master key.
			dst := logEnv(t, engine)
			sameMasterKey(src, dst)
			out.Reset()
			if err := run(ctx, []string{"import-log", "--from", file, "--no-read-models"}, &out, env(dst)); err != nil || !strings.Contains(out.String(), "subject keys: imported") {
				t.Fatalf("import-log: %v\n%s", err, out.String())
			}
			t.Logf("import-log: %s", out.String())
			imported := clearLog(t, dst)
			sameEvents(t, "the imported log in clear against the source's", imported, source)
			seen := 0
			for _, name := range dp.Fields(dp.KindLead) {
				_, v := leadField(t, imported[kept.Position-1].Data, name)
				if v == dp.Erased || strings.HasPrefix(v, privacy.Prefix) || (name == "name" && v == "") {
					t.Fatalf("the kept lead's %s reads %q after the import", name, v)
				}
				if v != "" {
					seen++
				}
			}
			if seen < 2 {
				t.Fatalf("the kept lead has %d personal values: %s", seen, imported[kept.Position-1].Data)
			}
			if _, v := leadField(t, imported[erased.Position-1].Data, "name"); v != dp.Erased {
				t.Fatalf("the erased lead's name reads %q after the import", v)
			}

			// Another master key: refused, nothing written.
			other := logEnv(t, engine)
			err := run(ctx, []string{"import-log", "--from", file, "--no-read-models"}, io.Discard, env(other))
			if err == nil || !strings.Contains(err.Error(), "CHRONICLE_MASTER_KEY_FILE") || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("import-log with another master key: %v", err)
			}
			if n := len(storeLog(t, other)); n != 0 {
				t.Fatalf("%d events written with another master key", n)
			}
			_, otherKeys, closeOther := decorated(t, other)
			n := 0
			otherKeys.Each(ctx, func(dp.KeyRecord) error { n++; return nil })
			closeOther()
			if n != 0 {
				t.Fatalf("%d keys written with another master key", n)
			}

			// The log alone (no keys file beside it): refused, unless --without-keys.
			alone := filepath.Join(t.TempDir(), "log.jsonl.gz")
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(alone, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := run(ctx, []string{"import-log", "--from", alone, "--no-read-models"}, io.Discard, env(other)); err == nil ||
				!strings.Contains(err.Error(), "--without-keys") || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("import-log of ciphertext without keys: %v", err)
			}
			if n := len(storeLog(t, other)); n != 0 {
				t.Fatalf("%d events written without keys", n)
			}
			out.Reset()
			if err := run(ctx, []string{"import-log", "--from", alone, "--without-keys", "--no-read-models"}, &out, env(other)); err != nil ||
				!strings.Contains(out.String(), "read as erased") {
				t.Fatalf("import-log --without-keys: %v\n%s", err, out.String())
			}
			if _, v := leadField(t, clearLog(t, other)[kept.Position-1].Data, "name"); v != dp.Erased {
				t.Fatalf("without keys, the kept lead's name reads %q", v)
			}
		})
	}
}
