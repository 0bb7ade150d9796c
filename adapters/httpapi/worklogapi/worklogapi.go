// Package worklogapi is the HTTP API of work logs (日志): the list with its views (mine, received,
// subordinates', all), drafting or submitting a log, editing it, submitting a draft, comments,
// read receipts, the submission statistics per department and period, history and as-of
// snapshots.
package worklogapi

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/worklogcmd"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/worklog"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/worklogview"
)

// OpenAPI is this module's part of the OpenAPI document.
//
//go:embed openapi.json
var OpenAPI []byte

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: worklogcmd.ErrDuplicatePeriod, Status: http.StatusConflict, Code: "duplicate_period"},
		httpkit.ErrorCode{Err: worklog.ErrNotWriter, Status: http.StatusForbidden, Code: "not_writer"},
		httpkit.ErrorCode{Err: worklog.ErrSubmitted, Status: http.StatusConflict, Code: "already_submitted"},
		httpkit.ErrorCode{Err: worklog.ErrNotSubmitted, Status: http.StatusConflict, Code: "not_submitted"},
		httpkit.ErrorCode{Err: worklog.ErrCommented, Status: http.StatusConflict, Code: "worklog_commented"},
		httpkit.ErrorCode{Err: worklog.ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	)
}

// Deps are what the work log API needs.
type Deps struct {
	Kit      *httpkit.Kit
	WorkLogs worklogcmd.Commands
	Views    *worklogview.Views
	// Now is the application's clock (the statistics' default range ends today, in UTC+8).
	Now func() time.Time
}

var projection = []string{worklogview.Projection}

// Routes registers the work log endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	ans := httpkit.Answer{Projection: projection, View: a.view}
	// before /worklogs/{id}
	rt.Handle(http.MethodGet, "/worklogs/stats", a.stats)
	rt.Handle(http.MethodGet, "/worklogs", httpkit.List(d.Kit, projection, func(r *http.Request) (worklogview.Query, error) {
		p := httpkit.Params(r.URL.Query())
		q := Query(p, httpkit.ActorOf(r.Context()))
		q.Limit, q.Cursor = p.Limit(), p.Str("cursor")
		return q, p.Err()
	}, d.Views.Search))
	rt.Handle(http.MethodPost, "/worklogs", a.create)
	rt.Handle(http.MethodGet, "/worklogs/{id}", httpkit.NoAsOf(httpkit.Get(d.Kit, projection, a.read, func(l *worklogview.Log) int64 { return l.Version })))
	rt.Handle(http.MethodGet, "/worklogs/{id}/snapshot", httpkit.Snapshot(d.WorkLogs.AsOf))
	rt.Handle(http.MethodGet, "/worklogs/{id}/history", httpkit.History(d.WorkLogs.History, httpkit.HistoryItems))
	rt.Handle(http.MethodPatch, "/worklogs/{id}", httpkit.OnRecord[Patch]{Kit: d.Kit, Run: a.update, Answer: ans}.Handle)
	rt.Handle(http.MethodPost, "/worklogs/{id}/submit", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.WorkLogs.Submit(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodPost, "/worklogs/{id}/read", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.WorkLogs.MarkRead(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodGet, "/worklogs/{id}/receipts", a.receipts)
	rt.Handle(http.MethodGet, "/worklogs/{id}/comments", a.comments)
	rt.Handle(http.MethodPost, "/worklogs/{id}/comments", httpkit.OnRecord[CommentBody]{Kit: d.Kit,
		Answer: httpkit.Answer{Status: http.StatusCreated, Projection: projection, View: a.view},
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *CommentBody) (commands.Result, error) {
			res, err := a.WorkLogs.Comment(ctx, m, id, in.Text)
			res.ID = id
			return res, err
		}}.Handle)
}

type api struct{ Deps }

func (a api) read(ctx context.Context, actor access.Actor, id uuid.UUID) (*worklogview.Log, error) {
	return a.Views.Get(ctx, worklogview.ReaderOf(actor), id)
}

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.read(ctx, actor, id)
}

// Query reads the filters of a work log search: view, q, kind and status (repeatable),
// periodFrom and periodTo (dates), writerId, unread, sort.
func Query(p *httpkit.ParamReader, actor access.Actor) worklogview.Query {
	q := worklogview.Query{Reader: worklogview.ReaderOf(actor), View: p.Enum("view", worklogview.ViewNames...), Q: p.Str("q"), Sort: p.Str("sort"),
		Kind:   p.List("kind", worklog.Kinds, "must be daily, weekly or monthly; got %q"),
		Status: p.List("status", worklog.Statuses, "must be draft or submitted; got %q"),
		Writer: p.UUID("writerId")}
	if u := p.Bool("unread"); u != nil {
		q.Unread = *u
	}
	for _, d := range []struct {
		name string
		to   *string
	}{{"periodFrom", &q.PeriodFrom}, {"periodTo", &q.PeriodTo}} {
		if v := p.Str(d.name); v != "" {
			if _, err := time.Parse(time.DateOnly, v); err != nil || len(v) != len(time.DateOnly) {
				p.Fail(d.name, "must be a date written 2006-01-02; got %q", v)
				continue
			}
			*d.to = v
		}
	}
	return q
}

