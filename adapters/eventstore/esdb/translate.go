package esdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// unknownPosition is what servers send as the commit position of an event read from a stream
// when they do not know it (the .NET long -1 seen as an unsigned number).
const unknownPosition = math.MaxUint64

// storedMetadata is the JSON written as an event's user metadata: the port's Metadata plus the
// time the event occurred, which ESDB does not keep (its created time is the server's).
type storedMetadata struct {
	eventstore.Metadata
	OccurredAt string `json:"occurredAt,omitempty"`
}

// expectedRevision maps the port's expected version (1-based, 0 = no stream) to ESDB's
// expected revision (0-based). Callers validate first: a negative version never gets here.
func expectedRevision(version int64) esdb.ExpectedRevision {
	if version <= eventstore.NoStream {
		return esdb.NoStream{}
	}
	return esdb.Revision(uint64(version - 1))
}

// streamStart maps LoadOptions.FromVersion to where a forwards stream read starts.
func streamStart(fromVersion int64) esdb.StreamPosition {
	if fromVersion <= 1 {
		return esdb.Start{}
	}
	return esdb.Revision(uint64(fromVersion - 1))
}

// allFrom maps a global position to where a forwards read of $all starts. ESDB reads forwards
// from a position inclusively, so the event at "after" itself comes back and must be dropped
// (see isAfter).
func allFrom(after uint64) esdb.AllPosition {
	if after == 0 {
		return esdb.Start{}
	}
	return esdb.Position{Commit: after, Prepare: after}
}

// isAfter is the position filter of ReadAll and Subscribe: only events strictly after the
// position asked for are delivered.
func isAfter(position, after uint64) bool { return position > after }

// isSystem reports whether an event belongs to the engine rather than to Chronicle.
func isSystem(streamID, eventType string) bool {
	return strings.HasPrefix(eventType, "$") || strings.HasPrefix(streamID, "$")
}

// checkNames refuses what ESDB would store but the adapter could never read back through
// ReadAll or Subscribe (they hide system events).
func checkNames(stream string, events []eventstore.EventData) error {
	if strings.HasPrefix(stream, "$") {
		return errors.Join(eventstore.ErrInvalidEvent, fmt.Errorf("stream id %q starts with $, reserved for system streams", stream))
	}
	for _, e := range events {
		if strings.HasPrefix(e.Type, "$") {
			return errors.Join(eventstore.ErrInvalidEvent, fmt.Errorf("event type %q starts with $, reserved for system events", e.Type))
		}
	}
	return nil
}

// toProposed translates an event to append. The event has been validated.
func toProposed(e eventstore.EventData) (esdb.EventData, error) {
	meta, err := encodeMetadata(e.Metadata, e.OccurredAt)
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("encode metadata of event %s: %w", e.ID, err)
	}
	return esdb.EventData{
		EventID:     e.ID,
		EventType:   e.Type,
		ContentType: esdb.ContentTypeJson,
		Data:        []byte(e.Data),
		Metadata:    meta,
	}, nil
}

func encodeMetadata(m eventstore.Metadata, occurredAt time.Time) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep metadata readable in the ESDB UI
	stored := storedMetadata{Metadata: m}
	if !occurredAt.IsZero() {
		stored.OccurredAt = occurredAt.UTC().Format(time.RFC3339Nano)
	}
	if err := enc.Encode(stored); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// decodeMetadata reads user metadata written by encodeMetadata. Empty (or null) metadata is
// accepted, so are unknown fields; hasTime reports whether occurredAt was present. Metadata
// that is not a JSON object, or an occurredAt that is not RFC 3339, is an error: guessing
// would hand the domain wrong history.
func decodeMetadata(raw []byte) (m eventstore.Metadata, occurredAt time.Time, hasTime bool, err error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return eventstore.Metadata{}, time.Time{}, false, nil
	}
	var stored storedMetadata
	if err := json.Unmarshal(raw, &stored); err != nil {
		return eventstore.Metadata{}, time.Time{}, false, fmt.Errorf("metadata is not a JSON object: %w", err)
	}
	if stored.OccurredAt == "" {
		return stored.Metadata, time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, stored.OccurredAt)
	if err != nil {
		return eventstore.Metadata{}, time.Time{}, false, fmt.Errorf("metadata occurredAt: %w", err)
	}
	return stored.Metadata, t.UTC(), true, nil
}

