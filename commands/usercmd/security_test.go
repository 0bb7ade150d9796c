package usercmd_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// fakeSessions (fakes_test.go) keeps no sessions.
func (fakeSessions) UserSessions(context.Context, uuid.UUID, time.Time) ([]usercmd.Session, error) {
	return nil, nil
}
func (fakeSessions) DeleteUserSession(context.Context, uuid.UUID, string) error {
	return commands.ErrNotFound
}
func (fakeSessions) SetUserTwoFactor(context.Context, uuid.UUID, bool) error { return nil }

// memSessions is an in-memory commands.SessionStore.
type memSessions struct {
	mu sync.Mutex
	m  map[string]usercmd.Session // by token hash
}

func (s *memSessions) CreateSession(_ context.Context, x usercmd.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]usercmd.Session{}
	}
	s.m[x.TokenHash] = x
	return nil
}

func (s *memSessions) TouchSession(_ context.Context, hash string, now, next time.Time) (usercmd.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[hash]
	if !ok || !x.ExpiresAt.After(now) {
		return usercmd.Session{}, commands.ErrNotFound
	}
	x.ExpiresAt = next
	s.m[hash] = x
	return x, nil
}

func (s *memSessions) DeleteSession(_ context.Context, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, hash)
	return nil
}

func (s *memSessions) DeleteUserSessions(_ context.Context, id uuid.UUID, keep string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, x := range s.m {
		if x.UserID == id && h != keep {
			delete(s.m, h)
		}
	}
	return nil
}

func (s *memSessions) UserSessions(_ context.Context, id uuid.UUID, now time.Time) ([]usercmd.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []usercmd.Session
	for _, x := range s.m {
		if x.UserID == id && x.ExpiresAt.After(now) {
			out = append(out, x)
		}
	}
	return out, nil
}

func (s *memSessions) DeleteUserSession(_ context.Context, id uuid.UUID, sid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, x := range s.m {
		if x.UserID == id && x.ID == sid {
			delete(s.m, h)
			return nil
		}
	}
	return commands.ErrNotFound
}

func (s *memSessions) SetUserTwoFactor(_ context.Context, id uuid.UUID, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, x := range s.m {
		if x.UserID == id {
			x.TwoFactor = on
			s.m[h] = x
		}
	}
	return nil
}

// fakeCreds is the users read model: the accounts the test created.
type fakeCreds struct {
	mu         sync.Mutex
	byName     map[string]usercmd.Credential
	require2FA bool
}

func (f *fakeCreds) add(c usercmd.Credential) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byName == nil {
		f.byName = map[string]usercmd.Credential{}
	}
	f.byName[strings.ToLower(c.Username)] = c
}

func (f *fakeCreds) CredentialByUsername(_ context.Context, name string) (usercmd.Credential, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.byName[strings.ToLower(strings.TrimSpace(name))]; ok {
		return c, nil
	}
	return usercmd.Credential{}, commands.ErrNotFound
}

func (f *fakeCreds) CredentialByID(_ context.Context, id uuid.UUID) (usercmd.Credential, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.byName {
		if c.UserID == id {
			return c, nil
		}
	}
	return usercmd.Credential{}, commands.ErrNotFound
}

func (f *fakeCreds) RolesByName(ctx context.Context, names []string) ([]access.RoleDef, error) {
	defs, err := fakeOrg{}.RolesByName(ctx, names)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range defs {
		defs[i].Require2FA = f.require2FA
	}
	return defs, err
}

// storeSignInLog answers from the event log what the logins read model answers.
type storeSignInLog struct {
	store eventstore.Store
	reg   *event.Registry
}

