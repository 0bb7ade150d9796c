package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// DefaultBatch is how many events one AppendEach of an import carries: one transaction each.
const DefaultBatch = 5000

// ErrNotEmpty: the target store holds events already.
var ErrNotEmpty = errors.New("the target event store is not empty")

// ImportOptions tune Import.
type ImportOptions struct {
	Batch int // events per AppendEach (default DefaultBatch)
	// Progress, when set, is called after each batch with the events written so far.
	Progress func(written uint64)
	// Mapped, when set, is called for each event written with its source position and the
	// position the target gave it, in order.
	Mapped func(source, target uint64)
}

// ImportResult is what Import wrote.
type ImportResult struct {
	Events uint64
	Head   uint64 // the target's position of the last event written
	// Moved is the file's position of the first event that landed at another position in the
	// target (0: every event kept its position), and MovedTo where it landed. The audit chain
	// covers positions, so from there on the target's chain differs from the file's.
	Moved, MovedTo uint64
}

// Import writes the events of a log file into store, which must be empty, in order, in batches of
// AppendEach (one transaction each on SQLite and PostgreSQL): each run of consecutive events of
// one stream is one element, expecting the version before its first event, so every id, stream,
// version, time, data and metadata is written as the file has it. Check the file first: Import
// verifies nothing but that the store takes every event. An element the store refuses ends the
// import with an error naming its position (what was written before stays).
func Import(ctx context.Context, store eventstore.Store, r io.Reader, o ImportOptions) (ImportResult, error) {
	w, err := NewWriter(ctx, store, o)
	if err != nil {
		return ImportResult{}, err
	}
	var werr error
	err = scan(r, func(Header) {}, func(l *line, _ []byte) bool {
		werr = w.Add(ctx, l.event())
		return werr == nil
	}, func(Trailer, auditchain.Hash, int64) {})
	if werr != nil {
		return w.res, werr
	}
	if err != nil {
		return w.res, fmt.Errorf("import-log: read the file: %w", err)
	}
	return w.Close(ctx)
}

// Writer writes a log's events, given in position order, into an empty store as Import does
// (Import and chronicle migrate use it): Add them, then Close.
type Writer struct {
	store     eventstore.Store
	o         ImportOptions
	res       ImportResult
	appends   []eventstore.StreamAppend
	sources   [][]uint64 // the source positions of each element's events
	positions []uint64   // the source position of each element's last event
	pending   int
	size      int // of the last element, as MaxAppendSize counts it
}

// NewWriter checks that store is empty (ErrNotEmpty) and answers a Writer into it.
func NewWriter(ctx context.Context, store eventstore.Store, o ImportOptions) (*Writer, error) {
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	head, err := store.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("import-log: read the target's head: %w", err)
	}
	if head != 0 {
		return nil, fmt.Errorf("%w: its log ends at position %d", ErrNotEmpty, head)
	}
	return &Writer{store: store, o: o}, nil
}

// Add adds an event (its stream, version, position and the rest as the source has them), writing
// a batch when one is full.
func (w *Writer) Add(ctx context.Context, e eventstore.Event) error {
	d := eventstore.EventData{ID: e.ID, Type: e.Type, OccurredAt: e.OccurredAt, Data: e.Data, Metadata: e.Metadata}
	n := eventstore.AppendSize([]eventstore.EventData{d})
	if k := len(w.appends) - 1; k >= 0 && w.appends[k].Stream == e.StreamID && w.size+n <= eventstore.MaxAppendSize {
		w.appends[k].Events = append(w.appends[k].Events, d)
		w.positions[k] = e.Position
		w.sources[k] = append(w.sources[k], e.Position)
		w.size += n
	} else {
		w.appends = append(w.appends, eventstore.StreamAppend{Stream: e.StreamID, ExpectedVersion: e.Version - 1, Events: []eventstore.EventData{d}})
		w.positions = append(w.positions, e.Position)
		w.sources = append(w.sources, []uint64{e.Position})
		w.size = n
	}
	if w.pending++; w.pending >= w.o.Batch {
		return w.flush(ctx)
	}
	return nil
}

// Close writes what is pending and answers what was written.
func (w *Writer) Close(ctx context.Context) (ImportResult, error) {
	return w.res, w.flush(ctx)
}

func (w *Writer) flush(ctx context.Context) error {
	if len(w.appends) == 0 {
		return nil
	}
	out, err := w.store.AppendEach(ctx, w.appends)
	if err != nil {
		return fmt.Errorf("import-log: write the events up to position %d: %w", w.positions[len(w.positions)-1], err)
	}
	for i, o := range out {
		if o.Err != nil {
			return fmt.Errorf("import-log: the store refused the events of %s up to position %d: %w", w.appends[i].Stream, w.positions[i], o.Err)
		}
		n := uint64(len(w.appends[i].Events))
		if w.res.Moved == 0 && o.Position != w.positions[i] {
			w.res.Moved, w.res.MovedTo = w.positions[i]-n+1, o.Position-n+1 // the first of the element, if it moved with the last
		}
		if w.o.Mapped != nil {
			// One append's events take consecutive positions (SQLite, PostgreSQL; EventStoreDB's
			// are commit positions: Mapped is for the first two).
			for j, src := range w.sources[i] {
				w.o.Mapped(src, o.Position-n+1+uint64(j))
			}
		}
		w.res.Events += n
		w.res.Head = o.Position
	}
	w.appends, w.positions, w.sources, w.pending = w.appends[:0], w.positions[:0], w.sources[:0], 0
	if w.o.Progress != nil {
		w.o.Progress(w.res.Events)
	}
	return nil
}

// FirstDifference compares a log file with the log of store, event by event in order, and
// returns the first event that the store holds otherwise than the file (its position in the file,
// and what differs), or 0 when they are the same: why an imported log hashes to another chain.
func FirstDifference(ctx context.Context, store eventstore.Store, r io.Reader) (uint64, string, error) {
	var (
		page  []eventstore.Event
		after uint64
		pos   uint64
		what  string
		rerr  error
	)
	err := scan(r, func(Header) {}, func(l *line, _ []byte) bool {
		if len(page) == 0 {
			if page, rerr = store.ReadAll(ctx, after, DefaultPageSize); rerr != nil {
				return false
			}
			if len(page) == 0 {
				pos, what = l.Position, "the store holds no event here"
				return false
			}
			after = page[len(page)-1].Position
		}
		f, s := l.event(), page[0]
		page = page[1:]
		switch {
		case f.Position != s.Position:
			what = fmt.Sprintf("the event is at position %d in the store", s.Position)
		case f.ID != s.ID || f.StreamID != s.StreamID || f.Version != s.Version || f.Type != s.Type:
			what = fmt.Sprintf("the store holds event %s (%s, version %d of %s) here", s.ID, s.Type, s.Version, s.StreamID)
		case !f.OccurredAt.Equal(s.OccurredAt):
			what = fmt.Sprintf("the store keeps its time as %s, the file %s", s.OccurredAt.Format(time.RFC3339Nano), f.OccurredAt.Format(time.RFC3339Nano))
		case !bytes.Equal(f.Data, s.Data):
			what = fmt.Sprintf("the store keeps its data as %.60q…, the file as %.60q…", s.Data, f.Data)
		case f.Metadata != s.Metadata:
			what = "the store keeps its metadata otherwise"
		default:
			return true
		}
		pos = f.Position
		return false
	}, func(Trailer, auditchain.Hash, int64) {})
	return pos, what, errors.Join(rerr, err)
}
