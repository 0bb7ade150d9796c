package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// memLog is a log in memory that counts its reads.
type memLog struct {
	eventstore.Store // not used
	mu               sync.Mutex
	events           []eventstore.Event
	reads            atomic.Int64
	changed          eventstore.Notifier
}

func (m *memLog) add(n int) {
	m.mu.Lock()
	for range n {
		m.events = append(m.events, eventstore.Event{Position: uint64(len(m.events)) + 1, Type: "t"})
	}
	m.mu.Unlock()
	m.changed.Notify()
}

func (m *memLog) ReadAll(_ context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	m.reads.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if after >= uint64(len(m.events)) {
		return nil, nil
	}
	return append([]eventstore.Event(nil), m.events[after:min(int(after)+limit, len(m.events))]...), nil
}

func (m *memLog) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	// Woken by add only (no polling), so the reads counted are the subscriptions' own.
	return eventstore.PollingSubscription(ctx, m.ReadAll, after, m.changed.Wait, time.Hour), nil
}

// Subscriptions that catch up together read each full page of the log from the store once, get
// every event in order, and follow the log live once at the head.
func TestSharedLogReadsEachPageOnce(t *testing.T) {
	store := &memLog{}
	store.add(3*sharedPage + 500)
	log := newSharedLog(store)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const subs = 4
	var chans []<-chan eventstore.Event
	for range subs {
		s, err := log.Subscribe(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, s.Events())
	}
	read := func(ch <-chan eventstore.Event, from, to uint64) {
		for want := from; want <= to; want++ {
			select {
			case e := <-ch:
				if e.Position != want {
					t.Errorf("got position %d, want %d", e.Position, want)
					return
				}
			case <-ctx.Done():
				t.Errorf("no event %d", want)
				return
			}
		}
	}
	var wg sync.WaitGroup
	for _, ch := range chans {
		wg.Go(func() { read(ch, 1, 3*sharedPage+500) })
	}
	wg.Wait()
	// The 3 full pages once; per subscription at most the short last page and the first read of
	// its live subscription (20 reads without sharing).
	if n := store.reads.Load(); n > 3+2*subs {
		t.Fatalf("%d reads of the store for %d subscriptions of 4 pages, want at most %d", n, subs, 3+2*subs)
	}
	store.add(2) // live now: through the store's own subscriptions
	for _, ch := range chans {
		wg.Go(func() { read(ch, 3*sharedPage+501, 3*sharedPage+502) })
	}
	wg.Wait()
}
