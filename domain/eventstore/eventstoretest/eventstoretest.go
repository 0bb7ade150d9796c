// Package eventstoretest is the contract suite every eventstore.Store adapter runs.
//
// An adapter's test is a few lines:
//
//	func TestContract(t *testing.T) {
//		eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return newStore(t) })
//	}
//
// The factory may return the same store for every call (for a server shared by parallel
// subtests): every test writes to fresh streams and only reads positions it has learned.
package eventstoretest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Factory returns a store for one test; it registers its own cleanup.
type Factory func(t *testing.T) eventstore.Store

// Run runs the whole contract against the adapter built by newStore.
func Run(t *testing.T, newStore Factory) {
	t.Run("AppendLoadRoundTrip", func(t *testing.T) { t.Parallel(); testRoundTrip(t, newStore(t)) })
	t.Run("ExpectedVersion", func(t *testing.T) { t.Parallel(); testExpectedVersion(t, newStore(t)) })
	t.Run("RacingWriters", func(t *testing.T) { t.Parallel(); testRacingWriters(t, newStore(t)) })
	t.Run("GlobalOrder", func(t *testing.T) { t.Parallel(); testGlobalOrder(t, newStore(t)) })
	t.Run("LoadOptions", func(t *testing.T) { t.Parallel(); testLoadOptions(t, newStore(t)) })
	t.Run("CatchUpSubscription", func(t *testing.T) { t.Parallel(); testSubscribe(t, newStore(t)) })
	t.Run("InvalidAppend", func(t *testing.T) { t.Parallel(); testInvalid(t, newStore(t)) })
	t.Run("AppendEach", func(t *testing.T) { t.Parallel(); testAppendEach(t, newStore(t)) })
	t.Run("AppendTooLarge", func(t *testing.T) { t.Parallel(); testTooLarge(t, newStore(t)) })
	t.Run("ReadPositions", func(t *testing.T) { t.Parallel(); testReadPositions(t, newStore(t)) })
	t.Run("ConcurrentAppends", func(t *testing.T) { t.Parallel(); testConcurrentAppends(t, newStore(t)) })
}

// NewStream returns a fresh stream id of the given kind.
func NewStream(kind string) string { return kind + "-" + uuid.Must(uuid.NewV7()).String() }

