package audit_test

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
)

// TestReadLatestAnchors: the newest files by position, counted among all of them.
func TestReadLatestAnchors(t *testing.T) {
	dir := t.TempDir()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for i := uint64(1); i <= 25; i++ {
		if err := audit.WriteAnchor(dir, auditchain.Sign(key, i*10, i*10, auditchain.Zero, at.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, audit.AnchorFileName(245)), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, bad, total, err := audit.ReadLatestAnchors(dir, 5)
	if err != nil || total != 26 || len(bad) != 1 || bad[0].Position != 245 || len(got) != 4 {
		t.Fatalf("%d anchors, bad %+v, total %d, %v", len(got), bad, total, err)
	}
	for i, want := range []uint64{220, 230, 240, 250} {
		if got[i].Position != want {
			t.Errorf("anchor %d at %d, want %d", i, got[i].Position, want)
		}
	}
	if got, _, total, err := audit.ReadLatestAnchors(filepath.Join(dir, "none"), 5); err != nil || total != 0 || len(got) != 0 {
		t.Fatalf("no directory: %v %d %v", got, total, err)
	}
}
