// Package auditchain makes the global event log tamper-evident: a canonical byte encoding of a
// stored event, the hash chain over the log in position order,
//
//	h_0 = 32 zero bytes,  h_n = SHA-256(h_{n-1} || canonical(e_n)),
//
// the Ed25519-signed anchors of a chain head, and the comparison of a log read back from the
// store with the recorded chain and the anchors (Verify), which names the first position where
// they differ and how.
//
// The chain is over the events in position order, not over positions 1..n: positions need not be
// contiguous (a rolled-back append leaves a gap on PostgreSQL; EventStoreDB's positions are
// sparse), so every recorded chain entry names the position it covers.
//
// The package is pure: it hashes and compares what it is given. Reading the store, recording
// the chain and keeping the anchors are adapters/audit's.
package auditchain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Hash is a SHA-256 digest: a chain value.
type Hash [sha256.Size]byte

// Zero is h_0, the value the chain starts from.
var Zero Hash

// String is the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements encoding.TextMarshaler (hex).
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash reads a hash written by String.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if hex.DecodedLen(len(s)) != len(h) {
		return h, fmt.Errorf("auditchain: a hash is %d hex digits, got %d", 2*len(h), len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("auditchain: hash %q: %w", s, err)
	}
	return h, nil
}

// encodingTag opens every canonical encoding: it names the scheme, so that a later version of
// the encoding can never produce the bytes of this one.
const encodingTag = "chronicle.audit.event.v1"

// AppendCanonical appends the canonical encoding of e to dst and returns the extended slice.
//
// Every field is written in a fixed order, each variable-length field prefixed by its length as
// 8 bytes big-endian (so no two different events encode alike, whatever their bytes), integers
// as 8 bytes big-endian: the tag, the position, the event id (16 bytes), the stream id, the
// stream version, the type, the time it occurred in Unix nanoseconds (UTC; the stores keep
// microseconds), the data exactly as the store returns it, and the metadata fields actor id,
// actor name, correlation id, causation id, command, request id and client address.
func AppendCanonical(dst []byte, e eventstore.Event) []byte {
	dst = appendBytes(dst, encodingTag)
	dst = binary.BigEndian.AppendUint64(dst, e.Position)
	dst = append(dst, e.ID[:]...)
	dst = appendBytes(dst, e.StreamID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Version))
	dst = appendBytes(dst, e.Type)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.OccurredAt.UnixNano()))
	dst = appendBytes(dst, e.Data)
	m := e.Metadata
	for _, f := range [...]string{m.ActorID, m.ActorName, m.CorrelationID, m.CausationID, m.Command, m.RequestID, m.ClientAddr} {
		dst = appendBytes(dst, f)
	}
	return dst
}

// Canonical is the canonical encoding of e (see AppendCanonical).
func Canonical(e eventstore.Event) []byte { return AppendCanonical(nil, e) }

func appendBytes[T ~string | ~[]byte](dst []byte, b T) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(len(b)))
	return append(dst, b...)
}

// Next is the chain value after prev for the event e: SHA-256(prev || canonical(e)).
func Next(prev Hash, e eventstore.Event) Hash {
	var c Chain
	c.Reset(prev)
	return c.Add(e)
}

// Chain computes the chain over events given in position order. Its zero value starts at Zero.
// It reuses its buffers, so hashing a long log allocates little. Not safe for concurrent use.
type Chain struct {
	head hash.Hash
	buf  []byte
	h    Hash
	sum  []byte
}

// Reset makes the chain continue from h.
func (c *Chain) Reset(h Hash) { c.h = h }

// Head is the chain value after the last event added (Zero, or what Reset set, before any).
func (c *Chain) Head() Hash { return c.h }

// Add extends the chain by e and returns the new value.
func (c *Chain) Add(e eventstore.Event) Hash {
	c.h = c.With(c.h, e)
	return c.h
}

// With is SHA-256(prev || canonical(e)) computed with the chain's buffers, without moving the
// chain: what Next computes.
func (c *Chain) With(prev Hash, e eventstore.Event) Hash {
	if c.head == nil {
		c.head = sha256.New()
	}
	c.buf = AppendCanonical(c.buf[:0], e)
	c.head.Reset()
	c.head.Write(prev[:])
	c.head.Write(c.buf)
	c.sum = c.head.Sum(c.sum[:0])
	return Hash(c.sum)
}