// Event builds an event with a JSON body and full metadata.
func Event(typ string, body any) eventstore.EventData {
	data, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return eventstore.EventData{
		ID:         uuid.Must(uuid.NewV7()),
		Type:       typ,
		OccurredAt: time.Now().UTC().Truncate(time.Microsecond),
		Data:       data,
		Metadata: eventstore.Metadata{
			ActorID: uuid.NewString(), ActorName: "张伟", CorrelationID: uuid.NewString(),
			CausationID: uuid.NewString(), Command: "test.command", RequestID: "req-1", ClientAddr: "127.0.0.1",
		},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func testRoundTrip(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	stream := NewStream("lead")
	in := []eventstore.EventData{
		Event("lead.created.v1", map[string]any{"name": "王小明", "company": "北京星河科技有限公司", "n": 1}),
		Event("lead.updated.v1", map[string]any{"remark": "客户希望下周回访 — ✓ emoji 😀"}),
	}
	res, err := s.Append(c, stream, eventstore.NoStream, in)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if res.Version != 2 || res.Position == 0 {
		t.Fatalf("append result = %+v, want version 2 and a position", res)
	}
	out, err := s.Load(c, stream, eventstore.LoadOptions{})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if len(out) != len(in) {
		t.Fatalf("loaded %d events, want %d", len(out), len(in))
	}
	for i, e := range out {
		want := in[i]
		if e.ID != want.ID || e.Type != want.Type || e.StreamID != stream || e.Version != int64(i+1) {
			t.Errorf("event %d = %s %s %s v%d, want %s %s %s v%d", i, e.ID, e.Type, e.StreamID, e.Version, want.ID, want.Type, stream, i+1)
		}
		if !jsonEqual(t, e.Data, want.Data) {
			t.Errorf("event %d data = %s, want %s", i, e.Data, want.Data)
		}
		if e.Metadata != want.Metadata {
			t.Errorf("event %d metadata = %+v, want %+v", i, e.Metadata, want.Metadata)
		}
		if !e.OccurredAt.Equal(want.OccurredAt) {
			t.Errorf("event %d occurredAt = %v, want %v", i, e.OccurredAt, want.OccurredAt)
		}
	}
	if out[0].Position >= out[1].Position || out[1].Position != res.Position {
		t.Errorf("positions %d, %d; append said last is %d", out[0].Position, out[1].Position, res.Position)
	}
	missing, err := s.Load(c, NewStream("lead"), eventstore.LoadOptions{})
	if err != nil || len(missing) != 0 {
		t.Errorf("load of a missing stream = %d events, %v; want none, nil", len(missing), err)
	}
}

func testExpectedVersion(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	stream := NewStream("lead")
	if _, err := s.Append(c, stream, 1, []eventstore.EventData{Event("x.v1", 1)}); !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("append at version 1 to a missing stream: err = %v, want ErrConcurrency", err)
	}
	if _, err := s.Append(c, stream, eventstore.NoStream, []eventstore.EventData{Event("x.v1", 1)}); err != nil {
		t.Fatalf("first append: %v", err)
	}
	if _, err := s.Append(c, stream, eventstore.NoStream, []eventstore.EventData{Event("x.v1", 2)}); !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("append expecting no stream to an existing one: err = %v, want ErrConcurrency", err)
	}
	if _, err := s.Append(c, stream, 5, []eventstore.EventData{Event("x.v1", 3)}); !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("append at a future version: err = %v, want ErrConcurrency", err)
	}
	res, err := s.Append(c, stream, 1, []eventstore.EventData{Event("x.v1", 4), Event("x.v1", 5)})
	if err != nil || res.Version != 3 {
		t.Fatalf("append at version 1 = %+v, %v; want version 3", res, err)
	}
	out, err := s.Load(c, stream, eventstore.LoadOptions{})
	if err != nil || len(out) != 3 {
		t.Fatalf("load = %d events, %v; the refused appends must write nothing", len(out), err)
	}
}

func testRacingWriters(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	stream := NewStream("lead")
	if _, err := s.Append(c, stream, eventstore.NoStream, []eventstore.EventData{Event("lead.created.v1", 0)}); err != nil {
		t.Fatal(err)
	}
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.Append(c, stream, 1, []eventstore.EventData{Event("lead.claimed.v1", map[string]int{"writer": i})})
		}()
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, eventstore.ErrConcurrency):
			t.Errorf("writer %d: %v, want nil or ErrConcurrency", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins)
	}
	out, err := s.Load(c, stream, eventstore.LoadOptions{})
	if err != nil || len(out) != 2 {
		t.Fatalf("stream holds %d events (%v), want 2", len(out), err)
	}
}

func testGlobalOrder(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	first, err := s.Head(c)
	if err != nil {
		t.Fatal(err)
	}
	streams := []string{NewStream("lead"), NewStream("customer"), NewStream("lead")}
	mine := map[uuid.UUID]bool{}
	var last uint64
	for round := range 3 {
		for _, st := range streams {
			e := Event("order.v1", map[string]int{"round": round})
			mine[e.ID] = true
			res, err := s.Append(c, st, int64(round), []eventstore.EventData{e})
			if err != nil {
				t.Fatal(err)
			}
			if res.Position <= last {
				t.Fatalf("position %d after %d: not increasing", res.Position, last)
			}
			last = res.Position
		}
	}
	head, err := s.Head(c)
	if err != nil || head < last {
		t.Fatalf("head = %d (%v), want >= %d", head, err, last)
	}
	// Read the log in small pages from before our first event and check our nine arrive in order.
	seen, prev, after := 0, uint64(0), first
	for seen < len(mine) {
		page, err := s.ReadAll(c, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			t.Fatalf("log ended after %d of our events", seen)
		}
		for _, e := range page {
			if e.Position <= prev {
				t.Fatalf("ReadAll returned position %d after %d", e.Position, prev)
			}
			prev, after = e.Position, e.Position
			if mine[e.ID] {
				seen++
			}
		}
	}
}

