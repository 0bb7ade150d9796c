// Package approval is the approval flows administrators define (ordered steps: the submitter's
// superior, the head of a department, holders of a role, a named user; each optionally only above
// an amount) and the approval process a subject goes through (a contract now; receipts and
// payment vouchers later).
//
// The process is not an aggregate of its own: it is a value the subject's aggregate keeps and
// decides on its own stream, so that "only the current step's approvers decide", "a decided step
// is decided once" and "an approved contract is locked" are one expected version. Subjects record
// their own event types (contract.submitted.v1, …) that embed Submitted, Decided and Withdrawn;
// the inbox projection recognises any event that carries them (Carrier interfaces below).
package approval

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

// Kinds of subject a flow is defined for.
const (
	KindContract = "contract"
	KindReceipt  = "receipt" // a receipt (回款单) is confirmed by finance
	KindPayment  = "payment" // a payment voucher (付款单) is approved, and so paid, by finance
)

// Kinds lists the subject kinds that have a flow.
var Kinds = []string{KindContract, KindReceipt, KindPayment}

// StepKind names who approves a step.
type StepKind string

const (
	Superior       StepKind = "superior"        // the submitter's superior
	DepartmentHead StepKind = "department_head" // the head of DepartmentID (the submitter's department when empty)
	RoleHolders    StepKind = "role"            // any holder of Role
	NamedUser      StepKind = "user"            // UserID
)

// StepKinds lists the step kinds.
var StepKinds = []string{string(Superior), string(DepartmentHead), string(RoleHolders), string(NamedUser)}

// Limits.
const (
	MaxSteps       = 10
	MaxStepName    = 50
	MaxComment     = 1000
	MaxApprovers   = 200
	MaxFlowName    = 50
	DefaultFlowTag = "默认审批流程"
)

// StepDef is a step of a flow as an administrator defines it.
type StepDef struct {
	Kind         StepKind `json:"kind"`
	DepartmentID string   `json:"departmentId,omitempty"`
	Role         string   `json:"role,omitempty"`
	UserID       string   `json:"userId,omitempty"`
	// MinAmount: the step applies only to subjects whose amount is above it ("": always).
	MinAmount string `json:"minAmount,omitempty"`
	Name      string `json:"name,omitempty"`
}

// Label is the step's name, or one made from its kind.
func (s StepDef) Label() string {
	if s.Name != "" {
		return s.Name
	}
	switch s.Kind {
	case Superior:
		return "直属上级"
	case DepartmentHead:
		return "部门负责人"
	case RoleHolders:
		return "角色 " + s.Role
	}
	return "指定审批人"
}

// Applies reports whether the step applies to a subject of this amount.
func (s StepDef) Applies(amount money.Amount) bool {
	if s.MinAmount == "" {
		return true
	}
	min, err := money.ParseAmount("minAmount", s.MinAmount)
	return err != nil || amount.Cmp(min) > 0
}

