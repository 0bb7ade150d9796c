package usercmd

import (
	"context"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// Preferences changes a user's own preferences; nil fields stay, "" returns to the default.
type Preferences = user.PreferencesChange

// ChangePreferences changes the actor's own language and time zone. Everyone may, without a
// permission, and only for themselves: the account is the actor's, never one named by the
// client. The preferences are the user's alone, so they take no If-Match (the last choice wins,
// field by field) and do not move the version administrators edit the account at.
func (h *Users) ChangePreferences(ctx context.Context, m commands.Meta, c Preferences) (commands.Result, error) {
	m.Command = commands.UserChangePreferences
	m.IfMatch = nil
	return h.repo.Update(ctx, m, m.Actor.ID, func(u *user.User) error {
		if u.Disabled() {
			return ErrUnauthenticated // a disabled account has no sessions: this one ended as it changed
		}
		return u.ChangePreferences(c, h.clock())
	})
}
