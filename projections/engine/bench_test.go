package engine_test

// Benchmarks of the projection engine. They do not run under plain `go test`; run them with
//
//	CHRONICLE_TEST_POSTGRES_URL='postgres://...' go test -run '^$' -bench CatchUp -benchtime 1x -timeout 30m ./projections/engine/
//
// The event log is generated and bulk-loaded by projtest.Seed.

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
)

// Sizes of the benchmark data set.
const (
	catchUpEvents = 100_000 // BenchmarkCatchUp: events in the log ...
	catchUpLeads  = 85_000  // ... of which lead.created.v1; the rest updates, claims and releases
)

// BenchmarkCatchUp measures how fast a projection engine started from zero over a fresh read
// model catches up with a log of 100,000 lead events (the time until the leads projection's
// checkpoint reaches the head). Seeding happens once per engine, outside the timer.
func BenchmarkCatchUp(b *testing.B) {
	outer := b
	for _, be := range projtest.BenchBackends() {
		var seeded *projtest.Seeded
		b.Run(be.Name, func(b *testing.B) {
			if seeded == nil {
				// Built once, for every run of this sub-benchmark; removed when BenchmarkCatchUp ends.
				seeded = projtest.Seed(projtest.CleanupOn{TB: b, Owner: outer}, be, catchUpLeads, catchUpEvents)
			}
			timed := &timedProjector{}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := be.DB(b)
				b.StartTimer()
				eng, stop := projtest.RunEngine(b, seeded.Store, db, timed.wrap)
				projtest.WaitForLeads(b, eng, seeded.Head)
				b.StopTimer()
				stop()
				if n := projtest.CountLeads(b, db); n != int64(seeded.Data.Leads) {
					b.Fatalf("read model holds %d leads after catch-up, want %d", n, seeded.Data.Leads)
				}
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(seeded.Head)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			// Where the leads projection's time goes: pages (transactions), and the time spent in
			// Batch.Apply (decode, row lookups) and Batch.Flush (the upserts); the rest of the
			// elapsed time is the transaction around them and the delivery of pages.
			n := float64(b.N)
			b.ReportMetric(float64(timed.pages.Load())/n, "pages/op")
			b.ReportMetric(time.Duration(timed.apply.Load()).Seconds()/n, "apply-s/op")
			b.ReportMetric(time.Duration(timed.flush.Load()).Seconds()/n, "flush-s/op")
		})
	}
}

// timedProjector wraps a projector and measures its batches.
type timedProjector struct {
	engine.Projector
	pages, apply, flush atomic.Int64 // count; nanoseconds
}

// wrap makes p wrap inner.
func (p *timedProjector) wrap(inner engine.Projector) engine.Projector {
	p.Projector = inner
	return p
}

func (p *timedProjector) NewBatch(tx *engine.Tx) engine.Batch {
	p.pages.Add(1)
	return &timedBatch{p: p, b: p.Projector.NewBatch(tx)}
}

type timedBatch struct {
	p *timedProjector
	b engine.Batch
}

func (b *timedBatch) Apply(ctx context.Context, e eventstore.Event) error {
	t := time.Now()
	err := b.b.Apply(ctx, e)
	b.p.apply.Add(int64(time.Since(t)))
	return err
}

func (b *timedBatch) Prefetch(ctx context.Context, page []eventstore.Event) error {
	if p, ok := b.b.(engine.Prefetcher); ok {
		t := time.Now()
		err := p.Prefetch(ctx, page)
		b.p.apply.Add(int64(time.Since(t)))
		return err
	}
	return nil
}

func (b *timedBatch) Flush(ctx context.Context) error {
	t := time.Now()
	err := b.b.Flush(ctx)
	b.p.flush.Add(int64(time.Since(t)))
	return err
}
