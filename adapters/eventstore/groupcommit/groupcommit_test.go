package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

var errRefused = fmt.Errorf("fake database refused an element: %w", eventstore.ErrConcurrency)

// fakeStore is an in-memory transactional store: write checks versions in input order, and a
// stream named "refused-…" makes the whole transaction fail, as a reused event id does in
// PostgreSQL. gate, when set, holds every write until a value is received from it.
type fakeStore struct {
	mu       sync.Mutex
	versions map[string]int64
	position uint64
	writes   [][]string // the streams of each write, in order
	gate     chan struct{}
	entered  chan struct{} // receives a value when a write starts (if set)
}

func newFake() *fakeStore { return &fakeStore{versions: map[string]int64{}} }

func (f *fakeStore) write(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var streams []string
	for _, a := range appends {
		streams = append(streams, a.Stream)
	}
	f.writes = append(f.writes, streams)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, a := range appends {
		if strings.HasPrefix(a.Stream, "refused-") {
			return nil, errRefused
		}
	}
	out := make([]eventstore.AppendOutcome, len(appends))
	versions := map[string]int64{}
	for i, a := range appends {
		v, ok := versions[a.Stream]
		if !ok {
			v = f.versions[a.Stream]
		}
		if v != a.ExpectedVersion {
			out[i].Err = fmt.Errorf("%s at %d: %w", a.Stream, v, eventstore.ErrConcurrency)
			continue
		}
		versions[a.Stream] = v + int64(len(a.Events))
		f.position += uint64(len(a.Events))
		out[i].AppendResult = eventstore.AppendResult{Version: versions[a.Stream], Position: f.position}
	}
	for s, v := range versions {
		f.versions[s] = v
	}
	return out, nil
}

func (f *fakeStore) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.writes)
}

func refusedErr(err error) bool { return errors.Is(err, errRefused) }

func one(stream string, expected int64, n int) []eventstore.StreamAppend {
	events := make([]eventstore.EventData, n)
	for i := range events {
		events[i] = eventstore.EventData{ID: uuid.New(), Type: "x.v1", OccurredAt: time.Now(), Data: []byte(`{}`)}
	}
	return []eventstore.StreamAppend{{Stream: stream, ExpectedVersion: expected, Events: events}}
}

