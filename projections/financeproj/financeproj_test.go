package financeproj_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/approvalcmd"
	"github.com/chronicle-crm/chronicle/commands/contractcmd"
	"github.com/chronicle-crm/chronicle/commands/dictcmd"
	"github.com/chronicle-crm/chronicle/commands/financecmd"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/approvalproj"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/financeproj"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	fv "github.com/chronicle-crm/chronicle/readmodels/financeview"
)

type anyCustomer struct{}

func (anyCustomer) CustomerVisible(context.Context, access.Actor, uuid.UUID) error { return nil }
func (anyCustomer) ContactCustomer(context.Context, uuid.UUID) (uuid.UUID, error) {
	return uuid.Nil, commands.ErrNotFound
}

// someOpportunities: the opportunities in the set exist.
type someOpportunities map[uuid.UUID]bool

func (o someOpportunities) Exists(_ context.Context, id uuid.UUID) error {
	if o[id] {
		return nil
	}
	return commands.ErrNotFound
}

type noDeals struct{}

func (noDeals) Deal(context.Context, access.Actor, uuid.UUID) (contractcmd.WonDeal, error) {
	return contractcmd.WonDeal{}, commands.ErrNotFound
}

// org: everyone's superior is boss; the finance role is held by fin.
type org struct{ boss, fin uuid.UUID }

func (o org) Superior(context.Context, uuid.UUID) (uuid.UUID, error)     { return o.boss, nil }
func (o org) DepartmentOf(context.Context, uuid.UUID) (uuid.UUID, error) { return uuid.Nil, nil }
func (o org) DepartmentHead(context.Context, uuid.UUID) (uuid.UUID, bool, error) {
	return uuid.Nil, false, nil
}
func (o org) RoleHolders(context.Context, string) ([]uuid.UUID, error) {
	return []uuid.UUID{o.fin}, nil
}
func (o org) IsActiveUser(context.Context, uuid.UUID) (bool, error) { return true, nil }
func (o org) RoleExists(context.Context, string) (bool, error)      { return true, nil }

type terms struct{ c *contractcmd.Service }

func (t terms) Terms(ctx context.Context, id uuid.UUID) (finance.Terms, error) {
	l, err := t.c.Load(ctx, access.System, id)
	if err != nil {
		return finance.Terms{}, err
	}
	a, _ := money.ParseAmount("amount", l.Root.Amount())
	return finance.Terms{Status: l.Root.Status(), Number: l.Root.Number(), Name: l.Root.Fields().Name, Amount: a, Owner: l.Root.Owner()}, nil
}

func as(id uuid.UUID) commands.Meta {
	m := projtest.Manager
	m.Actor.ID = id
	m.Actor.Roles = []string{role.Admin}
	return m
}

// refusal is an expected refusal of a random command: a rule, not a fault.
func refusal(err error) bool {
	var fe *field.Error
	return errors.As(err, &fe) || errors.Is(err, finance.ErrReceiptState) || errors.Is(err, finance.ErrNotFound) ||
		errors.Is(err, finance.ErrVoucherState) || errors.Is(err, finance.ErrVoucherNotFound) || errors.Is(err, finance.ErrPayablePaid) ||
		errors.Is(err, finance.ErrSupplierInUse) || errors.Is(err, commands.ErrAlreadyExists) ||
		errors.Is(err, finance.ErrMonthClosed) || errors.Is(err, finance.ErrMonthOpen) || errors.Is(err, commands.ErrNotFound) ||
		strings.Contains(err.Error(), "approval") || strings.Contains(err.Error(), "waits")
}

