package usercmd_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands/usercmd"
)

// A full gate makes the rest wait at most its wait, then fail with ErrBusy (a Retry-After).
func TestHashGateBoundsConcurrencyAndTimesOut(t *testing.T) {
	t.Parallel()
	g := usercmd.NewHashGate(3, 100*time.Millisecond)
	var running, peak, ran atomic.Int64
	hold := make(chan struct{})
	entered := make(chan struct{}, 20)
	errs := make(chan error, 20)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- g.Do(context.Background(), func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				ran.Add(1)
				entered <- struct{}{}
				<-hold // keep the slot until every other caller has given up
				running.Add(-1)
			})
		}()
	}
	for range 3 {
		<-entered
	}
	busy := 0
	start := time.Now()
	for range 17 {
		err := <-errs
		var be *usercmd.BusyError
		if !errors.Is(err, usercmd.ErrBusy) || !errors.As(err, &be) || be.Seconds() < 1 {
			t.Fatalf("a caller beyond the gate's size got %v, want ErrBusy with a Retry-After", err)
		}
		busy++
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("busy callers waited %v, want about the gate's 100 ms", waited)
	}
	close(hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a caller inside the gate failed: %v", err)
		}
	}
	if peak.Load() != 3 || ran.Load() != 3 || busy != 17 {
		t.Fatalf("peak %d, ran %d, busy %d; want 3, 3, 17", peak.Load(), ran.Load(), busy)
	}
}

// Callers queue for a slot: with a long enough wait every one runs, never more than the size at once.
func TestHashGateQueues(t *testing.T) {
	t.Parallel()
	g := usercmd.NewHashGate(2, time.Minute)
	if g.Size() != 2 {
		t.Fatalf("size %d", g.Size())
	}
	var running, peak, ran atomic.Int64
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := g.Do(context.Background(), func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				runtime.Gosched() // let the others try to get in meanwhile
				ran.Add(1)
				running.Add(-1)
			})
			if err != nil {
				t.Errorf("queued caller: %v", err)
			}
		}()
	}
	wg.Wait()
	if peak.Load() > 2 || ran.Load() != 40 {
		t.Fatalf("peak %d (want at most 2), ran %d of 40", peak.Load(), ran.Load())
	}
}

// A request that ends while waiting stops waiting with its context's error.
func TestHashGateWaitEndsWithTheRequest(t *testing.T) {
	t.Parallel()
	g := usercmd.NewHashGate(1, time.Minute)
	release, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := g.Do(ctx, func() { t.Error("ran without a slot") }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("waited %v after the request ended", d)
	}
}
