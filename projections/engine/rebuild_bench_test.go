package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// BenchmarkRebuild measures rebuilds of a read model that serves a log of 100,000 lead events:
// "leads" rebuilds the leads projection, "all" every projection the server runs (what
// `chronicle projections rebuild --all` does), from the start of the log until the new
// generations serve. Each run first loads the same event rows into a fresh table shaped like the
// events table (COPY on PostgreSQL, multi-row INSERTs in one transaction on SQLite): ref-rows/s,
// and ratio = events/s / ref-rows/s, compare the rebuild with the database's own bulk load in
// the same run.
//
//	CHRONICLE_TEST_POSTGRES_URL='postgres://...' go test -run '^$' -bench Rebuild -benchtime 1x -timeout 30m ./projections/engine/
//
// CHRONICLE_BENCH_LOG=1 shows the engine's log, which says how long each rebuilt generation took
// to build its deferred indexes and to ANALYZE ("rebuilt generation indexed and analyzed").
func BenchmarkRebuild(b *testing.B) {
	outer := b
	for _, be := range projtest.BenchBackends() {
		b.Run(be.Name, func(b *testing.B) {
			seeded := projtest.Seed(projtest.CleanupOn{TB: b, Owner: outer}, be, catchUpLeads, catchUpEvents)
			log := projtest.ReadLog(b, seeded.Store)
			db := be.DB(projtest.CleanupOn{TB: b, Owner: outer})
			eng, stop := projtest.RunAll(b, seeded.Store, db, engine.Options{})
			defer stop()
			ctx := context.Background()
			if err := eng.WaitFor(ctx, seeded.Head, eng.Names()...); err != nil {
				b.Fatal(err)
			}
			for _, which := range []string{"leads", "all"} {
				names := []string{leadview.Projection}
				if which == "all" {
					names = eng.Names()
				}
				b.Run(which, func(b *testing.B) {
					var ref, took time.Duration
					for i := 0; i < b.N; i++ {
						b.StopTimer()
						ref += projtest.BulkLoadReference(b, db, log)
						b.StartTimer()
						start := time.Now()
						if _, err := eng.RebuildAll(ctx, names, nil); err != nil {
							b.Fatal(err)
						}
						took += time.Since(start)
					}
					b.StopTimer()
					if n := projtest.CountLeads(b, db); n != int64(seeded.Data.Leads) {
						b.Fatalf("rebuilt read model holds %d leads, want %d", n, seeded.Data.Leads)
					}
					events := float64(seeded.Head) * float64(b.N)
					b.ReportMetric(events/took.Seconds(), "events/s")
					b.ReportMetric(events/ref.Seconds(), "ref-rows/s")
					b.ReportMetric(ref.Seconds()/took.Seconds(), "ratio")
				})
			}
		})
	}
}