// TestLiveAndRebuiltFinanceAgree: random histories of contracts (approved, amended, executed,
// terminated), plans, receipts (drafted, edited, submitted, confirmed, rejected, withdrawn,
// deleted, reversed), overdue marks, month closes, suppliers (renamed) and payables (edited,
// deleted) with their payment vouchers (drafted, edited, submitted, confirmed, rejected,
// withdrawn, deleted, reversed) give statistics equal to a direct recomputation from the
// aggregates the events make — for everyone and for each owner — and the same tables live and
// rebuilt, on both engines.
func TestLiveAndRebuiltFinanceAgree(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 9}, financeproj.New(reg), approvalproj.New(reg))
			ctx := context.Background()
			clock := func() time.Time { return time.Now().UTC() }
			o := org{boss: uuid.New(), fin: uuid.New()}
			dict := dictcmd.New(env.Store, reg, clock)
			flows := approvalcmd.New(env.Store, reg, clock, o)
			contracts := contractcmd.New(env.Store, reg, clock, contractcmd.Deps{Org: projtest.AllowAll{}, Customers: anyCustomer{}, Opportunities: noDeals{},
				Dictionary: dict, Approvals: flows})
			opp := uuid.New()
			views := fv.New(env.DB)
			fin := financecmd.New(env.Store, reg, clock, financecmd.Deps{Org: projtest.AllowAll{}, Contracts: terms{contracts}, Dictionary: dict, Approvals: flows,
				Opportunities: someOpportunities{opp: true}, Payables: views})
			r := rand.New(rand.NewPCG(3, 29))
			owners := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
			customers := []uuid.UUID{uuid.New(), uuid.New(), uuid.New(), uuid.New()}
			var last uint64
			step := func(res commands.Result, err error) {
				t.Helper()
				if err != nil && !refusal(err) {
					t.Fatalf("%T %v", err, err)
				}
				last = max(last, res.Position)
			}
			must := func(res commands.Result, err error) commands.Result {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				last = max(last, res.Position)
				return res
			}
			var ids []uuid.UUID
			for i := range 12 {
				owner := owners[r.IntN(len(owners))]
				res := must(contracts.Create(ctx, as(owner), contractcmd.Create{Fields: contract.Fields{Name: fmt.Sprintf("合同%d", i),
					CustomerID: customers[r.IntN(len(customers))].String(), Amount: money.Fen(100_000 + r.Int64N(10_000_000)).String()}, OwnerID: owner}))
				id := res.ID
				if i == 11 {
					break // a draft: nothing is planned or received on it
				}
				must(contracts.Submit(ctx, as(owner), id, ""))
				must(contracts.Decide(ctx, as(o.boss), id, true, ""))
				ids = append(ids, id)
			}
			day := func() string {
				return time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			}
			receipts := map[uuid.UUID][]uuid.UUID{}
			for range 260 {
				cid := ids[r.IntN(len(ids))]
				led, err := fin.Ledger(ctx, projtest.Manager.Actor, cid)
				if err != nil {
					t.Fatal(err)
				}
				rid := func() uuid.UUID {
					if len(receipts[cid]) == 0 {
						return uuid.New()
					}
					return receipts[cid][r.IntN(len(receipts[cid]))]
				}
				switch x := r.IntN(21); {
				case x < 3:
					var items []finance.PlanItem
					for _, in := range led.Installments() {
						if r.IntN(4) > 0 {
							items = append(items, finance.PlanItem{Seq: in.Seq, DueDate: in.DueDate, Amount: in.Amount})
						}
					}
					for range r.IntN(3) {
						items = append(items, finance.PlanItem{DueDate: day(), Amount: money.Fen(1 + r.Int64N(3_000_000)).String()})
					}
					step(fin.SetPlan(ctx, as(owners[0]), cid, items))
				case x < 8:
					id := uuid.New()
					f := finance.ReceiptFields{Amount: money.Fen(1 + r.Int64N(2_000_000)).String(), Date: day()}
					if ins := led.Installments(); len(ins) > 0 && r.IntN(3) == 0 {
						f.Installments = []int{ins[r.IntN(len(ins))].Seq}
					}
					res, err := fin.DraftReceipt(ctx, as(owners[1]), cid, id, f)
					step(res, err)
					if err == nil {
						receipts[cid] = append(receipts[cid], id)
					}
				case x < 12:
					step(fin.SubmitReceipt(ctx, as(owners[1]), cid, rid(), ""))
				case x < 15:
					step(fin.DecideReceipt(ctx, as(o.fin), cid, rid(), r.IntN(5) > 0, "核对不符"))
				case x == 15:
					step(fin.WithdrawReceipt(ctx, as(owners[1]), cid, rid()))
				case x == 16 || x == 20:
					step(fin.ReverseReceipt(ctx, as(o.fin), cid, rid(), "退票", fmt.Sprintf("2026-12-%02d", 1+r.IntN(28))))
				case x == 17:
					step(fin.UpdateReceipt(ctx, as(owners[1]), cid, rid(), finance.ReceiptFields{Amount: money.Fen(1 + r.Int64N(900_000)).String(), Date: day()}))
				case x == 18:
					step(fin.MarkOverdue(ctx, cid))
				default:
					m := fmt.Sprintf("2026-%02d", 1+r.IntN(10))
					if r.IntN(3) == 0 {
						step(fin.ReopenMonth(ctx, projtest.Manager, m, "更正"))
					} else {
						step(fin.CloseMonth(ctx, projtest.Manager, m))
					}
				}
			}
			// suppliers and payables with their vouchers
			var suppliers, payables []uuid.UUID
			vouchers := map[uuid.UUID][]uuid.UUID{}
			for i := range 4 {
				suppliers = append(suppliers, must(fin.CreateSupplier(ctx, projtest.Manager, uuid.Nil, finance.SupplierFields{Name: fmt.Sprintf("供应商%d", i)})).ID)
			}
			var paying []uuid.UUID // payables with vouchers
			for range 500 {
				pid := func() uuid.UUID {
					if len(paying) > 0 && r.IntN(4) > 0 {
						return paying[r.IntN(len(paying))]
					}
					return payables[r.IntN(len(payables))]
				}
				vid := func(p uuid.UUID) uuid.UUID {
					if len(vouchers[p]) == 0 {
						return uuid.New()
					}
					return vouchers[p][r.IntN(len(vouchers[p]))]
				}
				x := r.IntN(24)
				if len(payables) == 0 {
					x = 0
				}
				switch {
				case x < 3:
					f := finance.PayableFields{SupplierID: suppliers[r.IntN(len(suppliers))].String(), Amount: money.Fen(1 + r.Int64N(5_000_000)).String(),
						DueDate: day(), Purpose: "采购", OwnerID: owners[r.IntN(len(owners))].String()}
					switch r.IntN(4) {
					case 0:
						f.ContractID = ids[r.IntN(len(ids))].String()
					case 1:
						f.OpportunityID = opp.String()
					}
					res := must(fin.CreatePayable(ctx, as(owners[0]), uuid.Nil, f))
					payables = append(payables, res.ID)
				case x < 8:
					p := pid()
					id := uuid.New()
					res, err := fin.DraftVoucher(ctx, as(owners[1]), p, id, finance.VoucherFields{Amount: money.Fen(1 + r.Int64N(2_500_000)).String(), Date: day()})
					step(res, err)
					if err == nil {
						if len(vouchers[p]) == 0 {
							paying = append(paying, p)
						}
						vouchers[p] = append(vouchers[p], id)
					}
				case x < 12:
					p := pid()
					step(fin.SubmitVoucher(ctx, as(owners[1]), p, vid(p), ""))
				case x < 15:
					p := pid()
					step(fin.DecideVoucher(ctx, as(o.fin), p, vid(p), r.IntN(5) > 0, "账号不符"))
				case x == 15:
					p := pid()
					step(fin.WithdrawVoucher(ctx, as(owners[1]), p, vid(p)))
				case x == 16 || x == 17:
					p := pid()
					step(fin.ReverseVoucher(ctx, as(o.fin), p, vid(p), "退款", fmt.Sprintf("2026-12-%02d", 1+r.IntN(28))))
				case x == 18:
					p := pid()
					step(fin.UpdateVoucher(ctx, as(owners[1]), p, vid(p), finance.VoucherFields{Amount: money.Fen(1 + r.Int64N(900_000)).String(), Date: day()}))
				case x == 19:
					p := pid()
					step(fin.DeleteVoucher(ctx, as(owners[1]), p, vid(p)))
				case x == 20:
					a, due, owner := money.Fen(1+r.Int64N(6_000_000)).String(), day(), owners[r.IntN(len(owners))].String()
					step(fin.UpdatePayable(ctx, as(owners[0]), pid(), finance.PayablePatch{Amount: &a, DueDate: &due, OwnerID: &owner}))
				case x == 21:
					step(fin.DeletePayable(ctx, as(owners[0]), payables[r.IntN(len(payables))]))
				case x == 22:
					name := fmt.Sprintf("供应商%d号", r.IntN(1000))
					step(fin.UpdateSupplier(ctx, projtest.Manager, suppliers[r.IntN(len(suppliers))], finance.SupplierPatch{Name: &name}))
				default:
					m := fmt.Sprintf("2026-%02d", 1+r.IntN(10))
					if r.IntN(2) == 0 {
						step(fin.ReopenMonth(ctx, projtest.Manager, m, "更正"))
					} else {
						step(fin.CloseMonth(ctx, projtest.Manager, m))
					}
				}
			}
			// an amendment changes an approved contract's amount; a termination keeps its receivables
			must(contracts.Amend(ctx, as(owners[2]), ids[0], contract.Patch{Amount: ptr("99999999.99")}, "追加"))
			must(contracts.Decide(ctx, as(o.boss), ids[0], true, ""))
			must(contracts.Terminate(ctx, as(owners[2]), ids[1], "客户违约"))
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, fv.Projection); err != nil {
				t.Fatal(err)
			}
			// what the aggregates say
			want := expect(t, ctx, fin, contracts, append(ids, uuid.Nil))
			if want.confirmed == 0 || want.reversed == 0 || want.overdue.IsZero() {
				t.Fatalf("the history exercised too little: %d confirmed, %d reversed, overdue %s", want.confirmed, want.reversed, want.overdue)
			}
			want.payables = payablesOf(t, ctx, fin, payables)
			if n := want.vouchers(); n[finance.Confirmed] == 0 || n[finance.Reversed] == 0 || n[finance.Pending] == 0 || n["deleted"] == 0 {
				t.Fatalf("the payables exercised too little: %v", n)
			}
			// the lists agree with the aggregates
			all := fv.Reader{Scope: readmodels.Scope{All: true}}
			for _, p := range want.payables {
				row, err := views.Payables(ctx, fv.PayableQuery{Reader: all, Q: strings.ToLower(p.Number())})
				if err != nil {
					t.Fatal(err)
				}
				tot := p.Totals()
				if len(row.Items) != 1 || row.Items[0].Paid != tot.Paid.String() || row.Items[0].Pending != tot.Pending.String() || row.Items[0].Status != tot.Status {
					t.Fatalf("payable %s: %+v, want %+v", p.Number(), row.Items, tot)
				}
				vs, err := views.Vouchers(ctx, fv.VoucherQuery{Reader: all, PayableID: ptr(p.ID()), Limit: 200})
				if err != nil {
					t.Fatal(err)
				}
				if len(vs.Items) != len(p.Vouchers()) {
					t.Fatalf("payable %s: %d vouchers listed, %d in the aggregate", p.Number(), len(vs.Items), len(p.Vouchers()))
				}
			}
			readers := []fv.Reader{{Scope: readmodels.Scope{All: true}}}
			for _, ow := range owners {
				readers = append(readers, fv.Reader{Scope: readmodels.Scope{UserID: ow}, User: ow})
			}
			for _, rd := range readers {
				f := fv.CellFilter{Reader: rd}
				sees := func(owner uuid.UUID) bool { return rd.Scope.All || owner == rd.Scope.UserID }
				monthly, err := views.Monthly(ctx, f, "2026-01", "2026-12")
				if err != nil {
					t.Fatal(err)
				}
				if got, w := monthly, want.monthly(sees); !reflect.DeepEqual(got, w) {
					t.Fatalf("monthly for %v:\n got %+v\nwant %+v", rd.Scope.UserID, got, w)
				}
				owned, err := views.Owners(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if got, w := owned.Totals, want.totals(sees); !reflect.DeepEqual(got, w) {
					t.Fatalf("owner totals for %v:\n got %+v\nwant %+v", rd.Scope.UserID, got, w)
				}
				for _, row := range owned.Rows {
					if w := want.totals(func(o uuid.UUID) bool { return o == row.OwnerID }); !reflect.DeepEqual(row.Totals, w) {
						t.Fatalf("owner %s: got %+v want %+v", row.OwnerID, row.Totals, w)
					}
				}
				top, err := views.Customers(ctx, f, 100)
				if err != nil {
					t.Fatal(err)
				}
				for i, c := range top {
					if w := want.customer(c.CustomerID, sees); !reflect.DeepEqual(c.Totals, w) {
						t.Fatalf("customer %s for %v: got %+v want %+v", c.CustomerID, rd.Scope.UserID, c.Totals, w)
					}
					if i > 0 && amtOf(top[i-1].Outstanding).Cmp(amtOf(c.Outstanding)) < 0 {
						t.Fatalf("customers not by outstanding: %+v", top)
					}
				}
				for _, asOf := range []string{"2026-03-15", "2026-11-30", "2027-06-01"} {
					ag, err := views.Ageing(ctx, f, asOf)
					if err != nil {
						t.Fatal(err)
					}
					if w := want.ageing(asOf, sees); !reflect.DeepEqual(ag, w) {
						t.Fatalf("ageing on %s for %v:\n got %+v\nwant %+v", asOf, rd.Scope.UserID, ag, w)
					}
				}
			}
			live := dump(t, ctx, env.DB)
			gen, err := env.Engine.Rebuild(ctx, fv.Projection)
			if err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(60 * time.Second); env.DB.Gens.Active(fv.Projection) != gen; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the rebuild did not switch")
				}
			}
			if rebuilt := dump(t, ctx, env.DB); !reflect.DeepEqual(live, rebuilt) {
				for k := range live {
					for i := range max(len(live[k]), len(rebuilt[k])) {
						var a, b string
						if i < len(live[k]) {
							a = live[k][i]
						}
						if i < len(rebuilt[k]) {
							b = rebuilt[k][i]
						}
						if a != b {
							t.Fatalf("table %s differs after a rebuild (row %d of %d/%d):\nlive    %s\nrebuilt %s", k, i, len(live[k]), len(rebuilt[k]), a, b)
						}
					}
				}
				t.Fatal("the rebuilt tables differ")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func amtOf(s string) money.Amount {
	a, _ := money.ParseTotal("a", s)
	return a
}

// expected is the statistics recomputed from the aggregates.
type expected struct {
	payables            []*finance.Payable // live ones
	ledgers             map[uuid.UUID]*finance.Ledger
	contracts           map[uuid.UUID]*contract.Contract
	confirmed, reversed int
	overdue             money.Amount
}

func expect(t *testing.T, ctx context.Context, fin *financecmd.Service, cs *contractcmd.Service, ids []uuid.UUID) expected {
	t.Helper()
	e := expected{ledgers: map[uuid.UUID]*finance.Ledger{}, contracts: map[uuid.UUID]*contract.Contract{}}
	for _, id := range ids {
		if id == uuid.Nil {
			continue
		}
		l, err := cs.Load(ctx, access.System, id)
		if err != nil {
			t.Fatal(err)
		}
		led, err := fin.Ledger(ctx, access.System, id)
		if err != nil {
			t.Fatal(err)
		}
		e.contracts[id], e.ledgers[id] = l.Root, led
		for _, r := range led.Receipts() {
			switch r.Status {
			case finance.Confirmed:
				e.confirmed++
			case finance.Reversed:
				e.reversed++
			}
		}
		e.overdue = e.overdue.Add(led.Totals().Overdue)
	}
	return e
}

// payablesOf loads the payables that were not deleted.
func payablesOf(t *testing.T, ctx context.Context, fin *financecmd.Service, ids []uuid.UUID) []*finance.Payable {
	t.Helper()
	var out []*finance.Payable
	for _, id := range ids {
		p, err := fin.Payable(ctx, access.System, id)
		if errors.Is(err, commands.ErrNotFound) {
			out = append(out, nil) // deleted
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// vouchers counts the vouchers by status (and the deleted payables).
func (e *expected) vouchers() map[string]int {
	n := map[string]int{}
	live := e.payables[:0]
	for _, p := range e.payables {
		if p == nil {
			n["deleted"]++
			continue
		}
		live = append(live, p)
		for _, v := range p.Vouchers() {
			n[v.Status]++
		}
	}
	e.payables = live
	return n
}

func (e expected) each(sees func(uuid.UUID) bool, f func(c *contract.Contract, l *finance.Ledger)) {
	for id, c := range e.contracts {
		if sees(c.Owner()) {
			f(c, e.ledgers[id])
		}
	}
}

func (e expected) monthly(sees func(uuid.UUID) bool) fv.Monthly {
	type m struct{ planned, outstanding, overdue, received, due, paid money.Amount }
	months := map[string]*m{}
	at := func(k string) *m {
		if months[k] == nil {
			months[k] = &m{}
		}
		return months[k]
	}
	e.each(sees, func(_ *contract.Contract, l *finance.Ledger) {
		for _, in := range l.Installments() {
			x := at(in.DueDate[:7])
			a, rec := amtOf(in.Amount), amtOf(in.Received)
			left := a.Sub(rec)
			if left.Sign() < 0 {
				left = money.Amount{}
			}
			x.planned, x.outstanding = x.planned.Add(a), x.outstanding.Add(left)
			if in.OverdueSince != "" {
				x.overdue = x.overdue.Add(left)
			}
		}
		for _, r := range l.Receipts() {
			if r.Status == finance.Confirmed || r.Status == finance.Reversed {
				x := at(r.Fields.Date[:7])
				x.received = x.received.Add(amtOf(r.Fields.Amount))
			}
			if r.Status == finance.Reversed {
				x := at(r.Reversal.Date[:7])
				x.received = x.received.Sub(amtOf(r.Fields.Amount))
			}
		}
	})
	for _, p := range e.payables {
		if !sees(p.Owner()) {
			continue
		}
		x := at(p.Fields().DueDate[:7])
		x.due = x.due.Add(amtOf(p.Fields().Amount))
		for _, v := range p.Vouchers() {
			if v.Status == finance.Confirmed || v.Status == finance.Reversed {
				x := at(v.Fields.Date[:7])
				x.paid = x.paid.Add(amtOf(v.Fields.Amount))
			}
			if v.Status == finance.Reversed {
				x := at(v.Reversal.Date[:7])
				x.paid = x.paid.Sub(amtOf(v.Fields.Amount))
			}
		}
	}
	out := fv.Monthly{}
	var tot m
	for i := range 12 {
		k := fmt.Sprintf("2026-%02d", i+1)
		x := at(k)
		out.Months = append(out.Months, fv.Month{Month: k, Planned: x.planned.String(), Received: x.received.String(), Outstanding: x.outstanding.String(),
			Overdue: x.overdue.String(), PayablesDue: x.due.String(), Paid: x.paid.String(), NetCash: x.received.Sub(x.paid).String()})
		tot.planned, tot.outstanding, tot.overdue, tot.received = tot.planned.Add(x.planned), tot.outstanding.Add(x.outstanding), tot.overdue.Add(x.overdue), tot.received.Add(x.received)
		tot.due, tot.paid = tot.due.Add(x.due), tot.paid.Add(x.paid)
	}
	out.Totals = fv.Month{Planned: tot.planned.String(), Received: tot.received.String(), Outstanding: tot.outstanding.String(), Overdue: tot.overdue.String(),
		PayablesDue: tot.due.String(), Paid: tot.paid.String(), NetCash: tot.received.Sub(tot.paid).String()}
	return out
}

func (e expected) totals(sees func(uuid.UUID) bool) fv.Totals {
	var n int64
	var amount, planned, received, overdue money.Amount
	last := ""
	e.each(sees, func(c *contract.Contract, l *finance.Ledger) {
		switch c.Status() {
		case contract.StatusDraft, contract.StatusPending:
			return
		}
		tot := l.Totals()
		n++
		amount, planned, received, overdue = amount.Add(amtOf(c.Amount())), planned.Add(tot.Planned), received.Add(tot.Received), overdue.Add(tot.Overdue)
		last = max(last, tot.LastDate)
	})
	t := fv.Totals{Contracts: n, Amount: amount.String(), Planned: planned.String(), Received: received.String(), Outstanding: amount.Sub(received).String(), Overdue: overdue.String()}
	if last != "" {
		t.LastReceiptDate = &last
	}
	return t
}

func (e expected) customer(id uuid.UUID, sees func(uuid.UUID) bool) fv.Totals {
	sub := expected{ledgers: e.ledgers, contracts: map[uuid.UUID]*contract.Contract{}}
	for cid, c := range e.contracts {
		if c.Fields().CustomerID == id.String() {
			sub.contracts[cid] = c
		}
	}
	return sub.totals(sees)
}

func (e expected) ageing(asOf string, sees func(uuid.UUID) bool) fv.Ageing {
	day, _ := time.Parse(time.DateOnly, asOf)
	b := make([]money.Amount, 5)
	e.each(sees, func(_ *contract.Contract, l *finance.Ledger) {
		for _, in := range l.Installments() {
			left := amtOf(in.Amount).Sub(amtOf(in.Received))
			if left.Sign() <= 0 {
				continue
			}
			due, _ := time.Parse(time.DateOnly, in.DueDate)
			days := int(day.Sub(due).Hours() / 24)
			i := 4
			switch {
			case days <= 0:
				i = 0
			case days <= 30:
				i = 1
			case days <= 60:
				i = 2
			case days <= 90:
				i = 3
			}
			b[i] = b[i].Add(left)
		}
	})
	out := fv.Ageing{AsOf: asOf}
	var total money.Amount
	for i, a := range b {
		out.Buckets = append(out.Buckets, fv.Bucket{Bucket: fv.AgeingBuckets[i], Amount: a.String()})
		total = total.Add(a)
	}
	out.Total = total.String()
	return out
}

// dump reads every finance table of the serving generation, each row as text, in key order.
func dump(t *testing.T, ctx context.Context, db *readmodels.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, order := range map[string]string{fv.ContractsTable: "id", fv.InstallmentsTable: "id", fv.ReceiptsTable: "id", fv.MembersTable: "receipt_id, user_id",
		fv.SuppliersTable: "id", fv.PayablesTable: "id", fv.VouchersTable: "id", fv.VoucherMembersTable: "voucher_id, user_id",
		fv.MonthsTable: "owner_id, month", fv.OwnersTable: "owner_id", fv.CustomerCellsTable: "customer_id, owner_id", fv.AgeingTable: "owner_id, due_date"} {
		rows, err := db.SQL.QueryContext(ctx, `SELECT * FROM `+db.Gens.Table(fv.Projection, name)+` ORDER BY `+order)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var parts []string
			for i, v := range vals {
				parts = append(parts, cols[i]+"="+v.String)
			}
			out[name] = append(out[name], strings.Join(parts, " "))
		}
		rows.Close()
		slices.Sort(out[name])
	}
	return out
}
