// Package dealproj is the process across modules that follows won opportunities: the customer of
// every opportunity.won event becomes closed-deal and its last-deal time moves (the customer
// pool's no-deal rule counts from it). The opportunity module does not import the customer
// module: this follower reads the log and decides through the customer module's command.
package dealproj

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Recorder records a won opportunity on its customer, idempotently per won event (the customer
// module's command, as the system actor; cause is the won event).
type Recorder interface {
	RecordWonDeal(ctx context.Context, cause eventstore.Event, customerID, opportunityID uuid.UUID, amount, date string) error
}

// Projector is a process manager, not a read model: it has no tables. A rebuild replays every
// win through the recorder, which records nothing for a win already recorded.
type Projector struct{ Recorder Recorder }

func (Projector) Name() string                        { return "deals" }
func (Projector) Schema(*readmodels.DB, int) []string { return nil }
func (Projector) Drop(*readmodels.DB, int) []string   { return nil }
func (p Projector) NewBatch(*engine.Tx) engine.Batch  { return batch{p.Recorder} }

// Wants implements engine.Selective: wins only.
func (Projector) Wants(e eventstore.Event) bool { return e.Type == (opportunity.Won{}).EventType() }

type batch struct{ r Recorder }

func (b batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !(Projector{}).Wants(e) {
		return nil
	}
	var w opportunity.Won
	if err := json.Unmarshal(e.Data, &w); err != nil {
		return fmt.Errorf("deals: %s: %w", e.ID, err)
	}
	opp, err := uuid.Parse(strings.TrimPrefix(e.StreamID, opportunity.StreamPrefix+"-"))
	if err != nil {
		return fmt.Errorf("deals: stream %s: %w", e.StreamID, err)
	}
	cust, err := uuid.Parse(w.CustomerID)
	if err != nil {
		return nil // a win without a customer (none can be made) has nothing to record
	}
	return b.r.RecordWonDeal(ctx, e, cust, opp, w.Amount, w.Date)
}

func (batch) Flush(context.Context) error { return nil }
