package financeapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/financecmd"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/readmodels/financeview"
)

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: finance.ErrVoucherState, Status: http.StatusConflict, Code: "voucher_state"},
		httpkit.ErrorCode{Err: finance.ErrVoucherNotFound, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: finance.ErrPayableDeleted, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: finance.ErrPayablePaid, Status: http.StatusConflict, Code: "payable_paid"},
		httpkit.ErrorCode{Err: finance.ErrSupplierInUse, Status: http.StatusConflict, Code: "supplier_in_use"},
		httpkit.ErrorCode{Err: finance.ErrSupplierDeleted, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: finance.ErrSupplierNotFound, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: financecmd.ErrDuplicateSupplier, Status: http.StatusConflict, Code: "duplicate_supplier"},
	)
}

// payableRoutes registers suppliers, payables and payment vouchers.
func payableRoutes(rt httpkit.Router, a api) {
	d := a.Deps
	rt.Handle(http.MethodGet, "/suppliers", httpkit.List(d.Kit, projection, func(r *http.Request) (financeview.SupplierQuery, error) {
		p := httpkit.Params(r.URL.Query())
		q := financeview.SupplierQuery{Reader: financeview.ReaderOf(httpkit.ActorOf(r.Context())), Q: p.Text("q", 100), Limit: p.Limit(), Cursor: p.Str("cursor")}
		return q, p.Err()
	}, d.Views.Suppliers))
	rt.Handle(http.MethodPost, "/suppliers", httpkit.Create[SupplierBody]{Kit: d.Kit, Run: func(ctx context.Context, m commands.Meta, in *SupplierBody) (commands.Result, error) {
		var id uuid.UUID
		if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: in.ID, Dst: &id}); err != nil {
			return commands.Result{}, err
		}
		return a.Finance.CreateSupplier(ctx, m, id, finance.SupplierFields{Name: in.Name, Contact: in.Contact, Phone: in.Phone, Bank: in.Bank, Account: in.Account, Remarks: in.Remarks})
	}, Answer: httpkit.Answer{Status: http.StatusCreated, ReplayOK: true, Location: "/api/v1/suppliers", View: a.supplierView}}.Handle)
	rt.Handle(http.MethodGet, "/suppliers/{id}", httpkit.Get(d.Kit, nil, func(ctx context.Context, actor access.Actor, id uuid.UUID) (Supplier, error) {
		return a.supplier(ctx, actor, id)
	}, func(s Supplier) int64 { return s.Version }))
	rt.Handle(http.MethodPatch, "/suppliers/{id}", httpkit.OnRecord[SupplierPatchBody]{Kit: d.Kit, Answer: httpkit.Answer{View: a.supplierView},
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *SupplierPatchBody) (commands.Result, error) {
			return a.Finance.UpdateSupplier(ctx, m, id, in.patch())
		}}.Handle)
	rt.Handle(http.MethodDelete, "/suppliers/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Finance.DeleteSupplier(ctx, m, id)
		}}.Handle)

	rt.Handle(http.MethodGet, "/payables", httpkit.List(d.Kit, projection, func(r *http.Request) (financeview.PayableQuery, error) {
		p := httpkit.Params(r.URL.Query())
		q := PayableQuery(p, httpkit.ActorOf(r.Context()))
		return q, p.Err()
	}, d.Views.Payables))
	rt.Handle(http.MethodPost, "/payables", httpkit.Create[PayableBody]{Kit: d.Kit, Run: func(ctx context.Context, m commands.Meta, in *PayableBody) (commands.Result, error) {
		var id uuid.UUID
		if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: in.ID, Dst: &id}); err != nil {
			return commands.Result{}, err
		}
		return a.Finance.CreatePayable(ctx, m, id, finance.PayableFields{SupplierID: in.SupplierID, ContractID: in.ContractID, OpportunityID: in.OpportunityID,
			Amount: in.Amount, DueDate: in.DueDate, Purpose: in.Purpose, OwnerID: in.OwnerID, Remarks: in.Remarks})
	}, Answer: httpkit.Answer{Status: http.StatusCreated, ReplayOK: true, Location: "/api/v1/payables", View: a.payableView}}.Handle)
	rt.Handle(http.MethodGet, "/payables/{id}", httpkit.Get(d.Kit, nil, a.payable, func(p Payable) int64 { return p.Version }))
	rt.Handle(http.MethodPatch, "/payables/{id}", httpkit.OnRecord[PayablePatchBody]{Kit: d.Kit, Answer: httpkit.Answer{View: a.payableView},
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *PayablePatchBody) (commands.Result, error) {
			return a.Finance.UpdatePayable(ctx, m, id, in.patch())
		}}.Handle)
	rt.Handle(http.MethodDelete, "/payables/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Finance.DeletePayable(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodGet, "/payables/{id}/history", httpkit.History(d.Finance.PayableHistory, httpkit.HistoryItems))
	vouchers := documents[VoucherBody]{path: "/payables/{id}/vouchers/{voucherId}", param: "voucherId", view: a.voucherView,
		draft: func(ctx context.Context, m commands.Meta, p, v uuid.UUID, in *VoucherBody) (commands.Result, error) {
			return a.Finance.DraftVoucher(ctx, m, p, v, in.fields())
		},
		update: func(ctx context.Context, m commands.Meta, p, v uuid.UUID, in *VoucherBody) (commands.Result, error) {
			return a.Finance.UpdateVoucher(ctx, m, p, v, in.fields())
		},
		remove: a.Finance.DeleteVoucher, submit: a.Finance.SubmitVoucher, decide: a.Finance.DecideVoucher,
		withdraw: a.Finance.WithdrawVoucher, reverse: a.Finance.ReverseVoucher}
	vouchers.routes(rt, a, func(in *VoucherBody) string { return in.ID })
	rt.Handle(http.MethodGet, "/payment-vouchers", httpkit.List(d.Kit, projection, func(r *http.Request) (financeview.VoucherQuery, error) {
		p := httpkit.Params(r.URL.Query())
		q := VoucherQuery(p, httpkit.ActorOf(r.Context()))
		return q, p.Err()
	}, d.Views.Vouchers))
	rt.Handle(http.MethodGet, "/payment-vouchers/{id}", httpkit.Get(d.Kit, projection, func(ctx context.Context, actor access.Actor, id uuid.UUID) (*financeview.VoucherRow, error) {
		return d.Views.Voucher(ctx, financeview.ReaderOf(actor), id)
	}, nil))
}

