package projections

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// ConversionCompleter finishes a lead conversion: it creates the customer (and contact) the
// conversion promised, if they do not exist yet. It must be idempotent.
type ConversionCompleter interface {
	CompleteConversion(ctx context.Context, leadID uuid.UUID) error
}

// Conversions is a process manager, not a read model: for every lead.converted event it makes
// sure the conversion's records exist, so a process that died between appending the lead's
// conversion and creating the customer is completed. Its effect is idempotent (the records have
// ids derived from the lead), so replays create nothing twice. It has no tables of its own.
type Conversions struct{ Completer ConversionCompleter }

func (Conversions) Name() string                        { return "conversions" }
func (Conversions) Schema(*readmodels.DB, int) []string { return nil }
func (Conversions) Drop(*readmodels.DB, int) []string   { return nil }
func (p Conversions) NewBatch(*Tx) Batch                { return conversionBatch{p.Completer} }

type conversionBatch struct{ c ConversionCompleter }

func (b conversionBatch) Apply(ctx context.Context, e eventstore.Event) error {
	if e.Type != (lead.Converted{}).EventType() {
		return nil
	}
	id, err := uuid.Parse(e.StreamID[len(lead.StreamPrefix)+1:])
	if err != nil {
		return err
	}
	return b.c.CompleteConversion(ctx, id)
}

func (conversionBatch) Flush(context.Context) error { return nil }