func testLoadOptions(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	stream := NewStream("lead")
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var in []eventstore.EventData
	for i := range 4 {
		e := Event("step.v1", i)
		e.OccurredAt = base.Add(time.Duration(i) * time.Hour)
		in = append(in, e)
	}
	if _, err := s.Append(c, stream, 0, in); err != nil {
		t.Fatal(err)
	}
	from, err := s.Load(c, stream, eventstore.LoadOptions{FromVersion: 3})
	if err != nil || len(from) != 2 || from[0].Version != 3 {
		t.Fatalf("load from version 3 = %d events (%v)", len(from), err)
	}
	until, err := s.Load(c, stream, eventstore.LoadOptions{Until: base.Add(time.Hour)})
	if err != nil || len(until) != 2 || until[1].Version != 2 {
		t.Fatalf("load until +1h = %d events (%v), want versions 1-2", len(until), err)
	}
}

func testSubscribe(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	stream := NewStream("lead")
	res, err := s.Append(c, stream, 0, []eventstore.EventData{Event("a.v1", 1), Event("a.v1", 2)})
	if err != nil {
		t.Fatal(err)
	}
	events, err := s.Load(c, stream, eventstore.LoadOptions{})
	if err != nil || len(events) != 2 {
		t.Fatalf("load = %d events, %v", len(events), err)
	}
	from := events[0].Position // start between our two events: catch-up must deliver the second
	sc, cancel := context.WithCancel(c)
	defer cancel()
	sub, err := s.Subscribe(sc, from)
	if err != nil {
		t.Fatal(err)
	}
	live := Event("a.v1", 3)
	want := []uuid.UUID{events[1].ID, live.ID}
	appended := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, err := s.Append(c, stream, res.Version, []eventstore.EventData{live})
		appended <- err
	}()
	// The append's answer is awaited before the test ends (and its context with it): the
	// subscription may deliver the event before the client has read the append's reply.
	defer func() {
		if err := <-appended; err != nil {
			t.Errorf("live append: %v", err)
		}
	}()
	prev := from
	for len(want) > 0 {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				t.Fatalf("subscription closed: %v", sub.Err())
			}
			if e.Position <= prev {
				t.Fatalf("subscription delivered position %d after %d", e.Position, prev)
			}
			prev = e.Position
			if e.StreamID != stream {
				continue // other tests share the store
			}
			if e.ID != want[0] {
				t.Fatalf("delivered %s (%s v%d), want %s", e.ID, e.Type, e.Version, want[0])
			}
			want = want[1:]
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out waiting for %d events", len(want))
		}
	}
	cancel()
	for range sub.Events() { // drains and must close after cancellation
	}
	if err := sub.Err(); err != nil {
		t.Fatalf("err after cancel = %v", err)
	}
}

func testInvalid(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	bad := Event("x.v1", 1)
	bad.Data = json.RawMessage("{not json")
	cases := map[string][]eventstore.EventData{
		"no events": nil,
		"bad json":  {bad},
		"no id":     {func() eventstore.EventData { e := Event("x.v1", 1); e.ID = uuid.Nil; return e }()},
		"no type":   {func() eventstore.EventData { e := Event("", 1); return e }()},
	}
	for name, events := range cases {
		stream := NewStream("lead")
		if _, err := s.Append(c, stream, 0, events); !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Errorf("%s: err = %v, want ErrInvalidEvent", name, err)
		}
		if out, _ := s.Load(c, stream, eventstore.LoadOptions{}); len(out) != 0 {
			t.Errorf("%s: %d events written", name, len(out))
		}
	}
}

