package financeview

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// The payables half: the supplier directory, a row per payable (its state folded by the
// aggregate's own rules, and its sums), its payment vouchers as a list. Payables are scoped by
// their owner like contracts; vouchers also by whom they were routed to. A payable's share of the
// month cells: its amount due in its due month (payables_due), each confirmed voucher's amount
// paid in its date's month and taken back in its reversal's month (paid).

// The payables' table names as a projection's transaction knows them.
const (
	SuppliersTable      = "fin_suppliers"
	PayablesTable       = "fin_payables"
	VouchersTable       = "fin_vouchers"
	VoucherMembersTable = "fin_voucher_members"
)

func payablesDDL(t Tables) []string {
	ddl := []string{
		supplierTable.Create(t.Suppliers),
		`CREATE INDEX ` + t.Suppliers + `_name ON ` + t.Suppliers + ` (deleted, name, id)`,
		payableTable.Create(t.Payables),
		`CREATE INDEX ` + t.Payables + `_supplier ON ` + t.Payables + ` (supplier_id, status)`,
		voucherTable.Create(t.Vouchers),
		`CREATE INDEX ` + t.Vouchers + `_payable ON ` + t.Vouchers + ` (payable_id)`,
		`CREATE INDEX ` + t.Vouchers + `_supplier ON ` + t.Vouchers + ` (supplier_id)`,
		`CREATE TABLE ` + t.VoucherMembers + ` (voucher_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (user_id, voucher_id))`,
		`CREATE INDEX ` + t.VoucherMembers + `_voucher ON ` + t.VoucherMembers + ` (voucher_id)`,
	}
	ddl = append(ddl, readmodels.SortIndexes(t.Payables, PayableSorts, "id", true)...)
	return append(ddl, readmodels.SortIndexes(t.Vouchers, VoucherSorts, "id", true)...)
}

// SupplierRow is a supplier of the directory.
type SupplierRow struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Contact   string    `json:"contact"`
	Phone     string    `json:"phone"`
	Bank      string    `json:"bank"`
	Account   string    `json:"account"`
	Remarks   string    `json:"remarks"`
	Deleted   int64     `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

var supplierTable = readmodels.Cols([]readmodels.Col[SupplierRow]{
	readmodels.IDCol("id", "TEXT PRIMARY KEY", func(r *SupplierRow) *uuid.UUID { return &r.ID }),
	readmodels.TextCol("name", func(r *SupplierRow) *string { return &r.Name }),
	readmodels.TextCol("contact", func(r *SupplierRow) *string { return &r.Contact }),
	readmodels.TextCol("phone", func(r *SupplierRow) *string { return &r.Phone }),
	readmodels.TextCol("bank", func(r *SupplierRow) *string { return &r.Bank }),
	readmodels.TextCol("account", func(r *SupplierRow) *string { return &r.Account }),
	readmodels.TextCol("remarks", func(r *SupplierRow) *string { return &r.Remarks }),
	readmodels.Int64Col("deleted", func(r *SupplierRow) *int64 { return &r.Deleted }),
	readmodels.TimeCol("created_at", func(r *SupplierRow) *time.Time { return &r.CreatedAt }),
	readmodels.TimeCol("updated_at", func(r *SupplierRow) *time.Time { return &r.UpdatedAt }),
	readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, r *SupplierRow) any {
		return strings.ToLower(strings.Join([]string{r.Name, r.Contact, r.Phone, r.Bank, r.Account}, "\x1f"))
	}),
})

// Supplier columns, insert and scan.
var (
	SupplierColumns       = supplierTable.Select()
	SupplierInsertColumns = supplierTable.Insert()
)

func SupplierArgs(d readmodels.Dialect, r *SupplierRow) []any { return supplierTable.Args(d, r) }
func ScanSupplier(r readmodels.Scanner) (*SupplierRow, error) { return supplierTable.Scan(r) }

// FromSupplier sets a row's fields.
func (r *SupplierRow) FromSupplier(f finance.SupplierFields) {
	r.Name, r.Contact, r.Phone, r.Bank, r.Account, r.Remarks = f.Name, f.Contact, f.Phone, f.Bank, f.Account, f.Remarks
}

// PayableRow is a payable with its supplier's name and its sums.
type PayableRow struct {
	ID            uuid.UUID  `json:"id"`
	Number        string     `json:"number"`
	SupplierID    uuid.UUID  `json:"supplierId"`
	SupplierName  string     `json:"supplierName"`
	ContractID    *uuid.UUID `json:"contractId"`
	OpportunityID *uuid.UUID `json:"opportunityId"`
	Amount        string     `json:"amount"`
	Paid          string     `json:"paid"`
	Pending       string     `json:"pending"`
	Outstanding   string     `json:"outstanding"`
	DueDate       string     `json:"dueDate"`
	Status        string     `json:"status"`
	OwnerID       uuid.UUID  `json:"ownerId"`
	OwnerName     string     `json:"ownerName"`
	Purpose       string     `json:"purpose"`
	Remarks       string     `json:"remarks"`
	CreatedBy     uuid.UUID  `json:"createdBy"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	// The state the projection folds the next events into.
	State finance.PayableState `json:"-"`
}

