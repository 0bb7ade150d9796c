// Package audit keeps the tamper-evident record of the event log (domain/auditchain): the sealer
// follows the log and records its hash chain in the read-model database, and at intervals signs
// the chain head with the audit key into an anchor file outside every database; Verify reads the
// log back and compares it with both.
//
// The chain table is a locator, not a proof: whoever can rewrite the events can rewrite the
// chain after them. What proves the log unaltered up to a position is an anchor, signed with a
// key the databases never hold, kept where the databases' administrators can not write. The
// chain table lets the verifier name the first altered position and what happened there.
package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// LeaseName is the lease the sealer runs under: one process at a time.
const LeaseName = "audit-seal"

// Defaults of Config.
const (
	DefaultAnchorInterval = 10 * time.Minute
	DefaultAnchorEvents   = 10_000
	DefaultPageSize       = 1000
)

// schema: audit_chain holds one row per event of the log (its position, its ordinal in the chain
// and the chain value after it); audit_seal the sealer's checkpoint (the last row, the events
// sealed since the last anchor, the last anchor and a pending request for one), written in the
// transaction that writes the rows. {bytes} is the engine's byte-string type.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS audit_chain (
		position {bigint} PRIMARY KEY,
		seq {bigint} NOT NULL,
		hash {bytes} NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS audit_seal (
		name TEXT PRIMARY KEY,
		position {bigint} NOT NULL,
		seq {bigint} NOT NULL,
		hash {bytes} NOT NULL,
		pending {bigint} NOT NULL DEFAULT 0,
		anchor_position {bigint} NOT NULL DEFAULT 0,
		anchor_at {time},
		anchor_version {bigint} NOT NULL DEFAULT 0,
		anchor_requested {bool} NOT NULL DEFAULT FALSE)`,
}

// Prepare creates the sealer's tables in the read-model database.
func Prepare(ctx context.Context, db *readmodels.DB) error {
	bytesType := "BLOB"
	if db.Dialect.Name() == "postgres" {
		bytesType = "BYTEA"
	}
	for _, stmt := range schema {
		if _, err := db.SQL.ExecContext(ctx, db.Dialect.DDL(strings.ReplaceAll(stmt, "{bytes}", bytesType))); err != nil {
			return fmt.Errorf("audit chain schema: %w", err)
		}
	}
	return nil
}

// Config is what the sealer needs.
type Config struct {
	Store eventstore.Store
	DB    *readmodels.DB
	// KeyFile is CHRONICLE_AUDIT_KEY_FILE; empty: KeyFileName in DataDir, created on first use.
	KeyFile string
	DataDir string
	// AnchorDir is CHRONICLE_AUDIT_ANCHOR_DIR (default: anchors in DataDir).
	AnchorDir string
	// An anchor is made when events were sealed since the last one and AnchorInterval has passed
	// or AnchorEvents were sealed, whichever comes first; and on request.
	AnchorInterval time.Duration
	AnchorEvents   uint64
	// Lease is how long a run holds the sealer's lease (renewed every page).
	Lease    time.Duration
	PageSize int
	Clock    func() time.Time
	Logger   *slog.Logger
}

// Sealer records the chain of the log and anchors it.
type Sealer struct {
	Config
	mu  sync.Mutex
	key ed25519.PrivateKey
}

// New builds a sealer, filling in the defaults.
func New(c Config) *Sealer {
	if c.AnchorDir == "" {
		c.AnchorDir = filepath.Join(c.DataDir, "anchors")
	}
	if c.AnchorInterval <= 0 {
		c.AnchorInterval = DefaultAnchorInterval
	}
	if c.AnchorEvents == 0 {
		c.AnchorEvents = DefaultAnchorEvents
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	if c.Clock == nil {
		c.Clock = func() time.Time { return time.Now().UTC() }
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return &Sealer{Config: c}
}

// Key is the signing key, read (or created) once.
func (s *Sealer) Key() (ed25519.PrivateKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	k, err := LoadKey(s.KeyFile, s.DataDir, true)
	if err != nil {
		return nil, err
	}
	s.key = k
	return k, nil
}

// State is the sealer's checkpoint.
type State struct {
	Position uint64 // the last event sealed
	Seq      uint64 // events sealed
	Hash     auditchain.Hash
	Pending  uint64 // events sealed since the last anchor, its own records left out
	// The last anchor: its position, when it was made, and the version of the anchor stream.
	AnchorPosition uint64
	AnchorAt       time.Time // zero: never
	AnchorVersion  int64
	Requested      bool // an anchor was asked for
	exists         bool
}

const stateName = "chain"

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ReadState reads the checkpoint (the zero State before the first seal).
func (s *Sealer) ReadState(ctx context.Context) (State, error) { return s.readState(ctx, s.DB.SQL) }

func (s *Sealer) readState(ctx context.Context, q querier) (State, error) {
	var (
		st                State
		pos, seq, pending int64
		anchorPos         int64
		hash              []byte
		at                readmodels.Time
	)
	err := q.QueryRowContext(ctx, s.DB.Q(`SELECT position, seq, hash, pending, anchor_position, anchor_at, anchor_version, anchor_requested
		FROM audit_seal WHERE name = ?`), stateName).Scan(&pos, &seq, &hash, &pending, &anchorPos, &at, &st.AnchorVersion, &st.Requested)
	if errors.Is(err, sql.ErrNoRows) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("read the audit seal: %w", err)
	}
	if len(hash) != len(st.Hash) {
		return State{}, fmt.Errorf("read the audit seal: a hash of %d bytes", len(hash))
	}
	st.Position, st.Seq, st.Pending, st.AnchorPosition = uint64(pos), uint64(seq), uint64(pending), uint64(anchorPos)
	st.Hash = auditchain.Hash(hash)
	st.AnchorAt = at.T
	st.exists = true
	return st, nil
}

// Run seals the log up to its head and anchors the head when one is due, if holder gets the
// sealer's lease; it returns the number of events sealed. Each page of events is sealed in one
// transaction with the checkpoint, so a crash at any point leaves the chain and the checkpoint
// in step.
func (s *Sealer) Run(ctx context.Context, holder string) (int, error) {
	n, ok, err := s.Seal(ctx, holder)
	if err != nil || !ok {
		return n, err
	}
	st, err := s.ReadState(ctx)
	if err != nil {
		return n, err
	}
	if st.Requested && st.Position <= st.AnchorPosition { // nothing new: the last anchor answers it
		return n, s.clearRequest(ctx)
	}
	if s.due(st) {
		if _, err := s.anchor(ctx, st); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Seal seals the log up to its head, if holder gets the sealer's lease, and makes no anchor: it
// returns the number of events sealed and whether it held the lease to the end (not: another
// process holds it, or lost it on the way). import-log seals an imported log this way, so that
// the first anchor of the new installation is made by its server, with its key.
func (s *Sealer) Seal(ctx context.Context, holder string) (int, bool, error) {
	ok, err := s.DB.TryLease(ctx, LeaseName, holder, s.Clock(), s.Lease)
	if err != nil || !ok {
		return 0, false, err
	}
	n := 0
	for {
		k, err := s.sealPage(ctx)
		n += k
		if err != nil {
			return n, false, err
		}
		if k < s.PageSize {
			return n, true, nil
		}
		// A long catch-up renews the lease as it goes; losing it ends the run.
		if ok, err := s.DB.TryLease(ctx, LeaseName, holder, s.Clock(), s.Lease); err != nil || !ok {
			return n, false, err
		}
	}
}

func (s *Sealer) due(st State) bool {
	if st.Position <= st.AnchorPosition {
		return false
	}
	if st.Requested {
		return true
	}
	return st.Pending > 0 && (st.AnchorAt.IsZero() || st.Pending >= s.AnchorEvents || s.Clock().Sub(st.AnchorAt) >= s.AnchorInterval)
}

// sealPage seals the next page of the log and returns how many events it sealed.
func (s *Sealer) sealPage(ctx context.Context) (int, error) {
	tx, err := s.DB.SQL.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("seal: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after commit this is a no-op
	st, err := s.readState(ctx, tx)
	if err != nil {
		return 0, err
	}
	events, err := s.Store.ReadAll(ctx, st.Position, s.PageSize)
	if err != nil {
		return 0, fmt.Errorf("seal: %w", err)
	}
	if len(events) == 0 {
		return 0, nil
	}
	var c auditchain.Chain
	c.Reset(st.Hash)
	next := st
	const perInsert = 300
	for start := 0; start < len(events); start += perInsert {
		chunk := events[start:min(start+perInsert, len(events))]
		args := make([]any, 0, 3*len(chunk))
		for _, e := range chunk {
			if e.Position <= next.Position {
				return 0, fmt.Errorf("seal: the log returned position %d after %d", e.Position, next.Position)
			}
			h := c.Add(e)
			next.Position, next.Hash = e.Position, h
			next.Seq++
			if e.StreamID != auditchain.AnchorStream {
				next.Pending++
			}
			args = append(args, int64(e.Position), int64(next.Seq), h[:])
		}
		if _, err := tx.ExecContext(ctx, s.DB.Q(`INSERT INTO audit_chain (position, seq, hash) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(chunk)), ", ")), args...); err != nil {
			return 0, fmt.Errorf("seal positions %d to %d: %w", chunk[0].Position, chunk[len(chunk)-1].Position, err)
		}
	}
	if !st.exists {
		_, err = tx.ExecContext(ctx, s.DB.Q(`INSERT INTO audit_seal (name, position, seq, hash, pending) VALUES (?, ?, ?, ?, ?)`),
			stateName, int64(next.Position), int64(next.Seq), next.Hash[:], int64(next.Pending))
	} else {
		var res sql.Result
		res, err = tx.ExecContext(ctx, s.DB.Q(`UPDATE audit_seal SET position = ?, seq = ?, hash = ?, pending = ? WHERE name = ? AND position = ?`),
			int64(next.Position), int64(next.Seq), next.Hash[:], int64(next.Pending), stateName, int64(st.Position))
		if err == nil {
			if n, _ := res.RowsAffected(); n != 1 {
				err = errors.New("another sealer moved the checkpoint")
			}
		}
	}
	if err != nil {
		return 0, fmt.Errorf("seal: checkpoint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("seal: commit: %w", err)
	}
	return len(events), nil
}

