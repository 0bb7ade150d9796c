package privacy_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/adapters/privacy"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/privacy/privacytest"
)

func TestKeysSQLite(t *testing.T) {
	privacytest.Run(t, func(t *testing.T) dp.KeyStore {
		k, err := privacy.OpenSQLite(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	})
}

func TestKeysPostgres(t *testing.T) {
	pgtest.BaseURL(t)
	privacytest.Run(t, func(t *testing.T) dp.KeyStore {
		k, err := privacy.OpenPostgres(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		return k
	})
}

// TestSQLiteDestroyLeavesNoBytes: after Destroy, the wrapped key's bytes are in neither keys.db
// nor its write-ahead log.
func TestSQLiteDestroyLeavesNoBytes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k, err := privacy.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	secret := bytes.Repeat([]byte("WRAPPED-KEY-"), 5)
	ids := make([]uuid.UUID, 20)
	for i := range ids {
		ids[i] = uuid.New()
		w := dp.WrappedKey{MasterKeyID: "m", Sealed: []byte("other-key-" + ids[i].String())}
		if i == 7 {
			w.Sealed = secret
		}
		if _, err := k.GetOrCreate(ctx, []dp.NewKey{{Kind: dp.KindLead, Subject: ids[i], Wrapped: w}}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	files := func() []byte {
		var all []byte
		for _, f := range []string{"keys.db", "keys.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			all = append(all, b...)
		}
		return all
	}
	if !bytes.Contains(files(), secret) {
		t.Fatal("the key is not in the files to begin with")
	}
	if err := k.Destroy(ctx, dp.KindLead, ids[7], time.Now()); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(files(), secret) {
		t.Fatal("the destroyed key's bytes are still in keys.db or its log")
	}
}
