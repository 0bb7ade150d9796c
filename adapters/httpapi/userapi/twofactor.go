package userapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
)

// TwoFactorEnrollment is the answer to POST /api/v1/auth/2fa/enroll.
type TwoFactorEnrollment struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
}

func (a api) enrollTwoFactor(r *http.Request) (httpkit.Reply, error) {
	m, err := httpkit.Meta(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	enr, res, err := a.Auth.EnrollTwoFactor(r.Context(), m)
	if err != nil {
		return httpkit.Reply{}, err
	}
	rp := httpkit.OK(TwoFactorEnrollment{Secret: enr.Secret, URI: enr.URI}).With("Cache-Control", "no-store")
	return httpkit.Committed(rp, res), nil
}

// TwoFactorConfirm is the body of POST /api/v1/auth/2fa/confirm.
type TwoFactorConfirm struct {
	Code string `json:"code"`
}

// recoveryCodes runs a command that checks a one-time code and answers with recovery codes:
// confirming an enrolment, or drawing a new set (the old ones stop working).
func (a api) recoveryCodes(run func(context.Context, commands.Meta, string) ([]string, commands.Result, error)) httpkit.Handler {
	return func(r *http.Request) (httpkit.Reply, error) {
		var in TwoFactorConfirm
		if err := a.Kit.Decode(r, &in); err != nil {
			return httpkit.Reply{}, err
		}
		if strings.TrimSpace(in.Code) == "" {
			return httpkit.Reply{}, httpkit.Invalid("code", "is required: the 6-digit code your authenticator app shows")
		}
		m, err := httpkit.Meta(r)
		if err != nil {
			return httpkit.Reply{}, err
		}
		codes, res, err := run(r.Context(), m, in.Code)
		if err != nil {
			return httpkit.Reply{}, err
		}
		rp := httpkit.OK(map[string]any{"recoveryCodes": codes}).With("Cache-Control", "no-store")
		return httpkit.Committed(rp, res), nil
	}
}

// TwoFactorDisable is the body of POST /api/v1/auth/2fa/disable: the password and, when
// two-factor sign-in is on, a current one-time code or an unused recovery code.
type TwoFactorDisable struct {
	Password     string `json:"password"`
	Code         string `json:"code"`
	RecoveryCode string `json:"recoveryCode"`
}

func (a api) disableTwoFactor(r *http.Request) (httpkit.Reply, error) {
	var in TwoFactorDisable
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	if in.Password == "" {
		return httpkit.Reply{}, httpkit.Invalid("password", "is required")
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) {
		return a.Auth.DisableTwoFactor(r.Context(), m, usercmd.TwoFactorProof{Password: in.Password, TOTP: in.Code, RecoveryCode: in.RecoveryCode})
	}, httpkit.Answer{})
}
