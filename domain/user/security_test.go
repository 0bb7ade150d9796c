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
			[]event.Event{failedNow, user.Locked{UserID: secID.String(), Username: "zhang.wei", Failures: 10, At: secAt}}, nil},
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
	if n, _ := u.RecentFailures(secAt.Add(-time.Minute)); n != 20 || !u.Locked() {
		t.Fatalf("after 103 failures: %d kept, locked %v", n, u.Locked())
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
