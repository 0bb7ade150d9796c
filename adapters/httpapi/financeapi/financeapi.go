// Package financeapi is the HTTP API of finance: a contract's receivables (its plan, its
// receipts confirmed through the receipt flow, reversals), the receipt and installment lists,
// the finance statistics and the month close.
package financeapi

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/financecmd"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels/financeview"
)

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: finance.ErrReceiptState, Status: http.StatusConflict, Code: "receipt_state"},
		httpkit.ErrorCode{Err: finance.ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: finance.ErrMonthClosed, Status: http.StatusConflict, Code: "month_closed"},
		httpkit.ErrorCode{Err: finance.ErrMonthOpen, Status: http.StatusConflict, Code: "month_open"},
	)
}

// Deps are what the finance API needs.
type Deps struct {
	Kit     *httpkit.Kit
	Finance financecmd.Commands
	Views   *financeview.Views
	// Departments names the departments (the organisation module's, through the wiring).
	Departments func(ctx context.Context) (map[uuid.UUID]string, error)
	// Today is the installation's date now (the default month range and ageing day).
	Today func(ctx context.Context) time.Time
}

var projection = []string{financeview.Projection}

// Routes registers the finance endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	rt.Handle(http.MethodGet, "/contracts/{id}/receivables", httpkit.Get(d.Kit, nil, a.ledger, func(l Ledger) int64 { return l.Version }))
	rt.Handle(http.MethodGet, "/contracts/{id}/receivables/history", httpkit.History(d.Finance.History, httpkit.HistoryItems))
	rt.Handle(http.MethodPut, "/contracts/{id}/receivables/plan", httpkit.OnRecord[PlanBody]{Kit: d.Kit, Answer: httpkit.Answer{View: a.ledgerView},
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *PlanBody) (commands.Result, error) {
			res, err := a.Finance.SetPlan(ctx, m, id, in.Installments)
			res.ID = id
			return res, err
		}}.Handle)
	receipts := documents[ReceiptBody]{path: "/contracts/{id}/receipts/{receiptId}", param: "receiptId", view: a.receiptView,
		draft: func(ctx context.Context, m commands.Meta, c, r uuid.UUID, in *ReceiptBody) (commands.Result, error) {
			f, err := in.fields()
			if err != nil {
				return commands.Result{}, err
			}
			return a.Finance.DraftReceipt(ctx, m, c, r, f)
		},
		update: func(ctx context.Context, m commands.Meta, c, r uuid.UUID, in *ReceiptBody) (commands.Result, error) {
			f, err := in.fields()
			if err != nil {
				return commands.Result{}, err
			}
			return a.Finance.UpdateReceipt(ctx, m, c, r, f)
		},
		remove: a.Finance.DeleteReceipt, submit: a.Finance.SubmitReceipt, decide: a.Finance.DecideReceipt,
		withdraw: a.Finance.WithdrawReceipt, reverse: a.Finance.ReverseReceipt}
	receipts.routes(rt, a, func(in *ReceiptBody) string { return in.ID })
	rt.Handle(http.MethodGet, "/receipts", httpkit.List(d.Kit, projection, func(r *http.Request) (financeview.ReceiptQuery, error) {
		p := httpkit.Params(r.URL.Query())
		q := ReceiptQuery(p, httpkit.ActorOf(r.Context()))
		return q, p.Err()
	}, d.Views.Receipts))
	rt.Handle(http.MethodGet, "/receipts/{id}", httpkit.Get(d.Kit, projection, func(ctx context.Context, actor access.Actor, id uuid.UUID) (*financeview.ReceiptRow, error) {
		return d.Views.Receipt(ctx, financeview.ReaderOf(actor), id)
	}, nil))
	rt.Handle(http.MethodGet, "/installments", httpkit.List(d.Kit, projection, func(r *http.Request) (financeview.InstallmentQuery, error) {
		p := httpkit.Params(r.URL.Query())
		q := InstallmentQuery(p, httpkit.ActorOf(r.Context()))
		return q, p.Err()
	}, d.Views.Installments))
	rt.Handle(http.MethodGet, "/finance/stats/monthly", a.monthly)
	rt.Handle(http.MethodGet, "/finance/stats/owners", a.owners)
	rt.Handle(http.MethodGet, "/finance/stats/departments", a.departments)
	rt.Handle(http.MethodGet, "/finance/stats/customers", a.customers)
	rt.Handle(http.MethodGet, "/finance/stats/contracts", httpkit.List(d.Kit, projection, func(r *http.Request) (financeview.ContractQuery, error) {
		p := httpkit.Params(r.URL.Query())
		q := financeview.ContractQuery{Reader: financeview.ReaderOf(httpkit.ActorOf(r.Context())), Q: p.Text("q", 100), OwnerID: p.UUID("ownerId"),
			CustomerID: p.UUID("customerId"), Limit: p.Limit(), Cursor: p.Str("cursor")}
		return q, p.Err()
	}, d.Views.Contracts))
	rt.Handle(http.MethodGet, "/finance/stats/ageing", a.ageing)
	payableRoutes(rt, a)
	rt.Handle(http.MethodGet, "/finance/months", a.months)
	rt.Handle(http.MethodPost, "/finance/months/{month}/close", a.closeMonth)
	rt.Handle(http.MethodPost, "/finance/months/{month}/reopen", a.reopenMonth)
}

