package usercmd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// ErrBadCredentials is every sign-in failure that must not tell why: unknown user, wrong
// password, disabled account.
var ErrBadCredentials = errors.New("invalid username or password")

// ErrUnauthenticated: no session for this token, or it expired.
var ErrUnauthenticated = errors.New("not signed in")

// Auth signs users in, resolves bearer tokens to actors and runs the sign-in security commands
// (two-factor, lockout, sessions; see security.go).
type Auth struct {
	store     eventstore.Store
	users     *commands.Repository[*user.User]
	creds     CredentialStore
	sessions  SessionStore
	signins   SignInLog
	clock     commands.Clock
	ttl       time.Duration
	dummy     string // a hash to verify against for unknown users, so timing does not tell
	policy    atomic.Pointer[SignInPolicy]
	streams   addressVersions
	throttled throttleFolder
	running   *inflight // sign-ins running per client address
	gate      *HashGate // bounds the argon2id computations
	cache     *actorCache
}

// NewAuth refuses nil dependencies; ttl is the sliding session lifetime. Failed sign-ins are
// throttled by DefaultSignInPolicy until SetSignInPolicy says otherwise.
func NewAuth(store eventstore.Store, registry *event.Registry, creds CredentialStore, sessions SessionStore, signins SignInLog,
	clock commands.Clock, ttl time.Duration) *Auth {
	if store == nil || registry == nil || creds == nil || sessions == nil || signins == nil || clock == nil {
		panic("usercmd: NewAuth with a nil dependency")
	}
	dummy, _ := HashPassword(uuid.NewString())
	tracked := TrackSessions(sessions)
	a := &Auth{store: store, users: commands.NewRepository(store, registry, clock, user.Stream, user.Rehydrate), creds: creds,
		sessions: tracked, cache: &actorCache{sessions: tracked}, signins: signins, clock: clock, ttl: ttl, dummy: dummy, running: newInflight(DefaultAddressConcurrency), gate: sharedGate}
	a.SetSignInPolicy(DefaultSignInPolicy)
	return a
}

// LoginRequest is one sign-in attempt.
type LoginRequest struct {
	Username     string
	Password     string
	TOTP         string // the authenticator app's current code, for accounts with two-factor sign-in
	RecoveryCode string // or one of the account's one-time recovery codes
	Address      string // client address: throttling and the record
	Client       string // how the session list describes the client (address, user agent)
	RequestID    string
}

// LoginResult is a successful sign-in.
type LoginResult struct {
	Token      string // returned once; only its hash is stored
	Session    Session
	Credential Credential
	// TwoFactorRequired: a role of the user requires two-factor sign-in and the user has not
	// confirmed an enrolment; until they do, the session may only enrol (NeedsTwoFactorEnrollment).
	TwoFactorRequired bool
	Position          uint64 // of the sign-in event
}

// Login checks the attempt and opens a session. Every outcome except a throttled attempt and a
// missing second factor is recorded as an event: on the account's stream when the username
// names an account, else on the client address's stream (user.SignInStream).
func (a *Auth) Login(ctx context.Context, in LoginRequest) (LoginResult, error) {
	leave, err := a.running.enter(in.Address)
	if err != nil {
		return LoginResult{}, err
	}
	defer leave()
	now := a.clock()
	pol := a.SignInPolicy()
	since := now.Add(-user.LockWindow)
	n, last, err := a.signins.RecentSignInFailures(ctx, in.Address, "", since)
	if err != nil {
		return LoginResult{}, err
	}
	if err := pol.check(n, pol.AddressFree, last, now); err != nil {
		a.foldThrottled(ctx, "", "", in.Address, now)
		return LoginResult{}, err
	}
	c, err := a.creds.CredentialByUsername(ctx, in.Username)
	if errors.Is(err, commands.ErrNotFound) {
		return LoginResult{}, a.unknownUser(ctx, in, now, pol)
	}
	if err != nil {
		return LoginResult{}, err
	}
	// The account's password is checked inside a hashing slot (judge verifies it).
	release, err := a.gate.Enter(ctx)
	if err != nil {
		return LoginResult{}, err
	}
	outcome, res, u, err := a.attempt(ctx, c, in, now, pol)
	release()
	if errors.Is(err, commands.ErrNotFound) { // in the read model but not in the log: treat as unknown
		return LoginResult{}, a.unknownUser(ctx, in, now, pol)
	}
	if err != nil {
		return LoginResult{}, err
	}
	if outcome != nil {
		return LoginResult{}, outcome
	}
	token, err := newToken()
	if err != nil {
		return LoginResult{}, err
	}
	s := Session{ID: uuid.NewString(), TokenHash: HashToken(token), UserID: c.UserID, CreatedAt: now, ExpiresAt: now.Add(a.ttl),
		Client: in.Client, TwoFactor: u.TwoFactorEnabled()}
	if err := a.sessions.CreateSession(ctx, s); err != nil {
		return LoginResult{}, err
	}
	roles, err := a.creds.RolesByName(ctx, u.Roles())
	if err != nil {
		return LoginResult{}, err
	}
	required := false
	for _, r := range roles {
		required = required || r.Require2FA
	}
	return LoginResult{Token: token, Session: s, Credential: c, TwoFactorRequired: required && !u.TwoFactorEnabled(), Position: res.Position}, nil
}

