package eventstoretest

import (
	"context"
	"testing"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// BenchmarkAppend measures appends against any adapter: one event per append to new streams
// (serial and parallel writers), 100-event batches, and AppendEach of 500 new streams of one
// event (an import batch). It reports events/s.
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
	b.Run("each500", func(b *testing.B) {
		appends := make([]eventstore.StreamAppend, 500)
		for b.Loop() {
			for i := range appends {
				appends[i] = eventstore.StreamAppend{Stream: NewStream("customer"), Events: []eventstore.EventData{Event("customer.created.v1", body)}}
			}
			out, err := s.AppendEach(ctx, appends)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range out {
				if o.Err != nil {
					b.Fatal(o.Err)
				}
			}
		}
		b.ReportMetric(float64(b.N*len(appends))/b.Elapsed().Seconds(), "events/s")
	})
}
