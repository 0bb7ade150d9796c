// Package opportunityapi is the HTTP API of opportunities (商机): create, search, read, change,
// move through the stages, line items, win, lose, reopen, assign, delete, the development plan,
// history; the kanban board and the forecast; the pipelines administrators define.
package opportunityapi

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/opportunitycmd"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
)

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: opportunity.ErrClosed, Status: http.StatusConflict, Code: "opportunity_closed"},
		httpkit.ErrorCode{Err: opportunity.ErrNotClosed, Status: http.StatusConflict, Code: "opportunity_open"},
		httpkit.ErrorCode{Err: opportunity.ErrNoStep, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: opportunity.ErrDeleted, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: opportunity.ErrPipelineExists, Status: http.StatusConflict, Code: "already_exists"},
	)
}

// Deps are what the opportunity API needs.
type Deps struct {
	Kit           *httpkit.Kit
	Opportunities opportunitycmd.Commands
	Views         *opportunityview.Views
	// Zone is the reader's time zone (the day a win is dated when no date is sent).
	Zone func(ctx context.Context, a access.Actor) *time.Location
}

// projection is what opportunity reads wait for.
var projection = []string{opportunityview.Projection}

// Routes registers the opportunity endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	ans := httpkit.Answer{Projection: projection, View: a.view}
	rt.Handle(http.MethodPost, "/opportunities", a.create)
	rt.Handle(http.MethodGet, "/opportunities", httpkit.List(d.Kit, projection, func(r *http.Request) (opportunityview.Query, error) {
		p := httpkit.Params(r.URL.Query())
		q := Query(p, httpkit.ActorOf(r.Context()))
		return q, p.Err()
	}, d.Views.Search))
	rt.Handle(http.MethodGet, "/opportunities/{id}/snapshot", httpkit.Snapshot(d.Opportunities.AsOf))
	rt.Handle(http.MethodGet, "/opportunities/{id}", httpkit.NoAsOf(httpkit.Get(d.Kit, projection, a.read, func(o *opportunityview.Opportunity) int64 { return o.Version })))
	rt.Handle(http.MethodPatch, "/opportunities/{id}", httpkit.OnRecord[opportunity.Patch]{Kit: d.Kit, Run: a.update, Answer: ans}.Handle)
	rt.Handle(http.MethodDelete, "/opportunities/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.delete}.Handle)
	rt.Handle(http.MethodPost, "/opportunities/{id}/stage", httpkit.OnRecord[StageBody]{Kit: d.Kit, Run: a.stage, Answer: ans}.Handle)
	rt.Handle(http.MethodPut, "/opportunities/{id}/lines", httpkit.OnRecord[LinesBody]{Kit: d.Kit, Run: a.lines, Answer: ans}.Handle)
	rt.Handle(http.MethodPost, "/opportunities/{id}/win", httpkit.OnRecord[WinBody]{Kit: d.Kit, Body: httpkit.BodyIfSent, Run: a.win, Answer: ans}.Handle)
	rt.Handle(http.MethodPost, "/opportunities/{id}/lose", httpkit.OnRecord[LoseBody]{Kit: d.Kit, Run: a.lose, Answer: ans}.Handle)
	rt.Handle(http.MethodPost, "/opportunities/{id}/reopen", httpkit.OnRecord[ReopenBody]{Kit: d.Kit, Body: httpkit.BodyIfSent, Run: a.reopen, Answer: ans}.Handle)
	rt.Handle(http.MethodPost, "/opportunities/{id}/assign", httpkit.OnRecord[AssignBody]{Kit: d.Kit, Run: a.assign, Answer: ans}.Handle)
	rt.Handle(http.MethodPost, "/opportunities/{id}/plan", httpkit.OnRecord[PlanStepBody]{Kit: d.Kit, Run: a.addStep, Answer: ans}.Handle)
	rt.Handle(http.MethodPost, "/opportunities/{id}/plan/{step}/result", func(r *http.Request) (httpkit.Reply, error) {
		step, err := httpkit.ParseUUID("step", httpkit.PathVar(r, "step"))
		if err != nil {
			return httpkit.Reply{}, httpkit.Fail(http.StatusNotFound, "not_found", "no such plan step")
		}
		return httpkit.OnRecord[PlanResultBody]{Kit: d.Kit, Answer: ans, Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *PlanResultBody) (commands.Result, error) {
			return a.Opportunities.RecordPlanResult(ctx, m, id, step, in.Result)
		}}.Handle(r)
	})
	rt.Handle(http.MethodGet, "/opportunities/{id}/history", httpkit.History(d.Opportunities.History, httpkit.HistoryItems))
	rt.Handle(http.MethodGet, "/opportunity-board", a.board)
	rt.Handle(http.MethodGet, "/opportunity-forecast", a.forecast)
	rt.Handle(http.MethodGet, "/opportunity-funnel", a.funnel)
	rt.Handle(http.MethodGet, "/pipelines", a.pipelines)
	rt.Handle(http.MethodPost, "/pipelines", a.definePipeline)
	rt.Handle(http.MethodPut, "/pipelines/{id}", httpkit.OnRecord[PipelineBody]{Kit: d.Kit, Run: a.revisePipeline,
		Answer: httpkit.Answer{Projection: projection, View: a.pipelineView}}.Handle)
}