type api struct{ Deps }

// Installment is an installment as clients read it.
type Installment struct {
	Seq          int     `json:"seq"`
	DueDate      string  `json:"dueDate"`
	Amount       string  `json:"amount"`
	Note         string  `json:"note"`
	Received     string  `json:"received"`
	Outstanding  string  `json:"outstanding"`
	Status       string  `json:"status"`
	OverdueSince *string `json:"overdueSince"`
}

// Receipt is a receipt as clients read it.
type Receipt struct {
	ID           uuid.UUID            `json:"id"`
	ContractID   uuid.UUID            `json:"contractId"`
	Number       string               `json:"number"`
	Amount       string               `json:"amount"`
	Date         string               `json:"date"`
	Method       string               `json:"method"`
	PayerAccount string               `json:"payerAccount"`
	Remarks      string               `json:"remarks"`
	OwnerID      string               `json:"ownerId"`
	Installments []int                `json:"installments"`
	Status       string               `json:"status"`
	Allocation   []finance.Allocation `json:"allocation"`
	Approval     *approval.Process    `json:"approval"`
	Reversal     *finance.Reversal    `json:"reversal"`
	CreatedBy    string               `json:"createdBy"`
	CreatedAt    time.Time            `json:"createdAt"`
	ConfirmedAt  *time.Time           `json:"confirmedAt"`
}

func receiptOf(contractID uuid.UUID, r finance.Receipt) Receipt {
	out := Receipt{ContractID: contractID, Number: r.Number, Amount: r.Fields.Amount, Date: r.Fields.Date, Method: r.Fields.Method,
		PayerAccount: r.Fields.PayerAccount, Remarks: r.Fields.Remarks, OwnerID: r.Fields.OwnerID, Installments: r.Fields.Installments,
		Status: r.Status, Allocation: r.Allocation, Approval: r.Process, Reversal: r.Reversal, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, ConfirmedAt: r.ConfirmedAt}
	out.ID, _ = uuid.Parse(r.ID)
	if out.Installments == nil {
		out.Installments = []int{}
	}
	if out.Allocation == nil {
		out.Allocation = []finance.Allocation{}
	}
	return out
}

// LedgerTotals are a contract's receivables summed.
type LedgerTotals struct {
	Planned         string  `json:"planned"`
	Unplanned       string  `json:"unplanned"`
	Received        string  `json:"received"`
	Pending         string  `json:"pending"`
	Outstanding     string  `json:"outstanding"`
	Overdue         string  `json:"overdue"`
	LastReceiptDate *string `json:"lastReceiptDate"`
}

