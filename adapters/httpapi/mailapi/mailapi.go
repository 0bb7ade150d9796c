// Package mailapi is the HTTP API of e-mail: the outgoing mail server of the settings (its
// password write-only) with a test message, the outbox administrators watch, each user's choice
// of the notifications they also want by e-mail, and the forgotten-password link.
package mailapi

import (
	"context"
	_ "embed"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/mailer"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/notification"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// OpenAPI is this module's part of the OpenAPI document.
//
//go:embed openapi.json
var OpenAPI []byte

// Deps are what the e-mail API needs.
type Deps struct {
	Kit      *httpkit.Kit
	Org      orgcmd.Commands
	Users    usercmd.UserCommands
	OrgViews *orgview.Views
	Mailer   *mailer.Mailer
	// PublicURL is the address of the web UI in the links e-mailed (CHRONICLE_PUBLIC_URL).
	PublicURL string
}

// Limits of the forgotten-password requests: every answer takes at least ResetFloor (an account
// that exists answers no sooner than one that does not), and one client address may ask
// ResetsPerAddress times in ResetWindow and confirm 3 times as often (then 429).
var (
	ResetFloor       = 250 * time.Millisecond
	ResetsPerAddress = 10
	ResetWindow      = 15 * time.Minute
)

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: user.ErrResetTokenInvalid, Status: http.StatusBadRequest, Code: "invalid_reset_token"},
		httpkit.ErrorCode{Err: orgcmd.ErrNoSealer, Status: http.StatusServiceUnavailable, Code: "no_secret_key"},
	)
}

// Routes registers the e-mail endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := &api{Deps: d, limiter: newLimiter(), confirms: newLimiter()}
	rt.Handle(http.MethodGet, "/settings/smtp", a.getSMTP)
	rt.Handle(http.MethodPut, "/settings/smtp", a.putSMTP)
	rt.HandleUnreplayed(http.MethodPost, "/settings/smtp/test", a.testSMTP)
	rt.Handle(http.MethodGet, "/mail/outbox", a.outbox)
	rt.Handle(http.MethodGet, "/me/notification-preferences", a.getPrefs)
	rt.Handle(http.MethodPut, "/me/notification-preferences", a.putPrefs)
	rt.HandlePublic(http.MethodPost, "/auth/password-reset", a.requestReset)
	rt.HandlePublic(http.MethodPost, "/auth/password-reset/confirm", a.confirmReset)
}

var orgProjection = []string{readmodels.OrgProjection}

type api struct {
	Deps
	limiter  *limiter // reset requests per client address
	confirms *limiter // reset confirmations per client address
}

func admin(r *http.Request) error {
	if !httpkit.ActorOf(r.Context()).Can(role.SettingsManage) {
		return commands.ErrForbidden
	}
	return nil
}

func (a *api) getSMTP(r *http.Request) (httpkit.Reply, error) {
	if err := admin(r); err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.WaitFor(r, orgProjection...); err != nil {
		return httpkit.Reply{}, err
	}
	v, err := a.OrgViews.GetSMTP(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(v), nil
}

// SMTPSettings is the body of PUT /api/v1/settings/smtp: the whole mail server setting.
// Password: absent keeps the one set, null or "" removes it.
type SMTPSettings struct {
	Host     string              `json:"host"`
	Port     int                 `json:"port"`
	TLS      string              `json:"tls"`
	Username string              `json:"username"`
	Password httpkit.Opt[string] `json:"password"`
	From     string              `json:"from"`
}

func (a *api) putSMTP(r *http.Request) (httpkit.Reply, error) {
	var in SMTPSettings
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	c := orgcmd.SMTPInput{Host: in.Host, Port: in.Port, TLS: in.TLS, Username: in.Username, From: in.From, Password: in.Password.Ptr()}
	if in.Password.Null {
		none := ""
		c.Password = &none
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return a.Org.UpdateSMTP(r.Context(), m, c) },
		httpkit.Answer{Projection: orgProjection, View: func(ctx context.Context, _ access.Actor, _ uuid.UUID) (any, error) {
			return a.OrgViews.GetSMTP(ctx)
		}})
}

