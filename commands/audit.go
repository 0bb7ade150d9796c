package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/audit"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Command names of the audit entries.
const (
	AuditReveal = "audit.reveal"
	AuditExport = "audit.export"
)

// Auditor records the audit entries of reads (domain/audit): contact details revealed, exports.
// An entry decides nothing, so each is appended to a new stream of its own (audit.Stream) with
// the expected version NoStream: entries never wait for one another, and none is refused for a
// concurrent one. Every entry is counted by the metrics like a command.
type Auditor struct {
	Store    eventstore.Store
	Clock    Clock
	Recorder Recorder // nil: Discard
}

// Revealed records that m's actor read a record's contact details in full.
func (a Auditor) Revealed(ctx context.Context, m Meta, e audit.ContactRevealed) (Result, error) {
	m.Command = AuditReveal
	e.By, e.At = m.Actor.ID.String(), a.Clock().UTC()
	return a.record(ctx, m, &e)
}

// Exported records that m's actor downloaded an export.
func (a Auditor) Exported(ctx context.Context, m Meta, e audit.Exported) (Result, error) {
	m.Command = AuditExport
	e.By, e.At = m.Actor.ID.String(), a.Clock().UTC()
	return a.record(ctx, m, &e)
}

func (a Auditor) record(ctx context.Context, m Meta, e event.Event) (Result, error) {
	rec := a.Recorder
	if rec == nil {
		rec = Discard{}
	}
	return Measure(rec, m.Command, func() (Result, error) {
		data, err := Encode(m, a.Clock(), []event.Event{e})
		if err != nil {
			return Result{}, err
		}
		id := uuid.Must(uuid.NewV7())
		res, err := a.Store.Append(ctx, audit.Stream(id), eventstore.NoStream, data)
		if err != nil {
			return Result{}, err
		}
		return Result{ID: id, Version: res.Version, Position: res.Position, Created: true, EventID: data[0].ID}, nil
	})
}
