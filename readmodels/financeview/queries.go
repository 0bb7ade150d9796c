package financeview

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/readmodels"
)

func (v *Views) table(name string) string { return v.Gens.Table(Projection, name) }

// rowScope is the reader's condition on rows carrying owner_id (the contract's or payable's
// owner): the owner in scope; with a members table (receipts, vouchers) also the rows routed to
// the reader.
func (v *Views) rowScope(r Reader, members string) (string, []any) {
	if r.Scope.None {
		if members != "" {
			return v.memberOf(members), []any{r.User.String()}
		}
		return "1 = 0", nil
	}
	cond, args := r.Scope.UserCondition(v.table(UsersTable), "owner_id")
	if cond == "" {
		return "", nil
	}
	if members != "" {
		return "(" + cond + " OR " + v.memberOf(members) + ")", append(args, r.User.String())
	}
	return cond, args
}

// memberOf is the condition "routed to the user" over a members table (its first column names
// the row).
func (v *Views) memberOf(members string) string {
	col := "receipt_id"
	if members == VoucherMembersTable {
		col = "voucher_id"
	}
	return "id IN (SELECT " + col + " FROM " + v.table(members) + " WHERE user_id = ?)"
}

// ownerNames fills owner names from the projection's users.
func (v *Views) ownerNames(ctx context.Context, ids []string) (map[string]string, error) {
	names := map[string]string{}
	if len(ids) == 0 {
		return names, nil
	}
	return names, v.Names(ctx, v.table(UsersTable), "name", "", nil, filterIDs(ids, names))
}

func filterIDs(ids []string, names map[string]string) map[string]string {
	for _, id := range ids {
		names[id] = ""
	}
	return names
}

// ReceiptQuery is a receipt search.
type ReceiptQuery struct {
	Reader     Reader
	Q          string
	Status     []string
	ContractID *uuid.UUID
	CustomerID *uuid.UUID
	OwnerID    *uuid.UUID // the contract's owner
	DateFrom   string
	DateTo     string
	Sort       string
	Limit      int
	Cursor     string
}

var receiptSpec = documentSpec(ReceiptColumns, ScanReceipt, func(r *ReceiptRow) (string, string, *time.Time, *time.Time) {
	return r.Date, r.ID.String(), &r.CreatedAt, &r.UpdatedAt
})

// documentSpec is the list of a kind of finance document (receipts, payment vouchers): the same
// sorts, latest date first.
func documentSpec[R any](columns string, scan func(readmodels.Scanner) (R, error), keys func(R) (date, id string, created, updated *time.Time)) readmodels.ListSpec[R] {
	return readmodels.ListSpec[R]{Columns: columns, Sorts: ReceiptSorts, DefaultSort: "-date", Scan: scan,
		Value: func(r R, col string) (any, string) {
			date, id, created, updated := keys(r)
			switch col {
			case "date":
				return date, id
			case "created_at":
				return created, id
			}
			return updated, id
		}}
}

// documentSearch is what a search of finance documents names besides its own filters.
type documentSearch struct {
	Reader           Reader
	Q                string
	Status           []string
	OwnerID          *uuid.UUID
	DateFrom, DateTo string
	Sort, Cursor     string
	Limit            int
}

