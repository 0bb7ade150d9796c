// Package privacy encrypts the personal fields of events with a key per data subject
// (domain/privacy): the key store adapters (keys.db on SQLite, privacy_keys on PostgreSQL), the
// master key that wraps the subjects' keys, and Store, the event-store decorator that encrypts
// personal values on append and decrypts them on every read, answering privacy.Erased once a
// subject's key is destroyed.
package privacy

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/secretbox"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// MasterKeyFileName is the master key created in the data directory when
// CHRONICLE_MASTER_KEY_FILE is not set.
const MasterKeyFileName = "master.key"

// Master is the master key: it wraps (encrypts) the subjects' keys, which are stored with its ID.
type Master struct {
	id   string
	aead cipher.AEAD
}

// NewMaster is a master key over 32 bytes.
func NewMaster(key []byte) (*Master, error) {
	if len(key) != 32 {
		return nil, errors.New("master key: want 32 bytes")
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	return &Master{id: hex.EncodeToString(sum[:8]), aead: aead}, nil
}

// LoadMaster reads the master key from keyFile when it is set, else from master.key in dataDir
// (created with 0600 permissions when missing).
func LoadMaster(keyFile, dataDir string) (*Master, error) {
	var key []byte
	var err error
	if keyFile != "" {
		key, err = secretbox.ReadKeyFile(keyFile)
	} else {
		key, err = secretbox.LoadOrCreateKeyFile(filepath.Join(dataDir, MasterKeyFileName))
	}
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return NewMaster(key)
}

// ID names the key: the first 8 bytes of its SHA-256, in hex (never the key).
func (m *Master) ID() string { return m.id }

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// wrapAD binds a wrapped key to its subject: a wrapped key copied to another subject's row does
// not open.
func wrapAD(subject uuid.UUID) []byte { return []byte("chronicle subject key\x00" + subject.String()) }

// Wrap encrypts a subject's key.
func (m *Master) Wrap(subject uuid.UUID, key []byte) (dp.WrappedKey, error) {
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return dp.WrappedKey{}, err
	}
	return dp.WrappedKey{MasterKeyID: m.id, Sealed: m.aead.Seal(nonce, nonce, key, wrapAD(subject))}, nil
}

// ErrWrongMasterKey: a subject's key was wrapped with another master key than the one configured.
var ErrWrongMasterKey = errors.New("the subject keys are wrapped with another master key than CHRONICLE_MASTER_KEY_FILE's")

// Unwrap decrypts a subject's key.
func (m *Master) Unwrap(subject uuid.UUID, w dp.WrappedKey) ([]byte, error) {
	if w.MasterKeyID != m.id {
		return nil, fmt.Errorf("%w (key of %s wrapped with master key %s, configured %s)", ErrWrongMasterKey, subject, w.MasterKeyID, m.id)
	}
	n := m.aead.NonceSize()
	if len(w.Sealed) < n {
		return nil, fmt.Errorf("the wrapped key of %s is damaged", subject)
	}
	key, err := m.aead.Open(nil, w.Sealed[:n], w.Sealed[n:], wrapAD(subject))
	if err != nil {
		return nil, fmt.Errorf("the wrapped key of %s does not open with master key %s: damaged", subject, m.id)
	}
	return key, nil
}

// CheckMaster fails, with a message an operator can act on, when the key store holds keys wrapped
// with another master key (a wrong CHRONICLE_MASTER_KEY_FILE, or master.key lost): reads would
// otherwise fail one record at a time.
func CheckMaster(ctx context.Context, keys dp.KeyStore, m *Master) error {
	ids, err := keys.MasterKeyIDs(ctx)
	if err != nil {
		return err
	}
	var other []string
	for _, id := range ids {
		if id != m.id {
			other = append(other, id)
		}
	}
	if len(other) > 0 {
		return fmt.Errorf("%w: the key store holds keys wrapped with master key %s, the configured master key is %s; "+
			"point CHRONICLE_MASTER_KEY_FILE at the master key in use (docs/operations.md)", ErrWrongMasterKey, strings.Join(other, ", "), m.id)
	}
	return nil
}

// Rotate rewraps every subject key from the master key old to next, in one transaction of the key
// store; no event changes. It answers how many keys were rewrapped.
func Rotate(ctx context.Context, keys dp.KeyStore, old, next *Master) (int, error) {
	if err := CheckMaster(ctx, keys, old); err != nil {
		return 0, err
	}
	return keys.Rewrap(ctx, func(subject uuid.UUID, w dp.WrappedKey) (dp.WrappedKey, error) {
		k, err := old.Unwrap(subject, w)
		if err != nil {
			return w, err
		}
		return next.Wrap(subject, k)
	})
}
