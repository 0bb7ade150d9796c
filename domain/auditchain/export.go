package auditchain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// ManifestVersion names the manifest scheme (and opens the signed message).
const ManifestVersion = "chronicle.audit.export.v1"

// ExportFilter is the filter an export applied, as the server read it: times in UTC RFC 3339
// with nanoseconds ("" when absent), the other values as given. The exporter's data scope
// applies besides (ExportedBy names whose it was).
type ExportFilter struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Actor  string `json:"actor"`
	Type   string `json:"type"`
	Stream string `json:"stream"`
}

// ExportRange is the positions of the first and the last event the export holds (0 and 0 when
// it holds none), and LogHead, the head of the log the export was cut at: it holds every event
// up to LogHead that its filter and the exporter's scope select.
type ExportRange struct {
	First   uint64 `json:"first"`
	Last    uint64 `json:"last"`
	LogHead uint64 `json:"logHead"`
}

// ChainHead is the audit chain's sealed head when the export was made: the chain value at
// Position, the Events-th event of the chain (all zero when nothing was sealed yet). Events of
// the export after Position were not sealed yet.
type ChainHead struct {
	Position uint64 `json:"position"`
	Events   uint64 `json:"events"`
	Hash     Hash   `json:"hash"`
}

// Manifest describes an export of the operation log and signs it: the data file's name, format,
// SHA-256 and row count, the filter, the positions covered, the chain head, who exported it and
// when, and whether contact details were masked. It is signed with the audit key (the key that
// signs the anchors), so whoever holds the public key can check offline that the data file is
// the one the server wrote.
type Manifest struct {
	Version    string       `json:"version"`
	DataFile   string       `json:"dataFile"` // export.jsonl or export.csv
	Format     string       `json:"format"`   // jsonl or csv
	SHA256     Hash         `json:"sha256"`   // of the data file's bytes
	Rows       uint64       `json:"rows"`     // events in the data file (a CSV's header not counted)
	Filter     ExportFilter `json:"filter"`
	Positions  ExportRange  `json:"positions"`
	Chain      ChainHead    `json:"chainHead"`
	ExportedBy string       `json:"exportedBy"` // the exporting user's id
	Masked     bool         `json:"masked"`     // contact details were masked (no contactdetails.reveal)
	Time       time.Time    `json:"time"`       // when it was signed (UTC)
	PublicKey  []byte       `json:"publicKey"`
	// Fingerprint names the key (see Fingerprint).
	Fingerprint string `json:"fingerprint"`
	Signature   []byte `json:"signature"`
}

// Message is the byte string the manifest's signature covers: the tag, then every field but the
// key and the signature in the order of the struct, variable-length fields prefixed by their
// length (8 bytes big-endian), integers and the time (Unix nanoseconds) as 8 bytes big-endian,
// the hashes as 32 bytes, masked as one byte.
func (m Manifest) Message() []byte {
	b := appendBytes(nil, ManifestVersion)
	b = appendBytes(b, m.Version)
	b = appendBytes(b, m.DataFile)
	b = appendBytes(b, m.Format)
	b = append(b, m.SHA256[:]...)
	b = binary.BigEndian.AppendUint64(b, m.Rows)
	for _, f := range [...]string{m.Filter.From, m.Filter.To, m.Filter.Actor, m.Filter.Type, m.Filter.Stream} {
		b = appendBytes(b, f)
	}
	b = binary.BigEndian.AppendUint64(b, m.Positions.First)
	b = binary.BigEndian.AppendUint64(b, m.Positions.Last)
	b = binary.BigEndian.AppendUint64(b, m.Positions.LogHead)
	b = binary.BigEndian.AppendUint64(b, m.Chain.Position)
	b = binary.BigEndian.AppendUint64(b, m.Chain.Events)
	b = append(b, m.Chain.Hash[:]...)
	b = appendBytes(b, m.ExportedBy)
	masked := byte(0)
	if m.Masked {
		masked = 1
	}
	b = append(b, masked)
	return binary.BigEndian.AppendUint64(b, uint64(m.Time.UnixNano()))
}

// SignManifest fills in the version, the time, the key and the signature of m.
func SignManifest(key ed25519.PrivateKey, m Manifest, at time.Time) Manifest {
	pub := key.Public().(ed25519.PublicKey)
	m.Version, m.Time, m.PublicKey, m.Fingerprint = ManifestVersion, at.UTC(), pub, Fingerprint(pub)
	m.Signature = ed25519.Sign(key, m.Message())
	return m
}

// ErrBadManifestSignature reports a manifest whose signature does not verify with the trusted
// key, or that names another key.
var ErrBadManifestSignature = errors.New("auditchain: the manifest's signature does not verify with the audit key")

// Verify checks the manifest's signature with the trusted public key (never with the key the
// manifest carries).
func (m Manifest) Verify(trusted ed25519.PublicKey) error {
	if len(trusted) != ed25519.PublicKeySize {
		return fmt.Errorf("auditchain: the audit public key has %d bytes, want %d", len(trusted), ed25519.PublicKeySize)
	}
	if m.Version != ManifestVersion {
		return fmt.Errorf("auditchain: manifest version %q, want %q", m.Version, ManifestVersion)
	}
	if len(m.PublicKey) != 0 && !trusted.Equal(ed25519.PublicKey(m.PublicKey)) {
		return fmt.Errorf("%w: signed with key %s, the audit key is %s", ErrBadManifestSignature, Fingerprint(m.PublicKey), Fingerprint(trusted))
	}
	if !ed25519.Verify(trusted, m.Message(), m.Signature) {
		return ErrBadManifestSignature
	}
	return nil
}

// Check compares the manifest with a data file's bytes as read back (its SHA-256 and rows), and
// answers the differences (none: it matches).
func (m Manifest) Check(sum Hash, rows uint64) []string {
	var out []string
	if sum != m.SHA256 {
		out = append(out, fmt.Sprintf("%s: SHA-256 %s, the manifest says %s", m.DataFile, sum, m.SHA256))
	}
	if rows != m.Rows {
		out = append(out, fmt.Sprintf("%s: %d rows, the manifest says %d", m.DataFile, rows, m.Rows))
	}
	return out
}

// Sum is the SHA-256 of b as a Hash.
func Sum(b []byte) Hash { return sha256.Sum256(b) }
