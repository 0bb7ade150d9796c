package logfile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// The kinds of problem Check reports besides auditchain's changed, missing and reordered.
const (
	// Malformed: a line that is not what the format says (not JSON, a field missing).
	Malformed auditchain.Kind = "malformed"
	// Invalid: an event no store would take (no id, no type, data that is not JSON), or a
	// stream version that does not follow the stream's previous event in the file.
	Invalid auditchain.Kind = "invalid"
	// Truncated: the file ends early (a cut gzip stream, no trailer).
	Truncated auditchain.Kind = "truncated"
	// Mismatch: the header or the trailer disagrees with the lines (their count, positions,
	// SHA-256, chain head).
	Mismatch auditchain.Kind = "mismatch"
)

// MaxProblems bounds the problems Check keeps.
const MaxProblems = 20

// CheckError is a file that did not verify: its problems in file order, the first one first.
type CheckError struct {
	Problems []auditchain.Divergence
	More     int // problems beyond MaxProblems
}

func (e *CheckError) Error() string {
	d := e.Problems[0]
	return fmt.Sprintf("the log file does not verify, first at position %d: %s: %s", d.Position, d.Kind, d.Detail)
}

// Check reads a log file through and verifies it without writing anything: the header, every
// event line (positions rising, each stream's versions following each other, each event one a
// store takes), the chain recomputed from the start with auditchain's canonical encoding against
// every chain value the file carries and the header's chain head, and the trailer (the count, the
// SHA-256 of the lines before it). A file that does not verify is a *CheckError naming every
// problem found (up to MaxProblems) by position and kind; other errors are read errors.
func Check(r io.Reader) (Summary, error) {
	var s Summary
	var problems []auditchain.Divergence
	more := 0
	report := func(kind auditchain.Kind, pos uint64, format string, args ...any) {
		if len(problems) == MaxProblems {
			more++
			return
		}
		problems = append(problems, auditchain.Divergence{Kind: kind, Position: pos, Detail: fmt.Sprintf(format, args...)})
	}
	var (
		chain    auditchain.Chain
		prev     auditchain.Hash // the chain value before the next event: the file's where it gave one
		prevPos  uint64
		unsealed bool // an event without a chain value was seen
		versions = map[string]int64{}
		trailer  *Trailer
	)
	anchorType := auditchain.Anchored{}.EventType()
	err := scan(r, func(h Header) { s.Header = h }, func(l *line, raw []byte) bool {
		if trailer != nil {
			report(Malformed, prevPos, "a line after the trailer")
			return false
		}
		e := l.event()
		reordered := e.Position <= prevPos
		switch {
		case reordered:
			report(auditchain.Reordered, e.Position, "position %d follows position %d in the file", e.Position, prevPos)
		case s.Header.Chain.Position > prevPos && s.Header.Chain.Position < e.Position:
			report(auditchain.Missing, s.Header.Chain.Position, "the header's chain head is at position %d, which the file does not hold (it goes from %d to %d)",
				s.Header.Chain.Position, prevPos, e.Position)
		}
		if want := versions[e.StreamID] + 1; e.Version != want {
			report(Invalid, e.Position, "version %d of %s follows version %d in the file", e.Version, e.StreamID, want-1)
		}
		versions[e.StreamID] = e.Version
		if err := eventstore.Validate(e.StreamID, e.Version-1, []eventstore.EventData{{ID: e.ID, Type: e.Type, OccurredAt: e.OccurredAt,
			Data: e.Data, Metadata: e.Metadata}}); err != nil {
			report(Invalid, e.Position, "%s", strings.ReplaceAll(err.Error(), "\n", ": "))
		}
		hv := chain.With(prev, e)
		switch {
		case l.Hash == nil:
			unsealed = true
		case reordered: // reported
		case unsealed:
			report(auditchain.Forged, e.Position, "the event carries a chain value, but an event before it in the file does not")
		case *l.Hash != hv && e.Position == prevPos+1:
			report(auditchain.Changed, e.Position, "event %s (%s on %s) does not hash to the chain value the file gives for it", e.ID, e.Type, e.StreamID)
		case *l.Hash != hv:
			report(auditchain.Missing, prevPos+1, "the chain value of position %d does not follow from position %d: an event between them is missing, or the event at %d was changed",
				e.Position, prevPos, e.Position)
		}
		if l.Hash != nil {
			hv = *l.Hash // go on from the file's value, so one change is reported once
		}
		prev = hv
		s.Events++
		if s.First == 0 {
			s.First = e.Position
		}
		s.Last, prevPos = e.Position, max(prevPos, e.Position)
		if l.Hash != nil {
			s.Sealed++
		}
		if e.Position == s.Header.Chain.Position {
			if c := s.Header.Chain; c.Hash != hv || c.Events != s.Events {
				report(Mismatch, e.Position, "the header's chain head (%s, event %d) is not the chain at its position (%s, event %d)", c.Hash, c.Events, hv, s.Events)
			}
		}
		if e.Type == anchorType {
			var a auditchain.Anchored
			if json.Unmarshal(e.Data, &a) == nil {
				s.Anchors = append(s.Anchors, a.Position)
			}
		}
		return len(problems) < MaxProblems
	}, func(t Trailer, sum auditchain.Hash, n int64) {
		trailer = &t
		s.Bytes = n
		if t.SHA256 != sum {
			report(Mismatch, prevPos, "the lines hash to %s, the trailer says %s: a line was changed, added or removed", sum, t.SHA256)
		}
	})
	var ce *scanError
	switch {
	case errors.As(err, &ce):
		report(ce.kind, prevPos, "%s", ce.msg)
	case err != nil:
		return s, err
	case trailer == nil && len(problems) < MaxProblems:
		report(Truncated, prevPos, "the file ends after position %d without its trailer", prevPos)
	}
	s.Chain = auditchain.ChainHead{Position: s.Last, Events: s.Events, Hash: prev}
	if trailer != nil && trailer.Events != s.Events {
		report(Mismatch, prevPos, "the file holds %d events, the trailer says %d", s.Events, trailer.Events)
	}
	if h := s.Header; h.Format != "" && (h.Events != s.Events || h.First != s.First || h.Last != s.Last) {
		report(Mismatch, prevPos, "the file holds %d events at positions %d to %d, the header says %d at %d to %d",
			s.Events, s.First, s.Last, h.Events, h.First, h.Last)
	}
	if c := s.Header.Chain; c.Position > s.Last {
		report(auditchain.Missing, c.Position, "the header's chain head is at position %d, after the file's last event (%d)", c.Position, s.Last)
	}
	if len(problems) > 0 {
		return s, &CheckError{Problems: problems, More: more}
	}
	return s, nil
}

