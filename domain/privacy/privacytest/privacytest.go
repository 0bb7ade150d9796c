// Package privacytest is the contract of privacy.KeyStore, run against every adapter:
// privacytest.Run(t, newStore).
package privacytest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/privacy"
)

// Run checks a key store. newStore answers a store over fresh or shared storage; each case uses
// subjects of its own.
func Run(t *testing.T, newStore func(t *testing.T) privacy.KeyStore) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	key := func(id string, b byte) privacy.WrappedKey {
		return privacy.WrappedKey{MasterKeyID: id, Sealed: bytes.Repeat([]byte{b}, 60)}
	}
	// one is GetOrCreate of one subject.
	one := func(s privacy.KeyStore, kind string, id uuid.UUID, w privacy.WrappedKey, at time.Time) (privacy.KeyRecord, error) {
		got, err := s.GetOrCreate(ctx, []privacy.NewKey{{Kind: kind, Subject: id, Wrapped: w}}, at)
		if err == nil && len(got) != 1 {
			t.Errorf("GetOrCreate of one subject answered %d records", len(got))
		}
		return got[id], err
	}

	t.Run("get or create keeps the first key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		id := uuid.New()
		r, err := one(s, privacy.KindLead, id, key("m1", 1), at)
		if err != nil || r.Erased() || r.Subject != id || r.Kind != privacy.KindLead || !bytes.Equal(r.Wrapped.Sealed, key("m1", 1).Sealed) ||
			r.Wrapped.MasterKeyID != "m1" || !r.CreatedAt.Equal(at) {
			t.Fatalf("first: %+v %v", r, err)
		}
		r, err = one(s, privacy.KindLead, id, key("m1", 2), at.Add(time.Hour))
		if err != nil || !bytes.Equal(r.Wrapped.Sealed, key("m1", 1).Sealed) || !r.CreatedAt.Equal(at) {
			t.Fatalf("second answered another key: %+v %v", r, err)
		}
	})

	t.Run("get answers the subjects that have a key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b, missing := uuid.New(), uuid.New(), uuid.New()
		for i, id := range []uuid.UUID{a, b} {
			if _, err := one(s, privacy.KindContact, id, key("m1", byte(10+i)), at); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, []uuid.UUID{a, missing, b, a})
		if err != nil || len(got) != 2 || got[a].Wrapped.Sealed[0] != 10 || got[b].Wrapped.Sealed[0] != 11 || got[a].Kind != privacy.KindContact {
			t.Fatalf("get: %+v %v", got, err)
		}
		if got, err := s.Get(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("get of none: %v %v", got, err)
		}
	})

	t.Run("get or create many at once", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		old, erased, fresh := uuid.New(), uuid.New(), uuid.New()
		if _, err := one(s, privacy.KindLead, old, key("m1", 30), at); err != nil {
			t.Fatal(err)
		}
		if err := s.Destroy(ctx, privacy.KindLead, erased, at); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetOrCreate(ctx, []privacy.NewKey{{Kind: privacy.KindLead, Subject: old, Wrapped: key("m1", 31)},
			{Kind: privacy.KindLead, Subject: erased, Wrapped: key("m1", 32)}, {Kind: privacy.KindContact, Subject: fresh, Wrapped: key("m1", 33)},
			{Kind: privacy.KindContact, Subject: fresh, Wrapped: key("m1", 34)}}, at)
		if err != nil || len(got) != 3 || got[old].Wrapped.Sealed[0] != 30 || !got[erased].Erased() || got[fresh].Wrapped.Sealed[0] != 33 {
			t.Fatalf("%+v %v", got, err)
		}
	})

	t.Run("destroy deletes the key for good", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		id := uuid.New()
		if _, err := one(s, privacy.KindLead, id, key("m1", 3), at); err != nil {
			t.Fatal(err)
		}
		if err := s.Destroy(ctx, privacy.KindLead, id, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, []uuid.UUID{id})
		if r := got[id]; err != nil || !r.Erased() || !r.ErasedAt.Equal(at.Add(time.Minute)) || len(r.Wrapped.Sealed) != 0 {
			t.Fatalf("after destroy: %+v %v", r, err)
		}
		r, err := one(s, privacy.KindLead, id, key("m1", 4), at.Add(time.Hour))
		if err != nil || !r.Erased() || len(r.Wrapped.Sealed) != 0 {
			t.Fatalf("a key was made again for an erased subject: %+v %v", r, err)
		}
		if err := s.Destroy(ctx, privacy.KindLead, id, at.Add(time.Hour)); err != nil {
			t.Fatalf("destroy again: %v", err)
		}
		if got, _ := s.Get(ctx, []uuid.UUID{id}); !got[id].ErasedAt.Equal(at.Add(time.Minute)) {
			t.Fatalf("destroying again moved the erasure time: %+v", got[id])
		}
	})

	t.Run("destroy of a subject without a key records the erasure", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		id := uuid.New()
		if err := s.Destroy(ctx, privacy.KindContact, id, at); err != nil {
			t.Fatal(err)
		}
		r, err := one(s, privacy.KindContact, id, key("m1", 5), at)
		if err != nil || !r.Erased() || len(r.Wrapped.Sealed) != 0 {
			t.Fatalf("%+v %v", r, err)
		}
	})

	t.Run("concurrent first uses store one key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		id := uuid.New()
		const n = 16
		got := make([]privacy.KeyRecord, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = one(s, privacy.KindLead, id, key("m1", byte(100+i)), at)
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || !bytes.Equal(got[i].Wrapped.Sealed, got[0].Wrapped.Sealed) {
				t.Fatalf("writer %d: %v, key %x, first %x", i, errs[i], got[i].Wrapped.Sealed[:1], got[0].Wrapped.Sealed[:1])
			}
		}
	})

	t.Run("put stores records as they are, each lists them", func(t *testing.T) {
		// Its own storage: Each lists every record of the store.
		s := newStore(t)
		live, erased, taken := uuid.New(), uuid.New(), uuid.New()
		if _, err := one(s, privacy.KindLead, taken, key("m1", 40), at); err != nil {
			t.Fatal(err)
		}
		recs := []privacy.KeyRecord{
			{Subject: live, Kind: privacy.KindContact, Wrapped: key("m2", 41), CreatedAt: at.Add(-time.Hour)},
			{Subject: erased, Kind: privacy.KindLead, Wrapped: key("m2", 42), CreatedAt: at.Add(-2 * time.Hour), ErasedAt: at.Add(-time.Minute)},
		}
		if err := s.Put(ctx, append(slices.Clone(recs), privacy.KeyRecord{Subject: taken, Kind: privacy.KindLead, Wrapped: key("m2", 43), CreatedAt: at})); !errors.Is(err, privacy.ErrKeyExists) {
			t.Fatalf("put over a subject's record: %v", err)
		}
		if got, _ := s.Get(ctx, []uuid.UUID{live, erased, taken}); len(got) != 1 || got[taken].Wrapped.Sealed[0] != 40 {
			t.Fatalf("a refused put stored something: %+v", got)
		}
		if err := s.Put(ctx, recs); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, []uuid.UUID{live, erased})
		if r := got[live]; err != nil || r.Erased() || r.Kind != privacy.KindContact || r.Wrapped.MasterKeyID != "m2" || r.Wrapped.Sealed[0] != 41 || !r.CreatedAt.Equal(at.Add(-time.Hour)) {
			t.Fatalf("put live: %+v %v", r, err)
		}
		if r := got[erased]; !r.Erased() || len(r.Wrapped.Sealed) != 0 || !r.ErasedAt.Equal(at.Add(-time.Minute)) || !r.CreatedAt.Equal(at.Add(-2*time.Hour)) {
			t.Fatalf("put erased: %+v", r)
		}
		if r, err := one(s, privacy.KindLead, erased, key("m1", 44), at); err != nil || !r.Erased() {
			t.Fatalf("a key was made for a subject put as erased: %+v %v", r, err)
		}
		var listed []privacy.KeyRecord
		if err := s.Each(ctx, func(r privacy.KeyRecord) error { listed = append(listed, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(listed) != 3 || !slices.IsSortedFunc(listed, func(a, b privacy.KeyRecord) int { return strings.Compare(a.Subject.String(), b.Subject.String()) }) {
			t.Fatalf("each: %+v", listed)
		}
		for _, r := range listed {
			if want := map[uuid.UUID]bool{live: false, erased: true, taken: false}[r.Subject]; r.Erased() != want || (!want && len(r.Wrapped.Sealed) == 0) || (want && len(r.Wrapped.Sealed) != 0) {
				t.Fatalf("each: %+v", r)
			}
		}
		boom := errors.New("boom")
		if err := s.Each(ctx, func(privacy.KeyRecord) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("each's error: %v", err)
		}
	})

	t.Run("rewrap replaces every key at once", func(t *testing.T) {
		// Its own storage: the rewrap touches every key of the store.
		s := newStore(t)
		ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
		for i, id := range ids {
			if _, err := one(s, privacy.KindLead, id, key("old", byte(20+i)), at); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Destroy(ctx, privacy.KindLead, ids[2], at); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		calls := 0
		if _, err := s.Rewrap(ctx, func(_ uuid.UUID, w privacy.WrappedKey) (privacy.WrappedKey, error) {
			if calls++; calls == 2 {
				return w, boom
			}
			return privacy.WrappedKey{MasterKeyID: "new", Sealed: w.Sealed}, nil
		}); !errors.Is(err, boom) {
			t.Fatalf("failing rewrap: %v", err)
		}
		if got, _ := s.Get(ctx, ids[:2]); got[ids[0]].Wrapped.MasterKeyID != "old" || got[ids[1]].Wrapped.MasterKeyID != "old" {
			t.Fatalf("a failed rewrap changed keys: %+v", got)
		}
		n, err := s.Rewrap(ctx, func(_ uuid.UUID, w privacy.WrappedKey) (privacy.WrappedKey, error) {
			if w.MasterKeyID == "new" {
				return w, errors.New("rewrapped twice")
			}
			return privacy.WrappedKey{MasterKeyID: "new", Sealed: append([]byte{9}, w.Sealed...)}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get(ctx, ids)
		for _, id := range ids[:2] {
			if r := got[id]; r.Wrapped.MasterKeyID != "new" || r.Wrapped.Sealed[0] != 9 {
				t.Fatalf("not rewrapped: %+v", r)
			}
		}
		if !got[ids[2]].Erased() {
			t.Fatalf("the erased subject: %+v", got[ids[2]])
		}
		masters, err := s.MasterKeyIDs(ctx)
		if err != nil || !slices.Contains(masters, "new") || slices.Contains(masters, "old") || n < 2 {
			t.Fatalf("master keys after rewrap (%d): %v %v", n, masters, err)
		}
	})
}