// TestBody is the body of POST /api/v1/settings/smtp/test.
type TestBody struct {
	To string `json:"to"`
}

func (a *api) testSMTP(r *http.Request) (httpkit.Reply, error) {
	if err := admin(r); err != nil {
		return httpkit.Reply{}, err
	}
	var in TestBody
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	to, err := user.ParseEmail("to", in.To)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.WaitFor(r, orgProjection...); err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Mailer.SendTest(r.Context(), to); err != nil {
		if r.Context().Err() != nil {
			return httpkit.Reply{}, r.Context().Err()
		}
		return httpkit.Reply{}, &httpkit.StatusError{Status: http.StatusBadGateway, Code: "smtp_failed", Detail: "the mail server refused or failed: " + err.Error()}
	}
	return httpkit.OK(map[string]any{"sent": true, "to": to}), nil
}

func (a *api) outbox(r *http.Request) (httpkit.Reply, error) {
	if err := admin(r); err != nil {
		return httpkit.Reply{}, err
	}
	p := httpkit.Params(r.URL.Query())
	status := p.Enum("status", mailer.StatusFailed, mailer.StatusPending, mailer.StatusSent)
	if status == "" {
		status = mailer.StatusFailed
	}
	limit := p.Int("limit", 1, 100, 50, "must be a number from 1 to 100")
	cursor := p.Str("cursor")
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	page, err := a.Mailer.List(r.Context(), status, limit, cursor)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(page), nil
}

// Prefs are a user's e-mail notification preferences as the API shows them.
type Prefs struct {
	Email       string   `json:"email"`
	Kinds       []string `json:"kinds"`
	KindsChosen bool     `json:"kindsChosen"`
	Available   []string `json:"available"`
	Defaults    []string `json:"defaults"`
}

func (a *api) prefs(ctx context.Context, id uuid.UUID) (any, error) {
	p, err := a.OrgViews.MailPreferences(ctx, id)
	if err != nil {
		return nil, err
	}
	return Prefs{Email: p.Email, Kinds: p.MailKinds, KindsChosen: p.MailKindsChosen, Available: notification.Kinds, Defaults: user.DefaultMailKinds}, nil
}

func (a *api) getPrefs(r *http.Request) (httpkit.Reply, error) {
	if err := a.Kit.WaitFor(r, orgProjection...); err != nil {
		return httpkit.Reply{}, err
	}
	v, err := a.prefs(r.Context(), httpkit.ActorOf(r.Context()).ID)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(v), nil
}

// PrefsBody is the body of PUT /api/v1/me/notification-preferences: the caller's e-mail address
// ("": none) and the kinds of notification also e-mailed (absent: keep; null: back to the
// defaults is not offered, send the list).
type PrefsBody struct {
	Email httpkit.Opt[string]   `json:"email"`
	Kinds httpkit.Opt[[]string] `json:"kinds"`
}

func (a *api) putPrefs(r *http.Request) (httpkit.Reply, error) {
	var in PrefsBody
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	c := usercmd.Preferences{Email: in.Email.Ptr(), MailKinds: in.Kinds.Ptr()}
	if in.Email.Null {
		none := ""
		c.Email = &none
	}
	if in.Kinds.Null {
		return httpkit.Reply{}, httpkit.Invalid("kinds", "must be a list of notification kinds ([] for none)")
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return a.Users.ChangePreferences(r.Context(), m, c) },
		httpkit.Answer{Projection: orgProjection, View: func(ctx context.Context, actor access.Actor, _ uuid.UUID) (any, error) {
			return a.prefs(ctx, actor.ID)
		}})
}

// ResetBody is the body of POST /api/v1/auth/password-reset.
type ResetBody struct {
	Login string `json:"login"`
}

