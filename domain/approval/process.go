package approval

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// Status of a process.
const (
	Pending   = "pending"
	Approved  = "approved"
	Rejected  = "rejected"
	Withdrawn = "withdrawn"
)

// Process errors.
var (
	ErrNotPending         = errors.New("nothing waits for an approval")
	ErrNotCurrentApprover = errors.New("you are not an approver of the step that waits")
	ErrNotSubmitter       = errors.New("only the submitter withdraws a submission")
)

// NoApproverError: a step of the flow resolves to nobody (the submitter has no superior, the
// department no head, the role no other holder).
type NoApproverError struct {
	Step int
	Name string
}

func (e *NoApproverError) Error() string {
	return fmt.Sprintf("step %d (%s) of the approval flow has no approver", e.Step+1, e.Name)
}

// Subject is what the inbox shows of the subject as it was submitted.
type Subject struct {
	Number string `json:"number,omitempty"`
	Title  string `json:"title"`
	Amount string `json:"amount,omitempty"`
}

// Step is a step of a submission: who may decide it (resolved when it was submitted) and the
// decision once made.
type Step struct {
	Name        string     `json:"name"`
	Kind        StepKind   `json:"kind"`
	ApproverIDs []string   `json:"approverIds"`
	Decision    string     `json:"decision"` // "", approved, rejected
	By          string     `json:"by,omitempty"`
	At          *time.Time `json:"at,omitempty"`
	Comment     string     `json:"comment,omitempty"`
}

// Submitted is carried by a subject's "submitted" event: the purpose (what approving does: a
// contract approves the contract, an amendment its changes), the subject as shown, the resolved
// steps.
type Submitted struct {
	Purpose string    `json:"purpose"`
	Subject Subject   `json:"subject"`
	Steps   []Step    `json:"steps"`
	Comment string    `json:"comment,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// Decided is carried by a subject's "approval decided" event.
type Decided struct {
	Step     int       `json:"step"`
	Decision string    `json:"decision"` // approved, rejected
	Comment  string    `json:"comment,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	// Final: this decision ends the process (the last step approved, or any rejected).
	Final bool `json:"final"`
}

// WithdrawnBy is carried by a subject's "withdrawn" event.
type WithdrawnBy struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// The carrier interfaces: a subject's events embed the payloads, which promote these methods.
type (
	SubmittedCarrier interface{ ApprovalSubmission() Submitted }
	DecidedCarrier   interface{ ApprovalDecision() Decided }
	WithdrawnCarrier interface{ ApprovalWithdrawal() WithdrawnBy }
)

// SubjectCarrier is implemented by the events of a stream that holds several subjects (a
// contract's receipts): the subject the approval payload concerns. Without it, the subject is
// the stream's record.
type SubjectCarrier interface{ ApprovalSubjectID() string }

func (s Submitted) ApprovalSubmission() Submitted     { return s }
func (d Decided) ApprovalDecision() Decided           { return d }
func (w WithdrawnBy) ApprovalWithdrawal() WithdrawnBy { return w }

// Process is a subject's current (or last) submission.
type Process struct {
	Purpose     string    `json:"purpose"`
	SubmitterID string    `json:"submitterId"`
	SubmittedAt time.Time `json:"submittedAt"`
	Status      string    `json:"status"`
	Current     int       `json:"current"` // the step waiting; -1 when none
	Steps       []Step    `json:"steps"`
}

// Resolve turns the applicable steps into a submission's steps, given each step's approvers as
// resolved by the caller (the organisation is read by the command). The submitter never
// approves their own submission: they are left out, and a step left with nobody is a
// NoApproverError.
func Resolve(defs []StepDef, approvers [][]uuid.UUID, submitter uuid.UUID) ([]Step, error) {
	if len(defs) != len(approvers) {
		return nil, fmt.Errorf("approval: %d steps, %d approver sets", len(defs), len(approvers))
	}
	out := make([]Step, 0, len(defs))
	for i, d := range defs {
		var ids []string
		for _, a := range approvers[i] {
			if a == uuid.Nil || a == submitter || slices.Contains(ids, a.String()) {
				continue
			}
			ids = append(ids, a.String())
		}
		if len(ids) == 0 {
			return nil, &NoApproverError{Step: i, Name: d.Label()}
		}
		if len(ids) > MaxApprovers {
			ids = ids[:MaxApprovers]
		}
		slices.Sort(ids)
		out = append(out, Step{Name: d.Label(), Kind: d.Kind, ApproverIDs: ids})
	}
	return out, nil
}

