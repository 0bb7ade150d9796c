// Package scheduleapi is the HTTP API of schedules (日程): the list with the views of the
// requirement documents (mine, created by me, my subordinates', participating, all), the
// calendar (a window's occurrences with recurrences expanded; today by default), entering,
// editing, moving to another calendar, editing or cancelling one occurrence, deleting, history
// and as-of snapshots, and the personal iCalendar feed (a secret, revocable URL). The export is
// in importapi (GET /schedules/export), with the list's filters.
package scheduleapi

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/schedulecmd"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/schedule"
	"github.com/chronicle-crm/chronicle/readmodels/scheduleview"
)

// OpenAPI is this module's part of the OpenAPI document.
//
//go:embed openapi.json
var OpenAPI []byte

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: schedule.ErrNotEditor, Status: http.StatusForbidden, Code: "not_editor"},
		httpkit.ErrorCode{Err: schedule.ErrNoOccurrence, Status: http.StatusNotFound, Code: "no_occurrence"},
		httpkit.ErrorCode{Err: schedule.ErrDeleted, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: schedule.ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	)
}

// Deps are what the schedule API needs.
type Deps struct {
	Kit       *httpkit.Kit
	Schedules schedulecmd.Commands
	Feeds     *schedulecmd.Feeds
	Views     *scheduleview.Views
	// Tasks are the user's open tasks due in [from, to), for the calendar feed (a port the wiring
	// fills from the task read model).
	Tasks func(ctx context.Context, user uuid.UUID, from, to time.Time) ([]FeedTask, error)
	// Org tells whether a feed's owner is still an active user.
	Org access.Directory
	// Now is the application's clock.
	Now func() time.Time
}

var projection = []string{scheduleview.Projection}

// Routes registers the schedule endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	ans := httpkit.Answer{Projection: projection, View: a.view}
	rt.Handle(http.MethodGet, "/schedules", httpkit.List(d.Kit, projection, func(r *http.Request) (scheduleview.Query, error) {
		p := httpkit.Params(r.URL.Query())
		q := Query(p, httpkit.ActorOf(r.Context()))
		q.Limit, q.Cursor = p.Limit(), p.Str("cursor")
		return q, p.Err()
	}, d.Views.Search))
	rt.Handle(http.MethodPost, "/schedules", a.create)
	rt.Handle(http.MethodGet, "/schedules/{id}", httpkit.NoAsOf(httpkit.Get(d.Kit, projection, a.read, func(e *scheduleview.Entry) int64 { return e.Version })))
	rt.Handle(http.MethodGet, "/schedules/{id}/snapshot", httpkit.Snapshot(d.Schedules.AsOf))
	rt.Handle(http.MethodGet, "/schedules/{id}/history", httpkit.History(d.Schedules.History, httpkit.HistoryItems))
	rt.Handle(http.MethodPatch, "/schedules/{id}", httpkit.OnRecord[Patch]{Kit: d.Kit, Run: a.update, Answer: ans}.Handle)
	rt.Handle(http.MethodDelete, "/schedules/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Schedules.Delete(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodPost, "/schedules/{id}/owner", httpkit.OnRecord[OwnerBody]{Kit: d.Kit, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *OwnerBody) (commands.Result, error) {
			to, err := httpkit.ParseUUID("ownerId", in.OwnerID)
			if err != nil {
				return commands.Result{}, err
			}
			return a.Schedules.ChangeOwner(ctx, m, id, to)
		}}.Handle)
	rt.Handle(http.MethodPost, "/schedules/{id}/occurrences", httpkit.OnRecord[OccurrenceBody]{Kit: d.Kit, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *OccurrenceBody) (commands.Result, error) {
			if in.Occurrence == "" {
				return commands.Result{}, &field.Error{Field: "occurrence", Message: "is required"}
			}
			o := schedule.Override{Start: in.Start, End: in.End, Title: in.Title, Location: in.Location, Description: in.Description}
			return a.Schedules.EditOccurrence(ctx, m, id, in.Occurrence, o)
		}}.Handle)
	rt.Handle(http.MethodPost, "/schedules/{id}/occurrences/cancel", httpkit.OnRecord[CancelBody]{Kit: d.Kit, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *CancelBody) (commands.Result, error) {
			if in.Occurrence == "" {
				return commands.Result{}, &field.Error{Field: "occurrence", Message: "is required"}
			}
			return a.Schedules.CancelOccurrence(ctx, m, id, in.Occurrence)
		}}.Handle)
	rt.Handle(http.MethodGet, "/calendar", a.calendar)
	rt.Handle(http.MethodGet, "/calendar/feed", a.feedStatus)
	rt.HandleUnreplayed(http.MethodPost, "/calendar/feed", a.issueFeed)
	rt.Handle(http.MethodDelete, "/calendar/feed", a.revokeFeed)
	rt.HandlePublic(http.MethodGet, "/calendar/feed/{token}", a.feed)
}

