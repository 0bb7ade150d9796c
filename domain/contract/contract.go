// Package contract is the contract aggregate (合同): what a customer signs, with line items and an
// amount, made from a won opportunity or entered, routed through an approval flow, then executed,
// completed or terminated. An approved contract is locked: a change to it is an amendment that
// goes through approval again.
package contract

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
	"github.com/chronicle-crm/chronicle/domain/money"
)

// Status is where a contract is in its life.
type Status string

const (
	StatusDraft      Status = "draft"
	StatusPending    Status = "pending"
	StatusApproved   Status = "approved"
	StatusExecuting  Status = "executing"
	StatusCompleted  Status = "completed"
	StatusTerminated Status = "terminated"
)

// Statuses lists the statuses in their order.
var Statuses = []string{string(StatusDraft), string(StatusPending), string(StatusApproved), string(StatusExecuting), string(StatusCompleted), string(StatusTerminated)}

// Purposes of a submission.
const (
	PurposeContract  = "contract"
	PurposeAmendment = "amendment"
)

// Rule violations.
var (
	ErrNotFound        = errors.New("contract not found")
	ErrDeleted         = errors.New("contract is deleted")
	ErrLocked          = errors.New("only a draft is edited; change an approved contract by an amendment")
	ErrAmendmentOpen   = errors.New("an amendment of this contract waits for approval")
	ErrNothingToAmend  = errors.New("the amendment changes nothing")
	ErrOpportunityKept = errors.New("a contract's opportunity never changes")
	// ErrState is what every StateError is.
	ErrState = errors.New("the command does not apply to the contract's status")
)

// StateError: the command does not apply to the contract's status.
type StateError struct {
	Status Status
	Action string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("a %s contract cannot be %s", e.Status, e.Action)
}

func (e *StateError) Unwrap() error { return ErrState }

// StreamPrefix is the stream kind of contracts.
const StreamPrefix = "contract"

// Stream returns the stream id of a contract.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// NumberKey is how numbers compare for uniqueness: without case and surrounding spaces.
func NumberKey(number string) string { return strings.ToLower(strings.TrimSpace(number)) }

// CheckNumber checks an entered number.
func CheckNumber(number string) (string, error) {
	number = strings.TrimSpace(number)
	if err := errors.Join(field.Required("number", number), field.Text("number", number, MaxNumber)); err != nil {
		return "", err
	}
	if strings.ContainsAny(number, "\r\n\t") {
		return "", field.Errorf("number", "may not hold tabs or line breaks")
	}
	return number, nil
}

