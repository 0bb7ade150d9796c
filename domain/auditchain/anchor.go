package auditchain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Anchor is a signed statement of the chain head at a position: whoever holds the public key can
// check, without trusting any database, that the log read back later hashes to the same value
// there. Anchors are kept outside the databases (one file each) and named in the log.
type Anchor struct {
	Position uint64 `json:"position"` // the last event the head covers
	// Events is how many events the chain holds up to and including Position.
	Events    uint64    `json:"events"`
	Hash      Hash      `json:"hash"` // the chain value at Position
	Time      time.Time `json:"time"` // when it was signed (UTC)
	PublicKey []byte    `json:"publicKey"`
	// Fingerprint names the key (see Fingerprint), for people comparing keys.
	Fingerprint string `json:"fingerprint"`
	Signature   []byte `json:"signature"`
}

// anchorTag opens the signed message, so that a signature over an anchor can not be taken for a
// signature over anything else made with the same key.
const anchorTag = "chronicle.audit.anchor.v1"

// Message is the byte string an anchor's signature covers: the tag, the position, the event
// count, the hash and the time in Unix nanoseconds, in that order, fixed width after the tag.
func (a Anchor) Message() []byte {
	b := appendBytes(nil, anchorTag)
	b = binary.BigEndian.AppendUint64(b, a.Position)
	b = binary.BigEndian.AppendUint64(b, a.Events)
	b = append(b, a.Hash[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(a.Time.UnixNano()))
}

// Sign makes the anchor of the chain value h at position, which holds the events-th event of
// the chain, at the time at.
func Sign(key ed25519.PrivateKey, position, events uint64, h Hash, at time.Time) Anchor {
	pub := key.Public().(ed25519.PublicKey)
	a := Anchor{Position: position, Events: events, Hash: h, Time: at.UTC(), PublicKey: pub, Fingerprint: Fingerprint(pub)}
	a.Signature = ed25519.Sign(key, a.Message())
	return a
}

// ErrBadSignature reports an anchor whose signature does not verify with the trusted key, or that
// names another key.
var ErrBadSignature = errors.New("auditchain: the anchor's signature does not verify with the audit key")

// Verify checks the anchor's signature with the trusted public key (never with the key the
// anchor carries: anyone can sign with a key of their own).
func (a Anchor) Verify(trusted ed25519.PublicKey) error {
	if len(trusted) != ed25519.PublicKeySize {
		return fmt.Errorf("auditchain: the audit public key has %d bytes, want %d", len(trusted), ed25519.PublicKeySize)
	}
	if len(a.PublicKey) != 0 && !trusted.Equal(ed25519.PublicKey(a.PublicKey)) {
		return fmt.Errorf("%w: signed with key %s, the audit key is %s", ErrBadSignature, Fingerprint(a.PublicKey), Fingerprint(trusted))
	}
	if !ed25519.Verify(trusted, a.Message(), a.Signature) {
		return ErrBadSignature
	}
	return nil
}

// Fingerprint names a public key: "SHA256:" and the hex of the first 16 bytes of its SHA-256.
func Fingerprint(pub []byte) string {
	s := sha256.Sum256(pub)
	return "SHA256:" + hex.EncodeToString(s[:16])
}

// AnchorStream is the stream the anchors are recorded on.
const AnchorStream = "audit-anchors"

// Anchored is recorded in the log for every anchor made (by the system actor): the log itself
// then says where anchors were made, so a missing anchor file is noticed.
type Anchored struct {
	Position    uint64    `json:"position"`
	Events      uint64    `json:"events"`
	Hash        Hash      `json:"hash"`
	SignedAt    time.Time `json:"signedAt"`
	Fingerprint string    `json:"fingerprint"`
	Signature   []byte    `json:"signature"`
}

// EventType implements event.Event.
func (Anchored) EventType() string { return "audit.anchored.v1" }

// AnchoredOf is the event that records the anchor.
func AnchoredOf(a Anchor) Anchored {
	return Anchored{Position: a.Position, Events: a.Events, Hash: a.Hash, SignedAt: a.Time, Fingerprint: a.Fingerprint, Signature: a.Signature}
}

// Register adds the audit chain's events to the registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Anchored{} })
	r.Register(func() event.Event { return &Migrated{} })
}
