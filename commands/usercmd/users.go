// Package usercmd holds the identity module's commands: accounts (create, edit, disable,
// passwords), sign-in and sessions, two-factor sign-in and the sign-in throttling and lockout.
package usercmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// ErrUsernameTaken: another account has this username.
var ErrUsernameTaken = errors.New("username is taken")

// usernameNS namespaces the streams that reserve usernames.
var usernameNS = uuid.MustParse("6f1c3b1e-2d0a-4c55-9a51-7d1f0b3c9e42")

// Users handles account commands.
type Users struct {
	repo     *commands.Repository[*user.User]
	names    commands.Reservations
	store    eventstore.Store
	clock    commands.Clock
	org      Directory
	sessions SessionStore
	policy   func() SignInPolicy
	gate     *HashGate // bounds the argon2id computations
}

// ThrottleWith makes wrong current passwords wait the delays of the sign-in policy policy
// returns (wire it to Auth.SignInPolicy); DefaultSignInPolicy until then.
func (h *Users) ThrottleWith(policy func() SignInPolicy) { h.policy = policy }

func (h *Users) reauth() reauth {
	return reauth{repo: h.repo, sessions: h.sessions, clock: h.clock, policy: h.policy}
}

// NewUsers refuses nil dependencies.
func NewUsers(store eventstore.Store, registry *event.Registry, clock commands.Clock, org Directory, sessions SessionStore) *Users {
	if org == nil || sessions == nil {
		panic("usercmd: NewUsers with a nil dependency")
	}
	h := &Users{repo: commands.NewRepository(store, registry, clock, user.Stream, user.Rehydrate), store: store, clock: clock, org: org, sessions: sessions, gate: sharedGate}
	// A username is held by its account as long as the account exists.
	h.names = commands.Reservations{Store: store, Registry: registry, Clock: clock, Kind: commands.UsernameKind, NS: usernameNS,
		Holds: func(ctx context.Context, id uuid.UUID, _ string) (bool, bool, error) {
			acct, err := store.Load(ctx, user.Stream(id), eventstore.LoadOptions{})
			return len(acct) > 0, len(acct) > 0, err
		}}
	return h
}

// CreateUser is a new account.
type CreateUser struct {
	ID           uuid.UUID
	Username     string
	Password     string
	DisplayName  string
	Roles        []string
	DepartmentID uuid.UUID
	SuperiorID   uuid.UUID
	// Email is the user's e-mail address ("": none), where notifications and password-reset
	// links go; the user may change it later under their own preferences.
	Email string
}