var payableTable = readmodels.Cols([]readmodels.Col[PayableRow]{
	readmodels.IDCol("id", "TEXT PRIMARY KEY", func(r *PayableRow) *uuid.UUID { return &r.ID }),
	readmodels.TextCol("number", func(r *PayableRow) *string { return &r.Number }),
	readmodels.IDCol("supplier_id", "TEXT NOT NULL", func(r *PayableRow) *uuid.UUID { return &r.SupplierID }),
	readmodels.TextCol("supplier_name", func(r *PayableRow) *string { return &r.SupplierName }),
	readmodels.OptIDCol("contract_id", false, func(r *PayableRow) **uuid.UUID { return &r.ContractID }),
	readmodels.OptIDCol("opportunity_id", false, func(r *PayableRow) **uuid.UUID { return &r.OpportunityID }),
	readmodels.MoneyCol("amount", func(r *PayableRow) *string { return &r.Amount }),
	readmodels.MoneyCol("paid", func(r *PayableRow) *string { return &r.Paid }),
	readmodels.MoneyCol("pending", func(r *PayableRow) *string { return &r.Pending }),
	readmodels.MoneyCol("outstanding", func(r *PayableRow) *string { return &r.Outstanding }),
	readmodels.TextCol("due_date", func(r *PayableRow) *string { return &r.DueDate }),
	readmodels.TextCol("status", func(r *PayableRow) *string { return &r.Status }),
	readmodels.IDCol("owner_id", "TEXT NOT NULL", func(r *PayableRow) *uuid.UUID { return &r.OwnerID }),
	readmodels.TextCol("purpose", func(r *PayableRow) *string { return &r.Purpose }),
	readmodels.TextCol("remarks", func(r *PayableRow) *string { return &r.Remarks }),
	readmodels.IDCol("created_by", "TEXT NOT NULL", func(r *PayableRow) *uuid.UUID { return &r.CreatedBy }),
	readmodels.TimeCol("created_at", func(r *PayableRow) *time.Time { return &r.CreatedAt }),
	readmodels.TimeCol("updated_at", func(r *PayableRow) *time.Time { return &r.UpdatedAt }),
	readmodels.JSONCol("state", func(r *PayableRow) any { return &r.State }),
	readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, r *PayableRow) any {
		return strings.ToLower(strings.Join([]string{r.Number, r.SupplierName, r.Purpose, r.Remarks}, "\x1f"))
	}),
})

// Payable columns, insert and scan.
var (
	PayableColumns       = payableTable.Select()
	PayableInsertColumns = payableTable.Insert()
)

func PayableArgs(d readmodels.Dialect, r *PayableRow) []any { return payableTable.Args(d, r) }
func ScanPayable(r readmodels.Scanner) (*PayableRow, error) { return payableTable.Scan(r) }

// Summarise sets a payable row's columns from its state.
func (r *PayableRow) Summarise() {
	p := finance.RestorePayable(r.ID, r.State)
	f, t := p.Fields(), p.Totals()
	r.Number, r.Amount, r.Paid, r.Pending, r.Outstanding, r.Status = p.Number(), t.Amount.String(), t.Paid.String(), t.Pending.String(), t.Outstanding.String(), t.Status
	r.SupplierID, _ = uuid.Parse(f.SupplierID)
	r.ContractID, r.OpportunityID = readmodels.OptID(f.ContractID), readmodels.OptID(f.OpportunityID)
	r.DueDate, r.Purpose, r.Remarks, r.OwnerID = f.DueDate, f.Purpose, f.Remarks, p.Owner()
	r.CreatedBy, _ = uuid.Parse(r.State.CreatedBy)
	r.CreatedAt = r.State.CreatedAt
}

