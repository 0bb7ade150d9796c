package engine

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

func samplePage() []eventstore.Event {
	return []eventstore.Event{
		{ID: uuid.Must(uuid.NewV7()), StreamID: "customer-0190a000-0000-7000-8000-000000000001", Version: 1, Position: 42,
			Type: "customer.created.v1", OccurredAt: time.Date(2026, 11, 22, 9, 30, 1, 123456789, time.UTC),
			Data: json.RawMessage(`{"name":"北京星河科技有限公司","remark":"\u0000\"引号\""}`),
			Metadata: eventstore.Metadata{ActorID: uuid.NewString(), ActorName: "张伟", CorrelationID: "c", CausationID: "d",
				Command: "customer.create", RequestID: "req-1", ClientAddr: "[::1]:5000"}},
		{ID: uuid.Must(uuid.NewV7()), StreamID: "lead-x", Version: 1 << 40, Position: 1<<63 + 5, Type: "t",
			OccurredAt: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), Data: json.RawMessage(`{}`)},
	}
}

func TestPageCodecRoundTrip(t *testing.T) {
	for _, page := range [][]eventstore.Event{samplePage(), {}} {
		got, err := decodePageBytes(encodePage(page))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, page) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, page)
		}
	}
	full := encodePage(samplePage())
	for cut := range len(full) {
		if _, err := decodePageBytes(full[:cut]); err == nil {
			t.Fatalf("a page cut at byte %d of %d decoded", cut, len(full))
		}
	}
	if _, err := decodePageBytes(append(full, 0)); err == nil {
		t.Fatal("trailing bytes decoded")
	}
}

// FuzzDecodePage: no input panics the decoder, and what it accepts encodes back to the same bytes.
func FuzzDecodePage(f *testing.F) {
	f.Add(encodePage(samplePage()))
	f.Add(encodePage(nil))
	f.Add([]byte{pageFormat, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		page, err := decodePageBytes(b)
		if err != nil {
			return
		}
		again, err := decodePageBytes(encodePage(page))
		if err != nil || !reflect.DeepEqual(again, page) {
			t.Fatalf("re-encoding an accepted page changed it: %v", err)
		}
	})
}

func BenchmarkPageCodec(b *testing.B) {
	page := make([]eventstore.Event, 1000)
	for i := range page {
		page[i] = samplePage()[0]
	}
	payload := encodePage(page)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := decodePageBytes(payload); err != nil {
			b.Fatal(err)
		}
	}
}
