// Package approvalcmd is the write side of approval flows, shared by every module whose records
// go through approval (contracts now; receipts and payment vouchers later): administrators define
// each kind's flow, and a Router turns a flow into the steps of one submission by reading the
// organisation (superiors, department heads, role holders) through a port.
package approvalcmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Directory is what routing reads of the organisation. Every answer names active users only.
type Directory interface {
	// Superior is the user's superior (uuid.Nil: none, or not active).
	Superior(ctx context.Context, user uuid.UUID) (uuid.UUID, error)
	// DepartmentOf is the user's department (uuid.Nil: none).
	DepartmentOf(ctx context.Context, user uuid.UUID) (uuid.UUID, error)
	// DepartmentHead is the department's head (uuid.Nil: none, or not active; ok false: no
	// such department).
	DepartmentHead(ctx context.Context, dept uuid.UUID) (head uuid.UUID, ok bool, err error)
	// RoleHolders are the active users holding the role.
	RoleHolders(ctx context.Context, role string) ([]uuid.UUID, error)
	IsActiveUser(ctx context.Context, id uuid.UUID) (bool, error)
	RoleExists(ctx context.Context, name string) (bool, error)
}

// Service defines flows and routes submissions.
type Service struct {
	flows *commands.Repository[*approval.Flow]
	clock commands.Clock
	org   Directory
}

// New refuses nil dependencies.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, org Directory) *Service {
	if org == nil {
		panic("approvalcmd: New without an organisation directory")
	}
	return &Service{flows: commands.NewRepository(store, registry, clock, approval.FlowStream, approval.RehydrateFlow), clock: clock, org: org}
}

func kindID(kind string) (uuid.UUID, error) {
	for _, k := range approval.Kinds {
		if k == kind {
			return approval.FlowID(k), nil
		}
	}
	return uuid.Nil, commands.ErrNotFound
}

// Flow loads a kind's flow (the default before any definition) and the version clients match.
func (s *Service) Flow(ctx context.Context, kind string) (*approval.Flow, error) {
	id, err := kindID(kind)
	if err != nil {
		return nil, err
	}
	l, err := s.flows.Load(ctx, id)
	if errors.Is(err, commands.ErrNotFound) {
		return approval.NewFlow(kind), nil
	}
	if err != nil {
		return nil, err
	}
	return l.Root, nil
}

// Define replaces a kind's flow (settings.manage). The references must exist: departments,
// roles, active users.
func (s *Service) Define(ctx context.Context, m commands.Meta, kind, name string, steps []approval.StepDef) (commands.Result, error) {
	m.Command = commands.ApprovalFlowDefine
	if !m.Actor.Can(role.SettingsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	id, err := kindID(kind)
	if err != nil {
		return commands.Result{}, err
	}
	checked, err := approval.CheckSteps(steps)
	if err != nil {
		return commands.Result{}, err
	}
	var errs []error
	for i, st := range checked {
		at := fmt.Sprintf("steps[%d].", i)
		switch st.Kind {
		case approval.DepartmentHead:
			if st.DepartmentID == "" {
				continue
			}
			if _, ok, err := s.org.DepartmentHead(ctx, uuid.MustParse(st.DepartmentID)); err != nil {
				return commands.Result{}, err
			} else if !ok {
				errs = append(errs, &field.Error{Field: at + "departmentId", Message: "no such department", Code: "unknown_department"})
			}
		case approval.RoleHolders:
			if ok, err := s.org.RoleExists(ctx, st.Role); err != nil {
				return commands.Result{}, err
			} else if !ok {
				errs = append(errs, &field.Error{Field: at + "role", Message: "no such role", Code: "unknown_role"})
			}
		case approval.NamedUser:
			if ok, err := s.org.IsActiveUser(ctx, uuid.MustParse(st.UserID)); err != nil {
				return commands.Result{}, err
			} else if !ok {
				errs = append(errs, &field.Error{Field: at + "userId", Message: "is not an active user", Code: "unknown_user"})
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return commands.Result{}, err
	}
	return s.flows.UpdateOrCreate(ctx, m, id, func() *approval.Flow { return approval.NewFlow(kind) }, func(f *approval.Flow) error {
		return f.Define(name, checked, m.Actor.ID, s.clock())
	})
}

// Route is the steps of a submission of a kind's subject with this amount by submitter: the
// flow's applicable steps, each resolved to its approvers now.
func (s *Service) Route(ctx context.Context, kind string, submitter uuid.UUID, amount money.Amount) ([]approval.Step, error) {
	f, err := s.Flow(ctx, kind)
	if err != nil {
		return nil, err
	}
	defs := f.Applicable(amount)
	who := make([][]uuid.UUID, len(defs))
	for i, d := range defs {
		switch d.Kind {
		case approval.Superior:
			sup, err := s.org.Superior(ctx, submitter)
			if err != nil {
				return nil, err
			}
			who[i] = []uuid.UUID{sup}
		case approval.DepartmentHead:
			var dept uuid.UUID
			if d.DepartmentID != "" {
				dept, _ = uuid.Parse(d.DepartmentID)
			} else if dept, err = s.org.DepartmentOf(ctx, submitter); err != nil {
				return nil, err
			}
			if dept != uuid.Nil {
				head, _, err := s.org.DepartmentHead(ctx, dept)
				if err != nil {
					return nil, err
				}
				who[i] = []uuid.UUID{head}
			}
		case approval.RoleHolders:
			if who[i], err = s.org.RoleHolders(ctx, d.Role); err != nil {
				return nil, err
			}
		case approval.NamedUser:
			id, _ := uuid.Parse(d.UserID)
			ok, err := s.org.IsActiveUser(ctx, id)
			if err != nil {
				return nil, err
			}
			if ok {
				who[i] = []uuid.UUID{id}
			}
		}
	}
	steps, err := approval.Resolve(defs, who, submitter)
	var na *approval.NoApproverError
	if errors.As(err, &na) {
		return nil, &field.Error{Field: fmt.Sprintf("steps[%d]", na.Step), Message: na.Error(), Code: "no_approver"}
	}
	return steps, err
}
