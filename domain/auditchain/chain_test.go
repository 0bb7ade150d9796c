package auditchain_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

func sample(pos uint64) eventstore.Event {
	return eventstore.Event{
		ID: uuid.MustParse(fmt.Sprintf("0190a000-0000-7000-8000-%012d", pos)), StreamID: fmt.Sprintf("lead-%d", pos%7), Version: int64(pos%5 + 1),
		Position: pos, Type: []string{"lead.created.v1", "lead.updated.v1", "lead.claimed.v1"}[pos%3], OccurredAt: time.Date(2026, 3, 1, 8, 0, 0, int(pos)*1000, time.UTC),
		Data: json.RawMessage(fmt.Sprintf(`{"remark":"第%d次回访","n":%d}`, pos, pos)),
		Metadata: eventstore.Metadata{ActorID: "0190a000-0000-7000-8000-0000000000a1", ActorName: "经理", CorrelationID: "corr",
			CausationID: "cause", Command: "lead.update", RequestID: "req", ClientAddr: "198.51.100.7"},
	}
}

// TestEveryFieldIsCovered: changing any single field of an event, by as little as one byte or one
// nanosecond, changes its chain value.
func TestEveryFieldIsCovered(t *testing.T) {
	base := sample(42)
	want := auditchain.Next(auditchain.Zero, base)
	edits := map[string]func(e *eventstore.Event){
		"position":       func(e *eventstore.Event) { e.Position++ },
		"id":             func(e *eventstore.Event) { e.ID[15] ^= 1 },
		"stream":         func(e *eventstore.Event) { e.StreamID += "x" },
		"version":        func(e *eventstore.Event) { e.Version++ },
		"type":           func(e *eventstore.Event) { e.Type = "lead.released.v1" },
		"occurred at":    func(e *eventstore.Event) { e.OccurredAt = e.OccurredAt.Add(time.Nanosecond) },
		"data":           func(e *eventstore.Event) { e.Data = json.RawMessage(strings.Replace(string(e.Data), "42", "43", 1)) },
		"data spacing":   func(e *eventstore.Event) { e.Data = json.RawMessage(strings.Replace(string(e.Data), ",", ", ", 1)) },
		"actor id":       func(e *eventstore.Event) { e.Metadata.ActorID = "0190a000-0000-7000-8000-0000000000a2" },
		"actor name":     func(e *eventstore.Event) { e.Metadata.ActorName = "经里" },
		"correlation id": func(e *eventstore.Event) { e.Metadata.CorrelationID = "corr2" },
		"causation id":   func(e *eventstore.Event) { e.Metadata.CausationID = "" },
		"command":        func(e *eventstore.Event) { e.Metadata.Command = "lead.claim" },
		"request id":     func(e *eventstore.Event) { e.Metadata.RequestID = "req " },
		"client address": func(e *eventstore.Event) { e.Metadata.ClientAddr = "198.51.100.8" },
		// Length prefixes: moving bytes from one field to the next changes the encoding.
		"field boundary": func(e *eventstore.Event) { e.Metadata.RequestID, e.Metadata.ClientAddr = "req1", "98.51.100.7" },
	}
	seen := map[auditchain.Hash]string{}
	for name, edit := range edits {
		e := base
		edit(&e)
		got := auditchain.Next(auditchain.Zero, e)
		if got == want {
			t.Errorf("changing the %s leaves the hash unchanged", name)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("changing the %s and the %s give the same hash", name, other)
		}
		seen[got] = name
	}
	// The time zone a store returns the time in does not matter: the instant does.
	e := base
	e.OccurredAt = e.OccurredAt.In(time.FixedZone("CST", 8*3600))
	if auditchain.Next(auditchain.Zero, e) != want {
		t.Error("the same instant in another zone hashes differently")
	}
}

