package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Pool claim limits (leads held, customers owned, customer claims per day) are counted from read
// models, which lag the log; two claims at once would both count the same number and both pass.
// A claim ledger makes the count part of the decision: every claim a user makes from a pool first
// appends `<kind>.decided.v1 {recordId, recordVersion, at}` to the user's ledger stream
// (`leadclaims-<user>`, `customerclaims-<user>`) with the version it read, then appends the claim to
// the record at recordVersion. Two claims by one user conflict on the ledger; the loser reloads it
// and counts again. The count is the read model's, corrected by the ledger's recent entries: for
// each of their records the record's own stream says whether the user holds it now (or the claim
// is still on its way), and the read model's view of those records is left out. So the ledger is a
// serialisation point and a short-term memory, never the authority on ownership: assignments,
// releases, deletions and conversions reach the count through the read model as before.

// ClaimDecided is appended to a user's claim ledger before the claim is appended to the record.
type ClaimDecided struct {
	RecordID string `json:"recordId"`
	// RecordVersion is the record's version the claim was decided at; the claim is its next event.
	RecordVersion int64     `json:"recordVersion"`
	At            time.Time `json:"at"`
	kind          string
}

// EventType is per kind of ledger: "leadclaims.decided.v1", "customerclaims.decided.v1".
func (d ClaimDecided) EventType() string { return d.kind + ".decided.v1" }

// Kinds of claim ledgers.
const (
	LeadClaimsKind     = "leadclaims"
	CustomerClaimsKind = "customerclaims"
)

// ClaimGrace is how long a ledger entry whose claim has not reached the record yet counts as a
// claim in progress; after it, the entry is a crash's leftover (or a claim that lost) and no longer
// counts. A claim appends to the record right after its ledger entry, well within it.
const ClaimGrace = time.Minute

// ledgerAttempts bounds the retries of a claim whose ledger moved. Every conflict means another
// claim of the same user was decided, and once the limit is reached the others are refused without
// appending, so the retries needed are bounded by the limit plus one; past this a 409 answers.
const ledgerAttempts = 64

// ClaimFate is what became of a ledger entry's claim, read from the record's stream.
type ClaimFate struct {
	Landed  bool // the record's event after RecordVersion is this user's claim
	Pending bool // the record is still at RecordVersion: the claim may be on its way
	Held    bool // the user holds the record now, as the read model counts holdings
}

// ClaimEntry is a recent ledger entry and its fate.
type ClaimEntry struct {
	Record  uuid.UUID
	Version int64
	At      time.Time
	// Held: the user holds the record now, or the claim is still on its way (within ClaimGrace).
	Held bool
	// Claimed: the claim reached the record, or is still on its way.
	Claimed bool
}

// Claims are a user's recent ledger entries, oldest first.
type Claims []ClaimEntry

// Records are the distinct records of the entries: those whose holding the read model must not
// count, since Held says it from the records' streams.
func (cs Claims) Records() []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	for _, c := range cs {
		if !seen[c.Record] {
			seen[c.Record] = true
			out = append(out, c.Record)
		}
	}
	return out
}

// Held counts the distinct records the user holds or is about to hold.
func (cs Claims) Held() int64 {
	held := map[uuid.UUID]bool{}
	for _, c := range cs {
		if c.Held {
			held[c.Record] = true
		}
	}
	return int64(len(held))
}

// ClaimedSince counts the claims made at or after since (each claim once, however many entries
// decided it).
func (cs Claims) ClaimedSince(since time.Time) int64 {
	type key struct {
		record  uuid.UUID
		version int64
	}
	claimed := map[key]bool{}
	for _, c := range cs {
		if c.Claimed && !c.At.Before(since) {
			claimed[key{c.Record, c.Version}] = true
		}
	}
	return int64(len(claimed))
}

// ClaimLedger is one kind of claim ledger (one per pool).
type ClaimLedger struct {
	Store    eventstore.Store
	Registry *event.Registry
	Clock    Clock
	Kind     string
	// Fate reads the record's stream: what became of user's claim decided at version.
	Fate func(ctx context.Context, record uuid.UUID, version int64, user uuid.UUID) (ClaimFate, error)

	// A ledger grows by one entry per claim for ever, but a decision reads only the entries of its
	// window. tails remembers per stream a version below which every entry is older than a time,
	// so that a decision whose window starts at or after that time loads the stream from there.
	mu    sync.Mutex
	tails map[string]ledgerTail
}

