package announcement

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Events of an announcement's stream.
type (
	// Published: an announcement was published to its audience.
	Published struct {
		AnnouncementID string    `json:"announcementId"`
		Fields         Fields    `json:"fields"`
		By             string    `json:"by"`
		At             time.Time `json:"at"`
	}
	// Edited: the title or the body changed (only those in the event, with their new values).
	Edited struct {
		AnnouncementID string    `json:"announcementId"`
		Title          *string   `json:"title,omitempty"`
		Body           *string   `json:"body,omitempty"`
		By             string    `json:"by"`
		At             time.Time `json:"at"`
	}
	// Pinned and Unpinned: the announcement is (no longer) listed before the others.
	Pinned struct {
		AnnouncementID string    `json:"announcementId"`
		By             string    `json:"by"`
		At             time.Time `json:"at"`
	}
	Unpinned struct {
		AnnouncementID string    `json:"announcementId"`
		By             string    `json:"by"`
		At             time.Time `json:"at"`
	}
	// ExpiryChanged: the announcement expires at ExpiresAt ("": never).
	ExpiryChanged struct {
		AnnouncementID string    `json:"announcementId"`
		ExpiresAt      string    `json:"expiresAt"`
		By             string    `json:"by"`
		At             time.Time `json:"at"`
	}
	// Withdrawn: the announcement leaves every list; its history stays.
	Withdrawn struct {
		AnnouncementID string    `json:"announcementId"`
		By             string    `json:"by"`
		At             time.Time `json:"at"`
	}
	// Read: the reader opened the announcement (a receipt's only event).
	Read struct {
		AnnouncementID string    `json:"announcementId"`
		UserID         string    `json:"userId"`
		At             time.Time `json:"at"`
	}
)

func (Published) EventType() string     { return "announcement.published.v1" }
func (Edited) EventType() string        { return "announcement.edited.v1" }
func (Pinned) EventType() string        { return "announcement.pinned.v1" }
func (Unpinned) EventType() string      { return "announcement.unpinned.v1" }
func (ExpiryChanged) EventType() string { return "announcement.expiry_changed.v1" }
func (Withdrawn) EventType() string     { return "announcement.withdrawn.v1" }
func (Read) EventType() string          { return "announcement.read.v1" }

// Register adds the announcement events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Published{} }, func() event.Event { return &Edited{} },
		func() event.Event { return &Pinned{} }, func() event.Event { return &Unpinned{} },
		func() event.Event { return &ExpiryChanged{} }, func() event.Event { return &Withdrawn{} },
		func() event.Event { return &Read{} })
}

// Announcement is the aggregate state.
type Announcement struct {
	event.Root
	id          uuid.UUID
	fields      Fields
	publisher   uuid.UUID
	publishedAt time.Time
	updatedAt   time.Time
	withdrawn   bool
}

// Publish publishes an announcement (who may: the commands' rule).
func Publish(id uuid.UUID, f Fields, by uuid.UUID, at time.Time) (*Announcement, error) {
	if id == uuid.Nil {
		return nil, &ValidationError{Field: "id", Message: "is required"}
	}
	f = f.normalise()
	if err := f.Validate(at); err != nil {
		return nil, err
	}
	a := &Announcement{id: id}
	a.Record(a.apply, Published{AnnouncementID: id.String(), Fields: f, By: by.String(), At: at.UTC()})
	return a, nil
}

// Rehydrate rebuilds an announcement from its history. Only repositories call it.
func Rehydrate(id uuid.UUID, history []event.Event) (*Announcement, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Published); !ok {
		return nil, fmt.Errorf("announcement %s: history starts with %s", id, history[0].EventType())
	}
	a := &Announcement{id: id}
	a.Replay(a.apply, history, nil)
	return a, nil
}

func (a *Announcement) ID() uuid.UUID          { return a.id }
func (a *Announcement) Fields() Fields         { return a.fields }
func (a *Announcement) Publisher() uuid.UUID   { return a.publisher }
func (a *Announcement) PublishedAt() time.Time { return a.publishedAt }
func (a *Announcement) UpdatedAt() time.Time   { return a.updatedAt }
func (a *Announcement) Withdrawn() bool        { return a.withdrawn }

// Expired reports whether the announcement has expired at now.
func (a *Announcement) Expired(now time.Time) bool {
	e := a.fields.Expiry()
	return !e.IsZero() && !now.Before(e)
}