// TestChainIsOrderSensitive: the chain over the same events in another order, or with one left
// out, ends elsewhere; Chain agrees with Next.
func TestChainIsOrderSensitive(t *testing.T) {
	a, b, c := sample(1), sample(2), sample(3)
	head := func(es ...eventstore.Event) auditchain.Hash {
		var ch auditchain.Chain
		h := auditchain.Zero
		for _, e := range es {
			h = auditchain.Next(h, e)
			if ch.Add(e) != h {
				t.Fatal("Chain.Add and Next disagree")
			}
		}
		return h
	}
	abc := head(a, b, c)
	for name, other := range map[string]auditchain.Hash{"acb": head(a, c, b), "bac": head(b, a, c), "ab": head(a, b), "ac": head(a, c)} {
		if other == abc {
			t.Errorf("%s hashes like abc", name)
		}
	}
	if head(a, b, c) != abc {
		t.Error("the chain is not deterministic")
	}
	if !bytes.Equal(auditchain.Canonical(a), auditchain.AppendCanonical(nil, a)) {
		t.Error("Canonical and AppendCanonical disagree")
	}
}

func TestHashText(t *testing.T) {
	h := auditchain.Next(auditchain.Zero, sample(9))
	p, err := auditchain.ParseHash(h.String())
	if err != nil || p != h {
		t.Fatalf("round trip: %v %v", p, err)
	}
	for _, bad := range []string{"", "00", strings.Repeat("g", 64)} {
		if _, err := auditchain.ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) accepted", bad)
		}
	}
}

func TestAnchorSignature(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	otherPub, otherKey, _ := ed25519.GenerateKey(nil)
	a := auditchain.Sign(key, 10, 10, auditchain.Next(auditchain.Zero, sample(10)), time.Now())
	if err := a.Verify(pub); err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(otherPub); err == nil {
		t.Error("verified with another key")
	}
	for name, edit := range map[string]func(*auditchain.Anchor){
		"position": func(a *auditchain.Anchor) { a.Position++ },
		"events":   func(a *auditchain.Anchor) { a.Events-- },
		"hash":     func(a *auditchain.Anchor) { a.Hash[0] ^= 1 },
		"time":     func(a *auditchain.Anchor) { a.Time = a.Time.Add(time.Second) },
	} {
		b := a
		edit(&b)
		if b.Verify(pub) == nil {
			t.Errorf("an anchor with another %s verifies", name)
		}
	}
	// Re-signed by someone else with their key: refused even though the signature matches the
	// key the anchor carries.
	forged := auditchain.Sign(otherKey, 10, 10, a.Hash, a.Time)
	if forged.Verify(pub) == nil {
		t.Error("an anchor signed with another key verifies")
	}
}

// log is a test log: events at positions with a gap (position 5 never held an event), sealed.
func log(n int) ([]eventstore.Event, []auditchain.Sealed) {
	var events []eventstore.Event
	var sealed []auditchain.Sealed
	var c auditchain.Chain
	for p := uint64(1); len(events) < n; p++ {
		if p == 5 {
			continue
		}
		e := sample(p)
		events = append(events, e)
		sealed = append(sealed, auditchain.Sealed{Position: p, Seq: uint64(len(events)), Hash: c.Add(e)})
	}
	return events, sealed
}

func seq[T any](xs []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, x := range xs {
			if !yield(x, nil) {
				return
			}
		}
	}
}