type api struct{ Deps }

func (a api) read(ctx context.Context, actor access.Actor, id uuid.UUID) (*scheduleview.Entry, error) {
	return a.Views.Get(ctx, scheduleview.ReaderOf(actor), id)
}

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.read(ctx, actor, id)
}

// Query reads the filters of a schedule search (the export shares them): view, q, ownerId,
// relatedId, from and to (dates in Zone: the entries whose series overlaps them), sort.
func Query(p *httpkit.ParamReader, actor access.Actor) scheduleview.Query {
	q := scheduleview.Query{Reader: scheduleview.ReaderOf(actor), View: p.Enum("view", scheduleview.ViewNames...), Q: p.Str("q"),
		Sort: p.Str("sort"), Owner: p.UUID("ownerId"), RelatedID: p.UUID("relatedId")}
	q.From, q.To = day(p, "from", false), day(p, "to", true)
	return q
}

// day reads a date parameter as the start of that day in Zone (next: of the day after).
func day(p *httpkit.ParamReader, name string, next bool) *time.Time {
	v := p.Str(name)
	if v == "" {
		return nil
	}
	if err := field.Date(name, v); err != nil {
		p.Add(name, err)
		return nil
	}
	d, _ := time.ParseInLocation(time.DateOnly, v, schedule.Zone)
	if next {
		d = d.AddDate(0, 0, 1)
	}
	return &d
}

// ScheduleCreate is the body of POST /api/v1/schedules.
type ScheduleCreate struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Description  string   `json:"description"`
	Location     string   `json:"location"`
	AllDay       bool     `json:"allDay"`
	Start        string   `json:"start"`
	End          string   `json:"end"`
	Recurrence   string   `json:"recurrence"`
	RelatedKind  string   `json:"relatedKind"`
	RelatedID    string   `json:"relatedId"`
	Participants []string `json:"participants"`
	Reminders    *[]int   `json:"reminders"`
	OwnerID      string   `json:"ownerId"`
}

func (a api) create(r *http.Request) (httpkit.Reply, error) {
	return httpkit.Create[ScheduleCreate]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *ScheduleCreate) (commands.Result, error) {
		c := schedulecmd.Create{Fields: schedule.Fields{Title: in.Title, Description: in.Description, Location: in.Location, AllDay: in.AllDay,
			Start: in.Start, End: in.End, Recurrence: in.Recurrence, RelatedKind: in.RelatedKind, RelatedID: in.RelatedID, Participants: in.Participants}}
		if in.Reminders != nil {
			c.Fields.Reminders = append([]int{}, *in.Reminders...)
		}
		if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: in.ID, Dst: &c.ID}, httpkit.BodyID{Field: "ownerId", Text: in.OwnerID, Dst: &c.OwnerID}); err != nil {
			return commands.Result{}, err
		}
		return a.Schedules.Create(ctx, m, c)
	}, Answer: httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/schedules", ReplayOK: true, Projection: projection, View: a.view}}.Handle(r)
}

