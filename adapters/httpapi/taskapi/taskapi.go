// Package taskapi is the HTTP API of tasks (任务): the list with the views of the requirement
// documents (mine, due today, overdue, created by me, participating, my subordinates', all),
// entering, editing, assigning, moving the status, the checklist, comments, deleting, history and
// as-of snapshots. The export is in importapi (GET /tasks/export), with the list's filters.
package taskapi

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/taskcmd"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/task"
	"github.com/chronicle-crm/chronicle/readmodels/taskview"
)

// OpenAPI is this module's part of the OpenAPI document.
//
//go:embed openapi.json
var OpenAPI []byte

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: task.ErrNotCreator, Status: http.StatusForbidden, Code: "not_creator"},
		httpkit.ErrorCode{Err: task.ErrNotAssignee, Status: http.StatusForbidden, Code: "not_assignee"},
		httpkit.ErrorCode{Err: task.ErrNotInvolved, Status: http.StatusForbidden, Code: "not_involved"},
		httpkit.ErrorCode{Err: task.ErrClosed, Status: http.StatusConflict, Code: "task_closed"},
		httpkit.ErrorCode{Err: task.ErrTransition, Status: http.StatusConflict, Code: "bad_transition"},
		httpkit.ErrorCode{Err: task.ErrNoItem, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: task.ErrDeleted, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: task.ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	)
}

// Deps are what the task API needs.
type Deps struct {
	Kit   *httpkit.Kit
	Tasks taskcmd.Commands
	Views *taskview.Views
	// Now is the application's clock (what overdue and today are judged by).
	Now func() time.Time
}

var projection = []string{taskview.Projection}

// Routes registers the task endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	ans := httpkit.Answer{Projection: projection, View: a.view}
	rt.Handle(http.MethodGet, "/tasks", httpkit.List(d.Kit, projection, func(r *http.Request) (taskview.Query, error) {
		p := httpkit.Params(r.URL.Query())
		q := Query(p, httpkit.ActorOf(r.Context()), d.Now())
		q.Limit, q.Cursor = p.Limit(), p.Str("cursor")
		return q, p.Err()
	}, d.Views.Search))
	rt.Handle(http.MethodPost, "/tasks", a.create)
	rt.Handle(http.MethodGet, "/tasks/{id}", httpkit.NoAsOf(httpkit.Get(d.Kit, projection, a.read, func(t *taskview.Task) int64 { return t.Version })))
	rt.Handle(http.MethodGet, "/tasks/{id}/snapshot", httpkit.Snapshot(d.Tasks.AsOf))
	rt.Handle(http.MethodGet, "/tasks/{id}/history", httpkit.History(d.Tasks.History, httpkit.HistoryItems))
	rt.Handle(http.MethodPatch, "/tasks/{id}", httpkit.OnRecord[Patch]{Kit: d.Kit, Run: a.update, Answer: ans}.Handle)
	rt.Handle(http.MethodDelete, "/tasks/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Tasks.Delete(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodPost, "/tasks/{id}/assign", httpkit.OnRecord[AssignBody]{Kit: d.Kit, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *AssignBody) (commands.Result, error) {
			to, err := httpkit.ParseUUID("assigneeId", in.AssigneeID)
			if err != nil {
				return commands.Result{}, err
			}
			return a.Tasks.Assign(ctx, m, id, to)
		}}.Handle)
	rt.Handle(http.MethodPost, "/tasks/{id}/status", httpkit.OnRecord[StatusBody]{Kit: d.Kit, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *StatusBody) (commands.Result, error) {
			return a.Tasks.SetStatus(ctx, m, id, task.Status(in.Status), in.Note)
		}}.Handle)
	rt.Handle(http.MethodPost, "/tasks/{id}/checklist", httpkit.OnRecord[ItemBody]{Kit: d.Kit, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *ItemBody) (commands.Result, error) {
			var itemID uuid.UUID
			if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: in.ID, Dst: &itemID}); err != nil {
				return commands.Result{}, err
			}
			res, err := a.Tasks.AddItem(ctx, m, id, itemID, in.Text)
			res.ID = id
			return res, err
		}}.Handle)
	rt.Handle(http.MethodPatch, "/tasks/{id}/checklist/{item}", a.onItem(httpkit.BodyJSON, func(ctx context.Context, m commands.Meta, id, item uuid.UUID, in *CheckBody) (commands.Result, error) {
		if in.Done == nil {
			return commands.Result{}, &field.Error{Field: "done", Message: "is required"}
		}
		return a.Tasks.CheckItem(ctx, m, id, item, *in.Done)
	}))
	rt.Handle(http.MethodDelete, "/tasks/{id}/checklist/{item}", a.onItem(httpkit.BodyNone, func(ctx context.Context, m commands.Meta, id, item uuid.UUID, _ *CheckBody) (commands.Result, error) {
		return a.Tasks.RemoveItem(ctx, m, id, item)
	}))
	rt.Handle(http.MethodGet, "/tasks/{id}/comments", a.comments)
	rt.Handle(http.MethodPost, "/tasks/{id}/comments", httpkit.OnRecord[CommentBody]{Kit: d.Kit,
		Answer: httpkit.Answer{Status: http.StatusCreated, Projection: projection, View: a.view},
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *CommentBody) (commands.Result, error) {
			res, err := a.Tasks.Comment(ctx, m, id, in.Text)
			res.ID = id
			return res, err
		}}.Handle)
}