// Submit starts a process (Pending is for the subject to check: it refuses a second one).
func Submit(purpose string, subject Subject, steps []Step, comment string, by uuid.UUID, at time.Time) (Submitted, error) {
	comment = strings.TrimSpace(comment)
	if err := field.Text("comment", comment, MaxComment); err != nil {
		return Submitted{}, err
	}
	if len(steps) == 0 {
		return Submitted{}, &field.Error{Field: "steps", Message: "the approval flow has no step for this subject", Code: "no_steps"}
	}
	return Submitted{Purpose: purpose, Subject: subject, Steps: slices.Clone(steps), Comment: comment, By: by.String(), At: at.UTC()}, nil
}

// IsPending reports a submission waiting for a decision.
func (p *Process) IsPending() bool { return p != nil && p.Status == Pending }

// Decide is a decision of the waiting step by one of its approvers; a rejection needs a comment.
func (p *Process) Decide(by uuid.UUID, approve bool, comment string, at time.Time) (Decided, error) {
	if !p.IsPending() {
		return Decided{}, ErrNotPending
	}
	step := p.Steps[p.Current]
	if !slices.Contains(step.ApproverIDs, by.String()) {
		return Decided{}, ErrNotCurrentApprover
	}
	comment = strings.TrimSpace(comment)
	if err := field.Text("comment", comment, MaxComment); err != nil {
		return Decided{}, err
	}
	d := Decided{Step: p.Current, Decision: Approved, Comment: comment, By: by.String(), At: at.UTC()}
	if !approve {
		if comment == "" {
			return Decided{}, &field.Error{Field: "comment", Message: "a rejection says why", Code: "comment_required"}
		}
		d.Decision, d.Final = Rejected, true
	} else {
		d.Final = p.Current == len(p.Steps)-1
	}
	return d, nil
}

// Withdraw is the submitter's, while the submission waits.
func (p *Process) Withdraw(by uuid.UUID, at time.Time) (WithdrawnBy, error) {
	if !p.IsPending() {
		return WithdrawnBy{}, ErrNotPending
	}
	if p.SubmitterID != by.String() {
		return WithdrawnBy{}, ErrNotSubmitter
	}
	return WithdrawnBy{By: by.String(), At: at.UTC()}, nil
}

// Started is the process a submission starts.
func Started(s Submitted) *Process {
	steps := slices.Clone(s.Steps)
	for i := range steps {
		steps[i].ApproverIDs = slices.Clone(steps[i].ApproverIDs)
	}
	return &Process{Purpose: s.Purpose, SubmitterID: s.By, SubmittedAt: s.At, Status: Pending, Current: 0, Steps: steps}
}

// Apply folds a decision or a withdrawal into the process.
func (p *Process) Apply(e any) {
	switch e := e.(type) {
	case Decided:
		if e.Step < 0 || e.Step >= len(p.Steps) {
			return
		}
		at := e.At
		s := &p.Steps[e.Step]
		s.Decision, s.By, s.At, s.Comment = e.Decision, e.By, &at, e.Comment
		switch {
		case e.Decision == Rejected:
			p.Status, p.Current = Rejected, -1
		case e.Final || e.Step == len(p.Steps)-1:
			p.Status, p.Current = Approved, -1
		default:
			p.Current = e.Step + 1
		}
	case WithdrawnBy:
		p.Status, p.Current = Withdrawn, -1
	}
}

// Waiting are the approvers of the step that waits (none unless pending).
func (p *Process) Waiting() []string {
	if !p.IsPending() {
		return nil
	}
	return p.Steps[p.Current].ApproverIDs
}

// Everyone is every approver the submission was routed to (they may read the subject).
func (p *Process) Everyone() []string {
	var out []string
	if p == nil {
		return nil
	}
	for _, s := range p.Steps {
		for _, a := range s.ApproverIDs {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Clone is a deep copy.
func (p *Process) Clone() *Process {
	if p == nil {
		return nil
	}
	c := *p
	c.Steps = slices.Clone(p.Steps)
	for i := range c.Steps {
		c.Steps[i].ApproverIDs = slices.Clone(p.Steps[i].ApproverIDs)
	}
	return &c
}
