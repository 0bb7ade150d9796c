// Package user is the user aggregate: who may sign in, with which roles. Users are event-sourced
// like everything else, so every change to an account is in the operation log.
package user

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Role names built into Chronicle.
const (
	RoleAdmin   = "admin"
	RoleManager = "manager"
	RoleSales   = "sales"
)

// Rule violations.
var (
	ErrNotFound = errors.New("user not found")
	ErrDisabled = errors.New("user is disabled")
)

// ValidationError names the field that is wrong and why.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// StreamPrefix is the stream kind of users.
const StreamPrefix = "user"

// Stream returns the stream id of a user.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Created: an account was made. PasswordHash is an encoded argon2id hash, never a password.
type Created struct {
	UserID       string    `json:"userId"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"displayName"`
	Roles        []string  `json:"roles"`
	PasswordHash string    `json:"passwordHash"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

func (Created) EventType() string { return "user.created.v1" }

// Register adds the user events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} })
}

// User is the aggregate state.
type User struct {
	id           uuid.UUID
	version      int64
	username     string
	displayName  string
	roles        []string
	passwordHash string
	disabled     bool
	changes      []event.Event
}

var usernamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]{1,63}$`)

// ParseRoles checks role names.
func ParseRoles(roles []string) ([]string, error) {
	if len(roles) == 0 {
		return nil, &ValidationError{Field: "role", Message: "is required (admin, manager or sales)"}
	}
	out := []string{}
	for _, r := range roles {
		switch r {
		case RoleAdmin, RoleManager, RoleSales:
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		default:
			return nil, &ValidationError{Field: "role", Message: fmt.Sprintf("unknown role %q; use admin, manager or sales", r)}
		}
	}
	return out, nil
}

// New creates an account. The caller hashes the password.
func New(id uuid.UUID, username, displayName string, roles []string, passwordHash string, by uuid.UUID, at time.Time) (*User, error) {
	username = strings.TrimSpace(username)
	displayName = strings.TrimSpace(displayName)
	var errs []error
	if !usernamePattern.MatchString(username) {
		errs = append(errs, &ValidationError{Field: "username", Message: "2-64 characters: letters, digits, . _ @ -"})
	}
	if displayName == "" {
		displayName = username
	}
	if utf8.RuneCountInString(displayName) > 100 {
		errs = append(errs, &ValidationError{Field: "displayName", Message: "at most 100 characters"})
	}
	roles, err := ParseRoles(roles)
	errs = append(errs, err)
	if passwordHash == "" {
		errs = append(errs, &ValidationError{Field: "password", Message: "is required"})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	u := &User{id: id}
	u.record(Created{UserID: id.String(), Username: username, DisplayName: displayName, Roles: roles,
		PasswordHash: passwordHash, By: by.String(), At: at.UTC()})
	return u, nil
}

// Rehydrate rebuilds a user from its history.
func Rehydrate(id uuid.UUID, history []event.Event) (*User, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	u := &User{id: id}
	for _, e := range history {
		u.apply(e)
		u.version++
	}
	return u, nil
}

func (u *User) ID() uuid.UUID          { return u.id }
func (u *User) Version() int64         { return u.version }
func (u *User) Username() string       { return u.username }
func (u *User) Changes() []event.Event { return append([]event.Event(nil), u.changes...) }

func (u *User) record(e event.Event) {
	u.apply(e)
	u.changes = append(u.changes, e)
}

func (u *User) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		u.username, u.displayName, u.roles, u.passwordHash = e.Username, e.DisplayName, e.Roles, e.PasswordHash
	}
}

// Snapshot is the account as a flat map, without the password hash.
func (u *User) Snapshot() map[string]any {
	return map[string]any{"id": u.id.String(), "username": u.username, "displayName": u.displayName,
		"roles": u.roles, "disabled": u.disabled, "version": u.version}
}
