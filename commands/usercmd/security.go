package usercmd

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// Sign-in security answers the HTTP adapter maps to problems.
var (
	// ErrTOTPRequired: the password was right and the account signs in with a second factor.
	ErrTOTPRequired = errors.New("this account signs in with two factors: send totp (the authenticator app's code) or recoveryCode")
	// ErrSecondFactor: the one-time code or recovery code is wrong, expired or already used.
	ErrSecondFactor = errors.New("the one-time code or recovery code is not valid")
	// ErrThrottled: failed sign-ins from this address or for this username came too fast (see
	// ThrottledError for how long to wait).
	ErrThrottled = errors.New("too many failed sign-ins; wait before trying again")
	// ErrTwoFactorEnrollmentRequired: a role requires two-factor sign-in and the user has not
	// enrolled; only enrolment, /auth/me and logout are open until they do.
	ErrTwoFactorEnrollmentRequired = errors.New("your role requires two-factor sign-in: enrol at /api/v1/auth/2fa/enroll and confirm before doing anything else")
	// The account rules, under the names the adapters use.
	ErrAccountLocked        = user.ErrLocked
	ErrTwoFactorEnabled     = user.ErrTwoFactorEnabled
	ErrTwoFactorNotEnrolled = user.ErrTwoFactorNotEnrolled
	ErrTwoFactorOff         = user.ErrTwoFactorOff
)

// ThrottledError is ErrThrottled with the time to wait.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %d s", e.Seconds())
}

// Is makes errors.Is(err, ErrThrottled) hold.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Seconds is RetryAfter rounded up to whole seconds (at least 1), for a Retry-After header.
func (e *ThrottledError) Seconds() int64 {
	s := int64((e.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// SignInPolicy is how failed sign-ins slow further attempts.
//
// Failures are counted over the lock window (user.LockWindow, 15 minutes): per account since its
// last successful sign-in or unlock (from the account's events), per attempted unknown username
// and per client address (from the logins read model). After Free failures, the next attempt is
// allowed Base after the latest failure, and each further failure doubles that wait, up to Max:
// with the defaults an account's attempts wait 0, 0, 0, 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, ... and
// an address's start waiting after 10 failures. An attempt that comes too early is answered
// with ErrThrottled (HTTP 429 with Retry-After) without checking the password; it is recorded
// only folded, one event per account, address and minute (throttled.go); the server never
// sleeps, so waiting costs attackers time, not the server connections. Independently, the 10th
// failure within 15 minutes locks the account (user.LockThreshold) for 15 minutes, then longer
// (user.LockDurations), or until an administrator unlocks it; an account with two-factor sign-in
// gets past both from an address the failures did not come from (user.MaySignInThroughLock).
// Wrong passwords and codes confirming sensitive changes are throttled with the same delays
// (reauth.go). The zero policy throttles nothing (tests use it; the lock still applies).
type SignInPolicy struct {
	UserFree    int           // failures per account or unknown username before attempts wait
	AddressFree int           // failures per client address before attempts wait
	Base        time.Duration // the first wait
	Max         time.Duration // the longest wait
}

// DefaultSignInPolicy is the production policy.
var DefaultSignInPolicy = SignInPolicy{UserFree: 3, AddressFree: 10, Base: time.Second, Max: 30 * time.Second}

// Delay is how long after the latest of failures failed attempts the next one must wait.
func (p SignInPolicy) Delay(failures, free int) time.Duration {
	if p.Base <= 0 || failures < free {
		return 0
	}
	d := p.Base
	for i := free; i < failures && (p.Max <= 0 || d < p.Max); i++ {
		d *= 2
	}
	if p.Max > 0 && d > p.Max {
		d = p.Max
	}
	return d
}

// check answers ErrThrottled when an attempt at now comes too early after failures.
func (p SignInPolicy) check(failures, free int, last, now time.Time) error {
	d := p.Delay(failures, free)
	if d <= 0 {
		return nil
	}
	if until := last.Add(d); until.After(now) {
		return &ThrottledError{RetryAfter: until.Sub(now)}
	}
	return nil
}

// SetSignInPolicy changes the throttling of failed sign-ins (safe while serving).
func (a *Auth) SetSignInPolicy(p SignInPolicy) { a.policy.Store(&p) }

// SignInPolicy is the throttling in force.
func (a *Auth) SignInPolicy() SignInPolicy { return *a.policy.Load() }

// SignInLog counts recent failed sign-ins by client address or attempted username. The logins
// read model serves it; it may trail the log by moments, which only makes throttling a little
// more lenient during a burst (the lock, decided on the account's own events, is exact).
type SignInLog interface {
	// RecentSignInFailures counts the failures after since by address, or, when username is not
	// empty, by username (lower-case), and tells when the last one was.
	RecentSignInFailures(ctx context.Context, address, username string, since time.Time) (n int, last time.Time, err error)
}

// NeedsTwoFactorEnrollment reports whether the actor's roles require two-factor sign-in that
// the account behind the session has not confirmed.
func NeedsTwoFactorEnrollment(a access.Actor, s Session) bool { return a.Require2FA && !s.TwoFactor }

// TOTP parameters (RFC 6238 as authenticator apps implement it).
const (
	TOTPIssuer = "Chronicle CRM"
	totpPeriod = 30
)

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// matchTOTP checks a 6-digit code against the secret at now, allowing one step of clock drift
// either way, and returns the time step it belongs to.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || secret == "" {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for _, s := range []int64{step, step - 1, step + 1} {
		if ok, err := hotp.ValidateCustom(code, uint64(s), secret, totpOpts); err == nil && ok {
			return s, true
		}
	}
	return 0, false
}

// recoveryAlphabet avoids look-alike characters (no 0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCodes makes user.RecoveryCodeCount codes such as "k7m2p-x9qrt" (about 50 bits
// each) and their hashes.
func newRecoveryCodes() (codes, hashes []string, err error) {
	for range user.RecoveryCodeCount {
		raw := make([]byte, 10)
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, err
		}
		b := make([]byte, 0, 11)
		for i, r := range raw {
			if i == 5 {
				b = append(b, '-')
			}
			b = append(b, recoveryAlphabet[int(r)%len(recoveryAlphabet)])
		}
		codes = append(codes, string(b))
		hashes = append(hashes, HashRecoveryCode(string(b)))
	}
	return codes, hashes, nil
}

