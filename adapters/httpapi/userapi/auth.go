package userapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// LoginBody is the body of POST /api/v1/auth/login; totp or recoveryCode is the second factor
// of accounts with two-factor sign-in.
type LoginBody struct {
	Username     string `json:"username"`
	Password     string `json:"password"`
	TOTP         string `json:"totp"`
	RecoveryCode string `json:"recoveryCode"`
}

// loginResponse carries the token only for bearer sessions: a cookie session's token is in the
// HttpOnly cookie alone.
type loginResponse struct {
	Token             string        `json:"token,omitempty"`
	ExpiresAt         time.Time     `json:"expiresAt"`
	User              *orgview.User `json:"user"`
	TwoFactorRequired bool          `json:"twoFactorRequired"`
}

func (a api) login(r *http.Request) (httpkit.Reply, error) {
	var in LoginBody
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	if in.Username == "" || in.Password == "" {
		return httpkit.Reply{}, httpkit.Invalid("username", "username and password are required")
	}
	// A brand-new account may not have reached the users read model yet: wait (bounded) for it
	// to catch up with the log before deciding the username is unknown.
	if head, err := a.Store.Head(r.Context()); err == nil {
		_ = a.Kit.Await(r.Context(), head, orgview.UsersProjection)
	}
	addr := httpkit.ClientAddr(r)
	res, err := a.Auth.Login(r.Context(), usercmd.LoginRequest{Username: in.Username, Password: in.Password, TOTP: in.TOTP,
		RecoveryCode: in.RecoveryCode, Address: addr, Client: clientDescription(addr, r.UserAgent()), RequestID: httpkit.RequestID(r.Context())})
	if err != nil {
		return httpkit.Reply{}, err // a throttled sign-in's problem carries Retry-After
	}
	u, err := a.OrgViews.GetUser(r.Context(), res.Credential.UserID)
	if err != nil {
		return httpkit.Reply{}, err
	}
	out := loginResponse{Token: res.Token, ExpiresAt: res.Session.ExpiresAt, User: u, TwoFactorRequired: res.TwoFactorRequired}
	var cookies []*http.Cookie
	if httpkit.WantsCookieSession(r) {
		csrf, err := httpkit.NewCSRFToken()
		if err != nil {
			_ = a.Auth.Logout(r.Context(), res.Token)
			return httpkit.Reply{}, err
		}
		cookies, out.Token = httpkit.SessionCookies(r, res.Token, csrf, res.Session.ExpiresAt), ""
	}
	rp := httpkit.OK(out).With("Cache-Control", "no-store").WithCookies(cookies...)
	if res.Position > 0 {
		rp = rp.With("X-Chronicle-Position", strconv.FormatUint(res.Position, 10))
	}
	return rp, nil
}

// clientDescription is how a session's client shows in the session list: the address and the
// user agent, cut to a readable length.
func clientDescription(addr, userAgent string) string {
	if userAgent == "" {
		return addr
	}
	// The header may hold any byte above 0x7F: keep text the stores take (see field.Unsafe).
	userAgent = strings.Map(func(r rune) rune {
		if field.UnsafeRune(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(userAgent, "\uFFFD"))
	d := addr + " " + userAgent
	if utf8.RuneCountInString(d) > 200 {
		d = string([]rune(d)[:200])
	}
	return d
}

func (a api) logout(r *http.Request) (httpkit.Reply, error) {
	if err := a.Auth.Logout(r.Context(), httpkit.TokenOf(r.Context())); err != nil {
		return httpkit.Reply{}, err
	}
	// The expired cookies replace the refreshed ones authentication set.
	return httpkit.NoContent().WithCookies(httpkit.ClearedSessionCookies(r)...), nil
}

type changePasswordBody struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func (a api) changePassword(r *http.Request) (httpkit.Reply, error) {
	var in changePasswordBody
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	token := httpkit.TokenOf(r.Context())
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) {
		return a.Users.ChangePassword(r.Context(), m, in.CurrentPassword, in.NewPassword, usercmd.HashToken(token))
	}, httpkit.Answer{})
}

// SessionView is one of the caller's sessions.
type SessionView struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Client    string    `json:"client"`
	Current   bool      `json:"current"`
}

func (a api) sessions(r *http.Request) (httpkit.Reply, error) {
	sessions, err := a.Auth.Sessions(r.Context(), httpkit.ActorOf(r.Context()))
	if err != nil {
		return httpkit.Reply{}, err
	}
	current := usercmd.HashToken(httpkit.TokenOf(r.Context()))
	items := make([]SessionView, 0, len(sessions))
	for _, x := range sessions {
		items = append(items, SessionView{ID: x.ID, CreatedAt: x.CreatedAt, ExpiresAt: x.ExpiresAt, Client: x.Client, Current: x.TokenHash == current})
	}
	return httpkit.OK(map[string]any{"items": items}).With("Cache-Control", "no-store"), nil
}

func (a api) revokeSession(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Auth.RevokeSession(r.Context(), httpkit.ActorOf(r.Context()), id.String()); err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.NoContent(), nil
}
