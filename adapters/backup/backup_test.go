package backup

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// dataDir makes a data directory with both stores, a key file and an anchor, and answers the
// event store (open: the test appends to it while it backs up).
func dataDir(t *testing.T) (string, *esqlite.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := esqlite.Open(ctx, filepath.Join(dir, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := rsqlite.Open(ctx, filepath.Join(dir, ReadModelsFile))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := db.TryLease(ctx, "projection:leads/g1", "another-process", time.Now(), time.Hour)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	db.Close()
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte(strings.Repeat("k", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	// The data subjects' key store (adapters/privacy): one key.
	keys, err := sql.Open("sqlite", esqlite.DSN(filepath.Join(dir, KeysFile)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.ExecContext(ctx, `CREATE TABLE privacy_keys (subject TEXT PRIMARY KEY, wrapped BLOB); INSERT INTO privacy_keys VALUES ('s1', x'0102')`); err != nil {
		t.Fatal(err)
	}
	keys.Close()
	if err := os.MkdirAll(filepath.Join(dir, AnchorsDir, "2026"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, AnchorsDir, "2026", "0001.json"), []byte(`{"head":1}`), 0o640); err != nil {
		t.Fatal(err)
	}
	return dir, s
}

func appendOne(ctx context.Context, s eventstore.Store, i int) error {
	_, err := s.Append(ctx, "lead-"+uuid.NewString(), eventstore.NoStream, []eventstore.EventData{{ID: uuid.Must(uuid.NewV7()),
		Type: "lead.created.v1", OccurredAt: time.Now(), Data: json.RawMessage(`{"n":` + string(rune('0'+i%10)) + `}`)}})
	return err
}

// TestBackupWhileWritingIsAConsistentPrefix: a backup taken while a writer appends holds exactly
// the log up to its manifest's head, identical to the source's; its files match the manifest; the
// leases of the running processes are left out; a restore copies it into a new directory and
// refuses a non-empty one; a changed byte is refused.
func TestBackupWhileWritingIsAConsistentPrefix(t *testing.T) {
	ctx := context.Background()
	dir, s := dataDir(t)
	for i := range 200 {
		if err := appendOne(ctx, s, i); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			if err := appendOne(ctx, s, i); err != nil {
				t.Error(err)
				return
			}
		}
	})
	res, err := Take(ctx, Options{DataDir: dir, To: filepath.Join(dir, "backups"), Version: "test"})
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	if m.Head < 200 || m.Events != int64(m.Head) || m.Version != "test" || !strings.HasPrefix(filepath.Base(res.Dir), NamePrefix) {
		t.Fatalf("manifest %+v in %s", m, res.Dir)
	}
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	if want := []string{"anchors/2026/0001.json", EventsFile, KeysFile, ReadModelsFile, "secret.key"}; !reflect.DeepEqual(paths, want) {
		t.Fatalf("files %v, want %v", paths, want)
	}
	if _, err := Verify(res.Dir); err != nil {
		t.Fatal(err)
	}

	// The backup's log is the source's up to the head, event for event.
	src, err := s.ReadAll(ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(src)) <= m.Head {
		t.Fatalf("the writer appended nothing during the backup (%d events, head %d)", len(src), m.Head)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(res.Dir, restored); err != nil {
		t.Fatal(err)
	}
	r, err := esqlite.Open(ctx, filepath.Join(restored, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.ReadAll(ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, src[:m.Head]) {
		t.Fatalf("the restored log (%d events) is not the source's first %d", len(got), m.Head)
	}
	if b, err := os.ReadFile(filepath.Join(restored, "secret.key")); err != nil || string(b) != strings.Repeat("k", 32) {
		t.Fatalf("secret.key: %q %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(restored, "secret.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key mode %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Join(restored, KeysFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys.db mode %v %v", fi, err)
	}
	kdb, err := sql.Open("sqlite", esqlite.DSN(filepath.Join(restored, KeysFile)))
	if err != nil {
		t.Fatal(err)
	}
	var subject string
	if err := kdb.QueryRowContext(ctx, `SELECT subject FROM privacy_keys`).Scan(&subject); err != nil || subject != "s1" {
		t.Fatalf("restored keys.db: %q %v", subject, err)
	}
	kdb.Close()
	db, err := rsqlite.Open(ctx, filepath.Join(restored, ReadModelsFile))
	if err != nil {
		t.Fatal(err)
	}
	var leases int
	err = db.SQL.QueryRow(`SELECT count(*) FROM leases`).Scan(&leases)
	db.Close()
	if err != nil || leases != 0 {
		t.Fatalf("%d leases in the restored read models (%v)", leases, err)
	}

	// A non-empty target is refused; so is a backup with one byte changed.
	if _, err := Restore(res.Dir, restored); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Fatalf("restore into a non-empty directory: %v", err)
	}
	f := filepath.Join(res.Dir, EventsFile)
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(f, b, 0o640); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other")
	if _, err := Restore(res.Dir, other); err == nil || !strings.Contains(err.Error(), "does not match its manifest") {
		t.Fatalf("restore of a changed backup: %v", err)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Fatalf("a refused restore left %s behind (%v)", other, err)
	}
}

// TestPruneKeepsTheNewest: after a backup only the newest keep remain, and partial backups older
// than a day are removed.
func TestPruneKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	dir, _ := dataDir(t)
	to := filepath.Join(t.TempDir(), "backups")
	at := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	var made []string
	for i := range 4 {
		now := at.AddDate(0, 0, i)
		res, err := Take(ctx, Options{DataDir: dir, To: to, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, res.Dir)
	}
	stale := filepath.Join(to, partialPrefix+"123")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	deleted, err := Prune(to, 2, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{made[0], made[1], stale}; !reflect.DeepEqual(deleted, want) {
		t.Fatalf("deleted %v, want %v", deleted, want)
	}
	left, err := List(to)
	if err != nil || len(left) != 2 || left[0].Dir != made[2] || left[1].Dir != made[3] {
		t.Fatalf("left %v %v", left, err)
	}
	if filepath.Base(made[0]) != "chronicle-backup-20260301T020000Z" {
		t.Fatalf("named %s", made[0])
	}
}

func TestSchedule(t *testing.T) {
	s, err := ParseSchedule("02:00")
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 3, 1, 17, 59, 0, 0, time.UTC) // 01:59 in Shanghai
	if got := s.Next(now, sh); !got.Equal(time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC)) {
		t.Fatalf("next after %v: %v", now, got)
	}
	if got := s.Next(time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC), sh); !got.Equal(time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC)) {
		t.Fatalf("next after a slot: %v", got)
	}
	for _, bad := range []string{"2am", "25:00", "", "02:00:00"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	if off, err := ParseSchedule("off"); err != nil || !off.Off {
		t.Fatal(off, err)
	}
}

// TestFindAndQuickCheck: only names of the backup pattern found in the directory are found (no
// path reaches outside it); the quick check sees a missing or resized file, not a changed byte.
func TestFindAndQuickCheck(t *testing.T) {
	for name, want := range map[string]bool{
		"chronicle-backup-20261201T020000Z": true, "chronicle-backup-20261201T020000Z-2": true,
		"chronicle-backup-20261201T020000Z/..": false, "../chronicle-backup-20261201T020000Z": false, "..": false, "": false,
		".partial-chronicle-backup-20261201T020000Z": false, "chronicle-backup-2026": false, "chronicle-backup-20261201T020000Z-": false,
	} {
		if ValidName(name) != want {
			t.Errorf("ValidName(%q) = %v", name, !want)
		}
	}
	dir, _ := dataDir(t)
	to := t.TempDir()
	res, err := Take(context.Background(), Options{DataDir: dir, To: to, Version: "t"})
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(res.Dir)
	if err := os.MkdirAll(filepath.Join(to, "chronicle-backup-20990101T000000Z"), 0o750); err != nil { // no manifest
		t.Fatal(err)
	}
	all, err := Scan(to)
	if err != nil || len(all) != 2 || all[0].Name != name || all[0].Err != nil || all[1].Err == nil {
		t.Fatalf("scan %+v %v", all, err)
	}
	for _, n := range []string{"../" + filepath.Base(dir), "chronicle-backup-20300101T000000Z", name + "/manifest.json"} {
		if _, ok, err := Find(to, n); ok || err != nil {
			t.Errorf("Find(%q) = %v %v", n, ok, err)
		}
	}
	s, ok, err := Find(to, name)
	if !ok || err != nil || s.Manifest.Head != res.Manifest.Head {
		t.Fatalf("Find(%q) = %+v %v %v", name, s, ok, err)
	}
	if err := QuickCheck(s.Dir, s.Manifest); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(s.Dir, EventsFile)
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(f, b, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := QuickCheck(s.Dir, s.Manifest); err != nil {
		t.Fatalf("a changed byte is for the full check: %v", err)
	}
	if _, err := Verify(s.Dir); err == nil {
		t.Fatal("Verify passed a changed byte")
	}
	if err := os.WriteFile(f, b[:10], 0o640); err != nil {
		t.Fatal(err)
	}
	if err := QuickCheck(s.Dir, s.Manifest); err == nil || !strings.Contains(err.Error(), EventsFile) {
		t.Fatalf("a file cut short: %v", err)
	}
	if err := os.Remove(f); err != nil {
		t.Fatal(err)
	}
	if err := QuickCheck(s.Dir, s.Manifest); err == nil {
		t.Fatal("a missing file passed")
	}
}