// Ledger is a contract's receivables as clients read them (from the event store: always current).
type Ledger struct {
	ContractID     uuid.UUID     `json:"contractId"`
	ContractNumber string        `json:"contractNumber"`
	ContractName   string        `json:"contractName"`
	ContractAmount string        `json:"contractAmount"`
	ContractStatus string        `json:"contractStatus"`
	Installments   []Installment `json:"installments"`
	Receipts       []Receipt     `json:"receipts"`
	Totals         LedgerTotals  `json:"totals"`
	ClosedMonths   []string      `json:"closedMonths"`
	Version        int64         `json:"version"`
}

func (a api) ledger(ctx context.Context, actor access.Actor, contractID uuid.UUID) (Ledger, error) {
	l, t, err := a.Finance.Receivables(ctx, actor, contractID)
	if err != nil {
		return Ledger{}, err
	}
	cal, err := a.Finance.Months(ctx)
	if err != nil {
		return Ledger{}, err
	}
	tot := l.Totals()
	out := Ledger{ContractID: contractID, ContractNumber: t.Number, ContractName: t.Name, ContractAmount: t.Amount.String(), ContractStatus: string(t.Status),
		Installments: []Installment{}, Receipts: []Receipt{}, ClosedMonths: cal.ClosedMonths(), Version: l.Version()}
	if out.ClosedMonths == nil {
		out.ClosedMonths = []string{}
	}
	for _, in := range l.Installments() {
		a, r := amt(in.Amount), amt(in.Received)
		left := a.Sub(r)
		if left.Sign() < 0 {
			left = money.Amount{}
		}
		x := Installment{Seq: in.Seq, DueDate: in.DueDate, Amount: in.Amount, Note: in.Note, Received: in.Received, Outstanding: left.String(),
			Status: finance.InstallmentStatus(in)}
		if in.OverdueSince != "" {
			s := in.OverdueSince
			x.OverdueSince = &s
		}
		out.Installments = append(out.Installments, x)
	}
	for _, r := range l.Receipts() {
		out.Receipts = append(out.Receipts, receiptOf(contractID, r))
	}
	out.Totals = LedgerTotals{Planned: tot.Planned.String(), Unplanned: t.Amount.Sub(tot.Planned).String(), Received: tot.Received.String(),
		Pending: tot.Pending.String(), Outstanding: t.Amount.Sub(tot.Received).String(), Overdue: tot.Overdue.String()}
	if tot.LastDate != "" {
		d := tot.LastDate
		out.Totals.LastReceiptDate = &d
	}
	return out, nil
}

func amt(s string) money.Amount {
	a, _ := money.ParseTotal("amount", s)
	return a
}

func (a api) ledgerView(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.ledger(ctx, actor, id)
}

// PlanBody replaces a contract's plan.
type PlanBody struct {
	Installments []finance.PlanItem `json:"installments"`
}

// ReceiptBody is a receipt as entered.
type ReceiptBody struct {
	ID           string `json:"id"`
	Amount       string `json:"amount"`
	Date         string `json:"date"`
	Method       string `json:"method"`
	PayerAccount string `json:"payerAccount"`
	Remarks      string `json:"remarks"`
	Installments []int  `json:"installments"`
	OwnerID      string `json:"ownerId"`
}

func (in *ReceiptBody) fields() (finance.ReceiptFields, error) {
	f := finance.ReceiptFields{Amount: in.Amount, Date: in.Date, Method: in.Method, PayerAccount: in.PayerAccount, Remarks: in.Remarks,
		Installments: in.Installments}
	if in.OwnerID != "" {
		id, err := httpkit.ParseUUID("ownerId", in.OwnerID)
		if err != nil {
			return f, err
		}
		f.OwnerID = id.String()
	}
	return f, nil
}