// resetAccepted is the one answer of a reset request, whatever the account.
var resetAccepted = map[string]any{"status": "accepted",
	"message": "If the account exists and has an e-mail address, a link to reset its password has been sent to it; it works once, for 30 minutes."}

// resetNamespace names the outbox rows of reset e-mails (from the token's hash).
var resetNamespace = uuid.MustParse("2a8f4f8e-4d7b-4e3f-8d0c-5c1b6e2f9a41")

func (a *api) requestReset(r *http.Request) (httpkit.Reply, error) {
	start := time.Now()
	var in ResetBody
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	if in.Login == "" {
		return httpkit.Reply{}, httpkit.Invalid("login", "is required: your username")
	}
	if wait, ok := a.limiter.allow(httpkit.ClientAddr(r), time.Now(), ResetsPerAddress); !ok {
		return httpkit.Reply{}, throttled(wait)
	}
	m := commands.Meta{RequestID: httpkit.RequestID(r.Context()), ClientAddr: httpkit.ClientAddr(r)}
	link, err := a.Users.RequestPasswordReset(r.Context(), m, in.Login)
	if err == nil && link.Token != "" {
		subject, body := mailer.ResetMail(a.PublicURL, link.Token, int(user.ResetTTL/time.Minute))
		err = a.Mailer.Enqueue(r.Context(), mailer.Mail{ID: uuid.NewSHA1(resetNamespace, []byte(usercmd.ResetTokenHash(link.Token))),
			Kind: mailer.KindPasswordReset, RecipientID: link.UserID, Address: link.Email, Subject: subject, Body: body})
		a.Mailer.Wake()
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	if d := ResetFloor - time.Since(start); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return httpkit.Reply{}, r.Context().Err()
		}
	}
	return httpkit.JSON(http.StatusAccepted, resetAccepted).With("Cache-Control", "no-store"), nil
}

// ConfirmBody is the body of POST /api/v1/auth/password-reset/confirm.
type ConfirmBody struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (a *api) confirmReset(r *http.Request) (httpkit.Reply, error) {
	var in ConfirmBody
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	if in.Token == "" || len(in.Token) > 200 {
		return httpkit.Reply{}, user.ErrResetTokenInvalid
	}
	if wait, ok := a.confirms.allow(httpkit.ClientAddr(r), time.Now(), 3*ResetsPerAddress); !ok {
		return httpkit.Reply{}, throttled(wait)
	}
	m := commands.Meta{RequestID: httpkit.RequestID(r.Context()), ClientAddr: httpkit.ClientAddr(r)}
	if _, err := a.Users.ConfirmPasswordReset(r.Context(), m, in.Token, in.Password); err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.NoContent(), nil
}

// limiter counts the reset requests of each client address in a sliding window (in memory: one
// process's count; the account's own hourly limit is in its stream).
type limiter struct {
	mu   sync.Mutex
	seen map[string][]time.Time
}

func newLimiter() *limiter { return &limiter{seen: map[string][]time.Time{}} }

// maxAddresses bounds the addresses remembered (a flood of addresses forgets the oldest window).
const maxAddresses = 10_000

func (l *limiter) allow(addr string, now time.Time, most int) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > maxAddresses {
		l.seen = map[string][]time.Time{}
	}
	kept := l.seen[addr][:0]
	for _, t := range l.seen[addr] {
		if now.Sub(t) < ResetWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) >= most {
		l.seen[addr] = kept
		return ResetWindow - now.Sub(kept[0]), false
	}
	l.seen[addr] = append(kept, now)
	return 0, true
}

// tooMany is a 429 with Retry-After.
type tooMany struct {
	*httpkit.StatusError
	wait time.Duration
}

func (e tooMany) Seconds() int64 { return int64(e.wait/time.Second) + 1 }
func (e tooMany) Unwrap() error  { return e.StatusError }
func (e tooMany) Error() string  { return e.StatusError.Error() }

func throttled(wait time.Duration) error {
	return tooMany{StatusError: &httpkit.StatusError{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
		Detail: "too many password reset requests from this address; try again later"}, wait: wait}
}
