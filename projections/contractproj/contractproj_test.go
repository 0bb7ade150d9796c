package contractproj_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/approvalcmd"
	"github.com/chronicle-crm/chronicle/commands/contractcmd"
	"github.com/chronicle-crm/chronicle/commands/dictcmd"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/approvalproj"
	"github.com/chronicle-crm/chronicle/projections/contractproj"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/approvalview"
	"github.com/chronicle-crm/chronicle/readmodels/contractview"
)

// anyCustomer: every customer exists and is in scope (the customer module is not under test).
type anyCustomer struct{}

func (anyCustomer) CustomerVisible(context.Context, access.Actor, uuid.UUID) error { return nil }
func (anyCustomer) ContactCustomer(context.Context, uuid.UUID) (uuid.UUID, error) {
	return uuid.Nil, commands.ErrNotFound
}

type noDeals struct{}

func (noDeals) Deal(context.Context, access.Actor, uuid.UUID) (contractcmd.WonDeal, error) {
	return contractcmd.WonDeal{}, commands.ErrNotFound
}

// org: everyone's superior is boss; the finance role is held by two users.
type org struct{ boss, fin1, fin2 uuid.UUID }

func (o org) Superior(context.Context, uuid.UUID) (uuid.UUID, error)     { return o.boss, nil }
func (o org) DepartmentOf(context.Context, uuid.UUID) (uuid.UUID, error) { return uuid.Nil, nil }
func (o org) DepartmentHead(context.Context, uuid.UUID) (uuid.UUID, bool, error) {
	return uuid.Nil, false, nil
}
func (o org) RoleHolders(context.Context, string) ([]uuid.UUID, error) {
	return []uuid.UUID{o.fin1, o.fin2}, nil
}
func (o org) IsActiveUser(context.Context, uuid.UUID) (bool, error) { return true, nil }
func (o org) RoleExists(context.Context, string) (bool, error)      { return true, nil }

func as(id uuid.UUID) commands.Meta {
	m := projtest.Manager
	m.Actor.ID = id
	m.Actor.Roles = []string{role.Admin}
	return m
}

// model is everything both read models hold, comparable.
type model struct {
	Rows  []contractview.Contract
	Inbox map[string][]approvalview.Item
}

