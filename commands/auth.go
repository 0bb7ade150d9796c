package commands

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/google/uuid"
)

// ErrBadCredentials is every sign-in failure: unknown user, wrong password, disabled account.
var ErrBadCredentials = errors.New("invalid username or password")

// ErrUnauthenticated: no session for this token, or it expired.
var ErrUnauthenticated = errors.New("not signed in")

// Auth signs users in and resolves bearer tokens to actors.
type Auth struct {
	creds    CredentialStore
	sessions SessionStore
	clock    Clock
	ttl      time.Duration
	dummy    string // a hash to verify against for unknown users, so timing does not tell
}

// NewAuth refuses nil dependencies; ttl is the sliding session lifetime.
func NewAuth(creds CredentialStore, sessions SessionStore, clock Clock, ttl time.Duration) *Auth {
	if creds == nil || sessions == nil || clock == nil {
		panic("commands: NewAuth with a nil dependency")
	}
	dummy, _ := HashPassword(uuid.NewString())
	return &Auth{creds: creds, sessions: sessions, clock: clock, ttl: ttl, dummy: dummy}
}

// Login checks the password and opens a session; the token is returned once and stored hashed.
func (a *Auth) Login(ctx context.Context, username, password, client string) (string, Session, Credential, error) {
	c, err := a.creds.CredentialByUsername(ctx, username)
	if errors.Is(err, ErrNotFound) {
		_, _ = VerifyPassword(password, a.dummy)
		return "", Session{}, Credential{}, ErrBadCredentials
	}
	if err != nil {
		return "", Session{}, Credential{}, err
	}
	ok, err := VerifyPassword(password, c.PasswordHash)
	if err != nil || !ok || c.Disabled {
		return "", Session{}, Credential{}, ErrBadCredentials
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Session{}, Credential{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := a.clock()
	s := Session{TokenHash: HashToken(token), UserID: c.UserID, CreatedAt: now, ExpiresAt: now.Add(a.ttl), Client: client}
	if err := a.sessions.CreateSession(ctx, s); err != nil {
		return "", Session{}, Credential{}, err
	}
	return token, s, c, nil
}

// Authenticate resolves a bearer token to the actor and slides the session's expiry.
func (a *Auth) Authenticate(ctx context.Context, token string) (Actor, Session, error) {
	if token == "" {
		return Actor{}, Session{}, ErrUnauthenticated
	}
	now := a.clock()
	s, err := a.sessions.TouchSession(ctx, HashToken(token), now, now.Add(a.ttl))
	if errors.Is(err, ErrNotFound) {
		return Actor{}, Session{}, ErrUnauthenticated
	}
	if err != nil {
		return Actor{}, Session{}, err
	}
	c, err := a.creds.CredentialByID(ctx, s.UserID)
	if errors.Is(err, ErrNotFound) || c.Disabled {
		return Actor{}, Session{}, ErrUnauthenticated
	}
	if err != nil {
		return Actor{}, Session{}, err
	}
	roles, err := a.creds.RolesByName(ctx, c.Roles)
	if err != nil {
		return Actor{}, Session{}, err
	}
	return ResolveActor(c, roles), s, nil
}

// Logout ends the session of the token.
func (a *Auth) Logout(ctx context.Context, token string) error {
	return a.sessions.DeleteSession(ctx, HashToken(token))
}

// HashToken is how tokens are stored and looked up.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
