package auditchain_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/domain/auditchain"
)

// Every field of a manifest but the key and the signature is signed: changing any one makes the
// signature fail; another key's signature fails with the audit key.
func TestManifestSignature(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pub := key.Public().(ed25519.PublicKey)
	m := auditchain.SignManifest(key, auditchain.Manifest{DataFile: "export.jsonl", Format: "jsonl", SHA256: auditchain.Sum([]byte("x")),
		Rows: 2, Filter: auditchain.ExportFilter{From: "a", To: "b", Actor: "c", Type: "d", Stream: "e"},
		Positions: auditchain.ExportRange{First: 1, Last: 2, LogHead: 3}, Chain: auditchain.ChainHead{Position: 2, Events: 2},
		ExportedBy: "u", Masked: true}, time.Now())
	if err := m.Verify(pub); err != nil {
		t.Fatal(err)
	}
	edits := map[string]func(m *auditchain.Manifest){
		"dataFile": func(m *auditchain.Manifest) { m.DataFile = "export.csv" },
		"format":   func(m *auditchain.Manifest) { m.Format = "csv" },
		"sha256":   func(m *auditchain.Manifest) { m.SHA256[0] ^= 1 },
		"rows":     func(m *auditchain.Manifest) { m.Rows++ },
		"from":     func(m *auditchain.Manifest) { m.Filter.From = "" },
		"to":       func(m *auditchain.Manifest) { m.Filter.To = "" },
		"actor":    func(m *auditchain.Manifest) { m.Filter.Actor = "" },
		"type":     func(m *auditchain.Manifest) { m.Filter.Type = "" },
		"stream":   func(m *auditchain.Manifest) { m.Filter.Stream = "" },
		// A value moved between neighbouring fields still changes the message (length prefixes).
		"shift":    func(m *auditchain.Manifest) { m.Filter.From, m.Filter.To = "ab", "" },
		"first":    func(m *auditchain.Manifest) { m.Positions.First++ },
		"last":     func(m *auditchain.Manifest) { m.Positions.Last++ },
		"logHead":  func(m *auditchain.Manifest) { m.Positions.LogHead++ },
		"chainPos": func(m *auditchain.Manifest) { m.Chain.Position++ },
		"events":   func(m *auditchain.Manifest) { m.Chain.Events++ },
		"hash":     func(m *auditchain.Manifest) { m.Chain.Hash[31] ^= 1 },
		"by":       func(m *auditchain.Manifest) { m.ExportedBy = "v" },
		"masked":   func(m *auditchain.Manifest) { m.Masked = false },
		"time":     func(m *auditchain.Manifest) { m.Time = m.Time.Add(time.Nanosecond) },
	}
	for name, edit := range edits {
		c := m
		edit(&c)
		if err := c.Verify(pub); !errors.Is(err, auditchain.ErrBadManifestSignature) {
			t.Errorf("%s edited: %v", name, err)
		}
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if err := auditchain.SignManifest(other, m, time.Now()).Verify(pub); !errors.Is(err, auditchain.ErrBadManifestSignature) {
		t.Errorf("another key: %v", err)
	}
	if got := m.Check(m.SHA256, m.Rows); len(got) != 0 {
		t.Errorf("check: %v", got)
	}
	if got := m.Check(auditchain.Zero, 3); len(got) != 2 {
		t.Errorf("check: %v", got)
	}
}