// PayableSorts are the orders the payable list offers.
var PayableSorts = map[string]readmodels.SortColumn{
	"dueDate": {Column: "due_date"}, "createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true},
}

// VoucherRow is a payment voucher with its payable's number, purpose, supplier and owner.
type VoucherRow struct {
	ID            uuid.UUID         `json:"id"`
	PayableID     uuid.UUID         `json:"payableId"`
	Number        string            `json:"number"`
	Amount        string            `json:"amount"`
	Date          string            `json:"date"`
	Method        string            `json:"method"`
	PayeeAccount  string            `json:"payeeAccount"`
	Remarks       string            `json:"remarks"`
	Status        string            `json:"status"`
	Approval      *approval.Process `json:"approval"`
	Reversal      *finance.Reversal `json:"reversal"`
	CreatedBy     uuid.UUID         `json:"createdBy"`
	CreatedAt     time.Time         `json:"createdAt"`
	ConfirmedAt   *time.Time        `json:"confirmedAt"`
	PayableNumber string            `json:"payableNumber"`
	Purpose       string            `json:"purpose"`
	SupplierID    uuid.UUID         `json:"supplierId"`
	SupplierName  string            `json:"supplierName"`
	OwnerID       uuid.UUID         `json:"ownerId"`
	OwnerName     string            `json:"ownerName"`
	UpdatedAt     time.Time         `json:"updatedAt"`
}

var voucherTable = readmodels.Cols([]readmodels.Col[VoucherRow]{
	readmodels.IDCol("id", "TEXT PRIMARY KEY", func(r *VoucherRow) *uuid.UUID { return &r.ID }),
	readmodels.IDCol("payable_id", "TEXT NOT NULL", func(r *VoucherRow) *uuid.UUID { return &r.PayableID }),
	readmodels.TextCol("number", func(r *VoucherRow) *string { return &r.Number }),
	readmodels.MoneyCol("amount", func(r *VoucherRow) *string { return &r.Amount }),
	readmodels.TextCol("date", func(r *VoucherRow) *string { return &r.Date }),
	readmodels.TextCol("method", func(r *VoucherRow) *string { return &r.Method }),
	readmodels.TextCol("payee_account", func(r *VoucherRow) *string { return &r.PayeeAccount }),
	readmodels.TextCol("remarks", func(r *VoucherRow) *string { return &r.Remarks }),
	readmodels.TextCol("status", func(r *VoucherRow) *string { return &r.Status }),
	readmodels.JSONCol("approval", func(r *VoucherRow) any { return &r.Approval }),
	readmodels.JSONCol("reversal", func(r *VoucherRow) any { return &r.Reversal }),
	readmodels.IDCol("created_by", "TEXT NOT NULL", func(r *VoucherRow) *uuid.UUID { return &r.CreatedBy }),
	readmodels.TimeCol("created_at", func(r *VoucherRow) *time.Time { return &r.CreatedAt }),
	readmodels.OptTimeCol("confirmed_at", func(r *VoucherRow) **time.Time { return &r.ConfirmedAt }),
	readmodels.TextCol("payable_number", func(r *VoucherRow) *string { return &r.PayableNumber }),
	readmodels.TextCol("purpose", func(r *VoucherRow) *string { return &r.Purpose }),
	readmodels.IDCol("supplier_id", "TEXT NOT NULL", func(r *VoucherRow) *uuid.UUID { return &r.SupplierID }),
	readmodels.TextCol("supplier_name", func(r *VoucherRow) *string { return &r.SupplierName }),
	readmodels.IDCol("owner_id", "TEXT NOT NULL", func(r *VoucherRow) *uuid.UUID { return &r.OwnerID }),
	readmodels.TimeCol("updated_at", func(r *VoucherRow) *time.Time { return &r.UpdatedAt }),
	readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, r *VoucherRow) any {
		return strings.ToLower(strings.Join([]string{r.Number, r.PayableNumber, r.SupplierName, r.Purpose, r.PayeeAccount}, "\x1f"))
	}),
})

// Voucher columns, insert and scan.
var (
	VoucherColumns       = voucherTable.Select()
	VoucherInsertColumns = voucherTable.Insert()
)

func VoucherArgs(d readmodels.Dialect, r *VoucherRow) []any { return voucherTable.Args(d, r) }
func ScanVoucher(r readmodels.Scanner) (*VoucherRow, error) { return voucherTable.Scan(r) }

