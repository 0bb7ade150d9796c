package sqlite_test

import (
	"context"
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