func verify(t *testing.T, events []eventstore.Event, sealed []auditchain.Sealed, anchors []auditchain.Anchor, pub ed25519.PublicKey) auditchain.Report {
	t.Helper()
	head := sealed[len(sealed)-1].Position
	rep, err := auditchain.Verify(auditchain.Input{Events: seq(events), Sealed: seq(sealed), SealedHead: head, Anchors: anchors, Key: pub})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestVerifyNamesTheFirstDivergence: the pure comparison on an in-memory log, for each kind.
func TestVerifyNamesTheFirstDivergence(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	events, sealed := log(40)
	anchorAt := func(i int) auditchain.Anchor {
		return auditchain.Sign(key, sealed[i].Position, sealed[i].Seq, sealed[i].Hash, time.Now())
	}
	anchors := []auditchain.Anchor{anchorAt(19), anchorAt(39)}
	if rep := verify(t, events, sealed, anchors, pub); !rep.OK() || rep.Events != 40 || rep.Anchors != 2 || rep.Head != 41 {
		t.Fatalf("untouched log: %+v", rep)
	}
	at := func(pos uint64) int {
		i := slices.IndexFunc(events, func(e eventstore.Event) bool { return e.Position == pos })
		if i < 0 {
			t.Fatalf("no event at %d", pos)
		}
		return i
	}
	cases := map[string]struct {
		tamper  func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor)
		kind    auditchain.Kind
		pos     uint64
		further []auditchain.Kind
	}{
		"changed data": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			es[at(12)].Data = json.RawMessage(`{"remark":"x"}`)
			return es, ss, as
		}, auditchain.Changed, 12, []auditchain.Kind{auditchain.AnchorMismatch}},
		"changed actor": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			es[at(30)].Metadata.ActorName = "someone"
			return es, ss, as
		}, auditchain.Changed, 30, []auditchain.Kind{auditchain.AnchorMismatch}},
		"deleted": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			return slices.Delete(es, at(7), at(7)+1), ss, as
		}, auditchain.Missing, 7, []auditchain.Kind{auditchain.AnchorMismatch}},
		"deleted with its chain entry": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			i := at(7)
			return slices.Delete(es, i, i+1), slices.Delete(ss, i, i+1), as
		}, auditchain.Missing, 7, []auditchain.Kind{auditchain.AnchorMismatch}},
		"swapped type and data": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			i, j := at(8), at(16)
			es[i].Type, es[j].Type = es[j].Type, es[i].Type
			es[i].Data, es[j].Data = es[j].Data, es[i].Data
			return es, ss, as
		}, auditchain.Reordered, 8, []auditchain.Kind{auditchain.Reordered}},
		"forged in the gap": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			return slices.Insert(es, at(6), sample(5)), ss, as
		}, auditchain.Forged, 5, []auditchain.Kind{auditchain.AnchorMismatch}},
		"truncated with the chain": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			return es[:35], ss[:35], as
		}, auditchain.Missing, 41, nil},
		"altered anchor": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			as[0].Position = 3
			return es, ss, as
		}, auditchain.BadSignature, 3, nil},
		"anchor of another key": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			as[0] = auditchain.Sign(otherKey, as[0].Position, as[0].Events, as[0].Hash, as[0].Time)
			return es, ss, as
		}, auditchain.BadSignature, 21, nil},
		// A whole chain recomputed over an altered log passes the chain entries but not the
		// anchors.
		"chain rewritten": {func(es []eventstore.Event, ss []auditchain.Sealed, as []auditchain.Anchor) ([]eventstore.Event, []auditchain.Sealed, []auditchain.Anchor) {
			es[at(25)].Data = json.RawMessage(`{"remark":"rewritten"}`)
			var c auditchain.Chain
			for i, e := range es {
				ss[i].Hash = c.Add(e)
			}
			return es, ss, as
		}, auditchain.AnchorMismatch, 41, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			es, ss := slices.Clone(events), slices.Clone(sealed)
			as := slices.Clone(anchors)
			es, ss, as = c.tamper(es, ss, as)
			rep := verify(t, es, ss, as, pub)
			if rep.OK() {
				t.Fatal("verified")
			}
			first := rep.Divergences[0]
			if first.Kind != c.kind || first.Position != c.pos {
				t.Fatalf("first divergence %v, want %s at %d; all: %v", first, c.kind, c.pos, rep.Divergences)
			}
			for _, k := range c.further {
				if !slices.ContainsFunc(rep.Divergences[1:], func(d auditchain.Divergence) bool { return d.Kind == k }) {
					t.Errorf("no further %s in %v", k, rep.Divergences)
				}
			}
		})
	}
}

// TestVerifyFrom: verification from a sealed position starts from the value recorded before it.
func TestVerifyFrom(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	events, sealed := log(30)
	anchors := []auditchain.Anchor{auditchain.Sign(key, sealed[5].Position, sealed[5].Seq, sealed[5].Hash, time.Now()),
		auditchain.Sign(key, sealed[29].Position, sealed[29].Seq, sealed[29].Hash, time.Now())}
	i := 10
	rep, err := auditchain.Verify(auditchain.Input{From: sealed[i].Position, Start: sealed[i-1].Hash, StartSeq: sealed[i-1].Seq,
		Events: seq(events[i:]), Sealed: seq(sealed[i:]), SealedHead: sealed[29].Position, Anchors: anchors, Key: pub})
	if err != nil || !rep.OK() || rep.Events != 20 || rep.Anchors != 1 || rep.Skipped != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
}
