package privacy_test

import (
	"context"
	"testing"

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
