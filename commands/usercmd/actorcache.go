package usercmd

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
)

// Authenticating a request reads the session, the user and the user's roles: three queries
// before the request's own, the largest part of a list request's database work. The actor a
// token resolves to is therefore kept for a moment (ActorCacheTTL) and dropped as soon as
// anything it was read from may have changed in this process:
//
//   - every session write made through the TrackedSessions that Auth and Users share (sign-out,
//     the end of a user's sessions at a password change or a disable, revocation, two-factor
//     changes) moves its epoch, after the write;
//   - the organisation's read model (users, roles, departments) moves the change signal that
//     SetChangeSignal names, after each page it commits (engine.Changes).
//
// Both are read before the lookups that fill an entry, so an entry filled concurrently with a
// change is already stale. Changes made by another process (its sign-outs, or organisation
// changes applied by a process holding the projection's lease) reach this one within the TTL.
const ActorCacheTTL = 2 * time.Second

// actorCacheMax bounds the entries (only tokens that authenticated are kept); when full it is
// emptied.
const actorCacheMax = 100_000

type actorCache struct {
	mu       sync.Mutex
	entries  map[string]cachedActor
	sessions *TrackedSessions
	signal   atomic.Pointer[func() uint64]
}

type cachedActor struct {
	actor         access.Actor
	session       Session
	at            time.Time
	epoch, signal uint64
}

// marks returns the session epoch and the change signal now.
func (c *actorCache) marks() (epoch, signal uint64) {
	epoch = c.sessions.epoch.Load()
	if f := c.signal.Load(); f != nil {
		signal = (*f)()
	}
	return epoch, signal
}

func (c *actorCache) get(hash string, now time.Time) (cachedActor, bool) {
	epoch, signal := c.marks()
	c.mu.Lock()
	e, ok := c.entries[hash]
	c.mu.Unlock()
	if !ok || e.epoch != epoch || e.signal != signal || now.Sub(e.at) >= ActorCacheTTL || now.Before(e.at) ||
		!e.session.ExpiresAt.After(now) {
		return cachedActor{}, false
	}
	return e, true
}

func (c *actorCache) put(hash string, e cachedActor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= actorCacheMax {
		c.entries = make(map[string]cachedActor)
	}
	c.entries[hash] = e
}

// SetChangeSignal names a function whose value moves whenever the read model of users, roles
// and departments changes in this process (engine.Changes of the organisation's projection).
// Without one, cached actors live for ActorCacheTTL.
func (a *Auth) SetChangeSignal(f func() uint64) { a.cache.signal.Store(&f) }

// TrackedSessions is a SessionStore whose writes move an epoch once they are done: what
// Authenticate keeps is valid only in the epoch it was read in. Auth and Users must write
// sessions through the same one (NewAuth wraps a store that is not one yet; pass the Auth's
// Sessions to NewUsers, or one TrackSessions to both).
type TrackedSessions struct {
	SessionStore
	epoch atomic.Uint64
}

// TrackSessions wraps s (or returns it when it is tracked already).
func TrackSessions(s SessionStore) *TrackedSessions {
	if t, ok := s.(*TrackedSessions); ok {
		return t
	}
	return &TrackedSessions{SessionStore: s}
}

func (s *TrackedSessions) DeleteSession(ctx context.Context, tokenHash string) error {
	defer s.epoch.Add(1)
	return s.SessionStore.DeleteSession(ctx, tokenHash)
}

func (s *TrackedSessions) DeleteUserSessions(ctx context.Context, userID uuid.UUID, keep string) error {
	defer s.epoch.Add(1)
	return s.SessionStore.DeleteUserSessions(ctx, userID, keep)
}

func (s *TrackedSessions) DeleteUserSession(ctx context.Context, userID uuid.UUID, id string) error {
	defer s.epoch.Add(1)
	return s.SessionStore.DeleteUserSession(ctx, userID, id)
}

func (s *TrackedSessions) SetUserTwoFactor(ctx context.Context, userID uuid.UUID, on bool) error {
	defer s.epoch.Add(1)
	return s.SessionStore.SetUserTwoFactor(ctx, userID, on)
}
