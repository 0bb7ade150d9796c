// Package financeview is the finance read model: a row per contract with its receivables
// summed, the installments and receipts as lists, and the cells the statistics add up — by
// owner and month, by owner, by customer and owner, by owner and due date (ageing) — each kept
// also under the owner "" (everyone), so a reader who sees everything reads a few rows, and a
// scoped reader the rows of the owners in scope. The projection keeps every cell equal to a
// recomputation from the rows (tests check it).
package financeview

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the finance tables.
const Projection = "finance"

// Everyone is the owner of the roll-up cells.
const Everyone = ""

// Views are the queries of this read model.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }

// Tables are the names of one generation's tables.
type Tables struct {
	Contracts, Installments, Receipts, Members, Customers string
	Months, Owners, CustomerCells, Ageing, Depts, Users   string
	Suppliers, Payables, Vouchers, VoucherMembers         string
}

// Names are the tables of a generation.
func Names(gen int) Tables {
	n := func(s string) string { return readmodels.TableName(s, gen) }
	return Tables{Contracts: n("fin_contracts"), Installments: n("fin_installments"), Receipts: n("fin_receipts"), Members: n("fin_receipt_members"),
		Customers: n("fin_customers"), Months: n("fin_months"), Owners: n("fin_owners"), CustomerCells: n("fin_customer_cells"), Ageing: n("fin_ageing"),
		Depts: n("fin_org_depts"), Users: n("fin_org_users"),
		Suppliers: n(SuppliersTable), Payables: n(PayablesTable), Vouchers: n(VouchersTable), VoucherMembers: n(VoucherMembersTable)}
}

// The table names as a projection's transaction knows them (tx.Table).
const (
	ContractsTable     = "fin_contracts"
	InstallmentsTable  = "fin_installments"
	ReceiptsTable      = "fin_receipts"
	MembersTable       = "fin_receipt_members"
	CustomersTable     = "fin_customers"
	MonthsTable        = "fin_months"
	OwnersTable        = "fin_owners"
	CustomerCellsTable = "fin_customer_cells"
	AgeingTable        = "fin_ageing"
	DeptsTable         = "fin_org_depts"
	UsersTable         = "fin_org_users"
)

// Cell tables: their key columns and the sums they keep (counts are integers, the rest money).
type CellTable struct {
	Name string
	Keys []string
	Sums []string
}

// The sums of each kind of cell.
var (
	MonthSums = []string{"planned", "outstanding", "overdue", "received", "reversed", "payables_due", "paid"}
	TotalSums = []string{"contracts", "amount", "planned", "received", "outstanding", "overdue"}
	AgeSums   = []string{"outstanding"}
)

// Counts are the sums that count rather than add money.
func Counts(sum string) bool { return sum == "contracts" }

// CellTables are the cell tables of a generation.
func CellTables(t Tables) []CellTable {
	return []CellTable{
		{t.Months, []string{"owner_id", "month"}, MonthSums},
		{t.Owners, []string{"owner_id"}, TotalSums},
		{t.CustomerCells, []string{"customer_id", "owner_id"}, TotalSums},
		{t.Ageing, []string{"owner_id", "due_date"}, AgeSums},
	}
}

