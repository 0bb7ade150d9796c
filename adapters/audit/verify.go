package audit

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// VerifyOptions narrow a verification.
type VerifyOptions struct {
	// From is the first position verified, a sealed one (0: from the beginning); the chain is
	// recomputed from the value recorded before it.
	From uint64
	// AnchorDir holds the anchor files; PublicKey checks them. Without a key, anchor files are an
	// error (they can not be trusted unchecked).
	AnchorDir string
	PublicKey ed25519.PublicKey
	// PageSize is how many events and chain rows one read takes (default 5,000).
	PageSize int
	// Max bounds the divergences reported (default 100).
	Max int
}

// Verify reads the log from the store and the chain from the database and compares them, and
// the recomputed chain with every anchor of the anchor directory (see auditchain.Verify). Reads
// run ahead of the hashing. A server may keep appending and sealing meanwhile: the comparison
// stops at the chain's head as it was when Verify began, and events after it count as unsealed.
func Verify(ctx context.Context, store eventstore.Store, db *readmodels.DB, o VerifyOptions) (auditchain.Report, error) {
	if o.PageSize <= 0 {
		o.PageSize = 5000
	}
	// The anchors first: every anchor read is then at or below the head of the chain read next,
	// unless chain rows were deleted.
	anchors, bad, err := ReadAnchors(o.AnchorDir)
	if err != nil {
		return auditchain.Report{}, err
	}
	if (len(anchors) > 0 || len(bad) > 0) && o.PublicKey == nil {
		return auditchain.Report{}, fmt.Errorf("%d anchor files in %s, but no audit key to check them with", len(anchors)+len(bad), o.AnchorDir)
	}
	var head int64
	if err := db.SQL.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) FROM audit_chain`).Scan(&head); err != nil {
		return auditchain.Report{}, fmt.Errorf("read the audit chain: %w", err)
	}
	in := auditchain.Input{From: max(o.From, 1), SealedHead: uint64(head), Anchors: anchors, Key: o.PublicKey, Max: o.Max}
	if o.From > 1 {
		var one int
		err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT 1 FROM audit_chain WHERE position = ?`), int64(o.From)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return auditchain.Report{}, &NotSealedError{Position: o.From, Head: uint64(head)}
		}
		if err != nil {
			return auditchain.Report{}, fmt.Errorf("read the audit chain: %w", err)
		}
		var seq int64
		var h []byte
		err = db.SQL.QueryRowContext(ctx, db.Q(`SELECT seq, hash FROM audit_chain WHERE position < ? ORDER BY position DESC LIMIT 1`), int64(o.From)).Scan(&seq, &h)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return auditchain.Report{}, fmt.Errorf("read the audit chain: %w", err)
		case len(h) != len(in.Start):
			return auditchain.Report{}, fmt.Errorf("read the audit chain before position %d: a hash of %d bytes", o.From, len(h))
		default:
			in.Start, in.StartSeq = auditchain.Hash(h), uint64(seq)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := Prefetch(ctx, in.From-1, func(ctx context.Context, after uint64) ([]eventstore.Event, uint64, error) {
		events, err := store.ReadAll(ctx, after, o.PageSize)
		if err != nil || len(events) == 0 {
			return nil, after, err
		}
		return events, events[len(events)-1].Position, nil
	})
	// the anchors the log records, to find those whose file is gone
	type recorded struct {
		at uint64 // the record's own position
		auditchain.Anchored
	}
	var inLog []recorded
	anchorType := auditchain.Anchored{}.EventType()
	in.Events = func(yield func(eventstore.Event, error) bool) {
		for e, err := range events {
			if err == nil && e.Type == anchorType {
				var a auditchain.Anchored
				if json.Unmarshal(e.Data, &a) == nil {
					inLog = append(inLog, recorded{e.Position, a})
				}
			}
			if !yield(e, err) {
				return
			}
		}
	}
	in.Sealed = Prefetch(ctx, in.From-1, func(ctx context.Context, after uint64) ([]auditchain.Sealed, uint64, error) {
		return ReadChain(ctx, db, after, uint64(head), o.PageSize)
	})
	rep, err := auditchain.Verify(in)
	if err != nil {
		return rep, err
	}
	files := map[uint64]bool{}
	for _, a := range anchors {
		files[a.Position] = true
	}
	for _, b := range bad {
		files[b.Position] = true // there, if unreadable: reported below
	}
	for _, r := range inLog {
		if !files[r.Position] {
			rep.Divergences = append(rep.Divergences, auditchain.Divergence{Kind: auditchain.AnchorMissing, Position: r.Position,
				Detail: fmt.Sprintf("the log records an anchor of position %d (at position %d, signed %s) whose file %s is not in %s",
					r.Position, r.at, r.SignedAt.Format(time.RFC3339), AnchorFileName(r.Position), o.AnchorDir)})
		}
	}
	for _, b := range bad {
		rep.Divergences = append(rep.Divergences, auditchain.Divergence{Kind: auditchain.BadSignature, Position: b.Position,
			Detail: fmt.Sprintf("anchor file %s is not an anchor: %v", b.File, b.Err)})
	}
	slices.SortStableFunc(rep.Divergences, func(a, b auditchain.Divergence) int { return cmp.Compare(a.Position, b.Position) })
	return rep, nil
}

