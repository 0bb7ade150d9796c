package event

import "slices"

// Root is embedded by every aggregate: its version (the number of events in its stream when
// loaded) and the events its behaviours recorded since. Each aggregate keeps its own apply, a
// type switch that only changes state, and hands it to Record and Replay.
type Root struct {
	version int64
	changes []Event
}

// Version is the stream version the aggregate was loaded at.
func (r *Root) Version() int64 { return r.version }

// Changes returns a copy of the events recorded since loading.
func (r *Root) Changes() []Event { return slices.Clone(r.changes) }

// Record applies a new event and keeps it to be appended.
func (r *Root) Record(apply func(Event), e Event) {
	apply(e)
	r.changes = append(r.changes, e)
}

// Replay applies history (a rehydration) and counts the version; after is called with the
// version reached after each event (nil when not needed).
func (r *Root) Replay(apply func(Event), history []Event, after func(e Event, version int64)) {
	for _, e := range history {
		apply(e)
		r.version++
		if after != nil {
			after(e, r.version)
		}
	}
}
