package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// TestReaders: Options.Readers bounds the reader pool (DefaultReaders when 0); appends keep their
// one writer connection.
func TestReaders(t *testing.T) {
	for _, c := range []struct{ readers, want int }{{0, DefaultReaders}, {3, 3}} {
		s, err := OpenWith(context.Background(), filepath.Join(t.TempDir(), "events.db"), Options{Readers: c.readers})
		if err != nil {
			t.Fatal(err)
		}
		if r, w := s.read.Stats().MaxOpenConnections, s.write.Stats().MaxOpenConnections; r != c.want || w != 1 {
			t.Errorf("Readers %d: %d readers and %d writers, want %d and 1", c.readers, r, w, c.want)
		}
		_ = s.Close()
	}
}

// TestAppendWaitsForAnotherProcessWriting: while a writer of another process (here another
// connection) holds the database's write lock, an append waits for it instead of failing at once
// with SQLITE_BUSY, and succeeds once the lock is released.
func TestAppendWaitsForAnotherProcessWriting(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	appended := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, "lead-1", 0, []eventstore.EventData{{ID: uuid.New(), Type: "lead.created.v1", OccurredAt: time.Now(), Data: []byte(`{}`)}})
		appended <- err
	}()
	select {
	case err := <-appended:
		t.Fatalf("the append returned while another writer held the lock: %v", err)
	case <-time.After(200 * time.Millisecond): // it waits (the busy timeout is 10 s)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-appended; err != nil {
		t.Fatalf("append after the other writer committed: %v", err)
	}
}