type api struct{ Deps }

func (a api) read(ctx context.Context, actor access.Actor, id uuid.UUID) (*taskview.Task, error) {
	return a.Views.Get(ctx, taskview.ReaderOf(actor), id)
}

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.read(ctx, actor, id)
}

// Query reads the filters of a task search (the export shares them): view, q, status and
// priority (repeatable), assigneeId, relatedId, dueFrom and dueTo (dates, in tz), sort; tz is
// the reader's time zone (IANA name; Asia/Shanghai unless given), which "today" and the due
// dates are judged in.
func Query(p *httpkit.ParamReader, actor access.Actor, now time.Time) taskview.Query {
	q := taskview.Query{Reader: taskview.ReaderOf(actor), View: p.Enum("view", taskview.ViewNames...), Q: p.Str("q"), Sort: p.Str("sort"),
		Status:   p.List("status", task.Statuses, "must be not_started, in_progress, done or cancelled; got %q"),
		Priority: p.List("priority", task.Priorities, "must be urgent, high, normal or low; got %q"),
		Assignee: p.UUID("assigneeId"), RelatedID: p.UUID("relatedId"), Now: now}
	zone := time.FixedZone("CST", 8*3600)
	if tz := p.Str("tz"); tz != "" {
		if len(tz) > 64 {
			p.Fail("tz", "is not a time zone")
		} else if z, err := time.LoadLocation(tz); err != nil {
			p.Fail("tz", "is not a time zone: %q", tz)
		} else {
			zone = z
		}
	}
	local := now.In(zone)
	q.DayStart = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	q.DayEnd = q.DayStart.AddDate(0, 0, 1)
	day := func(name string, next bool) *time.Time {
		v := p.Str(name)
		if v == "" {
			return nil
		}
		if err := field.Date(name, v); err != nil {
			p.Add(name, err)
			return nil
		}
		d, _ := time.ParseInLocation(time.DateOnly, v, zone)
		if next {
			d = d.AddDate(0, 0, 1)
		}
		return &d
	}
	q.DueFrom, q.DueTo = day("dueFrom", false), day("dueTo", true)
	return q
}

// TaskCreate is the body of POST /api/v1/tasks.
type TaskCreate struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Description  string   `json:"description"`
	RelatedKind  string   `json:"relatedKind"`
	RelatedID    string   `json:"relatedId"`
	Priority     string   `json:"priority"`
	StartAt      string   `json:"startAt"`
	DueAt        string   `json:"dueAt"`
	Participants []string `json:"participants"`
	Reminders    *[]int   `json:"reminders"`
	AssigneeID   string   `json:"assigneeId"`
}

