package kit

import (
	"context"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/projections/engine"
)

// EraseRelated follows an erasure (privacy.subject_erased.v1) in the rows of table that name a
// related record (related_kind, related_id) and keep its name as a label (tasks, schedule
// entries): erase sets the row's label to privacy.Erased (reporting whether it had one), and the
// row is put back into the buffer, so its search text follows. Other events are ignored.
func EraseRelated[R any](ctx context.Context, tx *engine.Tx, buf *RowBuffer[R], table string, d event.Event, erase func(*R) bool) error {
	er, ok := d.(privacy.SubjectErased)
	if !ok {
		return nil
	}
	if err := buf.Flush(ctx, tx); err != nil { // rows of this page are found too
		return err
	}
	ids, err := tx.DB.IDsIn(ctx, tx, `SELECT id FROM `+table+` WHERE related_id = ? AND related_kind = ?`, er.SubjectID, er.Kind)
	if err != nil {
		return err
	}
	for _, id := range ids {
		row, found, err := buf.Find(ctx, tx, id)
		if err != nil {
			return err
		}
		if found && erase(row) {
			buf.Put(id, row)
		}
	}
	return nil
}