// DDL creates the tables of a generation.
func DDL(t Tables) []string {
	ddl := []string{
		contractTable.Create(t.Contracts),
		`CREATE INDEX ` + t.Contracts + `_owner ON ` + t.Contracts + ` (owner_id, last_receipt_date)`,
		`CREATE INDEX ` + t.Contracts + `_customer ON ` + t.Contracts + ` (customer_id)`,
		`CREATE INDEX ` + t.Contracts + `_s_outstanding ON ` + t.Contracts + ` (outstanding, id)`,
		`CREATE INDEX ` + t.Contracts + `_o_outstanding ON ` + t.Contracts + ` (owner_id, outstanding, id)`,
		installmentTable.Create(t.Installments) + ``,
		`CREATE UNIQUE INDEX ` + t.Installments + `_key ON ` + t.Installments + ` (contract_id, seq)`,
		`CREATE INDEX ` + t.Installments + `_s_duedate ON ` + t.Installments + ` (due_date, id)`,
		`CREATE INDEX ` + t.Installments + `_o_duedate ON ` + t.Installments + ` (owner_id, due_date, id)`,
		`CREATE INDEX ` + t.Installments + `_open ON ` + t.Installments + ` (open, overdue_since, due_date)`,
		`CREATE INDEX ` + t.Installments + `_customer ON ` + t.Installments + ` (customer_id, due_date)`,
		receiptTable.Create(t.Receipts),
		`CREATE INDEX ` + t.Receipts + `_contract ON ` + t.Receipts + ` (contract_id)`,
		`CREATE INDEX ` + t.Receipts + `_customer ON ` + t.Receipts + ` (customer_id, date)`,
		`CREATE TABLE ` + t.Members + ` (receipt_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (user_id, receipt_id))`,
		`CREATE INDEX ` + t.Members + `_receipt ON ` + t.Members + ` (receipt_id)`,
		`CREATE TABLE ` + t.Customers + ` (id TEXT PRIMARY KEY, name TEXT NOT NULL)`,
	}
	ddl = append(ddl, readmodels.SortIndexes(t.Receipts, ReceiptSorts, "id", true)...)
	ddl = append(ddl, payablesDDL(t)...)
	for _, c := range CellTables(t) {
		cols := make([]string, 0, len(c.Keys)+len(c.Sums))
		for _, k := range c.Keys {
			cols = append(cols, k+" TEXT NOT NULL")
		}
		for _, s := range c.Sums {
			if Counts(s) {
				cols = append(cols, s+" {bigint} NOT NULL DEFAULT 0")
			} else {
				cols = append(cols, s+" {money} NOT NULL DEFAULT 0")
			}
		}
		if c.Name == t.Owners || c.Name == t.CustomerCells {
			// not a sum: the projection sets it from the contracts' index (LastReceiptDates)
			cols = append(cols, "last_receipt_date TEXT")
		}
		ddl = append(ddl, `CREATE TABLE `+c.Name+` (`+strings.Join(cols, ", ")+`, PRIMARY KEY (`+strings.Join(c.Keys, ", ")+`))`)
	}
	ddl = append(ddl, `CREATE INDEX `+t.CustomerCells+`_top ON `+t.CustomerCells+` (owner_id, outstanding, customer_id)`)
	return ddl
}

// LastReceiptDates are the statements that set the last receipt date of an owner's cell and of a
// customer's cells (for one owner, and for everyone) from the contracts: each reads the
// contracts' index on (owner_id, last_receipt_date) or (customer_id).
func LastReceiptDates(t Tables) (owner, customerOwner, customerAll string) {
	return `UPDATE ` + t.Owners + ` SET last_receipt_date = (SELECT MAX(last_receipt_date) FROM ` + t.Contracts + ` x WHERE x.owner_id = ?) WHERE owner_id = ?`,
		`UPDATE ` + t.CustomerCells + ` SET last_receipt_date = (SELECT MAX(last_receipt_date) FROM ` + t.Contracts + ` x WHERE x.customer_id = ? AND x.owner_id = ?) WHERE customer_id = ? AND owner_id = ?`,
		`UPDATE ` + t.CustomerCells + ` SET last_receipt_date = (SELECT MAX(last_receipt_date) FROM ` + t.Contracts + ` x WHERE x.customer_id = ?) WHERE customer_id = ? AND owner_id = ?`
}

// Reader is who reads: their scope (over contract and payable owners) and their id (receipts and
// payment vouchers routed to them).
type Reader = readmodels.Involved

// ReaderOf is the reader of an actor.
func ReaderOf(a access.Actor) Reader { return readmodels.InvolvedOf(a, role.FinanceRead) }

// ContractRow is a contract's receivables, summed.
type ContractRow struct {
	ContractID      uuid.UUID `json:"contractId"`
	ContractNumber  string    `json:"contractNumber"`
	ContractName    string    `json:"contractName"`
	CustomerID      uuid.UUID `json:"customerId"`
	CustomerName    string    `json:"customerName"`
	OwnerID         uuid.UUID `json:"ownerId"`
	OwnerName       string    `json:"ownerName"`
	Status          string    `json:"status"`
	Amount          string    `json:"amount"`
	Planned         string    `json:"planned"`
	Received        string    `json:"received"`
	Pending         string    `json:"pending"`
	Outstanding     string    `json:"outstanding"`
	Overdue         string    `json:"overdue"`
	LastReceiptDate *string   `json:"lastReceiptDate"`
	Receipts        int64     `json:"receipts"`
	// The states the projection folds the next events into.
	Contract  contract.State      `json:"-"`
	Ledger    finance.LedgerState `json:"-"`
	UpdatedAt time.Time           `json:"updatedAt"`
}

