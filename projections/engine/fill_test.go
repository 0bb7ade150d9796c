package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// fakeHead is an eventstore.HeadWatcher the test moves by hand.
type fakeHead struct {
	mu      sync.Mutex
	head    uint64
	atHead  bool
	changed chan struct{}
}

func (f *fakeHead) Head() (uint64, bool, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changed == nil {
		f.changed = make(chan struct{})
	}
	return f.head, f.atHead, f.changed
}

func (f *fakeHead) set(head uint64, atHead bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.head, f.atHead = head, atHead
	if f.changed != nil {
		close(f.changed)
		f.changed = nil
	}
}

func events(from, to uint64) []eventstore.Event {
	var out []eventstore.Event
	for p := from; p <= to; p++ {
		out = append(out, eventstore.Event{Position: p})
	}
	return out
}

type filled struct {
	page     []eventstore.Event
	caughtUp bool
	err      error
}

// fillAsync runs fill on a page that holds the event at first.
func fillAsync(ctx context.Context, ch <-chan eventstore.Event, head eventstore.HeadWatcher, first uint64, pageSize int) <-chan filled {
	done := make(chan filled, 1)
	go func() {
		page := events(first, first)
		caughtUp, err := fill(ctx, ch, head, &page, pageSize)
		done <- filled{page, caughtUp, err}
	}()
	return done
}

func await(t *testing.T, done <-chan filled) filled {
	t.Helper()
	select {
	case f := <-done:
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("fill did not return")
	}
	panic("unreachable")
}

// notYet fails if fill returns before the test lets it: it must be waiting for the reader.
func notYet(t *testing.T, done <-chan filled) {
	t.Helper()
	select {
	case f := <-done:
		t.Fatalf("fill returned a page of %d events (caught up %v) while the reader was still delivering", len(f.page), f.caughtUp)
	case <-time.After(50 * time.Millisecond):
	}
}

func feed(ch chan<- eventstore.Event, es []eventstore.Event) {
	for _, e := range es {
		ch <- e
	}
}

// At the head, a page is handed over at once with what the channel holds, marked caught up:
// no linger.
func TestFillHandsOverAtTheHead(t *testing.T) {
	ctx := context.Background()
	ch := make(chan eventstore.Event, 10)
	head := &fakeHead{head: 3, atHead: true}
	feed(ch, events(2, 3))
	f := await(t, fillAsync(ctx, ch, head, 1, 100))
	if len(f.page) != 3 || !f.caughtUp || f.err != nil {
		t.Fatalf("page of %d events, caught up %v, %v; want 3 events at the head", len(f.page), f.caughtUp, f.err)
	}
}

// The reader found events up to 5 and is still putting them in the channel: fill waits for them
// and marks the page caught up at 5.
func TestFillWaitsForTheRestOfARead(t *testing.T) {
	ctx := context.Background()
	ch := make(chan eventstore.Event)
	head := &fakeHead{head: 5, atHead: true}
	done := fillAsync(ctx, ch, head, 1, 100)
	for p := uint64(2); p <= 5; p++ {
		notYet(t, done)
		ch <- eventstore.Event{Position: p}
	}
	f := await(t, done)
	if len(f.page) != 5 || !f.caughtUp {
		t.Fatalf("page of %d events, caught up %v; want 5, true", len(f.page), f.caughtUp)
	}
}

// After a full read the reader reads on: fill waits; when the read finds nothing more, the page
// is at the head.
func TestFillWaitsForTheReadAfterAFullPage(t *testing.T) {
	ctx := context.Background()
	ch := make(chan eventstore.Event, 10)
	head := &fakeHead{atHead: false}
	feed(ch, events(2, 4))
	done := fillAsync(ctx, ch, head, 1, 100)
	notYet(t, done)
	head.set(4, true) // the next read was empty
	f := await(t, done)
	if len(f.page) != 4 || !f.caughtUp {
		t.Fatalf("page of %d events, caught up %v; want 4, true", len(f.page), f.caughtUp)
	}

	// The next read finds more: they join the page, which is at the head when the read was short.
	head = &fakeHead{atHead: false}
	done = fillAsync(ctx, ch, head, 1, 100)
	notYet(t, done)
	head.set(7, true)
	feed(ch, events(2, 7))
	f = await(t, done)
	if len(f.page) != 7 || !f.caughtUp {
		t.Fatalf("page of %d events, caught up %v; want 7, true", len(f.page), f.caughtUp)
	}
}

// A page fills up to the page size; it is marked caught up only if it ends at the head.
func TestFillStopsAtThePageSize(t *testing.T) {
	ctx := context.Background()
	ch := make(chan eventstore.Event, 10)
	feed(ch, events(2, 6))
	f := await(t, fillAsync(ctx, ch, &fakeHead{head: 6, atHead: true}, 1, 4))
	if len(f.page) != 4 || f.caughtUp || len(ch) != 2 {
		t.Fatalf("page of %d events, caught up %v, %d left; want 4, false, 2", len(f.page), f.caughtUp, len(ch))
	}
	f = await(t, fillAsync(ctx, ch, &fakeHead{head: 6, atHead: true}, 4, 3))
	if len(f.page) != 3 || !f.caughtUp {
		t.Fatalf("page of %d events, caught up %v; want 3 ending at the head", len(f.page), f.caughtUp)
	}
}

// A subscription that can not tell where the head is: the page holds what the channel holds and
// is never marked caught up.
func TestFillWithoutHeadWatcher(t *testing.T) {
	ctx := context.Background()
	ch := make(chan eventstore.Event, 10)
	feed(ch, events(2, 3))
	f := await(t, fillAsync(ctx, ch, nil, 1, 100))
	if len(f.page) != 3 || f.caughtUp {
		t.Fatalf("page of %d events, caught up %v; want 3, false", len(f.page), f.caughtUp)
	}
}

// A subscription that ends or a context that ends stops the wait.
func TestFillStopsWhenTheSubscriptionEnds(t *testing.T) {
	ch := make(chan eventstore.Event)
	done := fillAsync(context.Background(), ch, &fakeHead{}, 1, 100)
	notYet(t, done)
	close(ch)
	if f := await(t, done); len(f.page) != 1 || f.caughtUp || f.err != nil {
		t.Fatalf("after the end: %d events, %v, %v", len(f.page), f.caughtUp, f.err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done = fillAsync(ctx, make(chan eventstore.Event), &fakeHead{}, 1, 100)
	notYet(t, done)
	cancel()
	if f := await(t, done); f.err == nil {
		t.Fatal("no error after the context ended")
	}
}
