package eventstore

import (
	"context"
	"time"
)

// PollingSubscription implements Subscribe for stores whose global log is read with ReadAll:
// it reads pages until it is caught up, then waits for a wake-up (or the poll interval) and reads
// again. Wake may be nil; then only the interval applies.
func PollingSubscription(ctx context.Context, read func(ctx context.Context, after uint64, limit int) ([]Event, error),
	after uint64, wake func() <-chan struct{}, interval time.Duration) Subscription {
	s := &pollingSub{ch: make(chan Event, 256)}
	go s.run(ctx, read, after, wake, interval)
	return s
}

type pollingSub struct {
	ch  chan Event
	err error
}

func (s *pollingSub) Events() <-chan Event { return s.ch }
func (s *pollingSub) Err() error           { return s.err }

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
