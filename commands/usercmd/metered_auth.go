package usercmd

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
)

// AuthCommands is the sign-in and security port: what the transport calls; *Auth implements it
// and AuthCommandsMetered decorates it.
type AuthCommands interface {
	Login(ctx context.Context, in LoginRequest) (LoginResult, error)
	EnrollTwoFactor(ctx context.Context, m commands.Meta) (TwoFactorEnrollment, commands.Result, error)
	ConfirmTwoFactor(ctx context.Context, m commands.Meta, code string) ([]string, commands.Result, error)
	DisableTwoFactor(ctx context.Context, m commands.Meta, proof TwoFactorProof) (commands.Result, error)
	RegenerateRecoveryCodes(ctx context.Context, m commands.Meta, code string) ([]string, commands.Result, error)
	ResetTwoFactor(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Unlock(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Authenticate(ctx context.Context, token string) (access.Actor, Session, error)
	Logout(ctx context.Context, token string) error
	Sessions(ctx context.Context, actor access.Actor) ([]Session, error)
	RevokeSession(ctx context.Context, actor access.Actor, id string) error
	SetSignInPolicy(p SignInPolicy)
	SignInPolicy() SignInPolicy
}

var _ AuthCommands = (*Auth)(nil)

// AuthCommandsMetered records every command of next (name, outcome, duration) with rec; queries
// pass
// through.
func AuthCommandsMetered(next AuthCommands, rec commands.Recorder) AuthCommands {
	return meteredAuthCommands{AuthCommands: next, rec: rec}
}

type meteredAuthCommands struct {
	AuthCommands
	rec commands.Recorder
}

func (d meteredAuthCommands) Login(ctx context.Context, in LoginRequest) (LoginResult, error) {
	return commands.Measure(d.rec, commands.AuthLogin, func() (LoginResult, error) { return d.AuthCommands.Login(ctx, in) })
}

func (d meteredAuthCommands) EnrollTwoFactor(ctx context.Context, m commands.Meta) (TwoFactorEnrollment, commands.Result, error) {
	var first TwoFactorEnrollment
	second, err := commands.Measure(d.rec, commands.AuthTwoFactorEnroll, func() (commands.Result, error) {
		var second commands.Result
		var err error
		first, second, err = d.AuthCommands.EnrollTwoFactor(ctx, m)
		return second, err
	})
	return first, second, err
}

func (d meteredAuthCommands) ConfirmTwoFactor(ctx context.Context, m commands.Meta, code string) ([]string, commands.Result, error) {
	var first []string
	second, err := commands.Measure(d.rec, commands.AuthTwoFactorConfirm, func() (commands.Result, error) {
		var second commands.Result
		var err error
		first, second, err = d.AuthCommands.ConfirmTwoFactor(ctx, m, code)
		return second, err
	})
	return first, second, err
}

func (d meteredAuthCommands) DisableTwoFactor(ctx context.Context, m commands.Meta, proof TwoFactorProof) (commands.Result, error) {
	return commands.Measure(d.rec, commands.AuthTwoFactorDisable, func() (commands.Result, error) { return d.AuthCommands.DisableTwoFactor(ctx, m, proof) })
}

func (d meteredAuthCommands) RegenerateRecoveryCodes(ctx context.Context, m commands.Meta, code string) ([]string, commands.Result, error) {
	var first []string
	second, err := commands.Measure(d.rec, commands.AuthRecoveryCodesRegenerate, func() (commands.Result, error) {
		var second commands.Result
		var err error
		first, second, err = d.AuthCommands.RegenerateRecoveryCodes(ctx, m, code)
		return second, err
	})
	return first, second, err
}

func (d meteredAuthCommands) ResetTwoFactor(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.UserTwoFactorReset, func() (commands.Result, error) { return d.AuthCommands.ResetTwoFactor(ctx, m, id) })
}

func (d meteredAuthCommands) Unlock(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.UserUnlock, func() (commands.Result, error) { return d.AuthCommands.Unlock(ctx, m, id) })
}