// Link is a record a log names.
type Link struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// WorkLogCreate is the body of POST /api/v1/worklogs: a draft, or with submit a log submitted at
// once.
type WorkLogCreate struct {
	ID              string   `json:"id"`
	Kind            string   `json:"kind"`
	Period          string   `json:"period"`
	WorkDone        string   `json:"workDone"`
	Plan            string   `json:"plan"`
	Problems        string   `json:"problems"`
	Links           []Link   `json:"links"`
	ExtraRecipients []string `json:"extraRecipients"`
	Submit          bool     `json:"submit"`
}

func links(in []Link) []worklog.Link {
	out := make([]worklog.Link, len(in))
	for i, l := range in {
		out[i] = worklog.Link{Kind: l.Kind, ID: l.ID}
	}
	return out
}

func (a api) create(r *http.Request) (httpkit.Reply, error) {
	return httpkit.Create[WorkLogCreate]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *WorkLogCreate) (commands.Result, error) {
		c := worklogcmd.Create{Kind: worklog.Kind(in.Kind), Period: in.Period, Submit: in.Submit,
			Fields: worklog.Fields{WorkDone: in.WorkDone, Plan: in.Plan, Problems: in.Problems, Links: links(in.Links), ExtraRecipients: in.ExtraRecipients}}
		if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: in.ID, Dst: &c.ID}); err != nil {
			return commands.Result{}, err
		}
		return a.WorkLogs.Create(ctx, m, c)
	}, Answer: httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/worklogs", ReplayOK: true, Projection: projection, View: a.view}}.Handle(r)
}

// Patch is the body of PATCH /api/v1/worklogs/{id}: the fields to change (null or "" clears an
// optional text; an empty list clears a list).
type Patch struct {
	WorkDone        httpkit.Opt[string]   `json:"workDone"`
	Plan            httpkit.Opt[string]   `json:"plan"`
	Problems        httpkit.Opt[string]   `json:"problems"`
	Links           httpkit.Opt[[]Link]   `json:"links"`
	ExtraRecipients httpkit.Opt[[]string] `json:"extraRecipients"`
}

func (in Patch) patch() worklog.Patch {
	p := worklog.Patch{WorkDone: in.WorkDone.Field(), Plan: in.Plan.Field(), Problems: in.Problems.Field()}
	if in.Links.Set {
		v := links(in.Links.Value)
		p.Links = &v
	}
	if in.ExtraRecipients.Set {
		v := append([]string{}, in.ExtraRecipients.Value...)
		p.ExtraRecipients = &v
	}
	return p
}

func (a api) update(ctx context.Context, m commands.Meta, id uuid.UUID, in *Patch) (commands.Result, error) {
	p := in.patch()
	if p.IsZero() {
		return commands.Result{}, httpkit.Invalid("(body)", "name at least one field to change")
	}
	return a.WorkLogs.Update(ctx, m, id, p)
}

// CommentBody is a comment.
type CommentBody struct {
	Text string `json:"text"`
}

func (a api) comments(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	if err == nil {
		err = a.Kit.WaitFor(r, projection...)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	cs, err := a.Views.Comments(r.Context(), worklogview.ReaderOf(httpkit.ActorOf(r.Context())), id)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(httpkit.All(cs)), nil
}

func (a api) receipts(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	if err == nil {
		err = a.Kit.WaitFor(r, projection...)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	rs, err := a.Views.Receipts(r.Context(), worklogview.ReaderOf(httpkit.ActorOf(r.Context())), id)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(httpkit.All(rs)), nil
}

// stats answers GET /worklogs/stats?kind=&from=&to=&department= (worklogs.stats): per department
// of the reader's data scope, the logs submitted and expected of kind in the periods from from to
// to (dates inside the first and the last period; by default the last 7 days, 8 weeks or 6
// months up to today in UTC+8).
func (a api) stats(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.WorklogsStats); err != nil {
		return httpkit.Reply{}, err
	}
	p := httpkit.Params(r.URL.Query())
	kind := worklog.Kind(p.Enum("kind", worklog.Kinds...))
	if kind == "" {
		kind = worklog.Daily
	}
	today := worklog.Today(a.Now())
	to := worklog.Start(kind, today)
	from := map[worklog.Kind]time.Time{worklog.Daily: to.AddDate(0, 0, -6), worklog.Weekly: to.AddDate(0, 0, -7*7),
		worklog.Monthly: to.AddDate(0, -5, 0)}[kind]
	for _, d := range []struct {
		name string
		to   *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := p.Str(d.name); v != "" {
			t, err := time.Parse(time.DateOnly, v)
			if err != nil || len(v) != len(time.DateOnly) || t.Year() < 2000 || t.Year() > 2999 {
				p.Fail(d.name, "must be a date written 2006-01-02; got %q", v)
				continue
			}
			*d.to = worklog.Start(kind, t)
		}
	}
	dept := p.UUID("department")
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	if from.After(to) {
		return httpkit.Reply{}, httpkit.Invalid("from", "is after to")
	}
	if n := len(worklogview.Periods(kind, from, to)); n > worklogview.MaxStatsPeriods {
		return httpkit.Reply{}, httpkit.Invalid("to", "the range holds more than %d periods", worklogview.MaxStatsPeriods)
	}
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	s, err := a.Views.Stats(r.Context(), worklogview.StatsQuery{Scope: readmodels.ScopeOf(httpkit.ActorOf(r.Context()), false),
		Kind: kind, From: from, To: to, Department: dept})
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(s), nil
}
