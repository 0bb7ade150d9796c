package followup

import (
	"context"

	"github.com/chronicle-crm/chronicle/commands"
)

// Commands is the follow-up port: what the transport calls; *Service implements it and Metered
// decorates it.
type Commands interface {
	Record(ctx context.Context, m commands.Meta, f Record) (commands.Result, error)
}

var _ Commands = (*Service)(nil)

// Metered records every command of next (name, outcome, duration) with rec; queries pass
// through.
func Metered(next Commands, rec commands.Recorder) Commands {
	return meteredCommands{Commands: next, rec: rec}
}

type meteredCommands struct {
	Commands
	rec commands.Recorder
}

func (d meteredCommands) Record(ctx context.Context, m commands.Meta, f Record) (commands.Result, error) {
	return commands.Measure(d.rec, commands.FollowUpRecord, func() (commands.Result, error) { return d.Commands.Record(ctx, m, f) })
}
