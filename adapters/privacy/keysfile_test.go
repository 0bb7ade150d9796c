package privacy_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/privacy"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// TestKeysFileRoundTrip: the keys file of a key store holds its keys as wrapped and its erasures
// without key material; PutKeys refuses it under another master key (storing nothing) and stores
// it as it was under the same one.
func TestKeysFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	master, _ := privacy.NewMaster(bytes.Repeat([]byte{1}, 32))
	other, _ := privacy.NewMaster(bytes.Repeat([]byte{2}, 32))
	src, err := privacy.OpenSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	live, erased := uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{live, erased} {
		w, err := master.Wrap(id, bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.GetOrCreate(ctx, []dp.NewKey{{Kind: dp.KindLead, Subject: id, Wrapped: w}}, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.Destroy(ctx, dp.KindLead, erased, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	s, err := privacy.WriteKeys(ctx, src, &file)
	if err != nil || s.Keys != 1 || s.Erased != 1 || len(s.Masters) != 1 || s.Masters[0] != master.ID() {
		t.Fatalf("write: %+v %v", s, err)
	}
	recs, s2, err := privacy.ReadKeys(bytes.NewReader(file.Bytes()))
	if err != nil || len(recs) != 2 || s2.Keys != 1 || s2.Erased != 1 {
		t.Fatalf("read: %+v %+v %v", recs, s2, err)
	}

	dst, err := privacy.OpenSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := privacy.PutKeys(ctx, dst, other, recs); !errors.Is(err, privacy.ErrWrongMasterKey) || !strings.Contains(err.Error(), master.ID()) {
		t.Fatalf("put under another master key: %v", err)
	}
	if got, _ := dst.Get(ctx, []uuid.UUID{live, erased}); len(got) != 0 {
		t.Fatalf("a refused put stored %d records", len(got))
	}
	if err := privacy.PutKeys(ctx, dst, master, recs); err != nil {
		t.Fatal(err)
	}
	got, err := dst.Get(ctx, []uuid.UUID{live, erased})
	if err != nil || got[live].Erased() || !got[erased].Erased() || !got[erased].ErasedAt.Equal(at.Add(time.Hour)) || !got[live].CreatedAt.Equal(at) {
		t.Fatalf("after the put: %+v %v", got, err)
	}
	if k, err := master.Unwrap(live, got[live].Wrapped); err != nil || !bytes.Equal(k, bytes.Repeat([]byte{7}, 32)) {
		t.Fatalf("the moved key: %v", err)
	}

	if _, _, err := privacy.ReadKeys(strings.NewReader("not gzip")); err == nil {
		t.Fatal("a file that is not gzip was read")
	}
}
