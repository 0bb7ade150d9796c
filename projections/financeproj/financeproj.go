// Package financeproj projects contracts and their receivables into the finance read model: a
// row per contract (its contract and ledger states folded by the aggregates' own rules, and
// their sums), the installments and receipts, and the statistics cells. A contract's share of
// every cell is a function of its row (contributions); each event subtracts the share before
// and adds the share after, so the cells always equal a recomputation from the rows.
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

	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	fv "github.com/chronicle-crm/chronicle/readmodels/financeview"
)

// Projector builds the finance read model.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return fv.Projection }

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	t := fv.Names(gen)
	ddl := fv.DDL(t)
	ddl = append(ddl, db.Dialect.SearchIndex(t.Receipts)...)
	ddl = append(ddl, db.Dialect.SearchIndex(t.Contracts)...)
	for _, x := range []string{t.Suppliers, t.Payables, t.Vouchers} {
		ddl = append(ddl, db.Dialect.SearchIndex(x)...)
	}
	return append(ddl, kit.OrgTreeDDL(t.Depts, t.Users)...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t := fv.Names(gen)
	var drop []string
	for _, x := range []string{t.Receipts, t.Contracts, t.Suppliers, t.Payables, t.Vouchers} {
		drop = append(drop, db.Dialect.DropSearchIndex(x)...)
	}
	for _, x := range []string{t.Contracts, t.Installments, t.Receipts, t.Members, t.Customers, t.Months, t.Owners, t.CustomerCells, t.Ageing, t.Depts, t.Users,
		t.Suppliers, t.Payables, t.Vouchers, t.VoucherMembers} {
		drop = append(drop, `DROP TABLE IF EXISTS `+x)
	}
	return drop
}

// KeepIndexes implements engine.KeepIndexes: applying events finds installments, receipts and
// members by contract or receipt, contracts by customer, vouchers and members by payable or
// voucher, payables and vouchers by supplier, and the organisation by path.
func (*Projector) KeepIndexes(gen int) []string {
	t := fv.Names(gen)
	return append([]string{t.Installments + "_key", t.Receipts + "_contract", t.Contracts + "_customer", t.Members + "_receipt",
		t.Vouchers + "_payable", t.Vouchers + "_supplier", t.Payables + "_supplier", t.VoucherMembers + "_voucher"},
		kit.OrgTreeIndexes(t.Depts, t.Users)...)
}

// Wants implements engine.Selective.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case contract.StreamPrefix, finance.LedgerPrefix, customer.StreamPrefix, user.StreamPrefix, department.StreamPrefix,
		finance.SupplierPrefix, finance.PayablePrefix:
		return true
	}
	return false
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	t := fv.Tables{Contracts: tx.Table(fv.ContractsTable), Installments: tx.Table(fv.InstallmentsTable), Receipts: tx.Table(fv.ReceiptsTable),
		Members: tx.Table(fv.MembersTable), Customers: tx.Table(fv.CustomersTable), Months: tx.Table(fv.MonthsTable), Owners: tx.Table(fv.OwnersTable),
		CustomerCells: tx.Table(fv.CustomerCellsTable), Ageing: tx.Table(fv.AgeingTable), Depts: tx.Table(fv.DeptsTable), Users: tx.Table(fv.UsersTable),
		Suppliers: tx.Table(fv.SuppliersTable), Payables: tx.Table(fv.PayablesTable), Vouchers: tx.Table(fv.VouchersTable), VoucherMembers: tx.Table(fv.VoucherMembersTable)}
	return &batch{p: p, tx: tx, t: t, tree: kit.OrgTree{Depts: t.Depts, Users: t.Users}, cells: fv.CellTables(t),
		rows: map[uuid.UUID]*entry{}, payables: map[uuid.UUID]*payEntry{}, deltas: map[string]*delta{}, lastDates: map[string]bool{}}
}

// entry is a contract row the batch holds until Flush, with what must be rewritten.
type entry struct {
	row          *fv.ContractRow
	exists       bool // in the table
	deleted      bool
	installments bool                // rewrite the contract's installments
	receipts     map[string]*changed // receipts to write (nil: delete)
	names        bool                // the contract's number, name or customer changed: rewrite its receipts' copies
	members      []string            // approvers to add to receipts (receipt id, user id pairs)
}

// changed is a receipt to write and when it last changed.
type changed struct {
	r  finance.Receipt
	at time.Time
}

