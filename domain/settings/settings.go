// Package settings holds system parameters that administrators change (pool rules and the like).
// There is one settings stream; each change is an event, so the history of every parameter is in
// the operation log.
package settings

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// ID is the one settings aggregate.
var ID = uuid.MustParse("00000000-0000-7000-8000-0000000000c0")

// Stream is its stream id.
const Stream = "settings-00000000-0000-7000-8000-0000000000c0"

// Defaults.
const DefaultLeadClaimCap = 1000

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// ErrNotFound: settings were never changed (defaults apply).
var ErrNotFound = errors.New("settings not found")

// Changed: some parameters changed (nil: unchanged).
type Changed struct {
	LeadClaimCap *int64    `json:"leadClaimCap,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

func (Changed) EventType() string { return "settings.changed.v1" }

// Register adds the settings events to a registry.
func Register(r *event.Registry) { r.Register(func() event.Event { return &Changed{} }) }

// Settings is the aggregate state.
type Settings struct {
	version      int64
	leadClaimCap int64
	changes      []event.Event
}

// New is the settings before any change.
func New() *Settings { return &Settings{leadClaimCap: DefaultLeadClaimCap} }

// Rehydrate rebuilds the settings from their history.
func Rehydrate(_ uuid.UUID, history []event.Event) (*Settings, error) {
	s := New()
	for _, e := range history {
		s.apply(e)
		s.version++
	}
	return s, nil
}

func (s *Settings) Version() int64         { return s.version }
func (s *Settings) LeadClaimCap() int64    { return s.leadClaimCap }
func (s *Settings) Changes() []event.Event { return append([]event.Event(nil), s.changes...) }

func (s *Settings) apply(e event.Event) {
	if c, ok := e.(Changed); ok && c.LeadClaimCap != nil {
		s.leadClaimCap = *c.LeadClaimCap
	}
}

// Change is an edit of the settings.
type Change struct {
	LeadClaimCap *int64
}

// Update applies a change; changing nothing records nothing.
func (s *Settings) Update(c Change, by uuid.UUID, at time.Time) error {
	e := Changed{By: by.String(), At: at.UTC()}
	if c.LeadClaimCap != nil {
		if *c.LeadClaimCap < 0 || *c.LeadClaimCap > 1_000_000 {
			return &ValidationError{Field: "leadClaimCap", Message: fmt.Sprintf("must be between 0 and 1000000, got %d", *c.LeadClaimCap)}
		}
		if *c.LeadClaimCap != s.leadClaimCap {
			e.LeadClaimCap = c.LeadClaimCap
		}
	}
	if e.LeadClaimCap == nil {
		return nil
	}
	s.apply(e)
	s.changes = append(s.changes, e)
	return nil
}