type api struct{ Deps }

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.read(ctx, actor, id)
}

func (a api) read(ctx context.Context, actor access.Actor, id uuid.UUID) (*opportunityview.Opportunity, error) {
	return a.Views.Get(ctx, opportunityview.ReaderOf(actor), id)
}

// OpportunityCreate is the body of POST /api/v1/opportunities.
type OpportunityCreate struct {
	opportunity.Fields
	ID         string                  `json:"id"`
	PipelineID string                  `json:"pipelineId"`
	Stage      string                  `json:"stage"`
	Lines      []opportunity.LineInput `json:"lines"`
	OwnerID    string                  `json:"ownerId"`
}

func (a api) create(r *http.Request) (httpkit.Reply, error) {
	return httpkit.Create[OpportunityCreate]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *OpportunityCreate) (commands.Result, error) {
		c := opportunitycmd.Create{Fields: in.Fields, Stage: in.Stage, Lines: in.Lines}
		if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: in.ID, Dst: &c.ID}, httpkit.BodyID{Field: "pipelineId", Text: in.PipelineID, Dst: &c.PipelineID}, httpkit.BodyID{Field: "ownerId", Text: in.OwnerID, Dst: &c.OwnerID}); err != nil {
			return commands.Result{}, err
		}
		return a.Opportunities.Create(ctx, m, c)
	}, Answer: httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/opportunities", ReplayOK: true, Projection: projection, View: a.view}}.Handle(r)
}

func (a api) update(ctx context.Context, m commands.Meta, id uuid.UUID, in *opportunity.Patch) (commands.Result, error) {
	if in.Empty() {
		return commands.Result{}, httpkit.Invalid("(body)", "name at least one field to change")
	}
	return a.Opportunities.Update(ctx, m, id, *in)
}

func (a api) delete(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Opportunities.Delete(ctx, m, id)
}

// StageBody moves an opportunity to another stage.
type StageBody struct {
	Stage string `json:"stage"`
	Note  string `json:"note"`
}

func (a api) stage(ctx context.Context, m commands.Meta, id uuid.UUID, in *StageBody) (commands.Result, error) {
	if in.Stage == "" {
		return commands.Result{}, httpkit.Invalid("stage", "is required")
	}
	return a.Opportunities.MoveStage(ctx, m, id, in.Stage, in.Note)
}

// LinesBody replaces the line items.
type LinesBody struct {
	Lines []opportunity.LineInput `json:"lines"`
}

func (a api) lines(ctx context.Context, m commands.Meta, id uuid.UUID, in *LinesBody) (commands.Result, error) {
	if in.Lines == nil {
		return commands.Result{}, httpkit.Invalid("lines", "is required (an empty list removes every line)")
	}
	return a.Opportunities.SetLines(ctx, m, id, in.Lines)
}

// WinBody closes a deal: the final amount (default: the opportunity's), the date (default:
// today in the user's time zone), a note.
type WinBody struct {
	Amount string `json:"amount"`
	Date   string `json:"date"`
	Note   string `json:"note"`
}

