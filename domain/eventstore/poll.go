package eventstore

import (
	"context"
	"sync"
	"time"
)

// PollingSubscription implements Subscribe for stores whose global log is read with ReadAll:
// it reads pages until it is caught up, then waits for a wake-up (or the poll interval) and reads
// again. Wake may be nil; then only the interval applies. The subscription is a HeadWatcher: a
// read that returns less than a full page has reached the end of the log.
func PollingSubscription(ctx context.Context, read func(ctx context.Context, after uint64, limit int) ([]Event, error),
	after uint64, wake func() <-chan struct{}, interval time.Duration) Subscription {
	s := &pollingSub{ch: make(chan Event, 256)}
	go s.run(ctx, read, after, wake, interval)
	return s
}

type pollingSub struct {
	ch  chan Event
	err error

	mu      sync.Mutex
	head    uint64
	atHead  bool
	changed chan struct{} // closed at the next change of head or atHead; nil until asked for
}

func (s *pollingSub) Events() <-chan Event { return s.ch }
func (s *pollingSub) Err() error           { return s.err }

// Head implements HeadWatcher.
func (s *pollingSub) Head() (uint64, bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.head, s.atHead, s.changed
}

// setHead records the outcome of a read. It is called before the read's events are sent, so a
// consumer that received an event also sees the head of the read that found it (or a later one).
func (s *pollingSub) setHead(head uint64, atHead bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if head == s.head && atHead == s.atHead {
		return
	}
	s.head, s.atHead = head, atHead
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

func (s *pollingSub) run(ctx context.Context, read func(context.Context, uint64, int) ([]Event, error),
	after uint64, wake func() <-chan struct{}, interval time.Duration) {
	defer close(s.ch)
	const page = 512
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		// Ask for the wake-up channel before reading so a commit between the read and the wait
		// is not missed.
		var w <-chan struct{}
		if wake != nil {
			w = wake()
		}
		events, err := read(ctx, after, page)
		if err != nil {
			if ctx.Err() == nil {
				s.err = err
			}
			return
		}
		if len(events) < page {
			head := after
			if len(events) > 0 {
				head = events[len(events)-1].Position
			}
			s.setHead(head, true)
		} else {
			s.setHead(0, false)
		}
		for _, e := range events {
			select {
			case s.ch <- e:
				after = e.Position
			case <-ctx.Done():
				return
			}
		}
		if len(events) == page {
			continue
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(interval)
		select {
		case <-ctx.Done():
			return
		case <-w:
		case <-timer.C:
		}
	}
}
