package app_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/backup"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

// TestScheduledBackups: a server whose clock comes to the scheduled time (02:00 in the
// organisation's time zone, Asia/Shanghai by default) writes that slot's backup by itself, under
// the lease, and says so in /metrics. A second run for the same slot, by this process or another,
// writes nothing; a process that does not get the lease writes nothing; after a successful
// backup only the newest Backup.Keep remain.
func TestScheduledBackups(t *testing.T) {
	pgtest.Engine(t, "sqlite") // embedded stores
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// The clock stands at 01:59:57 in Shanghai until the server runs, then goes on: the slot
	// comes three seconds later, however long the start took.
	var started atomic.Int64
	base := time.Date(2026, 5, 4, 1, 59, 57, 0, sh)
	clock := func() time.Time {
		if s := started.Load(); s != 0 {
			return base.Add(time.Since(time.Unix(0, s))).UTC()
		}
		return base.UTC()
	}
	dir := t.TempDir()
	cfg := app.Config{DataDir: dir, Clock: clock, MetricsAddr: "127.0.0.1:0", Backup: app.BackupSettings{Keep: 2, Version: "test"}}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, mln := listen(t), listen(t)
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Serve(ctx, ln, mln) })
	t.Cleanup(func() { cancel(); wg.Wait(); _ = a.Close() })
	<-a.Engine.Running()
	started.Store(time.Now().UnixNano())

	backups := filepath.Join(dir, "backups")
	slot := time.Date(2026, 5, 4, 2, 0, 0, 0, sh)
	var all []backup.Entry
	for deadline := time.Now().Add(60 * time.Second); len(all) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no scheduled backup within a minute of its slot")
		}
		time.Sleep(200 * time.Millisecond)
		if all, err = backup.List(backups); err != nil {
			t.Fatal(err)
		}
	}
	if got := all[0].Manifest; got.Slot != slot.Format(time.RFC3339) || got.Version != "test" {
		t.Fatalf("the scheduled backup's manifest: %+v", got)
	}
	if _, err := backup.Verify(all[0].Dir); err != nil {
		t.Fatal(err)
	}
	code, _, body := metricsOf(t, mln.Addr().String())
	if code != http.StatusOK || !strings.Contains(body, "chronicle_backup_newest_timestamp_seconds 1.7") ||
		!strings.Contains(body, "chronicle_backup_failures_total 0") {
		t.Fatalf("metrics after the backup: %d\n%s", code, grepLines(body, "chronicle_backup"))
	}

	// The same slot again, by this process or another: nothing more.
	for _, holder := range []string{"again", "another-process"} {
		done, err := a.RunBackup(ctx, holder, slot)
		if err != nil || !done {
			t.Fatalf("a second run for the slot: %v %v", done, err)
		}
	}
	if all, _ = backup.List(backups); len(all) != 1 {
		t.Fatalf("%d backups after running the slot again", len(all))
	}
	// A process that does not get the lease writes nothing.
	if ok, err := a.DB.TryLease(ctx, "backup", "someone-else", clock(), time.Hour); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if done, err := a.RunBackup(ctx, "me", slot.Add(24*time.Hour)); err != nil || done {
		t.Fatalf("a run without the lease: %v %v", done, err)
	}
	if err := a.DB.ReleaseLease(ctx, "backup", "someone-else"); err != nil {
		t.Fatal(err)
	}
	// Three more slots: two backups are kept, the newest.
	for day := 1; day <= 3; day++ {
		if done, err := a.RunBackup(ctx, "me", slot.AddDate(0, 0, day)); err != nil || !done {
			t.Fatalf("day %d: %v %v", day, done, err)
		}
	}
	all, _ = backup.List(backups)
	if len(all) != 2 || all[0].Manifest.Slot != slot.AddDate(0, 0, 2).Format(time.RFC3339) || all[1].Manifest.Slot != slot.AddDate(0, 0, 3).Format(time.RFC3339) {
		t.Fatalf("kept %v", all)
	}
	// A failure is counted: the backup directory is a file.
	if err := os.WriteFile(filepath.Join(dir, "blocker"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a.Config.Backup.Dir = filepath.Join(dir, "blocker", "backups")
	if done, err := a.RunBackup(ctx, "me", slot.AddDate(0, 0, 4)); err == nil || done {
		t.Fatalf("a backup into a file: %v %v", done, err)
	}
	if _, _, body := metricsOf(t, mln.Addr().String()); !strings.Contains(body, "chronicle_backup_failures_total 1") ||
		strings.Contains(body, "chronicle_backup_last_failure_timestamp_seconds 0\n") {
		t.Fatalf("metrics after a failure:\n%s", grepLines(body, "chronicle_backup"))
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMissedSlotIsTakenAtStart: a process that starts after a slot no process took (the server
// was down at 02:00) takes that slot's backup at once when scheduled backups ran before; on a
// fresh installation, with no earlier scheduled backup, it waits for the next slot.
func TestMissedSlotIsTakenAtStart(t *testing.T) {
	pgtest.Engine(t, "sqlite") // embedded stores
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 7, 10, 0, 0, 0, sh) // 8 hours after the day's slot
	clock := func() time.Time { return now.UTC() }
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	serve := func(wait func(a *app.App)) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, err := app.Open(ctx, app.Config{DataDir: dir, Clock: clock, Backup: app.BackupSettings{Version: "test"}}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		wg.Go(func() { _ = a.Serve(ctx, listen(t), listen(t)) })
		<-a.Engine.Running()
		wait(a)
	}

	// A fresh installation: nothing to catch up.
	serve(func(*app.App) { time.Sleep(2 * time.Second) })
	if all, _ := backup.List(backups); len(all) != 0 {
		t.Fatalf("a fresh installation took %d backups before its first slot", len(all))
	}
	// Scheduled backups ran until three days ago; the server was down since.
	old := time.Date(2026, 5, 4, 2, 0, 0, 0, sh)
	serve(func(a *app.App) {
		if done, err := a.RunBackup(context.Background(), "earlier", old); err != nil || !done {
			t.Fatalf("the earlier backup: %v %v", done, err)
		}
	})
	// The next start takes today's slot at once (not the two days before it).
	today := time.Date(2026, 5, 7, 2, 0, 0, 0, sh).Format(time.RFC3339)
	serve(func(*app.App) {
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			all, err := backup.List(backups)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) == 2 && all[1].Manifest.Slot == today {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the missed slot was not taken at the start: %+v", all)
			}
		}
	})
}
