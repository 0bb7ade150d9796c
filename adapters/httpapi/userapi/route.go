// Package userapi is the HTTP API of users and sign-in: user administration, sign-in and out,
// the caller's sessions and password, and two-factor sign-in.
package userapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// Deps are what the user API needs.
type Deps struct {
	Kit      *httpkit.Kit
	Store    eventstore.Store // sign-in waits for the users read model to reach the log's head
	Users    usercmd.UserCommands
	Auth     usercmd.AuthCommands
	OrgViews *orgview.Views
}

// Routes registers the user and sign-in endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	rt.HandlePublic(http.MethodPost, "/auth/login", a.login)
	rt.Handle(http.MethodPost, "/auth/logout", a.logout)
	rt.Handle(http.MethodGet, "/auth/me", a.me)
	rt.Handle(http.MethodPatch, "/auth/me/preferences", a.changePreferences)
	rt.Handle(http.MethodPost, "/auth/change-password", a.changePassword)
	rt.Handle(http.MethodGet, "/auth/sessions", a.sessions)
	rt.Handle(http.MethodDelete, "/auth/sessions/{id}", a.revokeSession)
	// Enrolment answers carry secrets (the TOTP secret, the recovery codes): they are not
	// replayed, which would store the response.
	rt.HandleUnreplayed(http.MethodPost, "/auth/2fa/enroll", a.enrollTwoFactor)
	rt.HandleUnreplayed(http.MethodPost, "/auth/2fa/confirm", a.recoveryCodes(d.Auth.ConfirmTwoFactor))
	rt.HandleUnreplayed(http.MethodPost, "/auth/2fa/recovery-codes", a.recoveryCodes(d.Auth.RegenerateRecoveryCodes))
	rt.Handle(http.MethodPost, "/auth/2fa/disable", a.disableTwoFactor)

	rt.Handle(http.MethodPost, "/users", a.createUser)
	rt.Handle(http.MethodGet, "/users", a.listUsers)
	rt.Handle(http.MethodGet, "/users/{id}", httpkit.Get(d.Kit, usersProjection, a.user, func(v *orgview.User) int64 { return v.Version }))
	rt.Handle(http.MethodPatch, "/users/{id}", httpkit.OnRecord[UserPatch]{Kit: d.Kit, Run: a.updateUser, Answer: a.answer()}.Handle)
	rt.Handle(http.MethodPost, "/users/{id}/disable", a.onUser(func(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return d.Users.SetDisabled(ctx, m, id, true)
	}))
	rt.Handle(http.MethodPost, "/users/{id}/enable", a.onUser(func(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return d.Users.SetDisabled(ctx, m, id, false)
	}))
	rt.Handle(http.MethodPost, "/users/{id}/reset-password", httpkit.OnRecord[passwordBody]{Kit: d.Kit, Run: a.resetPassword}.Handle)
	rt.Handle(http.MethodPost, "/users/{id}/unlock", a.onUser(d.Auth.Unlock))
	rt.Handle(http.MethodPost, "/users/{id}/reset-2fa", a.onUser(d.Auth.ResetTwoFactor))
}

var (
	usersProjection = []string{orgview.UsersProjection}
	// user administration answers once the organisation projection has the change.
	orgProjection = []string{readmodels.OrgProjection}
)

type api struct{ Deps }

// answer: user administration commands answer with the user's fresh read view.
func (a api) answer() httpkit.Answer {
	return httpkit.Answer{Projection: orgProjection, View: func(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
		return a.user(ctx, actor, id)
	}}
}

// onUser runs a command without a body on the user of the path.
func (a api) onUser(run func(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)) httpkit.Handler {
	return httpkit.OnRecord[struct{}]{Kit: a.Kit, Body: httpkit.BodyNone, Answer: a.answer(),
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return run(ctx, m, id)
		}}.Handle
}