type delta struct {
	table string
	keys  []string
	v     []int64
}

type batch struct {
	p     *Projector
	tx    *engine.Tx
	t     fv.Tables
	tree  kit.OrgTree
	cells []fv.CellTable
	rows  map[uuid.UUID]*entry
	order []uuid.UUID
	// payables held until Flush, in the order first touched
	payables map[uuid.UUID]*payEntry
	porder   []uuid.UUID
	deltas   map[string]*delta
	// lastDates are the owners and customers whose cells' last receipt date may have moved:
	// "owner" or "customer\x1fowner" keys.
	lastDates map[string]bool
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !b.p.Wants(e) {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	kind := eventstore.StreamKind(e.StreamID)
	switch kind {
	case user.StreamPrefix, department.StreamPrefix:
		return b.tree.Follow(ctx, b.tx, d)
	case customer.StreamPrefix:
		return b.customer(ctx, d)
	case finance.SupplierPrefix:
		return b.supplier(ctx, e, d)
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, kind+"-"))
	if err != nil {
		return err
	}
	if kind == finance.PayablePrefix {
		return b.payable(ctx, e, id, d)
	}
	var en *entry
	if c, ok := d.(contract.Created); ok {
		en = &entry{row: &fv.ContractRow{ContractID: id}}
		b.rows[id] = en
		b.order = append(b.order, id)
		agg := contract.Restore(id, contract.State{})
		agg.Fold(c)
		en.row.Contract = agg.State()
		en.row.CustomerName, err = b.customerName(ctx, en.row.Contract.Fields.CustomerID)
		if err != nil {
			return err
		}
	} else if en, err = b.get(ctx, id); err != nil {
		return err
	}
	before := b.contributions(en.row)
	lastBefore := ptrString(en.row.LastReceiptDate)
	row := en.row
	if kind == contract.StreamPrefix {
		agg := contract.Restore(id, row.Contract)
		agg.Fold(d)
		st := agg.State()
		if st.Deleted {
			en.deleted = true
		}
		if st.Number != row.Contract.Number || st.Fields.Name != row.Contract.Fields.Name || st.Fields.CustomerID != row.Contract.Fields.CustomerID {
			en.names, en.installments = true, true
			if st.Fields.CustomerID != row.Contract.Fields.CustomerID {
				if row.CustomerName, err = b.customerName(ctx, st.Fields.CustomerID); err != nil {
					return err
				}
			}
		}
		if st.Status != row.Contract.Status || st.Amount != row.Contract.Amount {
			en.installments = true
		}
		row.Contract = st
	} else {
		led := finance.RestoreLedger(id, row.Ledger)
		led.Fold(d)
		row.Ledger = led.State()
		rid := ""
		switch d := d.(type) {
		case finance.PlanSet, finance.InstallmentsOverdue:
			en.installments = true
		case finance.ReceiptDrafted:
			rid = d.ReceiptID
		case finance.ReceiptUpdated:
			rid = d.ReceiptID
		case finance.ReceiptDeleted:
			if en.receipts == nil {
				en.receipts = map[string]*changed{}
			}
			en.receipts[d.ReceiptID] = nil
		case finance.ReceiptSubmitted:
			rid = d.ReceiptID
			for _, s := range d.Steps {
				for _, a := range s.ApproverIDs {
					en.members = append(en.members, d.ReceiptID, a)
				}
			}
		case finance.ReceiptDecided:
			rid, en.installments = d.ReceiptID, true
		case finance.ReceiptWithdrawn:
			rid = d.ReceiptID
		case finance.ReceiptReversed:
			rid, en.installments = d.ReceiptID, true
		}
		if rid != "" {
			if r, err := led.Receipt(uuid.MustParse(rid)); err == nil {
				if en.receipts == nil {
					en.receipts = map[string]*changed{}
				}
				en.receipts[rid] = &changed{r: r, at: e.OccurredAt}
			}
		}
	}
	summarise(row)
	row.UpdatedAt = e.OccurredAt
	if ptrString(row.LastReceiptDate) != lastBefore || en.deleted {
		owner, cust := row.OwnerID.String(), row.CustomerID.String()
		b.lastDates[owner], b.lastDates[cust+"\x1f"+owner] = true, true
	}
	if en.deleted {
		b.add(before, -1)
		return nil
	}
	b.add(before, -1)
	b.add(b.contributions(row), 1)
	return nil
}

