package postgres

import (
	"context"
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
	// notification to us: wake the readers once now.
	s.notifier.Notify()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true
		}
		s.notifier.Notify()
	}
}
