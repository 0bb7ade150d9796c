package eventstore

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// memLog is a global log of n events at positions 1..n, read in pages like ReadAll; gate, when
// set for a call number, holds that call until it is closed.
type memLog struct {
	n     uint64
	calls atomic.Int32
	gate  map[int32]chan struct{}
}

func (l *memLog) read(ctx context.Context, after uint64, limit int) ([]Event, error) {
	if g := l.gate[l.calls.Add(1)]; g != nil {
		select {
		case <-g:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var out []Event
	for p := after + 1; p <= l.n && len(out) < limit; p++ {
		out = append(out, Event{Position: p})
	}
	return out, nil
}

func receiveN(t *testing.T, sub Subscription, n int) uint64 {
	t.Helper()
	var last uint64
	for range n {
		select {
		case e := <-sub.Events():
			last = e.Position
		case <-time.After(10 * time.Second):
			t.Fatalf("an event did not arrive after %d", last)
		}
	}
	return last
}

// waitAtHead waits until the subscription reports the head.
func waitAtHead(t *testing.T, hw HeadWatcher) uint64 {
	t.Helper()
	for {
		head, atHead, changed := hw.Head()
		if atHead {
			return head
		}
		select {
		case <-changed:
		case <-time.After(10 * time.Second):
			t.Fatal("the subscription never reported the head")
		}
	}
}

func TestPollingSubscriptionReportsTheHead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// 600 events: a full page of 512, then a read (held) that finds the other 88.
	held := make(chan struct{})
	log := &memLog{n: 600, gate: map[int32]chan struct{}{2: held}}
	hw := PollingSubscription(ctx, log.read, 0, nil, time.Hour).(HeadWatcher)
	sub := hw.(Subscription)
	if last := receiveN(t, sub, 512); last != 512 {
		t.Fatalf("first page ended at %d", last)
	}
	_, atHead, changed := hw.Head()
	if atHead {
		t.Fatal("at the head after a full page, while the next read is still running")
	}
	close(held)
	if last := receiveN(t, sub, 88); last != 600 {
		t.Fatalf("second page ended at %d", last)
	}
	if head, atHead, _ := hw.Head(); !atHead || head != 600 {
		t.Fatalf("Head() = %d, %v after the last event; want 600, true", head, atHead)
	}
	select {
	case <-changed:
	default:
		t.Fatal("the change was not signalled")
	}

	// Exactly a full page: the head is known only after the empty read that follows it.
	log = &memLog{n: 512}
	hw = PollingSubscription(ctx, log.read, 0, nil, time.Hour).(HeadWatcher)
	receiveN(t, hw.(Subscription), 512)
	if head := waitAtHead(t, hw); head != 512 {
		t.Fatalf("head %d, want 512", head)
	}

	// Subscribed at the head: an empty read reports the position subscribed after.
	hw = PollingSubscription(ctx, log.read, 512, nil, time.Hour).(HeadWatcher)
	if head := waitAtHead(t, hw); head != 512 {
		t.Fatalf("head %d, want 512", head)
	}
}
