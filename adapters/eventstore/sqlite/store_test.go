package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
)

func newStore(t testing.TB) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return newStore(t) })
}

func BenchmarkAppend(b *testing.B) {
	eventstoretest.BenchmarkAppend(b, newStore(b))
}

func TestAppendEachReusedID(t *testing.T) { eventstoretest.TestAppendEachReusedID(t, newStore(t)) }

func TestGroupCommit(t *testing.T) {
	s := newStore(t)
	eventstoretest.TestGroupCommit(t, s, sqlite.GroupCommitHooks(s))
}