// HashRecoveryCode is how recovery codes are stored: SHA-256 of the code without case, spaces
// or dashes. (The codes are random and long, so a fast hash is enough.)
func HashRecoveryCode(code string) string {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	sum := sha256.Sum256([]byte("chronicle-recovery:" + c))
	return hex.EncodeToString(sum[:])
}

// TwoFactorEnrollment is a new TOTP secret for an authenticator app.
type TwoFactorEnrollment struct {
	Secret string // base32, for typing in
	URI    string // otpauth://totp/... for a QR code
}

// EnrollTwoFactor issues a TOTP secret to the actor; it works once confirmed.
func (a *Auth) EnrollTwoFactor(ctx context.Context, m commands.Meta) (TwoFactorEnrollment, commands.Result, error) {
	m.Command = commands.AuthTwoFactorEnroll
	var enr TwoFactorEnrollment
	res, err := a.users.Update(ctx, m, m.Actor.ID, func(u *user.User) error {
		if u.TwoFactorEnabled() {
			return user.ErrTwoFactorEnabled
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Username(), Period: totpPeriod,
			SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return err
		}
		enr = TwoFactorEnrollment{Secret: key.Secret(), URI: key.URL()}
		return u.EnrollTwoFactor(key.Secret(), a.clock())
	})
	return enr, res, err
}

