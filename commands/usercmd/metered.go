package usercmd

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
)

// UserCommands is the account port: what the transport calls; *Users implements it and
// UserCommandsMetered decorates it.
type UserCommands interface {
	Create(ctx context.Context, m commands.Meta, c CreateUser) (commands.Result, error)
	Update(ctx context.Context, m commands.Meta, id uuid.UUID, c EditUser) (commands.Result, error)
	SetDisabled(ctx context.Context, m commands.Meta, id uuid.UUID, disabled bool) (commands.Result, error)
	ResetPassword(ctx context.Context, m commands.Meta, id uuid.UUID, password string) (commands.Result, error)
	ChangePassword(ctx context.Context, m commands.Meta, current string, next string, keepSession string) (commands.Result, error)
	ChangePreferences(ctx context.Context, m commands.Meta, c Preferences) (commands.Result, error)
	EnsureAdmin(ctx context.Context, username string, password string) (bool, error)
	RequestPasswordReset(ctx context.Context, m commands.Meta, login string) (ResetLink, error)
	ConfirmPasswordReset(ctx context.Context, m commands.Meta, token, password string) (commands.Result, error)
}

var _ UserCommands = (*Users)(nil)

// UserCommandsMetered records every command of next (name, outcome, duration) with rec; queries
// pass
// through.
func UserCommandsMetered(next UserCommands, rec commands.Recorder) UserCommands {
	return meteredUserCommands{UserCommands: next, rec: rec}
}

type meteredUserCommands struct {
	UserCommands
	rec commands.Recorder
}

func (d meteredUserCommands) Create(ctx context.Context, m commands.Meta, c CreateUser) (commands.Result, error) {
	return commands.Measure(d.rec, commands.UserCreate, func() (commands.Result, error) { return d.UserCommands.Create(ctx, m, c) })
}

func (d meteredUserCommands) Update(ctx context.Context, m commands.Meta, id uuid.UUID, c EditUser) (commands.Result, error) {
	return commands.Measure(d.rec, commands.UserUpdate, func() (commands.Result, error) { return d.UserCommands.Update(ctx, m, id, c) })
}

func (d meteredUserCommands) SetDisabled(ctx context.Context, m commands.Meta, id uuid.UUID, disabled bool) (commands.Result, error) {
	name := disableCommand(disabled)
	return commands.Measure(d.rec, name, func() (commands.Result, error) { return d.UserCommands.SetDisabled(ctx, m, id, disabled) })
}

func (d meteredUserCommands) ResetPassword(ctx context.Context, m commands.Meta, id uuid.UUID, password string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.UserResetPassword, func() (commands.Result, error) { return d.UserCommands.ResetPassword(ctx, m, id, password) })
}

func (d meteredUserCommands) ChangePassword(ctx context.Context, m commands.Meta, current string, next string, keepSession string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.UserChangePassword, func() (commands.Result, error) {
		return d.UserCommands.ChangePassword(ctx, m, current, next, keepSession)
	})
}

func (d meteredUserCommands) ChangePreferences(ctx context.Context, m commands.Meta, c Preferences) (commands.Result, error) {
	return commands.Measure(d.rec, commands.UserChangePreferences, func() (commands.Result, error) { return d.UserCommands.ChangePreferences(ctx, m, c) })
}

func disableCommand(disabled bool) string {
	if disabled {
		return commands.UserDisable
	}
	return commands.UserEnable
}

func (d meteredUserCommands) ConfirmPasswordReset(ctx context.Context, m commands.Meta, token, password string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.UserConfirmPasswordReset, func() (commands.Result, error) {
		return d.UserCommands.ConfirmPasswordReset(ctx, m, token, password)
	})
}