// Create makes an account; it needs users.manage.
func (h *Users) Create(ctx context.Context, m commands.Meta, c CreateUser) (commands.Result, error) {
	if !m.Actor.Can(role.UsersManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	return h.create(ctx, m, c, true)
}

// create makes the account; checkRoles is false only for the bootstrap administrator, whose
// built-in role may not have reached the read model yet.
func (h *Users) create(ctx context.Context, m commands.Meta, c CreateUser, checkRoles bool) (commands.Result, error) {
	m.Command = commands.UserCreate
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	pwErr := CheckPassword(c.Password, c.Username, c.DisplayName)
	hash := "unset"
	if pwErr == nil {
		var err error
		if hash, err = hashPassword(ctx, h.gate, c.Password); err != nil {
			return commands.Result{}, err
		}
	}
	u, err := user.New(c.ID, c.Username, c.DisplayName, c.Roles, hash, m.Actor.ID, h.clock(),
		user.Placement{DepartmentID: c.DepartmentID, SuperiorID: c.SuperiorID})
	var rolesErr error
	if checkRoles {
		rolesErr = h.rolesExist(ctx, c.Roles)
	}
	var mailErr error
	if err == nil && c.Email != "" {
		mailErr = u.ChangePreferences(user.PreferencesChange{Email: &c.Email}, h.clock())
	}
	if err := errors.Join(pwErr, err, rolesErr, mailErr, h.placementOK(ctx, c.ID, c.DepartmentID, c.SuperiorID)); err != nil {
		return commands.Result{}, err
	}
	if holder, err := h.names.Reserve(ctx, m, commands.UsernameKey(u.Username()), c.ID); err != nil || holder != uuid.Nil {
		return commands.Result{}, cmp.Or(err, ErrUsernameTaken)
	}
	return h.repo.Create(ctx, m, c.ID, u)
}

// placementOK: the department exists and is enabled; the superior is an active user who is not
// below the user (no cycles in the superior chain).
func (h *Users) placementOK(ctx context.Context, id, dept, superior uuid.UUID) error {
	var errs []error
	if dept != uuid.Nil {
		info, ok, err := h.org.Department(ctx, dept)
		switch {
		case err != nil:
			return err
		case !ok:
			errs = append(errs, &user.ValidationError{Field: "departmentId", Message: "no such department"})
		case info.Disabled:
			errs = append(errs, &user.ValidationError{Field: "departmentId", Message: "the department is disabled"})
		}
	}
	if superior != uuid.Nil {
		p, ok, err := h.org.Placement(ctx, superior)
		switch {
		case err != nil:
			return err
		case !ok:
			errs = append(errs, &user.ValidationError{Field: "superiorId", Message: "is not an active user"})
		case superior == id || strings.Contains(p.SuperiorPath, "/"+id.String()+"/"):
			errs = append(errs, &user.ValidationError{Field: "superiorId", Message: "would make a cycle: the superior reports to this user"})
		}
	}
	return errors.Join(errs...)
}

// EditUser changes an account; nil fields stay.
type EditUser struct {
	user.Edit
	// Email sets the user's e-mail address ("" removes it; nil leaves it): an administrator
	// enters it for a user who has none, so that password-reset links and e-mailed notifications
	// reach them. It is recorded as the preference the user keeps (and may change) themselves.
	Email *string
}

// Update edits profile, roles, department or superior (users.manage).
func (h *Users) Update(ctx context.Context, m commands.Meta, id uuid.UUID, c EditUser) (commands.Result, error) {
	m.Command = commands.UserUpdate
	if !m.Actor.Can(role.UsersManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	var errs []error
	if c.Roles != nil {
		errs = append(errs, h.rolesExist(ctx, *c.Roles))
	}
	dept, sup := uuid.Nil, uuid.Nil
	if c.DepartmentID != nil {
		dept = *c.DepartmentID
	}
	if c.SuperiorID != nil {
		sup = *c.SuperiorID
	}
	errs = append(errs, h.placementOK(ctx, id, dept, sup))
	if err := errors.Join(errs...); err != nil {
		return commands.Result{}, err
	}
	return h.repo.Update(ctx, m, id, func(u *user.User) error {
		err := u.Update(c.Edit, m.Actor.ID, h.clock())
		if err == nil && c.Email != nil {
			err = u.ChangePreferences(user.PreferencesChange{Email: c.Email}, h.clock())
		}
		return err
	})
}

// SetDisabled disables (ending every session) or enables an account (users.manage).
func (h *Users) SetDisabled(ctx context.Context, m commands.Meta, id uuid.UUID, disabled bool) (commands.Result, error) {
	m.Command = commands.UserEnable
	if disabled {
		m.Command = commands.UserDisable
	}
	if !m.Actor.Can(role.UsersManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	res, err := h.repo.Update(ctx, m, id, func(u *user.User) error {
		if disabled {
			return u.Disable(m.Actor.ID, h.clock())
		}
		return u.Enable(m.Actor.ID, h.clock())
	})
	if err == nil && disabled {
		err = h.sessions.DeleteUserSessions(ctx, id, "")
	}
	return res, err
}

// ResetPassword sets a new password for someone else (users.manage); their sessions end.
func (h *Users) ResetPassword(ctx context.Context, m commands.Meta, id uuid.UUID, password string) (commands.Result, error) {
	m.Command = commands.UserResetPassword
	if !m.Actor.Can(role.UsersManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	return h.setPassword(ctx, m, id, password, true, "")
}

// ChangePassword changes the actor's own password after checking the current one (wrong ones are
// counted and throttled, see reauth); every other session of the actor ends (keepSession is the
// hash of the session making the change).
func (h *Users) ChangePassword(ctx context.Context, m commands.Meta, current, next, keepSession string) (commands.Result, error) {
	m.Command = commands.UserChangePassword
	err := h.reauth().check(ctx, m, PurposeChangePassword, func(u *user.User) error {
		if ok, err := verifyPassword(ctx, h.gate, current, u.PasswordHash()); errors.Is(err, ErrBusy) || ctx.Err() != nil {
			return cmp.Or(ctx.Err(), err)
		} else if !ok {
			return &user.ValidationError{Field: "currentPassword", Message: "is not your current password"}
		}
		return nil
	})
	if err != nil {
		return commands.Result{}, err
	}
	if next == current {
		return commands.Result{}, &user.ValidationError{Field: "newPassword", Message: "must differ from the current password"}
	}
	return h.setPassword(ctx, m, m.Actor.ID, next, false, keepSession)
}

func (h *Users) setPassword(ctx context.Context, m commands.Meta, id uuid.UUID, password string, reset bool, keep string) (commands.Result, error) {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return commands.Result{}, err
	}
	if err := CheckPassword(password, l.Root.Username(), l.Root.DisplayName()); err != nil {
		var ve *user.ValidationError
		if errors.As(err, &ve) && !reset {
			ve.Field = "newPassword"
		}
		return commands.Result{}, err
	}
	hash, err := hashPassword(ctx, h.gate, password)
	if err != nil {
		return commands.Result{}, err
	}
	res, err := h.repo.Update(ctx, m, id, func(u *user.User) error { return u.ChangePassword(hash, reset, m.Actor.ID, h.clock()) })
	if err != nil {
		return commands.Result{}, err
	}
	return res, h.sessions.DeleteUserSessions(ctx, id, keep)
}

// rolesExist checks that every named role is defined.
func (h *Users) rolesExist(ctx context.Context, names []string) error {
	defs, err := h.org.RolesByName(ctx, names)
	if err != nil {
		return err
	}
	for _, n := range names {
		found := false
		for _, d := range defs {
			found = found || d.Name == n
		}
		if !found {
			return &user.ValidationError{Field: "roles", Message: fmt.Sprintf("unknown role %q", n)}
		}
	}
	return nil
}

// IDByUsername finds an account by its username (any case) in the event log itself, so it works
// before any read model has caught up (the command line's unlock); ErrNotFound when no account
// holds it.
func (h *Users) IDByUsername(ctx context.Context, username string) (uuid.UUID, error) {
	_, holder, err := h.names.Latest(ctx, commands.UsernameKey(username), 0)
	if err != nil {
		return uuid.Nil, err
	}
	if holder == uuid.Nil {
		return uuid.Nil, commands.ErrNotFound
	}
	if held, _, err := h.names.Holds(ctx, holder, ""); err != nil || !held {
		return uuid.Nil, cmp.Or(err, commands.ErrNotFound)
	}
	return holder, nil
}

// EnsureAdmin creates the first administrator unless an account with that username exists.
// It returns whether it created one.
func (h *Users) EnsureAdmin(ctx context.Context, username, password string) (bool, error) {
	existing, owner, err := h.names.Latest(ctx, commands.UsernameKey(username), 0)
	if err != nil {
		return false, err
	}
	if len(existing) > 0 {
		if held, _, err := h.names.Holds(ctx, owner, ""); err != nil || held {
			return false, err
		}
	}
	m := commands.Meta{Actor: access.System, RequestID: "bootstrap", CorrelationID: uuid.NewString()}
	_, err = h.create(ctx, m, CreateUser{Username: username, Password: password, DisplayName: "Administrator", Roles: []string{role.Admin}}, false)
	if errors.Is(err, ErrUsernameTaken) || errors.Is(err, commands.ErrAlreadyExists) {
		return false, nil // another process created it first
	}
	if err != nil {
		return false, fmt.Errorf("create first admin %q: %w", username, err)
	}
	return true, nil
}

// Session is a signed-in user's bearer token, stored only as a hash. ID is a public random id
// that names the session in lists (the token itself is never shown again).
type Session struct {
	ID        string
	TokenHash string
	UserID    uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
	Client    string
	// TwoFactor mirrors whether the account has two-factor sign-in confirmed (SetUserTwoFactor
	// keeps it in step), so a role's 2FA requirement is checked without loading the account.
	TwoFactor bool
}

// Credential is what sign-in needs to know about an account.
type Credential struct {
	UserID       uuid.UUID
	Username     string
	DisplayName  string
	Roles        []string
	PasswordHash string
	Disabled     bool
	DepartmentID uuid.UUID
	DeptPath     string
	SuperiorPath string
}

// Directory is what account commands read of the organisation.
type Directory interface {
	access.Directory
	Department(ctx context.Context, id uuid.UUID) (access.DepartmentInfo, bool, error)
	RolesByName(ctx context.Context, names []string) ([]access.RoleDef, error)
}

// CredentialStore is served by the organisation read model.
type CredentialStore interface {
	CredentialByUsername(ctx context.Context, username string) (Credential, error)
	CredentialByID(ctx context.Context, id uuid.UUID) (Credential, error)
	// RolesByName returns the defined (not deleted) roles among names.
	RolesByName(ctx context.Context, names []string) ([]access.RoleDef, error)
}

// SessionStore keeps sessions (operational state, not business history).
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	// TouchSession returns the session and slides its expiry to newExpiry when it is still valid.
	TouchSession(ctx context.Context, tokenHash string, now, newExpiry time.Time) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteUserSessions ends every session of a user except the one whose hash is keep.
	DeleteUserSessions(ctx context.Context, userID uuid.UUID, keep string) error
	// UserSessions lists a user's sessions that are still valid at now, newest first.
	UserSessions(ctx context.Context, userID uuid.UUID, now time.Time) ([]Session, error)
	// DeleteUserSession ends the user's session with this public id; ErrNotFound when the user
	// has no such session (someone else's id included).
	DeleteUserSession(ctx context.Context, userID uuid.UUID, id string) error
	// SetUserTwoFactor marks every session of a user with whether two-factor sign-in is on.
	SetUserTwoFactor(ctx context.Context, userID uuid.UUID, on bool) error
}
