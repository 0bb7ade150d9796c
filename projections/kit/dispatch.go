package kit

import (
	"context"
	"fmt"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Handler applies events of one type to S, what a projector's handlers work on (typically one
// event's envelope with the batch, and the row it changes). On makes one.
type Handler[S any] struct {
	typ string
	fn  func(context.Context, S, event.Event) error
}

// On is the handler for events of type E (watermill's cqrs.NewEventHandler is the model): it
// is keyed by E's explicit type name, so a projector lists one function per event it shows
// instead of a long type switch.
func On[E event.Event, S any](fn func(ctx context.Context, s S, e E) error) Handler[S] {
	var zero E
	return Handler[S]{typ: zero.EventType(), fn: func(ctx context.Context, s S, e event.Event) error { return fn(ctx, s, e.(E)) }}
}

// Handlers dispatches decoded events to their typed handlers.
type Handlers[S any] struct {
	byType map[string]func(context.Context, S, event.Event) error
}

// NewHandlers collects handlers; two handlers for one event type are a programming error and
// panic.
func NewHandlers[S any](hs ...Handler[S]) *Handlers[S] {
	h := &Handlers[S]{byType: make(map[string]func(context.Context, S, event.Event) error, len(hs))}
	for _, x := range hs {
		if _, dup := h.byType[x.typ]; dup {
			panic(fmt.Sprintf("kit: two handlers for %s", x.typ))
		}
		h.byType[x.typ] = x.fn
	}
	return h
}

// Handles reports whether there is a handler for the event type name, so a projector can skip
// decoding events it does not show.
func (h *Handlers[S]) Handles(typ string) bool {
	_, ok := h.byType[typ]
	return ok
}

// Handle runs e's handler on s. handled is false, and nothing runs, when e has none.
func (h *Handlers[S]) Handle(ctx context.Context, s S, e event.Event) (handled bool, err error) {
	fn, ok := h.byType[e.EventType()]
	if !ok {
		return false, nil
	}
	return true, fn(ctx, s, e)
}
