package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// A reservation stream makes a key unique across records of one kind (a username, a customer's
// normalised name) although every record is its own stream: the stream is named after the key,
// and its latest Reserved event names the record that holds it. Two writers reserving the same
// key at once append with the same expected version, so one of them fails. The reservation is
// written before the record; a holder that does not hold the key any more (its record was never
// written because of a crash, was deleted, or now has another key) is taken over.

// Reserved is appended to a reservation stream; the latest one names the holder.
type Reserved struct {
	Key      string `json:"key"`
	RecordID string `json:"recordId"`
	kind     string
}

// EventType is per kind of key: "username.reserved.v2", "customername.reserved.v2".
func (r Reserved) EventType() string { return r.kind + ".reserved.v2" }

// RegisterEvents builds the registry of every event the write side itself defines.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Reserved{kind: UsernameKind} },
		func() event.Event { return &Reserved{kind: CustomerNameKind} },
		func() event.Event { return &Reserved{kind: ProductCodeKind} },
		func() event.Event { return &Reserved{kind: ContractNumberKind} },
		func() event.Event { return &Reserved{kind: SupplierNameKind} },
		func() event.Event { return &Reserved{kind: WorkLogPeriodKind} },
		func() event.Event { return &ClaimDecided{kind: LeadClaimsKind} },
		func() event.Event { return &ClaimDecided{kind: CustomerClaimsKind} })
	// username.reserved.v1 was {username, userId}; the key is the lower-cased, trimmed username.
	r.Upcast("username.reserved.v1", func(data json.RawMessage) (string, json.RawMessage, error) {
		var v1 struct{ Username, UserID string }
		if err := json.Unmarshal(data, &v1); err != nil {
			return "", nil, err
		}
		out, err := json.Marshal(Reserved{Key: UsernameKey(v1.Username), RecordID: v1.UserID})
		return UsernameKind + ".reserved.v2", out, err
	})
}

// Kinds of reservation streams.
const (
	UsernameKind     = "username"
	CustomerNameKind = "customername"
	ProductCodeKind  = "productcode"
	// ContractNumberKind reserves contract numbers (compared by contract.NumberKey).
	ContractNumberKind = "contractnumber"
	// SupplierNameKind reserves supplier names (compared by finance.SupplierKey).
	SupplierNameKind = "suppliername"
	// WorkLogPeriodKind reserves a writer's work log of one kind and period (worklog.Key).
	WorkLogPeriodKind = "worklogperiod"
)

// reservationGrace is how long a reservation whose record does not exist is presumed to be a
// create in progress rather than a crash's leftover.
const reservationGrace = time.Minute

// Reservations reserve keys of one kind.
type Reservations struct {
	Store    eventstore.Store
	Registry *event.Registry
	Clock    Clock
	Kind     string    // stream kind and event prefix
	NS       uuid.UUID // namespace of the stream ids
	// Holds tells whether the record still holds the key, and whether it exists at all.
	Holds func(ctx context.Context, record uuid.UUID, key string) (held, exists bool, err error)
}

// UsernameKey: usernames are unique case-insensitively.
func UsernameKey(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

func (r Reservations) stream(key string) string {
	return r.Kind + "-" + uuid.NewSHA1(r.NS, []byte(key)).String()
}

// Latest reads the reservation stream of key: its events and the holder named last (uuid.Nil
// when there is none).
func (r Reservations) Latest(ctx context.Context, key string, from int64) ([]eventstore.Event, uuid.UUID, error) {
	events, err := r.Store.Load(ctx, r.stream(key), eventstore.LoadOptions{FromVersion: from})
	if err != nil || len(events) == 0 {
		return events, uuid.Nil, err
	}
	last := events[len(events)-1]
	d, err := r.Registry.Decode(last.Type, last.Data)
	if err != nil {
		return nil, uuid.Nil, err
	}
	res, ok := d.(Reserved)
	if !ok {
		return nil, uuid.Nil, fmt.Errorf("%s: unexpected event %s", last.StreamID, last.Type)
	}
	holder, err := uuid.Parse(res.RecordID)
	return events, holder, err
}

// Reserve claims key for id. When another record holds it, it returns that record's id.
func (r Reservations) Reserve(ctx context.Context, m Meta, key string, id uuid.UUID) (uuid.UUID, error) {
	existing, holder, err := r.Latest(ctx, key, 0)
	if err != nil {
		return uuid.Nil, err
	}
	if n := len(existing); n > 0 {
		if holder == id {
			return uuid.Nil, nil
		}
		held, exists, err := r.Holds(ctx, holder, key)
		if err != nil || held {
			return holder, err
		}
		// A holder not written yet may be a create in progress; after the grace period it is a
		// crash's leftover.
		if !exists && r.Clock().Sub(existing[n-1].OccurredAt) < reservationGrace {
			return holder, nil
		}
	}
	data, err := Encode(m, r.Clock(), []event.Event{Reserved{Key: key, RecordID: id.String(), kind: r.Kind}})
	if err != nil {
		return uuid.Nil, err
	}
	if _, err := r.Store.Append(ctx, r.stream(key), int64(len(existing)), data); err != nil {
		if !errors.Is(err, eventstore.ErrConcurrency) {
			return uuid.Nil, err
		}
		// Another writer reserved it a moment ago: it holds the key now.
		again, winner, lerr := r.Latest(ctx, key, int64(len(existing))+1)
		if lerr != nil || len(again) == 0 {
			return uuid.Nil, errors.Join(err, lerr)
		}
		return winner, nil
	}
	return uuid.Nil, nil
}