// sized is an event whose AppendSize is exactly size bytes.
func sized(size int) eventstore.EventData {
	e := Event("x.v1", "")
	pad := size - eventstore.AppendSize([]eventstore.EventData{e})
	if pad < 0 {
		panic("eventstoretest: size below an empty event's")
	}
	e.Data = json.RawMessage(`"` + strings.Repeat("x", pad) + `"`)
	return e
}

// testTooLarge: an append over eventstore.MaxAppendSize is refused with ErrAppendTooLarge (an
// ErrInvalidEvent) and writes nothing, on every engine; one just under it is stored.
func testTooLarge(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	half := eventstore.MaxAppendSize / 2
	cases := map[string][]eventstore.EventData{
		"one event over":     {sized(eventstore.MaxAppendSize + 1)},
		"two events over":    {sized(half), sized(half + 1)},
		"many small events":  slicesOf(sized(eventstore.MaxAppendSize/64+1), 64),
		"far over the limit": {sized(3 * eventstore.MaxAppendSize)},
	}
	for name, events := range cases {
		stream := NewStream("lead")
		_, err := s.Append(c, stream, 0, events)
		if !errors.Is(err, eventstore.ErrAppendTooLarge) || !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Errorf("%s: err = %v, want ErrAppendTooLarge (an ErrInvalidEvent)", name, err)
		}
		if out, _ := s.Load(c, stream, eventstore.LoadOptions{}); len(out) != 0 {
			t.Errorf("%s: %d events written", name, len(out))
		}
	}

	// Just under the limit, with room for the engine's encoding of the metadata.
	stream := NewStream("lead")
	fits := sized(eventstore.MaxAppendSize - 4096)
	if _, err := s.Append(c, stream, 0, []eventstore.EventData{fits}); err != nil {
		t.Fatalf("append of %d bytes: %v", eventstore.AppendSize([]eventstore.EventData{fits}), err)
	}
	out, err := s.Load(c, stream, eventstore.LoadOptions{})
	if err != nil || len(out) != 1 || len(out[0].Data) != len(fits.Data) {
		t.Errorf("load of the large event = %d events, %v", len(out), err)
	}

	// In AppendEach the large element fails alone.
	big, small := NewStream("lead"), NewStream("lead")
	outcomes, err := s.AppendEach(c, []eventstore.StreamAppend{
		{Stream: big, Events: []eventstore.EventData{sized(eventstore.MaxAppendSize + 1)}},
		{Stream: small, Events: []eventstore.EventData{Event("x.v1", 1)}},
	})
	if err != nil || len(outcomes) != 2 {
		t.Fatalf("append each = %v, %v", outcomes, err)
	}
	if !errors.Is(outcomes[0].Err, eventstore.ErrAppendTooLarge) || outcomes[1].Err != nil {
		t.Errorf("outcomes = %v, %v; want ErrAppendTooLarge, then written", outcomes[0].Err, outcomes[1].Err)
	}
	if out, _ := s.Load(c, big, eventstore.LoadOptions{}); len(out) != 0 {
		t.Errorf("%d events of the large element written", len(out))
	}
}

func slicesOf(e eventstore.EventData, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = e
		out[i].ID = uuid.Must(uuid.NewV7())
	}
	return out
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("stored data is not JSON: %v", err)
	}
	_ = json.Unmarshal(b, &y)
	return fmt.Sprint(x) == fmt.Sprint(y)
}