func (a api) win(ctx context.Context, m commands.Meta, id uuid.UUID, in *WinBody) (commands.Result, error) {
	var loc *time.Location
	if a.Zone != nil {
		loc = a.Zone(ctx, m.Actor)
	}
	return a.Opportunities.Win(ctx, m, id, in.Amount, in.Date, in.Note, loc)
}

// LoseBody closes a deal as lost.
type LoseBody struct {
	Reason     string `json:"reason"`
	Competitor string `json:"competitor"`
	Note       string `json:"note"`
}

func (a api) lose(ctx context.Context, m commands.Meta, id uuid.UUID, in *LoseBody) (commands.Result, error) {
	if in.Reason == "" {
		return commands.Result{}, httpkit.Invalid("reason", "is required: a lost reason of the dictionary")
	}
	return a.Opportunities.Lose(ctx, m, id, in.Reason, in.Competitor, in.Note)
}

// ReopenBody reopens a won or lost opportunity (into the stage it closed in unless named).
type ReopenBody struct {
	Stage string `json:"stage"`
	Note  string `json:"note"`
}

func (a api) reopen(ctx context.Context, m commands.Meta, id uuid.UUID, in *ReopenBody) (commands.Result, error) {
	return a.Opportunities.Reopen(ctx, m, id, in.Stage, in.Note)
}

// AssignBody names the account manager.
type AssignBody struct {
	UserID string `json:"userId"`
}

func (a api) assign(ctx context.Context, m commands.Meta, id uuid.UUID, in *AssignBody) (commands.Result, error) {
	to, err := httpkit.ParseUUID("userId", in.UserID)
	if err != nil {
		return commands.Result{}, err
	}
	return a.Opportunities.Assign(ctx, m, id, to)
}

// PlanStepBody adds a step to the development plan; id (optional) makes a retry harmless.
type PlanStepBody struct {
	ID     string `json:"id"`
	Date   string `json:"date"`
	Action string `json:"action"`
}

func (a api) addStep(ctx context.Context, m commands.Meta, id uuid.UUID, in *PlanStepBody) (commands.Result, error) {
	step := uuid.Nil
	if in.ID != "" {
		var err error
		if step, err = httpkit.ParseUUID("id", in.ID); err != nil {
			return commands.Result{}, err
		}
	}
	res, err := a.Opportunities.AddPlanStep(ctx, m, id, step, in.Date, in.Action)
	res.ID = id // answer with the opportunity
	return res, err
}

// PlanResultBody records what a plan step achieved.
type PlanResultBody struct {
	Result string `json:"result"`
}

// Query reads the filters of an opportunity search (the export shares them).
func Query(p *httpkit.ParamReader, actor access.Actor) opportunityview.Query {
	return opportunityview.Query{Reader: opportunityview.ReaderOf(actor), Q: p.Str("q"), Stage: p.Str("stage"), Sort: p.Str("sort"),
		Status:     p.List("status", opportunity.Statuses, "must be open, won or lost; got %q"),
		PipelineID: p.UUID("pipelineId"), OwnerID: p.UUID("ownerId"), CustomerID: p.UUID("customerId"),
		CloseFrom: dateParam(p, "closeFrom"), CloseTo: dateParam(p, "closeTo"),
		AmountMin: amountParam(p, "amountMin"), AmountMax: amountParam(p, "amountMax"),
		Cursor: p.Str("cursor"), Limit: p.Limit()}
}

func dateParam(p *httpkit.ParamReader, name string) string {
	v := p.Str(name)
	if v != "" {
		p.Add(name, opportunity.CheckDate(name, v))
	}
	return v
}

func amountParam(p *httpkit.ParamReader, name string) *money.Amount {
	v := p.Str(name)
	if v == "" {
		return nil
	}
	a, err := money.ParseAmount(name, v)
	p.Add(name, err)
	return &a
}