// Events.
type (
	Created struct {
		ContractID string          `json:"contractId"`
		Number     string          `json:"number"`
		Fields     Fields          `json:"fields"`
		Lines      []lineitem.Line `json:"lines,omitempty"`
		Amount     string          `json:"amount"`
		OwnerID    string          `json:"ownerId"`
		By         string          `json:"by"`
		At         time.Time       `json:"at"`
	}
	Updated struct {
		ContractID string    `json:"contractId"`
		Change     Change    `json:"change"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	Deleted struct {
		ContractID string    `json:"contractId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// Submitted: the draft went to approval.
	Submitted struct {
		ContractID string `json:"contractId"`
		approval.Submitted
	}
	// AmendmentProposed: a change of an approved contract went to approval.
	AmendmentProposed struct {
		ContractID string `json:"contractId"`
		Change     Change `json:"change"`
		Reason     string `json:"reason"`
		approval.Submitted
	}
	// ApprovalDecided: an approver decided the waiting step. The final approval of a contract
	// approves it; of an amendment, applies its change. A rejection returns a contract to draft
	// and drops an amendment.
	ApprovalDecided struct {
		ContractID string `json:"contractId"`
		approval.Decided
	}
	// Withdrawn: the submitter took the submission back (as a rejection, without a decision).
	Withdrawn struct {
		ContractID string `json:"contractId"`
		approval.WithdrawnBy
	}
	Started struct {
		ContractID string    `json:"contractId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	Completed struct {
		ContractID string    `json:"contractId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	Terminated struct {
		ContractID string    `json:"contractId"`
		Reason     string    `json:"reason"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
)

func (Created) EventType() string           { return "contract.created.v1" }
func (Updated) EventType() string           { return "contract.updated.v1" }
func (Deleted) EventType() string           { return "contract.deleted.v1" }
func (Submitted) EventType() string         { return "contract.submitted.v1" }
func (AmendmentProposed) EventType() string { return "contract.amendment_proposed.v1" }
func (ApprovalDecided) EventType() string   { return "contract.approval_decided.v1" }
func (Withdrawn) EventType() string         { return "contract.withdrawn.v1" }
func (Started) EventType() string           { return "contract.started.v1" }
func (Completed) EventType() string         { return "contract.completed.v1" }
func (Terminated) EventType() string        { return "contract.terminated.v1" }

// Register adds the contract, numbering and approval flow events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} }, func() event.Event { return &Updated{} },
		func() event.Event { return &Deleted{} }, func() event.Event { return &Submitted{} },
		func() event.Event { return &AmendmentProposed{} }, func() event.Event { return &ApprovalDecided{} },
		func() event.Event { return &Withdrawn{} }, func() event.Event { return &Started{} },
		func() event.Event { return &Completed{} }, func() event.Event { return &Terminated{} })
	registerNumbering(r)
	approval.RegisterFlows(r)
}

// Contract is the aggregate state.
type Contract struct {
	event.Root
	id          uuid.UUID
	number      string
	fields      Fields
	lines       []lineitem.Line
	amount      string
	owner       uuid.UUID
	status      Status
	process     *approval.Process
	routed      []string // everyone any submission was routed to (they may read the contract)
	amendment   *Change
	amendReason string
	termination string
	deleted     bool
	createdAt   time.Time
	updatedAt   time.Time
}

// New drafts a contract. The number is decided by the command (generated or entered, and
// reserved); the lines are checked and summed here.
func New(id uuid.UUID, number string, f Fields, lines []lineitem.Input, owner, by uuid.UUID, at time.Time) (*Contract, error) {
	if id == uuid.Nil {
		return nil, field.Errorf("id", "is required")
	}
	if owner == uuid.Nil {
		return nil, field.Errorf("ownerId", "is required")
	}
	number, nerr := CheckNumber(number)
	f = f.normalise()
	ls, sum, lerr := lineitem.Check(lines)
	if err := errors.Join(nerr, f.Validate(), lerr); err != nil {
		return nil, err
	}
	amount, err := amountOf(f, ls, sum, true)
	if err != nil {
		return nil, err
	}
	if len(ls) > 0 {
		f.Amount = ""
	}
	c := &Contract{id: id}
	c.Record(c.apply, Created{ContractID: id.String(), Number: number, Fields: f, Lines: ls, Amount: amount, OwnerID: owner.String(), By: by.String(), At: at.UTC()})
	return c, nil
}

// Rehydrate rebuilds a contract from its history. Only repositories call it.
func Rehydrate(id uuid.UUID, history []event.Event) (*Contract, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Created); !ok {
		return nil, fmt.Errorf("contract %s: history starts with %s", id, history[0].EventType())
	}
	c := &Contract{id: id}
	c.Replay(c.apply, history, nil)
	return c, nil
}

// Accessors.
func (c *Contract) ID() uuid.UUID              { return c.id }
func (c *Contract) Number() string             { return c.number }
func (c *Contract) Fields() Fields             { return c.fields }
func (c *Contract) Lines() []lineitem.Line     { return cloneLines(c.lines) }
func (c *Contract) Amount() string             { return c.amount }
func (c *Contract) Owner() uuid.UUID           { return c.owner }
func (c *Contract) Status() Status             { return c.status }
func (c *Contract) Deleted() bool              { return c.deleted }
func (c *Contract) Process() *approval.Process { return c.process.Clone() }
func (c *Contract) Amendment() *Change {
	if c.amendment == nil {
		return nil
	}
	a := *c.amendment
	return &a
}
func (c *Contract) TerminationReason() string { return c.termination }

// Approvers are everyone the contract's submissions were routed to (they may read it).
func (c *Contract) Approvers() []string { return slices.Clone(c.routed) }

// route adds a submission's approvers to those who may read the contract.
func (c *Contract) route(p *approval.Process) {
	for _, a := range p.Everyone() {
		if !slices.Contains(c.routed, a) {
			c.routed = append(c.routed, a)
		}
	}
	slices.Sort(c.routed)
}

func (c *Contract) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		c.number, c.fields, c.lines, c.amount, c.status = e.Number, e.Fields, cloneLines(e.Lines), e.Amount, StatusDraft
		c.owner, _ = uuid.Parse(e.OwnerID)
		c.createdAt, c.updatedAt = e.At, e.At
	case Updated:
		c.applyChange(e.Change)
		c.updatedAt = e.At
	case Deleted:
		c.deleted = true
	case Submitted:
		c.process, c.status = approval.Started(e.Submitted), StatusPending
		c.route(c.process)
		c.updatedAt = e.At
	case AmendmentProposed:
		ch := e.Change
		c.process, c.amendment, c.amendReason = approval.Started(e.Submitted), &ch, e.Reason
		c.route(c.process)
		c.updatedAt = e.At
	case ApprovalDecided:
		if c.process == nil {
			return
		}
		c.process.Apply(e.Decided)
		c.updatedAt = e.At
		c.settle()
	case Withdrawn:
		if c.process == nil {
			return
		}
		c.process.Apply(e.WithdrawnBy)
		c.updatedAt = e.At
		c.settle()
	case Started:
		c.status, c.updatedAt = StatusExecuting, e.At
	case Completed:
		c.status, c.updatedAt = StatusCompleted, e.At
	case Terminated:
		c.status, c.termination, c.updatedAt = StatusTerminated, e.Reason, e.At
	}
}

// settle follows a process that ended: an approved contract, an applied or dropped amendment.
func (c *Contract) settle() {
	p := c.process
	if p.Status == approval.Pending {
		return
	}
	if p.Purpose == PurposeAmendment {
		if p.Status == approval.Approved && c.amendment != nil {
			c.applyChange(*c.amendment)
		}
		c.amendment, c.amendReason = nil, ""
		return
	}
	if p.Status == approval.Approved {
		c.status = StatusApproved
	} else {
		c.status = StatusDraft
	}
}

func (c *Contract) applyChange(ch Change) {
	c.fields = c.fields.withValues(ch.Fields)
	if ch.Lines != nil {
		c.lines = cloneLines(*ch.Lines)
	}
	if ch.Amount != "" {
		c.amount = ch.Amount
	}
}

func (c *Contract) record(e event.Event) { c.Record(c.apply, e) }

func (c *Contract) live() error {
	if c.deleted {
		return ErrDeleted
	}
	return nil
}

// change checks a patch against the contract: the change it makes (empty: none).
func (c *Contract) change(p Patch) (Change, error) {
	f := c.fields.apply(p).normalise()
	if p.Lines != nil && p.Amount == nil {
		f.Amount = "" // new lines make the amount theirs: an amount entered before does not stand beside them
	}
	if f.OpportunityID != c.fields.OpportunityID {
		return Change{}, ErrOpportunityKept
	}
	var errs []error
	errs = append(errs, f.Validate())
	lines, linesGiven := c.lines, false
	var sum money.Amount
	if p.Lines != nil {
		ls, s, err := lineitem.Check(*p.Lines)
		errs = append(errs, err)
		lines, sum, linesGiven = ls, s, true
	} else {
		sum = sumOf(c.lines)
	}
	if err := errors.Join(errs...); err != nil {
		return Change{}, err
	}
	if len(lines) > 0 && !linesGiven && p.Amount != nil && f.Amount != "" && f.Amount != sum.String() {
		return Change{}, &field.Error{Field: "amount", Message: "follows the line items (their sum is " + sum.String() + "); leave it out", Code: "amount_from_lines"}
	}
	amount, err := amountOf(f, lines, sum, linesGiven || len(lines) > 0)
	if err != nil {
		return Change{}, err
	}
	if len(lines) > 0 {
		f.Amount = ""
	}
	ch := Change{Fields: map[string]string{}}
	before, after := c.fields.values(), f.values()
	for k, v := range after {
		if before[k] != v {
			ch.Fields[k] = v
		}
	}
	if len(ch.Fields) == 0 {
		ch.Fields = nil
	}
	if linesGiven && !slices.Equal(lines, c.lines) {
		ls := cloneLines(lines)
		if ls == nil {
			ls = []lineitem.Line{}
		}
		ch.Lines = &ls
	}
	if amount != c.amount {
		ch.Amount = amount
	}
	return ch, nil
}

// Update edits a draft; a patch that changes nothing records nothing.
func (c *Contract) Update(p Patch, by uuid.UUID, at time.Time) error {
	if err := c.live(); err != nil {
		return err
	}
	if c.status != StatusDraft {
		return ErrLocked
	}
	ch, err := c.change(p)
	if err != nil || ch.Empty() {
		return err
	}
	c.record(Updated{ContractID: c.id.String(), Change: ch, By: by.String(), At: at.UTC()})
	return nil
}

// Delete removes a draft.
func (c *Contract) Delete(by uuid.UUID, at time.Time) error {
	if err := c.live(); err != nil {
		return err
	}
	if c.status != StatusDraft {
		return &StateError{Status: c.status, Action: "deleted"}
	}
	c.record(Deleted{ContractID: c.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Route resolves the approval flow's steps for an amount (the command reads the organisation).
type Route func(amount money.Amount) ([]approval.Step, error)

func (c *Contract) subject(amount string) approval.Subject {
	return approval.Subject{Number: c.number, Title: c.fields.Name, Amount: amount}
}

// Submit sends a draft to approval.
func (c *Contract) Submit(route Route, comment string, by uuid.UUID, at time.Time) error {
	if err := c.live(); err != nil {
		return err
	}
	if c.status != StatusDraft {
		return &StateError{Status: c.status, Action: "submitted"}
	}
	a, _ := money.ParseAmount("amount", c.amount)
	steps, err := route(a)
	if err != nil {
		return err
	}
	s, err := approval.Submit(PurposeContract, c.subject(c.amount), steps, comment, by, at)
	if err != nil {
		return err
	}
	c.record(Submitted{ContractID: c.id.String(), Submitted: s})
	return nil
}

// Amend proposes a change of an approved or executing contract; it applies once approved.
func (c *Contract) Amend(p Patch, reason string, route Route, by uuid.UUID, at time.Time) error {
	if err := c.live(); err != nil {
		return err
	}
	if c.status != StatusApproved && c.status != StatusExecuting {
		return &StateError{Status: c.status, Action: "amended"}
	}
	if c.process.IsPending() {
		return ErrAmendmentOpen
	}
	reason = strings.TrimSpace(reason)
	if err := errors.Join(field.Required("reason", reason), field.Text("reason", reason, MaxReason)); err != nil {
		return err
	}
	ch, err := c.change(p)
	if err != nil {
		return err
	}
	if ch.Empty() {
		return ErrNothingToAmend
	}
	amount := c.amount
	if ch.Amount != "" {
		amount = ch.Amount
	}
	a, _ := money.ParseAmount("amount", amount)
	steps, err := route(a)
	if err != nil {
		return err
	}
	sub := c.subject(amount)
	if name, ok := ch.Fields["name"]; ok {
		sub.Title = name
	}
	s, err := approval.Submit(PurposeAmendment, sub, steps, "", by, at)
	if err != nil {
		return err
	}
	c.record(AmendmentProposed{ContractID: c.id.String(), Change: ch, Reason: reason, Submitted: s})
	return nil
}

// Decide approves or rejects the waiting step (its approvers only).
func (c *Contract) Decide(approve bool, comment string, by uuid.UUID, at time.Time) error {
	if err := c.live(); err != nil {
		return err
	}
	if c.process == nil {
		return approval.ErrNotPending
	}
	d, err := c.process.Decide(by, approve, comment, at)
	if err != nil {
		return err
	}
	c.record(ApprovalDecided{ContractID: c.id.String(), Decided: d})
	return nil
}

// Withdraw takes a waiting submission back (its submitter only).
func (c *Contract) Withdraw(by uuid.UUID, at time.Time) error {
	if err := c.live(); err != nil {
		return err
	}
	if c.process == nil {
		return approval.ErrNotPending
	}
	w, err := c.process.Withdraw(by, at)
	if err != nil {
		return err
	}
	c.record(Withdrawn{ContractID: c.id.String(), WithdrawnBy: w})
	return nil
}

// Start puts an approved contract in execution.
func (c *Contract) Start(by uuid.UUID, at time.Time) error {
	if err := c.live(); err != nil {
		return err
	}
	if c.status != StatusApproved {
		return &StateError{Status: c.status, Action: "started"}
	}
	c.record(Started{ContractID: c.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Complete ends a contract in execution.
func (c *Contract) Complete(by uuid.UUID, at time.Time) error {
	if err := c.live(); err != nil {
		return err
	}
	if c.status != StatusExecuting {
		return &StateError{Status: c.status, Action: "completed"}
	}
	c.record(Completed{ContractID: c.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Terminate ends an approved or executing contract early, with a reason. A pending amendment
// is dropped with it (its approvers see it withdrawn).
func (c *Contract) Terminate(reason string, by uuid.UUID, at time.Time) error {
	if err := c.live(); err != nil {
		return err
	}
	if c.status != StatusApproved && c.status != StatusExecuting {
		return &StateError{Status: c.status, Action: "terminated"}
	}
	reason = strings.TrimSpace(reason)
	if err := errors.Join(field.Required("reason", reason), field.Text("reason", reason, MaxReason)); err != nil {
		return err
	}
	if c.process.IsPending() {
		c.record(Withdrawn{ContractID: c.id.String(), WithdrawnBy: approval.WithdrawnBy{By: by.String(), At: at.UTC()}})
	}
	c.record(Terminated{ContractID: c.id.String(), Reason: reason, By: by.String(), At: at.UTC()})
	return nil
}

// State is the contract's state as a read model keeps it, to which Fold applies later events
// (so a row is always what the aggregate's own rules make of the events).
type State struct {
	Number            string            `json:"number"`
	Fields            Fields            `json:"fields"`
	Lines             []lineitem.Line   `json:"lines"`
	Amount            string            `json:"amount"`
	OwnerID           string            `json:"ownerId"`
	Status            Status            `json:"status"`
	Approval          *approval.Process `json:"approval"`
	Routed            []string          `json:"routed,omitempty"`
	Amendment         *Change           `json:"amendment"`
	AmendmentReason   string            `json:"amendmentReason,omitempty"`
	TerminationReason string            `json:"terminationReason,omitempty"`
	Deleted           bool              `json:"deleted,omitempty"`
}

// State is the contract's state.
func (c *Contract) State() State {
	st := State{Number: c.number, Fields: c.fields, Lines: c.Lines(), Amount: c.amount, OwnerID: c.owner.String(), Status: c.status,
		Approval: c.process.Clone(), Routed: c.Approvers(), Amendment: c.Amendment(), AmendmentReason: c.amendReason, TerminationReason: c.termination, Deleted: c.deleted}
	if st.Lines == nil {
		st.Lines = []lineitem.Line{}
	}
	return st
}

// Restore is a contract in a state a read model kept.
func Restore(id uuid.UUID, st State) *Contract {
	c := &Contract{id: id, number: st.Number, fields: st.Fields, lines: cloneLines(st.Lines), amount: st.Amount, status: st.Status,
		process: st.Approval.Clone(), routed: slices.Clone(st.Routed), amendReason: st.AmendmentReason, termination: st.TerminationReason, deleted: st.Deleted}
	c.owner, _ = uuid.Parse(st.OwnerID)
	if st.Amendment != nil {
		a := *st.Amendment
		c.amendment = &a
	}
	return c
}

// Fold applies an event of the contract's history, recording nothing (read models).
func (c *Contract) Fold(e event.Event) { c.apply(e) }

// Snapshot is the contract as a flat map (history diffs and as-of views).
func (c *Contract) Snapshot() map[string]any {
	m := map[string]any{"id": c.id.String(), "number": c.number, "status": string(c.status), "amount": c.amount,
		"ownerId": c.owner.String(), "opportunityId": c.fields.OpportunityID, "lines": c.Lines(), "deleted": c.deleted,
		"terminationReason": c.termination, "version": c.Version()}
	for k, v := range c.fields.values() {
		if k != "amount" {
			m[k] = v
		}
	}
	if c.process != nil {
		m["approval"] = c.process.Clone()
	}
	if c.amendment != nil {
		m["amendment"] = map[string]any{"change": *c.amendment, "reason": c.amendReason}
	}
	return m
}