// PayableQuery reads the filters of a payable search (the export shares them).
func PayableQuery(p *httpkit.ParamReader, actor access.Actor) financeview.PayableQuery {
	return financeview.PayableQuery{Reader: financeview.ReaderOf(actor), Q: p.Text("q", 100), SupplierID: p.UUID("supplierId"),
		Status: p.Enum("status", finance.PayableStatuses...), DueFrom: p.Str("dueFrom"), DueTo: p.Str("dueTo"), OwnerID: p.UUID("ownerId"),
		Sort: p.Str("sort"), Limit: p.Limit(), Cursor: p.Str("cursor")}
}

// VoucherQuery reads the filters of a payment voucher search (the export shares them).
func VoucherQuery(p *httpkit.ParamReader, actor access.Actor) financeview.VoucherQuery {
	return financeview.VoucherQuery{Reader: financeview.ReaderOf(actor), Q: p.Text("q", 100),
		Status:    p.List("status", finance.VoucherStatuses, "must be draft, pending, confirmed or reversed; got %q"),
		PayableID: p.UUID("payableId"), SupplierID: p.UUID("supplierId"), OwnerID: p.UUID("ownerId"),
		DateFrom: p.Str("dateFrom"), DateTo: p.Str("dateTo"), Sort: p.Str("sort"), Cursor: p.Str("cursor"), Limit: p.Limit()}
}

// SupplierBody is a new supplier.
type SupplierBody struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Contact string `json:"contact"`
	Phone   string `json:"phone"`
	Bank    string `json:"bank"`
	Account string `json:"account"`
	Remarks string `json:"remarks"`
}