// NotSealedError: VerifyOptions.From is not a position the chain covers.
type NotSealedError struct{ Position, Head uint64 }

func (e *NotSealedError) Error() string {
	return fmt.Sprintf("position %d is not sealed: --from takes a position the chain covers (it is sealed up to %d)", e.Position, e.Head)
}

// ReadChain reads the chain rows after a position up to head, at most limit of them, and returns
// the position to read on after.
func ReadChain(ctx context.Context, db *readmodels.DB, after, head uint64, limit int) ([]auditchain.Sealed, uint64, error) {
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT position, seq, hash FROM audit_chain WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`),
		int64(after), int64(head), limit)
	if err != nil {
		return nil, after, fmt.Errorf("read the audit chain after %d: %w", after, err)
	}
	defer rows.Close()
	out := make([]auditchain.Sealed, 0, limit)
	var h []byte
	for rows.Next() {
		var pos, seq int64
		if err := rows.Scan(&pos, &seq, &h); err != nil {
			return nil, after, fmt.Errorf("read the audit chain after %d: %w", after, err)
		}
		s := auditchain.Sealed{Position: uint64(pos), Seq: uint64(seq)}
		if copy(s.Hash[:], h) != len(s.Hash) || len(h) != len(s.Hash) {
			return nil, after, fmt.Errorf("audit chain at position %d: a hash of %d bytes", pos, len(h))
		}
		out = append(out, s)
		after = s.Position
	}
	return out, after, rows.Err()
}

// SealedHead is the last chain row at or before a position (ok false: none, nothing sealed
// there yet).
func SealedHead(ctx context.Context, db *readmodels.DB, atOrBefore uint64) (s auditchain.Sealed, ok bool, err error) {
	var pos, seq int64
	var h []byte
	err = db.SQL.QueryRowContext(ctx, db.Q(`SELECT position, seq, hash FROM audit_chain WHERE position <= ? ORDER BY position DESC LIMIT 1`),
		int64(atOrBefore)).Scan(&pos, &seq, &h)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return s, false, nil
	case err != nil:
		return s, false, fmt.Errorf("read the audit chain: %w", err)
	case len(h) != len(s.Hash):
		return s, false, fmt.Errorf("audit chain at position %d: a hash of %d bytes", pos, len(h))
	}
	s.Position, s.Seq, s.Hash = uint64(pos), uint64(seq), auditchain.Hash(h)
	return s, true, nil
}

// Prefetch is the sequence of what read returns page by page from after (each page returns the
// position to continue after; an empty page ends it), read by a goroutine that keeps two pages
// ahead of the consumer. It stops when the consumer stops or ctx ends.
func Prefetch[T any](ctx context.Context, after uint64, read func(ctx context.Context, after uint64) ([]T, uint64, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		type page struct {
			items []T
			err   error
		}
		pages := make(chan page, 2)
		go func() {
			defer close(pages)
			for {
				items, next, err := read(ctx, after)
				select {
				case pages <- page{items, err}:
				case <-ctx.Done():
					return
				}
				if err != nil || len(items) == 0 {
					return
				}
				after = next
			}
		}()
		for p := range pages {
			if p.err != nil {
				var zero T
				yield(zero, p.err)
				return
			}
			for _, it := range p.items {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}
