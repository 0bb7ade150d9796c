package app_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/audit"
)

// TestAuditSealerRunsInServe: a serving process creates the audit key (0600) at start, seals the
// log as it grows and anchors it, and the log then verifies.
func TestAuditSealerRunsInServe(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{DataDir: dir, AdminPassword: "Audit-trail-2026!", AuditSealInterval: 100 * time.Millisecond,
		AuditAnchorInterval: time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Serve(ctx, listen(t), nil) })
	t.Cleanup(func() { cancel(); wg.Wait(); _ = a.Close() })
	if _, _, err := a.EnsureAdmin(ctx); err != nil {
		t.Fatal(err)
	}
	head, err := a.Store.Head(ctx)
	if err != nil || head == 0 {
		t.Fatalf("head %d %v", head, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := a.Sealer.ReadState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.AnchorPosition >= head {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log (head %d) was not anchored: %+v", head, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fi, err := os.Stat(filepath.Join(dir, audit.KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("audit key: %v %v", fi, err)
	}
	rep, err := a.VerifyAudit(ctx, 0, nil)
	if err != nil || !rep.OK() || rep.Anchors < 1 || rep.Events < head {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