// ledgerTail: every entry of the stream below version from occurred before before.
type ledgerTail struct {
	from   int64
	before time.Time
}

// maxLedgerTails bounds the remembered tails (one per user and kind of ledger in practice).
const maxLedgerTails = 100_000

// tailFrom is the version to load stream from for a window starting at since (1: all of it).
func (l *ClaimLedger) tailFrom(stream string, since time.Time) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.tails[stream]; ok && !since.Before(t.before) {
		return t.from
	}
	return 1
}

// remember records that the entries of stream below version from occurred before before.
func (l *ClaimLedger) remember(stream string, from int64, before time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tails == nil || len(l.tails) >= maxLedgerTails {
		l.tails = map[string]ledgerTail{}
	}
	if t, ok := l.tails[stream]; !ok || from > t.from {
		l.tails[stream] = ledgerTail{from: from, before: before}
	}
}

// ClaimLedgerStream is the stream of a user's ledger of one kind.
func ClaimLedgerStream(kind string, user uuid.UUID) string { return kind + "-" + user.String() }

// Decide serialises user's claim of record (at recordVersion) with the user's other claims. It
// loads the ledger, works out the fates of the entries at or after since (the caller's window: the
// read model's lag and the limit's period, less ClaimGrace), and passes them to check; if check accepts, it appends the decision with the ledger's version. A ledger
// that moved meanwhile is loaded and checked again. The caller appends the claim to the record at
// recordVersion right after (a record that moved meanwhile makes the entry count for nothing once
// the record's stream shows another event after recordVersion).
//
// Only the ledger's tail is read once an earlier decision has seen which entries are older than
// the window (see tails); the first decision of a process reads the whole stream.
func (l *ClaimLedger) Decide(ctx context.Context, m Meta, user, record uuid.UUID, recordVersion int64,
	since func() (time.Time, error), check func(Claims) error) error {
	stream := ClaimLedgerStream(l.Kind, user)
	for attempt := 1; ; attempt++ {
		from, err := since()
		if err != nil {
			return err
		}
		start := l.tailFrom(stream, from)
		stored, err := l.Store.Load(ctx, stream, eventstore.LoadOptions{FromVersion: start})
		if err != nil {
			return err
		}
		if start > 1 && (len(stored) == 0 || stored[0].Version != start) {
			// streams only grow, so this is not the stream the tail was taken from: read it whole
			start = 1
			if stored, err = l.Store.Load(ctx, stream, eventstore.LoadOptions{}); err != nil {
				return err
			}
		}
		version := max(start-1, 0) + int64(len(stored))
		now := l.Clock()
		var claims Claims
		older := start // every entry below it occurred before from
		for _, e := range stored {
			if e.OccurredAt.Before(from) {
				if e.Version == older {
					older++
				}
				continue
			}
			d, err := l.Registry.Decode(e.Type, e.Data)
			if err != nil {
				return err
			}
			entry, ok := d.(ClaimDecided)
			if !ok {
				return fmt.Errorf("%s: unexpected event %s", stream, e.Type)
			}
			id, err := uuid.Parse(entry.RecordID)
			if err != nil {
				return fmt.Errorf("%s v%d: %w", stream, e.Version, err)
			}
			fate, err := l.Fate(ctx, id, entry.RecordVersion, user)
			if err != nil {
				return err
			}
			onItsWay := fate.Pending && now.Sub(entry.At) < ClaimGrace
			claims = append(claims, ClaimEntry{Record: id, Version: entry.RecordVersion, At: entry.At,
				// record is in the pool now (the caller checked): no holding of it counts
				Held: id != record && (fate.Held || onItsWay), Claimed: fate.Landed || onItsWay})
		}
		if older > start {
			l.remember(stream, older, from)
		}
		if err := check(claims); err != nil {
			return err
		}
		data, err := Encode(m, now, []event.Event{ClaimDecided{RecordID: record.String(), RecordVersion: recordVersion, At: now.UTC(), kind: l.Kind}})
		if err != nil {
			return err
		}
		_, err = l.Store.Append(ctx, stream, version, data)
		if err == nil {
			return nil
		}
		if !errors.Is(err, eventstore.ErrConcurrency) || attempt >= ledgerAttempts {
			return fmt.Errorf("%s: %w", stream, err)
		}
	}
}
