package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"
)

// ErrConcurrency reports that a stream's version differs from the expected one.
var ErrConcurrency = errors.New("eventstore: stream version does not match the expected version")

// ErrInvalidEvent reports an event that can not be stored as given (missing id, type or data).
var ErrInvalidEvent = errors.New("eventstore: invalid event")

// MaxAppendSize is the most one append may carry, in bytes counted as EventStoreDB counts them
// against its MaxAppendSize setting (default 1 MiB): the sum, over the events, of the data,
// the metadata and twice the event type's length in UTF-16 code units (see AppendSize). Every
// adapter refuses a larger append with ErrAppendTooLarge, so behaviour does not depend on the
// engine.
const MaxAppendSize = 1 << 20

// ErrAppendTooLarge reports an append over MaxAppendSize. It wraps ErrInvalidEvent.
var ErrAppendTooLarge = fmt.Errorf("%w: the events of one append exceed %d bytes", ErrInvalidEvent, MaxAppendSize)

// NoStream is the expected version of a stream that must not exist yet.
const NoStream int64 = 0

// Metadata travels with every event: who caused it, in answer to what.
type Metadata struct {
	ActorID       string `json:"actorId,omitempty"`
	ActorName     string `json:"actorName,omitempty"`
	CorrelationID string `json:"correlationId,omitempty"`
	CausationID   string `json:"causationId,omitempty"`
	Command       string `json:"command,omitempty"`
	RequestID     string `json:"requestId,omitempty"`
	ClientAddr    string `json:"clientAddr,omitempty"`
}

// EventData is an event to append.
type EventData struct {
	ID         uuid.UUID
	Type       string // versioned name, e.g. "lead.created.v1"
	OccurredAt time.Time
	Data       json.RawMessage
	Metadata   Metadata
}

// Event is a stored event.
type Event struct {
	ID         uuid.UUID
	StreamID   string
	Version    int64
	Position   uint64
	Type       string
	OccurredAt time.Time
	Data       json.RawMessage
	Metadata   Metadata
}

// AppendResult tells where the last appended event landed.
type AppendResult struct {
	Version  int64  // the stream's new version
	Position uint64 // global position of the last appended event
}

// LoadOptions narrow a stream load. The zero value loads the whole stream.
type LoadOptions struct {
	FromVersion int64     // load events with version >= FromVersion (0 and 1 mean all)
	Until       time.Time // if set, only events that occurred at or before Until
}

// StreamAppend is one stream's part of an AppendEach.
type StreamAppend struct {
	Stream          string
	ExpectedVersion int64
	Events          []EventData
}

// AppendOutcome is what AppendEach did with one StreamAppend.
type AppendOutcome struct {
	AppendResult       // where it landed, when Err is nil
	Err          error // nil: written; else wraps ErrConcurrency or ErrInvalidEvent and nothing of it was written
}

// Store is the event-store port.
type Store interface {
	Append(ctx context.Context, stream string, expectedVersion int64, events []EventData) (AppendResult, error)
	// AppendEach is many Appends in one call, for bulk work (imports): each element is checked
	// and written as Append would write it, all of its events or none, independently of the
	// others; the outcomes are in input order, and the elements written get positions in input
	// order. A stream may appear more than once; a later element sees the earlier ones. A
	// non-nil error means the call failed as a whole and the outcomes are unknown (some elements
	// may have been written); repeating the call is safe, since expected versions make a
	// repeated element fail with ErrConcurrency instead of writing twice. Adapters with
	// transactions write the whole call in one, so it costs one commit.
	AppendEach(ctx context.Context, appends []StreamAppend) ([]AppendOutcome, error)
	Load(ctx context.Context, stream string, opts LoadOptions) ([]Event, error)
	ReadAll(ctx context.Context, after uint64, limit int) ([]Event, error)
	// ReadPositions returns the events at the given global positions, each once, in position
	// order; a position that holds no event (0, one past the head, one another store issued) is
	// left out. It serves read models that index the log by position and read the events of a
	// page when they show it (the operation log). The order and repetitions of positions do not
	// matter.
	ReadPositions(ctx context.Context, positions []uint64) ([]Event, error)
	// Subscribe delivers events after the position until ctx ends or an error occurs; the
	// returned channel is closed then and Err of the subscription tells why.
	Subscribe(ctx context.Context, after uint64) (Subscription, error)
	// Head is the position of the last event of the global log (0 when empty).
	Head(ctx context.Context) (uint64, error)
	Close() error
}

