package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/readmodelstest"
)

func TestContract(t *testing.T) {
	readmodelstest.Run(t, func(t *testing.T) *readmodels.DB {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "readmodels.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// A read-model file is in incremental auto-vacuum mode, so a rebuild can give the superseded
// generation's pages back: a new file from the start, a file made before this mode by one VACUUM
// at its first open, with its rows kept.
func TestOpenUsesIncrementalAutoVacuum(t *testing.T) {
	ctx := context.Background()
	mode := func(db *sql.DB) int {
		var m int
		if err := db.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	fresh, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "new.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if m := mode(fresh.SQL); m != 2 {
		t.Fatalf("a new file has auto_vacuum %d, want 2 (incremental)", m)
	}

	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.ExecContext(ctx, `CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('甲'), ('乙')`); err != nil {
		t.Fatal(err)
	}
	if m := mode(old); m != 0 {
		t.Fatalf("the old-style file has auto_vacuum %d, want 0", m)
	}
	old.Close()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM kept`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows after the conversion: %d (%v)", n, err)
	}
	if m := mode(db.SQL); m != 2 {
		t.Fatalf("an old file has auto_vacuum %d after Open, want 2 (incremental)", m)
	}
}
