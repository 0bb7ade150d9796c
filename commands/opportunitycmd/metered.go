package opportunitycmd

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
)

// Commands is the opportunity module's port as the transport sees it.
type Commands interface {
	Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error)
	Update(ctx context.Context, m commands.Meta, id uuid.UUID, p opportunity.Patch) (commands.Result, error)
	MoveStage(ctx context.Context, m commands.Meta, id uuid.UUID, stage, note string) (commands.Result, error)
	SetLines(ctx context.Context, m commands.Meta, id uuid.UUID, lines []opportunity.LineInput) (commands.Result, error)
	Win(ctx context.Context, m commands.Meta, id uuid.UUID, amount, date, note string, loc *time.Location) (commands.Result, error)
	Lose(ctx context.Context, m commands.Meta, id uuid.UUID, reason, competitor, note string) (commands.Result, error)
	Reopen(ctx context.Context, m commands.Meta, id uuid.UUID, stage, note string) (commands.Result, error)
	Assign(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error)
	Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	AddPlanStep(ctx context.Context, m commands.Meta, id, stepID uuid.UUID, date, action string) (commands.Result, error)
	RecordPlanResult(ctx context.Context, m commands.Meta, id, stepID uuid.UUID, result string) (commands.Result, error)
	DefinePipeline(ctx context.Context, m commands.Meta, id uuid.UUID, name string, stages []opportunity.Stage) (commands.Result, error)
	RevisePipeline(ctx context.Context, m commands.Meta, id uuid.UUID, name string, stages []opportunity.Stage, disabled bool) (commands.Result, error)
	// queries of the write side
	History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error)
	AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error)
	Pipeline(ctx context.Context, id uuid.UUID) (*opportunity.Pipeline, error)
}

var _ Commands = (*Service)(nil)

// Metered records every command of next (name, outcome, duration) with rec; queries pass through.
func Metered(next Commands, rec commands.Recorder) Commands { return metered{Commands: next, rec: rec} }

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) measure(name string, run func() (commands.Result, error)) (commands.Result, error) {
	return commands.Measure(d.rec, name, run)
}

func (d metered) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	return d.measure(commands.OpportunityCreate, func() (commands.Result, error) { return d.Commands.Create(ctx, m, c) })
}

func (d metered) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p opportunity.Patch) (commands.Result, error) {
	return d.measure(commands.OpportunityUpdate, func() (commands.Result, error) { return d.Commands.Update(ctx, m, id, p) })
}

func (d metered) MoveStage(ctx context.Context, m commands.Meta, id uuid.UUID, stage, note string) (commands.Result, error) {
	return d.measure(commands.OpportunityMoveStage, func() (commands.Result, error) { return d.Commands.MoveStage(ctx, m, id, stage, note) })
}

func (d metered) SetLines(ctx context.Context, m commands.Meta, id uuid.UUID, lines []opportunity.LineInput) (commands.Result, error) {
	return d.measure(commands.OpportunitySetLines, func() (commands.Result, error) { return d.Commands.SetLines(ctx, m, id, lines) })
}

func (d metered) Win(ctx context.Context, m commands.Meta, id uuid.UUID, amount, date, note string, loc *time.Location) (commands.Result, error) {
	return d.measure(commands.OpportunityWin, func() (commands.Result, error) { return d.Commands.Win(ctx, m, id, amount, date, note, loc) })
}

func (d metered) Lose(ctx context.Context, m commands.Meta, id uuid.UUID, reason, competitor, note string) (commands.Result, error) {
	return d.measure(commands.OpportunityLose, func() (commands.Result, error) { return d.Commands.Lose(ctx, m, id, reason, competitor, note) })
}

func (d metered) Reopen(ctx context.Context, m commands.Meta, id uuid.UUID, stage, note string) (commands.Result, error) {
	return d.measure(commands.OpportunityReopen, func() (commands.Result, error) { return d.Commands.Reopen(ctx, m, id, stage, note) })
}

func (d metered) Assign(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error) {
	return d.measure(commands.OpportunityAssign, func() (commands.Result, error) { return d.Commands.Assign(ctx, m, id, to) })
}

func (d metered) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return d.measure(commands.OpportunityDelete, func() (commands.Result, error) { return d.Commands.Delete(ctx, m, id) })
}

func (d metered) AddPlanStep(ctx context.Context, m commands.Meta, id, stepID uuid.UUID, date, action string) (commands.Result, error) {
	return d.measure(commands.OpportunityPlanAdd, func() (commands.Result, error) { return d.Commands.AddPlanStep(ctx, m, id, stepID, date, action) })
}

func (d metered) RecordPlanResult(ctx context.Context, m commands.Meta, id, stepID uuid.UUID, result string) (commands.Result, error) {
	return d.measure(commands.OpportunityPlanRecord, func() (commands.Result, error) { return d.Commands.RecordPlanResult(ctx, m, id, stepID, result) })
}

func (d metered) DefinePipeline(ctx context.Context, m commands.Meta, id uuid.UUID, name string, stages []opportunity.Stage) (commands.Result, error) {
	return d.measure(commands.PipelineDefine, func() (commands.Result, error) { return d.Commands.DefinePipeline(ctx, m, id, name, stages) })
}

func (d metered) RevisePipeline(ctx context.Context, m commands.Meta, id uuid.UUID, name string, stages []opportunity.Stage, disabled bool) (commands.Result, error) {
	return d.measure(commands.PipelineRevise, func() (commands.Result, error) { return d.Commands.RevisePipeline(ctx, m, id, name, stages, disabled) })
}
