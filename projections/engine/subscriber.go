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
	MetaFirst = "chronicle_first_position"
	MetaLast  = "chronicle_last_position"
	// MetaCaughtUp is "1" on a page whose last event was the last event of the log when the
	// subscription's reader last read to its end (eventstore.HeadWatcher): the page brings its
	// consumer to the head as far as the subscription knows. It is never set on a page with
	// events after it known to the subscription; it may be missing on a page that did reach the
	// head, when the store can not tell (no HeadWatcher) or the page filled up before the reader
	// found nothing after it. The runner shows a projection live by it; rebuilds switch on
	// their own reading of the head.
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
	head, _ := sub.(eventstore.HeadWatcher)
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
		caughtUp, err := fill(ctx, events, head, &page, s.pageSize)
		if err != nil {
			return false, err
		}
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

// fill adds events to the page until it holds pageSize events or reaches the head of the log,
// without a timer: it takes what the channel holds, and when the channel is empty it waits only
// while the subscription's reader is certainly delivering more (the rest of a read it made, or the
// read after a full page). While a page is projected more events queue, so the next page is
// bigger: pages grow with the load. It reports whether the page reached the head (MetaCaughtUp).
// A subscription that is no HeadWatcher gets what its channel holds, never marked caught up.
func fill(ctx context.Context, events <-chan eventstore.Event, head eventstore.HeadWatcher, page *[]eventstore.Event, pageSize int) (caughtUp bool, err error) {
	for len(*page) < pageSize {
		select {
		case e, ok := <-events:
			if !ok {
				return false, nil // the subscription ended; the next receive reports why
			}
			*page = append(*page, e)
			continue
		default:
		}
		if head == nil {
			return false, nil
		}
		pos, atHead, changed := head.Head()
		if atHead && pos <= (*page)[len(*page)-1].Position {
			return true, nil
		}
		select {
		case e, ok := <-events:
			if !ok {
				return false, nil
			}
			*page = append(*page, e)
		case <-changed:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	if head == nil {
		return false, nil
	}
	pos, atHead, _ := head.Head() // a full page may end at the head too
	return atHead && pos <= (*page)[len(*page)-1].Position, nil
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