// fromRecorded translates a stored event. position is its global position (0 if unknown).
// Events without occurredAt in their metadata (written by other tools) fall back to the
// server's created time.
func fromRecorded(r *esdb.RecordedEvent, position uint64) (eventstore.Event, error) {
	if r == nil {
		return eventstore.Event{}, errors.New("esdb: missing recorded event")
	}
	meta, occurredAt, hasTime, err := decodeMetadata(r.UserMetadata)
	if err != nil {
		return eventstore.Event{}, fmt.Errorf("esdb: event %s (%s@%d): %w", r.EventID, r.StreamID, r.EventNumber, err)
	}
	if !hasTime {
		occurredAt = r.CreatedDate.UTC()
	}
	if !json.Valid(r.Data) {
		return eventstore.Event{}, fmt.Errorf("esdb: event %s (%s@%d): data is not JSON", r.EventID, r.StreamID, r.EventNumber)
	}
	return eventstore.Event{
		ID:         r.EventID,
		StreamID:   r.StreamID,
		Version:    int64(r.EventNumber) + 1,
		Position:   position,
		Type:       r.EventType,
		OccurredAt: occurredAt,
		Data:       json.RawMessage(r.Data),
		Metadata:   meta,
	}, nil
}

// fromResolved translates an event read from a stream, from $all or from a subscription.
// Links are never resolved by this adapter, so the recorded event is the event itself.
func fromResolved(r *esdb.ResolvedEvent) (eventstore.Event, error) {
	if r == nil || r.Event == nil {
		return eventstore.Event{}, errors.New("esdb: missing recorded event")
	}
	return fromRecorded(r.Event, position(r))
}

// position is the global position of a read event, 0 when the server does not know it.
func position(r *esdb.ResolvedEvent) uint64 {
	if r.Event != nil && r.Event.Position.Commit != unknownPosition {
		return r.Event.Position.Commit
	}
	if r.Commit != nil && *r.Commit != unknownPosition {
		return *r.Commit
	}
	return 0
}

// systemEvent reports whether a read event is to be hidden.
func systemEvent(r *esdb.ResolvedEvent) bool {
	ev := r.OriginalEvent()
	return ev == nil || isSystem(ev.StreamID, ev.EventType)
}

// isCode reports whether err is, or wraps, an ESDB error with the given code. esdb.FromError
// can not be used for this: it reports ok=false for every non-nil error.
func isCode(err error, code esdb.ErrorCode) bool {
	var esdbErr *esdb.Error
	return errors.As(err, &esdbErr) && esdbErr.Code() == code
}

// appendError translates an append failure: a wrong expected version becomes an error that
// wraps eventstore.ErrConcurrency, an append over the server's size limit one that wraps
// eventstore.ErrAppendTooLarge (and so ErrInvalidEvent), both still wrapping the ESDB error;
// anything else is returned as is.
func appendError(err error) error {
	if err == nil {
		return nil
	}
	if isCode(err, esdb.ErrorCodeWrongExpectedVersion) {
		return fmt.Errorf("%w: %w", eventstore.ErrConcurrency, err)
	}
	if isTooLarge(err) {
		return fmt.Errorf("%w: %w", eventstore.ErrAppendTooLarge, err)
	}
	return err
}

// isNotFound reports a read of a stream that does not exist.
func isNotFound(err error) bool { return isCode(err, esdb.ErrorCodeResourceNotFound) }

// serverSize is the size of a proposed event as the server counts it against its
// MaxAppendSize (Event.SizeOnDisk): data, metadata and the type's UTF-16 length twice.
func serverSize(e esdb.EventData) int {
	return len(e.Data) + len(e.Metadata) + 2*len(utf16.Encode([]rune(e.EventType)))
}

// maxAppendSizeExceeded starts the message of the InvalidArgument status with which the server
// refuses an append larger than its MaxAppendSize ("Maximum Append Size of 1048576 Exceeded.").
// The server also names the exception in the trailers ("maximum-append-size-exceeded"), but the
// client library (v4.2.0) does not pass them on and reports the status as ErrorCodeUnknown.
const maxAppendSizeExceeded = "Maximum Append Size of "

// isTooLarge reports the server's refusal of an append over its size limit.
func isTooLarge(err error) bool {
	st, ok := status.FromError(errors.Unwrap(asESDB(err)))
	return ok && st.Code() == codes.InvalidArgument && strings.HasPrefix(st.Message(), maxAppendSizeExceeded)
}

// asESDB is the ESDB error err is or wraps, or nil.
func asESDB(err error) error {
	var esdbErr *esdb.Error
	if errors.As(err, &esdbErr) {
		return esdbErr
	}
	return nil
}
