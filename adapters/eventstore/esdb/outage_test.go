package esdb

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
)

// defaultURL is the fake's connection string with the client's default discovery settings
// (10 attempts, 100 ms apart, 5 s gossip timeout), as an operator would write it.
func defaultURL(f *fakeServer) string { return "esdb://" + f.addr + "?tls=false" }

func openDefault(t *testing.T, f *fakeServer) *Store {
	t.Helper()
	s, err := Open(testCtx(t), defaultURL(f))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// follow subscribes the way projections/engine does: from its checkpoint, with no deadline,
// and again after a short pause whenever the subscription fails or ends.
func follow(ctx context.Context, s *Store, seen chan<- eventstore.Event) {
	after := uint64(0)
	for ctx.Err() == nil {
		if sub, err := s.Subscribe(ctx, after); err == nil {
			for e := range sub.Events() {
				after = e.Position
				seen <- e
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitFor(t *testing.T, seen <-chan eventstore.Event, id [16]byte, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e := <-seen:
			if e.ID == id {
				return
			}
		case <-deadline:
			t.Fatalf("event %x not delivered within %v", id, within)
		}
	}
}

// TestOutage: while the node is down (listener and connections closed), calls return by their
// deadline, Close returns, and once the node is back on the same address a subscriber resumes
// by itself, all at the client's default discovery settings.
func TestOutage(t *testing.T) {
	f := startFake(t)
	s := openDefault(t, f)
	other := openDefault(t, f) // closed during the outage
	ctx := testCtx(t)

	followCtx, stopFollowing := context.WithCancel(context.Background())
	seen := make(chan eventstore.Event, 64)
	var following sync.WaitGroup
	following.Add(1)
	go func() { defer following.Done(); follow(followCtx, s, seen) }()
	t.Cleanup(func() { stopFollowing(); following.Wait() })

	stream := eventstoretest.NewStream("lead")
	first := eventstoretest.Event("a.v1", 1)
	if _, err := s.Append(ctx, stream, 0, []eventstore.EventData{first}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, seen, first.ID, 5*time.Second)
	if _, err := other.Head(ctx); err != nil {
		t.Fatal(err)
	}

	f.Stop()
	// A first call finds the node gone; the calls after it need node discovery.
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if _, err := s.Head(cctx); err == nil {
		t.Fatal("head succeeded with the node down")
	}
	cancel()

	// 20 concurrent calls, each with a 2 s deadline.
	const calls = 20
	errs := make([]error, calls)
	took := make([]time.Duration, calls)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			t0 := time.Now()
			switch i % 3 {
			case 0:
				_, errs[i] = s.Append(cctx, eventstoretest.NewStream("lead"), 0, []eventstore.EventData{eventstoretest.Event("a.v1", i)})
			case 1:
				_, errs[i] = s.Load(cctx, stream, eventstore.LoadOptions{})
			case 2:
				_, errs[i] = s.ReadAll(cctx, 0, 10)
			}
			took[i] = time.Since(t0)
		}()
	}
	// Meanwhile the other store has a subscription starting and calls without a deadline.
	otherDone := make(chan error, 4)
	go func() { _, err := other.Subscribe(context.Background(), 0); otherDone <- err }()
	for range 3 {
		go func() { _, err := other.Head(context.Background()); otherDone <- err }()
	}
	returned := make(chan struct{})
	go func() { wg.Wait(); close(returned) }()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("calls during the outage had not returned after 10 s")
	}
	wall := time.Since(start)
	t.Logf("outage: %d calls with a 2 s deadline returned within %v (slowest %v)", calls, wall, slices.Max(took))
	if wall > 3*time.Second {
		t.Errorf("calls during the outage took %v in all, want at most 3 s", wall)
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("call %d succeeded with the node down", i)
		} else if !errors.Is(err, context.DeadlineExceeded) && !unavailable(err) && !clientGone(err) {
			t.Errorf("call %d: err = %v, want the deadline or an unavailable node", i, err)
		}
	}

	closeStart := time.Now()
	if err := other.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	closeTook := time.Since(closeStart)
	t.Logf("outage: Close with a subscription starting and 3 calls under way returned in %v", closeTook)
	if closeTook > closeWait+time.Second {
		t.Errorf("Close took %v during the outage", closeTook)
	}
	for range 4 {
		select {
		case err := <-otherDone:
			if err == nil {
				t.Error("a call on the closed store succeeded with the node down")
			}
		case <-time.After(time.Second):
			t.Fatal("a call on the closed store had not returned a second after Close")
		}
	}

	// The node comes back on the same address: no restart of the store or the subscriber.
	f.Restart(t)
	back := time.Now()
	after := eventstoretest.Event("a.v1", 2)
	var err error
	for i := 0; i < 50; i++ {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = s.Append(cctx, stream, 1, []eventstore.EventData{after})
		cancel()
		if err == nil || errors.Is(err, eventstore.ErrConcurrency) { // a retry of a write that landed
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("append after the node came back: %v", err)
	}
	waitFor(t, seen, after.ID, 15*time.Second)
	t.Logf("outage: the subscriber delivered an event appended after the restart %v after it", time.Since(back))
}

// TestCloseReturnsWhileDiscoveryHangs: the node's address accepts connections and never
// answers, so node discovery holds the client's calls for up to 10 gossip timeouts of 5 s.
// Close returns all the same, and so do a starting subscription and calls without a deadline.
func TestCloseReturnsWhileDiscoveryHangs(t *testing.T) {
	f := startFake(t)
	s := openDefault(t, f)
	if _, err := s.Head(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	f.Stop()
	// A first call finds the node gone.
	cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, _ = s.Head(cctx)
	cancel()
	lis, err := net.Listen("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	conns.Add(1)
	go func() {
		defer conns.Done()
		var held []net.Conn
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() { _ = lis.Close(); conns.Wait() })

	done := make(chan error, 3)
	go func() { _, err := s.Subscribe(context.Background(), 0); done <- err }()
	go func() { _, err := s.Head(context.Background()); done <- err }()
	go func() { _, err := s.Load(context.Background(), "lead-1", eventstore.LoadOptions{}); done <- err }()
	// Wait until one of them is in the library, looking for the node.
	inLibrary := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conn.turn) > 0
	}
	for start := time.Now(); !inLibrary(); time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("no call reached the client")
		}
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	took := time.Since(start)
	t.Logf("Close while discovery hangs returned in %v", took)
	if took > closeWait+time.Second {
		t.Errorf("Close took %v", took)
	}
	for range 3 {
		select {
		case err := <-done:
			if !errors.Is(err, ErrClosed) {
				t.Errorf("call under way at Close: err = %v, want ErrClosed", err)
			}
		case <-time.After(time.Second):
			t.Fatal("a call under way had not returned a second after Close")
		}
	}
}