func read(t *testing.T, ctx context.Context, db *readmodels.DB, users []uuid.UUID) model {
	t.Helper()
	v, inbox := contractview.New(db), approvalview.New(db)
	var m model
	cursor := ""
	for {
		p, err := v.Search(ctx, contractview.Query{Reader: contractview.Reader{Scope: readmodels.Scope{All: true}}, Sort: "createdAt", Limit: 500, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Items {
			m.Rows = append(m.Rows, *c)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	m.Inbox = map[string][]approvalview.Item{}
	for _, u := range users {
		for _, view := range []string{approvalview.ViewPending, approvalview.ViewSubmitted, approvalview.ViewDecided} {
			cursor := ""
			for {
				p, err := inbox.List(ctx, approvalview.Query{User: u, View: view, Limit: 7, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					m.Inbox[u.String()+view] = append(m.Inbox[u.String()+view], *it)
				}
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
		}
	}
	return m
}

// TestLiveAndRebuiltContractsAgree: random histories of contracts (drafts with exact lines,
// edits, submissions through a two-step flow, decisions by the right and the wrong people,
// withdrawals, amendments, execution, termination, deletion) give the same read models live and
// rebuilt; every row holds its aggregate's state; every user's inbox (paged by 7) is what the
// aggregates say waits for them, was submitted by them and was decided by them.
func TestLiveAndRebuiltContractsAgree(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 5}, contractproj.New(reg), approvalproj.New(reg))
			ctx := context.Background()
			clock := func() time.Time { return time.Now().UTC() }
			o := org{boss: uuid.New(), fin1: uuid.New(), fin2: uuid.New()}
			sales := []uuid.UUID{uuid.New(), uuid.New()}
			users := append([]uuid.UUID{o.boss, o.fin1, o.fin2}, sales...)
			flows := approvalcmd.New(env.Store, reg, clock, o)
			if _, err := flows.Define(ctx, projtest.Manager, approval.KindContract, "合同审批",
				[]approval.StepDef{{Kind: approval.Superior}, {Kind: approval.RoleHolders, Role: "finance", MinAmount: "50000"}}); err != nil {
				t.Fatal(err)
			}
			svc := contractcmd.New(env.Store, reg, clock, contractcmd.Deps{Org: projtest.AllowAll{}, Customers: anyCustomer{}, Opportunities: noDeals{},
				Dictionary: dictcmd.New(env.Store, reg, clock), Approvals: flows})
			r := rand.New(rand.NewPCG(5, 23))
			var last uint64
			price := func() string { return money.Fen(r.Int64N(10_000_000)).String() }
			var ids []uuid.UUID
			for i := range 30 {
				var lines []lineitem.Input
				for range r.IntN(3) {
					lines = append(lines, lineitem.Input{ProductID: uuid.NewString(), ProductName: "产品", Quantity: fmt.Sprint(1 + r.IntN(5)), UnitPrice: price(), Discount: fmt.Sprint(r.IntN(30))})
				}
				f := contract.Fields{Name: fmt.Sprintf("合同%d", i), CustomerID: uuid.NewString()}
				if len(lines) == 0 {
					f.Amount = price()
				}
				owner := sales[r.IntN(len(sales))]
				res, err := svc.Create(ctx, as(owner), contractcmd.Create{Fields: f, Lines: lines, OwnerID: owner})
				if err != nil {
					t.Fatal(err)
				}
				last = max(last, res.Position)
				ids = append(ids, res.ID)
			}
			owner := func(id uuid.UUID) uuid.UUID {
				l, err := svc.Load(ctx, projtest.Manager.Actor, id)
				if err != nil {
					t.Fatal(err)
				}
				return l.Root.Owner()
			}
			for range 300 {
				id := ids[r.IntN(len(ids))]
				who := users[r.IntN(len(users))]
				var res commands.Result
				var err error
				switch r.IntN(10) {
				case 0, 1:
					res, err = svc.Submit(ctx, as(owner(id)), id, "")
				case 2, 3, 4:
					// mostly one of the approvers the step waits for; sometimes anyone
					l, lerr := svc.Load(ctx, projtest.Manager.Actor, id)
					if lerr != nil {
						t.Fatal(lerr)
					}
					if w := l.Root.Process().Waiting(); len(w) > 0 && r.IntN(5) > 0 {
						who = uuid.MustParse(w[r.IntN(len(w))])
					}
					res, err = svc.Decide(ctx, as(who), id, r.IntN(6) > 0, "意见")
				case 5:
					res, err = svc.Withdraw(ctx, as(who), id)
				case 6:
					p := contract.Patch{Remarks: ptr(fmt.Sprint("备注", r.IntN(100)))}
					res, err = svc.Update(ctx, as(owner(id)), id, p)
				case 7:
					lines := []lineitem.Input{{ProductID: uuid.NewString(), ProductName: "新", Quantity: "1.5", UnitPrice: price()}}
					res, err = svc.Amend(ctx, as(owner(id)), id, contract.Patch{Lines: &lines}, "调整")
				case 8:
					res, err = svc.Start(ctx, as(owner(id)), id)
				case 9:
					if r.IntN(3) == 0 {
						res, err = svc.Terminate(ctx, as(owner(id)), id, "终止")
					} else {
						res, err = svc.Complete(ctx, as(owner(id)), id)
					}
				}
				if err != nil && !allowed(err) {
					t.Fatal(err)
				}
				last = max(last, res.Position)
			}
			for _, id := range ids[:3] {
				if res, err := svc.Delete(ctx, as(owner(id)), id); err == nil {
					last = max(last, res.Position)
				} else if !allowed(err) {
					t.Fatal(err)
				}
			}
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, contractview.Projection, approvalview.Projection); err != nil {
				t.Fatal(err)
			}
			live := read(t, ctx, env.DB, users)
			// Every row holds its aggregate's state; the inboxes follow from the aggregates.
			want := map[string][]string{}
			statuses := map[string]int{}
			for _, row := range live.Rows {
				l, err := svc.Load(ctx, projtest.Manager.Actor, row.ID)
				if err != nil {
					t.Fatal(err)
				}
				if st := l.Root.State(); !reflect.DeepEqual(st, row.State) || row.Amount != st.Amount || row.Status != string(st.Status) || row.Version != l.Root.Version() {
					t.Fatalf("%s: row %+v\naggregate %+v", row.ID, row.State, st)
				}
				statuses[row.Status]++
				if p := l.Root.Process(); p != nil {
					for _, u := range p.Waiting() {
						want[u+approvalview.ViewPending] = append(want[u+approvalview.ViewPending], row.ID.String())
					}
				}
			}
			if len(live.Rows) < 27 || statuses["pending"] == 0 || statuses["approved"]+statuses["executing"]+statuses["completed"]+statuses["terminated"] == 0 {
				t.Fatalf("the history did not reach every state: %d rows, %v", len(live.Rows), statuses)
			}
			for _, u := range users {
				var got []string
				for _, it := range live.Inbox[u.String()+approvalview.ViewPending] {
					got = append(got, it.SubjectID.String())
					if !slices.Contains(it.ApproverIDs, u.String()) || it.Status != approval.Pending {
						t.Fatalf("%s's pending item %+v", u, it)
					}
				}
				slices.Sort(got)
				exp := want[u.String()+approvalview.ViewPending]
				slices.Sort(exp)
				if !slices.Equal(got, exp) {
					t.Fatalf("%s waits for %v; the aggregates say %v", u, got, exp)
				}
			}
			if _, err := env.Engine.RebuildAll(wctx, []string{contractview.Projection, approvalview.Projection}, nil); err != nil {
				t.Fatal(err)
			}
			rebuilt := read(t, ctx, env.DB, users)
			if !reflect.DeepEqual(live, rebuilt) {
				for i := range live.Rows {
					if i < len(rebuilt.Rows) && !reflect.DeepEqual(live.Rows[i], rebuilt.Rows[i]) {
						t.Fatalf("row %d differs:\nlive    %+v\nrebuilt %+v", i, live.Rows[i], rebuilt.Rows[i])
					}
				}
				t.Fatalf("rebuilt read models differ:\nlive    %+v\nrebuilt %+v", live.Inbox, rebuilt.Inbox)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// allowed are the refusals a random history meets: the wrong status, nothing waiting, the wrong
// approver or submitter, an amendment already waiting, a change that changes nothing.
func allowed(err error) bool {
	return slices.ContainsFunc([]error{contract.ErrState, contract.ErrLocked, contract.ErrAmendmentOpen, contract.ErrNothingToAmend,
		approval.ErrNotPending, approval.ErrNotCurrentApprover, approval.ErrNotSubmitter, commands.ErrNotFound}, func(e error) bool { return errors.Is(err, e) })
}