var contractTable = readmodels.Cols([]readmodels.Col[ContractRow]{
	readmodels.IDCol("id", "TEXT PRIMARY KEY", func(c *ContractRow) *uuid.UUID { return &c.ContractID }),
	readmodels.TextCol("number", func(c *ContractRow) *string { return &c.ContractNumber }),
	readmodels.TextCol("name", func(c *ContractRow) *string { return &c.ContractName }),
	readmodels.IDCol("customer_id", "TEXT NOT NULL", func(c *ContractRow) *uuid.UUID { return &c.CustomerID }),
	readmodels.TextCol("customer_name", func(c *ContractRow) *string { return &c.CustomerName }),
	readmodels.IDCol("owner_id", "TEXT NOT NULL", func(c *ContractRow) *uuid.UUID { return &c.OwnerID }),
	readmodels.TextCol("status", func(c *ContractRow) *string { return &c.Status }),
	readmodels.MoneyCol("amount", func(c *ContractRow) *string { return &c.Amount }),
	readmodels.MoneyCol("planned", func(c *ContractRow) *string { return &c.Planned }),
	readmodels.MoneyCol("received", func(c *ContractRow) *string { return &c.Received }),
	readmodels.MoneyCol("pending", func(c *ContractRow) *string { return &c.Pending }),
	readmodels.MoneyCol("outstanding", func(c *ContractRow) *string { return &c.Outstanding }),
	readmodels.MoneyCol("overdue", func(c *ContractRow) *string { return &c.Overdue }),
	optText("last_receipt_date", func(c *ContractRow) **string { return &c.LastReceiptDate }),
	readmodels.Int64Col("receipts", func(c *ContractRow) *int64 { return &c.Receipts }),
	readmodels.JSONCol("contract", func(c *ContractRow) any { return &c.Contract }),
	readmodels.JSONCol("ledger", func(c *ContractRow) any { return &c.Ledger }),
	readmodels.TimeCol("updated_at", func(c *ContractRow) *time.Time { return &c.UpdatedAt }),
	readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, c *ContractRow) any {
		return strings.ToLower(c.ContractNumber + "\x1f" + c.ContractName + "\x1f" + c.CustomerName)
	}),
})

// optText is a nullable text column ("" in the row is NULL in the table: indexes skip nothing).
func optText[R any](name string, f func(*R) **string) readmodels.Col[R] {
	return readmodels.Col[R]{Name: name, Type: "TEXT",
		Arg: func(_ readmodels.Dialect, r *R) any {
			if p := *f(r); p != nil && *p != "" {
				return *p
			}
			return nil
		},
		Read: func() (any, func(*R)) {
			var s *string
			return &s, func(r *R) { *f(r) = s }
		}}
}

// Contract columns, insert and scan.
var (
	ContractColumns       = contractTable.Select()
	ContractInsertColumns = contractTable.Insert()
)

// summaryTable is a contract row without the states (what lists and statistics show).
var summaryTable = contractTable.Pick("id", "number", "name", "customer_id", "customer_name", "owner_id", "status", "amount", "planned",
	"received", "pending", "outstanding", "overdue", "last_receipt_date", "receipts", "updated_at")

// SummaryColumns are the readable columns of a contract row but its states, in ScanSummary order.
var SummaryColumns = summaryTable.Select()

// ScanSummary reads a row of SummaryColumns.
func ScanSummary(r readmodels.Scanner) (*ContractRow, error) { return summaryTable.Scan(r) }

func ContractArgs(d readmodels.Dialect, c *ContractRow) []any { return contractTable.Args(d, c) }
func ScanContract(r readmodels.Scanner) (*ContractRow, error) { return contractTable.Scan(r) }

// InstallmentRow is one installment of a contract's plan.
type InstallmentRow struct {
	ID             string    `json:"-"` // contract id and seq: the list's key
	ContractID     uuid.UUID `json:"contractId"`
	ContractNumber string    `json:"contractNumber"`
	ContractName   string    `json:"contractName"`
	CustomerID     uuid.UUID `json:"customerId"`
	CustomerName   string    `json:"customerName"`
	OwnerID        uuid.UUID `json:"ownerId"`
	OwnerName      string    `json:"ownerName"`
	Seq            int64     `json:"seq"`
	DueDate        string    `json:"dueDate"`
	Amount         string    `json:"amount"`
	Note           string    `json:"note"`
	Received       string    `json:"received"`
	Outstanding    string    `json:"outstanding"`
	Status         string    `json:"status"`
	OverdueSince   *string   `json:"overdueSince"`
	Open           int64     `json:"-"` // 1 while an amount is outstanding
}

