package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Root is what a repository needs of an aggregate.
type Root interface {
	Version() int64
	Changes() []event.Event
}

// Repository loads aggregates of one kind from their streams and appends their changes.
type Repository[A Root] struct {
	store     eventstore.Store
	registry  *event.Registry
	clock     Clock
	stream    func(uuid.UUID) string
	rehydrate func(uuid.UUID, []event.Event) (A, error)
}

// NewRepository refuses nil dependencies.
func NewRepository[A Root](store eventstore.Store, registry *event.Registry, clock Clock,
	stream func(uuid.UUID) string, rehydrate func(uuid.UUID, []event.Event) (A, error)) *Repository[A] {
	if store == nil || registry == nil || clock == nil || stream == nil || rehydrate == nil {
		panic("commands: NewRepository with a nil dependency")
	}
	return &Repository[A]{store: store, registry: registry, clock: clock, stream: stream, rehydrate: rehydrate}
}

// Loaded is an aggregate with the position of its last event.
type Loaded[A Root] struct {
	Root     A
	Position uint64
	// Edited tells who wrote the event that set the version clients match (If-Match) and when.
	Edited Edit
}

// Edit names the author and time of a stored event, from its metadata.
type Edit struct {
	ActorID   string
	ActorName string
	At        time.Time
}

// Load reads the aggregate's stream. A missing stream is ErrNotFound.
func (r *Repository[A]) Load(ctx context.Context, id uuid.UUID) (Loaded[A], error) {
	var zero Loaded[A]
	events, err := r.store.Load(ctx, r.stream(id), eventstore.LoadOptions{})
	if err != nil {
		return zero, err
	}
	if len(events) == 0 {
		return zero, ErrNotFound
	}
	domainEvents, err := r.decode(events)
	if err != nil {
		return zero, err
	}
	a, err := r.rehydrate(id, domainEvents)
	if err != nil {
		return zero, err
	}
	return Loaded[A]{Root: a, Position: events[len(events)-1].Position, Edited: editOf(events, matchVersion(a))}, nil
}

// editOf is the author and time of the event at version v (the last one when none is).
func editOf(events []eventstore.Event, v int64) Edit {
	e := events[len(events)-1]
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Version == v {
			e = events[i]
			break
		}
	}
	return Edit{ActorID: e.Metadata.ActorID, ActorName: e.Metadata.ActorName, At: e.OccurredAt}
}

func (r *Repository[A]) decode(events []eventstore.Event) ([]event.Event, error) {
	out := make([]event.Event, len(events))
	for i, e := range events {
		d, err := r.registry.Decode(e.Type, e.Data)
		if err != nil {
			return nil, fmt.Errorf("%s v%d: %w", e.StreamID, e.Version, err)
		}
		out[i] = d
	}
	return out, nil
}

// Create appends a new aggregate's events to a stream that must not exist yet. When it exists,
// the error is ErrAlreadyExists and the result names the stream's last event (its position, so a
// caller that only wanted the record to exist - a conversion completed by someone else - can wait
// for it to be readable).
func (r *Repository[A]) Create(ctx context.Context, m Meta, id uuid.UUID, a A) (Result, error) {
	res, err := r.Append(ctx, m, id, eventstore.NoStream, a.Changes())
	if errors.Is(err, eventstore.ErrConcurrency) {
		existing := Result{ID: id}
		if events, lerr := r.store.Load(ctx, r.stream(id), eventstore.LoadOptions{}); lerr == nil && len(events) > 0 {
			last := events[len(events)-1]
			existing.Version, existing.Position = last.Version, last.Position
		}
		return existing, ErrAlreadyExists
	}
	res.Created = err == nil
	return res, err
}

// MaxAttempts bounds retries of a command whose stream moved between load and append.
const MaxAttempts = 4

