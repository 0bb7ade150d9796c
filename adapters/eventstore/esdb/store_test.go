package esdb

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
)

// TestContract runs the port's contract against a real EventStoreDB named by
// CHRONICLE_TEST_ESDB_URL (for example esdb://localhost:2113?tls=false).
func TestContract(t *testing.T) {
	url := os.Getenv("CHRONICLE_TEST_ESDB_URL")
	if url == "" {
		if os.Getenv("CHRONICLE_REQUIRE_ESDB") == "1" {
			t.Fatal("CHRONICLE_TEST_ESDB_URL is not set but CHRONICLE_REQUIRE_ESDB=1: EventStoreDB tests must run")
		}
		t.Skip("CHRONICLE_TEST_ESDB_URL not set; EventStoreDB contract skipped")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	eventstoretest.Run(t, func(*testing.T) eventstore.Store { return s })
}

// TestContractAgainstFake runs the same contract through the real client library against the
// in-memory fake node, with system events written after every append. It checks the adapter's
// logic, not EventStoreDB: only TestContract does that. Each subtest gets its own node: the
// suite's GlobalOrder case fails when another subtest appends between its last append and
// its last read (it checks every event of its final page, not only its own), which a shared node allows.
func TestContractAgainstFake(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
		s, f := openFake(t)
		f.configure(func() { f.noise = true })
		return s
	})
}