// FromVoucher sets a row's voucher columns, and its payable's from the payable's row.
func (r *VoucherRow) FromVoucher(p *PayableRow, x finance.Voucher) {
	r.ID, _ = uuid.Parse(x.ID)
	r.PayableID, r.Number, r.Amount, r.Date, r.Method = p.ID, x.Number, x.Fields.Amount, x.Fields.Date, x.Fields.Method
	r.PayeeAccount, r.Remarks, r.Status, r.Approval, r.Reversal = x.Fields.PayeeAccount, x.Fields.Remarks, x.Status, x.Process, x.Reversal
	r.CreatedBy, _ = uuid.Parse(x.CreatedBy)
	r.CreatedAt, r.ConfirmedAt = x.CreatedAt, x.ConfirmedAt
	r.PayableNumber, r.Purpose, r.SupplierID, r.SupplierName, r.OwnerID = p.Number, p.Purpose, p.SupplierID, p.SupplierName, p.OwnerID
}

// VoucherSorts are the orders the voucher list offers.
var VoucherSorts = ReceiptSorts

// SupplierQuery searches the supplier directory (finance.read).
type SupplierQuery struct {
	Reader Reader
	Q      string
	Limit  int
	Cursor string
}

var supplierSpec = readmodels.ListSpec[*SupplierRow]{
	Columns:     SupplierColumns,
	Sorts:       map[string]readmodels.SortColumn{"name": {Column: "name"}},
	DefaultSort: "name",
	Scan:        ScanSupplier,
	Value:       func(r *SupplierRow, _ string) (any, string) { return r.Name, r.ID.String() },
}

// Suppliers lists the live suppliers by name.
func (v *Views) Suppliers(ctx context.Context, q SupplierQuery) (readmodels.Page[*SupplierRow], error) {
	t := v.table(SuppliersTable)
	lq, err := v.SearchQuery(t, readmodels.Scope{All: true}, q.Q, nil)
	if err != nil {
		return readmodels.Page[*SupplierRow]{}, err
	}
	lq.Add("deleted = ?", 0)
	if q.Reader.Scope.None {
		lq.Add("1 = 0")
	}
	lq.Limit, lq.Cursor = q.Limit, q.Cursor
	s := supplierSpec
	s.Table = t
	return readmodels.List(ctx, v.DB, s, *lq)
}

// Supplier is a live supplier.
func (v *Views) Supplier(ctx context.Context, r Reader, id uuid.UUID) (*SupplierRow, error) {
	if r.Scope.None {
		return nil, readmodels.ErrNotFound
	}
	row, err := ScanSupplier(v.SQL.QueryRowContext(ctx, v.Q("SELECT "+SupplierColumns+" FROM "+v.table(SuppliersTable)+" WHERE id = ? AND deleted = ?"), id.String(), 0))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, readmodels.ErrNotFound
	}
	return row, err
}

// OpenPayables tells whether a supplier has a payable with something left to pay (1) or none
// (0) (financecmd.Payables): it stops at the first, never counting them all.
func (v *Views) OpenPayables(ctx context.Context, supplierID uuid.UUID) (int, error) {
	var one int
	err := v.SQL.QueryRowContext(ctx, v.Q("SELECT 1 FROM "+v.table(PayablesTable)+" WHERE supplier_id = ? AND status = ? LIMIT 1"),
		supplierID.String(), finance.PayableOpen).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return one, err
}

// PayableQuery is a payable search.
type PayableQuery struct {
	Reader     Reader
	Q          string
	SupplierID *uuid.UUID
	Status     string
	DueFrom    string
	DueTo      string
	OwnerID    *uuid.UUID
	Sort       string
	Limit      int
	Cursor     string
}

var payableSpec = readmodels.ListSpec[*PayableRow]{
	Columns:     PayableColumns,
	Sorts:       PayableSorts,
	DefaultSort: "dueDate",
	Scan:        ScanPayable,
	Value: func(r *PayableRow, col string) (any, string) {
		switch col {
		case "due_date":
			return r.DueDate, r.ID.String()
		case "created_at":
			return &r.CreatedAt, r.ID.String()
		}
		return &r.UpdatedAt, r.ID.String()
	},
}

