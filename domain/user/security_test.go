package user_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/user"
)

var (
	secID  = uuid.MustParse("0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e")
	secBy  = uuid.MustParse("0190a5c4-8a5e-7b2c-9d3e-000000000001")
	secAt  = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	hashes = []string{"h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"}
)

func created() event.Event {
	return user.Created{UserID: secID.String(), Username: "zhang.wei", DisplayName: "张伟", Roles: []string{"sales"},
		PasswordHash: "hash", By: secBy.String(), At: secAt.Add(-time.Hour)}
}

func enrolled() event.Event {
	return user.TwoFactorEnrolled{UserID: secID.String(), TOTPSecret: "JBSWY3DPEHPK3PXP", At: secAt.Add(-time.Minute)}
}

func confirmed() event.Event {
	return user.TwoFactorConfirmed{UserID: secID.String(), RecoveryCodes: hashes, TOTPStep: 100, At: secAt.Add(-time.Minute)}
}

func failed(ago time.Duration) event.Event {
	return user.SignInFailed{UserID: secID.String(), Username: "zhang.wei", Address: "203.0.113.9", Reason: user.ReasonPassword, At: secAt.Add(-ago)}
}

func failures(n int, ago time.Duration) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		out[i] = failed(ago)
	}
	return out
}

// lockedAgo is a lock of this level recorded ago, from the failures' address.
func lockedAgo(ago time.Duration, level int) event.Event {
	at := secAt.Add(-ago)
	return user.Locked{UserID: secID.String(), Username: "zhang.wei", Failures: 10, Level: level, Until: at.Add(user.LockDuration(level)),
		Addresses: []string{"203.0.113.9"}, At: at}
}

// lockedFailures are attempts on a locked account.
func lockedFailures(n int, ago time.Duration) []event.Event {
	out := failures(n, ago)
	for i := range out {
		f := out[i].(user.SignInFailed)
		f.Reason = user.ReasonLocked
		out[i] = f
	}
	return out
}

func locked() event.Event {
	return user.Locked{UserID: secID.String(), Username: "zhang.wei", Failures: 10, At: secAt.Add(-time.Minute)}
}

