// Package secretbox encrypts the few secrets Chronicle must be able to read back (the SMTP
// password) with AES-256-GCM before they go into an event: the operation log, its backups and its
// exports hold only the ciphertext.
//
// The key is 32 bytes read from CHRONICLE_SECRET_KEY_FILE when it is set (32 raw bytes, or 64 hex
// digits, or standard base64 of 32 bytes), else from secret.key in the data directory, which is
// created with 0600 permissions on first use. Losing the key loses the secrets sealed with it
// (they are entered again); it is not needed for anything else.
package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// KeyFileName is the key file created in the data directory.
const KeyFileName = "secret.key"

// prefix marks the format of a sealed value (a version, so the scheme can change).
const prefix = "v1:"

// Box seals and opens secrets with one key.
type Box struct {
	load func() ([]byte, error)
	once sync.Once
	aead cipher.AEAD
	err  error
}

// New is a box over a 32-byte key.
func New(key []byte) *Box { return &Box{load: func() ([]byte, error) { return key, nil }} }

// FromFiles is a box whose key is read on first use: from keyFile when it is not empty, else
// from KeyFileName in dataDir (created, 0600, when missing).
func FromFiles(keyFile, dataDir string) *Box {
	return &Box{load: func() ([]byte, error) {
		if keyFile != "" {
			return readKey(keyFile)
		}
		return loadOrCreate(filepath.Join(dataDir, KeyFileName))
	}}
}

// ReadKeyFile reads a 32-byte key file: 32 raw bytes, 64 hex digits or standard base64 of 32
// bytes (the master key of adapters/privacy uses the same formats).
func ReadKeyFile(path string) ([]byte, error) { return readKey(path) }

// LoadOrCreateKeyFile reads the key file at path, creating it (0600, 64 hex digits) with a random
// key when it does not exist; of two processes creating it at once, both read the one written.
func LoadOrCreateKeyFile(path string) ([]byte, error) { return loadOrCreate(path) }

func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if len(b) == 32 {
		return b, nil
	}
	s := strings.TrimSpace(string(b))
	if k, err := hex.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	return nil, fmt.Errorf("secret key %s: want 32 bytes, 64 hex digits or the base64 of 32 bytes", path)
}

func loadOrCreate(path string) ([]byte, error) {
	if k, err := readKey(path); err == nil {
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process made it first
		return readKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if _, err := f.Write([]byte(hex.EncodeToString(k) + "\n")); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return k, f.Close()
}

func (b *Box) init() error {
	b.once.Do(func() {
		var key []byte
		if key, b.err = b.load(); b.err != nil {
			return
		}
		if len(key) != 32 {
			b.err = errors.New("secret key: want 32 bytes")
			return
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			b.err = err
			return
		}
		b.aead, b.err = cipher.NewGCM(block)
	})
	return b.err
}

// Seal encrypts plain with a random nonce: "v1:" and the base64 of nonce and ciphertext.
func (b *Box) Seal(plain []byte) (string, error) {
	if err := b.init(); err != nil {
		return "", err
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return prefix + base64.StdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plain, []byte(prefix))), nil
}

// ErrUnreadable: a sealed value is damaged or was sealed with another key.
var ErrUnreadable = errors.New("the secret cannot be decrypted (damaged, or sealed with another key)")

// Open decrypts what Seal returned.
func (b *Box) Open(sealed string) ([]byte, error) {
	if err := b.init(); err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if err != nil || !strings.HasPrefix(sealed, prefix) || len(raw) < b.aead.NonceSize() {
		return nil, ErrUnreadable
	}
	plain, err := b.aead.Open(nil, raw[:b.aead.NonceSize()], raw[b.aead.NonceSize():], []byte(prefix))
	if err != nil {
		return nil, ErrUnreadable
	}
	return bytes.Clone(plain), nil
}