// queued waits until n calls wait in the committer's queue.
func queued(t *testing.T, c *Committer, n int) {
	t.Helper()
	for range 2000 {
		if c.Waiting() == n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("never saw %d queued calls", n)
}

type result struct {
	out []eventstore.AppendOutcome
	err error
}

func async(ctx context.Context, c *Committer, appends []eventstore.StreamAppend) <-chan result {
	ch := make(chan result, 1)
	go func() {
		out, err := c.Append(ctx, appends)
		ch <- result{out, err}
	}()
	return ch
}

// Calls that arrive while a transaction is written share the next one, each with its own
// outcome; of two calls with the same expected version on one stream the first queued wins.
func TestCallsDuringAWriteShareTheNextTransaction(t *testing.T) {
	f := newFake()
	f.gate, f.entered = make(chan struct{}), make(chan struct{}, 100)
	c := New(f.write, refusedErr, DefaultLimits)
	ctx := context.Background()

	first := async(ctx, c, one("lead-first", 0, 1))
	<-f.entered // the first transaction is being written
	const n = 20
	var results [n]<-chan result
	for i := range n {
		stream := fmt.Sprintf("lead-%d", i)
		if i >= n-2 {
			stream = "lead-contested" // the last two conflict: the first of them wins
		}
		results[i] = async(ctx, c, one(stream, 0, 2))
		queued(t, c, i+1) // in this order
	}
	f.gate <- struct{}{}
	if r := <-first; r.err != nil || r.out[0].Err != nil || r.out[0].Version != 1 {
		t.Fatalf("first call = %+v, %v", r.out, r.err)
	}
	<-f.entered
	f.gate <- struct{}{}
	positions := map[uint64]bool{}
	for i, ch := range results {
		r := <-ch
		if r.err != nil || len(r.out) != 1 {
			t.Fatalf("call %d = %+v, %v", i, r.out, r.err)
		}
		o := r.out[0]
		if i == n-1 {
			if !errors.Is(o.Err, eventstore.ErrConcurrency) {
				t.Fatalf("second contested call: err = %v, want ErrConcurrency", o.Err)
			}
			continue
		}
		if o.Err != nil || o.Version != 2 || positions[o.Position] {
			t.Fatalf("call %d = %+v; want version 2 at a position of its own", i, o)
		}
		positions[o.Position] = true
	}
	if got := f.writeCount(); got != 2 || c.Batches() != 2 {
		t.Fatalf("%d writes, %d batches for %d calls; want 2: the first alone, then all the others", got, c.Batches(), n+1)
	}
	if len(f.writes[1]) != n {
		t.Fatalf("second transaction wrote %d elements, want %d", len(f.writes[1]), n)
	}
}

// A batch takes calls in queue order while they fit the limits; a call larger than the limits
// goes alone.
func TestLimitsSplitTheQueueInOrder(t *testing.T) {
	f := newFake()
	f.gate, f.entered = make(chan struct{}), make(chan struct{}, 100)
	c := New(f.write, refusedErr, Limits{Events: 5, Bytes: 1 << 20})
	ctx := context.Background()

	first := async(ctx, c, one("lead-first", 0, 1))
	<-f.entered
	sizes := []int{2, 2, 2, 9, 1, 1}
	var results []<-chan result
	for i, n := range sizes {
		results = append(results, async(ctx, c, one(fmt.Sprintf("lead-%d", i), 0, n)))
		queued(t, c, i+1)
	}
	close(f.gate) // no more holding: the queue is written batch after batch
	<-first
	for i, ch := range results {
		if r := <-ch; r.err != nil || r.out[0].Err != nil {
			t.Fatalf("call %d = %+v, %v", i, r.out, r.err)
		}
	}
	want := "[[lead-first] [lead-0 lead-1] [lead-2] [lead-3] [lead-4 lead-5]]"
	if got := fmt.Sprint(f.writes); got != want {
		t.Fatalf("transactions %s, want %s", got, want)
	}
}

// A call whose context ends while it waits in the queue returns the context's error and nothing
// of it is written; the others are.
func TestCancelledBeforeItsBatchStarts(t *testing.T) {
	f := newFake()
	f.gate, f.entered = make(chan struct{}), make(chan struct{}, 100)
	c := New(f.write, refusedErr, DefaultLimits)
	ctx := context.Background()

	first := async(ctx, c, one("lead-first", 0, 1))
	<-f.entered
	gone, cancel := context.WithCancel(ctx)
	cancelled := async(gone, c, one("lead-cancelled", 0, 1))
	queued(t, c, 1)
	kept := async(ctx, c, one("lead-kept", 0, 1))
	queued(t, c, 2)
	cancel()
	if r := <-cancelled; !errors.Is(r.err, context.Canceled) || r.out != nil {
		t.Fatalf("cancelled call = %+v, %v; want context.Canceled", r.out, r.err)
	}
	f.gate <- struct{}{}
	<-first
	<-f.entered
	f.gate <- struct{}{}
	if r := <-kept; r.err != nil || r.out[0].Err != nil {
		t.Fatalf("kept call = %+v, %v", r.out, r.err)
	}
	if got := fmt.Sprint(f.writes); got != "[[lead-first] [lead-kept]]" {
		t.Fatalf("transactions %s: the cancelled call must not be written", got)
	}
}

// A context that ended just before the batch was formed counts as before the start, even if its
// caller has not yet withdrawn the call.
func TestContextEndedWhenTheBatchForms(t *testing.T) {
	f := newFake()
	c := New(f.write, refusedErr, DefaultLimits)
	gone, cancel := context.WithCancel(context.Background())
	cl := &call{ctx: gone, appends: one("lead-x", 0, 1), done: make(chan struct{})}
	c.queue = []*call{cl}
	c.running = true
	cancel()
	if batch := c.next(); batch != nil {
		t.Fatalf("next returned %d calls", len(batch))
	}
	<-cl.done
	if !errors.Is(cl.err, context.Canceled) || c.running {
		t.Fatalf("err = %v, running = %v", cl.err, c.running)
	}
}

// Once its batch has started, a call returns the transaction's outcome even when its context ends;
// the transaction is not cancelled while another call of the batch still waits, and is when none
// does.
func TestCancelledAfterItsBatchStarted(t *testing.T) {
	f := newFake()
	f.gate, f.entered = make(chan struct{}), make(chan struct{}, 100)
	c := New(f.write, refusedErr, DefaultLimits)
	ctx := context.Background()

	first := async(ctx, c, one("lead-first", 0, 1))
	<-f.entered
	impatient, cancel1 := context.WithCancel(ctx)
	patient, cancel2 := context.WithCancel(ctx)
	defer cancel2()
	r1 := async(impatient, c, one("lead-impatient", 0, 1))
	queued(t, c, 1)
	r2 := async(patient, c, one("lead-patient", 0, 1))
	queued(t, c, 2)
	f.gate <- struct{}{}
	<-first
	<-f.entered // the batch of both has started
	cancel1()
	select {
	case r := <-r1:
		t.Fatalf("the impatient call returned %+v, %v before its transaction ended", r.out, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	f.gate <- struct{}{}
	for name, ch := range map[string]<-chan result{"impatient": r1, "patient": r2} {
		if r := <-ch; r.err != nil || r.out[0].Err != nil || r.out[0].Version != 1 {
			t.Fatalf("%s call = %+v, %v; want written", name, r.out, r.err)
		}
	}

	// Both callers give up after the start: the transaction's context ends, the write fails and
	// both get its error.
	first = async(ctx, c, one("lead-first2", 0, 1))
	<-f.entered
	a, cancelA := context.WithCancel(ctx)
	b, cancelB := context.WithCancel(ctx)
	ra := async(a, c, one("lead-a", 0, 1))
	queued(t, c, 1)
	rb := async(b, c, one("lead-b", 0, 1))
	queued(t, c, 2)
	f.gate <- struct{}{}
	<-first
	<-f.entered
	cancelA()
	cancelB()
	for name, ch := range map[string]<-chan result{"a": ra, "b": rb} {
		if r := <-ch; !errors.Is(r.err, context.Canceled) {
			t.Fatalf("call %s = %+v, %v; want the transaction's context.Canceled", name, r.out, r.err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.versions); n != 4 || f.versions["lead-a"] != 0 || f.versions["lead-b"] != 0 {
		t.Fatalf("streams written: %v; want only first, impatient, patient and first2", f.versions)
	}
}

// One refused element fails alone: the batch is written again call by call, and the refused
// call element by element.
func TestRefusedElementFailsAlone(t *testing.T) {
	f := newFake()
	f.gate, f.entered = make(chan struct{}), make(chan struct{}, 100)
	c := New(f.write, refusedErr, DefaultLimits)
	ctx := context.Background()

	first := async(ctx, c, one("lead-first", 0, 1))
	<-f.entered
	good1 := async(ctx, c, one("lead-good1", 0, 1))
	queued(t, c, 1)
	mixed := async(ctx, c, append(one("lead-mixed", 0, 1), one("refused-x", 0, 1)...))
	queued(t, c, 2)
	good2 := async(ctx, c, one("lead-good2", 0, 1))
	queued(t, c, 3)
	close(f.gate) // no more holding
	<-first
	for name, ch := range map[string]<-chan result{"good1": good1, "good2": good2} {
		if r := <-ch; r.err != nil || r.out[0].Err != nil {
			t.Fatalf("%s = %+v, %v", name, r.out, r.err)
		}
	}
	r := <-mixed
	if r.err != nil || len(r.out) != 2 || r.out[0].Err != nil || !errors.Is(r.out[1].Err, errRefused) {
		t.Fatalf("mixed call = %+v, %v; want its first element written, its second refused", r.out, r.err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range []string{"lead-first", "lead-good1", "lead-good2", "lead-mixed"} {
		if f.versions[s] != 1 {
			t.Errorf("%s at version %d, want 1", s, f.versions[s])
		}
	}
}