var installmentTable = readmodels.Cols([]readmodels.Col[InstallmentRow]{
	readmodels.TextCol("id", func(r *InstallmentRow) *string { return &r.ID }),
	readmodels.IDCol("contract_id", "TEXT NOT NULL", func(r *InstallmentRow) *uuid.UUID { return &r.ContractID }),
	readmodels.TextCol("contract_number", func(r *InstallmentRow) *string { return &r.ContractNumber }),
	readmodels.TextCol("contract_name", func(r *InstallmentRow) *string { return &r.ContractName }),
	readmodels.IDCol("customer_id", "TEXT NOT NULL", func(r *InstallmentRow) *uuid.UUID { return &r.CustomerID }),
	readmodels.TextCol("customer_name", func(r *InstallmentRow) *string { return &r.CustomerName }),
	readmodels.IDCol("owner_id", "TEXT NOT NULL", func(r *InstallmentRow) *uuid.UUID { return &r.OwnerID }),
	readmodels.Int64Col("seq", func(r *InstallmentRow) *int64 { return &r.Seq }),
	readmodels.TextCol("due_date", func(r *InstallmentRow) *string { return &r.DueDate }),
	readmodels.MoneyCol("amount", func(r *InstallmentRow) *string { return &r.Amount }),
	readmodels.TextCol("note", func(r *InstallmentRow) *string { return &r.Note }),
	readmodels.MoneyCol("received", func(r *InstallmentRow) *string { return &r.Received }),
	readmodels.MoneyCol("outstanding", func(r *InstallmentRow) *string { return &r.Outstanding }),
	readmodels.TextCol("status", func(r *InstallmentRow) *string { return &r.Status }),
	optText("overdue_since", func(r *InstallmentRow) **string { return &r.OverdueSince }),
	readmodels.Int64Col("open", func(r *InstallmentRow) *int64 { return &r.Open }),
})

// Installment columns, insert and scan.
var (
	InstallmentColumns       = installmentTable.Select()
	InstallmentInsertColumns = installmentTable.Insert()
)

func InstallmentArgs(d readmodels.Dialect, r *InstallmentRow) []any {
	return installmentTable.Args(d, r)
}
func ScanInstallment(r readmodels.Scanner) (*InstallmentRow, error) { return installmentTable.Scan(r) }

// ReceiptRow is a receipt with its contract's number, name, customer and owner.
type ReceiptRow struct {
	ID                uuid.UUID            `json:"id"`
	ContractID        uuid.UUID            `json:"contractId"`
	Number            string               `json:"number"`
	Amount            string               `json:"amount"`
	Date              string               `json:"date"`
	Method            string               `json:"method"`
	PayerAccount      string               `json:"payerAccount"`
	Remarks           string               `json:"remarks"`
	OwnerID           uuid.UUID            `json:"ownerId"`
	Installments      []int                `json:"installments"`
	Status            string               `json:"status"`
	Allocation        []finance.Allocation `json:"allocation"`
	Approval          *approval.Process    `json:"approval"`
	Reversal          *finance.Reversal    `json:"reversal"`
	CreatedBy         uuid.UUID            `json:"createdBy"`
	CreatedAt         time.Time            `json:"createdAt"`
	ConfirmedAt       *time.Time           `json:"confirmedAt"`
	ContractNumber    string               `json:"contractNumber"`
	ContractName      string               `json:"contractName"`
	CustomerID        uuid.UUID            `json:"customerId"`
	CustomerName      string               `json:"customerName"`
	ContractOwnerID   uuid.UUID            `json:"contractOwnerId"`
	ContractOwnerName string               `json:"contractOwnerName"`
	UpdatedAt         time.Time            `json:"updatedAt"`
}

