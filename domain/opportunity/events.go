package opportunity

import (
	"time"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Money in events is canonical decimal text ("1200.50"); dates are "2006-01-02".

// Created: an opportunity was entered in a pipeline's first (or a chosen) stage.
type Created struct {
	OpportunityID string    `json:"opportunityId"`
	Fields        Fields    `json:"fields"`
	PipelineID    string    `json:"pipelineId"`
	Stage         string    `json:"stage"`
	StageProb     int       `json:"stageProbability"`
	OwnerID       string    `json:"ownerId"`
	Lines         []Line    `json:"lines,omitempty"`
	Amount        string    `json:"amount"`
	FromLeadID    string    `json:"fromLeadId,omitempty"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// Updated: fields changed (only those in the patch).
type Updated struct {
	OpportunityID string    `json:"opportunityId"`
	Patch         Patch     `json:"patch"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// StageChanged: the opportunity advanced or moved back, with a note.
type StageChanged struct {
	OpportunityID string    `json:"opportunityId"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	Probability   int       `json:"probability"` // the new stage's
	Forward       bool      `json:"forward"`
	Note          string    `json:"note,omitempty"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// LinesSet: the line items were replaced; Amount is their sum.
type LinesSet struct {
	OpportunityID string    `json:"opportunityId"`
	Lines         []Line    `json:"lines"`
	Amount        string    `json:"amount"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// Won: the deal was closed with a final amount on a date. CustomerID names the customer that
// made the deal (the process marking the customer closed-deal reads it).
type Won struct {
	OpportunityID string    `json:"opportunityId"`
	CustomerID    string    `json:"customerId"`
	Stage         string    `json:"stage"`
	Amount        string    `json:"amount"`
	Date          string    `json:"date"`
	Note          string    `json:"note,omitempty"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// Lost: the deal was lost, with a reason from the dictionary (lost_reason).
type Lost struct {
	OpportunityID string    `json:"opportunityId"`
	Stage         string    `json:"stage"`
	Reason        string    `json:"reason"`
	Competitor    string    `json:"competitor,omitempty"`
	Note          string    `json:"note,omitempty"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// Reopened: a manager reopened a won or lost opportunity into a stage.
type Reopened struct {
	OpportunityID string    `json:"opportunityId"`
	From          Status    `json:"from"`
	Stage         string    `json:"stage"`
	Probability   int       `json:"probability"`
	Note          string    `json:"note,omitempty"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// Assigned: a manager assigned the opportunity to an account manager in their scope.
type Assigned struct {
	OpportunityID string    `json:"opportunityId"`
	From          string    `json:"from,omitempty"`
	To            string    `json:"to"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// Deleted: the opportunity left every list; its history stays.
type Deleted struct {
	OpportunityID string    `json:"opportunityId"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// FollowedUp: contact with the customer about the opportunity (a call, a visit…), recorded on
// the opportunity's own stream.
type FollowedUp struct {
	OpportunityID  string     `json:"opportunityId"`
	FollowUpID     string     `json:"followUpId"`
	Type           string     `json:"type"`
	Content        string     `json:"content"`
	At             time.Time  `json:"at"`
	NextFollowUpAt *time.Time `json:"nextFollowUpAt,omitempty"`
	By             string     `json:"by"`
}

func (FollowedUp) EventType() string { return "opportunity.followed_up.v1" }

// PlanStepAdded: a dated step of the development plan (the planned action).
type PlanStepAdded struct {
	OpportunityID string    `json:"opportunityId"`
	StepID        string    `json:"stepId"`
	Date          string    `json:"date"`
	Action        string    `json:"action"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

// PlanStepRecorded: the result of a plan step was recorded.
type PlanStepRecorded struct {
	OpportunityID string    `json:"opportunityId"`
	StepID        string    `json:"stepId"`
	Result        string    `json:"result"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

func (Created) EventType() string          { return "opportunity.created.v1" }
func (Updated) EventType() string          { return "opportunity.updated.v1" }
func (StageChanged) EventType() string     { return "opportunity.stage_changed.v1" }
func (LinesSet) EventType() string         { return "opportunity.lines_set.v1" }
func (Won) EventType() string              { return "opportunity.won.v1" }
func (Lost) EventType() string             { return "opportunity.lost.v1" }
func (Reopened) EventType() string         { return "opportunity.reopened.v1" }
func (Assigned) EventType() string         { return "opportunity.assigned.v1" }
func (Deleted) EventType() string          { return "opportunity.deleted.v1" }
func (PlanStepAdded) EventType() string    { return "opportunity.plan_step_added.v1" }
func (PlanStepRecorded) EventType() string { return "opportunity.plan_step_recorded.v1" }

// Register adds the opportunity and pipeline events to a registry.
func Register(r *event.Registry) {
	r.Register(
		func() event.Event { return &Created{} },
		func() event.Event { return &Updated{} },
		func() event.Event { return &StageChanged{} },
		func() event.Event { return &LinesSet{} },
		func() event.Event { return &Won{} },
		func() event.Event { return &Lost{} },
		func() event.Event { return &Reopened{} },
		func() event.Event { return &Assigned{} },
		func() event.Event { return &Deleted{} },
		func() event.Event { return &PlanStepAdded{} },
		func() event.Event { return &PlanStepRecorded{} },
		func() event.Event { return &FollowedUp{} },
		func() event.Event { return &PipelineDefined{} },
		func() event.Event { return &PipelineRevised{} },
	)
}