// attempt judges a sign-in to an existing account and appends what the account recorded. The
// outcome is the answer for the client; err is a failure to judge or record.
func (a *Auth) attempt(ctx context.Context, c Credential, in LoginRequest, now time.Time, pol SignInPolicy) (outcome error, res commands.Result, u *user.User, err error) {
	for try := 1; ; try++ {
		l, err := a.users.Load(ctx, c.UserID)
		if err != nil {
			return nil, commands.Result{}, nil, err
		}
		u = l.Root
		outcome = a.judge(u, in, now, pol)
		changes := u.Changes()
		if len(changes) == 0 {
			if errors.Is(outcome, ErrThrottled) {
				a.foldThrottled(ctx, c.UserID.String(), c.Username, in.Address, now)
			}
			return outcome, commands.Result{ID: c.UserID, Version: u.Version(), Position: l.Position}, u, nil
		}
		m := commands.Meta{Actor: access.Anonymous, Command: commands.AuthLogin, RequestID: in.RequestID, CorrelationID: in.RequestID,
			CausationID: in.RequestID, ClientAddr: in.Address}
		if outcome == nil {
			m.Actor = access.Actor{ID: c.UserID, Name: c.DisplayName}
		}
		res, err = a.users.Append(ctx, m, c.UserID, u.Version(), changes)
		if errors.Is(err, eventstore.ErrConcurrency) && try < commands.MaxAttempts {
			continue // another attempt was recorded first: judge again against the new state
		}
		return outcome, res, u, err
	}
}

// judge checks one attempt against the account and records the outcome on it. An attempt with a
// second factor that user.MaySignInThroughLock allows skips the account's throttling and lock
// (failures from elsewhere cannot keep the owner out); it then answers every failure alike, so it
// is no faster oracle for the password than a throttled attempt.
func (a *Auth) judge(u *user.User, in LoginRequest, now time.Time, pol SignInPolicy) error {
	through := u.MaySignInThroughLock(in.Address, now) && (strings.TrimSpace(in.TOTP) != "" || strings.TrimSpace(in.RecoveryCode) != "")
	n, last := u.RecentFailures(now.Add(-user.LockWindow))
	skipped := pol.check(n, pol.UserFree, last, now) // the answer a failure gets when the attempt skipped the throttle
	if skipped != nil && !through {
		return skipped
	}
	fail := func(reason string, answer error) error {
		u.FailSignIn(in.Address, reason, now)
		switch {
		case u.LockedAt(now):
			return user.ErrLocked
		case skipped != nil:
			return skipped
		}
		return answer
	}
	if u.LockedAt(now) && !through {
		return fail(user.ReasonLocked, user.ErrLocked)
	}
	if ok, _ := VerifyPassword(in.Password, u.PasswordHash()); !ok {
		return fail(user.ReasonPassword, ErrBadCredentials)
	}
	if u.Disabled() {
		return fail(user.ReasonDisabled, ErrBadCredentials)
	}
	method, step := user.MethodPassword, int64(0)
	if u.TwoFactorEnabled() {
		switch {
		case strings.TrimSpace(in.TOTP) != "":
			s, ok := matchTOTP(u.TOTPSecret(), in.TOTP, now)
			if !ok || s <= u.LastTOTPStep() {
				return fail(user.ReasonTOTP, ErrSecondFactor)
			}
			method, step = user.MethodTOTP, s
		case strings.TrimSpace(in.RecoveryCode) != "":
			if err := u.UseRecoveryCode(HashRecoveryCode(in.RecoveryCode), now); err != nil {
				return fail(user.ReasonRecoveryCode, ErrSecondFactor)
			}
			method = user.MethodRecoveryCode
		default:
			return ErrTOTPRequired
		}
	}
	return u.SignIn(in.Address, method, step, now)
}