// TestSecurityBehaviours: Given events, When a behaviour, Then the events it records (or the error).
func TestSecurityBehaviours(t *testing.T) {
	t.Parallel()
	failedNow := user.SignInFailed{UserID: secID.String(), Username: "zhang.wei", Address: "203.0.113.9", Reason: user.ReasonPassword, At: secAt}
	cases := []struct {
		name  string
		given []event.Event
		when  func(u *user.User) error
		then  []event.Event
		err   error
	}{
		{"enrol issues a secret", nil,
			func(u *user.User) error { return u.EnrollTwoFactor("SECRET", secAt) },
			[]event.Event{user.TwoFactorEnrolled{UserID: secID.String(), TOTPSecret: "SECRET", At: secAt}}, nil},
		{"enrolling again before confirming replaces the secret", []event.Event{enrolled()},
			func(u *user.User) error { return u.EnrollTwoFactor("OTHER", secAt) },
			[]event.Event{user.TwoFactorEnrolled{UserID: secID.String(), TOTPSecret: "OTHER", At: secAt}}, nil},
		{"enrolling with two-factor on is refused", []event.Event{enrolled(), confirmed()},
			func(u *user.User) error { return u.EnrollTwoFactor("SECRET", secAt) }, nil, user.ErrTwoFactorEnabled},
		{"confirm without enrolment is refused", nil,
			func(u *user.User) error { return u.ConfirmTwoFactor(hashes, 5, secAt) }, nil, user.ErrTwoFactorNotEnrolled},
		{"confirm switches two-factor on", []event.Event{enrolled()},
			func(u *user.User) error { return u.ConfirmTwoFactor(hashes, 5, secAt) },
			[]event.Event{user.TwoFactorConfirmed{UserID: secID.String(), RecoveryCodes: hashes, TOTPStep: 5, At: secAt}}, nil},
		{"confirm twice is refused", []event.Event{enrolled(), confirmed()},
			func(u *user.User) error { return u.ConfirmTwoFactor(hashes, 5, secAt) }, nil, user.ErrTwoFactorEnabled},
		{"disable without two-factor records nothing", nil,
			func(u *user.User) error { return u.DisableTwoFactor(secID, secAt) }, nil, nil},
		{"disable switches two-factor off", []event.Event{enrolled(), confirmed()},
			func(u *user.User) error { return u.DisableTwoFactor(secID, secAt) },
			[]event.Event{user.TwoFactorDisabled{UserID: secID.String(), By: secID.String(), At: secAt}}, nil},
		{"a recovery code is spent by index", []event.Event{enrolled(), confirmed()},
			func(u *user.User) error { return u.UseRecoveryCode("h3", secAt) },
			[]event.Event{user.RecoveryCodeUsed{UserID: secID.String(), Index: 3, At: secAt}}, nil},
		{"a spent recovery code is refused", []event.Event{enrolled(), confirmed(), user.RecoveryCodeUsed{UserID: secID.String(), Index: 3, At: secAt}},
			func(u *user.User) error { return u.UseRecoveryCode("h3", secAt) }, nil, user.ErrRecoveryCodeInvalid},
		{"an unknown recovery code is refused", []event.Event{enrolled(), confirmed()},
			func(u *user.User) error { return u.UseRecoveryCode("nope", secAt) }, nil, user.ErrRecoveryCodeInvalid},
		{"recovery codes die with two-factor", []event.Event{enrolled(), confirmed(), user.TwoFactorDisabled{UserID: secID.String(), At: secAt}},
			func(u *user.User) error { return u.UseRecoveryCode("h3", secAt) }, nil, user.ErrRecoveryCodeInvalid},
		{"sign in", nil,
			func(u *user.User) error { return u.SignIn("203.0.113.9", user.MethodPassword, 0, secAt) },
			[]event.Event{user.SignedIn{UserID: secID.String(), Username: "zhang.wei", Address: "203.0.113.9", Method: user.MethodPassword, At: secAt}}, nil},
		{"sign in with a fresh code", []event.Event{enrolled(), confirmed()},
			func(u *user.User) error { return u.SignIn("203.0.113.9", user.MethodTOTP, 101, secAt) },
			[]event.Event{user.SignedIn{UserID: secID.String(), Username: "zhang.wei", Address: "203.0.113.9", Method: user.MethodTOTP, TOTPStep: 101, At: secAt}}, nil},
		{"a code of a spent time step is refused", []event.Event{enrolled(), confirmed()},
			func(u *user.User) error { return u.SignIn("203.0.113.9", user.MethodTOTP, 100, secAt) }, nil, user.ErrTOTPReused},
		{"a locked account cannot sign in", []event.Event{locked()},
			func(u *user.User) error { return u.SignIn("203.0.113.9", user.MethodPassword, 0, secAt) }, nil, user.ErrLocked},
		{"a disabled account cannot sign in", []event.Event{user.Disabled{UserID: secID.String(), By: secBy.String(), At: secAt}},
			func(u *user.User) error { return u.SignIn("203.0.113.9", user.MethodPassword, 0, secAt) }, nil, user.ErrDisabled},
		{"a failure below the threshold only records the failure", failures(8, time.Minute),
			func(u *user.User) error { u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt); return nil },
			[]event.Event{failedNow}, nil},
		{"the tenth failure in 15 minutes locks", failures(9, 14*time.Minute),
			func(u *user.User) error { u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt); return nil },
			[]event.Event{failedNow, user.Locked{UserID: secID.String(), Username: "zhang.wei", Failures: 10, Until: secAt.Add(15 * time.Minute),
				Addresses: []string{"203.0.113.9"}, At: secAt}}, nil},
		{"a lock ends by itself", append(failures(10, 20*time.Minute), lockedAgo(16*time.Minute, 0)),
			func(u *user.User) error { return u.SignIn("203.0.113.9", user.MethodPassword, 0, secAt) },
			[]event.Event{user.SignedIn{UserID: secID.String(), Username: "zhang.wei", Address: "203.0.113.9", Method: user.MethodPassword, At: secAt}}, nil},
		{"the next lock without a successful sign-in lasts an hour",
			append(append(failures(10, 40*time.Minute), lockedAgo(40*time.Minute, 0)), failures(9, 2*time.Minute)...),
			func(u *user.User) error { u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt); return nil },
			[]event.Event{failedNow, user.Locked{UserID: secID.String(), Username: "zhang.wei", Failures: 10, Level: 1, Until: secAt.Add(time.Hour),
				Addresses: []string{"203.0.113.9"}, At: secAt}}, nil},
		{"an unlock keeps the count of locks; the third lasts 4 hours",
			append(append(failures(10, 50*time.Minute), lockedAgo(50*time.Minute, 0), lockedAgo(30*time.Minute, 1),
				user.Unlocked{UserID: secID.String(), At: secAt.Add(-20 * time.Minute)}), failures(9, 2*time.Minute)...),
			func(u *user.User) error { u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt); return nil },
			[]event.Event{failedNow, user.Locked{UserID: secID.String(), Username: "zhang.wei", Failures: 10, Level: 2, Until: secAt.Add(4 * time.Hour),
				Addresses: []string{"203.0.113.9"}, At: secAt}}, nil},
		{"a successful sign-in starts the locks again at 15 minutes",
			append(append(failures(10, 100*time.Minute), lockedAgo(100*time.Minute, 0), lockedAgo(80*time.Minute, 1),
				user.SignedIn{UserID: secID.String(), Method: user.MethodPassword, At: secAt.Add(-10 * time.Minute)}), failures(9, 2*time.Minute)...),
			func(u *user.User) error { u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt); return nil },
			[]event.Event{failedNow, user.Locked{UserID: secID.String(), Username: "zhang.wei", Failures: 10, Until: secAt.Add(15 * time.Minute),
				Addresses: []string{"203.0.113.9"}, At: secAt}}, nil},
		{"attempts on a locked account do not count towards the next lock",
			append(append(failures(10, 14*time.Minute), lockedAgo(14*time.Minute+time.Second, 0)), lockedFailures(12, 2*time.Minute)...),
			func(u *user.User) error {
				u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt.Add(2*time.Minute))
				return nil
			},
			[]event.Event{user.SignInFailed{UserID: secID.String(), Username: "zhang.wei", Address: "203.0.113.9", Reason: user.ReasonPassword, At: secAt.Add(2 * time.Minute)}}, nil},
		{"a second factor from another address signs in through the lock", append(append([]event.Event{enrolled(), confirmed()}, failures(10, 2*time.Minute)...), lockedAgo(time.Minute, 0)),
			func(u *user.User) error { return u.SignIn("198.51.100.4", user.MethodTOTP, 101, secAt) },
			[]event.Event{user.SignedIn{UserID: secID.String(), Username: "zhang.wei", Address: "198.51.100.4", Method: user.MethodTOTP, TOTPStep: 101, ThroughLock: true, At: secAt}}, nil},
		{"not from an address the lock's failures came from", append(append([]event.Event{enrolled(), confirmed()}, failures(10, 2*time.Minute)...), lockedAgo(time.Minute, 0)),
			func(u *user.User) error { return u.SignIn("203.0.113.9", user.MethodTOTP, 101, secAt) }, nil, user.ErrLocked},
		{"not with a password alone", append(append([]event.Event{enrolled(), confirmed()}, failures(10, 2*time.Minute)...), lockedAgo(time.Minute, 0)),
			func(u *user.User) error { return u.SignIn("198.51.100.4", user.MethodPassword, 0, secAt) }, nil, user.ErrLocked},
		{"not without two-factor sign-in", append(failures(10, 2*time.Minute), lockedAgo(time.Minute, 0)),
			func(u *user.User) error { return u.SignIn("198.51.100.4", user.MethodRecoveryCode, 0, secAt) }, nil, user.ErrLocked},
		{"failures older than the window do not count", failures(9, 16*time.Minute),
			func(u *user.User) error { u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt); return nil },
			[]event.Event{failedNow}, nil},
		{"a success starts the count again",
			append(failures(9, 5*time.Minute), user.SignedIn{UserID: secID.String(), Method: user.MethodPassword, At: secAt.Add(-4 * time.Minute)}),
			func(u *user.User) error { u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt); return nil },
			[]event.Event{failedNow}, nil},
		{"failures of a locked account do not lock again", append(failures(10, 2*time.Minute), locked()),
			func(u *user.User) error { u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt); return nil },
			[]event.Event{failedNow}, nil},
		{"unlock", append(failures(10, 2*time.Minute), locked()),
			func(u *user.User) error { return u.Unlock(secBy, secAt) },
			[]event.Event{user.Unlocked{UserID: secID.String(), Username: "zhang.wei", By: secBy.String(), At: secAt}}, nil},
		{"unlocking an unlocked account records nothing", nil,
			func(u *user.User) error { return u.Unlock(secBy, secAt) }, nil, nil},
		{"an unlock starts the count again",
			append(append(failures(10, 2*time.Minute), locked(), user.Unlocked{UserID: secID.String(), At: secAt.Add(-time.Minute)}), failures(8, 30*time.Second)...),
			func(u *user.User) error { u.FailSignIn("203.0.113.9", user.ReasonPassword, secAt); return nil },
			[]event.Event{failedNow}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			u, err := user.Rehydrate(secID, append([]event.Event{created()}, c.given...))
			if err != nil {
				t.Fatal(err)
			}
			err = c.when(u)
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if got := u.Changes(); !reflect.DeepEqual(got, c.then) && !(len(got) == 0 && len(c.then) == 0) {
				t.Fatalf("recorded\n %#v\nwant\n %#v", got, c.then)
			}
		})
	}
}