// documents lists finance documents (receipts, payment vouchers) with keyset pagination: the
// keyword, statuses, the document's own filters, its date range, the reader's scope (owners in
// scope, and the documents routed to the reader through the members table), owners' names.
func documents[R any](ctx context.Context, v *Views, spec readmodels.ListSpec[R], table, members string, q documentSearch,
	filter func(*readmodels.ListQuery), owner func(R) (uuid.UUID, *string)) (readmodels.Page[R], error) {
	for _, s := range q.Status {
		if err := field.OneOf("status", s, finance.ReceiptStatuses...); err != nil {
			return readmodels.Page[R]{}, err
		}
	}
	spec.Table = v.table(table)
	lq, err := v.SearchQuery(spec.Table, readmodels.Scope{All: true}, q.Q, q.Status)
	if err != nil {
		return readmodels.Page[R]{}, err
	}
	filter(lq)
	if err := dateRange(lq, "date", "dateFrom", q.DateFrom, "dateTo", q.DateTo); err != nil {
		return readmodels.Page[R]{}, err
	}
	if err := v.owned(ctx, lq, q.Reader, q.OwnerID, members); err != nil {
		return readmodels.Page[R]{}, err
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	page, err := readmodels.List(ctx, v.DB, spec, *lq)
	if err != nil {
		return page, err
	}
	return page, named(ctx, v, page.Items, owner)
}

// Receipts lists receipts with keyset pagination; the scope is part of the statement.
func (v *Views) Receipts(ctx context.Context, q ReceiptQuery) (readmodels.Page[*ReceiptRow], error) {
	return documents(ctx, v, receiptSpec, ReceiptsTable, MembersTable,
		documentSearch{Reader: q.Reader, Q: q.Q, Status: q.Status, OwnerID: q.OwnerID, DateFrom: q.DateFrom, DateTo: q.DateTo, Sort: q.Sort, Cursor: q.Cursor, Limit: q.Limit},
		func(lq *readmodels.ListQuery) {
			if q.ContractID != nil {
				lq.Add("contract_id = ?", q.ContractID.String())
			}
			if q.CustomerID != nil {
				lq.Add("customer_id = ?", q.CustomerID.String())
			}
		}, receiptOwner)
}

func receiptOwner(r *ReceiptRow) (uuid.UUID, *string) { return r.ContractOwnerID, &r.ContractOwnerName }

func dateRange(lq *readmodels.ListQuery, col, fromName, from, toName, to string) error {
	if from != "" {
		if err := field.Date(fromName, from); err != nil {
			return err
		}
		lq.Add(col+" >= ?", from)
	}
	if to != "" {
		if err := field.Date(toName, to); err != nil {
			return err
		}
		lq.Add(col+" <= ?", to)
	}
	return nil
}

// Receipt is one receipt, if the reader may see it.
func (v *Views) Receipt(ctx context.Context, r Reader, id uuid.UUID) (*ReceiptRow, error) {
	return document(ctx, v, receiptSpec, ReceiptsTable, MembersTable, r, id, receiptOwner)
}

// document is one finance document, if the reader may see it.
func document[R any](ctx context.Context, v *Views, spec readmodels.ListSpec[R], table, members string, r Reader, id uuid.UUID, owner func(R) (uuid.UUID, *string)) (R, error) {
	var zero R
	stmt := "SELECT " + spec.Columns + " FROM " + v.table(table) + " WHERE id = ?"
	args := []any{id.String()}
	if cond, a := v.rowScope(r, members); cond != "" {
		stmt += " AND " + cond
		args = append(args, a...)
	}
	row, err := spec.Scan(v.SQL.QueryRowContext(ctx, v.Q(stmt), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return zero, readmodels.ErrNotFound
	}
	if err != nil {
		return zero, err
	}
	return row, named(ctx, v, []R{row}, owner)
}

// InstallmentQuery lists installments (the overdue list is Status "overdue").
type InstallmentQuery struct {
	Reader     Reader
	Status     string // planned, partly_received, received, overdue; "open": anything outstanding
	DueFrom    string
	DueTo      string
	OwnerID    *uuid.UUID
	CustomerID *uuid.UUID
	ContractID *uuid.UUID
	Limit      int
	Cursor     string
}

var installmentSorts = map[string]readmodels.SortColumn{"dueDate": {Column: "due_date"}}

var installmentSpec = readmodels.ListSpec[*InstallmentRow]{
	Columns:     InstallmentColumns,
	Sorts:       installmentSorts,
	DefaultSort: "dueDate",
	Scan:        ScanInstallment,
	Value:       func(r *InstallmentRow, _ string) (any, string) { return r.DueDate, r.ID },
}

// Installments lists installments by due date.
func (v *Views) Installments(ctx context.Context, q InstallmentQuery) (readmodels.Page[*InstallmentRow], error) {
	lq := &readmodels.ListQuery{}
	switch q.Status {
	case "":
	case "open":
		lq.Add("open = ?", 1)
	default:
		if err := field.OneOf("status", q.Status, append([]string{"open"}, finance.InstallmentStatuses...)...); err != nil {
			return readmodels.Page[*InstallmentRow]{}, err
		}
		lq.Add("status = ?", q.Status)
	}
	if q.CustomerID != nil {
		lq.Add("customer_id = ?", q.CustomerID.String())
	}
	if q.ContractID != nil {
		lq.Add("contract_id = ?", q.ContractID.String())
	}
	if err := dateRange(lq, "due_date", "dueFrom", q.DueFrom, "dueTo", q.DueTo); err != nil {
		return readmodels.Page[*InstallmentRow]{}, err
	}
	if err := v.owned(ctx, lq, q.Reader, q.OwnerID, ""); err != nil {
		return readmodels.Page[*InstallmentRow]{}, err
	}
	lq.Limit, lq.Cursor = q.Limit, q.Cursor
	s := installmentSpec
	s.Table = v.table(InstallmentsTable)
	page, err := readmodels.List(ctx, v.DB, s, *lq)
	if err != nil {
		return page, err
	}
	return page, named(ctx, v, page.Items, func(r *InstallmentRow) (uuid.UUID, *string) { return r.OwnerID, &r.OwnerName })
}

// OverdueCandidates are contracts with an installment due before asOf, outstanding and not yet
// recorded overdue (the overdue job's work; at most limit).
func (v *Views) OverdueCandidates(ctx context.Context, asOf string, limit int) ([]uuid.UUID, error) {
	return v.IDs(ctx, v.Q(`SELECT DISTINCT contract_id FROM `+v.table(InstallmentsTable)+` WHERE open = ? AND overdue_since IS NULL AND due_date < ? LIMIT ?`), 1, asOf, limit)
}

// CellFilter narrows statistics: the reader's scope, and optionally one owner or a department's
// subtree.
type CellFilter struct {
	Reader       Reader
	OwnerID      *uuid.UUID
	DepartmentID *uuid.UUID
}

// owners is the condition on the cells' owner_id: the roll-up ("") for a reader who sees
// everything and asks no narrower question, else the owners in scope (and filter).
func (v *Views) owners(ctx context.Context, f CellFilter) (string, []any, error) {
	if f.Reader.Scope.None {
		return "1 = 0", nil, nil
	}
	users := v.table(UsersTable)
	var conds []string
	var args []any
	if c, a := f.Reader.Scope.UserCondition(users, "owner_id"); c != "" {
		conds, args = append(conds, c), append(args, a...)
	}
	if f.OwnerID != nil {
		conds, args = append(conds, "owner_id = ?"), append(args, f.OwnerID.String())
	}
	if f.DepartmentID != nil {
		var path string
		err := v.SQL.QueryRowContext(ctx, v.Q(`SELECT path FROM `+v.table(DeptsTable)+` WHERE id = ?`), f.DepartmentID.String()).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil, &field.Error{Field: "departmentId", Message: "no such department", Code: "unknown_department"}
		}
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, "owner_id IN (SELECT id FROM "+users+" WHERE dept_path >= ? AND dept_path < ?)")
		args = append(args, path, path+"\uffff")
	}
	if len(conds) == 0 {
		return "owner_id = ?", []any{Everyone}, nil
	}
	return strings.Join(conds, " AND ") + " AND owner_id <> ?", append(args, Everyone), nil
}