// ConfirmTwoFactor switches two-factor sign-in on when code is the enrolled secret's current
// code, and returns the recovery codes (shown once; only their hashes are kept). The actor's
// sessions stop needing enrolment.
func (a *Auth) ConfirmTwoFactor(ctx context.Context, m commands.Meta, code string) ([]string, commands.Result, error) {
	m.Command = commands.AuthTwoFactorConfirm
	var codes []string
	res, err := a.users.Update(ctx, m, m.Actor.ID, func(u *user.User) error {
		if u.TwoFactorEnabled() {
			return user.ErrTwoFactorEnabled
		}
		if u.PendingTOTPSecret() == "" {
			return user.ErrTwoFactorNotEnrolled
		}
		var err error
		codes, err = a.drawRecoveryCodes(u.PendingTOTPSecret(), code, u.ConfirmTwoFactor)
		return err
	})
	if err != nil {
		return nil, commands.Result{}, err
	}
	return codes, res, a.sessions.SetUserTwoFactor(ctx, m.Actor.ID, true)
}

// drawRecoveryCodes checks code against the TOTP secret, draws new recovery codes and hands their
// hashes and the code's time step to record (the aggregate's decision); it returns the codes.
func (a *Auth) drawRecoveryCodes(secret, code string, record func(hashes []string, totpStep int64, at time.Time) error) ([]string, error) {
	now := a.clock()
	step, ok := matchTOTP(secret, code, now)
	if !ok {
		return nil, &user.ValidationError{Field: "code", Message: "is not the current 6-digit code of your authenticator app"}
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, err
	}
	return codes, record(hashes, step, now)
}

// TwoFactorProof is what switching two-factor sign-in off takes: the password, and a current
// one-time code (TOTP) or an unused recovery code.
type TwoFactorProof struct {
	Password     string
	TOTP         string
	RecoveryCode string
}

// DisableTwoFactor switches the actor's two-factor sign-in off after checking their password and
// a current one-time code or recovery code (wrong ones are counted and throttled, see reauth): a
// stolen session that learnt the password cannot strip the second factor.
func (a *Auth) DisableTwoFactor(ctx context.Context, m commands.Meta, proof TwoFactorProof) (commands.Result, error) {
	m.Command = commands.AuthTwoFactorDisable
	now := a.clock()
	r := reauth{repo: a.users, sessions: a.sessions, clock: a.clock, policy: a.SignInPolicy}
	err := r.check(ctx, m, PurposeDisableTwoFactor, func(u *user.User) error {
		if ok, err := verifyPassword(ctx, a.gate, proof.Password, u.PasswordHash()); errors.Is(err, ErrBusy) || ctx.Err() != nil {
			return cmp.Or(ctx.Err(), err)
		} else if !ok {
			return &user.ValidationError{Field: "password", Message: "is not your password"}
		}
		if !u.TwoFactorEnabled() {
			return nil // a pending enrolment has no code to give yet
		}
		switch {
		case strings.TrimSpace(proof.TOTP) != "":
			if _, ok := matchTOTP(u.TOTPSecret(), proof.TOTP, now); !ok {
				return &user.ValidationError{Field: "code", Message: "is not the current 6-digit code of your authenticator app"}
			}
		case strings.TrimSpace(proof.RecoveryCode) != "":
			if !u.HasRecoveryCode(HashRecoveryCode(proof.RecoveryCode)) {
				return &user.ValidationError{Field: "recoveryCode", Message: "is not an unused recovery code of this account"}
			}
		default:
			return &user.ValidationError{Field: "code", Message: "is required: the 6-digit code of your authenticator app (or a recoveryCode)"}
		}
		return nil
	})
	if err != nil {
		return commands.Result{}, err
	}
	res, err := a.users.Update(ctx, m, m.Actor.ID, func(u *user.User) error { return u.DisableTwoFactor(m.Actor.ID, a.clock()) })
	if err != nil {
		return commands.Result{}, err
	}
	return res, a.sessions.SetUserTwoFactor(ctx, m.Actor.ID, false)
}