// Update loads the aggregate, runs change on it and appends what it recorded with the version it
// was loaded at. When another writer got there first it reloads and runs change again (so rules
// are checked against the new state); when the client pinned the version with If-Match, the reload
// answers 412 if that version is no longer current.
// A change that records nothing appends nothing and reports the current version.
func (r *Repository[A]) Update(ctx context.Context, m Meta, id uuid.UUID, change func(A) error) (Result, error) {
	for attempt := 1; ; attempt++ {
		l, err := r.Load(ctx, id)
		if err != nil {
			return Result{}, err
		}
		version := l.Root.Version()
		if m.IfMatch != nil && *m.IfMatch != matchVersion(l.Root) {
			return Result{}, &VersionMismatchError{Current: matchVersion(l.Root), Edited: &l.Edited}
		}
		if err := change(l.Root); err != nil {
			return Result{}, err
		}
		changes := l.Root.Changes()
		if len(changes) == 0 {
			return Result{ID: id, Version: matchVersion(l.Root), Position: l.Position}, nil
		}
		res, err := r.Append(ctx, m, id, version, changes)
		if err == nil {
			res.Version = matchVersionAfter(l.Root, version, changes, res.Version)
		}
		if errors.Is(err, eventstore.ErrConcurrency) {
			if attempt < MaxAttempts {
				continue // with If-Match, the reload tells whether the client's version is still current
			}
			if m.IfMatch != nil {
				return Result{}, &VersionMismatchError{Current: version + 1}
			}
		}
		return res, err
	}
}

// editVersioned is an aggregate some of whose events do not move the version clients edit.
type editVersioned interface {
	EditVersion() int64
	MovesEditVersion(e event.Event) bool
}

// matchVersionAfter is the version clients match (and the ETag of the command's answer) once
// changes, recorded on a aggregate loaded at version, were appended up to stream version appended.
func matchVersionAfter(a Root, version int64, changes []event.Event, appended int64) int64 {
	ev, ok := any(a).(editVersioned)
	if !ok {
		return appended
	}
	v := ev.EditVersion()
	for i, e := range changes {
		if ev.MovesEditVersion(e) {
			v = version + int64(i) + 1
		}
	}
	return v
}

// matchVersion is the version If-Match is checked against: the stream version, or for aggregates
// with events that do not change what clients edit (user sign-ins), their EditVersion.
func matchVersion(a Root) int64 {
	if ev, ok := any(a).(interface{ EditVersion() int64 }); ok {
		return ev.EditVersion()
	}
	return a.Version()
}

// Append appends changes recorded on the aggregate id at the expected version, for commands that
// judge and retry themselves (a sign-in records its outcome whatever the outcome).
func (r *Repository[A]) Append(ctx context.Context, m Meta, id uuid.UUID, expected int64, changes []event.Event) (Result, error) {
	data, err := Encode(m, r.clock(), changes)
	if err != nil {
		return Result{}, err
	}
	res, err := r.store.Append(ctx, r.stream(id), expected, data)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", m.Command, err)
	}
	return Result{ID: id, Version: res.Version, Position: res.Position, EventID: data[len(data)-1].ID}, nil
}

// Encode turns domain events into events to append, with the command's metadata.
func Encode(m Meta, now time.Time, changes []event.Event) ([]eventstore.EventData, error) {
	out := make([]eventstore.EventData, len(changes))
	meta := eventstore.Metadata{
		ActorID: m.Actor.ID.String(), ActorName: m.Actor.Name, CorrelationID: m.CorrelationID,
		CausationID: m.CausationID, Command: m.Command, RequestID: m.RequestID, ClientAddr: m.ClientAddr,
	}
	for i, c := range changes {
		body, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", c.EventType(), err)
		}
		out[i] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: c.EventType(), OccurredAt: now.UTC(), Data: body, Metadata: meta}
	}
	return out, nil
}

