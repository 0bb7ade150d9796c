package logfile

import (
	"crypto/ed25519"
	"io"
	"iter"

	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// VerifyAnchors compares a log file with signed anchors, as chronicle audit verify compares a
// store: auditchain.Verify over the file's events, its chain values as the recorded chain and the
// anchors, checked with key. It proves, without any database, that the file holds the log the
// anchors signed up to their positions: the evidence of a log whose imported copy hashes anew
// (on EventStoreDB, or in another engine). open is called twice, for two readers of the file
// at once.
func VerifyAnchors(open func() (io.ReadCloser, error), anchors []auditchain.Anchor, key ed25519.PublicKey) (auditchain.Report, error) {
	var h Header
	if err := readFrom(open, func(x Header) { h = x }, nil); err != nil {
		return auditchain.Report{}, err
	}
	events := func(yield func(eventstore.Event, error) bool) {
		err := readFrom(open, nil, func(l *line, _ uint64) bool { return yield(l.event(), nil) })
		if err != nil {
			yield(eventstore.Event{}, err)
		}
	}
	sealed := func(yield func(auditchain.Sealed, error) bool) {
		err := readFrom(open, nil, func(l *line, seq uint64) bool {
			if l.Hash == nil {
				return false // the sealed prefix ends here
			}
			return yield(auditchain.Sealed{Position: l.Position, Seq: seq, Hash: *l.Hash}, nil)
		})
		if err != nil {
			yield(auditchain.Sealed{}, err)
		}
	}
	return auditchain.Verify(auditchain.Input{From: 1, Events: iter.Seq2[eventstore.Event, error](events),
		Sealed: iter.Seq2[auditchain.Sealed, error](sealed), SealedHead: h.Chain.Position, Anchors: anchors, Key: key})
}

// readFrom reads the file open gives: header, then each event line with its ordinal (from 1)
// until event answers false.
func readFrom(open func() (io.ReadCloser, error), header func(Header), event func(l *line, seq uint64) bool) error {
	r, err := open()
	if err != nil {
		return err
	}
	defer r.Close()
	var seq uint64
	return scan(r, func(h Header) {
		if header != nil {
			header(h)
		}
	}, func(l *line, _ []byte) bool {
		if event == nil {
			return false
		}
		seq++
		return event(l, seq)
	}, func(Trailer, auditchain.Hash, int64) {})
}
