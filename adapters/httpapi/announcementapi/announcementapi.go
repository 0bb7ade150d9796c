// Package announcementapi is the HTTP API of announcements (公告): the list of those addressed
// to the caller (pinned first, then the newest; unread only; keyword search) and, for publishers,
// of all of them; the caller's unread count; publishing, editing, pinning and withdrawing
// (announcements.publish); marking one read (once), and its read receipts for publishers.
package announcementapi

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/announcementcmd"
	"github.com/chronicle-crm/chronicle/domain/announcement"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels/announcementview"
)

// OpenAPI is this module's part of the OpenAPI document.
//
//go:embed openapi.json
var OpenAPI []byte

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: announcement.ErrWithdrawn, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: announcement.ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	)
}

// Deps are what the announcement API needs.
type Deps struct {
	Kit           *httpkit.Kit
	Announcements announcementcmd.Commands
	Views         *announcementview.Views
	// Now is the application's clock (what expiry is judged by).
	Now func() time.Time
}

var projection = []string{announcementview.Projection}

// Routes registers the announcement endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	ans := httpkit.Answer{Projection: projection, View: a.view}
	rt.Handle(http.MethodGet, "/announcements", httpkit.List(d.Kit, projection, func(r *http.Request) (announcementview.Query, error) {
		p := httpkit.Params(r.URL.Query())
		q := announcementview.Query{Reader: announcementview.ReaderOf(httpkit.ActorOf(r.Context())), View: p.Enum("view", announcementview.ViewNames...),
			Q: p.Str("q"), Now: d.Now(), Limit: p.Limit(), Cursor: p.Str("cursor")}
		if u := p.Bool("unread"); u != nil {
			q.Unread = *u
		}
		return q, p.Err()
	}, d.Views.Search))
	rt.Handle(http.MethodPost, "/announcements", a.create)
	// before /announcements/{id}, which would take "unread-count" for an id
	rt.Handle(http.MethodGet, "/announcements/unread-count", a.unread)
	rt.Handle(http.MethodGet, "/announcements/{id}", httpkit.Get(d.Kit, projection, a.read, func(v *announcementview.Announcement) int64 { return v.Version }))
	rt.Handle(http.MethodGet, "/announcements/{id}/history", httpkit.History(d.Announcements.History, httpkit.HistoryItems))
	rt.Handle(http.MethodPatch, "/announcements/{id}", httpkit.OnRecord[Patch]{Kit: d.Kit, Run: a.update, Answer: ans}.Handle)
	rt.Handle(http.MethodPost, "/announcements/{id}/pin", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Announcements.SetPinned(ctx, m, id, true)
		}}.Handle)
	rt.Handle(http.MethodPost, "/announcements/{id}/unpin", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Announcements.SetPinned(ctx, m, id, false)
		}}.Handle)
	rt.Handle(http.MethodPost, "/announcements/{id}/withdraw", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Announcements.Withdraw(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodPost, "/announcements/{id}/read", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Announcements.MarkRead(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodGet, "/announcements/{id}/receipts", a.receipts)
}

type api struct{ Deps }

func (a api) read(ctx context.Context, actor access.Actor, id uuid.UUID) (*announcementview.Announcement, error) {
	return a.Views.Get(ctx, announcementview.ReaderOf(actor), id, a.Now())
}

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.read(ctx, actor, id)
}

// AudienceBody is whom an announcement is addressed to: everyone, or departments (each with its
// sub-departments).
type AudienceBody struct {
	Everyone    bool     `json:"everyone"`
	Departments []string `json:"departments"`
}

// AnnouncementCreate is the body of POST /api/v1/announcements.
type AnnouncementCreate struct {
	ID        string       `json:"id"`
	Title     string       `json:"title"`
	Body      string       `json:"body"`
	Audience  AudienceBody `json:"audience"`
	Pinned    bool         `json:"pinned"`
	ExpiresAt string       `json:"expiresAt"`
}

func (a api) create(r *http.Request) (httpkit.Reply, error) {
	return httpkit.Create[AnnouncementCreate]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *AnnouncementCreate) (commands.Result, error) {
		c := announcementcmd.Publish{Fields: announcement.Fields{Title: in.Title, Body: in.Body, Pinned: in.Pinned, ExpiresAt: in.ExpiresAt,
			Audience: announcement.Audience{Everyone: in.Audience.Everyone, Departments: in.Audience.Departments}}}
		if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: in.ID, Dst: &c.ID}); err != nil {
			return commands.Result{}, err
		}
		return a.Announcements.Publish(ctx, m, c)
	}, Answer: httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/announcements", ReplayOK: true, Projection: projection, View: a.view}}.Handle(r)
}

// Patch is the body of PATCH /api/v1/announcements/{id}: the title, the body or the expiry
// (null or "" clears it). The audience is fixed at publication.
type Patch struct {
	Title     httpkit.Opt[string] `json:"title"`
	Body      httpkit.Opt[string] `json:"body"`
	ExpiresAt httpkit.Opt[string] `json:"expiresAt"`
}

func (a api) update(ctx context.Context, m commands.Meta, id uuid.UUID, in *Patch) (commands.Result, error) {
	p := announcement.Patch{Title: in.Title.Field(), Body: in.Body.Field(), ExpiresAt: in.ExpiresAt.Field()}
	if p.IsZero() {
		return commands.Result{}, httpkit.Invalid("(body)", "name at least one field to change")
	}
	return a.Announcements.Edit(ctx, m, id, p)
}

func (a api) unread(r *http.Request) (httpkit.Reply, error) {
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	n, err := a.Views.UnreadCount(r.Context(), announcementview.ReaderOf(httpkit.ActorOf(r.Context())), a.Now())
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(n), nil
}

func (a api) receipts(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	p := httpkit.Params(r.URL.Query())
	limit, cursor := p.Int("limit", 1, announcementview.MaxReceipts, 0, "must be a number from 1 to 200"), p.Str("cursor")
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	if err := httpkit.Allow(r, role.AnnouncementsPublish); err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	rs, err := a.Views.Receipts(r.Context(), id, limit, cursor)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(rs), nil
}