var receiptTable = readmodels.Cols([]readmodels.Col[ReceiptRow]{
	readmodels.IDCol("id", "TEXT PRIMARY KEY", func(r *ReceiptRow) *uuid.UUID { return &r.ID }),
	readmodels.IDCol("contract_id", "TEXT NOT NULL", func(r *ReceiptRow) *uuid.UUID { return &r.ContractID }),
	readmodels.TextCol("number", func(r *ReceiptRow) *string { return &r.Number }),
	readmodels.MoneyCol("amount", func(r *ReceiptRow) *string { return &r.Amount }),
	readmodels.TextCol("date", func(r *ReceiptRow) *string { return &r.Date }),
	readmodels.TextCol("method", func(r *ReceiptRow) *string { return &r.Method }),
	readmodels.TextCol("payer_account", func(r *ReceiptRow) *string { return &r.PayerAccount }),
	readmodels.TextCol("remarks", func(r *ReceiptRow) *string { return &r.Remarks }),
	readmodels.IDCol("receipt_owner_id", "TEXT NOT NULL", func(r *ReceiptRow) *uuid.UUID { return &r.OwnerID }),
	readmodels.JSONCol("installments", func(r *ReceiptRow) any { return &r.Installments }),
	readmodels.TextCol("status", func(r *ReceiptRow) *string { return &r.Status }),
	readmodels.JSONCol("allocation", func(r *ReceiptRow) any { return &r.Allocation }),
	readmodels.JSONCol("approval", func(r *ReceiptRow) any { return &r.Approval }),
	readmodels.JSONCol("reversal", func(r *ReceiptRow) any { return &r.Reversal }),
	readmodels.IDCol("created_by", "TEXT NOT NULL", func(r *ReceiptRow) *uuid.UUID { return &r.CreatedBy }),
	readmodels.TimeCol("created_at", func(r *ReceiptRow) *time.Time { return &r.CreatedAt }),
	readmodels.OptTimeCol("confirmed_at", func(r *ReceiptRow) **time.Time { return &r.ConfirmedAt }),
	readmodels.TextCol("contract_number", func(r *ReceiptRow) *string { return &r.ContractNumber }),
	readmodels.TextCol("contract_name", func(r *ReceiptRow) *string { return &r.ContractName }),
	readmodels.IDCol("customer_id", "TEXT NOT NULL", func(r *ReceiptRow) *uuid.UUID { return &r.CustomerID }),
	readmodels.TextCol("customer_name", func(r *ReceiptRow) *string { return &r.CustomerName }),
	readmodels.IDCol("owner_id", "TEXT NOT NULL", func(r *ReceiptRow) *uuid.UUID { return &r.ContractOwnerID }),
	readmodels.TimeCol("updated_at", func(r *ReceiptRow) *time.Time { return &r.UpdatedAt }),
	readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, r *ReceiptRow) any {
		return strings.ToLower(strings.Join([]string{r.Number, r.ContractNumber, r.ContractName, r.CustomerName, r.PayerAccount}, "\x1f"))
	}),
})

// Receipt columns, insert and scan.
var (
	ReceiptColumns       = receiptTable.Select()
	ReceiptInsertColumns = receiptTable.Insert()
)

func ReceiptArgs(d readmodels.Dialect, r *ReceiptRow) []any { return receiptTable.Args(d, r) }
func ScanReceipt(r readmodels.Scanner) (*ReceiptRow, error) { return receiptTable.Scan(r) }

// FromReceipt sets a row's receipt columns.
func (r *ReceiptRow) FromReceipt(contractID uuid.UUID, x finance.Receipt) {
	r.ID, _ = uuid.Parse(x.ID)
	r.ContractID, r.Number, r.Amount, r.Date, r.Method = contractID, x.Number, x.Fields.Amount, x.Fields.Date, x.Fields.Method
	r.PayerAccount, r.Remarks, r.Status = x.Fields.PayerAccount, x.Fields.Remarks, x.Status
	r.OwnerID, _ = uuid.Parse(x.Fields.OwnerID)
	r.Installments, r.Allocation, r.Approval, r.Reversal = x.Fields.Installments, x.Allocation, x.Process, x.Reversal
	if r.Installments == nil {
		r.Installments = []int{}
	}
	if r.Allocation == nil {
		r.Allocation = []finance.Allocation{}
	}
	r.CreatedBy, _ = uuid.Parse(x.CreatedBy)
	r.CreatedAt, r.ConfirmedAt = x.CreatedAt, x.ConfirmedAt
}

// ReceiptSorts are the orders the receipt list offers.
var ReceiptSorts = map[string]readmodels.SortColumn{
	"date": {Column: "date"}, "createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true},
}