// Patch is the body of PATCH /api/v1/schedules/{id}: the fields to change (null or "" clears an
// optional one; an empty list clears a list). A change of allDay, start, end or recurrence drops
// the series' edited and cancelled occurrences.
type Patch struct {
	Title        httpkit.Opt[string]   `json:"title"`
	Description  httpkit.Opt[string]   `json:"description"`
	Location     httpkit.Opt[string]   `json:"location"`
	AllDay       httpkit.Opt[bool]     `json:"allDay"`
	Start        httpkit.Opt[string]   `json:"start"`
	End          httpkit.Opt[string]   `json:"end"`
	Recurrence   httpkit.Opt[string]   `json:"recurrence"`
	RelatedKind  httpkit.Opt[string]   `json:"relatedKind"`
	RelatedID    httpkit.Opt[string]   `json:"relatedId"`
	Participants httpkit.Opt[[]string] `json:"participants"`
	Reminders    httpkit.Opt[[]int]    `json:"reminders"`
}

func (in Patch) patch() schedule.Patch {
	p := schedule.Patch{Title: in.Title.Field(), Description: in.Description.Field(), Location: in.Location.Field(), Start: in.Start.Field(),
		End: in.End.Field(), Recurrence: in.Recurrence.Field(), RelatedKind: in.RelatedKind.Field(), RelatedID: in.RelatedID.Field()}
	if in.AllDay.Set {
		v := in.AllDay.Value
		p.AllDay = &v
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
	return a.Schedules.Update(ctx, m, id, p)
}

// OwnerBody names the calendar the entry moves to.
type OwnerBody struct {
	OwnerID string `json:"ownerId"`
}

// OccurrenceBody edits one occurrence of a series: occurrence is its name (its original start as
// the calendar lists it), start and end its new times (of the series' kind), and title, location
// and description, where given, its own.
type OccurrenceBody struct {
	Occurrence  string  `json:"occurrence"`
	Start       string  `json:"start"`
	End         string  `json:"end"`
	Title       *string `json:"title"`
	Location    *string `json:"location"`
	Description *string `json:"description"`
}

// CancelBody names the occurrence of a series that will not take place.
type CancelBody struct {
	Occurrence string `json:"occurrence"`
}

// MaxWindow is the longest calendar window one request expands.
const MaxWindow = 366 * 24 * time.Hour

// Slot is an occurrence as the calendar lists it. OwnerID and CreatorID tell the calendar which
// occurrences the reader may edit (and so drag to another time): the owner's and the creator's.
type Slot struct {
	ScheduleID  uuid.UUID  `json:"scheduleId"`
	Occurrence  string     `json:"occurrence"`
	Start       string     `json:"start"`
	End         string     `json:"end"`
	AllDay      bool       `json:"allDay"`
	Title       string     `json:"title"`
	Location    string     `json:"location"`
	Recurring   bool       `json:"recurring"`
	Edited      bool       `json:"edited"`
	OwnerID     *uuid.UUID `json:"ownerId"`
	OwnerName   string     `json:"ownerName"`
	CreatorID   uuid.UUID  `json:"creatorId"`
	RelatedKind string     `json:"relatedKind"`
	RelatedID   *uuid.UUID `json:"relatedId"`
	RelatedName string     `json:"relatedName"`
	Version     int64      `json:"version"`
	sortKey     int64      // the start, in Unix nanoseconds
}

// calendar answers GET /calendar: the occurrences of the view's entries in [from, to] (dates in
// Zone, to inclusive; today when neither is given), earliest first; truncated when the window
// held more entries or occurrences than one answer carries.
func (a api) calendar(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	q := Query(p, httpkit.ActorOf(r.Context()))
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	from, to := q.From, q.To
	if from == nil && to == nil {
		now := a.Now().In(schedule.Zone)
		d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, schedule.Zone)
		next := d.AddDate(0, 0, 1)
		from, to = &d, &next
	}
	switch {
	case from == nil:
		return httpkit.Reply{}, httpkit.Invalid("from", "is required with to")
	case to == nil:
		return httpkit.Reply{}, httpkit.Invalid("to", "is required with from")
	case !to.After(*from):
		return httpkit.Reply{}, httpkit.Invalid("to", "is before from")
	case to.Sub(*from) > MaxWindow:
		return httpkit.Reply{}, httpkit.Invalid("to", "is more than 366 days after from")
	}
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	slots, truncated, err := Calendar(r.Context(), a.Views, q, *from, *to)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(map[string]any{"items": slots, "truncated": truncated,
		"from": from.Format(time.DateOnly), "to": to.AddDate(0, 0, -1).Format(time.DateOnly)}), nil
}