func TestSecurityState(t *testing.T) {
	t.Parallel()
	u, err := user.Rehydrate(secID, []event.Event{created(), enrolled()})
	if err != nil {
		t.Fatal(err)
	}
	if u.TwoFactorEnabled() || u.PendingTOTPSecret() != "JBSWY3DPEHPK3PXP" {
		t.Fatal("a pending enrolment is not two-factor sign-in")
	}
	if err := u.ConfirmTwoFactor(hashes, 7, secAt); err != nil {
		t.Fatal(err)
	}
	if !u.TwoFactorEnabled() || u.TOTPSecret() != "JBSWY3DPEHPK3PXP" || u.PendingTOTPSecret() != "" || u.RecoveryCodesLeft() != 10 || u.LastTOTPStep() != 7 {
		t.Fatalf("after confirm: enabled %v left %d step %d", u.TwoFactorEnabled(), u.RecoveryCodesLeft(), u.LastTOTPStep())
	}
	if err := u.UseRecoveryCode("h0", secAt); err != nil || u.RecoveryCodesLeft() != 9 {
		t.Fatalf("use: %v, left %d", err, u.RecoveryCodesLeft())
	}
	for range 3 {
		u.FailSignIn("a", user.ReasonTOTP, secAt)
	}
	if n, last := u.RecentFailures(secAt.Add(-time.Minute)); n != 3 || !last.Equal(secAt) {
		t.Fatalf("recent failures = %d at %v", n, last)
	}
	// Many failures keep only the newest few in memory, enough for the window.
	for range 100 {
		u.FailSignIn("a", user.ReasonPassword, secAt)
	}
	if n, _ := u.RecentFailures(secAt.Add(-time.Minute)); n != 20 || !u.LockedAt(secAt) || !u.LockedUntil().Equal(secAt.Add(15*time.Minute)) {
		t.Fatalf("after 103 failures: %d kept, locked %v until %v", n, u.LockedAt(secAt), u.LockedUntil())
	}
	if u.LockedAt(secAt.Add(15*time.Minute)) || u.ConsecutiveLocks() != 1 {
		t.Fatal("the lock did not end after 15 minutes")
	}
	// The secret stays out of the snapshot.
	if s := u.Snapshot(); strings.Contains(strings.ToLower(strings.Join(keys(s), ",")), "secret") {
		t.Fatalf("snapshot shows a secret: %v", s)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSignInStreamAndEventNames(t *testing.T) {
	t.Parallel()
	if a, b := user.SignInStream("203.0.113.9"), user.SignInStream("203.0.113.9"); a != b || !strings.HasPrefix(a, "signin-") {
		t.Fatalf("sign-in stream %q / %q", a, b)
	}
	if user.SignInStream("203.0.113.9") == user.SignInStream("203.0.113.10") {
		t.Fatal("two addresses share a stream")
	}
	long := strings.Repeat("密", 100)
	if e := user.NewAddressSignInFailed(long, "a", secAt); len([]rune(e.Username)) != 64 || e.Reason != user.ReasonUnknownUser {
		t.Fatalf("address failure %+v", e)
	}
	r := event.NewRegistry()
	user.Register(r)
	for _, typ := range []string{"user.two_factor_enrolled.v1", "user.two_factor_confirmed.v1", "user.two_factor_disabled.v1",
		"user.recovery_code_used.v1", "user.signed_in.v1", "user.sign_in_failed.v1", "user.locked.v1", "user.unlocked.v1", "signin.failed.v1"} {
		if !r.Knows(typ) {
			t.Errorf("%s is not registered", typ)
		}
	}
	d, err := r.Decode("user.two_factor_enrolled.v1", []byte(`{"userId":"x","totpSecret":"S","at":"2026-11-01T09:00:00Z"}`))
	if err != nil || d.(user.TwoFactorEnrolled).TOTPSecret != "S" {
		t.Fatalf("decode: %v %v", d, err)
	}
}

func TestReplaceRecoveryCodes(t *testing.T) {
	t.Parallel()
	u, err := user.Rehydrate(secID, []event.Event{created()})
	if err != nil {
		t.Fatal(err)
	}
	fresh := []string{"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9"}
	if err := u.ReplaceRecoveryCodes(fresh, 9, secAt); !errors.Is(err, user.ErrTwoFactorOff) {
		t.Fatalf("without 2FA: %v", err)
	}
	u, _ = user.Rehydrate(secID, []event.Event{created(), enrolled()})
	if err := u.ConfirmTwoFactor(hashes, 7, secAt); err != nil {
		t.Fatal(err)
	}
	var fe *user.ValidationError
	if err := u.ReplaceRecoveryCodes(fresh, 7, secAt); !errors.As(err, &fe) || fe.Field != "code" {
		t.Fatalf("with a spent time step: %v", err)
	}
	if err := u.ReplaceRecoveryCodes(fresh[:9], 8, secAt); !errors.As(err, &fe) || fe.Field != "recoveryCodes" {
		t.Fatalf("with 9 codes: %v", err)
	}
	if err := u.ReplaceRecoveryCodes(fresh, 8, secAt); err != nil {
		t.Fatal(err)
	}
	if u.LastTOTPStep() != 8 || u.RecoveryCodesLeft() != 10 {
		t.Fatalf("after replacing: step %d, %d codes", u.LastTOTPStep(), u.RecoveryCodesLeft())
	}
	if err := u.UseRecoveryCode("h0", secAt); !errors.Is(err, user.ErrRecoveryCodeInvalid) {
		t.Fatalf("an old code still works: %v", err)
	}
	if err := u.UseRecoveryCode("n3", secAt); err != nil {
		t.Fatalf("a new code does not work: %v", err)
	}
}

func TestLockDurations(t *testing.T) {
	t.Parallel()
	want := []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour}
	for level, w := range want {
		if got := user.LockDuration(level); got != w {
			t.Errorf("lock %d lasts %v, want %v", level+1, got, w)
		}
	}
	// A lock recorded before locks expired reads as the first level.
	if got := (user.Locked{At: secAt}).LockedUntil(); !got.Equal(secAt.Add(15 * time.Minute)) {
		t.Errorf("an old lock ends %v", got)
	}
}

// TestReauthenticationFailures: the ReauthLimit-th wrong password in a row ends the sessions and
// starts the count again; a changed password starts it again too.
func TestReauthenticationFailures(t *testing.T) {
	t.Parallel()
	u, err := user.Rehydrate(secID, []event.Event{created()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= user.ReauthLimit; i++ {
		ended := u.FailReauthentication("203.0.113.9", "change_password", "password", secAt.Add(time.Duration(i)*time.Second))
		if ended != (i == user.ReauthLimit) {
			t.Fatalf("failure %d ended the sessions: %v", i, ended)
		}
	}
	if n, _ := u.RecentReauthFailures(secAt.Add(time.Minute)); n != 0 {
		t.Fatalf("after the sessions ended %d failures count", n)
	}
	u.FailReauthentication("203.0.113.9", "change_password", "password", secAt.Add(time.Minute))
	if n, last := u.RecentReauthFailures(secAt.Add(2 * time.Minute)); n != 1 || !last.Equal(secAt.Add(time.Minute)) {
		t.Fatalf("%d failures, last %v", n, last)
	}
	if n, _ := u.RecentReauthFailures(secAt.Add(17 * time.Minute)); n != 0 {
		t.Fatal("a failure older than the window counts")
	}
	if err := u.ChangePassword("new-hash", false, secID, secAt.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, _ := u.RecentReauthFailures(secAt.Add(4 * time.Minute)); n != 0 {
		t.Fatal("a changed password did not start the count again")
	}
	changes := u.Changes()
	if last, ok := changes[len(changes)-2].(user.ReauthenticationFailed); !ok || last.Purpose != "change_password" || last.Field != "password" {
		t.Fatalf("recorded %#v", changes[len(changes)-2])
	}
	if !user.SignInBookkeeping(user.ReauthenticationFailed{}) {
		t.Fatal("a failed reauthentication moves the edit version")
	}
}