// CommentBody carries an optional comment (a rejection requires one).
type CommentBody struct {
	Comment string `json:"comment"`
}

// ReverseBody reverses a confirmed receipt: why, and the reversal's date (default today).
type ReverseBody struct {
	Reason string `json:"reason"`
	Date   string `json:"date"`
}

// receiptView is a receipt read from its ledger (the event store).
func (a api) receiptView(contractID uuid.UUID) func(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return func(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
		l, err := a.Finance.Ledger(ctx, actor, contractID)
		if err != nil {
			return nil, err
		}
		r, err := l.Receipt(id)
		if err != nil {
			return nil, err
		}
		return receiptOf(contractID, r), nil
	}
}

// ReceiptQuery reads the filters of a receipt search (the export shares them).
func ReceiptQuery(p *httpkit.ParamReader, actor access.Actor) financeview.ReceiptQuery {
	return financeview.ReceiptQuery{Reader: financeview.ReaderOf(actor), Q: p.Str("q"), Sort: p.Str("sort"),
		Status:     p.List("status", finance.ReceiptStatuses, "must be draft, pending, confirmed or reversed; got %q"),
		ContractID: p.UUID("contractId"), CustomerID: p.UUID("customerId"), OwnerID: p.UUID("ownerId"),
		DateFrom: p.Str("dateFrom"), DateTo: p.Str("dateTo"), Cursor: p.Str("cursor"), Limit: p.Limit()}
}

// InstallmentQuery reads the filters of an installment list (the export shares them).
func InstallmentQuery(p *httpkit.ParamReader, actor access.Actor) financeview.InstallmentQuery {
	return financeview.InstallmentQuery{Reader: financeview.ReaderOf(actor),
		Status:  p.Enum("status", append([]string{"open"}, finance.InstallmentStatuses...)...),
		DueFrom: p.Str("dueFrom"), DueTo: p.Str("dueTo"), OwnerID: p.UUID("ownerId"), CustomerID: p.UUID("customerId"),
		ContractID: p.UUID("contractId"), Cursor: p.Str("cursor"), Limit: p.Limit()}
}

// filter reads a statistics request's owner and department filters.
func filter(r *http.Request, p *httpkit.ParamReader) financeview.CellFilter {
	return financeview.CellFilter{Reader: financeview.ReaderOf(httpkit.ActorOf(r.Context())), OwnerID: p.UUID("ownerId"), DepartmentID: p.UUID("departmentId")}
}

// stats answers a statistics query once the finance projection has caught up.
func (a api) stats(r *http.Request, p *httpkit.ParamReader, read func() (any, error)) (httpkit.Reply, error) {
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	if err := httpkit.Allow(r, role.FinanceRead); err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	v, err := read()
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(v), nil
}

func (a api) today(ctx context.Context) time.Time {
	if a.Today == nil {
		return time.Now().UTC()
	}
	return a.Today(ctx)
}

func (a api) monthly(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	f := filter(r, p)
	from, to := p.Str("from"), p.Str("to")
	if to == "" {
		to = a.today(r.Context()).Format("2006-01")
	}
	if from == "" {
		if t, err := time.Parse("2006-01", to); err == nil {
			from = t.AddDate(0, -11, 0).Format("2006-01")
		}
	}
	return a.stats(r, p, func() (any, error) { return a.Views.Monthly(r.Context(), f, from, to) })
}

func (a api) owners(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	f := filter(r, p)
	return a.stats(r, p, func() (any, error) {
		out, err := a.Views.Owners(r.Context(), f)
		if err != nil {
			return nil, err
		}
		names, err := a.departmentNames(r.Context())
		for i := range out.Rows {
			if d := out.Rows[i].DepartmentID; d != nil {
				out.Rows[i].DepartmentName = names[*d]
			}
		}
		return out, err
	})
}

func (a api) departmentNames(ctx context.Context) (map[uuid.UUID]string, error) {
	if a.Departments == nil {
		return map[uuid.UUID]string{}, nil
	}
	return a.Departments(ctx)
}

