package postgres_test

import (
	"context"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/adapters/readstore/postgres"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/readmodelstest"
)

// TestContract runs on a private schema per subtest; without CHRONICLE_TEST_POSTGRES_URL it is
// skipped, or fails when CHRONICLE_REQUIRE_POSTGRES=1.
func TestContract(t *testing.T) {
	readmodelstest.Run(t, func(t *testing.T) *readmodels.DB {
		db, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