// unknownUser answers an attempt whose username names no account exactly as an account would
// be answered (same throttling, a lock after as many failures, a password hash checked), and
// records it on the client address's stream.
func (a *Auth) unknownUser(ctx context.Context, in LoginRequest, now time.Time, pol SignInPolicy) error {
	name := strings.ToLower(strings.TrimSpace(in.Username))
	n, last, err := a.signins.RecentSignInFailures(ctx, "", name, now.Add(-user.LockWindow))
	if err != nil {
		return err
	}
	if err := pol.check(n, pol.UserFree, last, now); err != nil {
		a.foldThrottled(ctx, "", name, in.Address, now)
		return err
	}
	answer := ErrBadCredentials
	if n+1 >= user.LockThreshold {
		answer = user.ErrLocked
	} else {
		if _, err := verifyPassword(ctx, a.gate, in.Password, a.dummy); err != nil {
			return err // no hashing slot: not a failed attempt, nothing recorded
		}
	}
	m := commands.Meta{Actor: access.Anonymous, Command: commands.AuthLogin, RequestID: in.RequestID, CorrelationID: in.RequestID,
		CausationID: in.RequestID, ClientAddr: in.Address}
	if err := a.appendAddressFailure(ctx, m, user.NewAddressSignInFailed(in.Username, in.Address, now), now); err != nil {
		return err
	}
	return answer
}

// Authenticate resolves a bearer token to the actor and slides the session's expiry. What it
// resolved is kept for a moment (see actorcache.go).
func (a *Auth) Authenticate(ctx context.Context, token string) (access.Actor, Session, error) {
	if token == "" {
		return access.Actor{}, Session{}, ErrUnauthenticated
	}
	now := a.clock()
	hash := HashToken(token)
	if c, ok := a.cache.get(hash, now); ok {
		return c.actor.Clone(), c.session, nil
	}
	epoch, signal := a.cache.marks()
	actor, s, err := a.authenticate(ctx, hash, now)
	if err != nil {
		return actor, s, err
	}
	a.cache.put(hash, cachedActor{actor: actor, session: s, at: now, epoch: epoch, signal: signal})
	return actor.Clone(), s, nil
}

func (a *Auth) authenticate(ctx context.Context, hash string, now time.Time) (access.Actor, Session, error) {
	s, err := a.sessions.TouchSession(ctx, hash, now, now.Add(a.ttl))
	if errors.Is(err, commands.ErrNotFound) {
		return access.Actor{}, Session{}, ErrUnauthenticated
	}
	if err != nil {
		return access.Actor{}, Session{}, err
	}
	c, err := a.creds.CredentialByID(ctx, s.UserID)
	if errors.Is(err, commands.ErrNotFound) || c.Disabled {
		return access.Actor{}, Session{}, ErrUnauthenticated
	}
	if err != nil {
		return access.Actor{}, Session{}, err
	}
	roles, err := a.creds.RolesByName(ctx, c.Roles)
	if err != nil {
		return access.Actor{}, Session{}, err
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

func newToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// ResolveActor combines a user's roles into an actor: the union of their permissions and the
// widest of their data scopes.
func ResolveActor(c Credential, roles []access.RoleDef) access.Actor {
	a := access.Actor{ID: c.UserID, Name: c.DisplayName, Roles: c.Roles, Permissions: map[string]bool{}, Scope: role.ScopeSelf,
		DepartmentID: c.DepartmentID, DeptPath: c.DeptPath, SuperiorPath: c.SuperiorPath}
	if a.SuperiorPath == "" {
		a.SuperiorPath = "/"
	}
	for _, r := range roles {
		for _, p := range r.Permissions {
			a.Permissions[p] = true
		}
		if role.Wider(r.Scope, a.Scope) {
			a.Scope = r.Scope
		}
		a.Require2FA = a.Require2FA || r.Require2FA
	}
	return a
}
