package user

import (
	"crypto/subtle"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Sign-in rules. An account locks after LockThreshold failed sign-ins within LockWindow (a
// successful sign-in or an unlock starts the count again) and stays locked until an
// administrator unlocks it.
const (
	LockThreshold     = 10
	LockWindow        = 15 * time.Minute
	RecoveryCodeCount = 10
)

// Ways of signing in (SignedIn.Method).
const (
	MethodPassword     = "password"
	MethodTOTP         = "totp"
	MethodRecoveryCode = "recovery_code"
)

// Reasons a sign-in failed (SignInFailed.Reason).
const (
	ReasonPassword     = "password"
	ReasonTOTP         = "totp"
	ReasonRecoveryCode = "recovery_code"
	ReasonDisabled     = "disabled"
	ReasonLocked       = "locked"
	ReasonUnknownUser  = "unknown_user"
)

// Sign-in security rule violations.
var (
	ErrLocked               = errors.New("the account is locked after too many failed sign-ins; an administrator must unlock it")
	ErrTwoFactorEnabled     = errors.New("two-factor sign-in is already enabled; disable it first to enrol again")
	ErrTwoFactorNotEnrolled = errors.New("two-factor enrolment has not been started")
	ErrTwoFactorOff         = errors.New("two-factor sign-in is not enabled for this account")
	ErrRecoveryCodeInvalid  = errors.New("the recovery code is not valid or was already used")
	ErrTOTPReused           = errors.New("this one-time code was already used")
)

// TwoFactorEnrolled: a TOTP secret was issued to the account; it works once confirmed.
type TwoFactorEnrolled struct {
	UserID     string    `json:"userId"`
	TOTPSecret string    `json:"totpSecret"`
	At         time.Time `json:"at"`
}

// TwoFactorConfirmed: the user proved they hold the secret; sign-in needs a second factor from
// now on. RecoveryCodes are hashes of the one-time recovery codes, never the codes.
type TwoFactorConfirmed struct {
	UserID        string    `json:"userId"`
	RecoveryCodes []string  `json:"recoveryCodes"`
	TOTPStep      int64     `json:"totpStep,omitempty"`
	At            time.Time `json:"at"`
}

// TwoFactorDisabled: the account signs in with its password alone again.
type TwoFactorDisabled struct {
	UserID string    `json:"userId"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// RecoveryCodesReplaced: the user drew a new set of recovery codes (hashes); the old ones are void.
// TOTPStep is the time step of the code that authorised it.
type RecoveryCodesReplaced struct {
	UserID        string    `json:"userId"`
	RecoveryCodes []string  `json:"recoveryCodes"`
	TOTPStep      int64     `json:"totpStep"`
	At            time.Time `json:"at"`
}

// RecoveryCodeUsed: the recovery code at Index was spent.
type RecoveryCodeUsed struct {
	UserID string    `json:"userId"`
	Index  int       `json:"index"`
	At     time.Time `json:"at"`
}

// SignedIn: a successful sign-in. TOTPStep is the time step of the one-time code used, so the
// same code cannot sign in twice.
type SignedIn struct {
	UserID   string    `json:"userId"`
	Username string    `json:"username"`
	Address  string    `json:"address"`
	Method   string    `json:"method"`
	TOTPStep int64     `json:"totpStep,omitempty"`
	At       time.Time `json:"at"`
}

// SignInFailed: a failed sign-in to an existing account.
type SignInFailed struct {
	UserID   string    `json:"userId"`
	Username string    `json:"username"`
	Address  string    `json:"address"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// Locked: too many failed sign-ins; the account cannot sign in until unlocked.
type Locked struct {
	UserID   string    `json:"userId"`
	Username string    `json:"username"`
	Failures int       `json:"failures"`
	At       time.Time `json:"at"`
}

// Unlocked: an administrator lifted a lock.
type Unlocked struct {
	UserID   string    `json:"userId"`
	Username string    `json:"username"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// AddressSignInFailed is a failed sign-in with a username that names no account. It goes to the
// stream of the client address (SignInStream), never to a user stream, so failures cannot
// reveal or create accounts.
type AddressSignInFailed struct {
	Username string    `json:"username"`
	Address  string    `json:"address"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

func (TwoFactorEnrolled) EventType() string  { return "user.two_factor_enrolled.v1" }
func (TwoFactorConfirmed) EventType() string { return "user.two_factor_confirmed.v1" }
func (TwoFactorDisabled) EventType() string  { return "user.two_factor_disabled.v1" }
func (RecoveryCodeUsed) EventType() string   { return "user.recovery_code_used.v1" }
func (RecoveryCodesReplaced) EventType() string {
	return "user.recovery_codes_replaced.v1"
}
func (SignedIn) EventType() string            { return "user.signed_in.v1" }
func (SignInFailed) EventType() string        { return "user.sign_in_failed.v1" }
func (Locked) EventType() string              { return "user.locked.v1" }
func (Unlocked) EventType() string            { return "user.unlocked.v1" }
func (AddressSignInFailed) EventType() string { return "signin.failed.v1" }

// SignInStreamPrefix is the stream kind of per-address sign-in failures.
const SignInStreamPrefix = "signin"

var signInNS = uuid.MustParse("0b9c4f0e-5a3d-4e51-8f0a-3c2d9e7b6a14")

// SignInStream is the stream of failed sign-ins from one client address with unknown usernames.
func SignInStream(address string) string {
	return SignInStreamPrefix + "-" + uuid.NewSHA1(signInNS, []byte(address)).String()
}

// NewAddressSignInFailed is the event for a failed sign-in with an unknown username (cut to 64
// characters: people type passwords into the username field, so keep as little as needed).
func NewAddressSignInFailed(username, address string, at time.Time) AddressSignInFailed {
	username = strings.TrimSpace(username)
	if utf8.RuneCountInString(username) > 64 {
		username = string([]rune(username)[:64])
	}
	return AddressSignInFailed{Username: username, Address: address, Reason: ReasonUnknownUser, At: at.UTC()}
}

// registerSecurity adds the sign-in security events.
func registerSecurity(r *event.Registry) {
	r.Register(
		func() event.Event { return &TwoFactorEnrolled{} },
		func() event.Event { return &TwoFactorConfirmed{} },
		func() event.Event { return &TwoFactorDisabled{} },
		func() event.Event { return &RecoveryCodeUsed{} },
		func() event.Event { return &RecoveryCodesReplaced{} },
		func() event.Event { return &SignedIn{} },
		func() event.Event { return &SignInFailed{} },
		func() event.Event { return &Locked{} },
		func() event.Event { return &Unlocked{} },
		func() event.Event { return &AddressSignInFailed{} },
	)
}

// security is the sign-in security state of an account (two-factor, lockout).
type security struct {
	pendingSecret string      // enrolled, not yet confirmed
	secret        string      // confirmed: sign-in needs a second factor
	recovery      []string    // hashes of recovery codes; "" once used
	lastTOTPStep  int64       // the newest time step a code was accepted for
	failures      []time.Time // failed sign-ins since the last success or unlock (the latest few)
	locked        bool
}

// keptFailures bounds the failure times kept in memory: enough to judge the lock window.
const keptFailures = 2 * LockThreshold

func (u *User) applySecurity(e event.Event) {
	s := &u.security
	switch e := e.(type) {
	case TwoFactorEnrolled:
		s.pendingSecret = e.TOTPSecret
	case TwoFactorConfirmed:
		s.secret, s.pendingSecret = s.pendingSecret, ""
		s.recovery = append([]string(nil), e.RecoveryCodes...)
		s.lastTOTPStep = max(s.lastTOTPStep, e.TOTPStep)
	case TwoFactorDisabled:
		s.secret, s.pendingSecret, s.recovery = "", "", nil
	case RecoveryCodesReplaced:
		s.recovery = append([]string(nil), e.RecoveryCodes...)
		s.lastTOTPStep = max(s.lastTOTPStep, e.TOTPStep)
	case RecoveryCodeUsed:
		if e.Index >= 0 && e.Index < len(s.recovery) {
			s.recovery[e.Index] = ""
		}
	case SignedIn:
		s.failures = nil
		s.lastTOTPStep = max(s.lastTOTPStep, e.TOTPStep)
	case SignInFailed:
		s.failures = append(s.failures, e.At)
		if len(s.failures) > keptFailures {
			s.failures = append([]time.Time(nil), s.failures[len(s.failures)-keptFailures:]...)
		}
	case Locked:
		s.locked = true
	case Unlocked:
		s.locked, s.failures = false, nil
	}
}

// TwoFactorEnabled reports whether sign-in needs a second factor.
func (u *User) TwoFactorEnabled() bool { return u.security.secret != "" }

// TOTPSecret is the confirmed TOTP secret ("" without two-factor sign-in).
func (u *User) TOTPSecret() string { return u.security.secret }

// PendingTOTPSecret is the secret of an enrolment awaiting confirmation.
func (u *User) PendingTOTPSecret() string { return u.security.pendingSecret }

// LastTOTPStep is the newest TOTP time step already accepted; codes of this step or older are spent.
func (u *User) LastTOTPStep() int64 { return u.security.lastTOTPStep }

// Locked reports whether too many failed sign-ins locked the account.
func (u *User) Locked() bool { return u.security.locked }

// RecoveryCodesLeft counts the unused recovery codes.
func (u *User) RecoveryCodesLeft() int {
	n := 0
	for _, h := range u.security.recovery {
		if h != "" {
			n++
		}
	}
	return n
}

// RecentFailures counts failed sign-ins after since (and since the last success or unlock) and
// tells when the latest was.
func (u *User) RecentFailures(since time.Time) (n int, last time.Time) {
	for _, at := range u.security.failures {
		if at.After(since) {
			n++
			if at.After(last) {
				last = at
			}
		}
	}
	return n, last
}

// EnrollTwoFactor issues a TOTP secret (the caller generates it). Enrolling again before
// confirming replaces the pending secret.
func (u *User) EnrollTwoFactor(secret string, at time.Time) error {
	if u.security.secret != "" {
		return ErrTwoFactorEnabled
	}
	if strings.TrimSpace(secret) == "" {
		return &ValidationError{Field: "secret", Message: "is required"}
	}
	u.record(TwoFactorEnrolled{UserID: u.id.String(), TOTPSecret: secret, At: at.UTC()})
	return nil
}

// ConfirmTwoFactor switches two-factor sign-in on once the caller has checked a code against the
// pending secret (totpStep is that code's time step). recoveryHashes are the hashes of the new
// recovery codes.
func (u *User) ConfirmTwoFactor(recoveryHashes []string, totpStep int64, at time.Time) error {
	switch {
	case u.security.secret != "":
		return ErrTwoFactorEnabled
	case u.security.pendingSecret == "":
		return ErrTwoFactorNotEnrolled
	}
	if err := checkRecoveryHashes(recoveryHashes); err != nil {
		return err
	}
	u.record(TwoFactorConfirmed{UserID: u.id.String(), RecoveryCodes: append([]string(nil), recoveryHashes...), TOTPStep: totpStep, At: at.UTC()})
	return nil
}

// checkRecoveryHashes: a full set of recovery codes, none empty.
func checkRecoveryHashes(hashes []string) error {
	if len(hashes) != RecoveryCodeCount {
		return &ValidationError{Field: "recoveryCodes", Message: "exactly 10 recovery codes are required"}
	}
	for _, h := range hashes {
		if h == "" {
			return &ValidationError{Field: "recoveryCodes", Message: "a recovery code hash is empty"}
		}
	}
	return nil
}

// DisableTwoFactor switches two-factor sign-in off (and drops a pending enrolment). Without
// either it records nothing.
func (u *User) DisableTwoFactor(by uuid.UUID, at time.Time) error {
	if u.security.secret == "" && u.security.pendingSecret == "" {
		return nil
	}
	u.record(TwoFactorDisabled{UserID: u.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// ReplaceRecoveryCodes voids the remaining recovery codes for a new set (their hashes), once the
// caller has checked a current one-time code of time step totpStep (a step not used before).
func (u *User) ReplaceRecoveryCodes(hashes []string, totpStep int64, at time.Time) error {
	switch {
	case u.security.secret == "":
		return ErrTwoFactorOff
	case totpStep <= u.security.lastTOTPStep:
		return &ValidationError{Field: "code", Message: "has been used already; wait for the next one"}
	}
	if err := checkRecoveryHashes(hashes); err != nil {
		return err
	}
	u.record(RecoveryCodesReplaced{UserID: u.id.String(), RecoveryCodes: append([]string(nil), hashes...), TOTPStep: totpStep, At: at.UTC()})
	return nil
}

// UseRecoveryCode spends the recovery code with this hash.
func (u *User) UseRecoveryCode(hash string, at time.Time) error {
	if u.security.secret == "" || hash == "" {
		return ErrRecoveryCodeInvalid
	}
	found := -1
	for i, h := range u.security.recovery {
		// Compare every entry in constant time so timing does not tell which one matched.
		if h != "" && subtle.ConstantTimeCompare([]byte(h), []byte(hash)) == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return ErrRecoveryCodeInvalid
	}
	u.record(RecoveryCodeUsed{UserID: u.id.String(), Index: found, At: at.UTC()})
	return nil
}

// SignIn records a successful sign-in; the caller has checked the password and second factor.
func (u *User) SignIn(address, method string, totpStep int64, at time.Time) error {
	switch {
	case u.security.locked:
		return ErrLocked
	case u.disabled:
		return ErrDisabled
	case method == MethodTOTP && totpStep <= u.security.lastTOTPStep:
		return ErrTOTPReused
	}
	e := SignedIn{UserID: u.id.String(), Username: u.username, Address: address, Method: method, At: at.UTC()}
	if method == MethodTOTP {
		e.TOTPStep = totpStep
	}
	u.record(e)
	return nil
}

// FailSignIn records a failed sign-in, and locks the account when it is the LockThreshold-th
// failure within LockWindow.
func (u *User) FailSignIn(address, reason string, at time.Time) {
	u.record(SignInFailed{UserID: u.id.String(), Username: u.username, Address: address, Reason: reason, At: at.UTC()})
	if u.security.locked {
		return
	}
	if n, _ := u.RecentFailures(at.Add(-LockWindow)); n >= LockThreshold {
		u.record(Locked{UserID: u.id.String(), Username: u.username, Failures: n, At: at.UTC()})
	}
}

// Unlock lifts a lock; an account that is not locked records nothing.
func (u *User) Unlock(by uuid.UUID, at time.Time) error {
	if !u.security.locked {
		return nil
	}
	u.record(Unlocked{UserID: u.id.String(), Username: u.username, By: by.String(), At: at.UTC()})
	return nil
}
