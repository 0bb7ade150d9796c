package projections

import (
	"context"
	"fmt"
	"strings"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
)

// Audit indexes every event of the log for the operation-log queries. It is derived from the
// log like every other read model and can be rebuilt from it.
type Audit struct{}

func (Audit) Name() string { return auditview.Projection }

func (Audit) Schema(_ *readmodels.DB, gen int) []string {
	return auditview.TableDDL(readmodels.TableName("audit_events", gen))
}

func (Audit) Drop(_ *readmodels.DB, gen int) []string {
	return []string{`DROP TABLE IF EXISTS ` + readmodels.TableName("audit_events", gen)}
}

func (Audit) NewBatch(tx *Tx) Batch { return &auditBatch{tx: tx} }

type auditBatch struct {
	tx     *Tx
	events []eventstore.Event
}

func (b *auditBatch) Apply(_ context.Context, e eventstore.Event) error {
	b.events = append(b.events, e)
	return nil
}

func (b *auditBatch) Flush(ctx context.Context) error {
	ncol := strings.Count(auditview.Columns, ",") + 1
	table := b.tx.Table("audit_events")
	for start := 0; start < len(b.events); start += upsertChunk {
		chunk := b.events[start:min(start+upsertChunk, len(b.events))]
		args := make([]any, 0, len(chunk)*ncol)
		for _, e := range chunk {
			args = append(args, auditview.Args(b.tx.DB.Dialect, e)...)
		}
		q := `INSERT INTO ` + table + ` (` + auditview.Columns + `) VALUES ` + placeholders(len(chunk), ncol) + ` ON CONFLICT (position) DO NOTHING`
		if _, err := b.tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("insert audit events: %w", err)
		}
	}
	return nil
}
