package contractcmd

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/contract"
)

// Commands is the contract module's port: what the transport calls; *Service implements it and
// Metered decorates it.
type Commands interface {
	Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error)
	Update(ctx context.Context, m commands.Meta, id uuid.UUID, p contract.Patch) (commands.Result, error)
	Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Submit(ctx context.Context, m commands.Meta, id uuid.UUID, comment string) (commands.Result, error)
	Decide(ctx context.Context, m commands.Meta, id uuid.UUID, approve bool, comment string) (commands.Result, error)
	Withdraw(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Amend(ctx context.Context, m commands.Meta, id uuid.UUID, p contract.Patch, reason string) (commands.Result, error)
	Start(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Complete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Terminate(ctx context.Context, m commands.Meta, id uuid.UUID, reason string) (commands.Result, error)
	SetNumbering(ctx context.Context, m commands.Meta, pattern string) (commands.Result, error)
	Numbering(ctx context.Context) (string, int64, error)
	History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error)
	AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error)
}

// Metered records every command of next (name, outcome, duration) with rec; queries pass through.
func Metered(next Commands, rec commands.Recorder) Commands { return metered{Commands: next, rec: rec} }

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) measure(name string, f func() (commands.Result, error)) (commands.Result, error) {
	return commands.Measure(d.rec, name, f)
}

func (d metered) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	return d.measure(commands.ContractCreate, func() (commands.Result, error) { return d.Commands.Create(ctx, m, c) })
}

func (d metered) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p contract.Patch) (commands.Result, error) {
	return d.measure(commands.ContractUpdate, func() (commands.Result, error) { return d.Commands.Update(ctx, m, id, p) })
}

func (d metered) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.ContractDelete, func() (commands.Result, error) { return d.Commands.Delete(ctx, m, id) })
}

func (d metered) Submit(ctx context.Context, m commands.Meta, id uuid.UUID, comment string) (commands.Result, error) {
	return d.measure(commands.ContractSubmit, func() (commands.Result, error) { return d.Commands.Submit(ctx, m, id, comment) })
}

func (d metered) Decide(ctx context.Context, m commands.Meta, id uuid.UUID, approve bool, comment string) (commands.Result, error) {
	name := commands.ContractReject
	if approve {
		name = commands.ContractApprove
	}
	return d.measure(name, func() (commands.Result, error) { return d.Commands.Decide(ctx, m, id, approve, comment) })
}

func (d metered) Withdraw(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.ContractWithdraw, func() (commands.Result, error) { return d.Commands.Withdraw(ctx, m, id) })
}

func (d metered) Amend(ctx context.Context, m commands.Meta, id uuid.UUID, p contract.Patch, reason string) (commands.Result, error) {
	return d.measure(commands.ContractAmend, func() (commands.Result, error) { return d.Commands.Amend(ctx, m, id, p, reason) })
}

func (d metered) Start(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.ContractStart, func() (commands.Result, error) { return d.Commands.Start(ctx, m, id) })
}

func (d metered) Complete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.ContractComplete, func() (commands.Result, error) { return d.Commands.Complete(ctx, m, id) })
}

func (d metered) Terminate(ctx context.Context, m commands.Meta, id uuid.UUID, reason string) (commands.Result, error) {
	return d.measure(commands.ContractTerminate, func() (commands.Result, error) { return d.Commands.Terminate(ctx, m, id, reason) })
}

func (d metered) SetNumbering(ctx context.Context, m commands.Meta, pattern string) (commands.Result, error) {
	return d.measure(commands.ContractNumbering, func() (commands.Result, error) { return d.Commands.SetNumbering(ctx, m, pattern) })
}
