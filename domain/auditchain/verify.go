package auditchain

import (
	"cmp"
	"crypto/ed25519"
	"fmt"
	"iter"
	"slices"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Sealed is one recorded chain entry: the chain value after the event at Position, which was the
// Seq-th event of the chain (from 1).
type Sealed struct {
	Position uint64
	Seq      uint64
	Hash     Hash
}

// Kind says how the log differs from its chain or its anchors.
type Kind string

// The kinds of divergence Verify reports.
const (
	// Changed: the event at the position does not hash to its recorded chain value (a field of
	// it was altered).
	Changed Kind = "changed"
	// Missing: the chain (or an anchor) covers an event at the position that the log no longer
	// holds (deleted, or the log was cut short).
	Missing Kind = "missing"
	// Forged: the log holds an event at a position below the sealed head that the chain never
	// covered (inserted afterwards).
	Forged Kind = "forged"
	// Reordered: the event, or its type and data, recorded at the position is now at another one
	// (the chain value confirms it).
	Reordered Kind = "reordered"
	// AnchorMismatch: the chain recomputed from the log differs from a signed anchor at its
	// position.
	AnchorMismatch Kind = "anchor-mismatch"
	// BadSignature: an anchor does not verify with the audit key (altered, or signed by
	// another key); it is not used for anything else.
	BadSignature Kind = "bad-signature"
	// AnchorMissing: the log records an anchor (audit.anchored.v1) that the anchor directory no
	// longer holds (its file was deleted or moved away).
	AnchorMissing Kind = "anchor-missing"
)

// Divergence is one difference, at a position.
type Divergence struct {
	Kind     Kind
	Position uint64
	Detail   string
}

func (d Divergence) String() string {
	return fmt.Sprintf("%s at position %d: %s", d.Kind, d.Position, d.Detail)
}

// Input is what Verify compares.
type Input struct {
	// From is the first position compared; Start and StartSeq are the recorded chain value and
	// count before it (Zero and 0 from the beginning).
	From     uint64
	Start    Hash
	StartSeq uint64
	// Events are the log's events at positions from From on, in position order.
	Events iter.Seq2[eventstore.Event, error]
	// Sealed are the recorded chain entries from From up to SealedHead, in position order.
	Sealed     iter.Seq2[Sealed, error]
	SealedHead uint64
	// Anchors are checked with Key, in any order; anchors before From are not checked.
	Anchors []Anchor
	Key     ed25519.PublicKey
	// Max bounds the divergences kept in the report (default 100); the rest are counted.
	Max int
}

// Report is the outcome of Verify.
type Report struct {
	From       uint64
	Events     uint64 // events read and hashed
	Sealed     uint64 // of them, compared with their chain entry
	Unsealed   uint64 // events after the sealed head, not recorded in the chain yet
	Head       uint64 // the position of the last event read
	SealedHead uint64
	ChainHead  Hash // the chain value recomputed at Head
	Anchors    int  // anchors compared with the recomputed chain
	Skipped    int  // anchors before From, not checked
	// Divergences are in position order (the first is the first divergence), at most Max; More
	// counts the others.
	Divergences []Divergence
	More        int
}

// OK reports a log that agrees with its chain and its anchors.
func (r Report) OK() bool { return len(r.Divergences) == 0 }

// candidate is a divergence that may turn out to be a reordering: what is needed to test it.
type candidate struct {
	index      int // in the report's divergences
	kind       Kind
	event      *eventstore.Event // the event found at the position (changed, forged)
	prevSealed Hash              // the recorded chain value before the position (changed, missing)
	sealed     Hash              // the recorded value at the position (changed, missing)
	position   uint64
}

// maxCandidates bounds the reordering tests (each pair of candidates costs a hash).
const maxCandidates = 256

type verifier struct {
	in         Input
	rep        Report
	all        []Divergence
	candidates []candidate
	anchors    []Anchor // trusted anchors at or after From, by position
	next       int      // the next anchor to compare
	chain      Chain
}

// Verify recomputes the chain over the events and compares it, event by event, with the recorded
// entries (each event is checked against the recorded value before it, so every altered event is
// named, not only the first), and at every anchor with the signed head. It returns an error only
// when reading fails.
func Verify(in Input) (Report, error) {
	if in.Max <= 0 {
		in.Max = 100
	}
	v := &verifier{in: in, rep: Report{From: in.From, SealedHead: in.SealedHead}}
	v.chain.Reset(in.Start)
	v.rep.ChainHead = in.Start
	for _, a := range in.Anchors {
		switch {
		case a.Position < in.From:
			v.rep.Skipped++
		case a.Verify(in.Key) != nil:
			v.add(Divergence{BadSignature, a.Position, fmt.Sprintf("the anchor signed at %s: %v", a.Time.Format("2006-01-02T15:04:05Z07:00"), a.Verify(in.Key))})
		default:
			v.anchors = append(v.anchors, a)
		}
	}
	slices.SortStableFunc(v.anchors, func(a, b Anchor) int { return cmp.Compare(a.Position, b.Position) })

	nextE, stopE := iter.Pull2(in.Events)
	defer stopE()
	nextS, stopS := iter.Pull2(in.Sealed)
	defer stopS()
	e, err, eok := nextE()
	if eok && err != nil {
		return v.rep, err
	}
	s, err, sok := nextS()
	if sok && err != nil {
		return v.rep, err
	}
	prevSealed, prevSeq, prevPos := in.Start, in.StartSeq, uint64(0)
	for eok || sok {
		switch {
		case eok && (!sok || e.Position < s.Position):
			h := v.chain.Add(e)
			v.rep.Events++
			v.rep.Head, v.rep.ChainHead = e.Position, h
			if e.Position <= in.SealedHead {
				ev := e
				v.candidate(Divergence{Forged, e.Position, fmt.Sprintf("event %s (%s on %s) is in the log, but the chain, sealed up to position %d, never covered it",
					e.ID, e.Type, e.StreamID, in.SealedHead)}, candidate{event: &ev})
			} else {
				v.rep.Unsealed++
			}
			v.anchorsUpTo(e.Position, &h)
			if e, err, eok = nextE(); eok && err != nil {
				return v.rep, err
			}
		case sok && (!eok || s.Position < e.Position):
			v.candidate(Divergence{Missing, s.Position, fmt.Sprintf("the chain covers event %d of the log at this position, but the log holds no event there", s.Seq)},
				candidate{prevSealed: prevSealed, sealed: s.Hash})
			prevSealed, prevSeq, prevPos = s.Hash, s.Seq, s.Position
			v.anchorsUpTo(s.Position, nil)
			if s, err, sok = nextS(); sok && err != nil {
				return v.rep, err
			}
		default:
			before := v.chain.Head()
			h := v.chain.Add(e)
			v.rep.Events++
			v.rep.Sealed++
			v.rep.Head, v.rep.ChainHead = e.Position, h
			local := h
			if before != prevSealed {
				local = v.chain.With(prevSealed, e)
			}
			switch {
			case s.Seq != prevSeq+1:
				v.add(Divergence{Missing, prevPos + 1, fmt.Sprintf("%d events between positions %d and %d were deleted with their chain entries (the chain counts %d before position %d, %d at it)",
					int64(s.Seq)-int64(prevSeq)-1, prevPos, s.Position, prevSeq, s.Position, s.Seq)})
			case local != s.Hash:
				ev := e
				v.candidate(Divergence{Changed, e.Position, fmt.Sprintf("event %s (%s on %s) does not hash to the value sealed for it", e.ID, e.Type, e.StreamID)},
					candidate{event: &ev, prevSealed: prevSealed, sealed: s.Hash})
			}
			prevSealed, prevSeq, prevPos = s.Hash, s.Seq, s.Position
			v.anchorsUpTo(e.Position, &h)
			if e, err, eok = nextE(); eok && err != nil {
				return v.rep, err
			}
			if s, err, sok = nextS(); sok && err != nil {
				return v.rep, err
			}
		}
	}
	for _, a := range v.anchors[v.next:] { // past the end of the log
		v.add(Divergence{Missing, a.Position, fmt.Sprintf("the log ends at position %d, but the anchor signed at %s covers %d events up to position %d: events after position %d were deleted",
			v.rep.Head, a.Time.Format("2006-01-02T15:04:05Z07:00"), a.Events, a.Position, v.rep.Head)})
		v.rep.Anchors++
	}
	v.reorderings()
	slices.SortStableFunc(v.all, func(a, b Divergence) int { return cmp.Compare(a.Position, b.Position) })
	if len(v.all) > in.Max {
		v.rep.More = len(v.all) - in.Max
		v.all = v.all[:in.Max]
	}
	v.rep.Divergences = v.all
	return v.rep, nil
}

// anchorsUpTo compares the anchors up to pos: one at pos with the chain value h there (nil: the
// log holds no event at pos), one before pos covers an event the log does not hold.
func (v *verifier) anchorsUpTo(pos uint64, h *Hash) {
	for ; v.next < len(v.anchors) && v.anchors[v.next].Position <= pos; v.next++ {
		a := v.anchors[v.next]
		v.rep.Anchors++
		switch {
		case a.Position < pos || h == nil:
			if n := len(v.all); n > 0 && v.all[n-1].Position == a.Position && v.all[n-1].Kind == Missing {
				continue // said already
			}
			v.add(Divergence{Missing, a.Position, fmt.Sprintf("the anchor signed at %s covers an event at this position that the log no longer holds", a.Time.Format("2006-01-02T15:04:05Z07:00"))})
		case *h != a.Hash:
			v.add(Divergence{AnchorMismatch, a.Position, fmt.Sprintf("the chain recomputed from the log is %s here, the anchor signed at %s says %s",
				h, a.Time.Format("2006-01-02T15:04:05Z07:00"), a.Hash)})
		}
	}
}

func (v *verifier) add(d Divergence) { v.all = append(v.all, d) }

func (v *verifier) candidate(d Divergence, c candidate) {
	c.index, c.kind, c.position = len(v.all), d.Kind, d.Position
	v.add(d)
	if len(v.candidates) < maxCandidates {
		v.candidates = append(v.candidates, c)
	}
}

// reorderings turns changed, missing and forged positions into reorderings where the recorded
// chain value proves it: the event found at q, moved back to p, hashes to p's sealed value; or
// the event at p with the type and data now at q does.
func (v *verifier) reorderings() {
	var c Chain
	for i := range v.candidates {
		p := &v.candidates[i]
		if p.kind == Forged {
			continue // it holds an event; a reordering is found from the position it left
		}
		for j := range v.candidates {
			q := &v.candidates[j]
			if i == j || q.event == nil {
				continue
			}
			moved := *q.event
			moved.Position = p.position
			if c.With(p.prevSealed, moved) == p.sealed {
				v.all[p.index] = Divergence{Reordered, p.position, fmt.Sprintf("the event sealed here (%s, %s on %s) is now at position %d",
					moved.ID, moved.Type, moved.StreamID, q.position)}
				if q.kind == Forged {
					v.all[q.index] = Divergence{Reordered, q.position, fmt.Sprintf("holds the event sealed at position %d (%s)", p.position, moved.ID)}
				}
				break
			}
			if p.event != nil {
				swapped := *p.event
				swapped.Type, swapped.Data = q.event.Type, q.event.Data
				if c.With(p.prevSealed, swapped) == p.sealed {
					v.all[p.index] = Divergence{Reordered, p.position, fmt.Sprintf("the type and data sealed here (%s) are now at position %d, and this event carries that position's (%s)",
						swapped.Type, q.position, p.event.Type)}
					break
				}
			}
		}
	}
}
