package financeproj

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/readmodels"
	fv "github.com/chronicle-crm/chronicle/readmodels/financeview"
)

// payEntry is a payable row the batch holds until Flush, with what must be rewritten.
type payEntry struct {
	row      *fv.PayableRow
	exists   bool // in the table
	deleted  bool
	vouchers map[string]*changedVoucher // vouchers to write (nil: delete)
	members  []string                   // voucher id, user id pairs
}

type changedVoucher struct {
	v  finance.Voucher
	at time.Time
}

// supplier keeps the directory; a rename rewrites the rows that show the name.
func (b *batch) supplier(ctx context.Context, e eventstore.Event, d event.Event) error {
	dl := b.tx.DB.Dialect
	switch d := d.(type) {
	case finance.SupplierCreated:
		row := fv.SupplierRow{CreatedAt: d.At, UpdatedAt: e.OccurredAt}
		row.ID, _ = uuid.Parse(d.SupplierID)
		row.FromSupplier(d.Fields)
		_, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Suppliers+` (`+fv.SupplierInsertColumns+`) VALUES (`+qs(len(strings.Split(fv.SupplierInsertColumns, ",")))+`)`,
			fv.SupplierArgs(dl, &row)...)
		return err
	case finance.SupplierUpdated:
		row, err := fv.ScanSupplier(b.tx.QueryRow(ctx, `SELECT `+fv.SupplierColumns+` FROM `+b.t.Suppliers+` WHERE id = ?`, d.SupplierID))
		if err != nil {
			return fmt.Errorf("finance: supplier %s: %w", d.SupplierID, err)
		}
		renamed := row.Name != d.Fields.Name
		row.FromSupplier(d.Fields)
		row.UpdatedAt = e.OccurredAt
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.Suppliers+` WHERE id = ?`, d.SupplierID); err != nil {
			return err
		}
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Suppliers+` (`+fv.SupplierInsertColumns+`) VALUES (`+qs(len(strings.Split(fv.SupplierInsertColumns, ",")))+`)`,
			fv.SupplierArgs(dl, row)...); err != nil {
			return err
		}
		if !renamed {
			return nil
		}
		if err := b.Flush(ctx); err != nil { // the rows updated below must be current
			return err
		}
		for _, t := range []string{b.t.Payables, b.t.Vouchers} {
			if _, err := b.tx.Exec(ctx, `UPDATE `+t+` SET supplier_name = ? WHERE supplier_id = ?`, d.Fields.Name, d.SupplierID); err != nil {
				return err
			}
		}
		return nil
	case finance.SupplierDeleted:
		_, err := b.tx.Exec(ctx, `UPDATE `+b.t.Suppliers+` SET deleted = ?, updated_at = ? WHERE id = ?`, 1, dl.Time(e.OccurredAt), d.SupplierID)
		return err
	}
	return nil
}

