package engine

import (
	"context"
	"sync"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// sharedLog is the event store as the log subscriber reads it. A subscription behind the head
// reads the log in full pages through a small cache of recent pages, shared by every
// subscription of the engine: projections that read the same part of the log at about the same
// time (the catch-up after a start, `projections rebuild --all`) read each page from the store
// once instead of once each. At the head a subscription hands over to the store's own.
type sharedLog struct {
	eventstore.Store

	mu      sync.Mutex
	pages   map[uint64]*logPage // full pages by the position they follow
	order   []uint64            // keys of pages, oldest first
	readers int                 // subscriptions reading through the cache; at 0 it is emptied
}

// logPage is one read of sharedPage events; done closes when events and err are set.
type logPage struct {
	done   chan struct{}
	events []eventstore.Event
	err    error
}

const (
	sharedPage  = 1000 // events per read
	sharedPages = 32   // pages kept: how far apart subscriptions may be and still share reads
)

func newSharedLog(store eventstore.Store) *sharedLog {
	return &sharedLog{Store: store, pages: map[uint64]*logPage{}}
}

// Subscribe implements eventstore.Store.
func (l *sharedLog) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	s := &sharedSub{ch: make(chan eventstore.Event, sharedPage), handed: make(chan struct{})}
	l.mu.Lock()
	l.readers++
	l.mu.Unlock()
	go s.run(ctx, l, after)
	return s, nil
}

// page returns the sharedPage events after the position: from the cache, waiting for a read of
// it already under way, or read now (and kept when full: a full page of the log never changes,
// a short one ends at the head and will grow).
func (l *sharedLog) page(ctx context.Context, after uint64) ([]eventstore.Event, error) {
	l.mu.Lock()
	if p, ok := l.pages[after]; ok {
		l.mu.Unlock()
		select {
		case <-p.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if p.err == nil {
			return p.events, nil
		}
		return l.ReadAll(ctx, after, sharedPage) // the reader's read failed (its context ended, maybe)
	}
	p := &logPage{done: make(chan struct{})}
	l.pages[after] = p
	l.order = append(l.order, after)
	for len(l.pages) > sharedPages && len(l.order) > 0 {
		delete(l.pages, l.order[0])
		l.order = l.order[1:]
	}
	l.mu.Unlock()
	p.events, p.err = l.ReadAll(ctx, after, sharedPage)
	if p.err != nil || len(p.events) < sharedPage {
		l.mu.Lock()
		if l.pages[after] == p {
			delete(l.pages, after)
		}
		l.mu.Unlock()
	}
	close(p.done)
	return p.events, p.err
}

// left is called when a subscription stops reading through the cache.
func (l *sharedLog) left() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.readers--; l.readers == 0 {
		clear(l.pages)
		l.order = nil
	}
}

// sharedSub reads pages through the cache until it reaches the head, then forwards the store's
// subscription.
type sharedSub struct {
	ch  chan eventstore.Event
	err error

	mu     sync.Mutex
	inner  eventstore.HeadWatcher // the store's subscription, once handed over (if it watches)
	handed chan struct{}          // closed at the hand-over
}

func (s *sharedSub) Events() <-chan eventstore.Event { return s.ch }
func (s *sharedSub) Err() error                      { return s.err }

// Head implements eventstore.HeadWatcher: while pages come from the cache the reader is behind
// the head (and says so again at the hand-over); then it is the store's subscription's, whose
// events this one forwards (a consumer compares the head with the events it received, so
// forwarding only makes it wait for them).
func (s *sharedSub) Head() (uint64, bool, <-chan struct{}) {
	s.mu.Lock()
	inner := s.inner
	s.mu.Unlock()
	if inner == nil {
		return 0, false, s.handed
	}
	return inner.Head()
}

var _ eventstore.HeadWatcher = (*sharedSub)(nil)

func (s *sharedSub) run(ctx context.Context, l *sharedLog, after uint64) {
	defer close(s.ch)
	head := false
	for !head {
		events, err := l.page(ctx, after)
		if err != nil {
			if ctx.Err() == nil {
				s.err = err
			}
			l.left()
			return
		}
		for _, e := range events {
			select {
			case s.ch <- e:
				after = e.Position
			case <-ctx.Done():
				l.left()
				return
			}
		}
		head = len(events) < sharedPage
	}
	l.left()
	sub, err := l.Store.Subscribe(ctx, after)
	if err != nil {
		s.err = err
		return
	}
	if w, ok := sub.(eventstore.HeadWatcher); ok {
		s.mu.Lock()
		s.inner = w
		s.mu.Unlock()
	}
	close(s.handed)
	for e := range sub.Events() {
		select {
		case s.ch <- e:
		case <-ctx.Done():
			return
		}
	}
	if ctx.Err() == nil {
		s.err = sub.Err()
	}
}
