package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/projtest"
)

// BenchmarkReadBack measures what the HTTP layer waits for after a command: one lead created,
// then the wait until the leads read model holds it. It reports the whole round (ns/op) and its
// read-back part (readback-ms/op), one writer at a time.
//
//	CHRONICLE_TEST_POSTGRES_URL='postgres://...' go test -run '^$' -bench ReadBack -benchtime 200x ./projections/engine/
func BenchmarkReadBack(b *testing.B) {
	for _, be := range projtest.BenchBackends() {
		b.Run(be.Name, func(b *testing.B) {
			store, _ := be.Store(b)
			eng, stop := projtest.RunEngine(b, store, be.DB(b), nil)
			defer stop()
			leads := leadcmd.New(store, projtest.Registry(), func() time.Time { return time.Now().UTC() }, projtest.AllowAll{})
			ctx := context.Background()
			var wait time.Duration
			i := 0
			for b.Loop() {
				res, err := leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: fmt.Sprintf("回读%d", i)}})
				if err != nil {
					b.Fatal(err)
				}
				t := time.Now()
				projtest.WaitForLeads(b, eng, res.Position)
				wait += time.Since(t)
				i++
			}
			b.ReportMetric(float64(wait.Microseconds())/1000/float64(b.N), "readback-ms/op")
		})
	}
}
