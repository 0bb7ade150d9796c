// Package conversionproj follows the log to finish lead conversions.
package conversionproj

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Completer finishes a lead conversion: it creates the customer (and contact) the conversion
// promised, if they do not exist yet. It must be idempotent.
type Completer interface {
	CompleteConversion(ctx context.Context, leadID uuid.UUID) error
}

// Projector is a process manager, not a read model: for every lead.converted event it makes
// sure the conversion's records exist, so a process that died between appending the lead's
// conversion and creating the customer is completed. Its effect is idempotent (the records have
// ids derived from the lead), so replays create nothing twice. It has no tables of its own.
type Projector struct{ Completer Completer }

func (Projector) Name() string                        { return "conversions" }
func (Projector) Schema(*readmodels.DB, int) []string { return nil }
func (Projector) Drop(*readmodels.DB, int) []string   { return nil }
func (p Projector) NewBatch(*engine.Tx) engine.Batch  { return batch{p.Completer} }

type batch struct{ c Completer }

// Wants implements engine.Selective: conversions of leads only.
func (Projector) Wants(e eventstore.Event) bool { return e.Type == (lead.Converted{}).EventType() }

func (b batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !(Projector{}).Wants(e) {
		return nil
	}
	id, err := uuid.Parse(e.StreamID[len(lead.StreamPrefix)+1:])
	if err != nil {
		return err
	}
	return b.c.CompleteConversion(ctx, id)
}

func (batch) Flush(context.Context) error { return nil }