// board: GET /api/v1/opportunity-board?pipelineId=&cards= is a pipeline's open opportunities by
// stage (enabled stages, and disabled ones that still hold opportunities).
func (a api) board(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	pid := p.UUID("pipelineId")
	cards := p.Int("cards", 1, opportunityview.MaxCards, 20, "must be a number from 1 to 50")
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	id := opportunity.DefaultPipelineID
	if pid != nil {
		id = *pid
	}
	pl, err := a.Views.Pipeline(r.Context(), id)
	if err != nil {
		return httpkit.Reply{}, err
	}
	var stages []string
	for _, s := range pl.Stages {
		stages = append(stages, s.Key)
	}
	b, err := a.Views.Kanban(r.Context(), opportunityview.ReaderOf(httpkit.ActorOf(r.Context())), id, stages, cards)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(b), nil
}

// forecast: GET /api/v1/opportunity-forecast?from=2026-12&months=6&pipelineId= sums the weighted
// amounts of open opportunities by expected close month.
func (a api) forecast(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	pid := p.UUID("pipelineId")
	months := p.Int("months", 1, opportunityview.MaxForecastMonths, 6, "must be a number from 1 to 24")
	from := a.Kit.Clock()
	if s := p.Str("from"); s != "" {
		t, err := time.Parse("2006-01", s)
		if err != nil {
			p.Fail("from", "must be a month written 2006-01; got %q", s)
		}
		from = t
	}
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	out, err := a.Views.Forecast(r.Context(), opportunityview.ReaderOf(httpkit.ActorOf(r.Context())), pid, from, months)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(httpkit.All(out)), nil
}

func (a api) pipelines(r *http.Request) (httpkit.Reply, error) {
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	ps, err := a.Views.Pipelines(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(httpkit.All(ps)), nil
}

func (a api) pipelineView(ctx context.Context, _ access.Actor, id uuid.UUID) (any, error) {
	return a.Views.Pipeline(ctx, id)
}

// PipelineBody defines or revises a pipeline.
type PipelineBody struct {
	ID       string              `json:"id"`
	Name     string              `json:"name"`
	Stages   []opportunity.Stage `json:"stages"`
	Disabled bool                `json:"disabled"`
}

func (a api) definePipeline(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.SettingsManage); err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.Create[PipelineBody]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *PipelineBody) (commands.Result, error) {
		id := uuid.Nil
		if in.ID != "" {
			var err error
			if id, err = httpkit.ParseUUID("id", in.ID); err != nil {
				return commands.Result{}, err
			}
		}
		if in.Disabled {
			return commands.Result{}, httpkit.Invalid("disabled", "a new pipeline starts enabled")
		}
		return a.Opportunities.DefinePipeline(ctx, m, id, in.Name, in.Stages)
	}, Answer: httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/pipelines", ReplayOK: true, Projection: projection, View: a.pipelineView}}.Handle(r)
}

func (a api) revisePipeline(ctx context.Context, m commands.Meta, id uuid.UUID, in *PipelineBody) (commands.Result, error) {
	if in.ID != "" && in.ID != id.String() {
		return commands.Result{}, httpkit.Invalid("id", "differs from the pipeline of the path")
	}
	return a.Opportunities.RevisePipeline(ctx, m, id, in.Name, in.Stages, in.Disabled)
}

// funnel: GET /api/v1/opportunity-funnel?pipelineId=&from=2026-01&to=2026-12&ownerId=&departmentId=
// measures the opportunities created in the months from..to (default: this year so far).
func (a api) funnel(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	pid := p.UUID("pipelineId")
	now := a.Kit.Clock().UTC()
	from, to := p.Str("from"), p.Str("to")
	if from == "" {
		from = now.Format("2006") + "-01"
	}
	if to == "" {
		to = now.Format("2006-01")
	}
	q := opportunityview.FunnelQuery{Reader: opportunityview.ReaderOf(httpkit.ActorOf(r.Context())), From: from, To: to,
		OwnerID: p.UUID("ownerId"), DepartmentID: p.UUID("departmentId")}
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	q.PipelineID = opportunity.DefaultPipelineID
	if pid != nil {
		q.PipelineID = *pid
	}
	pl, err := a.Views.Pipeline(r.Context(), q.PipelineID)
	if err != nil {
		return httpkit.Reply{}, err
	}
	for _, s := range pl.Stages {
		q.Stages = append(q.Stages, s.Key)
	}
	f, err := a.Views.Funnel(r.Context(), q)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(f), nil
}
