package eventstoretest

import (
	"context"
	"testing"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// BenchmarkAppend measures appends against any adapter: one event per append to new streams
// (serial and parallel writers) and 100-event batches. It reports events/s.
func BenchmarkAppend(b *testing.B, s eventstore.Store) {
	ctx := context.Background()
	body := map[string]any{"name": "王小明", "company": "北京星河科技有限公司", "phone": "010-88886666"}
	b.Run("single", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Append(ctx, NewStream("lead"), 0, []eventstore.EventData{Event("lead.created.v1", body)}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Append(ctx, NewStream("lead"), 0, []eventstore.EventData{Event("lead.created.v1", body)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("batch100", func(b *testing.B) {
		batch := make([]eventstore.EventData, 100)
		for b.Loop() {
			for i := range batch {
				batch[i] = Event("lead.updated.v1", body)
			}
			if _, err := s.Append(ctx, NewStream("lead"), 0, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
	})
}