// anchor signs the sealed head, writes its file and records it in the log.
func (s *Sealer) anchor(ctx context.Context, st State) (auditchain.Anchor, error) {
	key, err := s.Key()
	if err != nil {
		return auditchain.Anchor{}, err
	}
	now := s.Clock()
	a := auditchain.Sign(key, st.Position, st.Seq, st.Hash, now)
	if err := WriteAnchor(s.AnchorDir, a); err != nil {
		return a, err
	}
	version, err := s.record(ctx, a, st.AnchorVersion)
	if err != nil {
		return a, err
	}
	_, err = s.DB.SQL.ExecContext(ctx, s.DB.Q(`UPDATE audit_seal SET anchor_position = ?, anchor_at = ?, anchor_version = ?, pending = 0,
		anchor_requested = FALSE WHERE name = ? AND position = ?`), int64(a.Position), s.DB.Dialect.Time(now), version, stateName, int64(st.Position))
	if err != nil {
		return a, fmt.Errorf("anchor: checkpoint: %w", err)
	}
	s.Logger.Info("audit chain anchored", "position", a.Position, "events", a.Events, "hash", a.Hash.String(),
		"file", filepath.Join(s.AnchorDir, AnchorFileName(a.Position)))
	return a, nil
}

// record appends audit.anchored.v1 to the anchor stream as the system actor and returns the
// stream's new version. The version the checkpoint knows is where the stream usually is; when it
// is not (a crash after an append, before the checkpoint), the stream's tail says where it is.
func (s *Sealer) record(ctx context.Context, a auditchain.Anchor, version int64) (int64, error) {
	data, err := json.Marshal(auditchain.AnchoredOf(a))
	if err != nil {
		return 0, fmt.Errorf("anchor: %w", err)
	}
	e := eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: auditchain.Anchored{}.EventType(), OccurredAt: a.Time, Data: data,
		Metadata: eventstore.Metadata{ActorID: access.System.ID.String(), ActorName: access.System.Name, Command: "audit.anchor",
			RequestID: "audit-sealer", CorrelationID: uuid.NewString()}}
	for range 3 {
		res, err := s.Store.Append(ctx, auditchain.AnchorStream, version, []eventstore.EventData{e})
		if err == nil {
			return res.Version, nil
		}
		if !errors.Is(err, eventstore.ErrConcurrency) {
			return 0, fmt.Errorf("anchor: record in the log: %w", err)
		}
		tail, err := s.Store.Load(ctx, auditchain.AnchorStream, eventstore.LoadOptions{FromVersion: version + 1})
		if err != nil {
			return 0, fmt.Errorf("anchor: read the anchor stream: %w", err)
		}
		if len(tail) == 0 { // the stream is shorter than the checkpoint says: read it whole
			if tail, err = s.Store.Load(ctx, auditchain.AnchorStream, eventstore.LoadOptions{}); err != nil {
				return 0, fmt.Errorf("anchor: read the anchor stream: %w", err)
			}
		}
		version = 0
		if len(tail) > 0 {
			version = tail[len(tail)-1].Version
		}
	}
	return 0, errors.New("anchor: record in the log: the anchor stream keeps moving")
}