func testAppendEach(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	existing := NewStream("customer")
	if _, err := s.Append(c, existing, eventstore.NoStream, []eventstore.EventData{Event("customer.created.v1", 1)}); err != nil {
		t.Fatal(err)
	}
	fresh, other := NewStream("customer"), NewStream("customer")
	head, err := s.Head(c)
	if err != nil {
		t.Fatal(err)
	}
	appends := []eventstore.StreamAppend{
		{Stream: fresh, ExpectedVersion: eventstore.NoStream, Events: []eventstore.EventData{Event("customer.created.v1", 2), Event("customer.locked.v1", 3)}},
		{Stream: existing, ExpectedVersion: eventstore.NoStream, Events: []eventstore.EventData{Event("customer.created.v1", 4)}},
		{Stream: other, ExpectedVersion: eventstore.NoStream, Events: nil},
		{Stream: fresh, ExpectedVersion: 2, Events: []eventstore.EventData{Event("customer.unlocked.v1", 5)}},
		{Stream: existing, ExpectedVersion: 1, Events: []eventstore.EventData{Event("customer.updated.v1", 6)}},
		{Stream: fresh, ExpectedVersion: 2, Events: []eventstore.EventData{Event("customer.updated.v1", 7)}},
	}
	out, err := s.AppendEach(c, appends)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(appends) {
		t.Fatalf("%d outcomes for %d appends", len(out), len(appends))
	}
	want := []struct {
		err     error
		version int64
	}{{nil, 2}, {eventstore.ErrConcurrency, 0}, {eventstore.ErrInvalidEvent, 0}, {nil, 3}, {nil, 2}, {eventstore.ErrConcurrency, 0}}
	var last uint64
	for i, w := range want {
		o := out[i]
		if w.err == nil {
			if o.Err != nil || o.Version != w.version || o.Position <= last {
				t.Errorf("append %d: %+v, want version %d at a position after %d", i, o, w.version, last)
			}
			last = o.Position
		} else if !errors.Is(o.Err, w.err) {
			t.Errorf("append %d: err = %v, want %v", i, o.Err, w.err)
		}
	}
	got := map[string][]string{}
	for _, stream := range []string{fresh, existing, other} {
		events, err := s.Load(c, stream, eventstore.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			got[stream] = append(got[stream], fmt.Sprintf("%d:%s:%s", e.Version, e.Type, e.Data))
		}
	}
	if fmt.Sprint(got[fresh]) != "[1:customer.created.v1:2 2:customer.locked.v1:3 3:customer.unlocked.v1:5]" ||
		fmt.Sprint(got[existing]) != "[1:customer.created.v1:1 2:customer.updated.v1:6]" || len(got[other]) != 0 {
		t.Fatalf("streams after AppendEach: %v", got)
	}
	// The global log holds the written elements in input order.
	all, err := s.ReadAll(c, head, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range all {
		if e.StreamID == fresh || e.StreamID == existing {
			order = append(order, string(e.Data))
		}
	}
	if fmt.Sprint(order) != "[2 3 5 6]" {
		t.Fatalf("global order of the call's events = %v, want [2 3 5 6]", order)
	}
	// Positions follow input order across streams too.
	x, y := NewStream("lead"), NewStream("lead")
	out, err = s.AppendEach(c, []eventstore.StreamAppend{
		{Stream: x, Events: []eventstore.EventData{Event("x.v1", 1)}},
		{Stream: y, Events: []eventstore.EventData{Event("x.v1", 2)}},
		{Stream: x, ExpectedVersion: 1, Events: []eventstore.EventData{Event("x.v1", 3)}},
	})
	if err != nil || len(out) != 3 {
		t.Fatalf("interleaved streams: %+v, %v", out, err)
	}
	for i, o := range out {
		if o.Err != nil || i > 0 && o.Position <= out[i-1].Position {
			t.Fatalf("interleaved streams: outcomes %+v; want all written, positions in input order", out)
		}
	}
	// A call that writes nothing is no error.
	out, err = s.AppendEach(c, []eventstore.StreamAppend{{Stream: existing, ExpectedVersion: 7, Events: []eventstore.EventData{Event("x.v1", 0)}}})
	if err != nil || len(out) != 1 || !errors.Is(out[0].Err, eventstore.ErrConcurrency) {
		t.Fatalf("refused-only call = %+v, %v", out, err)
	}
}

// TestAppendEachReusedID checks what stores that write AppendEach in one transaction must do when
// the database refuses one element for an event id stored already: the other elements are
// written, that one fails with ErrConcurrency. (EventStoreDB checks ids per stream only, so this is
// not part of Run.)
func TestAppendEachReusedID(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	first := Event("lead.created.v1", 1)
	if _, err := s.Append(c, NewStream("lead"), eventstore.NoStream, []eventstore.EventData{first}); err != nil {
		t.Fatal(err)
	}
	a, b, d := NewStream("lead"), NewStream("lead"), NewStream("lead")
	out, err := s.AppendEach(c, []eventstore.StreamAppend{
		{Stream: a, Events: []eventstore.EventData{Event("lead.created.v1", 2)}},
		{Stream: b, Events: []eventstore.EventData{first}},
		{Stream: d, Events: []eventstore.EventData{Event("lead.created.v1", 3)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Err != nil || out[2].Err != nil || !errors.Is(out[1].Err, eventstore.ErrConcurrency) {
		t.Fatalf("outcomes = %+v", out)
	}
	for stream, n := range map[string]int{a: 1, b: 0, d: 1} {
		if events, err := s.Load(c, stream, eventstore.LoadOptions{}); err != nil || len(events) != n {
			t.Errorf("%s holds %d events (%v), want %d", stream, len(events), err, n)
		}
	}
}

// testReadPositions: the events at the positions asked for come back whole (as Load gives them),
// each once and in position order, whatever the order and repetitions of the request; positions
// that hold no event are left out.
func testReadPositions(t *testing.T, s eventstore.Store) {
	c := ctx(t)
	streams := []string{NewStream("lead"), NewStream("customer"), NewStream("user")}
	var all []eventstore.Event // ours, in position order
	for round := range 3 {
		for i, st := range streams {
			events := []eventstore.EventData{Event("step.v1", map[string]any{"round": round, "stream": i, "名": "王小明"})}
			if i == 0 {
				events = append(events, Event("step.v1", map[string]any{"round": round, "second": true}))
			}
			if _, err := s.Append(c, st, int64(round*len(events)), events); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, st := range streams {
		events, err := s.Load(c, st, eventstore.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, events...)
	}
	slices.SortFunc(all, func(a, b eventstore.Event) int { return cmp.Compare(a.Position, b.Position) })
	head, err := s.Head(c)
	if err != nil {
		t.Fatal(err)
	}

	// Every other event of ours, asked for backwards, twice over, with 0 and a position past the head.
	var want []eventstore.Event
	ask := []uint64{0, head + 1<<20}
	for i := len(all) - 1; i >= 0; i -= 2 {
		want = append([]eventstore.Event{all[i]}, want...)
		ask = append(ask, all[i].Position, all[i].Position)
	}
	got, err := s.ReadPositions(c, ask)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("ReadPositions gave %d events, want %d", len(got), len(want))
	}
	for i, e := range got {
		w := want[i]
		if e.Position != w.Position || e.ID != w.ID || e.StreamID != w.StreamID || e.Version != w.Version || e.Type != w.Type ||
			!e.OccurredAt.Equal(w.OccurredAt) || e.Metadata != w.Metadata || !jsonEqual(t, e.Data, w.Data) {
			t.Errorf("event %d = %+v, want %+v (as Load gives it)", i, e, w)
		}
	}

	// Nothing asked, nothing read; only positions without events, nothing found.
	for _, ask := range [][]uint64{nil, {}, {0}, {head + 1<<20}} {
		if got, err := s.ReadPositions(c, ask); err != nil || len(got) != 0 {
			t.Errorf("ReadPositions(%v) = %d events, %v; want none", ask, len(got), err)
		}
	}
}
