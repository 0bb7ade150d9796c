package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// acked is an element a store acknowledged: its events, and where the store said they landed.
type acked struct {
	stream string
	events []eventstore.EventData
	res    eventstore.AppendResult
}

// workload is a mix of concurrent writers: appends to new streams, appends that all expect
// version 1 of one stream, and AppendEach calls of three new streams each.
type workload struct {
	contested string
	mu        sync.Mutex
	acks      []acked
	wins      int
	errs      []error
}

func (w *workload) ack(a acked) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.acks = append(w.acks, a)
}

func (w *workload) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs = append(w.errs, err)
}

// writers returns the workload's writer functions; each appends once. n is the number of
// writers of each kind.
func (w *workload) writers(s eventstore.Store, c context.Context, n int) []func() {
	var fs []func()
	for i := range n {
		fs = append(fs, func() { // a new stream, one or two events
			stream := NewStream("lead")
			events := []eventstore.EventData{Event("lead.created.v1", i)}
			if i%2 == 1 {
				events = append(events, Event("lead.updated.v1", i))
			}
			res, err := s.Append(c, stream, eventstore.NoStream, events)
			if err != nil {
				w.fail(fmt.Errorf("append to a new stream: %w", err))
				return
			}
			w.ack(acked{stream, events, res})
		})
		fs = append(fs, func() { // the contested stream, at version 1
			events := []eventstore.EventData{Event("lead.claimed.v1", i)}
			res, err := s.Append(c, w.contested, 1, events)
			switch {
			case err == nil:
				w.mu.Lock()
				w.wins++
				w.mu.Unlock()
				w.ack(acked{w.contested, events, res})
			case !errors.Is(err, eventstore.ErrConcurrency):
				w.fail(fmt.Errorf("contested append: %w", err))
			}
		})
		fs = append(fs, func() { // AppendEach of three new streams
			appends := make([]eventstore.StreamAppend, 3)
			for j := range appends {
				appends[j] = eventstore.StreamAppend{Stream: NewStream("customer"), Events: []eventstore.EventData{Event("customer.created.v1", j)}}
			}
			out, err := s.AppendEach(c, appends)
			if err != nil {
				w.fail(fmt.Errorf("append each: %w", err))
				return
			}
			for j, o := range out {
				if o.Err != nil {
					w.fail(fmt.Errorf("append each element %d: %w", j, o.Err))
					continue
				}
				w.ack(acked{appends[j].Stream, appends[j].Events, o.AppendResult})
			}
		})
	}
	return fs
}

// check: no writer failed, exactly one contested writer won, and every acknowledged append is
// stored exactly where the store said: its events at the versions before the reported version, the
// last one at the reported position, positions unique across the whole workload.
func (w *workload) check(t *testing.T, s eventstore.Store, c context.Context) {
	t.Helper()
	for _, err := range w.errs {
		t.Error(err)
	}
	if w.wins != 1 {
		t.Errorf("%d writers of the contested stream won, want exactly 1", w.wins)
	}
	seen := map[uint64]string{}
	for _, a := range w.acks {
		stored, err := s.Load(c, a.stream, eventstore.LoadOptions{})
		if err != nil {
			t.Fatalf("load %s: %v", a.stream, err)
		}
		if int64(len(stored)) != a.res.Version {
			t.Errorf("%s holds %d events; the append said version %d", a.stream, len(stored), a.res.Version)
			continue
		}
		first := a.res.Version - int64(len(a.events))
		for j, e := range a.events {
			got := stored[first+int64(j)]
			if got.ID != e.ID || got.Version != first+int64(j)+1 {
				t.Errorf("%s version %d is %s, want %s", a.stream, got.Version, got.ID, e.ID)
			}
			if other, dup := seen[got.Position]; dup {
				t.Errorf("position %d holds events of %s and %s", got.Position, other, a.stream)
			}
			seen[got.Position] = a.stream
		}
		if last := stored[a.res.Version-1]; last.Position != a.res.Position {
			t.Errorf("%s: last event at position %d; the append said %d", a.stream, last.Position, a.res.Position)
		}
	}
}

// newContested creates the stream the contested writers append to, at version 1.
func newContested(t *testing.T, s eventstore.Store, c context.Context) string {
	t.Helper()
	stream := NewStream("lead")
	if _, err := s.Append(c, stream, eventstore.NoStream, []eventstore.EventData{Event("lead.created.v1", 0)}); err != nil {
		t.Fatal(err)
	}
	return stream
}

// testConcurrentAppends runs 48 writers at once: every acknowledged append is readable with
// exactly the version and position it was given, and exactly one of the writers that expected the
// same version of one stream wins.
func testConcurrentAppends(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	w := &workload{contested: newContested(t, s, c)}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range w.writers(s, c, 16) {
		wg.Go(func() { <-start; f() })
	}
	close(start)
	wg.Wait()
	w.check(t, s, c)
}

// GroupCommit gives TestGroupCommit access to a store's group commit.
type GroupCommit struct {
	// Hold makes the store's next append transaction wait, before its commit, until release is
	// closed; entered receives a value when it waits.
	Hold func(entered chan<- struct{}, release <-chan struct{})
	// Waiting is the number of calls queued for a transaction that has not started.
	Waiting func() int
	// Transactions is the number of append transactions the store began.
	Transactions func() int64
	// Invalid, if set, returns an event that passes eventstore.Validate but that the database
	// refuses with ErrInvalidEvent (PostgreSQL: \u0000 in jsonb).
	Invalid func() eventstore.EventData
}

