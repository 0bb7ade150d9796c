package usercmd_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
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
	mu      sync.Mutex
	m       map[string]usercmd.Session // by token hash
	touches int                        // TouchSession calls: lookups that reached the store
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
	s.touches++
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
	tracked  *usercmd.TrackedSessions // sessions, as Users and Auth share them
}

func newSecurityEnv(t *testing.T) *securityEnv {
	t.Helper()
	store, reg := newUserStore(t)
	e := &securityEnv{t: t, ctx: context.Background(), store: store, reg: reg, creds: &fakeCreds{}, sessions: &memSessions{},
		clock: &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}}
	e.tracked = usercmd.TrackSessions(e.sessions)
	e.users = usercmd.NewUsers(store, reg, e.clock.now, fakeOrg{}, e.tracked)
	e.auth = usercmd.NewAuth(store, reg, e.creds, e.tracked, storeSignInLog{store, reg}, e.clock.now, 12*time.Hour)
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
	return e.loginFrom("203.0.113.7", username, password, second...)
}

// loginFrom signs in from address; second is a one-time code, or "" and a recovery code.
func (e *securityEnv) loginFrom(address, username, password string, second ...string) (usercmd.LoginResult, error) {
	in := usercmd.LoginRequest{Username: username, Password: password, Address: address, Client: "test", RequestID: uuid.NewString()}
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
	e.clock.add(14 * time.Minute) // the first lock lasts 15 minutes
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
	// Disable needs the password and a current code (or an unused recovery code).
	fresh, _ := totp.GenerateCode(enr.Secret, e.clock.now())
	for _, try := range []struct {
		proof usercmd.TwoFactorProof
		field string
	}{
		{usercmd.TwoFactorProof{Password: "wrong-password-9", TOTP: fresh}, "password"},
		{usercmd.TwoFactorProof{Password: "Correct-horse-2026"}, "code"},
		{usercmd.TwoFactorProof{Password: "Correct-horse-2026", TOTP: wrong}, "code"},
		{usercmd.TwoFactorProof{Password: "Correct-horse-2026", RecoveryCode: codes[4]}, "recoveryCode"}, // spent
	} {
		if _, err := e.auth.DisableTwoFactor(e.ctx, me, try.proof); !errors.As(err, &ve) || ve.Field != try.field {
			t.Fatalf("disable with %+v: %v, want %s wrong", try.proof, err, try.field)
		}
	}
	if n := count(e.types(user.Stream(id)), "user.reauthentication_failed.v1"); n != 4 {
		t.Fatalf("%d failed reauthentications recorded, want 4", n)
	}
	if count(e.types(user.Stream(id)), "user.two_factor_disabled.v1") != 0 {
		t.Fatal("disabled without the proof")
	}
	if _, err := e.auth.DisableTwoFactor(e.ctx, me, usercmd.TwoFactorProof{Password: "Correct-horse-2026", RecoveryCode: codes[7]}); err != nil {
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

// lockedEvents decodes the account's Locked events.
func (e *securityEnv) locks(id uuid.UUID) []user.Locked {
	e.t.Helper()
	events, err := e.store.Load(e.ctx, user.Stream(id), eventstore.LoadOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []user.Locked
	for _, x := range events {
		if x.Type == "user.locked.v1" {
			d, err := e.reg.Decode(x.Type, x.Data)
			if err != nil {
				e.t.Fatal(err)
			}
			out = append(out, d.(user.Locked))
		}
	}
	return out
}

// TestLocksExpireAndGrow: a lock ends by itself after 15 minutes; the next locks without a
// successful sign-in in between last 1 h, 4 h, then 24 h each; a successful sign-in starts
// again at 15 minutes. Nobody has to unlock anything.
func TestLocksExpireAndGrow(t *testing.T) {
	t.Parallel()
	e := newSecurityEnv(t)
	e.auth.SetSignInPolicy(usercmd.SignInPolicy{})
	id := e.createUser("mei.mei", "Correct-horse-2026")
	lock := func() time.Duration {
		t.Helper()
		start := e.clock.now()
		for i := 1; i <= user.LockThreshold; i++ {
			_, err := e.login("mei.mei", "wrong-password-1")
			if want := usercmd.ErrBadCredentials; i == user.LockThreshold && !errors.Is(err, usercmd.ErrAccountLocked) || i < user.LockThreshold && !errors.Is(err, want) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		locks := e.locks(id)
		last := locks[len(locks)-1]
		if !last.At.Equal(start) || !slices.Equal(last.Addresses, []string{"203.0.113.7"}) {
			t.Fatalf("lock %d: %+v", len(locks), last)
		}
		return last.Until.Sub(start)
	}
	for _, want := range []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour, 24 * time.Hour} {
		if got := lock(); got != want {
			t.Fatalf("lock lasts %v, want %v", got, want)
		}
		// Attempts on the locked account do not count towards the next lock (lock() checks that
		// the next lock takes ten failures again).
		for range 5 {
			if _, err := e.login("mei.mei", "wrong-password-1"); !errors.Is(err, usercmd.ErrAccountLocked) {
				t.Fatalf("during a %v lock: %v", want, err)
			}
		}
		e.clock.add(want - time.Second)
		if _, err := e.login("mei.mei", "Correct-horse-2026"); !errors.Is(err, usercmd.ErrAccountLocked) {
			t.Fatalf("a second before the end of a %v lock: %v", want, err)
		}
		e.clock.add(time.Second)
	}
	if _, err := e.login("mei.mei", "Correct-horse-2026"); err != nil {
		t.Fatalf("after the last lock ended: %v", err)
	}
	if got := lock(); got != 15*time.Minute {
		t.Fatalf("after a successful sign-in the lock lasts %v", got)
	}
}

// TestSecondFactorSignsInThroughOthersLock: failures from one address lock the account and
// throttle it; the owner, with their password and a one-time code from another address, still
// signs in, and the lock stays for the address it came from. A wrong try through the lock is
// answered like any attempt on a locked account and closes that address too.
func TestSecondFactorSignsInThroughOthersLock(t *testing.T) {
	t.Parallel()
	e := newSecurityEnv(t)
	id := e.createUser("owner.2fa", "Correct-horse-2026")
	me := commands.Meta{Actor: access.Actor{ID: id}}
	enr, _, err := e.auth.EnrollTwoFactor(e.ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	code := func() string {
		e.clock.add(30 * time.Second) // a fresh time step: a code signs in once
		c, _ := totp.GenerateCode(enr.Secret, e.clock.now())
		return c
	}
	codes, _, err := e.auth.ConfirmTwoFactor(e.ctx, me, code())
	if err != nil {
		t.Fatal(err)
	}
	const attacker, home, third = "198.51.100.66", "203.0.113.7", "192.0.2.10"
	// Throttled by the attacker's failures: the owner is not.
	for range 5 {
		if _, err := e.loginFrom(attacker, "owner.2fa", "wrong-password-1"); errors.Is(err, usercmd.ErrThrottled) {
			e.clock.add(err.(*usercmd.ThrottledError).RetryAfter)
		}
	}
	if _, err := e.loginFrom(attacker, "owner.2fa", "wrong-password-1"); !errors.Is(err, usercmd.ErrThrottled) {
		t.Fatalf("the attacker is not throttled: %v", err)
	}
	if _, err := e.loginFrom(home, "owner.2fa", "Correct-horse-2026"); !errors.Is(err, usercmd.ErrThrottled) {
		t.Fatalf("the password alone skipped the throttle: %v", err)
	}
	if _, err := e.loginFrom(home, "owner.2fa", "Correct-horse-2026", code()); err != nil {
		t.Fatalf("the owner with a second factor while throttled: %v", err)
	}
	// Locked by the attacker.
	e.auth.SetSignInPolicy(usercmd.SignInPolicy{})
	for range user.LockThreshold {
		_, err = e.loginFrom(attacker, "owner.2fa", "wrong-password-1", code())
	}
	if !errors.Is(err, usercmd.ErrAccountLocked) {
		t.Fatalf("not locked: %v", err)
	}
	if _, err := e.loginFrom(attacker, "owner.2fa", "Correct-horse-2026", code()); !errors.Is(err, usercmd.ErrAccountLocked) {
		t.Fatalf("the locked-out address with the right password and code: %v", err)
	}
	if _, err := e.loginFrom(home, "owner.2fa", "Correct-horse-2026"); !errors.Is(err, usercmd.ErrAccountLocked) {
		t.Fatalf("the password alone through the lock: %v", err)
	}
	res, err := e.loginFrom(home, "owner.2fa", "Correct-horse-2026", code())
	if err != nil || !res.Session.TwoFactor {
		t.Fatalf("the owner through the lock: %v", err)
	}
	if _, err := e.loginFrom(home, "owner.2fa", "Correct-horse-2026", "", codes[0]); err != nil {
		t.Fatalf("with a recovery code through the lock: %v", err)
	}
	// The lock stays, with its level, for everyone else.
	if _, err := e.loginFrom(attacker, "owner.2fa", "Correct-horse-2026", code()); !errors.Is(err, usercmd.ErrAccountLocked) {
		t.Fatalf("the sign-in through the lock lifted it: %v", err)
	}
	// A wrong code through the lock says only "locked", and that address is closed too.
	if _, err := e.loginFrom(third, "owner.2fa", "Correct-horse-2026", "000000"); !errors.Is(err, usercmd.ErrAccountLocked) {
		t.Fatalf("a wrong code through the lock: %v", err)
	}
	if _, err := e.loginFrom(third, "owner.2fa", "Correct-horse-2026", code()); !errors.Is(err, usercmd.ErrAccountLocked) {
		t.Fatalf("an address that failed since the lock: %v", err)
	}
	events, _ := e.store.Load(e.ctx, user.Stream(id), eventstore.LoadOptions{})
	through := 0
	for _, x := range events {
		if x.Type == "user.signed_in.v1" {
			d, _ := e.reg.Decode(x.Type, x.Data)
			if d.(user.SignedIn).ThroughLock {
				through++
			}
		}
	}
	if through != 2 {
		t.Fatalf("%d sign-ins through the lock recorded, want 2", through)
	}
	// It still ends on time; the next lock (no ordinary sign-in since) lasts an hour.
	e.clock.add(15 * time.Minute)
	if _, err := e.loginFrom(attacker, "owner.2fa", "Correct-horse-2026", code()); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

// throttledEvents decodes the folded throttled attempts recorded for address.
func (e *securityEnv) throttledEvents(address string) []user.SignInThrottled {
	e.t.Helper()
	events, err := e.store.Load(e.ctx, user.SignInStream(address), eventstore.LoadOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []user.SignInThrottled
	for _, x := range events {
		if x.Type == "signin.throttled.v1" {
			d, err := e.reg.Decode(x.Type, x.Data)
			if err != nil {
				e.t.Fatal(err)
			}
			out = append(out, d.(user.SignInThrottled))
		}
	}
	return out
}

// TestThrottledAttemptsAreFolded: throttled attempts are recorded, one event per account (or
// username, or address), address and minute with the count, once the minute is over.
func TestThrottledAttemptsAreFolded(t *testing.T) {
	t.Parallel()
	e := newSecurityEnv(t)
	e.clock.add(10 * time.Second) // 09:00:10, inside one minute for the attempts below
	e.auth.SetSignInPolicy(usercmd.SignInPolicy{UserFree: 2, AddressFree: 1000, Base: time.Hour, Max: time.Hour})
	id := e.createUser("flood.me", "Correct-horse-2026")
	const a, b = "198.51.100.1", "198.51.100.2"
	for range 2 {
		if _, err := e.loginFrom(a, "flood.me", "wrong-password-1"); !errors.Is(err, usercmd.ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	try := func(addr, name string, n int) {
		t.Helper()
		for range n {
			if _, err := e.loginFrom(addr, name, "wrong-password-1"); !errors.Is(err, usercmd.ErrThrottled) {
				t.Fatalf("%s from %s: %v", name, addr, err)
			}
		}
	}
	try(a, "flood.me", 5)
	try(b, "FLOOD.ME", 3)
	for range 2 {
		_, _ = e.loginFrom(b, "no.such.user", "wrong-password-1")
	}
	try(b, "no.such.user", 4)
	if err := e.auth.FlushThrottled(e.ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := len(e.throttledEvents(a)) + len(e.throttledEvents(b)); got != 0 {
		t.Fatalf("%d counts recorded before their minute was over", got)
	}
	e.clock.add(time.Minute)
	try(a, "flood.me", 1) // a new minute: the last minute's counts are recorded on the way
	ea, eb := e.throttledEvents(a), e.throttledEvents(b)
	minute := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	if len(ea) != 1 || ea[0].Count != 5 || ea[0].UserID != id.String() || ea[0].Username != "flood.me" || !ea[0].Minute.Equal(minute) {
		t.Fatalf("address a: %+v", ea)
	}
	counts := map[string]int{}
	for _, x := range eb {
		counts[x.UserID+"/"+x.Username] = x.Count
	}
	if len(eb) != 2 || counts[id.String()+"/flood.me"] != 3 || counts["/no.such.user"] != 4 {
		t.Fatalf("address b: %+v", eb)
	}
	// An address held back as a whole is folded by address alone; shutdown records the minute
	// still open.
	e.auth.SetSignInPolicy(usercmd.SignInPolicy{UserFree: 1000, AddressFree: 1, Base: time.Hour, Max: time.Hour})
	const c = "198.51.100.3"
	_, _ = e.loginFrom(c, "user-1", "wrong-password-1")
	for i := range 6 {
		if _, err := e.loginFrom(c, "user-"+strconv.Itoa(i), "wrong-password-1"); !errors.Is(err, usercmd.ErrThrottled) {
			t.Fatalf("address throttle: %v", err)
		}
	}
	if err := e.auth.FlushThrottled(e.ctx, true); err != nil {
		t.Fatal(err)
	}
	if ec := e.throttledEvents(c); len(ec) != 1 || ec[0].Count != 6 || ec[0].Username != "" || ec[0].UserID != "" {
		t.Fatalf("address c: %+v", ec)
	}
	if ea := e.throttledEvents(a); len(ea) != 2 || ea[1].Count != 1 {
		t.Fatalf("the open minute at shutdown: %+v", ea)
	}
}

// TestWrongPasswordsOnAStolenSession: wrong current passwords (change password, disable 2FA) are
// recorded, throttled like failed sign-ins, and the fifth in a row ends every session of the
// account, so a stolen session cannot go on guessing.
func TestWrongPasswordsOnAStolenSession(t *testing.T) {
	t.Parallel()
	e := newSecurityEnv(t)
	id := e.createUser("stolen.sess", "Correct-horse-2026")
	mine, _ := e.login("stolen.sess", "Correct-horse-2026")
	stolen, _ := e.login("stolen.sess", "Correct-horse-2026")
	m := commands.Meta{Actor: access.Actor{ID: id}, ClientAddr: "198.51.100.9"}
	var waits []time.Duration
	for i := 1; i <= user.ReauthLimit; i++ {
		_, err := e.users.ChangePassword(e.ctx, m, "guess-"+strconv.Itoa(i), "Another-horse-2026", usercmd.HashToken(stolen.Token))
		var th *usercmd.ThrottledError
		if errors.As(err, &th) {
			waits = append(waits, th.RetryAfter)
			e.clock.add(th.RetryAfter)
			_, err = e.users.ChangePassword(e.ctx, m, "guess-"+strconv.Itoa(i), "Another-horse-2026", usercmd.HashToken(stolen.Token))
		}
		var ve *user.ValidationError
		if i < user.ReauthLimit && (!errors.As(err, &ve) || ve.Field != "currentPassword") {
			t.Fatalf("guess %d: %v", i, err)
		}
		if i == user.ReauthLimit && !errors.Is(err, usercmd.ErrReauthLimit) {
			t.Fatalf("guess %d: %v, want the sessions ended", i, err)
		}
	}
	if !slices.Equal(waits, []time.Duration{time.Second, 2 * time.Second}) {
		t.Fatalf("waits %v, want the sign-in policy's 1 s, 2 s", waits)
	}
	for _, tok := range []string{mine.Token, stolen.Token} {
		if _, _, err := e.auth.Authenticate(e.ctx, tok); !errors.Is(err, usercmd.ErrUnauthenticated) {
			t.Fatalf("a session survived: %v", err)
		}
	}
	events, _ := e.store.Load(e.ctx, user.Stream(id), eventstore.LoadOptions{})
	var failed []user.ReauthenticationFailed
	for _, x := range events {
		if x.Type == "user.reauthentication_failed.v1" {
			d, _ := e.reg.Decode(x.Type, x.Data)
			failed = append(failed, d.(user.ReauthenticationFailed))
			if x.Metadata.Command != "user.change_password" || x.Metadata.ClientAddr != "198.51.100.9" {
				t.Fatalf("metadata %+v", x.Metadata)
			}
		}
	}
	if len(failed) != user.ReauthLimit || !failed[user.ReauthLimit-1].SessionsEnded || failed[0].SessionsEnded ||
		failed[0].Purpose != usercmd.PurposeChangePassword || failed[0].Field != "currentPassword" || failed[0].Address != "198.51.100.9" {
		t.Fatalf("recorded %+v", failed)
	}
	// The owner signs in again and the count starts again.
	res, err := e.login("stolen.sess", "Correct-horse-2026")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.users.ChangePassword(e.ctx, m, "Correct-horse-2026", "Another-horse-2026", usercmd.HashToken(res.Token)); err != nil {
		t.Fatalf("the right password after the sessions ended: %v", err)
	}
}
