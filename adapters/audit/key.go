package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the signing key created in the data directory when CHRONICLE_AUDIT_KEY_FILE is
// not set.
const KeyFileName = "audit.key"

// KeyPath is where the signing key is read: keyFile when it is set, else KeyFileName in dataDir.
func KeyPath(keyFile, dataDir string) string {
	if keyFile != "" {
		return keyFile
	}
	return filepath.Join(dataDir, KeyFileName)
}

// LoadKey reads the Ed25519 signing key: from keyFile when it is set (it must exist), else from
// KeyFileName in dataDir, which create makes (0600, 32 random bytes as hex) when it is missing,
// as adapters/secretbox makes secret.key.
//
// A key file holds the 32-byte Ed25519 seed as raw bytes, 64 hex digits or base64, or a PEM
// "PRIVATE KEY" (PKCS #8, as `openssl genpkey -algorithm ed25519` writes it).
func LoadKey(keyFile, dataDir string, create bool) (ed25519.PrivateKey, error) {
	if keyFile != "" {
		return readKey(keyFile)
	}
	path := filepath.Join(dataDir, KeyFileName)
	k, err := readKey(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !create {
		return k, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process made it first
		return readKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if _, err := f.Write([]byte(hex.EncodeToString(seed) + "\n")); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func readKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if len(b) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(b), nil
	}
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("audit key %s: %w", path, err)
		}
		if ek, ok := k.(ed25519.PrivateKey); ok {
			return ek, nil
		}
		return nil, fmt.Errorf("audit key %s: a %T, want an Ed25519 key", path, k)
	}
	s := strings.TrimSpace(string(b))
	if k, err := hex.DecodeString(s); err == nil && len(k) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(k), nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(k), nil
	}
	return nil, fmt.Errorf("audit key %s: want a 32-byte Ed25519 seed (raw, 64 hex digits or base64) or a PEM PKCS #8 Ed25519 key", path)
}

// ParsePublicKey reads a public key given to the verifier: 32 bytes as 64 hex digits or base64
// (as `chronicle audit key` prints it), or a PEM "PUBLIC KEY".
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("audit public key: %w", err)
		}
		if ek, ok := k.(ed25519.PublicKey); ok {
			return ek, nil
		}
		return nil, fmt.Errorf("audit public key: a %T, want an Ed25519 key", k)
	}
	s := strings.TrimSpace(string(b))
	if k, err := hex.DecodeString(s); err == nil && len(k) == ed25519.PublicKeySize {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == ed25519.PublicKeySize {
		return k, nil
	}
	return nil, errors.New("audit public key: want 32 bytes as 64 hex digits or base64, or a PEM public key")
}