// TestGroupCommit checks a store whose concurrent appends share transactions. While one append
// transaction is held before its commit, writers queue behind it:
//
//   - the queued mix of appends (new streams, one stream contested at one expected version,
//     AppendEach calls) is written in one more transaction, and each writer gets its own outcome,
//     stored exactly as acknowledged;
//   - a queued batch in which the database refuses elements (a reused event id, and g.Invalid)
//     still writes all the others, including the other elements of an AppendEach call that holds
//     a refused one.
func TestGroupCommit(t *testing.T, s eventstore.Store, g GroupCommit) {
	c := ctx(t)
	// hold starts an append that is held before its commit, and returns its release.
	hold := func() (release func(), done <-chan error) {
		entered, rel := make(chan struct{}, 1), make(chan struct{})
		g.Hold(entered, rel)
		ch := make(chan error, 1)
		go func() {
			_, err := s.Append(c, NewStream("lead"), eventstore.NoStream, []eventstore.EventData{Event("lead.created.v1", "held")})
			ch <- err
		}()
		select {
		case <-entered:
		case err := <-ch:
			t.Fatalf("the held append returned: %v", err)
		case <-c.Done():
			t.Fatal("the held append never reached its commit")
		}
		var once sync.Once
		release = func() { once.Do(func() { close(rel) }) }
		t.Cleanup(release)
		return release, ch
	}
	// queue starts the writers behind a held transaction and waits until all are queued.
	queue := func(fs []func()) (wait func()) {
		var wg sync.WaitGroup
		for _, f := range fs {
			wg.Go(f)
		}
		for g.Waiting() < len(fs) {
			select {
			case <-c.Done():
				t.Fatalf("%d of %d writers queued", g.Waiting(), len(fs))
			case <-time.After(time.Millisecond):
			}
		}
		return wg.Wait
	}

	t.Run("Batch", func(t *testing.T) {
		w := &workload{contested: newContested(t, s, c)}
		fs := w.writers(s, c, 16)
		before := g.Transactions()
		release, held := hold()
		wait := queue(fs)
		release()
		if err := <-held; err != nil {
			t.Fatalf("held append: %v", err)
		}
		wait()
		w.check(t, s, c)
		if n := g.Transactions() - before; n != 2 {
			t.Errorf("%d transactions for the held append and %d queued calls; want 2", n, len(fs))
		}
		t.Logf("%d calls (%d elements acknowledged) in %d transactions", len(fs)+1, len(w.acks)+1, g.Transactions()-before)
	})

	t.Run("RefusedElements", func(t *testing.T) {
		stored := Event("lead.created.v1", "stored")
		if _, err := s.Append(c, NewStream("lead"), eventstore.NoStream, []eventstore.EventData{stored}); err != nil {
			t.Fatal(err)
		}
		w := &workload{contested: newContested(t, s, c)}
		fs := w.writers(s, c, 4)
		type refusal struct {
			name    string
			appends []eventstore.StreamAppend
			want    []error // per element: nil (written) or the error it must wrap
			out     []eventstore.AppendOutcome
			err     error
		}
		var refusals []*refusal
		refuse := func(name string, want []error, events ...eventstore.EventData) {
			r := &refusal{name: name, want: want}
			for _, e := range events {
				r.appends = append(r.appends, eventstore.StreamAppend{Stream: NewStream("lead"), Events: []eventstore.EventData{e}})
			}
			refusals = append(refusals, r)
			fs = append(fs, func() { r.out, r.err = s.AppendEach(c, r.appends) })
		}
		refuse("reused id", []error{eventstore.ErrConcurrency}, stored)
		refuse("reused id among others", []error{nil, eventstore.ErrConcurrency, nil},
			Event("lead.created.v1", 1), stored, Event("lead.created.v1", 2))
		if g.Invalid != nil {
			refuse("invalid", []error{eventstore.ErrInvalidEvent}, g.Invalid())
			refuse("invalid among others", []error{eventstore.ErrInvalidEvent, nil}, g.Invalid(), Event("lead.created.v1", 3))
		}
		release, held := hold()
		wait := queue(fs)
		release()
		if err := <-held; err != nil {
			t.Fatalf("held append: %v", err)
		}
		wait()
		w.check(t, s, c)
		for _, r := range refusals {
			if r.err != nil || len(r.out) != len(r.want) {
				t.Errorf("%s: %+v, %v; want an outcome per element", r.name, r.out, r.err)
				continue
			}
			for j, want := range r.want {
				o, stream := r.out[j], r.appends[j].Stream
				if want == nil && o.Err != nil || want != nil && !errors.Is(o.Err, want) {
					t.Errorf("%s, element %d: err = %v, want %v", r.name, j, o.Err, want)
				}
				events, err := s.Load(c, stream, eventstore.LoadOptions{})
				switch {
				case err != nil:
					t.Fatalf("load %s: %v", stream, err)
				case want != nil && len(events) != 0:
					t.Errorf("%s, element %d: refused, yet %d events stored", r.name, j, len(events))
				case want == nil && (len(events) != 1 || events[0].ID != r.appends[j].Events[0].ID || events[0].Position != o.Position):
					t.Errorf("%s, element %d: stored %+v; the outcome said %+v", r.name, j, events, o)
				}
			}
		}
	})
}
