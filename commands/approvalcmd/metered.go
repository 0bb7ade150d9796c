package approvalcmd

import (
	"context"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/approval"
)

// Commands is the approval flows' port: what the transport calls; *Service implements it and
// Metered decorates it.
type Commands interface {
	Define(ctx context.Context, m commands.Meta, kind, name string, steps []approval.StepDef) (commands.Result, error)
	Flow(ctx context.Context, kind string) (*approval.Flow, error)
}

// Metered records every command of next (name, outcome, duration) with rec; queries pass through.
func Metered(next Commands, rec commands.Recorder) Commands { return metered{Commands: next, rec: rec} }

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) Define(ctx context.Context, m commands.Meta, kind, name string, steps []approval.StepDef) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ApprovalFlowDefine, func() (commands.Result, error) { return d.Commands.Define(ctx, m, kind, name, steps) })
}
