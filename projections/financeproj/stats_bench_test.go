package financeproj_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/financeproj"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	fv "github.com/chronicle-crm/chronicle/readmodels/financeview"
)

// The statistics benchmark's data set.
const (
	benchContracts = 100_000
	benchReceipts  = 10 // per contract: 1,000,000 in all
	benchOwners    = 50
	benchCustomers = 20_000
)

// BenchmarkFinanceStatistics measures every statistics query over 100,000 approved contracts
// with 300,000 installments and 1,000,000 confirmed receipts (some reversed), at 32 concurrent
// readers, for a reader who sees everything and for a sales user who sees their own; and a
// primary-key read of one contract row at the same concurrency in the same run (the reference:
// the cheapest query the database answers). The read model is loaded with COPY from rows built
// by the projection's own functions (Summarise, Contributions), so it is exactly what projecting
// the events would leave; the property test proves the projection keeps it so event by event.
//
//	CHRONICLE_TEST_POSTGRES_URL='postgres://...' go test -run '^$' -bench FinanceStatistics -benchtime 1x -timeout 30m ./projections/financeproj/
func BenchmarkFinanceStatistics(b *testing.B) {
	for _, be := range projtest.BenchBackends() {
		if be.Name != "postgres" {
			continue
		}
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			store, _ := be.Store(b)
			db := be.DB(b)
			reg := projtest.Registry()
			eng, err := engine.New(store, db, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, financeproj.New(reg))
			if err != nil {
				b.Fatal(err)
			}
			if err := eng.Prepare(ctx); err != nil {
				b.Fatal(err)
			}
			owners := make([]uuid.UUID, benchOwners)
			for i := range owners {
				owners[i] = uuid.New()
			}
			t0 := time.Now()
			ids := seedFinance(b, ctx, db, owners)
			b.Logf("loaded %d contracts, %d receipts in %v", len(ids), len(ids)*benchReceipts, time.Since(t0).Round(time.Millisecond))
			for _, t := range []string{fv.ContractsTable, fv.InstallmentsTable, fv.ReceiptsTable, fv.MonthsTable, fv.OwnersTable, fv.CustomerCellsTable, fv.AgeingTable} {
				if _, err := db.SQL.ExecContext(ctx, "ANALYZE "+db.Gens.Table(fv.Projection, t)); err != nil {
					b.Fatal(err)
				}
			}
			v := fv.New(db)
			all := fv.CellFilter{Reader: fv.Reader{Scope: readmodels.Scope{All: true}}}
			sales := fv.CellFilter{Reader: fv.Reader{Scope: readmodels.Scope{UserID: owners[0]}, User: owners[0]}}
			now := time.Now().UTC()
			from, to, asOf := now.AddDate(0, -11, 0).Format("2006-01"), now.Format("2006-01"), now.Format(time.DateOnly)
			table := db.Gens.Table(fv.Projection, fv.ContractsTable)
			cases := []struct {
				name string
				run  func() error
			}{
				{"reference-pk", func() error {
					_, err := fv.ScanContract(db.SQL.QueryRowContext(ctx, db.Q(`SELECT `+fv.ContractColumns+` FROM `+table+` WHERE id = ?`), ids[rand.IntN(len(ids))].String()))
					return err
				}},
				{"monthly-all", func() error { _, err := v.Monthly(ctx, all, from, to); return err }},
				{"monthly-sales", func() error { _, err := v.Monthly(ctx, sales, from, to); return err }},
				{"owners-all", func() error { _, err := v.Owners(ctx, all); return err }},
				{"customers-all", func() error { _, err := v.Customers(ctx, all, 10); return err }},
				{"customers-sales", func() error { _, err := v.Customers(ctx, sales, 10); return err }},
				{"ageing-all", func() error { _, err := v.Ageing(ctx, all, asOf); return err }},
				{"ageing-sales", func() error { _, err := v.Ageing(ctx, sales, asOf); return err }},
				{"contracts-all", func() error {
					_, err := v.Contracts(ctx, fv.ContractQuery{Reader: all.Reader, Limit: 20})
					return err
				}},
			}
			m, err := v.Monthly(ctx, all, from, to)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("monthly totals: planned %s received %s outstanding %s overdue %s", m.Totals.Planned, m.Totals.Received, m.Totals.Outstanding, m.Totals.Overdue)
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) { projtest.Concurrently(b, c.run) })
			}
		})
	}
}

