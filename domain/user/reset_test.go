package user_test

import (
	"errors"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/user"
)

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	withEmail := user.PreferencesChanged{UserID: secID.String(), Email: ptr("ann@example.com"), At: secAt}
	load := func(t *testing.T, given ...event.Event) *user.User {
		u, err := user.Rehydrate(secID, append([]event.Event{created()}, given...))
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	t.Run("no e-mail address: nothing recorded", func(t *testing.T) {
		u := load(t)
		if u.RequestPasswordReset("h1", secAt) || len(u.Changes()) != 0 {
			t.Fatal("a reset was recorded for an account without an address")
		}
	})
	t.Run("disabled: nothing recorded", func(t *testing.T) {
		u := load(t, withEmail, user.Disabled{UserID: secID.String(), At: secAt})
		if u.RequestPasswordReset("h1", secAt) {
			t.Fatal("a reset was recorded for a disabled account")
		}
	})
	t.Run("single use, expires, at most three an hour", func(t *testing.T) {
		u := load(t, withEmail)
		if !u.RequestPasswordReset("h1", secAt) {
			t.Fatal("not recorded")
		}
		e := u.Changes()[0].(user.PasswordResetRequested)
		if e.TokenHash != "h1" || !e.ExpiresAt.Equal(secAt.Add(30*time.Minute)) || user.MovesEditVersion(e) {
			t.Fatalf("%+v", e)
		}
		if err := u.ResetPasswordByLink("other", "$argon2id$x", secAt); !errors.Is(err, user.ErrResetTokenInvalid) {
			t.Fatalf("unknown token: %v", err)
		}
		if err := u.ResetPasswordByLink("h1", "$argon2id$x", secAt.Add(31*time.Minute)); !errors.Is(err, user.ErrResetTokenInvalid) {
			t.Fatalf("expired: %v", err)
		}
		if err := u.ResetPasswordByLink("h1", "$argon2id$x", secAt.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if pc := u.Changes()[1].(user.PasswordChanged); !pc.ByLink || pc.By != secID.String() || u.PasswordHash() != "$argon2id$x" {
			t.Fatalf("%+v", pc)
		}
		if err := u.ResetPasswordByLink("h1", "$argon2id$y", secAt.Add(2*time.Minute)); !errors.Is(err, user.ErrResetTokenInvalid) {
			t.Fatalf("second use: %v", err)
		}
		// Two more fit in the hour, a fourth does not; an hour later one does again.
		if !u.RequestPasswordReset("h2", secAt.Add(3*time.Minute)) || !u.RequestPasswordReset("h3", secAt.Add(4*time.Minute)) {
			t.Fatal("refused within the limit")
		}
		if u.RequestPasswordReset("h4", secAt.Add(5*time.Minute)) {
			t.Fatal("a fourth link in an hour was recorded")
		}
		if !u.RequestPasswordReset("h5", secAt.Add(61*time.Minute)) {
			t.Fatal("refused an hour later")
		}
		// A password change ends the links sent before it.
		if err := u.ChangePassword("$argon2id$z", false, secID, secAt.Add(62*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if u.ResetLinkValid("h5", secAt.Add(63*time.Minute)) {
			t.Fatal("a link outlived a password change")
		}
	})
}
