package conversion

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
)

// Commands is the conversion port: what the transport calls; *Service implements it and Metered
// decorates it.
type Commands interface {
	Convert(ctx context.Context, m commands.Meta, leadID uuid.UUID, c Convert) (Converted, error)
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

func (d meteredCommands) Convert(ctx context.Context, m commands.Meta, leadID uuid.UUID, c Convert) (Converted, error) {
	return commands.Measure(d.rec, commands.LeadConvert, func() (Converted, error) { return d.Commands.Convert(ctx, m, leadID, c) })
}
