package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chronicle-crm/chronicle/adapters/privacy"
	"github.com/chronicle-crm/chronicle/adapters/secretbox"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// Rotation is what RotateMasterKey did.
type Rotation struct {
	Keys     int    // subject keys rewrapped
	From, To string // the master keys' ids
	// Replaced is the master.key file replaced by the new key (CHRONICLE_MASTER_KEY_FILE unset);
	// empty when the configuration names the key file, which the operator points at the new one.
	Replaced string
}

// RotateMasterKey rewraps every data subject's key from the configured master key to the one in
// newKeyFile, in one transaction of the key store: no event is rewritten. Without
// CHRONICLE_MASTER_KEY_FILE the data directory's master.key then takes the new key. Run it with
// the servers stopped: a server started before keeps wrapping new keys with the old master key.
func RotateMasterKey(ctx context.Context, cfg Config, newKeyFile string) (Rotation, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return Rotation{}, err
	}
	keys, err := openKeys(ctx, cfg)
	if err != nil {
		return Rotation{}, err
	}
	defer keys.Close()
	old, err := privacy.LoadMaster(cfg.MasterKeyFile, cfg.DataDir)
	if err != nil {
		return Rotation{}, err
	}
	raw, err := secretbox.ReadKeyFile(newKeyFile)
	if err != nil {
		return Rotation{}, fmt.Errorf("new master key: %w", err)
	}
	next, err := privacy.NewMaster(raw)
	if err != nil {
		return Rotation{}, err
	}
	if next.ID() == old.ID() {
		return Rotation{}, fmt.Errorf("%s holds the master key in use (%s): nothing to rotate", newKeyFile, old.ID())
	}
	n, err := privacy.Rotate(ctx, keys, old, next)
	if err != nil {
		return Rotation{}, err
	}
	r := Rotation{Keys: n, From: old.ID(), To: next.ID()}
	if cfg.MasterKeyFile == "" {
		path := filepath.Join(cfg.DataDir, privacy.MasterKeyFileName)
		tmp := path + ".new"
		if err := os.WriteFile(tmp, []byte(hex.EncodeToString(raw)+"\n"), 0o600); err != nil {
			return r, fmt.Errorf("the keys are rewrapped with %s but %s was not replaced (copy %s there): %w", next.ID(), path, newKeyFile, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return r, fmt.Errorf("the keys are rewrapped with %s but %s was not replaced (copy %s there): %w", next.ID(), path, newKeyFile, err)
		}
		r.Replaced = path
	}
	return r, nil
}

// openKeys opens the key store of the configuration (see App.openPrivacy).
func openKeys(ctx context.Context, cfg Config) (dp.KeyStore, error) {
	var keys dp.KeyStore
	var err error
	if cfg.EventStore == "postgres" || (cfg.EventStore == "eventstoredb" && cfg.ReadModels == "postgres") {
		keys, err = privacy.OpenPostgres(ctx, cfg.PostgresURL)
	} else if err = os.MkdirAll(cfg.DataDir, 0o750); err == nil {
		keys, err = privacy.OpenSQLite(ctx, cfg.DataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	return keys, nil
}