// scanError is a file that can not be read as a log file at all past some point.
type scanError struct {
	kind auditchain.Kind
	msg  string
}

func (e *scanError) Error() string { return e.msg }

// scan reads a log file: header is called with the first line, event with each event line (and
// its bytes) until it answers false, trailer with the trailer, the SHA-256 of the lines before
// it and their length. A file that is not gzip, ends early or holds a line that is not JSON ends
// it with a *scanError.
func scan(r io.Reader, header func(Header), event func(l *line, raw []byte) bool, trailer func(t Trailer, sum auditchain.Hash, n int64)) error {
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 256<<10))
	if err != nil {
		return &scanError{Malformed, fmt.Sprintf("not a gzip file: %v", err)}
	}
	defer zr.Close()
	br := bufio.NewReaderSize(zr, 256<<10)
	sum := sha256.New()
	var n int64
	var buf []byte
	first := true
	for {
		b, err := readLine(br, &buf)
		if len(b) == 0 && errors.Is(err, io.EOF) {
			if first {
				return &scanError{Truncated, "the file is empty"}
			}
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) {
				return &scanError{Truncated, fmt.Sprintf("the file is cut short (%v)", err)}
			}
			return &scanError{Malformed, fmt.Sprintf("reading the file: %v", err)}
		}
		if b[len(b)-1] != '\n' {
			return &scanError{Truncated, "the file is cut short: its last line has no end"}
		}
		switch {
		case first:
			var h Header
			if err := json.Unmarshal(b, &h); err != nil || h.Format != Format {
				return &scanError{Malformed, fmt.Sprintf("the first line is not a %s header", Format)}
			}
			if h.Version != Version {
				return &scanError{Malformed, fmt.Sprintf("format version %d; this chronicle reads version %d", h.Version, Version)}
			}
			header(h)
			first = false
		case bytes.HasPrefix(b, []byte(trailerPrefix)):
			var t struct {
				Trailer *Trailer `json:"trailer"`
			}
			if err := json.Unmarshal(b, &t); err != nil || t.Trailer == nil {
				return &scanError{Malformed, "the trailer line is not JSON"}
			}
			trailer(*t.Trailer, auditchain.Hash(sum.Sum(nil)), n)
			continue // lines after it: reported as events after the trailer, and not hashed
		default:
			l := new(line)
			if err := json.Unmarshal(b, l); err != nil || l.Stream == "" {
				return &scanError{Malformed, fmt.Sprintf("a line that is not an event (%.80q)", b)}
			}
			if !event(l, b) {
				return nil
			}
		}
		sum.Write(b)
		n += int64(len(b))
	}
}

// readLine reads one line, however long, into *buf (reused) and returns it with its newline.
func readLine(br *bufio.Reader, buf *[]byte) ([]byte, error) {
	b, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return b, err
	}
	*buf = append((*buf)[:0], b...)
	for errors.Is(err, bufio.ErrBufferFull) {
		b, err = br.ReadSlice('\n')
		*buf = append(*buf, b...)
	}
	return *buf, err
}

// Read calls fn with each event of a log file and its chain value (nil: not sealed), in file
// order, and returns the header. It verifies nothing (see Check).
func Read(r io.Reader, fn func(e eventstore.Event, hash *auditchain.Hash) error) (Header, error) {
	var h Header
	var ferr error
	err := scan(r, func(x Header) { h = x }, func(l *line, _ []byte) bool {
		ferr = fn(l.event(), l.Hash)
		return ferr == nil
	}, func(Trailer, auditchain.Hash, int64) {})
	return h, errors.Join(ferr, err)
}
