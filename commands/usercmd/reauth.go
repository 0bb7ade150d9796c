package usercmd

import (
	"context"
	"errors"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// ErrReauthLimit: the user.ReauthLimit-th wrong password or code in a row confirming a sensitive
// change; every session of the account has ended (HTTP 401). A stolen session cannot go on
// guessing the password.
var ErrReauthLimit = errors.New("too many wrong passwords or codes: every session of this account has ended; sign in again")

// Purposes of a reauthentication (user.ReauthenticationFailed.Purpose).
const (
	PurposeChangePassword   = "change_password"
	PurposeDisableTwoFactor = "disable_two_factor"
)

// reauth checks what a signed-in user gives to confirm a sensitive change (their password, a
// one-time or recovery code). Wrong answers are counted and throttled like failed sign-ins: each
// is recorded on the account (user.ReauthenticationFailed, with the client address), attempts
// after UserFree failures wait the SignInPolicy's delays (ErrThrottled, nothing checked or
// recorded), and the user.ReauthLimit-th in a row ends every session of the account.
type reauth struct {
	repo     *commands.Repository[*user.User]
	sessions SessionStore
	clock    commands.Clock
	policy   func() SignInPolicy
}

// check runs verify on the actor's account. verify answers a *user.ValidationError naming the
// wrong field when the proof is wrong; that is recorded and returned (or ErrReauthLimit).
func (r reauth) check(ctx context.Context, m commands.Meta, purpose string, verify func(u *user.User) error) error {
	now := r.clock()
	pol := DefaultSignInPolicy
	if r.policy != nil {
		pol = r.policy()
	}
	var wrong error
	ended := false
	_, err := r.repo.Update(ctx, m, m.Actor.ID, func(u *user.User) error {
		n, last := u.RecentReauthFailures(now)
		if err := pol.check(n, pol.UserFree, last, now); err != nil {
			return err
		}
		wrong = verify(u)
		var ve *user.ValidationError
		if wrong == nil || !errors.As(wrong, &ve) {
			return wrong
		}
		ended = u.FailReauthentication(m.ClientAddr, purpose, ve.Field, now)
		return nil
	})
	switch {
	case err != nil:
		return err
	case ended:
		if err := r.sessions.DeleteUserSessions(ctx, m.Actor.ID, ""); err != nil {
			return err
		}
		return ErrReauthLimit
	}
	return wrong
}
