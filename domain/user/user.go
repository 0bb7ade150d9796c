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
	"github.com/chronicle-crm/chronicle/domain/field"
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
type ValidationError = field.Error

// StreamPrefix is the stream kind of users.
const StreamPrefix = "user"

// Stream returns the stream id of a user.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Created: an account was made. PasswordHash is an encoded argon2id hash, never a password.
// DepartmentID and SuperiorID were added later as optional fields: old events read as empty.
type Created struct {
	UserID       string    `json:"userId"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"displayName"`
	Roles        []string  `json:"roles"`
	PasswordHash string    `json:"passwordHash"`
	DepartmentID string    `json:"departmentId,omitempty"`
	SuperiorID   string    `json:"superiorId,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// Updated: profile, roles or place in the organisation changed (nil: unchanged; an empty
// SuperiorID or DepartmentID clears it).
type Updated struct {
	UserID       string    `json:"userId"`
	DisplayName  *string   `json:"displayName,omitempty"`
	Roles        []string  `json:"roles,omitempty"`
	DepartmentID *string   `json:"departmentId,omitempty"`
	SuperiorID   *string   `json:"superiorId,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// Disabled: the account can no longer sign in; its sessions end.
type Disabled struct {
	UserID string    `json:"userId"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Enabled reverses Disabled.
type Enabled struct {
	UserID string    `json:"userId"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// PasswordChanged: by the user (Reset false) or reset by an administrator (Reset true).
type PasswordChanged struct {
	UserID       string `json:"userId"`
	PasswordHash string `json:"passwordHash"`
	Reset        bool   `json:"reset,omitempty"`
	// ByLink: set by the user with a password reset link e-mailed to them (added later).
	ByLink bool      `json:"byLink,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

func (Created) EventType() string         { return "user.created.v1" }
func (Updated) EventType() string         { return "user.updated.v1" }
func (Disabled) EventType() string        { return "user.disabled.v1" }
func (Enabled) EventType() string         { return "user.enabled.v1" }
func (PasswordChanged) EventType() string { return "user.password_changed.v1" }

// Register adds the user events to a registry.
func Register(r *event.Registry) {
	r.Register(
		func() event.Event { return &Created{} },
		func() event.Event { return &Updated{} },
		func() event.Event { return &Disabled{} },
		func() event.Event { return &Enabled{} },
		func() event.Event { return &PasswordChanged{} },
		func() event.Event { return &PreferencesChanged{} },
	)
	registerSecurity(r)
	registerReset(r)
}

// User is the aggregate state.
type User struct {
	event.Root
	id           uuid.UUID
	editVersion  int64
	username     string
	displayName  string
	roles        []string
	passwordHash string
	department   uuid.UUID
	superior     uuid.UUID
	disabled     bool
	security     security
	prefs        Preferences
	// resets are the reset links sent since the last password change; a change ends them (the
	// requests still count against the hourly limit).
	resets []pendingReset
}

var usernamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]{1,63}$`)

var rolePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{1,49}$`)

// ParseRoles checks the form of role names (whether each role exists is the caller's check).
func ParseRoles(roles []string) ([]string, error) {
	if len(roles) == 0 {
		return nil, &ValidationError{Field: "roles", Message: "at least one role is required (e.g. admin, manager or sales)"}
	}
	out := []string{}
	for _, r := range roles {
		if !rolePattern.MatchString(r) {
			return nil, &ValidationError{Field: "roles", Message: fmt.Sprintf("%q is not a role name", r)}
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Placement is where a user sits in the organisation.
type Placement struct {
	DepartmentID uuid.UUID
	SuperiorID   uuid.UUID
}

func idString(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// New creates an account. The caller hashes the password.
func New(id uuid.UUID, username, displayName string, roles []string, passwordHash string, by uuid.UUID, at time.Time, place ...Placement) (*User, error) {
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
	e := Created{UserID: id.String(), Username: username, DisplayName: displayName, Roles: roles,
		PasswordHash: passwordHash, By: by.String(), At: at.UTC()}
	if len(place) > 0 {
		if place[0].SuperiorID == id {
			return nil, ErrOwnSuperior
		}
		e.DepartmentID, e.SuperiorID = idString(place[0].DepartmentID), idString(place[0].SuperiorID)
	}
	u := &User{id: id}
	u.record(e)
	return u, nil
}

// Rehydrate rebuilds a user from its history.
func Rehydrate(id uuid.UUID, history []event.Event) (*User, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	u := &User{id: id}
	u.Replay(u.apply, history, func(e event.Event, version int64) {
		if MovesEditVersion(e) {
			u.editVersion = version
		}
	})
	return u, nil
}

// SignInBookkeeping reports the events sign-ins write on their own (a success, a failure, a spent
// recovery code, the automatic lock after failures, a wrong password confirming a change). They change nothing an administrator edits,
// so they do not move EditVersion: signing in does not make an open edit form stale.
func SignInBookkeeping(e event.Event) bool {
	switch e.(type) {
	case SignedIn, SignInFailed, RecoveryCodeUsed, Locked, ReauthenticationFailed:
		return true
	}
	return false
}

// MovesEditVersion reports whether e changes what administrators edit, and so moves EditVersion:
// sign-in bookkeeping and the user's own preferences do not (a user switching their language
// does not make an administrator's open edit form stale).
func MovesEditVersion(e event.Event) bool {
	switch e.(type) {
	case PreferencesChanged, PasswordResetRequested:
		return false
	}
	return !SignInBookkeeping(e)
}

// MovesEditVersion is the package's rule as a method, for the repository (commands.Update answers
// with the version clients match).
func (u *User) MovesEditVersion(e event.Event) bool { return MovesEditVersion(e) }

func (u *User) ID() uuid.UUID { return u.id }

// EditVersion is the version of the last event that MovesEditVersion: the version clients see
// and send back in If-Match.
func (u *User) EditVersion() int64 { return u.editVersion }
func (u *User) Username() string   { return u.username }

func (u *User) record(e event.Event) { u.Record(u.apply, e) }

func (u *User) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		u.username, u.displayName, u.roles, u.passwordHash = e.Username, e.DisplayName, e.Roles, e.PasswordHash
		u.department, u.superior = parseID(e.DepartmentID), parseID(e.SuperiorID)
	case Updated:
		if e.DisplayName != nil {
			u.displayName = *e.DisplayName
		}
		if e.Roles != nil {
			u.roles = e.Roles
		}
		if e.DepartmentID != nil {
			u.department = parseID(*e.DepartmentID)
		}
		if e.SuperiorID != nil {
			u.superior = parseID(*e.SuperiorID)
		}
	case Disabled:
		u.disabled = true
	case Enabled:
		u.disabled = false
	case PasswordChanged:
		u.passwordHash = e.PasswordHash
		u.security.reauth = nil
		for i := range u.resets {
			u.resets[i].hash = "" // every link sent before ends
		}
	case PasswordResetRequested:
		kept := u.resets[:0]
		for _, p := range u.resets {
			if e.At.Sub(p.at) < time.Hour {
				kept = append(kept, p)
			}
		}
		u.resets = append(kept, pendingReset{hash: e.TokenHash, at: e.At, expiresAt: e.ExpiresAt})
	case PreferencesChanged:
		u.applyPreferences(e)
	default:
		u.applySecurity(e)
	}
}

func parseID(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

// Accessors for commands.
func (u *User) Roles() []string       { return append([]string(nil), u.roles...) }
func (u *User) Department() uuid.UUID { return u.department }
func (u *User) Superior() uuid.UUID   { return u.superior }
func (u *User) Disabled() bool        { return u.disabled }
func (u *User) PasswordHash() string  { return u.passwordHash }
func (u *User) DisplayName() string   { return u.displayName }

// Edit is a change of profile, roles or placement; nil fields stay.
type Edit struct {
	DisplayName  *string
	Roles        *[]string
	DepartmentID *uuid.UUID // uuid.Nil clears
	SuperiorID   *uuid.UUID // uuid.Nil clears
}

// ErrOwnSuperior: a user cannot be their own superior (longer cycles are checked by the caller,
// who knows the chain).
var ErrOwnSuperior = &ValidationError{Field: "superiorId", Message: "a user cannot be their own superior"}

// Update edits the account; changing nothing records nothing.
func (u *User) Update(c Edit, by uuid.UUID, at time.Time) error {
	e := Updated{UserID: u.id.String(), By: by.String(), At: at.UTC()}
	changed := false
	if c.DisplayName != nil {
		d := strings.TrimSpace(*c.DisplayName)
		if d == "" || utf8.RuneCountInString(d) > 100 {
			return &ValidationError{Field: "displayName", Message: "1-100 characters"}
		}
		if d != u.displayName {
			e.DisplayName, changed = &d, true
		}
	}
	if c.Roles != nil {
		roles, err := ParseRoles(*c.Roles)
		if err != nil {
			return err
		}
		if !slices.Equal(roles, u.roles) {
			e.Roles, changed = roles, true
		}
	}
	if c.DepartmentID != nil && *c.DepartmentID != u.department {
		s := idString(*c.DepartmentID)
		e.DepartmentID, changed = &s, true
	}
	if c.SuperiorID != nil && *c.SuperiorID != u.superior {
		if *c.SuperiorID == u.id {
			return ErrOwnSuperior
		}
		s := idString(*c.SuperiorID)
		e.SuperiorID, changed = &s, true
	}
	if changed {
		u.record(e)
	}
	return nil
}

// Disable stops the account from signing in.
func (u *User) Disable(by uuid.UUID, at time.Time) error {
	if by == u.id {
		return &ValidationError{Field: "id", Message: "you cannot disable your own account"}
	}
	if !u.disabled {
		u.record(Disabled{UserID: u.id.String(), By: by.String(), At: at.UTC()})
	}
	return nil
}

// Enable reverses Disable.
func (u *User) Enable(by uuid.UUID, at time.Time) error {
	if u.disabled {
		u.record(Enabled{UserID: u.id.String(), By: by.String(), At: at.UTC()})
	}
	return nil
}

// ChangePassword sets a new hash; reset marks an administrator's reset.
func (u *User) ChangePassword(hash string, reset bool, by uuid.UUID, at time.Time) error {
	if hash == "" {
		return &ValidationError{Field: "password", Message: "is required"}
	}
	u.record(PasswordChanged{UserID: u.id.String(), PasswordHash: hash, Reset: reset, By: by.String(), At: at.UTC()})
	return nil
}

// Snapshot is the account as a flat map, without secrets.
func (u *User) Snapshot() map[string]any {
	return map[string]any{"id": u.id.String(), "username": u.username, "displayName": u.displayName,
		"roles": u.roles, "departmentId": nilIfEmpty(idString(u.department)), "superiorId": nilIfEmpty(idString(u.superior)),
		"disabled": u.disabled, "language": nilIfEmpty(u.prefs.Language), "timeZone": nilIfEmpty(u.prefs.TimeZone), "version": u.Version()}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
