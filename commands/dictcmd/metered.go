package dictcmd

import (
	"context"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
)

// Metered records every command of next (name, outcome, duration) with rec; queries pass through.
func Metered(next Commands, rec commands.Recorder) Commands {
	return metered{Commands: next, rec: rec}
}

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) Add(ctx context.Context, m commands.Meta, k dictionary.Kind, in AddItem) (commands.Result, error) {
	return commands.Measure(d.rec, commands.DictionaryAddItem, func() (commands.Result, error) { return d.Commands.Add(ctx, m, k, in) })
}

func (d metered) Relabel(ctx context.Context, m commands.Meta, k dictionary.Kind, code string, labels dictionary.Labels) (commands.Result, error) {
	return commands.Measure(d.rec, commands.DictionaryRelabelItem, func() (commands.Result, error) { return d.Commands.Relabel(ctx, m, k, code, labels) })
}

func (d metered) SetEnabled(ctx context.Context, m commands.Meta, k dictionary.Kind, code string, enabled bool) (commands.Result, error) {
	name := commands.DictionaryDisableItem
	if enabled {
		name = commands.DictionaryEnableItem
	}
	return commands.Measure(d.rec, name, func() (commands.Result, error) { return d.Commands.SetEnabled(ctx, m, k, code, enabled) })
}

func (d metered) Reorder(ctx context.Context, m commands.Meta, k dictionary.Kind, parent string, codes []string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.DictionaryReorder, func() (commands.Result, error) { return d.Commands.Reorder(ctx, m, k, parent, codes) })
}