func (s *Sealer) clearRequest(ctx context.Context) error {
	if _, err := s.DB.SQL.ExecContext(ctx, s.DB.Q(`UPDATE audit_seal SET anchor_requested = FALSE WHERE name = ?`), stateName); err != nil {
		return fmt.Errorf("audit seal: %w", err)
	}
	return nil
}

// AnchorNow seals the log to its head and anchors it, and returns the sealer's state after. When
// holder can take the sealer's lease (no server running, or its lease ran out) it does the work
// itself and gives the lease back; otherwise it asks the process holding the lease, which answers
// on its next run, and waits for it until ctx ends.
func (s *Sealer) AnchorNow(ctx context.Context, holder string) (State, error) {
	if _, err := s.DB.SQL.ExecContext(ctx, s.DB.Q(`INSERT INTO audit_seal (name, position, seq, hash, anchor_requested) VALUES (?, 0, 0, ?, TRUE)
		ON CONFLICT (name) DO UPDATE SET anchor_requested = TRUE`), stateName, auditchain.Zero[:]); err != nil {
		return State{}, fmt.Errorf("ask for an anchor: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.DB.ReleaseLease(rctx, LeaseName, holder)
	}()
	for {
		if _, err := s.Run(ctx, holder); err != nil {
			return State{}, err
		}
		st, err := s.ReadState(ctx)
		if err != nil || !st.Requested {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("the process holding the audit sealer's lease did not anchor in time: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