// Subscription is a running catch-up subscription.
type Subscription interface {
	Events() <-chan Event
	// Err is the reason the channel closed: call it only after the channel is closed. It is nil
	// after a cancellation of the context; callers resubscribe from their checkpoint otherwise.
	Err() error
}

// HeadWatcher is implemented by subscriptions that know when they have delivered the whole log:
// their reader read to its end. Consumers use it to batch without timers (take what is delivered
// until the reader has reached the end) and to tell a caught-up consumer from one that is behind.
type HeadWatcher interface {
	// Head reports how far the subscription's reader has read. atHead: its latest read reached the
	// end of the log, whose last event then was at head (the position subscribed after, if the log
	// held nothing more); every event up to head has been or is being put in the channel. Not
	// atHead: the reader's latest read returned a full page and it is reading on (head is then
	// meaningless). changed is closed at the next change.
	Head() (head uint64, atHead bool, changed <-chan struct{})
}

// Counter is implemented by stores that can count events after a position cheaply.
type Counter interface {
	CountAfter(ctx context.Context, after uint64) (int64, error)
}

// Validate checks what every adapter requires of an append.
func Validate(stream string, expectedVersion int64, events []EventData) error {
	if strings.TrimSpace(stream) == "" {
		return errors.Join(ErrInvalidEvent, errors.New("empty stream id"))
	}
	if expectedVersion < 0 {
		return errors.Join(ErrInvalidEvent, errors.New("negative expected version"))
	}
	if len(events) == 0 {
		return errors.Join(ErrInvalidEvent, errors.New("no events"))
	}
	for _, e := range events {
		switch {
		case e.ID == uuid.Nil:
			return errors.Join(ErrInvalidEvent, errors.New("event without id"))
		case e.Type == "":
			return errors.Join(ErrInvalidEvent, errors.New("event without type"))
		case e.OccurredAt.IsZero():
			return errors.Join(ErrInvalidEvent, errors.New("event without time"))
		case len(e.Data) == 0 || !json.Valid(e.Data):
			return errors.Join(ErrInvalidEvent, errors.New("event data is not JSON"))
		}
	}
	if n := AppendSize(events); n > MaxAppendSize {
		return fmt.Errorf("%w (%d bytes)", ErrAppendTooLarge, n)
	}
	return nil
}

// AppendSize is the size of an append as MaxAppendSize counts it. The metadata counts as the
// sum of its fields' lengths: adapters store it in different encodings, and EventStoreDB, which
// counts the stored bytes, refuses an append that this count lets through only when the
// encoding's few dozen bytes per event tip it over (its adapter reports ErrAppendTooLarge too).
func AppendSize(events []EventData) int {
	n := 0
	for _, e := range events {
		m := e.Metadata
		n += len(e.Data) + 2*utf16Len(e.Type) + len(m.ActorID) + len(m.ActorName) + len(m.CorrelationID) +
			len(m.CausationID) + len(m.Command) + len(m.RequestID) + len(m.ClientAddr)
	}
	return n
}

// utf16Len is the length of s in UTF-16 code units, as .NET counts a string.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// DistinctPositions is positions sorted, without repetitions and without 0 (never a position):
// what adapters look up for ReadPositions.
func DistinctPositions(positions []uint64) []uint64 {
	out := slices.Clone(positions)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == 0 {
		out = out[1:]
	}
	return out
}

// StreamKind is the part of a stream id before the first dash ("lead" for "lead-<uuid>").
func StreamKind(stream string) string {
	kind, _, _ := strings.Cut(stream, "-")
	return kind
}

// AppendInTurn implements AppendEach with one append per element, for stores that can not write
// several streams in one transaction, and for the elements of a transactional AppendEach that
// the database refused as a whole (a reused event id). An error other than ErrConcurrency or
// ErrInvalidEvent ends the call.
func AppendInTurn(ctx context.Context, appendOne func(ctx context.Context, stream string, expectedVersion int64, events []EventData) (AppendResult, error),
	appends []StreamAppend) ([]AppendOutcome, error) {
	out := make([]AppendOutcome, len(appends))
	for i, a := range appends {
		res, err := appendOne(ctx, a.Stream, a.ExpectedVersion, a.Events)
		if err != nil && !errors.Is(err, ErrConcurrency) && !errors.Is(err, ErrInvalidEvent) {
			return nil, err
		}
		out[i] = AppendOutcome{AppendResult: res, Err: err}
	}
	return out, nil
}