// Month is one month's receivables and payables.
type Month struct {
	Month       string `json:"month"`
	Planned     string `json:"planned"`
	Received    string `json:"received"`
	Outstanding string `json:"outstanding"`
	Overdue     string `json:"overdue"`
	PayablesDue string `json:"payablesDue"`
	Paid        string `json:"paid"`
	NetCash     string `json:"netCash"`
}

// Monthly are the months from..to ("2006-01"), each present (zero when nothing happened), and
// their totals.
type Monthly struct {
	Months []Month `json:"months"`
	Totals Month   `json:"totals"`
}

// MaxMonths bounds a monthly statistics range.
const MaxMonths = 120

// Monthly adds the month cells up.
func (v *Views) Monthly(ctx context.Context, f CellFilter, from, to string) (Monthly, error) {
	if err := errors.Join(finance.CheckMonth("from", from), finance.CheckMonth("to", to)); err != nil {
		return Monthly{}, err
	}
	if from > to {
		return Monthly{}, &field.Error{Field: "to", Message: "comes before from", Code: "range_reversed"}
	}
	start, _ := time.Parse("2006-01", from)
	end, _ := time.Parse("2006-01", to)
	n := (end.Year()-start.Year())*12 + int(end.Month()-start.Month()) + 1
	if n > MaxMonths {
		return Monthly{}, field.Errorf("to", "at most %d months", MaxMonths)
	}
	cond, args, err := v.owners(ctx, f)
	if err != nil {
		return Monthly{}, err
	}
	sums := map[string][7]money.Amount{}
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT month, SUM(planned), SUM(outstanding), SUM(overdue), SUM(received), SUM(reversed), SUM(payables_due), SUM(paid) FROM `+
		v.table(MonthsTable)+` WHERE `+cond+` AND month >= ? AND month <= ? GROUP BY month`), append(args, from, to)...)
	if err != nil {
		return Monthly{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		var s [7]readmodels.Money
		if err := rows.Scan(&m, &s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &s[6]); err != nil {
			return Monthly{}, err
		}
		var a [7]money.Amount
		for i := range s {
			a[i] = s[i].A
		}
		sums[m] = a
	}
	if err := rows.Err(); err != nil {
		return Monthly{}, err
	}
	out := Monthly{Months: make([]Month, 0, n)}
	var tot [7]money.Amount
	for i := range n {
		m := start.AddDate(0, i, 0).Format("2006-01")
		s := sums[m]
		for j := range s {
			tot[j] = tot[j].Add(s[j])
		}
		out.Months = append(out.Months, month(m, s))
	}
	out.Totals = month("", tot)
	return out, nil
}

func month(m string, s [7]money.Amount) Month {
	received := s[3].Sub(s[4])
	return Month{Month: m, Planned: s[0].String(), Outstanding: s[1].String(), Overdue: s[2].String(), Received: received.String(),
		PayablesDue: s[5].String(), Paid: s[6].String(), NetCash: received.Sub(s[6]).String()}
}

// Totals are a group's contracts and their receivables.
type Totals struct {
	Contracts       int64   `json:"contracts"`
	Amount          string  `json:"amount"`
	Planned         string  `json:"planned"`
	Received        string  `json:"received"`
	Outstanding     string  `json:"outstanding"`
	Overdue         string  `json:"overdue"`
	LastReceiptDate *string `json:"lastReceiptDate"`
}

type sums struct {
	n                                               int64
	amount, planned, received, outstanding, overdue money.Amount
	last                                            string
}

func (s *sums) add(o sums) {
	s.n += o.n
	s.amount, s.planned, s.received = s.amount.Add(o.amount), s.planned.Add(o.planned), s.received.Add(o.received)
	s.outstanding, s.overdue = s.outstanding.Add(o.outstanding), s.overdue.Add(o.overdue)
	s.last = max(s.last, o.last)
}

func (s sums) totals() Totals {
	t := Totals{Contracts: s.n, Amount: s.amount.String(), Planned: s.planned.String(), Received: s.received.String(),
		Outstanding: s.outstanding.String(), Overdue: s.overdue.String()}
	if s.last != "" {
		l := s.last
		t.LastReceiptDate = &l
	}
	return t
}

func scanSums(r readmodels.Scanner, lead ...any) (sums, error) {
	var s sums
	var m [5]readmodels.Money
	var last sql.NullString
	if err := r.Scan(append(lead, &s.n, &m[0], &m[1], &m[2], &m[3], &m[4], &last)...); err != nil {
		return s, err
	}
	s.amount, s.planned, s.received, s.outstanding, s.overdue, s.last = m[0].A, m[1].A, m[2].A, m[3].A, m[4].A, last.String
	return s, nil
}

// OwnerRow is one owner's contracts and receivables.
type OwnerRow struct {
	OwnerID        uuid.UUID  `json:"ownerId"`
	OwnerName      string     `json:"ownerName"`
	DepartmentID   *uuid.UUID `json:"departmentId"`
	DepartmentName string     `json:"departmentName"`
	Totals
}

// ByOwner are the owners' totals (largest outstanding first) and their sum.
type ByOwner struct {
	Rows   []OwnerRow `json:"rows"`
	Totals Totals     `json:"totals"`
}

// Owners reads the owner cells in scope, each owner's last receipt from the contracts' index.
func (v *Views) Owners(ctx context.Context, f CellFilter) (ByOwner, error) {
	cond, args, err := v.owners(ctx, f)
	if err != nil {
		return ByOwner{}, err
	}
	if strings.HasPrefix(cond, "owner_id = ?") && len(args) == 1 && args[0] == Everyone {
		cond, args = "1 = 1", nil // the owner cells have no roll-up: every owner
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT c.owner_id, u.name, u.department_id, c.contracts, c.amount, c.planned, c.received, c.outstanding, c.overdue,
		c.last_receipt_date FROM `+v.table(OwnersTable)+` c LEFT JOIN `+v.table(UsersTable)+` u ON u.id = c.owner_id WHERE `+qualify(cond)+` AND c.contracts > 0`), args...)
	if err != nil {
		return ByOwner{}, err
	}
	defer rows.Close()
	out := ByOwner{Rows: []OwnerRow{}}
	var all sums
	for rows.Next() {
		var id string
		var name, dept sql.NullString
		s, err := scanSums(rows, &id, &name, &dept)
		if err != nil {
			return ByOwner{}, err
		}
		all.add(s)
		out.Rows = append(out.Rows, OwnerRow{OwnerID: uuid.MustParse(id), OwnerName: name.String, DepartmentID: readmodels.OptID(dept.String), Totals: s.totals()})
	}
	if err := rows.Err(); err != nil {
		return ByOwner{}, err
	}
	sortByOutstanding(out.Rows, func(r OwnerRow) Totals { return r.Totals })
	out.Totals = all.totals()
	return out, nil
}

