package logfile

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// DefaultPageSize is how many events (and chain rows) one read takes.
const DefaultPageSize = 5000

// ExportOptions describe the source.
type ExportOptions struct {
	Engine    string // the event store's engine, for the header
	Chronicle string // the binary's version, for the header
	PageSize  int    // default DefaultPageSize
	Clock     func() time.Time
}

// Summary is what a file holds (Export) or was found to hold (Check).
type Summary struct {
	Header  Header
	Events  uint64
	First   uint64
	Last    uint64
	Sealed  uint64               // events that carry a chain value
	Chain   auditchain.ChainHead // the chain over every event of the file, recomputed: its value at Last
	Anchors []uint64             // the positions anchored by the audit.anchored.v1 events of the file
	Bytes   int64                // uncompressed
}

// Export writes the log of store up to its head as it is when Export begins, with the chain
// values db's audit chain holds for it, to w as a gzip-compressed log file. Servers may go on
// appending meanwhile: the file is the log's prefix up to that head. It reads the log in pages
// and writes as it goes, so its memory does not grow with the log. The chain is recomputed as the
// events pass and compared with the recorded values: a log that differs from its audit chain is
// not exported (run chronicle audit verify).
func Export(ctx context.Context, store eventstore.Store, db *readmodels.DB, w io.Writer, o ExportOptions) (Summary, error) {
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Clock == nil {
		o.Clock = func() time.Time { return time.Now().UTC() }
	}
	head, err := store.Head(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("export-log: read the head: %w", err)
	}
	count, first, err := countUpTo(ctx, store, head, o.PageSize)
	if err != nil {
		return Summary{}, err
	}
	sealed, ok, err := audit.SealedHead(ctx, db, head)
	if err != nil {
		return Summary{}, err
	}
	h := Header{Format: Format, Version: Version, Engine: o.Engine, Chronicle: o.Chronicle, Events: count, First: first, Last: head,
		CreatedAt: o.Clock().UTC()}
	if ok {
		h.Chain = auditchain.ChainHead{Position: sealed.Position, Events: sealed.Seq, Hash: sealed.Hash}
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return Summary{}, err
	}
	sum := sha256.New()
	out := &counting{w: bufio.NewWriterSize(io.MultiWriter(zw, sum), 256<<10)}
	b, err := json.Marshal(h)
	if err != nil {
		return Summary{}, err
	}
	if _, err := out.Write(append(b, '\n')); err != nil {
		return Summary{}, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := audit.Prefetch(ctx, 0, func(ctx context.Context, after uint64) ([]eventstore.Event, uint64, error) {
		if after >= head {
			return nil, after, nil
		}
		page, err := store.ReadAll(ctx, after, o.PageSize)
		if err != nil || len(page) == 0 {
			return nil, after, err
		}
		for i, e := range page {
			if e.Position > head {
				page = page[:i]
				break
			}
		}
		return page, page[len(page)-1].Position, nil
	})
	rows := audit.Prefetch(ctx, 0, func(ctx context.Context, after uint64) ([]auditchain.Sealed, uint64, error) {
		return audit.ReadChain(ctx, db, after, sealed.Position, o.PageSize)
	})
	nextRow, stopRows := pull(rows)
	defer stopRows()

	s := Summary{Header: h}
	var chain auditchain.Chain
	var buf []byte
	anchorType := auditchain.Anchored{}.EventType()
	for e, err := range events {
		if err != nil {
			return s, fmt.Errorf("export-log: read the log: %w", err)
		}
		hv := chain.Add(e)
		s.Events++
		if s.First == 0 {
			s.First = e.Position
		}
		s.Last = e.Position
		var hp *auditchain.Hash
		if e.Position <= sealed.Position {
			row, err := nextRow()
			switch {
			case err != nil:
				return s, fmt.Errorf("export-log: read the audit chain: %w", err)
			case row.Position != e.Position:
				return s, fmt.Errorf("export-log: the log differs from its audit chain at position %d (the chain's next row is position %d): run chronicle audit verify",
					min(row.Position, e.Position), row.Position)
			case row.Hash != hv:
				return s, fmt.Errorf("export-log: the log differs from its audit chain at position %d (the event does not hash to its sealed value): run chronicle audit verify", e.Position)
			}
			hp = &hv
			s.Sealed++
		}
		if e.Type == anchorType {
			var a auditchain.Anchored
			if json.Unmarshal(e.Data, &a) == nil {
				s.Anchors = append(s.Anchors, a.Position)
			}
		}
		if buf, err = appendEvent(buf[:0], e, hp); err != nil {
			return s, err
		}
		if _, err := out.Write(buf); err != nil {
			return s, err
		}
	}
	s.Chain = auditchain.ChainHead{Position: s.Last, Events: s.Events, Hash: chain.Head()}
	if s.Events != count || s.Last != head {
		return s, fmt.Errorf("export-log: read %d events up to position %d, the log counted %d up to %d", s.Events, s.Last, count, head)
	}
	if err := out.w.Flush(); err != nil {
		return s, err
	}
	t, err := json.Marshal(map[string]Trailer{"trailer": {Events: s.Events, SHA256: auditchain.Hash(sum.Sum(nil))}})
	if err != nil {
		return s, err
	}
	if _, err := zw.Write(append(t, '\n')); err != nil {
		return s, err
	}
	s.Bytes = out.n + int64(len(t)) + 1
	return s, zw.Close()
}

// countUpTo counts the events up to head and finds the first position. A store that counts
// (eventstore.Counter) is asked for the events after 0 and after head until two counts after head
// agree around the first, so that no append in between can spoil the difference; another is
// read through.
func countUpTo(ctx context.Context, store eventstore.Store, head uint64, pageSize int) (count, first uint64, err error) {
	if head == 0 {
		return 0, 0, nil
	}
	page, err := store.ReadAll(ctx, 0, 1)
	if err != nil || len(page) == 0 {
		return 0, 0, errors.Join(fmt.Errorf("export-log: read the first event"), err)
	}
	first = page[0].Position
	if c, ok := store.(eventstore.Counter); ok {
		for range 10 {
			after, err1 := c.CountAfter(ctx, head)
			all, err2 := c.CountAfter(ctx, 0)
			again, err3 := c.CountAfter(ctx, head)
			if err := errors.Join(err1, err2, err3); err != nil {
				return 0, 0, fmt.Errorf("export-log: count the events: %w", err)
			}
			if after == again {
				return uint64(all - after), first, nil
			}
		}
	}
	for after := uint64(0); after < head; {
		page, err := store.ReadAll(ctx, after, pageSize)
		if err != nil {
			return 0, 0, fmt.Errorf("export-log: count the events: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Position <= head {
				count++
			}
		}
		after = page[len(page)-1].Position
	}
	return count, first, nil
}

// pull turns a sequence into a function that returns its next element (an error when it ended).
func pull[T any](seq func(yield func(T, error) bool)) (next func() (T, error), stop func()) {
	n, s := iter.Pull2(iter.Seq2[T, error](seq))
	return func() (T, error) {
		v, err, ok := n()
		if !ok && err == nil {
			err = io.ErrUnexpectedEOF
		}
		return v, err
	}, s
}

// counting is a buffered writer that counts what passes.
type counting struct {
	w *bufio.Writer
	n int64
}

func (c *counting) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
