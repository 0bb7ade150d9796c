package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
)

// Every connection of the read store waits 30 s for the write lock (see OpenWith).
func TestReadStoreWaitsThirtySecondsForTheWriteLock(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 3 {
		var ms int
		if err := db.SQL.QueryRow(`PRAGMA busy_timeout`).Scan(&ms); err != nil {
			t.Fatal(err)
		}
		if ms != 30000 {
			t.Fatalf("busy_timeout = %d ms, want 30000", ms)
		}
	}
}
