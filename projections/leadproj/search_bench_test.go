package leadproj_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// Sizes of the benchmark data set.
const (
	searchLeads  = 100_000 // BenchmarkLeadSearch: leads in the read model ...
	searchEvents = 115_000 // ... projected from this many events
)

// BenchmarkLeadSearch measures readmodels.DB.SearchLeads (count and first 50 rows, newest
// first) over 100,000 leads, projected once per engine through the engine from a generated log.
// Each case runs with the manager scope (all leads) and a sales user's scope (own leads plus
// the pool). ns/op is the latency of one search.
//
//	CHRONICLE_TEST_POSTGRES_URL='postgres://...' go test -run '^$' -bench LeadSearch -benchtime 200x -timeout 30m ./projections/leadproj/
func BenchmarkLeadSearch(b *testing.B) {
	for _, be := range projtest.BenchBackends() {
		b.Run(be.Name, func(b *testing.B) {
			// This level runs once: it only runs sub-benchmarks.
			seeded := projtest.Seed(b, be, searchLeads, searchEvents)
			db := be.DB(b)
			t0 := time.Now()
			eng, stop := projtest.RunEngine(b, seeded.Store, db, nil)
			projtest.WaitForLeads(b, eng, seeded.Head)
			stop()
			if n := projtest.CountLeads(b, db); n != int64(seeded.Data.Leads) {
				b.Fatalf("read model holds %d leads, want %d", n, seeded.Data.Leads)
			}
			ctx := context.Background()
			if be.Name == "postgres" {
				// What autovacuum would have done by now: planner statistics of the fresh table.
				if _, err := db.SQL.ExecContext(ctx, "ANALYZE "+db.Gens.Table(leadview.Projection, "leads")); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: projected %d events into %d leads in %v", be.Name, seeded.Head, seeded.Data.Leads, time.Since(t0).Round(time.Millisecond))

			data := seeded.Data
			sales := data.Sales[0].ID
			var phone string
			var visible int64
			for _, id := range data.IDs {
				if o := data.Owner[id]; o == sales || o == uuid.Nil {
					visible++
					if m := data.Fields[id].Mobile; phone == "" && m != "" && o == sales {
						phone = strings.NewReplacer(" ", "", "-", "").Replace(m)
					}
				}
			}
			companies := func(sub string) (n int64) {
				for _, f := range data.Fields {
					if strings.Contains(f.Company, sub) {
						n++
					}
				}
				return n
			}
			inPool := true
			type query struct {
				name  string
				q     leadview.Query
				total int64 // expected total in the All scope, when known (-1: not checked)
			}
			queries := []query{
				{"substr2", leadview.Query{Q: "星河"}, companies("星河")},
				{"substr4", leadview.Query{Q: "星河科技"}, companies("星河科技")},
				{"phone", leadview.Query{Q: phone}, -1},
				{"filter", leadview.Query{Status: []string{"new"}, Pool: &inPool}, -1},
				{"nextpage", leadview.Query{}, int64(data.Leads)},
			}
			scopes := []struct {
				name  string
				scope readmodels.Scope
			}{{"all", readmodels.Scope{All: true}}, {"sales", readmodels.Scope{UserID: sales, Pool: true}}}
			b.Logf("needles: substr2=星河 substr4=星河科技 phone=%s; filter: status=new, pool; sales user %s sees %d leads", phone, sales, visible)

			for _, c := range queries {
				b.Run(c.name, func(b *testing.B) {
					for _, sc := range scopes {
						q := c.q
						q.Scope = sc.scope
						if c.name == "nextpage" {
							first, err := leadview.New(db).Search(ctx, q)
							if err != nil || first.NextCursor == "" {
								b.Fatalf("first page: %v (cursor %q)", err, first.NextCursor)
							}
							q.Cursor = first.NextCursor
						}
						b.Run(sc.name, func(b *testing.B) {
							page, err := leadview.New(db).Search(ctx, q)
							if err != nil {
								b.Fatal(err)
							}
							if page.Total == 0 || len(page.Items) == 0 {
								b.Fatalf("%s (%s) found nothing", c.name, sc.name)
							}
							// Totals are counted up to readmodels.TotalBound.
							if sc.scope.All && c.total >= 0 && page.Total != min(c.total, readmodels.TotalBound) {
								b.Fatalf("%s found %d leads, want %d", c.name, page.Total, min(c.total, readmodels.TotalBound))
							}
							if sc.name == "sales" && c.name == "nextpage" && page.Total != min(visible, readmodels.TotalBound) {
								b.Fatalf("the sales user sees %d leads, want %d", page.Total, min(visible, readmodels.TotalBound))
							}
							if b.N == 1 {
								b.Logf("total %d, page %d rows", page.Total, len(page.Items))
							}
							b.ResetTimer()
							for i := 0; i < b.N; i++ {
								if _, err := leadview.New(db).Search(ctx, q); err != nil {
									b.Fatal(err)
								}
							}
						})
					}
				})
			}
		})
	}
}
