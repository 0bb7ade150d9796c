package audit_test

import (
	"context"
	"crypto/ed25519"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/projections/projtest"
)

// BenchmarkAuditVerify verifies a log of generated lead events (projtest.Seed: what the commands
// would append, bulk-loaded into the store's table) that the sealer sealed and anchored, on each
// engine. The size is CHRONICLE_AUDIT_BENCH_EVENTS (default 100,000); the 1,000,000-event figure
// in docs/performance.md was measured with
//
//	CHRONICLE_AUDIT_BENCH_EVENTS=1000000 go test ./adapters/audit/ -run '^$' -bench AuditVerify -benchtime 1x -timeout 60m
//
// The log holds one more event: the anchor's record. Reported: the time of one verification
// (ns/op), its rate (events/s), and the sealer's rate over the whole log (seal-events/s).
func BenchmarkAuditVerify(b *testing.B) {
	n := 100_000
	if v := os.Getenv("CHRONICLE_AUDIT_BENCH_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			b.Fatalf("CHRONICLE_AUDIT_BENCH_EVENTS=%q: a whole number of at least 10", v)
		}
	}
	for _, be := range projtest.BenchBackends() {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			seeded := projtest.Seed(b, be, n/5, n)
			db := be.DB(b)
			if err := audit.Prepare(ctx, db); err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			s := audit.New(audit.Config{Store: seeded.Store, DB: db, DataDir: dir, PageSize: 5000, Logger: quiet})
			start := time.Now()
			sealed, err := s.Run(ctx, "bench")
			if err != nil || sealed != n {
				b.Fatalf("sealed %d of %d: %v", sealed, n, err)
			}
			sealing := time.Since(start)
			key, err := s.Key()
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: sealed %d events in %v", be.Name, n, sealing.Round(time.Millisecond))
			b.ResetTimer()
			for b.Loop() {
				rep, err := audit.Verify(ctx, seeded.Store, db, audit.VerifyOptions{AnchorDir: s.AnchorDir, PublicKey: key.Public().(ed25519.PublicKey)})
				if err != nil || !rep.OK() || rep.Events != uint64(n)+1 || rep.Anchors != 1 {
					b.Fatalf("verify: %+v %v", rep, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(n)/sealing.Seconds(), "seal-events/s")
		})
	}
}
