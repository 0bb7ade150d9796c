// Package opportunity is the opportunity aggregate (商机): a deal in progress with a customer,
// moving through the stages of a pipeline until it is won or lost, with line items, a
// development plan, an owner, an assigned account manager and a team who may read it.
package opportunity

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
)

// Status is open, won or lost.
type Status string

const (
	StatusOpen Status = "open"
	StatusWon  Status = "won"
	StatusLost Status = "lost"
)

// Statuses lists the statuses.
var Statuses = []string{string(StatusOpen), string(StatusWon), string(StatusLost)}

// Rule violations.
var (
	ErrNotFound  = errors.New("opportunity not found")
	ErrDeleted   = errors.New("opportunity is deleted")
	ErrClosed    = errors.New("the opportunity is won or lost; reopen it first")
	ErrNotClosed = errors.New("the opportunity is open")
	ErrNoStep    = errors.New("no such plan step")
)

// StreamPrefix is the stream kind of opportunities.
const StreamPrefix = "opportunity"

// Stream returns the stream id of an opportunity.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// PlanStep is a step of the development plan.
type PlanStep struct {
	ID         string    `json:"id"`
	Date       string    `json:"date"`
	Action     string    `json:"action"`
	Result     string    `json:"result,omitempty"`
	RecordedAt time.Time `json:"recordedAt,omitzero"`
}

// Opportunity is the aggregate state.
type Opportunity struct {
	event.Root
	id         uuid.UUID
	fields     Fields
	pipeline   uuid.UUID
	stage      string
	stageProb  int
	status     Status
	owner      uuid.UUID
	assignee   uuid.UUID
	assignedAt time.Time
	lines      []Line
	amount     string
	plan       []PlanStep
	wonAmount  string
	closedOn   string
	lostReason string
	competitor string
	deleted    bool
	fromLead   string
	createdAt  time.Time
	updatedAt  time.Time
}

// New enters an opportunity in a stage of a pipeline (the first enabled one when stage is "").
func New(id uuid.UUID, f Fields, p *Pipeline, stage string, lines []LineInput, owner uuid.UUID, fromLead string, by uuid.UUID, at time.Time) (*Opportunity, error) {
	if id == uuid.Nil {
		return nil, field.Errorf("id", "is required")
	}
	if owner == uuid.Nil {
		return nil, field.Errorf("ownerId", "is required")
	}
	f = f.normalise()
	var errs []error
	errs = append(errs, f.Validate())
	var st Stage
	if p.Disabled() {
		errs = append(errs, &field.Error{Field: "pipelineId", Message: "the pipeline is disabled", Code: "pipeline_disabled"})
	} else if stage == "" {
		s, ok := p.FirstStage()
		if !ok {
			errs = append(errs, field.Errorf("stage", "the pipeline has no enabled stage"))
		}
		st = s
	} else {
		s, err := p.Enterable(stage)
		errs = append(errs, err)
		st = s
	}
	ls, sum, err := Lines(lines)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	amount := f.Amount
	if len(ls) > 0 {
		if f.Amount != "" && f.Amount != sum.String() {
			return nil, &field.Error{Field: "amount", Message: "follows the line items (their sum is " + sum.String() + "); leave it out", Code: "amount_from_lines"}
		}
		amount = sum.String()
		f.Amount = ""
	}
	if amount == "" {
		amount = money.Amount{}.String()
	}
	o := &Opportunity{id: id}
	e := Created{OpportunityID: id.String(), Fields: f, PipelineID: p.ID().String(), Stage: st.Key, StageProb: st.Probability,
		OwnerID: owner.String(), Lines: ls, Amount: amount, FromLeadID: fromLead, By: by.String(), At: at.UTC()}
	o.Record(o.apply, e)
	return o, nil
}

// Rehydrate rebuilds an opportunity from its history. Only repositories call it.
func Rehydrate(id uuid.UUID, history []event.Event) (*Opportunity, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Created); !ok {
		return nil, fmt.Errorf("opportunity %s: history starts with %s", id, history[0].EventType())
	}
	o := &Opportunity{id: id}
	o.Replay(o.apply, history, nil)
	return o, nil
}