func (l storeSignInLog) RecentSignInFailures(ctx context.Context, address, username string, since time.Time) (int, time.Time, error) {
	events, err := l.store.ReadAll(ctx, 0, 1<<20)
	if err != nil {
		return 0, time.Time{}, err
	}
	n, last := 0, time.Time{}
	for _, e := range events {
		if e.Type != "user.sign_in_failed.v1" && e.Type != "signin.failed.v1" {
			continue
		}
		d, err := l.reg.Decode(e.Type, e.Data)
		if err != nil {
			return 0, time.Time{}, err
		}
		var addr, name string
		var at time.Time
		switch d := d.(type) {
		case user.SignInFailed:
			addr, name, at = d.Address, d.Username, d.At
		case user.AddressSignInFailed:
			addr, name, at = d.Address, d.Username, d.At
		}
		match := addr == address
		if username != "" {
			match = strings.ToLower(name) == username
		}
		if match && at.After(since) {
			n++
			if at.After(last) {
				last = at
			}
		}
	}
	return n, last, nil
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type securityEnv struct {
	t        *testing.T
	ctx      context.Context
	store    eventstore.Store
	reg      *event.Registry
	clock    *fakeClock
	users    *usercmd.Users
	auth     *usercmd.Auth
	creds    *fakeCreds
	sessions *memSessions
}

func newSecurityEnv(t *testing.T) *securityEnv {
	t.Helper()
	store, reg := newUserStore(t)
	e := &securityEnv{t: t, ctx: context.Background(), store: store, reg: reg, creds: &fakeCreds{}, sessions: &memSessions{},
		clock: &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}}
	e.users = usercmd.NewUsers(store, reg, e.clock.now, fakeOrg{}, e.sessions)
	e.auth = usercmd.NewAuth(store, reg, e.creds, e.sessions, storeSignInLog{store, reg}, e.clock.now, 12*time.Hour)
	g := patientGate()
	e.users.SetHashGate(g)
	e.auth.SetHashGate(g)
	return e
}

