package audit_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jsonlExport is an export file as the server writes it: data lines, then the manifest line.
func jsonlExport(t *testing.T, key ed25519.PrivateKey, data string, rows uint64) []byte {
	t.Helper()
	m := auditchain.SignManifest(key, auditchain.Manifest{DataFile: "export.jsonl", Format: "jsonl", SHA256: sha256.Sum256([]byte(data)),
		Rows: rows, Filter: auditchain.ExportFilter{Type: "lead."}, Positions: auditchain.ExportRange{First: 3, Last: 9, LogHead: 12},
		Chain: auditchain.ChainHead{Position: 10, Events: 10}, ExportedBy: "u1"}, time.Now())
	line, err := json.Marshal(map[string]any{"manifest": m})
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(data), append(line, '\n')...)
}

// zipExport is a csv export: export.csv and manifest.json (m as given, or signed for data).
func zipExport(t *testing.T, csvData string, m auditchain.Manifest) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	f, _ := zw.Create("export.csv")
	_, _ = f.Write([]byte(csvData))
	f, _ = zw.Create("manifest.json")
	mb, _ := json.MarshalIndent(m, "", "  ")
	_, _ = f.Write(mb)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func check(t *testing.T, file []byte, pub ed25519.PublicKey) audit.ExportCheck {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := audit.VerifyExport(path, pub)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An export verifies against its manifest; one byte of the data changed, the manifest edited, or
// a manifest signed by another key does not.
func TestVerifyExport(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	data := `{"position":3,"type":"lead.created.v1"}` + "\n" + `{"position":9,"type":"lead.updated.v1"}` + "\n"
	file := jsonlExport(t, key, data, 2)
	if c := check(t, file, pub); !c.OK() || c.Rows != 2 {
		t.Fatalf("the export does not verify: %+v", c)
	}
	// An empty export verifies too.
	if c := check(t, jsonlExport(t, key, "", 0), pub); !c.OK() || c.Rows != 0 {
		t.Fatalf("the empty export does not verify: %+v", c)
	}
	// One byte of the data changed.
	bad := bytes.Replace(file, []byte(`"position":9`), []byte(`"position":8`), 1)
	if c := check(t, bad, pub); c.OK() || !strings.Contains(c.Problems[0], "SHA-256") {
		t.Errorf("a changed byte verifies: %+v", c.Problems)
	}
	// A line removed: hash and rows differ.
	short := jsonlExport(t, key, data, 2)
	short = short[strings.Index(string(short), "\n")+1:]
	if c := check(t, short, pub); c.OK() || len(c.Problems) < 2 {
		t.Errorf("a removed line verifies: %+v", c.Problems)
	}
	// The manifest edited (the rows changed to match a removed line): the signature fails.
	lines := strings.SplitAfter(string(file), "\n")
	var last struct {
		Manifest auditchain.Manifest `json:"manifest"`
	}
	if err := json.Unmarshal([]byte(lines[2]), &last); err != nil {
		t.Fatal(err)
	}
	m := last.Manifest
	m.Filter.Type = "customer."
	edited, _ := json.Marshal(map[string]any{"manifest": m})
	if c := check(t, []byte(lines[0]+lines[1]+string(edited)+"\n"), pub); c.OK() || !strings.Contains(strings.Join(c.Problems, ";"), "signature") {
		t.Errorf("an edited manifest verifies: %+v", c.Problems)
	}
	// Signed by another key, whole and consistent: the audit key refuses it.
	other := jsonlExport(t, newKey(t), data, 2)
	if c := check(t, other, pub); c.OK() || !strings.Contains(strings.Join(c.Problems, ";"), "signed with key") {
		t.Errorf("another key's export verifies: %+v", c.Problems)
	}
	// A file without a manifest line is no export.
	path := filepath.Join(t.TempDir(), "x.jsonl")
	_ = os.WriteFile(path, []byte(data), 0o600)
	if _, err := audit.VerifyExport(path, pub); err == nil {
		t.Error("a file without a manifest reads as an export")
	}

	// The zip of a csv export.
	csvData := "\ufeffposition,type\r\n3,lead.created.v1\r\n9,\"lead.updated.v1\"\r\n"
	zm := auditchain.SignManifest(key, auditchain.Manifest{DataFile: "export.csv", Format: "csv", SHA256: sha256.Sum256([]byte(csvData)), Rows: 2}, time.Now())
	if c := check(t, zipExport(t, csvData, zm), pub); !c.OK() || c.Rows != 2 {
		t.Fatalf("the zip export does not verify: %+v", c)
	}
	if c := check(t, zipExport(t, strings.Replace(csvData, "9", "8", 1), zm), pub); c.OK() {
		t.Error("a changed csv verifies")
	}
	zm2 := zm
	zm2.Rows = 3
	if c := check(t, zipExport(t, csvData+"10,lead.deleted.v1\r\n", zm2), pub); c.OK() || !strings.Contains(strings.Join(c.Problems, ";"), "signature") {
		t.Errorf("an edited zip manifest verifies: %+v", c.Problems)
	}
}
