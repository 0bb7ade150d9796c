package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Message metadata keys set by LogSubscriber.
const (
	MetaFirst    = "chronicle_first_position"
	MetaLast     = "chronicle_last_position"
	MetaCaughtUp = "chronicle_caught_up"
)

// Feed is what the subscriber needs to know about the consumer of a topic.
type Feed interface {
	// Checkpoint is the position after which to read.
	Checkpoint(ctx context.Context) (uint64, error)
	// Failed is told about a nacked page; it returns whether to park (stop delivering).
	Failed(attempt int) (park bool)
	// Parked blocks until the feed may be resumed (or ctx ends).
	Parked(ctx context.Context)
	// Hold blocks until this process may follow the feed (another process may be following it)
	// and returns a context that ends when that permission is lost or ctx ends; release gives
	// it up. It fails only when ctx ends.
	Hold(ctx context.Context) (held context.Context, release func(), err error)
}

// LogSubscriber is a Watermill message.Subscriber over the event store's global log. Topics
// name feeds; each Subscribe follows the log from that feed's checkpoint.
type LogSubscriber struct {
	store    eventstore.Store
	feeds    func(topic string) (Feed, bool)
	pageSize int
	logger   *slog.Logger
	backoff  func(attempt int) time.Duration

	mu     sync.Mutex
	closed bool
	cancel []context.CancelFunc
	wg     sync.WaitGroup
}

var _ message.Subscriber = (*LogSubscriber)(nil)

// NewLogSubscriber builds the subscriber; feeds resolves a topic to its consumer.
func NewLogSubscriber(store eventstore.Store, feeds func(string) (Feed, bool), pageSize int, logger *slog.Logger) *LogSubscriber {
	return &LogSubscriber{store: store, feeds: feeds, pageSize: pageSize, logger: logger, backoff: Backoff}
}

// fillLinger is how long a page waits for more events before it is handed over.
const fillLinger = 5 * time.Millisecond

// Backoff is exponential from 100 ms, capped at 30 s.
func Backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt-1, 9)
	return min(d, 30*time.Second)
}

// Subscribe implements message.Subscriber.
func (s *LogSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	feed, ok := s.feeds(topic)
	if !ok {
		return nil, fmt.Errorf("log subscriber: no feed for topic %q", topic)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("log subscriber: closed")
	}
	ctx, cancel := context.WithCancel(ctx)
	s.cancel = append(s.cancel, cancel)
	out := make(chan *message.Message)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		if e, ok := feed.(interface{ Ended() }); ok {
			defer e.Ended() // the handler stops when its messages end
		}
		s.run(ctx, topic, feed, out)
	}()
	return out, nil
}

// Close implements message.Subscriber.
func (s *LogSubscriber) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.cancel {
		c()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// run follows the log for one feed while this process holds it.
func (s *LogSubscriber) run(ctx context.Context, topic string, feed Feed, out chan<- *message.Message) {
	for ctx.Err() == nil {
		held, release, err := feed.Hold(ctx)
		if err != nil {
			return
		}
		s.runHeld(held, topic, feed, out)
		release()
		if ctx.Err() == nil {
			s.logger.Warn("projection lease lost; waiting to take it again", "topic", topic)
		}
	}
}

// runHeld follows the log until ctx ends: (re)subscribe from the committed checkpoint, deliver
// pages, and on a nack or a broken subscription start over from the checkpoint after a backoff.
func (s *LogSubscriber) runHeld(ctx context.Context, topic string, feed Feed, out chan<- *message.Message) {
	attempt := 0
	for ctx.Err() == nil {
		failed, err := s.follow(ctx, feed, out)
		if ctx.Err() != nil {
			return
		}
		attempt++
		if failed {
			if feed.Failed(attempt) {
				s.logger.Warn("projection parked", "topic", topic, "attempts", attempt)
				feed.Parked(ctx)
				attempt = 0
				continue
			}
		} else {
			s.logger.Warn("event log subscription broke", "topic", topic, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.backoff(attempt)):
		}
	}
}

// follow delivers pages until a nack (failed = true) or a subscription error.
func (s *LogSubscriber) follow(ctx context.Context, feed Feed, out chan<- *message.Message) (failed bool, err error) {
	after, err := feed.Checkpoint(ctx)
	if err != nil {
		return false, err
	}
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := s.store.Subscribe(subCtx, after)
	if err != nil {
		return false, err
	}
	events := sub.Events()
	for {
		var page []eventstore.Event
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case e, ok := <-events:
			if !ok {
				return false, fmt.Errorf("subscription closed: %w", sub.Err())
			}
			page = append(page, e)
		}
		// Fill the page with what arrives within a moment: the store's reader refills the channel
		// in pages, so a momentarily empty channel does not yet mean we reached the head.
		caughtUp := false
		linger := time.NewTimer(fillLinger)
	fill:
		for len(page) < s.pageSize {
			select {
			case e, ok := <-events:
				if !ok {
					break fill
				}
				page = append(page, e)
			case <-linger.C:
				caughtUp = true
				break fill
			}
		}
		linger.Stop()
		msg := pageMessage(page, caughtUp)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false, ctx.Err()
		}
		select {
		case <-msg.Acked():
		case <-msg.Nacked():
			return true, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

func pageMessage(page []eventstore.Event, caughtUp bool) *message.Message {
	msg := message.NewMessage(uuid.NewString(), encodePage(page))
	msg.Metadata.Set(MetaFirst, strconv.FormatUint(page[0].Position, 10))
	msg.Metadata.Set(MetaLast, strconv.FormatUint(page[len(page)-1].Position, 10))
	if caughtUp {
		msg.Metadata.Set(MetaCaughtUp, "1")
	}
	return msg
}

// decodePage is the inverse of pageMessage.
func decodePage(msg *message.Message) ([]eventstore.Event, error) {
	return decodePageBytes(msg.Payload)
}