func (o *Opportunity) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		o.fields, o.pipeline, o.stage, o.stageProb = e.Fields, parseID(e.PipelineID), e.Stage, e.StageProb
		o.owner, o.lines, o.amount, o.fromLead = parseID(e.OwnerID), slices.Clone(e.Lines), e.Amount, e.FromLeadID
		o.status, o.createdAt, o.updatedAt = StatusOpen, e.At, e.At
	case Updated:
		o.fields = o.fields.apply(e.Patch)
		if e.Patch.Amount != nil && len(o.lines) == 0 {
			o.amount = *e.Patch.Amount
		}
		o.updatedAt = e.At
	case StageChanged:
		o.stage, o.stageProb, o.updatedAt = e.To, e.Probability, e.At
	case LinesSet:
		o.lines, o.updatedAt = slices.Clone(e.Lines), e.At
		if len(e.Lines) > 0 {
			o.amount = e.Amount
		} else if o.fields.Amount != "" {
			o.amount = o.fields.Amount
		} else {
			o.amount = e.Amount
		}
	case Won:
		o.status, o.wonAmount, o.closedOn, o.updatedAt = StatusWon, e.Amount, e.Date, e.At
	case Lost:
		o.status, o.lostReason, o.competitor, o.closedOn, o.updatedAt = StatusLost, e.Reason, e.Competitor, e.At.Format(time.DateOnly), e.At
	case Reopened:
		o.status, o.stage, o.stageProb, o.updatedAt = StatusOpen, e.Stage, e.Probability, e.At
		o.wonAmount, o.closedOn, o.lostReason, o.competitor = "", "", "", ""
	case Assigned:
		o.assignee, o.assignedAt, o.updatedAt = parseID(e.To), e.At, e.At
	case Deleted:
		o.deleted, o.updatedAt = true, e.At
	case PlanStepAdded:
		o.plan = append(o.plan, PlanStep{ID: e.StepID, Date: e.Date, Action: e.Action})
	case PlanStepRecorded:
		for i := range o.plan {
			if o.plan[i].ID == e.StepID {
				o.plan[i].Result, o.plan[i].RecordedAt = e.Result, e.At
			}
		}
	}
}