// seedFinance builds the contracts' rows (approved contracts with a three-installment plan and
// ten confirmed receipts, one in twenty reversed, some installments recorded overdue), their
// installments and receipts, and the cells their contributions add up to, and COPYs them in.
func seedFinance(b *testing.B, ctx context.Context, db *readmodels.DB, owners []uuid.UUID) []uuid.UUID {
	b.Helper()
	r := rand.New(rand.NewPCG(7, 13))
	t := func(name string) string { return db.Gens.Table(fv.Projection, name) }
	// as a rebuild loads: the search indexes are made after the rows are in
	exec := func(stmts []string) {
		for _, st := range stmts {
			if _, err := db.SQL.ExecContext(ctx, db.Dialect.DDL(st)); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, name := range []string{fv.ReceiptsTable, fv.ContractsTable} {
		exec([]string{`DROP INDEX IF EXISTS ` + t(name) + `_search`, `DROP INDEX IF EXISTS ` + t(name) + `_grams`}) // PostgreSQL's
	}
	defer func() {
		for _, name := range []string{fv.ReceiptsTable, fv.ContractsTable} {
			exec(db.Dialect.SearchIndex(t(name)))
			exec(db.Dialect.FillSearchIndex(t(name)))
		}
	}()
	tables := fv.Tables{Months: t(fv.MonthsTable), Owners: t(fv.OwnersTable), CustomerCells: t(fv.CustomerCellsTable), Ageing: t(fv.AgeingTable)}
	cellTables := fv.CellTables(tables)
	customers := make([]uuid.UUID, benchCustomers)
	for i := range customers {
		customers[i] = uuid.New()
	}
	start := time.Now().UTC().AddDate(-1, 0, 0)
	sums := map[string][]int64{}
	keys := map[string]financeproj.Cell{}
	var contracts, installs, receipts [][]any
	ids := make([]uuid.UUID, benchContracts)
	at := time.Now().UTC()
	proc := &approval.Process{Purpose: approval.KindReceipt, Status: approval.Approved, Current: -1}
	for i := range ids {
		id := uuid.New()
		ids[i] = id
		owner, cust := owners[r.IntN(len(owners))], customers[r.IntN(len(customers))]
		amount := money.Fen(1_000_000 + r.Int64N(100_000_000))
		signed := start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		row := &fv.ContractRow{ContractID: id, CustomerName: fmt.Sprintf("客户%d", i%benchCustomers), UpdatedAt: at,
			Contract: contract.State{Number: fmt.Sprintf("HT-%06d", i), Fields: contract.Fields{Name: fmt.Sprintf("合同%d", i), CustomerID: cust.String()},
				Amount: amount.String(), OwnerID: owner.String(), Status: contract.StatusExecuting}}
		// three installments: 30%, 30%, the rest, a quarter year apart
		third := money.Fen(amount.Fen() * 3 / 10)
		parts := []money.Amount{third, third, amount.Sub(third).Sub(third)}
		var paid money.Amount
		for k, a := range parts {
			row.Ledger.Installments = append(row.Ledger.Installments, finance.Installment{Seq: k + 1, DueDate: signed.AddDate(0, 3*k, 0).Format(time.DateOnly),
				Amount: a.String(), Received: "0.00"})
		}
		// ten receipts, each a tenth of 90% of the amount, confirmed against the oldest first
		each := money.Fen(amount.Fen() * 9 / 100)
		for k := range benchReceipts {
			date := signed.AddDate(0, 0, 10*k+r.IntN(10))
			rec := finance.Receipt{ID: uuid.NewString(), Number: fmt.Sprintf("HT-%06d-R%02d", i, k+1), Lifecycle: finance.Lifecycle{Status: finance.Confirmed, Process: proc}, CreatedAt: at,
				Fields: finance.ReceiptFields{Amount: each.String(), Date: date.Format(time.DateOnly), Method: "bank_transfer", OwnerID: owner.String()}}
			rec.Allocation = allocate(row.Ledger.Installments, each)
			if r.IntN(20) == 0 {
				rec.Status = finance.Reversed
				rec.Reversal = &finance.Reversal{Reason: "退票", Date: date.AddDate(0, 0, 5).Format(time.DateOnly), By: owner.String(), At: at}
				for _, al := range rec.Allocation {
					in := &row.Ledger.Installments[al.Seq-1]
					in.Received = amtOf(in.Received).Sub(amtOf(al.Amount)).String()
				}
			} else {
				paid = paid.Add(each)
			}
			row.Ledger.Receipts = append(row.Ledger.Receipts, rec)
			receipts = append(receipts, receiptArgs(db, row, rec))
		}
		for k := range row.Ledger.Installments {
			in := &row.Ledger.Installments[k]
			if in.DueDate < time.Now().UTC().Format(time.DateOnly) && amtOf(in.Received).Cmp(amtOf(in.Amount)) < 0 {
				in.OverdueSince = time.Now().UTC().Format(time.DateOnly)
			}
		}
		row.Ledger.Drafted = benchReceipts
		financeproj.Summarise(row)
		for _, c := range financeproj.Contributions(cellTables, row) {
			k := c.Table + "\x1e" + strings.Join(c.Keys, "\x1f")
			if _, ok := sums[k]; !ok {
				sums[k], keys[k] = make([]int64, len(c.V)), c
			}
			for j, x := range c.V {
				sums[k][j] += x
			}
		}
		contracts = append(contracts, fv.ContractArgs(db.Dialect, row))
		for _, in := range row.Ledger.Installments {
			left := amtOf(in.Amount).Sub(amtOf(in.Received))
			ir := fv.InstallmentRow{ID: fmt.Sprintf("%s:%04d", id, in.Seq), ContractID: id, ContractNumber: row.ContractNumber, ContractName: row.ContractName,
				CustomerID: row.CustomerID, CustomerName: row.CustomerName, OwnerID: row.OwnerID, Seq: int64(in.Seq), DueDate: in.DueDate, Amount: in.Amount,
				Received: in.Received, Outstanding: left.String(), Status: finance.InstallmentStatus(in)}
			if in.OverdueSince != "" {
				s := in.OverdueSince
				ir.OverdueSince = &s
			}
			if left.Sign() > 0 {
				ir.Open = 1
			}
			installs = append(installs, fv.InstallmentArgs(db.Dialect, &ir))
		}
		if len(receipts) >= 100_000 {
			projtest.CopyRows(b, ctx, db, t(fv.ReceiptsTable), fv.ReceiptInsertColumns, receipts)
			receipts = receipts[:0]
		}
	}
	projtest.CopyRows(b, ctx, db, t(fv.ReceiptsTable), fv.ReceiptInsertColumns, receipts)
	projtest.CopyRows(b, ctx, db, t(fv.ContractsTable), fv.ContractInsertColumns, contracts)
	projtest.CopyRows(b, ctx, db, t(fv.InstallmentsTable), fv.InstallmentInsertColumns, installs)
	byTable := map[string][][]any{}
	for k, c := range keys {
		var ct fv.CellTable
		for _, x := range cellTables {
			if x.Name == c.Table {
				ct = x
			}
		}
		row := make([]any, 0, len(ct.Keys)+len(ct.Sums))
		for _, key := range c.Keys {
			row = append(row, key)
		}
		for j, s := range ct.Sums {
			if fv.Counts(s) {
				row = append(row, sums[k][j])
			} else {
				row = append(row, readmodels.MoneyArg(db.Dialect, money.Fen(sums[k][j])))
			}
		}
		byTable[c.Table] = append(byTable[c.Table], row)
	}
	for _, ct := range cellTables {
		projtest.CopyRows(b, ctx, db, ct.Name, strings.Join(append(slices.Clone(ct.Keys), ct.Sums...), ", "), byTable[ct.Name])
	}
	// the last receipt dates the projection keeps in the owner and customer cells
	c := t(fv.ContractsTable)
	for _, st := range []string{
		`UPDATE ` + tables.Owners + ` o SET last_receipt_date = m.d FROM (SELECT owner_id, MAX(last_receipt_date) d FROM ` + c + ` GROUP BY owner_id) m WHERE o.owner_id = m.owner_id`,
		`UPDATE ` + tables.CustomerCells + ` o SET last_receipt_date = m.d FROM (SELECT customer_id, owner_id, MAX(last_receipt_date) d FROM ` + c + ` GROUP BY customer_id, owner_id) m WHERE o.customer_id = m.customer_id AND o.owner_id = m.owner_id`,
		`UPDATE ` + tables.CustomerCells + ` o SET last_receipt_date = m.d FROM (SELECT customer_id, MAX(last_receipt_date) d FROM ` + c + ` GROUP BY customer_id) m WHERE o.customer_id = m.customer_id AND o.owner_id = ''`,
	} {
		if _, err := db.SQL.ExecContext(ctx, st); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// allocate spreads an amount over the installments, oldest first (what a confirmation does).
func allocate(ins []finance.Installment, a money.Amount) []finance.Allocation {
	var out []finance.Allocation
	for k := range ins {
		in := &ins[k]
		free := amtOf(in.Amount).Sub(amtOf(in.Received))
		if free.Sign() <= 0 || a.Sign() <= 0 {
			continue
		}
		take := free
		if a.Cmp(free) < 0 {
			take = a
		}
		in.Received = amtOf(in.Received).Add(take).String()
		out = append(out, finance.Allocation{Seq: in.Seq, Amount: take.String()})
		a = a.Sub(take)
	}
	return out
}

func receiptArgs(db *readmodels.DB, row *fv.ContractRow, rec finance.Receipt) []any {
	rr := fv.ReceiptRow{ContractNumber: row.Contract.Number, ContractName: row.Contract.Fields.Name, CustomerName: row.CustomerName, UpdatedAt: rec.CreatedAt}
	rr.CustomerID, _ = uuid.Parse(row.Contract.Fields.CustomerID)
	rr.ContractOwnerID, _ = uuid.Parse(row.Contract.OwnerID)
	rr.FromReceipt(row.ContractID, rec)
	return fv.ReceiptArgs(db.Dialect, &rr)
}
