// Package event holds what every aggregate shares: the Event interface and an explicit registry
// that decodes stored events (upcasting old schema versions) into domain values.
package event

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// Event is a past-tense fact with a stable, versioned type name such as "lead.claimed.v1".
type Event interface{ EventType() string }

// Upcaster turns the data of an old schema version into the data of a newer type.
type Upcaster func(data json.RawMessage) (newType string, newData json.RawMessage, err error)

// Registry maps stored type names to Go types. It is built explicitly and passed in; there is
// no global registry, so moving or renaming a Go type can never rename history.
type Registry struct {
	types     map[string]func() Event
	upcasters map[string]Upcaster
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{types: map[string]func() Event{}, upcasters: map[string]Upcaster{}}
}

// Register adds event factories; each factory returns a pointer to a zero event.
func (r *Registry) Register(factories ...func() Event) {
	for _, f := range factories {
		t := f().EventType()
		if _, dup := r.types[t]; dup {
			panic("event: type registered twice: " + t)
		}
		r.types[t] = f
	}
}

// Upcast registers a conversion from an old stored type.
func (r *Registry) Upcast(oldType string, u Upcaster) { r.upcasters[oldType] = u }

// Types lists the registered type names, sorted.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.types))
	for t := range r.types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Upcasts reports whether stored events of typ are read as another (newer) type: filters that
// skip events by their stored type name must decode these to see what they are.
func (r *Registry) Upcasts(typ string) bool {
	_, ok := r.upcasters[typ]
	return ok
}

// Knows reports whether the type (or an upcast of it) can be decoded.
func (r *Registry) Knows(typ string) bool {
	_, ok := r.types[typ]
	_, up := r.upcasters[typ]
	return ok || up
}

// Decode turns stored type and data into the current Go value, applying upcasters in a chain.
func (r *Registry) Decode(typ string, data json.RawMessage) (Event, error) {
	for range 16 {
		u, ok := r.upcasters[typ]
		if !ok {
			break
		}
		var err error
		if typ, data, err = u(data); err != nil {
			return nil, fmt.Errorf("upcast %s: %w", typ, err)
		}
	}
	f, ok := r.types[typ]
	if !ok {
		return nil, fmt.Errorf("decode event: unknown type %q", typ)
	}
	e := f()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	return deref(e), nil
}

// deref returns the value behind the pointer the factory made, so callers switch on value types.
func deref(e Event) Event {
	if v := reflect.ValueOf(e); v.Kind() == reflect.Pointer {
		if d, ok := v.Elem().Interface().(Event); ok {
			return d
		}
	}
	return e
}