func (e *securityEnv) createUser(username, password string) uuid.UUID {
	e.t.Helper()
	res, err := e.users.Create(e.ctx, commands.Meta{Actor: access.System}, usercmd.CreateUser{Username: username, Password: password, DisplayName: "用户" + username, Roles: []string{"sales"}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.creds.add(usercmd.Credential{UserID: res.ID, Username: username, DisplayName: "用户" + username, Roles: []string{"sales"}})
	return res.ID
}

func (e *securityEnv) login(username, password string, second ...string) (usercmd.LoginResult, error) {
	in := usercmd.LoginRequest{Username: username, Password: password, Address: "203.0.113.7", Client: "test", RequestID: uuid.NewString()}
	if len(second) > 0 {
		in.TOTP = second[0]
	}
	if len(second) > 1 {
		in.RecoveryCode, in.TOTP = second[1], ""
	}
	return e.auth.Login(e.ctx, in)
}

func (e *securityEnv) types(stream string) []string {
	e.t.Helper()
	events, err := e.store.Load(e.ctx, stream, eventstore.LoadOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, x := range events {
		out = append(out, x.Type)
	}
	return out
}

func count(types []string, typ string) int {
	n := 0
	for _, t := range types {
		if t == typ {
			n++
		}
	}
	return n
}

func TestCommonPasswordsAreRefused(t *testing.T) {
	t.Parallel()
	n := 0
	for _, pw := range []string{"123456", "password", "qwerty", "1qaz2wsx", "iloveyou", "5201314", "woaini1314", "1q2w3e4r5t"} {
		if !usercmd.IsCommonPassword(pw) {
			t.Errorf("%q is not on the list", pw)
		}
		n++
	}
	for _, pw := range []string{"1234567890", "QWERTYUIOP", "WoAiNi1314", "Password123", "5201314520", "1qaz2wsx3edc"} {
		err := usercmd.CheckPassword(pw)
		var ve *user.ValidationError
		if !errors.As(err, &ve) || ve.Field != "password" || !strings.Contains(ve.Message, "too common") {
			t.Errorf("CheckPassword(%q) = %v, want too common", pw, err)
		}
	}
	for _, pw := range []string{"Correct-horse-2026", "星河科技-销售-2026"} {
		if err := usercmd.CheckPassword(pw); err != nil {
			t.Errorf("CheckPassword(%q) = %v", pw, err)
		}
	}
	_ = n
}

func TestSignInPolicyDelays(t *testing.T) {
	t.Parallel()
	p := usercmd.DefaultSignInPolicy
	s := time.Second
	want := []time.Duration{0, 0, 0, 1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s}
	for n, w := range want {
		if got := p.Delay(n, p.UserFree); got != w {
			t.Errorf("after %d failures: wait %v, want %v", n, got, w)
		}
	}
	if got := p.Delay(1000, p.UserFree); got != 30*s {
		t.Errorf("after 1000 failures: %v", got)
	}
	if got := p.Delay(9, p.AddressFree); got != 0 {
		t.Errorf("an address waits after 9 failures: %v", got)
	}
	if got := p.Delay(11, p.AddressFree); got != 2*s {
		t.Errorf("an address after 11 failures waits %v", got)
	}
	if got := (usercmd.SignInPolicy{}).Delay(50, 0); got != 0 {
		t.Errorf("the zero policy waits %v", got)
	}
}

// TestFailedSignInsAreThrottledThenLock walks an account through the default policy with a
// fake clock: three free failures, then doubling waits answered with ErrThrottled, the tenth
// failure locks, the right password no longer helps, an administrator unlocks.
func TestFailedSignInsAreThrottledThenLock(t *testing.T) {
	t.Parallel()
	e := newSecurityEnv(t)
	id := e.createUser("li.lei", "Correct-horse-2026")
	var waits []time.Duration
	for i := 1; i <= user.LockThreshold; i++ {
		_, err := e.login("li.lei", "wrong-password-1")
		var th *usercmd.ThrottledError
		if errors.As(err, &th) {
			if !errors.Is(err, usercmd.ErrThrottled) || th.Seconds() < 1 {
				t.Fatalf("throttled error %v", err)
			}
			waits = append(waits, th.RetryAfter)
			e.clock.add(th.RetryAfter)
			_, err = e.login("li.lei", "wrong-password-1")
		}
		want := usercmd.ErrBadCredentials
		if i == user.LockThreshold {
			want = usercmd.ErrAccountLocked
		}
		if !errors.Is(err, want) {
			t.Fatalf("failure %d: %v, want %v", i, err, want)
		}
	}
	s := time.Second
	if want := []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s}; !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	e.clock.add(time.Hour) // the lock does not expire
	if _, err := e.login("li.lei", "Correct-horse-2026"); !errors.Is(err, usercmd.ErrAccountLocked) {
		t.Fatalf("right password on a locked account: %v", err)
	}
	types := e.types(user.Stream(id))
	if n := count(types, "user.sign_in_failed.v1"); n != 11 {
		t.Fatalf("%d failures recorded (throttled attempts record nothing): %v", n, types)
	}
	if count(types, "user.locked.v1") != 1 || count(types, "user.signed_in.v1") != 0 {
		t.Fatalf("events %v", types)
	}

	sales := commands.Meta{Actor: access.Actor{ID: uuid.New(), Permissions: map[string]bool{"leads.read": true}}}
	if _, err := e.auth.Unlock(e.ctx, sales, id); !errors.Is(err, commands.ErrForbidden) {
		t.Fatalf("a sales user unlocked: %v", err)
	}
	if _, err := e.auth.Unlock(e.ctx, commands.Meta{Actor: access.System}, id); err != nil {
		t.Fatal(err)
	}
	res, err := e.login("li.lei", "Correct-horse-2026")
	if err != nil || res.Token == "" || res.Session.ID == "" || res.Position == 0 {
		t.Fatalf("after unlock: %+v %v", res, err)
	}
	if _, _, err := e.auth.Authenticate(e.ctx, res.Token); err != nil {
		t.Fatalf("the new session does not authenticate: %v", err)
	}
	types = e.types(user.Stream(id))
	if types[len(types)-2] != "user.unlocked.v1" || types[len(types)-1] != "user.signed_in.v1" {
		t.Fatalf("events end with %v", types[len(types)-2:])
	}
	// Failures older than the window are forgotten: 9 failures, 16 minutes, one more does not lock.
	e.auth.SetSignInPolicy(usercmd.SignInPolicy{})
	for range 9 {
		if _, err := e.login("li.lei", "wrong-password-2"); !errors.Is(err, usercmd.ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	e.clock.add(16 * time.Minute)
	if _, err := e.login("li.lei", "wrong-password-2"); !errors.Is(err, usercmd.ErrBadCredentials) {
		t.Fatalf("a failure after the window: %v", err)
	}
	if _, err := e.login("li.lei", "Correct-horse-2026"); err != nil {
		t.Fatalf("locked by failures outside the window: %v", err)
	}
}

// TestUnknownUsernamesLookLikeAccounts: failures for a username that names no account go to
// the address's stream and are answered exactly like an account's.
func TestUnknownUsernamesLookLikeAccounts(t *testing.T) {
	t.Parallel()
	e := newSecurityEnv(t)
	e.createUser("han.meimei", "Correct-horse-2026")
	for i := 1; i <= 3; i++ {
		if _, err := e.login("nobody", "whatever-password"); !errors.Is(err, usercmd.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := e.login("nobody", "whatever-password")
	var th *usercmd.ThrottledError
	if !errors.As(err, &th) || th.RetryAfter != time.Second {
		t.Fatalf("4th attempt for an unknown user: %v, want a 1 s wait like an account", err)
	}
	types := e.types(user.SignInStream("203.0.113.7"))
	if len(types) != 3 || types[0] != "signin.failed.v1" {
		t.Fatalf("address stream %v", types)
	}
	e.auth.SetSignInPolicy(usercmd.SignInPolicy{})
	for i := 4; i <= user.LockThreshold; i++ {
		_, err := e.login("NOBODY", "whatever-password")
		want := usercmd.ErrBadCredentials
		if i == user.LockThreshold {
			want = usercmd.ErrAccountLocked
		}
		if !errors.Is(err, want) {
			t.Fatalf("attempt %d: %v, want %v", i, err, want)
		}
	}
	if len(e.types(user.SignInStream("203.0.113.7"))) != user.LockThreshold {
		t.Fatal("not every unknown-user failure was recorded")
	}
	// The address has now failed 10 times: a policy that waits after 10 address failures holds
	// back even the right password of another account from that address.
	e.auth.SetSignInPolicy(usercmd.SignInPolicy{UserFree: 100, AddressFree: 10, Base: time.Minute, Max: time.Hour})
	if _, err := e.login("han.meimei", "Correct-horse-2026"); !errors.Is(err, usercmd.ErrThrottled) {
		t.Fatalf("address throttling: %v", err)
	}
	e.clock.add(time.Minute)
	if _, err := e.login("han.meimei", "Correct-horse-2026"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

func TestTwoFactorSignIn(t *testing.T) {
	t.Parallel()
	e := newSecurityEnv(t)
	e.auth.SetSignInPolicy(usercmd.SignInPolicy{})
	id := e.createUser("wang.fang", "Correct-horse-2026")
	first, err := e.login("wang.fang", "Correct-horse-2026")
	if err != nil || first.TwoFactorRequired || first.Session.TwoFactor {
		t.Fatalf("first login: %+v %v", first, err)
	}
	me := commands.Meta{Actor: access.Actor{ID: id, Name: "wang"}}
	if _, _, err := e.auth.ConfirmTwoFactor(e.ctx, me, "123456"); !errors.Is(err, usercmd.ErrTwoFactorNotEnrolled) {
		t.Fatalf("confirm before enrolling: %v", err)
	}
	enr, _, err := e.auth.EnrollTwoFactor(e.ctx, me)
	if err != nil || enr.Secret == "" || !strings.HasPrefix(enr.URI, "otpauth://totp/Chronicle%20CRM:wang.fang?") || !strings.Contains(enr.URI, "issuer=Chronicle%20CRM") {
		t.Fatalf("enrol: %+v %v", enr, err)
	}
	if _, err := e.login("wang.fang", "Correct-horse-2026"); err != nil {
		t.Fatalf("an unconfirmed enrolment changed sign-in: %v", err)
	}
	wrong, _ := totp.GenerateCode(enr.Secret, e.clock.now().Add(-10*time.Minute))
	var ve *user.ValidationError
	if _, _, err := e.auth.ConfirmTwoFactor(e.ctx, me, wrong); !errors.As(err, &ve) || ve.Field != "code" {
		t.Fatalf("confirm with an old code: %v", err)
	}
	code, _ := totp.GenerateCode(enr.Secret, e.clock.now())
	codes, _, err := e.auth.ConfirmTwoFactor(e.ctx, me, code)
	if err != nil || len(codes) != 10 {
		t.Fatalf("confirm: %v %v", codes, err)
	}
	if s, _, _ := e.auth.Authenticate(e.ctx, first.Token); s.ID != id {
		t.Fatal("the first session ended")
	}
	if _, sess, _ := e.auth.Authenticate(e.ctx, first.Token); !sess.TwoFactor {
		t.Fatal("confirming did not mark the user's sessions")
	}
	if _, _, err := e.auth.EnrollTwoFactor(e.ctx, me); !errors.Is(err, usercmd.ErrTwoFactorEnabled) {
		t.Fatalf("enrol again: %v", err)
	}

	before := len(e.types(user.Stream(id)))
	if _, err := e.login("wang.fang", "Correct-horse-2026"); !errors.Is(err, usercmd.ErrTOTPRequired) {
		t.Fatalf("password only: %v", err)
	}
	if len(e.types(user.Stream(id))) != before {
		t.Fatal("a missing second factor was recorded as a failure")
	}
	if _, err := e.login("wang.fang", "wrong-password-9", code); !errors.Is(err, usercmd.ErrBadCredentials) {
		t.Fatalf("wrong password with a code: %v", err)
	}
	if _, err := e.login("wang.fang", "Correct-horse-2026", code); !errors.Is(err, usercmd.ErrSecondFactor) {
		t.Fatalf("the code used to confirm signed in: %v", err)
	}
	next, _ := totp.GenerateCode(enr.Secret, e.clock.now().Add(30*time.Second))
	res, err := e.login("wang.fang", "Correct-horse-2026", next)
	if err != nil || !res.Session.TwoFactor {
		t.Fatalf("with the next code: %+v %v", res, err)
	}
	if _, err := e.login("wang.fang", "Correct-horse-2026", next); !errors.Is(err, usercmd.ErrSecondFactor) {
		t.Fatalf("a code twice: %v", err)
	}
	e.clock.add(90 * time.Second)
	if _, err := e.login("wang.fang", "Correct-horse-2026", next); !errors.Is(err, usercmd.ErrSecondFactor) {
		t.Fatalf("an expired code: %v", err)
	}
	// Recovery codes: once each, case and dashes do not matter.
	if _, err := e.login("wang.fang", "Correct-horse-2026", "", strings.ToUpper(strings.ReplaceAll(codes[4], "-", ""))); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if _, err := e.login("wang.fang", "Correct-horse-2026", "", codes[4]); !errors.Is(err, usercmd.ErrSecondFactor) {
		t.Fatalf("a recovery code twice: %v", err)
	}
	types := e.types(user.Stream(id))
	if count(types, "user.recovery_code_used.v1") != 1 || count(types, "user.two_factor_confirmed.v1") != 1 {
		t.Fatalf("events %v", types)
	}
	// Disable needs the password.
	if _, err := e.auth.DisableTwoFactor(e.ctx, me, "wrong-password-9"); !errors.As(err, &ve) || ve.Field != "password" {
		t.Fatalf("disable with a wrong password: %v", err)
	}
	if _, err := e.auth.DisableTwoFactor(e.ctx, me, "Correct-horse-2026"); err != nil {
		t.Fatal(err)
	}
	if res, err := e.login("wang.fang", "Correct-horse-2026"); err != nil || res.Session.TwoFactor {
		t.Fatalf("after disabling: %+v %v", res, err)
	}
}

func TestRoleRequiringTwoFactor(t *testing.T) {
	t.Parallel()
	e := newSecurityEnv(t)
	e.creds.require2FA = true
	id := e.createUser("zhao.lei", "Correct-horse-2026")
	res, err := e.login("zhao.lei", "Correct-horse-2026")
	if err != nil || !res.TwoFactorRequired {
		t.Fatalf("login: %+v %v", res, err)
	}
	actor, sess, err := e.auth.Authenticate(e.ctx, res.Token)
	if err != nil || !usercmd.NeedsTwoFactorEnrollment(actor, sess) {
		t.Fatalf("an unenrolled user of a 2FA role: %v %v", sess, err)
	}
	me := commands.Meta{Actor: actor}
	enr, _, err := e.auth.EnrollTwoFactor(e.ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, e.clock.now())
	if _, _, err := e.auth.ConfirmTwoFactor(e.ctx, me, code); err != nil {
		t.Fatal(err)
	}
	actor, sess, _ = e.auth.Authenticate(e.ctx, res.Token)
	if usercmd.NeedsTwoFactorEnrollment(actor, sess) || actor.ID != id {
		t.Fatal("still needs enrolment after confirming")
	}
}

func TestOwnSessions(t *testing.T) {
	t.Parallel()
	e := newSecurityEnv(t)
	e.auth.SetSignInPolicy(usercmd.SignInPolicy{})
	a := e.createUser("user.a", "Correct-horse-2026")
	e.createUser("user.b", "Correct-horse-2027")
	a1, _ := e.login("user.a", "Correct-horse-2026")
	e.clock.add(time.Minute)
	a2, _ := e.login("user.a", "Correct-horse-2026")
	b1, _ := e.login("user.b", "Correct-horse-2027")
	actorA := access.Actor{ID: a}
	list, err := e.auth.Sessions(e.ctx, actorA)
	if err != nil || len(list) != 2 {
		t.Fatalf("sessions: %v %v", list, err)
	}
	if err := e.auth.RevokeSession(e.ctx, actorA, b1.Session.ID); !errors.Is(err, commands.ErrNotFound) {
		t.Fatalf("revoking someone else's session: %v", err)
	}
	if err := e.auth.RevokeSession(e.ctx, actorA, a1.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.auth.Authenticate(e.ctx, a1.Token); !errors.Is(err, usercmd.ErrUnauthenticated) {
		t.Fatalf("a revoked session still works: %v", err)
	}
	if _, _, err := e.auth.Authenticate(e.ctx, a2.Token); err != nil {
		t.Fatalf("the other session ended: %v", err)
	}
	if _, _, err := e.auth.Authenticate(e.ctx, b1.Token); err != nil {
		t.Fatalf("another user's session ended: %v", err)
	}
	e.clock.add(13 * time.Hour)
	if list, _ := e.auth.Sessions(e.ctx, actorA); len(list) != 0 {
		t.Fatalf("expired sessions listed: %v", list)
	}
}