// get is a contract's entry: held by the batch, or read from the table.
func (b *batch) get(ctx context.Context, id uuid.UUID) (*entry, error) {
	if en, ok := b.rows[id]; ok {
		if en.deleted {
			return nil, fmt.Errorf("finance: contract %s is deleted", id)
		}
		return en, nil
	}
	row, err := fv.ScanContract(b.tx.QueryRow(ctx, `SELECT `+fv.ContractColumns+` FROM `+b.t.Contracts+` WHERE id = ?`, id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finance: no contract %s", id)
	}
	if err != nil {
		return nil, err
	}
	en := &entry{row: row, exists: true}
	b.rows[id] = en
	b.order = append(b.order, id)
	return en, nil
}

func amt(s string) money.Amount {
	a, _ := money.ParseAmount("amount", s)
	return a
}

// receivable: the contract was approved (its receivables count).
func receivable(st contract.State) bool {
	switch st.Status {
	case contract.StatusApproved, contract.StatusExecuting, contract.StatusCompleted, contract.StatusTerminated:
		return true
	}
	return false
}

func summarise(r *fv.ContractRow) { Summarise(r) }

// Summarise sets a row's columns from its contract and ledger states.
func Summarise(r *fv.ContractRow) {
	st := r.Contract
	r.ContractNumber, r.ContractName, r.Status, r.Amount = st.Number, st.Fields.Name, string(st.Status), amt(st.Amount).String()
	r.CustomerID, _ = uuid.Parse(st.Fields.CustomerID)
	r.OwnerID, _ = uuid.Parse(st.OwnerID)
	tot := finance.RestoreLedger(r.ContractID, r.Ledger).Totals()
	r.Planned, r.Received, r.Pending, r.Overdue = tot.Planned.String(), tot.Received.String(), tot.Pending.String(), tot.Overdue.String()
	r.Outstanding = money.Amount{}.String()
	if receivable(st) {
		r.Outstanding = amt(st.Amount).Sub(tot.Received).String()
	}
	r.LastReceiptDate = nil
	if tot.LastDate != "" {
		d := tot.LastDate
		r.LastReceiptDate = &d
	}
	r.Receipts = int64(tot.Receipts)
}

// Cell is one contribution: a cell table, its key, and the amounts added (in the table's sums:
// counts, or money in fen).
type Cell struct {
	Table string
	Keys  []string
	V     []int64
}

type cell = Cell

func (b *batch) contributions(r *fv.ContractRow) []cell { return Contributions(b.cells, r) }

// Contributions is a contract's share of every cell (cells are fv.CellTables of a generation):
// nothing until it is approved.
func Contributions(cells []fv.CellTable, r *fv.ContractRow) []Cell {
	if !receivable(r.Contract) {
		return nil
	}
	months, owners, customers, ageing := cells[0], cells[1], cells[2], cells[3]
	owner, cust := r.OwnerID.String(), r.CustomerID.String()
	var out []cell
	both := func(t fv.CellTable, keys func(owner string) []string, v []int64) {
		out = append(out, cell{t.Name, keys(owner), v}, cell{t.Name, keys(fv.Everyone), v})
	}
	amount, received, overdue := amt(r.Amount).Fen(), amt(r.Received).Fen(), amt(r.Overdue).Fen()
	totals := []int64{1, amount, amt(r.Planned).Fen(), received, amount - received, overdue}
	out = append(out, cell{owners.Name, []string{owner}, totals})
	both(customers, func(o string) []string { return []string{cust, o} }, totals)
	for _, in := range r.Ledger.Installments {
		a, rec := amt(in.Amount).Fen(), amt(in.Received).Fen()
		left := max(a-rec, 0)
		od := int64(0)
		if in.OverdueSince != "" {
			od = left
		}
		m := in.DueDate[:7]
		both(months, func(o string) []string { return []string{o, m} }, []int64{a, left, od, 0, 0, 0, 0})
		if left > 0 {
			due := in.DueDate
			both(ageing, func(o string) []string { return []string{o, due} }, []int64{left})
		}
	}
	for _, x := range r.Ledger.Receipts {
		moved(x.Lifecycle, x.Fields.Date, amt(x.Fields.Amount).Fen(), func(m string, a int64) {
			both(months, func(o string) []string { return []string{o, m} }, []int64{0, 0, 0, a, 0, 0, 0})
		}, func(m string, a int64) {
			both(months, func(o string) []string { return []string{o, m} }, []int64{0, 0, 0, 0, a, 0, 0})
		})
	}
	return out
}

// moved is what a finance document (a receipt, a payment voucher) moves in the month cells: once
// confirmed, its amount in its date's month (kept after a reversal), and once reversed, its
// amount again in the reversal's month (taken back).
func moved(l finance.Lifecycle, date string, fen int64, in, back func(month string, fen int64)) {
	if l.Status != finance.Confirmed && l.Status != finance.Reversed {
		return
	}
	in(date[:7], fen)
	if l.Status == finance.Reversed && l.Reversal != nil {
		back(l.Reversal.Date[:7], fen)
	}
}

// add accumulates contributions (sign -1: taken away).
func (b *batch) add(cs []cell, sign int64) {
	for _, c := range cs {
		k := c.Table + "\x1e" + strings.Join(c.Keys, "\x1f")
		d, ok := b.deltas[k]
		if !ok {
			d = &delta{table: c.Table, keys: c.Keys, v: make([]int64, len(c.V))}
			b.deltas[k] = d
		}
		for i, x := range c.V {
			d.v[i] += sign * x
		}
	}
}

// customer keeps customers' names; a rename rewrites the rows that show it.
func (b *batch) customer(ctx context.Context, d event.Event) error {
	var id string
	var name *string
	created := false
	switch d := d.(type) {
	case customer.Created:
		id, name, created = d.CustomerID, &d.Fields.Name, true
	case customer.Updated:
		id, name = d.CustomerID, d.Patch.Name
	}
	if name == nil {
		return nil
	}
	if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Customers+` (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name`, id, *name); err != nil {
		return err
	}
	if created {
		return nil
	}
	if err := b.Flush(ctx); err != nil { // the rows updated below must be current
		return err
	}
	for _, t := range []string{b.t.Contracts, b.t.Installments, b.t.Receipts} {
		if _, err := b.tx.Exec(ctx, `UPDATE `+t+` SET customer_name = ? WHERE customer_id = ?`, *name, id); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) customerName(ctx context.Context, id string) (string, error) {
	var name string
	err := b.tx.QueryRow(ctx, `SELECT name FROM `+b.t.Customers+` WHERE id = ?`, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return name, err
}

func (b *batch) Flush(ctx context.Context) error {
	dl := b.tx.DB.Dialect
	for _, id := range b.order {
		en := b.rows[id]
		if err := b.flushContract(ctx, dl, en); err != nil {
			return err
		}
	}
	clear(b.rows)
	b.order = b.order[:0]
	for _, id := range b.porder {
		if err := b.flushPayable(ctx, dl, b.payables[id]); err != nil {
			return err
		}
	}
	clear(b.payables)
	b.porder = b.porder[:0]
	keys := slices.Sorted(maps.Keys(b.deltas)) // a fixed order: no deadlocks between writers
	for _, k := range keys {
		d := b.deltas[k]
		if !slices.ContainsFunc(d.v, func(x int64) bool { return x != 0 }) {
			continue
		}
		var ct fv.CellTable
		for _, c := range b.cells {
			if c.Name == d.table {
				ct = c
			}
		}
		cols := append(slices.Clone(ct.Keys), ct.Sums...)
		args := make([]any, 0, len(cols))
		for _, k := range d.keys {
			args = append(args, k)
		}
		sets := make([]string, len(ct.Sums))
		for i, s := range ct.Sums {
			if fv.Counts(s) {
				args = append(args, d.v[i])
			} else {
				args = append(args, readmodels.MoneyArg(dl, money.Fen(d.v[i])))
			}
			sets[i] = s + " = " + d.table + "." + s + " + excluded." + s
		}
		stmt := `INSERT INTO ` + d.table + ` (` + strings.Join(cols, ", ") + `) VALUES (` + qs(len(cols)) + `) ON CONFLICT (` + strings.Join(ct.Keys, ", ") + `) DO UPDATE SET ` + strings.Join(sets, ", ")
		if _, err := b.tx.Exec(ctx, stmt, args...); err != nil {
			return fmt.Errorf("finance cells %s: %w", d.table, err)
		}
	}
	clear(b.deltas)
	// the last receipt dates of the cells whose contracts' changed, from the contracts' index
	owner, customerOwner, customerAll := fv.LastReceiptDates(b.t)
	for _, k := range slices.Sorted(maps.Keys(b.lastDates)) {
		var err error
		if cust, own, ok := strings.Cut(k, "\x1f"); ok {
			if _, err = b.tx.Exec(ctx, customerOwner, cust, own, cust, own); err == nil {
				_, err = b.tx.Exec(ctx, customerAll, cust, cust, fv.Everyone)
			}
		} else {
			_, err = b.tx.Exec(ctx, owner, k, k)
		}
		if err != nil {
			return fmt.Errorf("finance last receipt dates: %w", err)
		}
	}
	clear(b.lastDates)
	return nil
}

func ptrString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// flushContract writes a contract's row and what changed with it.
func (b *batch) flushContract(ctx context.Context, dl readmodels.Dialect, en *entry) error {
	r := en.row
	id := r.ContractID.String()
	if en.exists || en.deleted {
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.Contracts+` WHERE id = ?`, id); err != nil {
			return err
		}
	}
	if en.deleted {
		_, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.Installments+` WHERE contract_id = ?`, id)
		return err
	}
	if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Contracts+` (`+fv.ContractInsertColumns+`) VALUES (`+qs(len(strings.Split(fv.ContractInsertColumns, ",")))+`)`,
		fv.ContractArgs(dl, r)...); err != nil {
		return fmt.Errorf("finance contract %s: %w", id, err)
	}
	en.exists = true
	if en.installments {
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.Installments+` WHERE contract_id = ?`, id); err != nil {
			return err
		}
		n := len(strings.Split(fv.InstallmentInsertColumns, ","))
		for _, in := range r.Ledger.Installments {
			a, rec := amt(in.Amount), amt(in.Received)
			left := a.Sub(rec)
			if left.Sign() < 0 {
				left = money.Amount{}
			}
			row := fv.InstallmentRow{ID: fmt.Sprintf("%s:%04d", id, in.Seq), ContractID: r.ContractID, ContractNumber: r.ContractNumber, ContractName: r.ContractName,
				CustomerID: r.CustomerID, CustomerName: r.CustomerName, OwnerID: r.OwnerID, Seq: int64(in.Seq), DueDate: in.DueDate, Amount: a.String(),
				Note: in.Note, Received: rec.String(), Outstanding: left.String(), Status: finance.InstallmentStatus(in)}
			if in.OverdueSince != "" {
				s := in.OverdueSince
				row.OverdueSince = &s
			}
			if left.Sign() > 0 {
				row.Open = 1
			}
			if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Installments+` (`+fv.InstallmentInsertColumns+`) VALUES (`+qs(n)+`)`, fv.InstallmentArgs(dl, &row)...); err != nil {
				return err
			}
		}
		en.installments = false
	}
	for _, rid := range slices.Sorted(maps.Keys(en.receipts)) {
		x := en.receipts[rid]
		if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.Receipts+` WHERE id = ?`, rid); err != nil {
			return err
		}
		if x == nil {
			if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.t.Members+` WHERE receipt_id = ?`, rid); err != nil {
				return err
			}
			continue
		}
		row := fv.ReceiptRow{ContractNumber: r.ContractNumber, ContractName: r.ContractName, CustomerID: r.CustomerID, CustomerName: r.CustomerName,
			ContractOwnerID: r.OwnerID, UpdatedAt: x.at}
		row.FromReceipt(r.ContractID, x.r)
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Receipts+` (`+fv.ReceiptInsertColumns+`) VALUES (`+qs(len(strings.Split(fv.ReceiptInsertColumns, ",")))+`)`,
			fv.ReceiptArgs(dl, &row)...); err != nil {
			return err
		}
	}
	en.receipts = nil
	for i := 0; i+1 < len(en.members); i += 2 {
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.t.Members+` (receipt_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, en.members[i], en.members[i+1]); err != nil {
			return err
		}
	}
	en.members = nil
	if en.names {
		if _, err := b.tx.Exec(ctx, `UPDATE `+b.t.Receipts+` SET contract_number = ?, contract_name = ?, customer_id = ?, customer_name = ? WHERE contract_id = ?`,
			r.ContractNumber, r.ContractName, r.CustomerID.String(), r.CustomerName, id); err != nil {
			return err
		}
		en.names = false
	}
	return nil
}

func qs(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
