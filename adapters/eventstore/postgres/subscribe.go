package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Subscribe delivers the events after the position: those stored, then new ones as they commit.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	return eventstore.PollingSubscription(ctx, s.ReadAll, after, s.wake, pollInterval), nil
}

// wake is the subscriptions' wake-up source; the first call starts the listener.
func (s *Store) wake() <-chan struct{} {
	s.mu.Lock()
	if !s.listening && !s.closed {
		s.listening = true
		s.wg.Add(1)
		go s.listen()
	}
	s.mu.Unlock()
	return s.notifier.Wait()
}

// listen keeps one LISTEN connection open until Close, reconnecting with backoff.
func (s *Store) listen() {
	defer s.wg.Done()
	ctx := s.listenCtx
	backoff := 100 * time.Millisecond
	for {
		listened := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		// Notifications may have been lost while disconnected; let the readers look.
		s.notifier.Notify()
		if listened {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenOnce runs one listening connection until it fails; it reports whether LISTEN succeeded.
// The error itself is not kept: the poll interval covers the outage and the next connection
// attempt reports nothing new to a caller that could act on it.
func (s *Store) listenOnce(ctx context.Context) (listened bool) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(c)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return false
	}
	// Commits between the subscriptions' last read and LISTEN taking effect sent no
	// notification to us: wake the readers once now (and trust no head known before).
	s.tail.listening(true)
	defer s.tail.listening(false)
	s.notifier.Notify()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		// The payload is "<last position> <token of the appending Store>".
		last, from, _ := strings.Cut(n.Payload, " ")
		pos, err := strconv.ParseUint(last, 10, 64)
		if err != nil {
			s.tail.listening(true) // not ours to parse: know nothing until the next read
			s.notifier.Notify()
			continue
		}
		s.tail.notified(pos)
		if from != s.token {
			// A local append wakes the readers itself, once its events are in the tail: woken
			// by its own notification first, they would query the table for nothing.
			s.notifier.Notify()
		}
	}
}