func (a api) create(r *http.Request) (httpkit.Reply, error) {
	return httpkit.Create[TaskCreate]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *TaskCreate) (commands.Result, error) {
		c := taskcmd.Create{Fields: task.Fields{Title: in.Title, Description: in.Description, RelatedKind: in.RelatedKind, RelatedID: in.RelatedID,
			Priority: task.Priority(in.Priority), StartAt: in.StartAt, DueAt: in.DueAt, Participants: in.Participants}}
		if in.Reminders != nil {
			c.Fields.Reminders = append([]int{}, *in.Reminders...)
		}
		if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: in.ID, Dst: &c.ID}, httpkit.BodyID{Field: "assigneeId", Text: in.AssigneeID, Dst: &c.AssigneeID}); err != nil {
			return commands.Result{}, err
		}
		return a.Tasks.Create(ctx, m, c)
	}, Answer: httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/tasks", ReplayOK: true, Projection: projection, View: a.view}}.Handle(r)
}

// Patch is the body of PATCH /api/v1/tasks/{id}: the fields to change (null or "" clears an
// optional one; an empty list clears a list).
type Patch struct {
	Title        httpkit.Opt[string]   `json:"title"`
	Description  httpkit.Opt[string]   `json:"description"`
	RelatedKind  httpkit.Opt[string]   `json:"relatedKind"`
	RelatedID    httpkit.Opt[string]   `json:"relatedId"`
	Priority     httpkit.Opt[string]   `json:"priority"`
	StartAt      httpkit.Opt[string]   `json:"startAt"`
	DueAt        httpkit.Opt[string]   `json:"dueAt"`
	Participants httpkit.Opt[[]string] `json:"participants"`
	Reminders    httpkit.Opt[[]int]    `json:"reminders"`
}

func (in Patch) patch() task.Patch {
	p := task.Patch{Title: in.Title.Field(), Description: in.Description.Field(), RelatedKind: in.RelatedKind.Field(), RelatedID: in.RelatedID.Field(),
		StartAt: in.StartAt.Field(), DueAt: in.DueAt.Field()}
	if in.Priority.Set {
		v := task.Priority(in.Priority.Value)
		p.Priority = &v
	}
	if in.Participants.Set {
		v := append([]string{}, in.Participants.Value...)
		p.Participants = &v
	}
	if in.Reminders.Set {
		v := append([]int{}, in.Reminders.Value...)
		p.Reminders = &v
	}
	return p
}

func (a api) update(ctx context.Context, m commands.Meta, id uuid.UUID, in *Patch) (commands.Result, error) {
	p := in.patch()
	if p.IsZero() {
		return commands.Result{}, httpkit.Invalid("(body)", "name at least one field to change")
	}
	return a.Tasks.Update(ctx, m, id, p)
}

// AssignBody names the new assignee.
type AssignBody struct {
	AssigneeID string `json:"assigneeId"`
}

// StatusBody moves the status; note is the completion note (or why it was cancelled).
type StatusBody struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// ItemBody adds a checklist item (id: the client's id for the item, making a retry harmless).
type ItemBody struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// CheckBody ticks or unticks a checklist item.
type CheckBody struct {
	Done *bool `json:"done"`
}

// CommentBody is a comment.
type CommentBody struct {
	Text string `json:"text"`
}

// onItem runs a command on a checklist item of the path ({id}/checklist/{item}).
func (a api) onItem(body httpkit.Body, run func(ctx context.Context, m commands.Meta, id, item uuid.UUID, in *CheckBody) (commands.Result, error)) httpkit.Handler {
	return func(r *http.Request) (httpkit.Reply, error) {
		item, err := httpkit.ParseUUID("item", httpkit.PathVar(r, "item"))
		if err != nil {
			return httpkit.Reply{}, err
		}
		return httpkit.OnRecord[CheckBody]{Kit: a.Kit, Body: body, Answer: httpkit.Answer{Projection: projection, View: a.view},
			Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *CheckBody) (commands.Result, error) {
				res, err := run(ctx, m, id, item, in)
				res.ID = id
				return res, err
			}}.Handle(r)
	}
}

func (a api) comments(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	if err == nil {
		err = a.Kit.WaitFor(r, projection...)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	cs, err := a.Views.Comments(r.Context(), taskview.ReaderOf(httpkit.ActorOf(r.Context())), id)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(httpkit.All(cs)), nil
}
