package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// ErrUsernameTaken: another account has this username.
var ErrUsernameTaken = errors.New("username is taken")

// usernameNS namespaces the streams that reserve usernames.
var usernameNS = uuid.MustParse("6f1c3b1e-2d0a-4c55-9a51-7d1f0b3c9e42")

// usernameStream is the stream whose existence reserves a username (case-insensitively), so two
// accounts can never share one even when created at the same moment.
func usernameStream(username string) string {
	return "username-" + uuid.NewSHA1(usernameNS, []byte(strings.ToLower(strings.TrimSpace(username)))).String()
}

// UsernameReserved is appended to a username stream; the latest one names the owner.
type UsernameReserved struct {
	Username string `json:"username"`
	UserID   string `json:"userId"`
}

func (UsernameReserved) EventType() string { return "username.reserved.v1" }

// RegisterEvents builds the registry of every event the write side knows.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &UsernameReserved{} })
}

// Users handles account commands.
type Users struct {
	repo  *Repository[*user.User]
	store eventstore.Store
	clock Clock
}

// NewUsers refuses nil dependencies.
func NewUsers(store eventstore.Store, registry *event.Registry, clock Clock) *Users {
	return &Users{repo: NewRepository(store, registry, clock, user.Stream, user.Rehydrate), store: store, clock: clock}
}

// CreateUser is a new account.
type CreateUser struct {
	ID          uuid.UUID
	Username    string
	Password    string
	DisplayName string
	Roles       []string
}

// Create makes an account; only admins may.
func (h *Users) Create(ctx context.Context, m Meta, c CreateUser) (Result, error) {
	if !m.Actor.Has(user.RoleAdmin) {
		return Result{}, ErrForbidden
	}
	return h.create(ctx, m, c)
}

func (h *Users) create(ctx context.Context, m Meta, c CreateUser) (Result, error) {
	m.Command = "user.create"
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	pwErr := CheckPassword(c.Password)
	hash := "unset"
	if pwErr == nil {
		var err error
		if hash, err = HashPassword(c.Password); err != nil {
			return Result{}, err
		}
	}
	u, err := user.New(c.ID, c.Username, c.DisplayName, c.Roles, hash, m.Actor.ID, h.clock())
	if err := errors.Join(pwErr, err, h.rolesExist(ctx, c.Roles)); err != nil {
		return Result{}, err
	}
	if err := h.reserve(ctx, m, u.Username(), c.ID); err != nil {
		return Result{}, err
	}
	return h.repo.Create(ctx, m, c.ID, u)
}

// reserve claims the username for id. A reservation whose account was never written (a crash
// between the two appends) is taken over.
func (h *Users) reserve(ctx context.Context, m Meta, username string, id uuid.UUID) error {
	stream := usernameStream(username)
	existing, err := h.store.Load(ctx, stream, eventstore.LoadOptions{})
	if err != nil {
		return err
	}
	if n := len(existing); n > 0 {
		var r UsernameReserved
		if err := json.Unmarshal(existing[n-1].Data, &r); err != nil {
			return err
		}
		owner, _ := uuid.Parse(r.UserID)
		if owner == id {
			return nil
		}
		// A reservation whose account exists, or which is so recent that its account may still be
		// being written, holds the name. Only a reservation abandoned by a crash is taken over.
		if h.clock().Sub(existing[n-1].OccurredAt) < reservationGrace {
			return ErrUsernameTaken
		}
		if acct, err := h.store.Load(ctx, user.Stream(owner), eventstore.LoadOptions{}); err != nil || len(acct) > 0 {
			return errors.Join(ErrUsernameTaken, err)
		}
	}
	data, err := Encode(m, h.clock(), []event.Event{UsernameReserved{Username: username, UserID: id.String()}})
	if err != nil {
		return err
	}
	if _, err := h.store.Append(ctx, stream, int64(len(existing)), data); err != nil {
		if errors.Is(err, eventstore.ErrConcurrency) {
			return ErrUsernameTaken
		}
		return err
	}
	return nil
}

// reservationGrace is how long a username reservation without an account is presumed to be a
// create in progress rather than a crash's leftover.
const reservationGrace = time.Minute

// rolesExist checks that every named role is defined.
func (h *Users) rolesExist(_ context.Context, roles []string) error {
	for _, r := range roles {
		known := false
		for _, b := range role.BuiltIns {
			known = known || b.Name == r
		}
		if !known {
			return &user.ValidationError{Field: "roles", Message: fmt.Sprintf("unknown role %q", r)}
		}
	}
	return nil
}

// EnsureAdmin creates the first administrator unless an account with that username exists.
// It returns whether it created one.
func (h *Users) EnsureAdmin(ctx context.Context, username, password string) (bool, error) {
	existing, err := h.store.Load(ctx, usernameStream(username), eventstore.LoadOptions{})
	if err != nil {
		return false, err
	}
	if len(existing) > 0 {
		var r UsernameReserved
		if err := json.Unmarshal(existing[len(existing)-1].Data, &r); err != nil {
			return false, err
		}
		owner, _ := uuid.Parse(r.UserID)
		if acct, err := h.store.Load(ctx, user.Stream(owner), eventstore.LoadOptions{}); err != nil || len(acct) > 0 {
			return false, err
		}
	}
	m := Meta{Actor: SystemActor, RequestID: "bootstrap", CorrelationID: uuid.NewString()}
	_, err = h.create(ctx, m, CreateUser{Username: username, Password: password, DisplayName: "Administrator", Roles: []string{user.RoleAdmin}})
	if errors.Is(err, ErrUsernameTaken) || errors.Is(err, ErrAlreadyExists) {
		return false, nil // another process created it first
	}
	if err != nil {
		return false, fmt.Errorf("create first admin %q: %w", username, err)
	}
	return true, nil
}

// Session is a signed-in user's bearer token, stored only as a hash.
type Session struct {
	TokenHash string
	UserID    uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
	Client    string
}

// Credential is what sign-in needs to know about an account.
type Credential struct {
	UserID       uuid.UUID
	Username     string
	DisplayName  string
	Roles        []string
	PasswordHash string
	Disabled     bool
}

// CredentialStore is served by the users read model.
type CredentialStore interface {
	CredentialByUsername(ctx context.Context, username string) (Credential, error)
	CredentialByID(ctx context.Context, id uuid.UUID) (Credential, error)
}

// SessionStore keeps sessions (operational state, not business history).
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	// TouchSession returns the session and slides its expiry to newExpiry when it is still valid.
	TouchSession(ctx context.Context, tokenHash string, now, newExpiry time.Time) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}
