package customercmd

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/contact"
)

// ContactCommands is the customer module's port for contacts: what the transport calls;
// *Contacts implements it and ContactCommandsMetered decorates it.
type ContactCommands interface {
	Create(ctx context.Context, m commands.Meta, c CreateContact) (commands.Result, error)
	Update(ctx context.Context, m commands.Meta, id uuid.UUID, p contact.Patch) (commands.Result, error)
	Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	SetPrimary(ctx context.Context, m commands.Meta, customerID uuid.UUID, contactID uuid.UUID) (commands.Result, error)
	Import(ctx context.Context, m commands.Meta, rows []ImportContactRow, o commands.ImportOptions) ([]commands.ImportResult, error)
	History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error)
	AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error)
}

var _ ContactCommands = (*Contacts)(nil)

// ContactCommandsMetered records every command of next (name, outcome, duration) with rec;
// queries pass
// through.
func ContactCommandsMetered(next ContactCommands, rec commands.Recorder) ContactCommands {
	return meteredContactCommands{ContactCommands: next, rec: rec}
}

type meteredContactCommands struct {
	ContactCommands
	rec commands.Recorder
}

func (d meteredContactCommands) Create(ctx context.Context, m commands.Meta, c CreateContact) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ContactCreate, func() (commands.Result, error) { return d.ContactCommands.Create(ctx, m, c) })
}

func (d meteredContactCommands) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p contact.Patch) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ContactUpdate, func() (commands.Result, error) { return d.ContactCommands.Update(ctx, m, id, p) })
}

func (d meteredContactCommands) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ContactDelete, func() (commands.Result, error) { return d.ContactCommands.Delete(ctx, m, id) })
}

func (d meteredContactCommands) SetPrimary(ctx context.Context, m commands.Meta, customerID uuid.UUID, contactID uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.CustomerSetPrimaryContact, func() (commands.Result, error) { return d.ContactCommands.SetPrimary(ctx, m, customerID, contactID) })
}

func (d meteredContactCommands) Import(ctx context.Context, m commands.Meta, rows []ImportContactRow, o commands.ImportOptions) ([]commands.ImportResult, error) {
	return commands.Measure(d.rec, commands.ContactImport, func() ([]commands.ImportResult, error) { return d.ContactCommands.Import(ctx, m, rows, o) })
}