func (b *batch) supplierName(ctx context.Context, id string) (string, error) {
	var name string
	err := b.tx.QueryRow(ctx, `SELECT name FROM `+b.t.Suppliers+` WHERE id = ?`, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return name, err
}

// payable folds an event of a payable's stream into its row, its vouchers and the cells.
func (b *batch) payable(ctx context.Context, e eventstore.Event, id uuid.UUID, d event.Event) error {
	var en *payEntry
	if _, ok := d.(finance.PayableCreated); ok {
		en = &payEntry{row: &fv.PayableRow{ID: id}}
		b.payables[id] = en
		b.porder = append(b.porder, id)
	} else {
		var err error
		if en, err = b.getPayable(ctx, id); err != nil {
			return err
		}
	}
	row := en.row
	before := b.payableContributions(row)
	p := finance.RestorePayable(id, row.State)
	p.Fold(d)
	row.State = p.State()
	supplier := row.SupplierID
	row.Summarise()
	row.UpdatedAt = e.OccurredAt
	if row.SupplierID != supplier || row.SupplierName == "" {
		name, err := b.supplierName(ctx, row.SupplierID.String())
		if err != nil {
			return err
		}
		row.SupplierName = name
	}
	vid := ""
	switch d := d.(type) {
	case finance.PayableDeleted:
		en.deleted = true
	case finance.PayableUpdated:
		en.touchAll(e.OccurredAt) // the vouchers show the payable's purpose, supplier and owner
	case finance.VoucherDrafted:
		vid = d.VoucherID
	case finance.VoucherUpdated:
		vid = d.VoucherID
	case finance.VoucherDeleted:
		en.set(d.VoucherID, nil)
	case finance.VoucherSubmitted:
		vid = d.VoucherID
		for _, s := range d.Steps {
			for _, a := range s.ApproverIDs {
				en.members = append(en.members, d.VoucherID, a)
			}
		}
	case finance.VoucherDecided:
		vid = d.VoucherID
	case finance.VoucherWithdrawn:
		vid = d.VoucherID
	case finance.VoucherReversed:
		vid = d.VoucherID
	}
	if vid != "" {
		if v, err := p.Voucher(uuid.MustParse(vid)); err == nil {
			en.set(vid, &changedVoucher{v: v, at: e.OccurredAt})
		}
	}
	b.add(before, -1)
	if !en.deleted {
		b.add(b.payableContributions(row), 1)
	}
	return nil
}

func (en *payEntry) set(id string, c *changedVoucher) {
	if en.vouchers == nil {
		en.vouchers = map[string]*changedVoucher{}
	}
	en.vouchers[id] = c
}

// touchAll rewrites every voucher of the payable (their copies of its columns changed).
func (en *payEntry) touchAll(at time.Time) {
	for _, v := range en.row.State.Vouchers {
		en.set(v.ID, &changedVoucher{v: v, at: at})
	}
}

// getPayable is a payable's entry: held by the batch, or read from the table.
func (b *batch) getPayable(ctx context.Context, id uuid.UUID) (*payEntry, error) {
	if en, ok := b.payables[id]; ok {
		if en.deleted {
			return nil, fmt.Errorf("finance: payable %s is deleted", id)
		}
		return en, nil
	}
	row, err := fv.ScanPayable(b.tx.QueryRow(ctx, `SELECT `+fv.PayableColumns+` FROM `+b.t.Payables+` WHERE id = ?`, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finance: no payable %s", id)
	}
	if err != nil {
		return nil, err
	}
	en := &payEntry{row: row, exists: true}
	b.payables[id] = en
	b.porder = append(b.porder, id)
	return en, nil
}

// payableContributions is a payable's share of the month cells: its amount due in its due
// month; each confirmed (or later reversed) voucher paid in its date's month, and a reversal
// taking it back in the reversal's month.
func (b *batch) payableContributions(r *fv.PayableRow) []cell {
	if r.State.Number == "" || r.State.Deleted {
		return nil
	}
	months := b.cells[0]
	owner := r.OwnerID.String()
	var out []cell
	at := func(month string, due, paid int64) {
		v := []int64{0, 0, 0, 0, 0, due, paid}
		out = append(out, cell{months.Name, []string{owner, month}, v}, cell{months.Name, []string{fv.Everyone, month}, v})
	}
	at(r.State.Fields.DueDate[:7], amt(r.State.Fields.Amount).Fen(), 0)
	for _, v := range r.State.Vouchers {
		moved(v.Lifecycle, v.Fields.Date, amt(v.Fields.Amount).Fen(), func(m string, a int64) { at(m, 0, a) }, func(m string, a int64) { at(m, 0, -a) })
	}
	return out
}

// flushPayable writes a payable's row and what changed with it.
func (b *batch) flushPayable(ctx context.Context, dl readmodels.Dialect, en *payEntry) error {
	r := en.row
	id := r.ID.String()
	if en.exists || en.deleted {
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.Payables+` WHERE id = ?`, id); err != nil {
			return err
		}
	}
	if en.deleted {
		// a deleted payable had drafts only: they go with it
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.VoucherMembers+` WHERE voucher_id IN (SELECT id FROM `+b.t.Vouchers+` WHERE payable_id = ?)`, id); err != nil {
			return err
		}
		_, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.Vouchers+` WHERE payable_id = ?`, id)
		return err
	}
	if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Payables+` (`+fv.PayableInsertColumns+`) VALUES (`+qs(len(strings.Split(fv.PayableInsertColumns, ",")))+`)`,
		fv.PayableArgs(dl, r)...); err != nil {
		return fmt.Errorf("finance payable %s: %w", id, err)
	}
	en.exists = true
	for _, vid := range slices.Sorted(maps.Keys(en.vouchers)) {
		x := en.vouchers[vid]
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.Vouchers+` WHERE id = ?`, vid); err != nil {
			return err
		}
		if x == nil {
			if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.VoucherMembers+` WHERE voucher_id = ?`, vid); err != nil {
				return err
			}
			continue
		}
		row := fv.VoucherRow{UpdatedAt: x.at}
		row.FromVoucher(r, x.v)
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Vouchers+` (`+fv.VoucherInsertColumns+`) VALUES (`+qs(len(strings.Split(fv.VoucherInsertColumns, ",")))+`)`,
			fv.VoucherArgs(dl, &row)...); err != nil {
			return err
		}
	}
	en.vouchers = nil
	for i := 0; i+1 < len(en.members); i += 2 {
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.VoucherMembers+` (voucher_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, en.members[i], en.members[i+1]); err != nil {
			return err
		}
	}
	en.members = nil
	return nil
}