// owned narrows a list to the reader's scope over owner_id (and, with members, the rows routed
// to the reader), reading the owners' branches in index order.
func (v *Views) owned(ctx context.Context, lq *readmodels.ListQuery, r Reader, owner *uuid.UUID, members string) error {
	if cond, args := v.rowScope(r, members); cond != "" {
		lq.Add(cond, args...)
	}
	if owner != nil {
		lq.Add("owner_id = ?", owner.String())
		return nil
	}
	if r.Scope.None {
		return nil
	}
	branches, err := v.OwnerBranches(ctx, v.table(UsersTable), r.Scope, nil, nil)
	if err != nil || branches == nil {
		return err
	}
	if members != "" {
		branches = append(branches, readmodels.Cond{SQL: v.memberOf(members), Args: []any{r.User.String()}})
	}
	lq.Branches = branches
	return nil
}

// Payables lists payables, earliest due first by default.
func (v *Views) Payables(ctx context.Context, q PayableQuery) (readmodels.Page[*PayableRow], error) {
	t := v.table(PayablesTable)
	var statuses []string
	if q.Status != "" {
		if err := field.OneOf("status", q.Status, finance.PayableStatuses...); err != nil {
			return readmodels.Page[*PayableRow]{}, err
		}
		statuses = []string{q.Status}
	}
	lq, err := v.SearchQuery(t, readmodels.Scope{All: true}, q.Q, statuses)
	if err != nil {
		return readmodels.Page[*PayableRow]{}, err
	}
	if q.SupplierID != nil {
		lq.Add("supplier_id = ?", q.SupplierID.String())
	}
	if err := dateRange(lq, "due_date", "dueFrom", q.DueFrom, "dueTo", q.DueTo); err != nil {
		return readmodels.Page[*PayableRow]{}, err
	}
	if err := v.owned(ctx, lq, q.Reader, q.OwnerID, ""); err != nil {
		return readmodels.Page[*PayableRow]{}, err
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	s := payableSpec
	s.Table = t
	page, err := readmodels.List(ctx, v.DB, s, *lq)
	if err != nil {
		return page, err
	}
	return page, named(ctx, v, page.Items, func(r *PayableRow) (uuid.UUID, *string) { return r.OwnerID, &r.OwnerName })
}

// VoucherQuery is a payment voucher search.
type VoucherQuery struct {
	Reader     Reader
	Q          string
	Status     []string
	PayableID  *uuid.UUID
	SupplierID *uuid.UUID
	OwnerID    *uuid.UUID // the payable's owner
	DateFrom   string
	DateTo     string
	Sort       string
	Limit      int
	Cursor     string
}

var voucherSpec = documentSpec(VoucherColumns, ScanVoucher, func(r *VoucherRow) (string, string, *time.Time, *time.Time) {
	return r.Date, r.ID.String(), &r.CreatedAt, &r.UpdatedAt
})

// Vouchers lists payment vouchers, latest first by default.
func (v *Views) Vouchers(ctx context.Context, q VoucherQuery) (readmodels.Page[*VoucherRow], error) {
	return documents(ctx, v, voucherSpec, VouchersTable, VoucherMembersTable,
		documentSearch{Reader: q.Reader, Q: q.Q, Status: q.Status, OwnerID: q.OwnerID, DateFrom: q.DateFrom, DateTo: q.DateTo, Sort: q.Sort, Cursor: q.Cursor, Limit: q.Limit},
		func(lq *readmodels.ListQuery) {
			if q.PayableID != nil {
				lq.Add("payable_id = ?", q.PayableID.String())
			}
			if q.SupplierID != nil {
				lq.Add("supplier_id = ?", q.SupplierID.String())
			}
		}, voucherOwner)
}

func voucherOwner(r *VoucherRow) (uuid.UUID, *string) { return r.OwnerID, &r.OwnerName }

// Voucher is one payment voucher, if the reader may see it (the inbox finds its payable here).
func (v *Views) Voucher(ctx context.Context, r Reader, id uuid.UUID) (*VoucherRow, error) {
	return document(ctx, v, voucherSpec, VouchersTable, VoucherMembersTable, r, id, voucherOwner)
}

// named fills the owners' names of rows.
func named[R any](ctx context.Context, v *Views, rows []R, owner func(R) (uuid.UUID, *string)) error {
	ids := make([]string, len(rows))
	for i, r := range rows {
		id, _ := owner(r)
		ids[i] = id.String()
	}
	names, err := v.ownerNames(ctx, ids)
	for _, r := range rows {
		id, name := owner(r)
		*name = names[id.String()]
	}
	return err
}
