package privacy

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Prefix starts every encrypted personal value in the events: "pii1:" and the standard base64 of
// the nonce and the AES-256-GCM ciphertext.
const Prefix = "pii1:"

// ErrUnreadable: an encrypted value does not open with its subject's key: damaged, or moved from
// another subject or field (the additional data binds it to both).
var ErrUnreadable = errors.New("a personal value does not decrypt with its subject's key (damaged, or moved from another subject or field)")

// fieldAD binds a value to its subject and its place in the event.
func fieldAD(subject uuid.UUID, path string) []byte {
	return []byte("chronicle personal value\x00" + subject.String() + "\x00" + path)
}

func seal(aead cipher.AEAD, subject uuid.UUID, path, plain string) (string, error) {
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return Prefix + base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), fieldAD(subject, path))), nil
}

func open(aead cipher.AEAD, subject uuid.UUID, path, sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, Prefix))
	if err != nil || len(raw) < aead.NonceSize() {
		return "", fmt.Errorf("%w: %s of %s", ErrUnreadable, path, subject)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], fieldAD(subject, path))
	if err != nil {
		return "", fmt.Errorf("%w: %s of %s", ErrUnreadable, path, subject)
	}
	return string(plain), nil
}
