package privacy

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// WrappedKey is a subject's key encrypted with a master key: MasterKeyID names the master key
// (a prefix of its hash), Sealed is the encrypted key.
type WrappedKey struct {
	MasterKeyID string
	Sealed      []byte
}

// KeyRecord is what the key store holds of a subject: its wrapped key while the subject's data is
// readable, and the time of its erasure once the key is destroyed (Wrapped is then empty).
type KeyRecord struct {
	Subject   uuid.UUID
	Kind      string
	Wrapped   WrappedKey
	CreatedAt time.Time
	ErasedAt  time.Time
}

// Erased reports whether the subject's key was destroyed.
func (r KeyRecord) Erased() bool { return !r.ErasedAt.IsZero() }

// ErrKeyExists: Put of a record for a subject that has one.
var ErrKeyExists = errors.New("the key store holds a record for the subject already")

// NewKey is a key to store for a subject that has none.
type NewKey struct {
	Kind    string
	Subject uuid.UUID
	Wrapped WrappedKey
}

// KeyStore keeps the subjects' wrapped keys apart from the events (package privacytest is its
// contract, run against every adapter).
//
//   - GetOrCreate answers the records of the subjects of the candidates, storing a candidate first
//     (all in one transaction) for each subject that has none. Concurrent calls for one subject (in
//     any processes) answer the one record stored. The record of an erased subject is answered as
//     it is: no key is ever made for it again.
//   - Get answers the records of those of the subjects that have one, in one read.
//   - Destroy deletes the subject's wrapped key for good and records the time of the erasure;
//     a subject without a record gets an erased one. Destroying again changes nothing.
//   - MasterKeyIDs are the master keys the stored keys are wrapped with.
//   - Rewrap replaces every wrapped key with rewrap's answer in one transaction: an error leaves
//     every key as it was. It answers how many keys it rewrapped.
//   - Each calls fn with every record, erased ones too (without key), in the order of the
//     subjects' ids; fn's error ends it and is answered.
//   - Put stores records as they are (a moved installation's: chronicle import-log), in one
//     transaction: an erased record stays erased, the creation and erasure times are kept. A
//     subject that has a record already is refused (ErrKeyExists) and nothing is stored.
type KeyStore interface {
	GetOrCreate(ctx context.Context, candidates []NewKey, at time.Time) (map[uuid.UUID]KeyRecord, error)
	Get(ctx context.Context, subjects []uuid.UUID) (map[uuid.UUID]KeyRecord, error)
	Destroy(ctx context.Context, kind string, subject uuid.UUID, at time.Time) error
	MasterKeyIDs(ctx context.Context) ([]string, error)
	Rewrap(ctx context.Context, rewrap func(subject uuid.UUID, w WrappedKey) (WrappedKey, error)) (int, error)
	Each(ctx context.Context, fn func(KeyRecord) error) error
	Put(ctx context.Context, records []KeyRecord) error
	Close() error
}
