package user

import (
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Sign-in rules. An account locks after LockThreshold failed sign-ins within LockWindow (a
// successful sign-in, an unlock or the end of a lock starts the count again). A lock ends by
// itself after LockDurations[n], n being the number of locks since the last successful sign-in
// (15 minutes, then 1 hour, 4 hours, and 24 hours for every further lock), or when an
// administrator unlocks it. While locked, the account still signs in with the right password
// and a valid second factor from an address none of the lock's failures came from (see SignIn).
const (
	LockThreshold     = 10
	LockWindow        = 15 * time.Minute
	RecoveryCodeCount = 10
	// ReauthLimit: this many wrong passwords or codes in a row (within LockWindow) when a
	// signed-in user confirms a sensitive change (change password, disable two-factor) end
	// every session of the account.
	ReauthLimit = 5
)

// LockDurations are how long consecutive locks last; the last one repeats.
var LockDurations = []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour}

// LockDuration is how long the lock after level earlier consecutive locks lasts.
func LockDuration(level int) time.Duration {
	return LockDurations[min(max(level, 0), len(LockDurations)-1)]
}

// maxLockAddresses bounds the addresses a Locked event names.
const maxLockAddresses = 20

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
	ErrLocked               = errors.New("the account is locked for a while after too many failed sign-ins; try again later or ask an administrator to unlock it")
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
// same code cannot sign in twice. ThroughLock: the account was locked by failures from other
// addresses and the user signed in with their password and a second factor; the lock stays for
// the other addresses and the count of consecutive locks is kept.
type SignedIn struct {
	UserID      string    `json:"userId"`
	Username    string    `json:"username"`
	Address     string    `json:"address"`
	Method      string    `json:"method"`
	TOTPStep    int64     `json:"totpStep,omitempty"`
	ThroughLock bool      `json:"throughLock,omitempty"`
	At          time.Time `json:"at"`
}

// SignInFailed: a failed sign-in to an existing account.
type SignInFailed struct {
	UserID   string    `json:"userId"`
	Username string    `json:"username"`
	Address  string    `json:"address"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// Locked: too many failed sign-ins; the account cannot sign in until Until (or an unlock).
// Level counts the locks before it since the last successful sign-in (it chose the duration);
// Addresses are the client addresses the failures came from. Locks recorded before locks
// expired have no Until: they read as ending LockDurations[0] after At.
type Locked struct {
	UserID    string    `json:"userId"`
	Username  string    `json:"username"`
	Failures  int       `json:"failures"`
	Level     int       `json:"level,omitempty"`
	Until     time.Time `json:"until,omitzero"`
	Addresses []string  `json:"addresses,omitempty"`
	At        time.Time `json:"at"`
}

// LockedUntil is when the lock ends.
func (e Locked) LockedUntil() time.Time {
	if e.Until.IsZero() {
		return e.At.Add(LockDurations[0])
	}
	return e.Until
}

// ReauthenticationFailed: a signed-in user gave a wrong password or code to confirm a sensitive
// change (Purpose: "change_password", "disable_two_factor"); Field names what was wrong
// ("password" or "code"). SessionsEnded: it was the ReauthLimit-th in a row, and every session
// of the account ended.
type ReauthenticationFailed struct {
	UserID        string    `json:"userId"`
	Username      string    `json:"username"`
	Address       string    `json:"address"`
	Purpose       string    `json:"purpose"`
	Field         string    `json:"field"`
	SessionsEnded bool      `json:"sessionsEnded,omitempty"`
	At            time.Time `json:"at"`
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

// SignInThrottled folds the sign-in attempts that throttling held back, per account (or
// attempted username, or client address alone when the address itself was held back), address
// and minute: Count attempts from Minute on, the last at At. Nothing was checked or changed by
// them; they are recorded (on the address's stream, SignInStream) so the sign-in log shows a
// flood without a flood of events.
type SignInThrottled struct {
	UserID   string    `json:"userId,omitempty"`
	Username string    `json:"username,omitempty"`
	Address  string    `json:"address"`
	Count    int       `json:"count"`
	Minute   time.Time `json:"minute"`
	At       time.Time `json:"at"`
}

func (SignInThrottled) EventType() string { return "signin.throttled.v1" }

func (TwoFactorEnrolled) EventType() string  { return "user.two_factor_enrolled.v1" }
func (TwoFactorConfirmed) EventType() string { return "user.two_factor_confirmed.v1" }
func (TwoFactorDisabled) EventType() string  { return "user.two_factor_disabled.v1" }
func (RecoveryCodeUsed) EventType() string   { return "user.recovery_code_used.v1" }
func (RecoveryCodesReplaced) EventType() string {
	return "user.recovery_codes_replaced.v1"
}
func (SignedIn) EventType() string     { return "user.signed_in.v1" }
func (SignInFailed) EventType() string { return "user.sign_in_failed.v1" }
func (Locked) EventType() string       { return "user.locked.v1" }
func (Unlocked) EventType() string     { return "user.unlocked.v1" }
func (ReauthenticationFailed) EventType() string {
	return "user.reauthentication_failed.v1"
}
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
		func() event.Event { return &ReauthenticationFailed{} },
		func() event.Event { return &AddressSignInFailed{} },
		func() event.Event { return &SignInThrottled{} },
	)
}

// security is the sign-in security state of an account (two-factor, lockout).
type security struct {
	pendingSecret string    // enrolled, not yet confirmed
	secret        string    // confirmed: sign-in needs a second factor
	recovery      []string  // hashes of recovery codes; "" once used
	lastTOTPStep  int64     // the newest time step a code was accepted for
	failures      []failure // failed sign-ins since the last success or unlock (the latest few)
	lockedUntil   time.Time // the current or last lock's end; zero when unlocked
	lockAddresses []string  // where the failures behind the lock came from
	locks         int       // locks since the last successful sign-in (not through a lock)
	reauth        []time.Time
}

// failure is one failed sign-in. guess: the password or code was checked (not an attempt on a
// locked account), so it counts towards a lock.
type failure struct {
	at      time.Time
	address string
	guess   bool
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
	case RecoveryCodesReplaced:
		s.recovery = append([]string(nil), e.RecoveryCodes...)
		s.lastTOTPStep = max(s.lastTOTPStep, e.TOTPStep)
	case RecoveryCodeUsed:
		if e.Index >= 0 && e.Index < len(s.recovery) {
			s.recovery[e.Index] = ""
		}
	case SignedIn:
		if !e.ThroughLock {
			s.failures, s.locks = nil, 0
		}
		s.lastTOTPStep = max(s.lastTOTPStep, e.TOTPStep)
	case SignInFailed:
		s.failures = append(s.failures, failure{at: e.At, address: e.Address, guess: e.Reason != ReasonLocked})
		if len(s.failures) > keptFailures {
			s.failures = append([]failure(nil), s.failures[len(s.failures)-keptFailures:]...)
		}
	case Locked:
		s.lockedUntil, s.lockAddresses = e.LockedUntil(), e.Addresses
		s.locks++
	case Unlocked:
		s.lockedUntil, s.lockAddresses, s.failures = time.Time{}, nil, nil
	case ReauthenticationFailed:
		s.reauth = append(s.reauth, e.At)
		if e.SessionsEnded || len(s.reauth) > ReauthLimit {
			s.reauth = s.reauth[:0]
		}
	case TwoFactorDisabled:
		s.secret, s.pendingSecret, s.recovery, s.reauth = "", "", nil, nil
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

// LockedAt reports whether too many failed sign-ins lock the account at now.
func (u *User) LockedAt(now time.Time) bool { return now.Before(u.security.lockedUntil) }

// LockedUntil is when the current or last lock ends (zero: never locked, or unlocked).
func (u *User) LockedUntil() time.Time { return u.security.lockedUntil }

// ConsecutiveLocks counts the locks since the last successful sign-in (the next lock's level).
func (u *User) ConsecutiveLocks() int { return u.security.locks }

// MaySignInThroughLock reports whether an attempt from address with a second factor may skip
// the account's lock and failure throttling: the account has two-factor sign-in, and neither
// the lock's failures nor any wrong password or code within LockWindow came from that address
// (an attempt on the locked account, which checks nothing, does not count). Someone else
// failing from elsewhere then cannot keep the owner out; the password and a second factor are
// still both checked, and a wrong one counts as a failure from this address.
func (u *User) MaySignInThroughLock(address string, now time.Time) bool {
	if u.security.secret == "" || address == "" {
		return false
	}
	if u.LockedAt(now) && slices.Contains(u.security.lockAddresses, address) {
		return false
	}
	since := now.Add(-LockWindow)
	for _, f := range u.security.failures {
		if f.guess && f.address == address && f.at.After(since) {
			return false
		}
	}
	return true
}

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
	for _, f := range u.security.failures {
		if f.at.After(since) {
			n++
			if f.at.After(last) {
				last = f.at
			}
		}
	}
	return n, last
}

// RecentReauthFailures counts wrong passwords or codes given to confirm sensitive changes within
// LockWindow before now (since the last that ended the sessions or a successful change), and
// tells when the latest was.
func (u *User) RecentReauthFailures(now time.Time) (n int, last time.Time) {
	since := now.Add(-LockWindow)
	for _, at := range u.security.reauth {
		if at.After(since) {
			n++
			last = at
		}
	}
	return n, last
}

// FailReauthentication records a wrong password or code given to confirm a sensitive change;
// it reports whether it was the ReauthLimit-th in a row, which ends every session of the account
// (the caller ends them).
func (u *User) FailReauthentication(address, purpose, field string, at time.Time) (sessionsEnded bool) {
	n, _ := u.RecentReauthFailures(at)
	sessionsEnded = n+1 >= ReauthLimit
	u.record(ReauthenticationFailed{UserID: u.id.String(), Username: u.username, Address: address, Purpose: purpose, Field: field,
		SessionsEnded: sessionsEnded, At: at.UTC()})
	return sessionsEnded
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

// HasRecoveryCode reports whether an unused recovery code has this hash (without spending it).
func (u *User) HasRecoveryCode(hash string) bool {
	found := false
	for _, h := range u.security.recovery {
		found = h != "" && subtle.ConstantTimeCompare([]byte(h), []byte(hash)) == 1 || found
	}
	return u.security.secret != "" && hash != "" && found
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
// A locked account signs in only with a second factor from an address allowed by
// MaySignInThroughLock; that sign-in leaves the lock in place for the other addresses.
func (u *User) SignIn(address, method string, totpStep int64, at time.Time) error {
	through := false
	if u.LockedAt(at) {
		if method == MethodPassword || !u.MaySignInThroughLock(address, at) {
			return ErrLocked
		}
		through = true
	}
	switch {
	case u.disabled:
		return ErrDisabled
	case method == MethodTOTP && totpStep <= u.security.lastTOTPStep:
		return ErrTOTPReused
	}
	e := SignedIn{UserID: u.id.String(), Username: u.username, Address: address, Method: method, ThroughLock: through, At: at.UTC()}
	if method == MethodTOTP {
		e.TOTPStep = totpStep
	}
	u.record(e)
	return nil
}

// FailSignIn records a failed sign-in, and locks the account when it is the LockThreshold-th
// guess within LockWindow since the last lock ended. The lock lasts LockDuration(the number of
// locks since the last successful sign-in).
func (u *User) FailSignIn(address, reason string, at time.Time) {
	u.record(SignInFailed{UserID: u.id.String(), Username: u.username, Address: address, Reason: reason, At: at.UTC()})
	if u.LockedAt(at) {
		return
	}
	since, lockEnd := at.Add(-LockWindow), u.security.lockedUntil // failures during a lock do not count towards the next
	n, addrs := 0, []string{}
	for _, f := range u.security.failures {
		if f.guess && f.at.After(since) && !f.at.Before(lockEnd) {
			n++
			if !slices.Contains(addrs, f.address) && len(addrs) < maxLockAddresses {
				addrs = append(addrs, f.address)
			}
		}
	}
	if n >= LockThreshold {
		level := u.security.locks
		u.record(Locked{UserID: u.id.String(), Username: u.username, Failures: n, Level: level, Until: at.Add(LockDuration(level)).UTC(),
			Addresses: addrs, At: at.UTC()})
	}
}

// Unlock lifts a lock before it ends; an account that is not locked records nothing.
func (u *User) Unlock(by uuid.UUID, at time.Time) error {
	if !u.LockedAt(at) {
		return nil
	}
	u.record(Unlocked{UserID: u.id.String(), Username: u.username, By: by.String(), At: at.UTC()})
	return nil
}
