package sqlite

import (
	"context"
	"path/filepath"
	"testing"
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
