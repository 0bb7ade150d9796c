package privacy_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/privacy"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// BenchmarkReadAllPage: a page of 500 lead.created events (500 subjects) read raw, through the
// decorator with the keys in memory, and through a fresh decorator (the page's keys read in one
// query and unwrapped): what a projection's catch-up or rebuild pays per page.
func BenchmarkReadAllPage(b *testing.B) {
	ctx := context.Background()
	f := sqliteFixtureB(b)
	appends := make([]eventstore.StreamAppend, 500)
	for i := range appends {
		id := uuid.New()
		appends[i] = eventstore.StreamAppend{Stream: "lead-" + id.String(), Events: []eventstore.EventData{
			leadCreated(id, map[string]any{"name": name, "mobile": phone, "email": "x@example.com", "company": "星河科技", "address": "北京市"})}}
	}
	if _, err := f.store.AppendEach(ctx, appends); err != nil {
		b.Fatal(err)
	}
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.raw.ReadAll(ctx, 0, 500); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decrypted, keys cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.store.ReadAll(ctx, 0, 500); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decrypted, keys read", func(b *testing.B) {
		m := master(b, 1)
		for b.Loop() {
			if _, err := privacy.New(f.raw, f.keys, m, privacy.Options{}).ReadAll(ctx, 0, 500); err != nil {
				b.Fatal(err)
			}
		}
	})
}
