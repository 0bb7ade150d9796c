// Package logfile writes the event log with its audit chain into a portable file and reads it
// back: `chronicle export-log` and `chronicle import-log`.
//
// A log file is gzip-compressed JSON lines:
//
//	{"format":"chronicle.eventlog","version":1,"engine":"sqlite",…}   the header
//	{"position":1,"stream":"…","version":1,"id":"…","type":"…","occurredAt":"…","data":{…},"metadata":{…},"hash":"…"}
//	…                                                                  one line per event, in position order
//	{"trailer":{"events":N,"sha256":"…"}}                              the count and the SHA-256 of every line before it
//
// An event's data is written exactly as the store returned it (the bytes the audit chain hashes);
// data holding a line break (which only whitespace outside its strings can be) or starting or
// ending with whitespace is written as the JSON string "dataText" instead. The hash of an event is the audit chain's value at its position
// (domain/auditchain) when the chain had sealed it; the events after the sealed head have none.
// The trailer makes a truncated or cut file detectable even where no hash covers the events.
//
// The package reads and writes through the plain event-store port: the bytes as stored.
package logfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Format and Version name the file format in its header.
const (
	Format  = "chronicle.eventlog"
	Version = 1
)

// Header is a log file's first line.
type Header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Engine is the source's event store (sqlite, postgres, eventstoredb); Chronicle the
	// version of the binary that wrote the file.
	Engine    string `json:"engine"`
	Chronicle string `json:"chronicle,omitempty"`
	// Events is how many events the file holds, First and Last their first and last positions
	// (0 when it holds none): the source's log up to Last, its head when the export began.
	Events uint64 `json:"events"`
	First  uint64 `json:"first"`
	Last   uint64 `json:"last"`
	// Chain is the audit chain's value at the last sealed position of the file (Position 0:
	// nothing of it was sealed). Chain.Position == Last when the chain covers the whole file.
	Chain     auditchain.ChainHead `json:"chainHead"`
	CreatedAt time.Time            `json:"createdAt"`
}

// Trailer is a log file's last line.
type Trailer struct {
	Events uint64          `json:"events"`
	SHA256 auditchain.Hash `json:"sha256"` // of every byte of the file before the trailer line (uncompressed)
}

// line is an event line as read back.
type line struct {
	Position   uint64              `json:"position"`
	Stream     string              `json:"stream"`
	Version    int64               `json:"version"`
	ID         uuid.UUID           `json:"id"`
	Type       string              `json:"type"`
	OccurredAt time.Time           `json:"occurredAt"`
	Data       json.RawMessage     `json:"data"`
	DataText   *string             `json:"dataText"`
	Metadata   eventstore.Metadata `json:"metadata"`
	Hash       *auditchain.Hash    `json:"hash"`
}

func (l *line) event() eventstore.Event {
	e := eventstore.Event{ID: l.ID, StreamID: l.Stream, Version: l.Version, Position: l.Position, Type: l.Type,
		OccurredAt: l.OccurredAt, Data: l.Data, Metadata: l.Metadata}
	if l.DataText != nil {
		e.Data = json.RawMessage(*l.DataText)
	}
	return e
}

// appendEvent appends e's line (with its newline) to dst; hash is its chain value, nil when not
// sealed.
func appendEvent(dst []byte, e eventstore.Event, hash *auditchain.Hash) ([]byte, error) {
	dst = append(dst, `{"position":`...)
	dst = strconv.AppendUint(dst, e.Position, 10)
	dst = append(dst, `,"stream":`...)
	dst = appendString(dst, e.StreamID)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, e.Version, 10)
	dst = append(dst, `,"id":"`...)
	dst = append(dst, e.ID.String()...)
	dst = append(dst, `","type":`...)
	dst = appendString(dst, e.Type)
	dst = append(dst, `,"occurredAt":"`...)
	dst = e.OccurredAt.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	if !rawData(e.Data) {
		dst = append(dst, `,"dataText":`...)
		dst = appendString(dst, string(e.Data))
	} else {
		dst = append(dst, `,"data":`...)
		dst = append(dst, e.Data...)
	}
	m, err := json.Marshal(e.Metadata)
	if err != nil {
		return dst, fmt.Errorf("event at position %d: metadata: %w", e.Position, err)
	}
	dst = append(dst, `,"metadata":`...)
	dst = append(dst, m...)
	if hash != nil {
		dst = append(dst, `,"hash":"`...)
		dst = append(dst, hash.String()...)
		dst = append(dst, '"')
	}
	return append(dst, "}\n"...), nil
}

// rawData reports whether data can be written as it is, as the value of "data", and read back
// the same: valid JSON without a line break and without whitespace around it (a JSON decoder
// hands over a value without the whitespace around it).
func rawData(data []byte) bool {
	if len(data) == 0 || bytes.ContainsAny(data, "\r\n") || !json.Valid(data) {
		return false
	}
	space := func(c byte) bool { return c == ' ' || c == '\t' }
	return !space(data[0]) && !space(data[len(data)-1])
}

func appendString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...)
}

// trailerPrefix opens the trailer line; an event line opens with {"position":.
const trailerPrefix = `{"trailer":`