// CheckSteps validates and canonicalises a flow's steps.
func CheckSteps(steps []StepDef) ([]StepDef, error) {
	if len(steps) == 0 {
		return nil, &field.Error{Field: "steps", Message: "a flow needs at least one step", Code: "no_steps"}
	}
	if len(steps) > MaxSteps {
		return nil, field.Errorf("steps", "holds %d steps; at most %d", len(steps), MaxSteps)
	}
	out := make([]StepDef, len(steps))
	var errs []error
	for i, s := range steps {
		at := fmt.Sprintf("steps[%d].", i)
		s.Name, s.Role = strings.TrimSpace(s.Name), strings.TrimSpace(s.Role)
		errs = append(errs, field.Text(at+"name", s.Name, MaxStepName))
		id := func(name, v string, required bool) string {
			v = strings.TrimSpace(v)
			if v == "" {
				if required {
					errs = append(errs, field.Errorf(at+name, "is required for a step of kind %s", s.Kind))
				}
				return ""
			}
			u, err := uuid.Parse(v)
			if err != nil {
				errs = append(errs, field.Errorf(at+name, "is not an id: %q", v))
				return v
			}
			return u.String()
		}
		switch s.Kind {
		case Superior:
			s.DepartmentID, s.Role, s.UserID = "", "", ""
		case DepartmentHead:
			s.DepartmentID, s.Role, s.UserID = id("departmentId", s.DepartmentID, false), "", ""
		case RoleHolders:
			if s.Role == "" {
				errs = append(errs, field.Errorf(at+"role", "is required for a step of kind role"))
			}
			s.DepartmentID, s.UserID = "", ""
		case NamedUser:
			s.UserID, s.DepartmentID, s.Role = id("userId", s.UserID, true), "", ""
		default:
			errs = append(errs, &field.Error{Field: at + "kind", Message: fmt.Sprintf("must be one of %s, got %q", strings.Join(StepKinds, ", "), s.Kind), Code: "unknown_step_kind"})
		}
		if s.MinAmount != "" {
			a, err := money.NonNegativeAmount(at+"minAmount", s.MinAmount)
			errs = append(errs, err)
			if err == nil {
				s.MinAmount = a.String()
			}
		}
		out[i] = s
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// FinanceRole is the role whose holders confirm receipts and approve payment vouchers until an
// administrator defines the receipt or payment flow.
const FinanceRole = "finance"

// DefaultSteps is a flow before an administrator defines it: the submitter's superior; for
// receipts and payment vouchers, any holder of the finance role.
func DefaultSteps(kind string) []StepDef {
	if kind == KindReceipt || kind == KindPayment {
		return []StepDef{{Kind: RoleHolders, Role: FinanceRole}}
	}
	return []StepDef{{Kind: Superior}}
}

// FlowStreamPrefix is the stream kind of flows.
const FlowStreamPrefix = "approvalflow"

// FlowID is the id of the flow of a subject kind (one flow per kind).
func FlowID(kind string) uuid.UUID {
	return uuid.NewSHA1(uuid.MustParse("8d0f6a52-4c1e-5b7a-9e3d-2f6b1c0a7e44"), []byte(kind))
}

// FlowStream is the stream of a flow.
func FlowStream(id uuid.UUID) string { return FlowStreamPrefix + "-" + id.String() }

// FlowDefined: an administrator (re)defined the flow of a kind; it carries the whole definition.
type FlowDefined struct {
	Kind  string    `json:"kind"`
	Name  string    `json:"name"`
	Steps []StepDef `json:"steps"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
}

func (FlowDefined) EventType() string { return "approvalflow.defined.v1" }

// ErrUnknownKind: no flow exists for the kind.
var ErrUnknownKind = errors.New("no approval flow for this kind of subject")

// Flow is the aggregate: the flow of one kind of subject.
type Flow struct {
	event.Root
	kind  string
	name  string
	steps []StepDef
}

// RehydrateFlow rebuilds a flow; before its first event it is the default.
func RehydrateFlow(id uuid.UUID, history []event.Event) (*Flow, error) {
	for _, k := range Kinds {
		if FlowID(k) == id {
			f := &Flow{kind: k, name: DefaultFlowTag, steps: DefaultSteps(k)}
			f.Replay(f.apply, history, nil)
			return f, nil
		}
	}
	return nil, ErrUnknownKind
}

// NewFlow is a kind's flow before any event (read models start from it).
func NewFlow(kind string) *Flow {
	return &Flow{kind: kind, name: DefaultFlowTag, steps: DefaultSteps(kind)}
}

// Fold applies an event, recording nothing (read models).
func (f *Flow) Fold(e event.Event) { f.apply(e) }

func (f *Flow) apply(e event.Event) {
	if d, ok := e.(FlowDefined); ok {
		f.name, f.steps = d.Name, slices.Clone(d.Steps)
	}
}

func (f *Flow) Kind() string     { return f.kind }
func (f *Flow) Name() string     { return f.name }
func (f *Flow) Steps() []StepDef { return slices.Clone(f.steps) }
func (f *Flow) Applicable(amount money.Amount) []StepDef {
	var out []StepDef
	for _, s := range f.steps {
		if s.Applies(amount) {
			out = append(out, s)
		}
	}
	return out
}

// Define replaces the flow's name and steps; the same definition records nothing.
func (f *Flow) Define(name string, steps []StepDef, by uuid.UUID, at time.Time) error {
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultFlowTag
	}
	if err := field.Text("name", name, MaxFlowName); err != nil {
		return err
	}
	steps, err := CheckSteps(steps)
	if err != nil {
		return err
	}
	if name == f.name && slices.Equal(steps, f.steps) && f.Version() > 0 {
		return nil
	}
	f.Record(f.apply, FlowDefined{Kind: f.kind, Name: name, Steps: steps, By: by.String(), At: at.UTC()})
	return nil
}

// RegisterFlows adds the flow events to a registry.
func RegisterFlows(r *event.Registry) { r.Register(func() event.Event { return &FlowDefined{} }) }
