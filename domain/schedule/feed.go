package schedule

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// A personal calendar feed is a secret URL that calendar applications (Outlook, Apple, Google)
// subscribe to: it serves the owner's entries and tasks in iCalendar. The log keeps only a hash
// of its secret; issuing a new one revokes the old.

// FeedStreamPrefix is the stream kind of users' calendar feeds.
const FeedStreamPrefix = "calfeed"

// FeedStream returns the stream id of a user's feed.
func FeedStream(user uuid.UUID) string { return FeedStreamPrefix + "-" + user.String() }

// Feed events.
type (
	// FeedIssued: the user's feed answers to a new secret (TokenHash: its SHA-256, hex); any
	// earlier secret no longer does.
	FeedIssued struct {
		UserID    string    `json:"userId"`
		TokenHash string    `json:"tokenHash"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
	// FeedRevoked: the user's feed answers to no secret.
	FeedRevoked struct {
		UserID string    `json:"userId"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
)

func (FeedIssued) EventType() string  { return "calendar.feed_issued.v1" }
func (FeedRevoked) EventType() string { return "calendar.feed_revoked.v1" }

// RegisterFeed adds the feed events to a registry.
func RegisterFeed(r *event.Registry) {
	r.Register(func() event.Event { return &FeedIssued{} }, func() event.Event { return &FeedRevoked{} })
}

// Feed is a user's calendar feed.
type Feed struct {
	event.Root
	user   uuid.UUID
	hash   string
	issued time.Time
}

// NewFeed is the feed of a user that never had one.
func NewFeed(user uuid.UUID) *Feed { return &Feed{user: user} }

// RehydrateFeed rebuilds a feed from its history.
func RehydrateFeed(user uuid.UUID, history []event.Event) (*Feed, error) {
	f := &Feed{user: user}
	f.Replay(f.apply, history, nil)
	return f, nil
}

func (f *Feed) apply(e event.Event) {
	switch e := e.(type) {
	case FeedIssued:
		f.hash, f.issued = e.TokenHash, e.At
	case FeedRevoked:
		f.hash, f.issued = "", time.Time{}
	}
}

// Active reports whether the feed answers to a secret, and since when.
func (f *Feed) Active() (bool, time.Time) { return f.hash != "", f.issued }

// Issue makes the feed answer to the secret whose hash is given.
func (f *Feed) Issue(tokenHash string, by uuid.UUID, at time.Time) error {
	if len(tokenHash) != 64 {
		return fmt.Errorf("calendar feed: a token hash of %d characters", len(tokenHash))
	}
	f.Record(f.apply, FeedIssued{UserID: f.user.String(), TokenHash: tokenHash, By: by.String(), At: at.UTC()})
	return nil
}

// Revoke makes the feed answer to no secret (a feed without one records nothing).
func (f *Feed) Revoke(by uuid.UUID, at time.Time) {
	if f.hash == "" {
		return
	}
	f.Record(f.apply, FeedRevoked{UserID: f.user.String(), By: by.String(), At: at.UTC()})
}