// SupplierPatchBody is the body of PATCH /suppliers/{id}: the fields to change (null or ""
// clears an optional one).
type SupplierPatchBody struct {
	Name    httpkit.Opt[string] `json:"name"`
	Contact httpkit.Opt[string] `json:"contact"`
	Phone   httpkit.Opt[string] `json:"phone"`
	Bank    httpkit.Opt[string] `json:"bank"`
	Account httpkit.Opt[string] `json:"account"`
	Remarks httpkit.Opt[string] `json:"remarks"`
}

func (in SupplierPatchBody) patch() finance.SupplierPatch {
	return finance.SupplierPatch{Name: in.Name.Field(), Contact: in.Contact.Field(), Phone: in.Phone.Field(), Bank: in.Bank.Field(), Account: in.Account.Field(), Remarks: in.Remarks.Field()}
}

// Supplier is a supplier as clients read it (from the event store).
type Supplier struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Contact   string    `json:"contact"`
	Phone     string    `json:"phone"`
	Bank      string    `json:"bank"`
	Account   string    `json:"account"`
	Remarks   string    `json:"remarks"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

func (a api) supplier(ctx context.Context, actor access.Actor, id uuid.UUID) (Supplier, error) {
	s, err := a.Finance.Supplier(ctx, actor, id)
	if err != nil {
		return Supplier{}, err
	}
	f := s.Fields()
	return Supplier{ID: id, Name: f.Name, Contact: f.Contact, Phone: f.Phone, Bank: f.Bank, Account: f.Account, Remarks: f.Remarks,
		CreatedAt: s.CreatedAt(), UpdatedAt: s.UpdatedAt(), Version: s.Version()}, nil
}

func (a api) supplierView(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.supplier(ctx, actor, id)
}

// PayableBody is a new payable.
type PayableBody struct {
	ID            string `json:"id"`
	SupplierID    string `json:"supplierId"`
	ContractID    string `json:"contractId"`
	OpportunityID string `json:"opportunityId"`
	Amount        string `json:"amount"`
	DueDate       string `json:"dueDate"`
	Purpose       string `json:"purpose"`
	OwnerID       string `json:"ownerId"`
	Remarks       string `json:"remarks"`
}

// PayablePatchBody is the body of PATCH /payables/{id}: the fields to change (null or "" clears
// an optional one).
type PayablePatchBody struct {
	SupplierID    httpkit.Opt[string] `json:"supplierId"`
	ContractID    httpkit.Opt[string] `json:"contractId"`
	OpportunityID httpkit.Opt[string] `json:"opportunityId"`
	Amount        httpkit.Opt[string] `json:"amount"`
	DueDate       httpkit.Opt[string] `json:"dueDate"`
	Purpose       httpkit.Opt[string] `json:"purpose"`
	OwnerID       httpkit.Opt[string] `json:"ownerId"`
	Remarks       httpkit.Opt[string] `json:"remarks"`
}

func (in PayablePatchBody) patch() finance.PayablePatch {
	return finance.PayablePatch{SupplierID: in.SupplierID.Field(), ContractID: in.ContractID.Field(), OpportunityID: in.OpportunityID.Field(), Amount: in.Amount.Field(),
		DueDate: in.DueDate.Field(), Purpose: in.Purpose.Field(), OwnerID: in.OwnerID.Field(), Remarks: in.Remarks.Field()}
}

// VoucherBody is a payment voucher as entered.
type VoucherBody struct {
	ID           string `json:"id"`
	Amount       string `json:"amount"`
	Date         string `json:"date"`
	Method       string `json:"method"`
	PayeeAccount string `json:"payeeAccount"`
	Remarks      string `json:"remarks"`
}

func (in *VoucherBody) fields() finance.VoucherFields {
	return finance.VoucherFields{Amount: in.Amount, Date: in.Date, Method: in.Method, PayeeAccount: in.PayeeAccount, Remarks: in.Remarks}
}

// Voucher is a payment voucher as clients read it.
type Voucher struct {
	ID           uuid.UUID         `json:"id"`
	PayableID    uuid.UUID         `json:"payableId"`
	Number       string            `json:"number"`
	Amount       string            `json:"amount"`
	Date         string            `json:"date"`
	Method       string            `json:"method"`
	PayeeAccount string            `json:"payeeAccount"`
	Remarks      string            `json:"remarks"`
	Status       string            `json:"status"`
	Approval     *approval.Process `json:"approval"`
	Reversal     *finance.Reversal `json:"reversal"`
	CreatedBy    string            `json:"createdBy"`
	CreatedAt    time.Time         `json:"createdAt"`
	ConfirmedAt  *time.Time        `json:"confirmedAt"`
}

func voucherOf(payableID uuid.UUID, v finance.Voucher) Voucher {
	out := Voucher{PayableID: payableID, Number: v.Number, Amount: v.Fields.Amount, Date: v.Fields.Date, Method: v.Fields.Method, PayeeAccount: v.Fields.PayeeAccount,
		Remarks: v.Fields.Remarks, Status: v.Status, Approval: v.Process, Reversal: v.Reversal, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt, ConfirmedAt: v.ConfirmedAt}
	out.ID, _ = uuid.Parse(v.ID)
	return out
}

// Payable is a payable as clients read it (from the event store: always current), with its
// vouchers and totals.
type Payable struct {
	ID            uuid.UUID `json:"id"`
	Number        string    `json:"number"`
	SupplierID    string    `json:"supplierId"`
	SupplierName  string    `json:"supplierName"`
	ContractID    *string   `json:"contractId"`
	OpportunityID *string   `json:"opportunityId"`
	Amount        string    `json:"amount"`
	DueDate       string    `json:"dueDate"`
	Purpose       string    `json:"purpose"`
	OwnerID       string    `json:"ownerId"`
	Remarks       string    `json:"remarks"`
	Status        string    `json:"status"`
	Paid          string    `json:"paid"`
	Pending       string    `json:"pending"`
	Outstanding   string    `json:"outstanding"`
	LastPaidDate  *string   `json:"lastPaidDate"`
	Vouchers      []Voucher `json:"vouchers"`
	ClosedMonths  []string  `json:"closedMonths"`
	Version       int64     `json:"version"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (a api) payable(ctx context.Context, actor access.Actor, id uuid.UUID) (Payable, error) {
	p, err := a.Finance.Payable(ctx, actor, id)
	if err != nil {
		return Payable{}, err
	}
	cal, err := a.Finance.Months(ctx)
	if err != nil {
		return Payable{}, err
	}
	f, t := p.Fields(), p.Totals()
	out := Payable{ID: id, Number: p.Number(), SupplierID: f.SupplierID, ContractID: optString(f.ContractID), OpportunityID: optString(f.OpportunityID),
		Amount: f.Amount, DueDate: f.DueDate, Purpose: f.Purpose, OwnerID: f.OwnerID, Remarks: f.Remarks, Status: t.Status, Paid: t.Paid.String(),
		Pending: t.Pending.String(), Outstanding: t.Outstanding.String(), LastPaidDate: optString(t.LastDate), Vouchers: []Voucher{},
		ClosedMonths: cal.ClosedMonths(), Version: p.Version()}
	if out.ClosedMonths == nil {
		out.ClosedMonths = []string{}
	}
	// the supplier's name, even once it left the directory
	if sid, err := uuid.Parse(f.SupplierID); err == nil {
		s, err := a.Finance.Supplier(ctx, access.System, sid)
		switch {
		case err == nil:
			out.SupplierName = s.Fields().Name
		case !errors.Is(err, commands.ErrNotFound):
			return Payable{}, err
		}
	}
	for _, v := range p.Vouchers() {
		out.Vouchers = append(out.Vouchers, voucherOf(id, v))
	}
	return out, nil
}

func (a api) payableView(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.payable(ctx, actor, id)
}

// voucherView is a voucher read from its payable (the event store).
func (a api) voucherView(payableID uuid.UUID) func(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return func(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
		p, err := a.Finance.Payable(ctx, actor, payableID)
		if err != nil {
			return nil, err
		}
		v, err := p.Voucher(id)
		if err != nil {
			return nil, err
		}
		return voucherOf(payableID, v), nil
	}
}
