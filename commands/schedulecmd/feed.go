package schedulecmd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/schedule"
)

// Feeds issue and revoke users' calendar feed secrets (each user their own).
type Feeds struct {
	repo  *commands.Repository[*schedule.Feed]
	clock commands.Clock
}

// NewFeeds refuses missing ports.
func NewFeeds(store eventstore.Store, registry *event.Registry, clock commands.Clock) *Feeds {
	return &Feeds{repo: commands.NewRepository(store, registry, clock, schedule.FeedStream, schedule.RehydrateFeed), clock: clock}
}

// TokenHash is how a feed secret is kept and looked up: its SHA-256, in hex.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Issue gives the actor's feed a new secret (32 random bytes, URL-safe) and returns it: it is
// shown once; the log keeps its hash. Any earlier secret stops working.
func (f *Feeds) Issue(ctx context.Context, m commands.Meta) (string, commands.Result, error) {
	m.Command = commands.CalendarFeed
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", commands.Result{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	user := m.Actor.ID
	res, err := f.repo.UpdateOrCreate(ctx, m, user, func() *schedule.Feed { return schedule.NewFeed(user) }, func(fd *schedule.Feed) error {
		return fd.Issue(TokenHash(token), m.Actor.ID, f.clock())
	})
	if err != nil {
		return "", res, err
	}
	return token, res, nil
}

// Revoke makes the actor's feed answer to no secret.
func (f *Feeds) Revoke(ctx context.Context, m commands.Meta) (commands.Result, error) {
	m.Command = commands.CalendarFeed
	user := m.Actor.ID
	return f.repo.UpdateOrCreate(ctx, m, user, func() *schedule.Feed { return schedule.NewFeed(user) }, func(fd *schedule.Feed) error {
		fd.Revoke(m.Actor.ID, f.clock())
		return nil
	})
}
