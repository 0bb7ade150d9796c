package commands

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// HistoryFunc is a kind of record's history: its events with the field-level changes each made
// (Repository.History with the kind's snapshot), read as stored, whoever asks.
type HistoryFunc func(ctx context.Context, id uuid.UUID) ([]Change, error)

// HistoryOf is r's History with snapshot.
func HistoryOf[A Root](r *Repository[A], snapshot func(A) map[string]any) HistoryFunc {
	return func(ctx context.Context, id uuid.UUID) ([]Change, error) { return r.History(ctx, id, snapshot) }
}

// DefaultKeepStreams is how many streams' changes FieldChanges keeps by default.
const DefaultKeepStreams = 64

// FieldChanges gives the field-level changes of single events of the kinds of records it knows
// (by stream kind), for a reader that meets the events of many streams one at a time in position
// order, such as the export of the operation log.
//
// An event's changes need the record's state before it, so the first event of a stream met folds
// the whole stream (History, as a record's history does) and keeps the changes of every version
// of it (not the events); the changes of the last Keep streams folded are kept, so that an export
// folds each stream once unless more than Keep streams interleave (then a stream met again is
// folded again). Memory is bounded by Keep streams' changes; time by the streams' lengths.
//
// Not safe for concurrent use: one per reader.
type FieldChanges struct {
	kinds map[string]HistoryFunc
	keep  int
	cache map[string]map[int64][]event.Change
	order []string // streams in cache, oldest first
}

// NewFieldChanges answers the changes of the kinds named (stream kind → history), keeping the
// changes of keep streams (DefaultKeepStreams when keep < 1).
func NewFieldChanges(kinds map[string]HistoryFunc, keep int) *FieldChanges {
	if keep < 1 {
		keep = DefaultKeepStreams
	}
	return &FieldChanges{kinds: kinds, keep: keep, cache: map[string]map[int64][]event.Change{}}
}

// Of is the field-level changes the event at version of stream made, and whether they are known:
// false for a stream of a kind it does not know, or a record whose stream it can not find.
func (f *FieldChanges) Of(ctx context.Context, stream string, version int64) ([]event.Change, bool, error) {
	kind := eventstore.StreamKind(stream)
	history, ok := f.kinds[kind]
	if !ok || len(stream) <= len(kind)+1 {
		return nil, false, nil
	}
	byVersion, ok := f.cache[stream]
	if !ok {
		id, err := uuid.Parse(stream[len(kind)+1:])
		if err != nil {
			return nil, false, nil
		}
		changes, err := history(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			// Kept as a stream without changes, so that its other events do not fold it again;
			// the error is answered once.
			f.put(stream, map[int64][]event.Change{})
			return nil, false, err
		}
		byVersion = make(map[int64][]event.Change, len(changes))
		for _, c := range changes {
			byVersion[c.Event.Version] = c.Changes
		}
		f.put(stream, byVersion)
	}
	changes, ok := byVersion[version]
	if ok && changes == nil {
		changes = []event.Change{}
	}
	return changes, ok, nil
}

// put keeps the changes of stream, dropping the oldest stream's beyond keep.
func (f *FieldChanges) put(stream string, byVersion map[int64][]event.Change) {
	if len(f.order) >= f.keep {
		delete(f.cache, f.order[0])
		f.order = f.order[1:]
	}
	f.cache[stream] = byVersion
	f.order = append(f.order, stream)
}