// MaxSlots bounds the occurrences one calendar answer lists.
const MaxSlots = 5000

// Expand lists the entries' occurrences in the window, earliest first (at most MaxSlots).
func Expand(entries []*scheduleview.Entry, from, to time.Time) ([]Slot, bool) {
	x := expansion{from: from, to: to, slots: make([]Slot, 0, min(2*len(entries), MaxSlots+1))}
	for _, e := range entries {
		x.add(e)
	}
	return x.done()
}

// Calendar reads a view's window and expands it as it is read (the entries are never held: a
// manager's month is thousands), earliest first; truncated when the window held more entries or
// occurrences than one answer carries.
func Calendar(ctx context.Context, v *scheduleview.Views, q scheduleview.Query, from, to time.Time) ([]Slot, bool, error) {
	x := expansion{from: from, to: to, slots: make([]Slot, 0, 256)}
	truncated, err := v.CalendarWindow(ctx, q, from, to, x.add)
	if err != nil {
		return nil, false, err
	}
	slots, more := x.done()
	return slots, truncated || more, nil
}

// expansion collects the occurrences of the entries added, one at a time.
type expansion struct {
	from, to time.Time
	slots    []Slot
	occ      []schedule.Occurrence // one buffer for every series' occurrences
	more     bool
}

// add appends e's occurrences in the window (e is not kept).
func (x *expansion) add(e *scheduleview.Entry) {
	if len(x.slots) > MaxSlots { // the answer is cut anyway: expand no further
		x.more = true
		return
	}
	if e.Recurrence == "" { // a single entry: its one occurrence is its columns
		sp := schedule.Span{Start: e.StartAt, End: e.EndAt}
		if !schedule.Overlaps(sp, x.from, x.to) {
			return
		}
		start, end := schedule.Format(sp, e.AllDay)
		x.slots = append(x.slots, Slot{ScheduleID: e.ID, Occurrence: start, Start: start, End: end, AllDay: e.AllDay, Title: e.Title,
			Location: e.Location, OwnerID: e.OwnerID, OwnerName: e.OwnerName, CreatorID: e.CreatorID, RelatedKind: e.RelatedKind, RelatedID: e.RelatedID,
			RelatedName: e.RelatedName, Version: e.Version, sortKey: sp.Start.UnixNano()})
		return
	}
	var truncated bool
	x.occ, truncated = e.Series().ExpandInto(x.occ, x.from, x.to, MaxSlots+1-len(x.slots))
	x.more = x.more || truncated
	for _, o := range x.occ {
		x.slots = append(x.slots, Slot{ScheduleID: e.ID, Occurrence: o.Key, Start: o.Start, End: o.End, AllDay: e.AllDay, Title: o.Title,
			Location: o.Location, Recurring: true, Edited: o.Edited, OwnerID: e.OwnerID, OwnerName: e.OwnerName, CreatorID: e.CreatorID,
			RelatedKind: e.RelatedKind, RelatedID: e.RelatedID, RelatedName: e.RelatedName, Version: e.Version, sortKey: o.Span().Start.UnixNano()})
	}
}

// done orders the occurrences (at most MaxSlots; more when there were more).
func (x *expansion) done() ([]Slot, bool) {
	sortSlots(x.slots)
	if len(x.slots) > MaxSlots {
		return x.slots[:MaxSlots], true
	}
	return x.slots, x.more
}
