package esdb

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Subscribe starts a catch-up subscription to $all after the position. The server filters out
// system event types; the adapter also drops events of system streams and anything at or
// before the position, so delivery is exactly what ReadAll would return, then live events.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	out, err := do(ctx, s, func(start context.Context, client *esdb.Client) (*subscription, error) {
		// The subscription outlives its start: its context is the caller's, ended by Close too.
		subCtx, cancel := context.WithCancel(ctx)
		stopOnClose := context.AfterFunc(s.life, cancel)
		sub, err := client.SubscribeToAll(subCtx, esdb.SubscribeToAllOptions{
			From:   allFrom(after),
			Filter: esdb.ExcludeSystemEventsFilter(),
		})
		if err != nil {
			stopOnClose()
			cancel()
			return nil, err
		}
		// Counted only now that it runs: Close waits for running subscriptions, which end
		// with their context, never for one that is still starting.
		s.mu.Lock()
		if s.closed || start.Err() != nil { // closed, or the caller stopped waiting
			s.mu.Unlock()
			_ = sub.Close()
			stopOnClose()
			cancel()
			return nil, ErrClosed
		}
		s.subs.Add(1)
		s.mu.Unlock()
		out := &subscription{ch: make(chan eventstore.Event, 256)}
		go func() {
			defer s.subs.Done()
			defer cancel()
			defer stopOnClose()
			out.run(subCtx, ctx, s.life, sub, after)
		}()
		return out, nil
	})
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return nil, err
		}
		return nil, fmt.Errorf("esdb: subscribe to $all after %d: %w", after, err)
	}
	return out, nil
}

type subscription struct {
	ch  chan eventstore.Event
	mu  sync.Mutex
	err error
}

func (s *subscription) Events() <-chan eventstore.Event { return s.ch }

func (s *subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// run delivers events until the subscription's context ends (the caller's, or the store's at
// Close) or the subscription drops, then records why and closes the channel.
func (s *subscription) run(ctx, caller, store context.Context, sub *esdb.Subscription, after uint64) {
	defer close(s.ch)
	defer func() { _ = sub.Close() }()
	for {
		ev := sub.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			s.finish(caller, store, fmt.Errorf("esdb: subscription to $all dropped after %d: %w", after, ev.SubscriptionDropped.Error))
			return
		case ev.EventAppeared != nil:
			r := ev.EventAppeared
			pos := position(r)
			if !isAfter(pos, after) || systemEvent(r) {
				continue
			}
			e, err := fromResolved(r)
			if err != nil {
				// Skipping would break the promise that every event is delivered.
				s.finish(caller, store, fmt.Errorf("esdb: subscription to $all after %d: %w", after, err))
				return
			}
			select {
			case s.ch <- e:
				after = pos
			case <-ctx.Done():
				s.finish(caller, store, nil)
				return
			}
		}
		// Checkpoints, caught-up and fell-behind notices carry nothing to deliver.
	}
}

// finish records why the subscription ended: nothing when the caller's context ended,
// ErrClosed when the store was closed, otherwise the given error.
func (s *subscription) finish(caller, store context.Context, err error) {
	switch {
	case caller.Err() != nil:
		err = nil
	case store.Err() != nil:
		err = ErrClosed
	}
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}
