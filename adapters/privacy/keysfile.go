package privacy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// KeysFileSuffix names the keys file written beside a log file: FILE.jsonl.gz has its subjects'
// keys in FILE.jsonl.gz.keys.jsonl.gz.
const KeysFileSuffix = ".keys.jsonl.gz"

// keyLine is one line of a keys file: a subject's wrapped key, or its erasure (no key).
type keyLine struct {
	Kind        string    `json:"kind"`
	Subject     uuid.UUID `json:"subject"`
	Wrapped     []byte    `json:"wrapped,omitempty"` // base64 in JSON
	MasterKeyID string    `json:"master_key_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	ErasedAt    time.Time `json:"erased_at,omitzero"`
}

// KeysSummary is what a keys file holds.
type KeysSummary struct {
	Keys, Erased int
	Masters      []string // the master key ids the keys are wrapped with
}

func (s *KeysSummary) add(r dp.KeyRecord) {
	if r.Erased() {
		s.Erased++
		return
	}
	s.Keys++
	for _, m := range s.Masters {
		if m == r.Wrapped.MasterKeyID {
			return
		}
	}
	s.Masters = append(s.Masters, r.Wrapped.MasterKeyID)
}

// WriteKeys writes every record of the key store to w as gzip-compressed JSON lines, one per
// subject: the keys as stored, wrapped by the master key (the file opens nothing without it), and
// the erased subjects without key material.
func WriteKeys(ctx context.Context, keys dp.KeyStore, w io.Writer) (KeysSummary, error) {
	var s KeysSummary
	zw := gzip.NewWriter(w)
	enc := json.NewEncoder(zw)
	err := keys.Each(ctx, func(r dp.KeyRecord) error {
		s.add(r)
		l := keyLine{Kind: r.Kind, Subject: r.Subject, CreatedAt: r.CreatedAt.UTC(), ErasedAt: r.ErasedAt.UTC()}
		if !r.Erased() {
			l.Wrapped, l.MasterKeyID = r.Wrapped.Sealed, r.Wrapped.MasterKeyID
		}
		return enc.Encode(l)
	})
	if err != nil {
		return s, fmt.Errorf("write the subject keys: %w", err)
	}
	return s, zw.Close()
}

// ReadKeys reads a keys file written by WriteKeys.
func ReadKeys(r io.Reader) ([]dp.KeyRecord, KeysSummary, error) {
	var s KeysSummary
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, s, fmt.Errorf("the keys file: %w", err)
	}
	var out []dp.KeyRecord
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l keyLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Subject == uuid.Nil || l.Kind == "" {
			return nil, s, fmt.Errorf("the keys file: line %d is not a subject's key (%v)", n, err)
		}
		rec := dp.KeyRecord{Subject: l.Subject, Kind: l.Kind, CreatedAt: l.CreatedAt, ErasedAt: l.ErasedAt}
		if !rec.Erased() {
			if len(l.Wrapped) == 0 || l.MasterKeyID == "" {
				return nil, s, fmt.Errorf("the keys file: line %d (subject %s) has neither a key nor an erasure", n, l.Subject)
			}
			rec.Wrapped = dp.WrappedKey{MasterKeyID: l.MasterKeyID, Sealed: l.Wrapped}
		}
		s.add(rec)
		out = append(out, rec)
	}
	if err := errors.Join(sc.Err(), zr.Close()); err != nil {
		return nil, s, fmt.Errorf("the keys file: %w", err)
	}
	return out, s, nil
}

// PutKeys stores the records of a keys file into the key store after checking that each key is
// wrapped with master and opens with it (nothing is stored otherwise; ErrWrongMasterKey names the
// master keys of the file).
func PutKeys(ctx context.Context, keys dp.KeyStore, master *Master, records []dp.KeyRecord) error {
	for _, r := range records {
		if r.Erased() {
			continue
		}
		if r.Wrapped.MasterKeyID != master.ID() {
			return fmt.Errorf("%w: the keys are wrapped with master key %s, the configured master key is %s", ErrWrongMasterKey, r.Wrapped.MasterKeyID, master.ID())
		}
		if _, err := master.Unwrap(r.Subject, r.Wrapped); err != nil {
			return err
		}
	}
	return keys.Put(ctx, records)
}

// HoldsCiphertext reports whether event data holds an encrypted personal value.
func HoldsCiphertext(data []byte) bool { return bytes.Contains(data, []byte(`"`+Prefix)) }