func (a *Announcement) apply(e event.Event) {
	switch e := e.(type) {
	case Published:
		a.fields = e.Fields
		a.publisher, _ = uuid.Parse(e.By)
		a.publishedAt, a.updatedAt = e.At, e.At
	case Edited:
		if e.Title != nil {
			a.fields.Title = *e.Title
		}
		if e.Body != nil {
			a.fields.Body = *e.Body
		}
		a.updatedAt = e.At
	case Pinned:
		a.fields.Pinned, a.updatedAt = true, e.At
	case Unpinned:
		a.fields.Pinned, a.updatedAt = false, e.At
	case ExpiryChanged:
		a.fields.ExpiresAt, a.updatedAt = e.ExpiresAt, e.At
	case Withdrawn:
		a.withdrawn, a.updatedAt = true, e.At
	}
}

// Edit changes the title, the body or the expiry; what does not change records nothing.
func (a *Announcement) Edit(p Patch, by uuid.UUID, at time.Time) error {
	if a.withdrawn {
		return ErrWithdrawn
	}
	next := a.fields
	if p.Title != nil {
		next.Title = *p.Title
	}
	if p.Body != nil {
		next.Body = *p.Body
	}
	if p.ExpiresAt != nil {
		next.ExpiresAt = *p.ExpiresAt
	}
	next = next.normalise()
	if err := next.Validate(a.publishedAt); err != nil {
		return err
	}
	e := Edited{AnnouncementID: a.id.String(), By: by.String(), At: at.UTC()}
	if next.Title != a.fields.Title {
		e.Title = &next.Title
	}
	if next.Body != a.fields.Body {
		e.Body = &next.Body
	}
	if e.Title != nil || e.Body != nil {
		a.Record(a.apply, e)
	}
	if next.ExpiresAt != a.fields.ExpiresAt {
		a.Record(a.apply, ExpiryChanged{AnnouncementID: a.id.String(), ExpiresAt: next.ExpiresAt, By: by.String(), At: at.UTC()})
	}
	return nil
}

// SetPinned pins or unpins it; the same state records nothing.
func (a *Announcement) SetPinned(pinned bool, by uuid.UUID, at time.Time) error {
	switch {
	case a.withdrawn:
		return ErrWithdrawn
	case a.fields.Pinned == pinned:
		return nil
	case pinned:
		a.Record(a.apply, Pinned{AnnouncementID: a.id.String(), By: by.String(), At: at.UTC()})
	default:
		a.Record(a.apply, Unpinned{AnnouncementID: a.id.String(), By: by.String(), At: at.UTC()})
	}
	return nil
}

// Withdraw takes the announcement out of every list.
func (a *Announcement) Withdraw(by uuid.UUID, at time.Time) error {
	if a.withdrawn {
		return ErrWithdrawn
	}
	a.Record(a.apply, Withdrawn{AnnouncementID: a.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Snapshot is the announcement as a flat map (history diffs).
func (a *Announcement) Snapshot() map[string]any {
	f := a.fields
	return map[string]any{"id": a.id.String(), "title": f.Title, "body": f.Body, "everyone": f.Audience.Everyone,
		"departments": slices.Clone(f.Audience.Departments), "pinned": f.Pinned, "expiresAt": f.ExpiresAt,
		"publisherId": a.publisher.String(), "withdrawn": a.withdrawn, "version": a.Version(),
		"publishedAt": a.publishedAt.Format(time.RFC3339Nano), "updatedAt": a.updatedAt.Format(time.RFC3339Nano)}
}

// Receipt is what one reader has read of one announcement: their first read, once.
type Receipt struct {
	event.Root
	id   uuid.UUID
	read bool
}

// NewReceipt is a receipt with no history (the reader has not opened the announcement).
func NewReceipt(id uuid.UUID) *Receipt { return &Receipt{id: id} }

// RehydrateReceipt rebuilds a receipt from its history.
func RehydrateReceipt(id uuid.UUID, history []event.Event) (*Receipt, error) {
	r := &Receipt{id: id}
	r.Replay(r.apply, history, nil)
	return r, nil
}

func (r *Receipt) apply(e event.Event) {
	if _, ok := e.(Read); ok {
		r.read = true
	}
}

// Read reports whether the reader has read it.
func (r *Receipt) Read() bool { return r.read }

// MarkRead records the first read of the announcement by reader; a later read records nothing.
func (r *Receipt) MarkRead(announcement, reader uuid.UUID, at time.Time) error {
	if announcement == uuid.Nil || reader == uuid.Nil {
		return &ValidationError{Field: "id", Message: "names no announcement or no reader"}
	}
	if r.read {
		return nil
	}
	r.Record(r.apply, Read{AnnouncementID: announcement.String(), UserID: reader.String(), At: at.UTC()})
	return nil
}
