package auditproj_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/auditproj"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
)

// BenchmarkOperationLog measures auditview.Views.Search (count and the first 50 events, newest
// first, read from the event store) over a generated log of 100,000 lead events, indexed once per
// engine through the engine. ns/op is the latency of one page.
//
//	CHRONICLE_TEST_POSTGRES_URL='postgres://...' go test -run '^$' -bench OperationLog -benchtime 100x -timeout 30m ./projections/auditproj/
func BenchmarkOperationLog(b *testing.B) {
	for _, be := range projtest.BenchBackends() {
		b.Run(be.Name, func(b *testing.B) {
			// This level runs once: it only runs sub-benchmarks.
			seeded := projtest.Seed(b, be, 85_000, 100_000)
			db := be.DB(b)
			t0 := time.Now()
			indexLog(b, seeded, db)
			b.Logf("%s: indexed %d events in %v", be.Name, seeded.Head, time.Since(t0).Round(time.Millisecond))
			ctx := context.Background()
			views := auditview.New(db, seeded.Store)
			// A day in the middle of the log (events come every 5 minutes on average).
			mid, err := seeded.Store.ReadAll(ctx, seeded.Head/2-1, 1)
			if err != nil || len(mid) != 1 {
				b.Fatalf("event in the middle: %v", err)
			}
			from := mid[0].OccurredAt
			to := from.Add(24 * time.Hour)
			queries := []struct {
				name string
				q    auditview.Query
			}{
				{"everything", auditview.Query{}},
				{"actor", auditview.Query{ActorID: seeded.Data.Sales[0].ID.String()}},
				{"type", auditview.Query{Type: "lead.claimed.v1"}},
				{"prefix", auditview.Query{Type: "lead."}},
				{"stream", auditview.Query{StreamID: lead.Stream(seeded.Data.IDs[len(seeded.Data.IDs)/2])}},
				{"kind", auditview.Query{StreamKind: "lead"}},
				{"day", auditview.Query{From: &from, To: &to}},
				{"nextpage", auditview.Query{}},
			}
			for _, c := range queries {
				b.Run(c.name, func(b *testing.B) {
					q := c.q
					q.Scope, q.Desc, q.Limit = readmodels.Scope{All: true}, true, 50
					if c.name == "nextpage" {
						first, err := views.Search(ctx, q)
						if err != nil || first.NextCursor == "" {
							b.Fatalf("first page: %v (cursor %q)", err, first.NextCursor)
						}
						q.Cursor = first.NextCursor
					}
					page, err := views.Search(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					if page.Total == 0 || len(page.Items) == 0 || page.Items[0].EventID == "" {
						b.Fatalf("%s found nothing", c.name)
					}
					if b.N == 1 {
						b.Logf("total %d, page %d events", page.Total, len(page.Items))
					}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if _, err := views.Search(ctx, q); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// indexLog runs the audit projection over the seeded log until it has indexed all of it.
func indexLog(b *testing.B, seeded *projtest.Seeded, db *readmodels.DB) {
	b.Helper()
	eng, err := engine.New(seeded.Store, db, engine.Options{PageSize: 1000, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		auditproj.Projector{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := eng.Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Minute)
	defer wcancel()
	if err := eng.WaitFor(wctx, seeded.Head, auditview.Projection); err != nil {
		b.Fatalf("operation log did not reach %d: %v", seeded.Head, err)
	}
	if db.Dialect.Name() == "postgres" {
		// What autovacuum would have done by now: planner statistics of the fresh tables.
		for _, t := range []string{"audit_events", "audit_terms"} {
			if _, err := db.SQL.ExecContext(ctx, "ANALYZE "+db.Gens.Table(auditview.Projection, t)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
