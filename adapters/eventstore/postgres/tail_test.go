package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
)

func tailEvents(positions ...uint64) []eventstore.Event {
	out := make([]eventstore.Event, len(positions))
	for i, p := range positions {
		out[i] = eventstore.Event{Position: p}
	}
	return out
}

func positionsOf(events []eventstore.Event) []uint64 {
	out := []uint64{}
	for _, e := range events {
		out = append(out, e.Position)
	}
	return out
}

// The tail answers only what it can prove: segments chained from the position that fill the page
// or reach the highest position known committed, while the listener is up and a database read of
// this connection has been made within the poll interval.
func TestTailAnswersOnlyWhatItCanProve(t *testing.T) {
	now := time.Now()
	tl := newTail()
	tl.appended(10, tailEvents(11, 12))
	tl.appended(12, tailEvents(14)) // 13 was a rolled-back insert
	if _, ok := tl.read(10, 100, now); ok {
		t.Fatal("answered before the listener was up")
	}
	tl.listening(true)
	if _, ok := tl.read(10, 100, now); ok {
		t.Fatal("answered before a database read since the listener connected")
	}
	epoch := tl.readStarts()
	tl.dbRead(epoch, true, 14, now)
	cases := []struct {
		after uint64
		limit int
		want  []uint64
		ok    bool
	}{
		{10, 100, []uint64{11, 12, 14}, true},
		{10, 2, []uint64{11, 12}, true},
		{11, 100, nil, false}, // no segment follows 11
		{12, 100, []uint64{14}, true},
		{14, 100, []uint64{}, true}, // at the head
		{9, 100, nil, false},
	}
	for _, c := range cases {
		got, ok := tl.read(c.after, c.limit, now)
		if ok != c.ok || ok && !reflect.DeepEqual(positionsOf(got), c.want) {
			t.Errorf("read(%d, %d) = %v, %v; want %v, %v", c.after, c.limit, positionsOf(got), ok, c.want, c.ok)
		}
	}
	tl.notified(20) // another process committed up to 20
	if got, ok := tl.read(12, 100, now); ok {
		t.Fatalf("answered %v although events up to 20 exist beyond the segments", positionsOf(got))
	}
	if got, ok := tl.read(10, 2, now); !ok || !reflect.DeepEqual(positionsOf(got), []uint64{11, 12}) {
		t.Fatalf("a full page from memory = %v, %v", positionsOf(got), ok)
	}
	if _, ok := tl.read(14, 100, now.Add(pollInterval)); ok {
		t.Fatal("answered without a database read for a poll interval")
	}
	// A read that began before the listener reconnected does not vouch for the head.
	epoch = tl.readStarts()
	tl.listening(false)
	tl.listening(true)
	tl.dbRead(epoch, true, 20, now)
	if _, ok := tl.read(20, 100, now); ok {
		t.Fatal("trusted a read from before the reconnection")
	}
	tl.dbRead(tl.readStarts(), true, 20, now)
	if got, ok := tl.read(20, 100, now); !ok || len(got) != 0 {
		t.Fatalf("at the head after a fresh read = %v, %v", positionsOf(got), ok)
	}
	for i := range tailSegments + 10 {
		tl.appended(uint64(100+i), tailEvents(uint64(101+i)))
	}
	if len(tl.segs) != tailSegments || len(tl.order) != tailSegments {
		t.Fatalf("the tail holds %d segments, want %d", len(tl.segs), tailSegments)
	}
	// Bulk appends (thousands of events a transaction) are bounded by their events.
	next := uint64(100 + tailSegments + 10)
	for range 5 {
		big := make([]uint64, 3000)
		for i := range big {
			big[i] = next + 1 + uint64(i)
		}
		tl.appended(next, tailEvents(big...))
		next += 3000
	}
	if n := len(tl.segs); n != 1 || tl.events != 3000 || len(tl.order) != 1 {
		t.Fatalf("after bulk appends the tail holds %d segments, %d events", n, tl.events)
	}
	if got, ok := tl.read(next-3000, 10, now); !ok || len(got) != 10 || got[0].Position != next-2999 {
		t.Fatalf("read of the last bulk append = %v, %v", positionsOf(got), ok)
	}
}

// Subscriptions of two processes appending concurrently to one log each deliver every event
// once, in position order, exactly as the database returns them (payloads as jsonb prints them,
// times in UTC to the microsecond), and the local ones mostly from memory.
func TestTailDeliversWhatTheDatabaseHolds(t *testing.T) {
	a, u := openStore(t)
	ctx := testCtx(t)
	b, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	const writers, each = 4, 25
	total := 2 * writers * each
	subscribe := func(s *Store) <-chan []eventstore.Event {
		sub, err := s.Subscribe(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := make(chan []eventstore.Event, 1)
		go func() {
			var got []eventstore.Event
			timeout := time.After(30 * time.Second)
			for len(got) < total {
				select {
				case e := <-sub.Events():
					got = append(got, e)
				case <-timeout:
					out <- got
					return
				}
			}
			out <- got
		}()
		return out
	}
	gotA, gotB := subscribe(a), subscribe(b)
	time.Sleep(200 * time.Millisecond) // the listeners connect
	readsBefore := a.logReads.Load()
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b} {
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					// Spacing and key order jsonb normalises, a character it escapes, and an
					// occurred-at with nanoseconds in another zone.
					e := eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "tail.test.v1",
						OccurredAt: time.Now().In(time.FixedZone("CST", 8*3600)),
						Data:       json.RawMessage(fmt.Sprintf(`{ "z" : %d,  "a":"线索\u0041 %d" }`, i, w)),
						Metadata:   eventstoretest.Event("x.v1", 0).Metadata}
					if _, err := s.Append(ctx, eventstoretest.NewStream("tail"), eventstore.NoStream, []eventstore.EventData{e}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	viaTail, err := b.ReadAll(context.Background(), 0, 10*total)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Open(ctx, u) // no tail: every read from the database
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	want, err := fresh.ReadAll(ctx, 0, 10*total)
	if err != nil || len(want) != total {
		t.Fatalf("the database holds %d events (%v), want %d", len(want), err, total)
	}
	if !reflect.DeepEqual(viaTail, want) {
		t.Fatal("a read through the store that kept the tail differs from a read from the database")
	}
	for name, ch := range map[string]<-chan []eventstore.Event{"a": gotA, "b": gotB} {
		got := <-ch
		if len(got) != total {
			t.Fatalf("subscription of %s delivered %d events, want %d", name, len(got), total)
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("subscription of %s, event %d:\n got %+v\nwant %+v", name, i, got[i], want[i])
			}
		}
	}
	if reads := a.logReads.Load() - readsBefore; reads >= int64(writers*each) {
		t.Fatalf("process a queried the log %d times for its %d appends: the tail was not used", reads, writers*each)
	}
}
