// Package auditproj indexes every event of the log for the operation-log queries.
package auditproj

import (
	"context"
	"fmt"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
)

// Projector indexes every event of the log for the operation-log queries. It is derived from
// the log like every other read model and can be rebuilt from it.
type Projector struct{}

func (Projector) Name() string { return auditview.Projection }

func (Projector) Schema(_ *readmodels.DB, gen int) []string {
	return auditview.TableDDL(readmodels.TableName("audit_events", gen))
}

func (Projector) Drop(_ *readmodels.DB, gen int) []string {
	return []string{`DROP TABLE IF EXISTS ` + readmodels.TableName("audit_events", gen)}
}

func (Projector) NewBatch(tx *engine.Tx) engine.Batch { return &batch{tx: tx} }

type batch struct {
	tx     *engine.Tx
	events []eventstore.Event
}

func (b *batch) Apply(_ context.Context, e eventstore.Event) error {
	b.events = append(b.events, e)
	return nil
}

func (b *batch) Flush(ctx context.Context) error {
	err := kit.InsertNew(ctx, b.tx, b.tx.Table("audit_events"), auditview.Columns, "position", len(b.events),
		func(i int) []any { return auditview.Args(b.tx.DB.Dialect, b.events[i]) })
	if err != nil {
		return fmt.Errorf("insert audit events: %w", err)
	}
	return nil
}