// CreateOrMatch is an idempotent create: when the stream already exists and its first event is
// the same as the one a would record (as judged by same), it answers with the existing record
// instead of failing, so a client that retries a create with its own id gets one record.
func (r *Repository[A]) CreateOrMatch(ctx context.Context, m Meta, id uuid.UUID, a A, same func(existing, proposed event.Event) bool) (Result, error) {
	res, err := r.Create(ctx, m, id, a)
	if !errors.Is(err, ErrAlreadyExists) {
		return res, err
	}
	events, lerr := r.store.Load(ctx, r.stream(id), eventstore.LoadOptions{})
	if lerr != nil || len(events) == 0 {
		return Result{}, errors.Join(err, lerr)
	}
	first, derr := r.registry.Decode(events[0].Type, events[0].Data)
	if derr != nil || !same(first, a.Changes()[0]) {
		return Result{}, ErrAlreadyExists
	}
	last := events[len(events)-1]
	return Result{ID: id, Version: last.Version, Position: last.Position}, nil
}

// Change is one event of a record's history with the field-level changes it made.
type Change struct {
	Event   eventstore.Event
	Changes []event.Change
}

// History replays the stream and diffs the snapshot before and after each event.
func (r *Repository[A]) History(ctx context.Context, id uuid.UUID, snapshot func(A) map[string]any) ([]Change, error) {
	events, err := r.store.Load(ctx, r.stream(id), eventstore.LoadOptions{})
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, ErrNotFound
	}
	out := make([]Change, 0, len(events))
	var history []event.Event
	before := map[string]any{}
	for _, e := range events {
		d, err := r.registry.Decode(e.Type, e.Data)
		if err != nil {
			return nil, err
		}
		history = append(history, d)
		a, err := r.rehydrate(id, history)
		if err != nil {
			return nil, err
		}
		after := snapshot(a)
		out = append(out, Change{Event: e, Changes: event.Diff(before, after)})
		before = after
	}
	return out, nil
}

// AsOf rebuilds the aggregate from the events that occurred at or before until.
func (r *Repository[A]) AsOf(ctx context.Context, id uuid.UUID, until time.Time) (A, error) {
	var zero A
	events, err := r.store.Load(ctx, r.stream(id), eventstore.LoadOptions{Until: until})
	if err != nil {
		return zero, err
	}
	if len(events) == 0 {
		return zero, ErrNotFound
	}
	decoded, err := r.decode(events)
	if err != nil {
		return zero, err
	}
	return r.rehydrate(id, decoded)
}

// Events reads the aggregate's stream as stored and decoded (processes that look for one event
// of a record's past, such as a lead's conversion).
func (r *Repository[A]) Events(ctx context.Context, id uuid.UUID) ([]eventstore.Event, []event.Event, error) {
	events, err := r.store.Load(ctx, r.stream(id), eventstore.LoadOptions{})
	if err != nil {
		return nil, nil, err
	}
	if len(events) == 0 {
		return nil, nil, ErrNotFound
	}
	decoded, err := r.decode(events)
	return events, decoded, err
}

// UpdateOrCreate runs decide on an aggregate that exists before its first event (a singleton
// such as the product catalogue or the contract numbering, whose state before any event is
// fresh()): at its current version (If-Match pins it), the first change creating its stream. Two
// first changes at once are a conflict retried like any.
func (r *Repository[A]) UpdateOrCreate(ctx context.Context, m Meta, id uuid.UUID, fresh func() A, decide func(A) error) (Result, error) {
	for {
		res, err := r.Update(ctx, m, id, decide)
		if !errors.Is(err, ErrNotFound) {
			return res, err
		}
		if m.IfMatch != nil && *m.IfMatch != 0 {
			return Result{}, &VersionMismatchError{Current: 0}
		}
		a := fresh()
		if err := decide(a); err != nil {
			return Result{}, err
		}
		if len(a.Changes()) == 0 {
			return Result{ID: id}, nil
		}
		res, err = r.Create(ctx, m, id, a)
		if !errors.Is(err, ErrAlreadyExists) {
			return res, err
		}
	}
}
