package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// A page travels through Watermill as bytes. Every projection handler decodes every page, so the
// encoding is a compact binary one rather than JSON (which validates and unescapes each event's
// data again in each handler): a format byte, the event count, then per event its id (16
// bytes), stream, version, position, type, time (seconds and nanoseconds), data and the seven
// metadata strings. Numbers are varints; strings and data are a uvarint length and the bytes.

const pageFormat = 1

func encodePage(page []eventstore.Event) []byte {
	size := 1 + binary.MaxVarintLen64
	for _, e := range page {
		m := e.Metadata
		size += 16 + 6*binary.MaxVarintLen64 + 9*binary.MaxVarintLen64 + len(e.StreamID) + len(e.Type) + len(e.Data) +
			len(m.ActorID) + len(m.ActorName) + len(m.CorrelationID) + len(m.CausationID) + len(m.Command) + len(m.RequestID) + len(m.ClientAddr)
	}
	b := make([]byte, 0, size)
	b = append(b, pageFormat)
	b = binary.AppendUvarint(b, uint64(len(page)))
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	for _, e := range page {
		b = append(b, e.ID[:]...)
		str(e.StreamID)
		b = binary.AppendVarint(b, e.Version)
		b = binary.AppendUvarint(b, e.Position)
		str(e.Type)
		b = binary.AppendVarint(b, e.OccurredAt.Unix())
		b = binary.AppendUvarint(b, uint64(e.OccurredAt.Nanosecond()))
		b = binary.AppendUvarint(b, uint64(len(e.Data)))
		b = append(b, e.Data...)
		m := e.Metadata
		for _, s := range [...]string{m.ActorID, m.ActorName, m.CorrelationID, m.CausationID, m.Command, m.RequestID, m.ClientAddr} {
			str(s)
		}
	}
	return b
}

var errPageTruncated = errors.New("decode page: truncated")

// pageDecoder reads the encoding back; the first error sticks.
type pageDecoder struct {
	b   []byte
	err error
}

func (d *pageDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errPageTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *pageDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errPageTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *pageDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errPageTruncated
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *pageDecoder) string() string { return string(d.bytes()) }

func decodePageBytes(b []byte) ([]eventstore.Event, error) {
	if len(b) == 0 || b[0] != pageFormat {
		return nil, fmt.Errorf("decode page: unknown format")
	}
	d := &pageDecoder{b: b[1:]}
	n := d.uvarint()
	// Every event takes at least 16 + 13 bytes: a count beyond that is a corrupt page.
	if d.err != nil || n > uint64(len(d.b))/29 {
		return nil, errPageTruncated
	}
	page := make([]eventstore.Event, 0, n)
	for range n {
		var e eventstore.Event
		if len(d.b) < 16 {
			return nil, errPageTruncated
		}
		e.ID = uuid.UUID(d.b[:16])
		d.b = d.b[16:]
		e.StreamID = d.string()
		e.Version = d.varint()
		e.Position = d.uvarint()
		e.Type = d.string()
		sec := d.varint()
		nsec := d.uvarint()
		if nsec >= uint64(time.Second) {
			return nil, fmt.Errorf("decode page: bad time")
		}
		e.OccurredAt = time.Unix(sec, int64(nsec)).UTC()
		e.Data = d.bytes()
		m := &e.Metadata
		for _, s := range [...]*string{&m.ActorID, &m.ActorName, &m.CorrelationID, &m.CausationID, &m.Command, &m.RequestID, &m.ClientAddr} {
			*s = d.string()
		}
		if d.err != nil {
			return nil, d.err
		}
		page = append(page, e)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("decode page: %d bytes after the last event", len(d.b))
	}
	return page, nil
}