// qualify prefixes the owner condition's column with the cells' alias.
func qualify(cond string) string { return qualifyAs(cond, "c") }

// qualifyAs prefixes the owner condition's column with an alias.
func qualifyAs(cond, alias string) string {
	cond = " " + cond
	cond = strings.ReplaceAll(strings.ReplaceAll(cond, "(owner_id", "("+alias+".owner_id"), " owner_id", " "+alias+".owner_id")
	return cond[1:]
}

// AddTotals adds two groups' totals (the later last receipt).
func AddTotals(a, b Totals) Totals {
	s := func(t Totals) sums {
		x := sums{n: t.Contracts, amount: amt(t.Amount), planned: amt(t.Planned), received: amt(t.Received), outstanding: amt(t.Outstanding), overdue: amt(t.Overdue)}
		if t.LastReceiptDate != nil {
			x.last = *t.LastReceiptDate
		}
		return x
	}
	x := s(a)
	x.add(s(b))
	return x.totals()
}

// SortByOutstanding orders rows by their outstanding, largest first.
func SortByOutstanding[T any](rows []T, totals func(T) Totals) { sortByOutstanding(rows, totals) }

func sortByOutstanding[T any](rows []T, totals func(T) Totals) {
	key := func(t T) money.Amount { return amt(totals(t).Outstanding) }
	for i := 1; i < len(rows); i++ { // insertion sort: a few hundred owners at most
		for j := i; j > 0 && key(rows[j]).Cmp(key(rows[j-1])) > 0; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

func amt(s string) money.Amount {
	a, _ := money.ParseTotal("amount", s)
	return a
}

// CustomerRow is one customer's contracts and receivables.
type CustomerRow struct {
	CustomerID   uuid.UUID `json:"customerId"`
	CustomerName string    `json:"customerName"`
	Totals
}

// Customers are the customers with the most outstanding, largest first (at most limit).
func (v *Views) Customers(ctx context.Context, f CellFilter, limit int) ([]CustomerRow, error) {
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	cond, args, err := v.owners(ctx, f)
	if err != nil {
		return nil, err
	}
	cells := v.table(CustomerCellsTable)
	// One owner (a sales user's own scope, or an owner asked for): the cells of that owner are
	// one row per customer, read in the order of the owner's outstanding index.
	single := f.OwnerID != nil && f.DepartmentID == nil
	if !single && f.DepartmentID == nil && !f.Reader.Scope.None {
		branches, err := v.UserBranches(ctx, v.table(UsersTable), f.Reader.Scope, "owner_id")
		if err != nil {
			return nil, err
		}
		single = len(branches) == 1
	}
	var stmt string
	if single {
		stmt = `SELECT c.customer_id, n.name, c.contracts, c.amount, c.planned, c.received, c.outstanding, c.overdue, c.last_receipt_date
			FROM ` + cells + ` c LEFT JOIN ` + v.table(CustomersTable) + ` n ON n.id = c.customer_id
			WHERE ` + qualify(cond) + ` AND c.contracts > 0 ORDER BY c.outstanding DESC, c.customer_id LIMIT ?`
	} else if len(args) == 1 && args[0] == Everyone {
		// the roll-up: one row per customer, read in the order of the outstanding index
		stmt = `SELECT c.customer_id, n.name, c.contracts, c.amount, c.planned, c.received, c.outstanding, c.overdue, c.last_receipt_date
			FROM ` + cells + ` c LEFT JOIN ` + v.table(CustomersTable) + ` n ON n.id = c.customer_id
			WHERE c.owner_id = ? AND c.contracts > 0 ORDER BY c.outstanding DESC, c.customer_id LIMIT ?`
	} else {
		// the top customers first; the last receipt (among the contracts the reader sees) of
		// those only
		stmt = `SELECT t.customer_id, n.name, t.contracts, t.amount, t.planned, t.received, t.outstanding, t.overdue, t.last_receipt_date
			FROM (SELECT c.customer_id, SUM(c.contracts) AS contracts, SUM(c.amount) AS amount, SUM(c.planned) AS planned,
				SUM(c.received) AS received, SUM(c.outstanding) AS outstanding, SUM(c.overdue) AS overdue, MAX(c.last_receipt_date) AS last_receipt_date
				FROM ` + cells + ` c WHERE ` + qualify(cond) + ` AND c.contracts > 0 GROUP BY c.customer_id ORDER BY SUM(c.outstanding) DESC, c.customer_id LIMIT ?) t
			LEFT JOIN ` + v.table(CustomersTable) + ` n ON n.id = t.customer_id
			ORDER BY t.outstanding DESC, t.customer_id`
		args = append(slices.Clone(args), limit)
		limit = -1
	}
	if limit > 0 {
		args = append(args, limit)
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CustomerRow{}
	for rows.Next() {
		var id string
		var name sql.NullString
		s, err := scanSums(rows, &id, &name)
		if err != nil {
			return nil, err
		}
		out = append(out, CustomerRow{CustomerID: uuid.MustParse(id), CustomerName: name.String, Totals: s.totals()})
	}
	return out, rows.Err()
}

// Ageing buckets.
var AgeingBuckets = []string{"not_due", "1_30", "31_60", "61_90", "over_90"}

// Bucket is the outstanding in one ageing bucket.
type Bucket struct {
	Bucket string `json:"bucket"`
	Amount string `json:"amount"`
}

// Ageing is the outstanding of every installment by how long it is past due on AsOf.
type Ageing struct {
	AsOf    string   `json:"asOf"`
	Buckets []Bucket `json:"buckets"`
	Total   string   `json:"total"`
}

// Ageing adds the ageing cells up by due date relative to asOf.
func (v *Views) Ageing(ctx context.Context, f CellFilter, asOf string) (Ageing, error) {
	if err := field.Date("asOf", asOf); err != nil {
		return Ageing{}, err
	}
	day, _ := time.Parse(time.DateOnly, asOf)
	edge := func(days int) string { return day.AddDate(0, 0, -days).Format(time.DateOnly) }
	cond, args, err := v.owners(ctx, f)
	if err != nil {
		return Ageing{}, err
	}
	// due >= asOf: not due; due in [asOf-30, asOf): 1–30 days; and so on.
	stmt := `SELECT CASE WHEN due_date >= ? THEN 0 WHEN due_date >= ? THEN 1 WHEN due_date >= ? THEN 2 WHEN due_date >= ? THEN 3 ELSE 4 END AS b,
		SUM(outstanding) FROM ` + v.table(AgeingTable) + ` WHERE ` + cond + ` GROUP BY b`
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), append([]any{asOf, edge(30), edge(60), edge(90)}, args...)...)
	if err != nil {
		return Ageing{}, err
	}
	defer rows.Close()
	amounts := make([]money.Amount, len(AgeingBuckets))
	for rows.Next() {
		var b int
		var m readmodels.Money
		if err := rows.Scan(&b, &m); err != nil {
			return Ageing{}, err
		}
		amounts[b] = m.A
	}
	if err := rows.Err(); err != nil {
		return Ageing{}, err
	}
	out := Ageing{AsOf: asOf}
	var total money.Amount
	for i, a := range amounts {
		out.Buckets = append(out.Buckets, Bucket{Bucket: AgeingBuckets[i], Amount: a.String()})
		total = total.Add(a)
	}
	out.Total = total.String()
	return out, nil
}

// ContractQuery lists contracts' receivables, largest outstanding first.
type ContractQuery struct {
	Reader     Reader
	Q          string
	OwnerID    *uuid.UUID
	CustomerID *uuid.UUID
	Limit      int
	Cursor     string // after this row: base64 "outstanding|id"
}

// ContractPage is a page of contract rows.
type ContractPage struct {
	Items      []*ContractRow `json:"items"`
	NextCursor string         `json:"nextCursor"`
}

// Contracts lists approved contracts by outstanding (keyset on outstanding, id).
func (v *Views) Contracts(ctx context.Context, q ContractQuery) (ContractPage, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	where := []string{"status IN ('approved', 'executing', 'completed', 'terminated')"}
	var args []any
	if cond, a := v.rowScope(q.Reader, ""); cond != "" {
		where, args = append(where, cond), append(args, a...)
	}
	if q.OwnerID != nil {
		where, args = append(where, "owner_id = ?"), append(args, q.OwnerID.String())
	}
	if q.CustomerID != nil {
		where, args = append(where, "customer_id = ?"), append(args, q.CustomerID.String())
	}
	if needle := strings.ToLower(strings.TrimSpace(q.Q)); needle != "" {
		if len([]rune(needle)) > 100 {
			return ContractPage{}, field.Errorf("q", "at most 100 characters")
		}
		where, args = append(where, v.Dialect.Contains("search")), append(args, needle)
	}
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		out, id, ok := strings.Cut(string(b), "|")
		a, perr := money.ParseTotal("cursor", out)
		if err != nil || !ok || perr != nil {
			return ContractPage{}, field.Errorf("cursor", "is not a cursor this server issued")
		}
		where = append(where, "(outstanding < ? OR (outstanding = ? AND id < ?))")
		args = append(args, readmodels.MoneyArg(v.Dialect, a), readmodels.MoneyArg(v.Dialect, a), id)
	}
	rows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT `+SummaryColumns+` FROM `+v.table(ContractsTable)+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY outstanding DESC, id DESC LIMIT ?`), append(args, q.Limit+1)...)
	if err != nil {
		return ContractPage{}, err
	}
	defer rows.Close()
	out := ContractPage{Items: []*ContractRow{}}
	for rows.Next() {
		r, err := ScanSummary(rows)
		if err != nil {
			return ContractPage{}, err
		}
		out.Items = append(out.Items, r)
	}
	if err := rows.Err(); err != nil {
		return ContractPage{}, err
	}
	if len(out.Items) > q.Limit {
		out.Items = out.Items[:q.Limit]
		last := out.Items[q.Limit-1]
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(last.Outstanding + "|" + last.ContractID.String()))
	}
	ids := make([]string, len(out.Items))
	for i, r := range out.Items {
		ids[i] = r.OwnerID.String()
	}
	names, err := v.ownerNames(ctx, ids)
	for _, r := range out.Items {
		r.OwnerName = names[r.OwnerID.String()]
	}
	return out, err
}