// DepartmentRow is one department's owners' totals (owners without a department: no id).
type DepartmentRow struct {
	DepartmentID   *uuid.UUID `json:"departmentId"`
	DepartmentName string     `json:"departmentName"`
	financeview.Totals
}

// ByDepartment are the departments' totals and their sum.
type ByDepartment struct {
	Rows   []DepartmentRow    `json:"rows"`
	Totals financeview.Totals `json:"totals"`
}

func (a api) departments(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	f := filter(r, p)
	return a.stats(r, p, func() (any, error) {
		owners, err := a.Views.Owners(r.Context(), f)
		if err != nil {
			return nil, err
		}
		names, err := a.departmentNames(r.Context())
		if err != nil {
			return nil, err
		}
		keys := map[uuid.UUID]int{}
		var out []DepartmentRow
		for _, o := range owners.Rows {
			k := uuid.Nil
			if o.DepartmentID != nil {
				k = *o.DepartmentID
			}
			i, ok := keys[k]
			if !ok {
				i = len(out)
				keys[k] = i
				row := DepartmentRow{DepartmentID: o.DepartmentID, DepartmentName: names[k]}
				out = append(out, row)
			}
			out[i].Totals = financeview.AddTotals(out[i].Totals, o.Totals)
		}
		if out == nil {
			out = []DepartmentRow{}
		}
		financeview.SortByOutstanding(out, func(d DepartmentRow) financeview.Totals { return d.Totals })
		return ByDepartment{Rows: out, Totals: owners.Totals}, nil
	})
}

func (a api) customers(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	f := filter(r, p)
	limit := p.Int("limit", 1, 100, 10, "must be a number from 1 to 100")
	return a.stats(r, p, func() (any, error) {
		rows, err := a.Views.Customers(r.Context(), f, limit)
		return map[string]any{"rows": rows}, err
	})
}

func (a api) ageing(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	f := filter(r, p)
	asOf := p.Str("asOf")
	if asOf == "" {
		asOf = a.today(r.Context()).Format(time.DateOnly)
	}
	return a.stats(r, p, func() (any, error) { return a.Views.Ageing(r.Context(), f, asOf) })
}

// Months are the closed months.
type Months struct {
	Closed  []string `json:"closed"`
	Version int64    `json:"version"`
}

func (a api) monthsView(ctx context.Context) (Months, error) {
	c, err := a.Finance.Months(ctx)
	if err != nil {
		return Months{}, err
	}
	out := Months{Closed: c.ClosedMonths(), Version: c.Version()}
	if out.Closed == nil {
		out.Closed = []string{}
	}
	return out, nil
}

func (a api) months(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.FinanceRead); err != nil {
		return httpkit.Reply{}, err
	}
	m, err := a.monthsView(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(m).With("ETag", httpkit.ETag(m.Version)), nil
}

// ReasonBody carries a required reason.
type ReasonBody struct {
	Reason string `json:"reason"`
}

func (a api) monthAnswer() httpkit.Answer {
	return httpkit.Answer{View: func(ctx context.Context, _ access.Actor, _ uuid.UUID) (any, error) { return a.monthsView(ctx) }}
}

func (a api) closeMonth(r *http.Request) (httpkit.Reply, error) {
	month := httpkit.PathVar(r, "month")
	if err := finance.CheckMonth("month", month); err != nil {
		return httpkit.Reply{}, err
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return a.Finance.CloseMonth(r.Context(), m, month) }, a.monthAnswer())
}

func (a api) reopenMonth(r *http.Request) (httpkit.Reply, error) {
	month := httpkit.PathVar(r, "month")
	if err := finance.CheckMonth("month", month); err != nil {
		return httpkit.Reply{}, err
	}
	var in ReasonBody
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) {
		return a.Finance.ReopenMonth(r.Context(), m, month, in.Reason)
	}, a.monthAnswer())
}