// RegenerateRecoveryCodes replaces the actor's recovery codes (the old ones stop working) when
// code is a current one-time code of their authenticator app, and returns the new codes (shown
// once; only their hashes are kept).
func (a *Auth) RegenerateRecoveryCodes(ctx context.Context, m commands.Meta, code string) ([]string, commands.Result, error) {
	m.Command = commands.AuthRecoveryCodesRegenerate
	var codes []string
	res, err := a.users.Update(ctx, m, m.Actor.ID, func(u *user.User) error {
		if !u.TwoFactorEnabled() {
			return user.ErrTwoFactorOff
		}
		var err error
		codes, err = a.drawRecoveryCodes(u.TOTPSecret(), code, u.ReplaceRecoveryCodes)
		return err
	})
	if err != nil {
		return nil, commands.Result{}, err
	}
	return codes, res, nil
}

// ResetTwoFactor switches another user's two-factor sign-in off (users.manage), for a user who
// lost their authenticator and recovery codes. If their role requires two-factor sign-in, their
// sessions are kept to enrolling again.
func (a *Auth) ResetTwoFactor(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.UserTwoFactorReset
	if !m.Actor.Can(role.UsersManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	res, err := a.users.Update(ctx, m, id, func(u *user.User) error { return u.DisableTwoFactor(m.Actor.ID, a.clock()) })
	if err != nil {
		return commands.Result{}, err
	}
	return res, a.sessions.SetUserTwoFactor(ctx, id, false)
}

// Unlock lifts a lockout (users.manage).
func (a *Auth) Unlock(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.UserUnlock
	if !m.Actor.Can(role.UsersManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	return a.users.Update(ctx, m, id, func(u *user.User) error { return u.Unlock(m.Actor.ID, a.clock()) })
}

// Sessions lists the actor's own sessions, newest first.
func (a *Auth) Sessions(ctx context.Context, actor access.Actor) ([]Session, error) {
	return a.sessions.UserSessions(ctx, actor.ID, a.clock())
}

// RevokeSession ends one of the actor's own sessions; another user's session is ErrNotFound.
func (a *Auth) RevokeSession(ctx context.Context, actor access.Actor, id string) error {
	return a.sessions.DeleteUserSession(ctx, actor.ID, id)
}

// appendAddressFailure records a failed sign-in with an unknown username on the address's
// stream.
func (a *Auth) appendAddressFailure(ctx context.Context, m commands.Meta, e user.AddressSignInFailed, now time.Time) error {
	if err := a.appendAddressEvent(ctx, m, e.Address, e, now); err != nil {
		return fmt.Errorf("record failed sign-in: %w", err)
	}
	return nil
}

// appendAddressEvent appends e to the stream of a client address (user.SignInStream). The
// stream's version is remembered per address so a busy stream is not re-read from its start on
// every attempt; only the events after the remembered version are loaded.
func (a *Auth) appendAddressEvent(ctx context.Context, m commands.Meta, address string, e event.Event, now time.Time) error {
	stream := user.SignInStream(address)
	data, err := commands.Encode(m, now, []event.Event{e})
	if err != nil {
		return err
	}
	for try := 1; ; try++ {
		known := a.streams.get(stream)
		newer, err := a.store.Load(ctx, stream, eventstore.LoadOptions{FromVersion: known + 1})
		if err != nil {
			return err
		}
		version := known
		if n := len(newer); n > 0 {
			version = newer[n-1].Version
		}
		res, err := a.store.Append(ctx, stream, version, data)
		if err == nil {
			a.streams.set(stream, res.Version)
			return nil
		}
		if !errors.Is(err, eventstore.ErrConcurrency) || try >= 2*commands.MaxAttempts {
			return err
		}
	}
}

// addressVersions remembers the versions of recently written address streams (a bounded cache:
// it is only a hint, an append with a stale version fails and is retried).
type addressVersions struct {
	mu sync.Mutex
	m  map[string]int64
}

const maxRememberedStreams = 10000

func (v *addressVersions) get(stream string) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[stream]
}

func (v *addressVersions) set(stream string, version int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxRememberedStreams {
		v.m = map[string]int64{}
	}
	v.m[stream] = version
}