func parseID(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

func (o *Opportunity) ID() uuid.UUID         { return o.id }
func (o *Opportunity) Fields() Fields        { return o.fields }
func (o *Opportunity) Pipeline() uuid.UUID   { return o.pipeline }
func (o *Opportunity) Stage() string         { return o.stage }
func (o *Opportunity) Status() Status        { return o.status }
func (o *Opportunity) Owner() uuid.UUID      { return o.owner }
func (o *Opportunity) Assignee() uuid.UUID   { return o.assignee }
func (o *Opportunity) Deleted() bool         { return o.deleted }
func (o *Opportunity) Lines() []Line         { return slices.Clone(o.lines) }
func (o *Opportunity) Amount() string        { return o.amount }
func (o *Opportunity) WonAmount() string     { return o.wonAmount }
func (o *Opportunity) Plan() []PlanStep      { return slices.Clone(o.plan) }
func (o *Opportunity) CustomerID() uuid.UUID { return parseID(o.fields.CustomerID) }

// Probability is the win probability: won 100, lost 0, else the override or the stage's.
func (o *Opportunity) Probability() int {
	switch {
	case o.status == StatusWon:
		return 100
	case o.status == StatusLost:
		return 0
	case o.fields.Probability != nil:
		return *o.fields.Probability
	}
	return o.stageProb
}

// Team is who may read the opportunity by name: the assignee and the team members.
func (o *Opportunity) Team() []uuid.UUID {
	var out []uuid.UUID
	if o.assignee != uuid.Nil {
		out = append(out, o.assignee)
	}
	for _, s := range o.fields.TeamIDs {
		if id := parseID(s); id != uuid.Nil && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (o *Opportunity) usable() error {
	if o.deleted {
		return ErrDeleted
	}
	return nil
}

func (o *Opportunity) open() error {
	if err := o.usable(); err != nil {
		return err
	}
	if o.status != StatusOpen {
		return ErrClosed
	}
	return nil
}

// Update changes fields; a change to nothing records nothing. The amount follows the lines when
// there are lines. A closed opportunity's fields may still be corrected (text, team), but not
// its customer or amount.
func (o *Opportunity) Update(p Patch, by uuid.UUID, at time.Time) error {
	if err := o.usable(); err != nil {
		return err
	}
	next := o.fields.apply(p).normalise()
	if err := next.Validate(); err != nil {
		return err
	}
	eff := o.fields.diff(next)
	if eff.Empty() {
		return nil
	}
	if eff.Amount != nil && len(o.lines) > 0 {
		return &field.Error{Field: "amount", Message: "follows the line items; change the lines instead", Code: "amount_from_lines"}
	}
	if o.status != StatusOpen && (eff.Amount != nil || eff.CustomerID != nil || eff.Probability != nil) {
		return ErrClosed
	}
	o.Record(o.apply, Updated{OpportunityID: o.id.String(), Patch: eff, By: by.String(), At: at.UTC()})
	return nil
}

// MoveStage advances or moves back to another stage of the opportunity's pipeline, with a note.
// Moving to the stage it is in records nothing.
func (o *Opportunity) MoveStage(p *Pipeline, to, note string, by uuid.UUID, at time.Time) error {
	if err := o.open(); err != nil {
		return err
	}
	if p.ID() != o.pipeline {
		return fmt.Errorf("opportunity %s: pipeline %s is not its own", o.id, p.ID())
	}
	note = strings.TrimSpace(note)
	if err := field.Text("note", note, 1000); err != nil {
		return err
	}
	if to == o.stage {
		return nil
	}
	st, err := p.Enterable(to)
	if err != nil {
		return err
	}
	stages := p.Stages()
	from := slices.IndexFunc(stages, func(s Stage) bool { return s.Key == o.stage })
	dest := slices.IndexFunc(stages, func(s Stage) bool { return s.Key == to })
	o.Record(o.apply, StageChanged{OpportunityID: o.id.String(), From: o.stage, To: to, Probability: st.Probability,
		Forward: dest > from, Note: note, By: by.String(), At: at.UTC()})
	return nil
}

// SetLines replaces the line items; the amount becomes their sum (with none, the entered amount).
func (o *Opportunity) SetLines(in []LineInput, by uuid.UUID, at time.Time) error {
	if err := o.open(); err != nil {
		return err
	}
	ls, sum, err := Lines(in)
	if err != nil {
		return err
	}
	if slices.Equal(ls, o.lines) {
		return nil
	}
	o.Record(o.apply, LinesSet{OpportunityID: o.id.String(), Lines: ls, Amount: sum.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Win closes the deal with a final amount (default: the current amount) on a date (default: the
// day of at, in the caller's calendar, given as date).
func (o *Opportunity) Win(amount, date, note string, by uuid.UUID, at time.Time) error {
	if err := o.open(); err != nil {
		return err
	}
	if amount == "" {
		amount = o.amount
	}
	a, err := money.NonNegativeAmount("amount", amount)
	errs := []error{err, CheckDate("date", date), field.Text("note", strings.TrimSpace(note), 1000)}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	o.Record(o.apply, Won{OpportunityID: o.id.String(), CustomerID: o.fields.CustomerID, Stage: o.stage, Amount: a.String(), Date: date,
		Note: strings.TrimSpace(note), By: by.String(), At: at.UTC()})
	return nil
}

// Lose closes the deal as lost with a reason (a lost_reason code the command checked), the
// competitor who won it and a note.
func (o *Opportunity) Lose(reason, competitor, note string, by uuid.UUID, at time.Time) error {
	if err := o.open(); err != nil {
		return err
	}
	reason, competitor, note = strings.TrimSpace(reason), strings.TrimSpace(competitor), strings.TrimSpace(note)
	if err := errors.Join(field.Required("reason", reason), field.Text("reason", reason, 40), field.Text("competitor", competitor, 200),
		field.Text("note", note, 1000)); err != nil {
		return err
	}
	o.Record(o.apply, Lost{OpportunityID: o.id.String(), Stage: o.stage, Reason: reason, Competitor: competitor, Note: note, By: by.String(), At: at.UTC()})
	return nil
}

// Reopen returns a won or lost opportunity to a stage (the one it closed in when stage is "").
func (o *Opportunity) Reopen(p *Pipeline, stage, note string, by uuid.UUID, at time.Time) error {
	if err := o.usable(); err != nil {
		return err
	}
	if o.status == StatusOpen {
		return ErrNotClosed
	}
	if stage == "" {
		stage = o.stage
	}
	st, err := p.Enterable(stage)
	if err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if err := field.Text("note", note, 1000); err != nil {
		return err
	}
	o.Record(o.apply, Reopened{OpportunityID: o.id.String(), From: o.status, Stage: st.Key, Probability: st.Probability, Note: note, By: by.String(), At: at.UTC()})
	return nil
}

// Assign names the account manager; the same one records nothing.
func (o *Opportunity) Assign(to uuid.UUID, by uuid.UUID, at time.Time) error {
	if err := o.usable(); err != nil {
		return err
	}
	if to == uuid.Nil {
		return field.Errorf("userId", "is required")
	}
	if to == o.assignee {
		return nil
	}
	e := Assigned{OpportunityID: o.id.String(), To: to.String(), By: by.String(), At: at.UTC()}
	if o.assignee != uuid.Nil {
		e.From = o.assignee.String()
	}
	o.Record(o.apply, e)
	return nil
}

// Delete removes the opportunity from every list.
func (o *Opportunity) Delete(by uuid.UUID, at time.Time) error {
	if err := o.usable(); err != nil {
		return err
	}
	o.Record(o.apply, Deleted{OpportunityID: o.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// AddPlanStep adds a dated step to the development plan (open opportunities only: the plan is
// closed when the opportunity is won or lost).
func (o *Opportunity) AddPlanStep(id uuid.UUID, date, action string, by uuid.UUID, at time.Time) error {
	if err := o.open(); err != nil {
		return err
	}
	action = strings.TrimSpace(action)
	if err := errors.Join(CheckDate("date", date), field.Required("action", action), field.Text("action", action, 1000)); err != nil {
		return err
	}
	if len(o.plan) >= MaxPlan {
		return field.Errorf("plan", "holds %d steps already; at most %d", len(o.plan), MaxPlan)
	}
	if slices.ContainsFunc(o.plan, func(s PlanStep) bool { return s.ID == id.String() }) {
		return nil // a retried request
	}
	o.Record(o.apply, PlanStepAdded{OpportunityID: o.id.String(), StepID: id.String(), Date: date, Action: action, By: by.String(), At: at.UTC()})
	return nil
}

// RecordPlanResult records what a plan step achieved.
func (o *Opportunity) RecordPlanResult(step uuid.UUID, result string, by uuid.UUID, at time.Time) error {
	if err := o.open(); err != nil {
		return err
	}
	i := slices.IndexFunc(o.plan, func(s PlanStep) bool { return s.ID == step.String() })
	if i < 0 {
		return ErrNoStep
	}
	result = strings.TrimSpace(result)
	if err := errors.Join(field.Required("result", result), field.Text("result", result, 2000)); err != nil {
		return err
	}
	if o.plan[i].Result == result {
		return nil
	}
	o.Record(o.apply, PlanStepRecorded{OpportunityID: o.id.String(), StepID: step.String(), Result: result, By: by.String(), At: at.UTC()})
	return nil
}

// RecordFollowUp notes contact with the customer about the opportunity (open or closed: a won
// deal is followed up too).
func (o *Opportunity) RecordFollowUp(id uuid.UUID, typ, content string, at time.Time, next *time.Time, by uuid.UUID) error {
	if err := o.usable(); err != nil {
		return err
	}
	content = strings.TrimSpace(content)
	if err := errors.Join(field.Required("type", typ), field.OneOf("type", typ, "call", "visit", "email", "meeting", "other"),
		field.Required("content", content), field.Text("content", content, 4000)); err != nil {
		return err
	}
	e := FollowedUp{OpportunityID: o.id.String(), FollowUpID: id.String(), Type: typ, Content: content, At: at.UTC(), By: by.String()}
	if next != nil {
		t := next.UTC()
		e.NextFollowUpAt = &t
	}
	o.Record(o.apply, e)
	return nil
}

// Snapshot is the opportunity as a flat map (history diffs, "as of").
func (o *Opportunity) Snapshot() map[string]any {
	f := o.fields
	m := map[string]any{"id": o.id.String(), "name": f.Name, "customerId": f.CustomerID, "pipelineId": o.pipeline.String(),
		"stage": o.stage, "status": string(o.status), "probability": o.Probability(), "amount": o.amount,
		"expectedCloseDate": f.ExpectedCloseDate, "source": f.Source, "summary": f.Summary, "description": f.Description,
		"nextStep": f.NextStep, "ownerId": o.owner.String(), "assigneeId": nil, "contactIds": strings.Join(f.ContactIDs, ","),
		"teamIds": strings.Join(f.TeamIDs, ","), "lines": len(o.lines), "wonAmount": o.wonAmount, "closedOn": o.closedOn,
		"lostReason": o.lostReason, "competitor": o.competitor, "deleted": o.deleted, "version": o.Version(),
		"createdAt": o.createdAt.Format(time.RFC3339Nano), "updatedAt": o.updatedAt.Format(time.RFC3339Nano)}
	if o.assignee != uuid.Nil {
		m["assigneeId"] = o.assignee.String()
	}
	return m
}
