package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
)

// `audit verify-export FILE` checks an export offline, with the configured audit key or
// --public-key: OK for the file as signed; exit 1 (an error) for a changed byte, an edited
// manifest or another key.
func TestVerifyExportCommand(t *testing.T) {
	dir := t.TempDir()
	key, err := audit.LoadKey("", dir, true)
	if err != nil {
		t.Fatal(err)
	}
	data := `{"position":1,"type":"lead.created.v1"}` + "\n"
	signed := func(k ed25519.PrivateKey, rows uint64) string {
		m := auditchain.SignManifest(k, auditchain.Manifest{DataFile: "export.jsonl", Format: "jsonl", SHA256: sha256.Sum256([]byte(data)),
			Rows: rows}, time.Now())
		b, _ := json.Marshal(map[string]any{"manifest": m})
		return data + string(b) + "\n"
	}
	write := func(name, s string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	e := env(map[string]string{"CHRONICLE_DATA_DIR": dir})
	var out bytes.Buffer
	good := write("good.jsonl", signed(key, 1))
	if err := run(context.Background(), []string{"audit", "verify-export", good}, &out, e); err != nil || !strings.HasPrefix(out.String(), "audit verify-export: OK: ") {
		t.Fatalf("%v: %s", err, out.String())
	}
	// --public-key after the file, as `audit key` prints it.
	pubFile := write("audit.pub", base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)))
	out.Reset()
	if err := run(context.Background(), []string{"audit", "verify-export", good, "--public-key", pubFile}, &out, env(nil)); err != nil {
		t.Fatalf("--public-key: %v: %s", err, out.String())
	}
	_, otherKey, _ := ed25519.GenerateKey(nil)
	for name, file := range map[string]string{
		"changed byte":    strings.Replace(signed(key, 1), `"position":1`, `"position":2`, 1),
		"edited manifest": strings.Replace(signed(key, 1), `"rows":1`, `"rows":2`, 1),
		"another key":     signed(otherKey, 1),
	} {
		out.Reset()
		err := run(context.Background(), []string{"audit", "verify-export", write("x.jsonl", file)}, &out, e)
		if err == nil || !strings.Contains(out.String(), "audit verify-export: FAILED") {
			t.Errorf("%s: %v: %s", name, err, out.String())
		}
	}
	// No key configured and none given: an error, and no key is made.
	empty := t.TempDir()
	if err := run(context.Background(), []string{"audit", "verify-export", good}, &out, env(map[string]string{"CHRONICLE_DATA_DIR": empty})); err == nil {
		t.Error("verified without a key")
	}
	if _, err := os.Stat(filepath.Join(empty, audit.KeyFileName)); err == nil {
		t.Error("verify-export made a key")
	}
}
