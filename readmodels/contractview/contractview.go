// Package contractview is the contract read model: the contract list and search, scoped by the
// owner's placement, plus the approvers each contract was routed to (they read it too). Each row
// keeps the contract's state as the aggregate folds it (contract.State), so the row is what the
// aggregate's own rules make of the events.
package contractview

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the contract tables.
const Projection = "contracts"

// Views are the queries of this read model.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }

// Contract is the read view of a contract.
type Contract struct {
	ID              uuid.UUID  `json:"id"`
	Number          string     `json:"number"`
	Name            string     `json:"name"`
	CustomerID      uuid.UUID  `json:"customerId"`
	CustomerName    string     `json:"customerName"`
	OpportunityID   *uuid.UUID `json:"opportunityId"`
	OpportunityName string     `json:"opportunityName"`
	Type            string     `json:"type"`
	SignedOn        string     `json:"signedOn"`
	StartsOn        string     `json:"startsOn"`
	EndsOn          string     `json:"endsOn"`
	Amount          string     `json:"amount"`
	Status          string     `json:"status"`
	readmodels.Ownership
	// State is the aggregate's state (lines, signatories, terms, approval, amendment).
	State     contract.State `json:"-"`
	CreatedBy uuid.UUID      `json:"createdBy"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
	Version   int64          `json:"version"`
	Position  uint64         `json:"-"`
}

// SearchText is what keyword search matches: the number, the name, the customer's name.
func (c *Contract) SearchText() string {
	return strings.ToLower(strings.Join([]string{c.Number, c.Name, c.CustomerName}, "\x1f"))
}

// FromState sets the columns that follow from the state.
func (c *Contract) FromState(st contract.State) {
	c.State = st
	f := st.Fields
	c.Number, c.Name, c.Type, c.SignedOn, c.StartsOn, c.EndsOn = st.Number, f.Name, f.Type, f.SignedOn, f.StartsOn, f.EndsOn
	c.Amount, c.Status = st.Amount, string(st.Status)
	c.CustomerID, _ = uuid.Parse(f.CustomerID)
	c.OpportunityID = readmodels.OptID(f.OpportunityID)
}

var table = readmodels.Cols(
	[]readmodels.Col[Contract]{
		readmodels.IDCol("id", "{id} PRIMARY KEY", func(c *Contract) *uuid.UUID { return &c.ID }),
		readmodels.TextCol("number", func(c *Contract) *string { return &c.Number }),
		readmodels.TextCol("name", func(c *Contract) *string { return &c.Name }),
		readmodels.IDCol("customer_id", "{id} NOT NULL", func(c *Contract) *uuid.UUID { return &c.CustomerID }),
		readmodels.TextCol("customer_name", func(c *Contract) *string { return &c.CustomerName }),
		readmodels.OptIDCol("opportunity_id", false, func(c *Contract) **uuid.UUID { return &c.OpportunityID }),
		readmodels.TextCol("opportunity_name", func(c *Contract) *string { return &c.OpportunityName }),
		readmodels.TextCol("type", func(c *Contract) *string { return &c.Type }),
		readmodels.TextCol("signed_on", func(c *Contract) *string { return &c.SignedOn }),
		readmodels.TextCol("starts_on", func(c *Contract) *string { return &c.StartsOn }),
		readmodels.TextCol("ends_on", func(c *Contract) *string { return &c.EndsOn }),
		readmodels.MoneyCol("amount", func(c *Contract) *string { return &c.Amount }),
		readmodels.TextCol("status", func(c *Contract) *string { return &c.Status }),
		readmodels.JSONCol("state", func(c *Contract) any { return &c.State }),
	},
	readmodels.OwnershipCols(func(c *Contract) *readmodels.Ownership { return &c.Ownership }),
	[]readmodels.Col[Contract]{
		readmodels.IDCol("created_by", "TEXT NOT NULL", func(c *Contract) *uuid.UUID { return &c.CreatedBy }),
		readmodels.TimeCol("created_at", func(c *Contract) *time.Time { return &c.CreatedAt }),
		readmodels.TimeCol("updated_at", func(c *Contract) *time.Time { return &c.UpdatedAt }),
		readmodels.Int64Col("version", func(c *Contract) *int64 { return &c.Version }),
		readmodels.PositionCol("position", func(c *Contract) *uint64 { return &c.Position }),
		readmodels.WriteOnly("number_key", "TEXT NOT NULL", func(_ readmodels.Dialect, c *Contract) any { return contract.NumberKey(c.Number) }),
		readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, c *Contract) any { return c.SearchText() }),
	})

// Columns are the readable columns, in Scan order; InsertColumns every column, in Args order.
var (
	Columns       = table.Select()
	InsertColumns = table.Insert()
)

// Args are the row's values in InsertColumns order.
func Args(d readmodels.Dialect, c *Contract) []any { return table.Args(d, c) }

// Scan reads one row in Columns order.
func Scan(row readmodels.Scanner) (*Contract, error) { return table.Scan(row) }

// Sorts are the orders the list offers (each served by an index in keyset order).
var Sorts = map[string]readmodels.SortColumn{
	"createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true},
	"number": {Column: "number_key"}, "signedOn": {Column: "signed_on"},
}

var spec = readmodels.ListSpec[*Contract]{
	Columns:     Columns,
	Sorts:       Sorts,
	DefaultSort: "-updatedAt",
	Scan:        func(r readmodels.Scanner) (*Contract, error) { return Scan(r) },
	Value: func(c *Contract, col string) (any, string) {
		switch col {
		case "number_key":
			return contract.NumberKey(c.Number), c.ID.String()
		case "signed_on":
			return c.SignedOn, c.ID.String()
		case "created_at":
			return &c.CreatedAt, c.ID.String()
		}
		return &c.UpdatedAt, c.ID.String()
	},
}

// Tables are the names of one generation's contract tables.
type Tables struct{ Rows, Members string }

// TableDDL is the contract tables of one generation: the rows and the approvers who may read them.
func TableDDL(t Tables) []string {
	return append([]string{table.Create(t.Rows),
		`CREATE INDEX ` + t.Rows + `_customer ON ` + t.Rows + ` (customer_id)`,
		`CREATE INDEX ` + t.Rows + `_opportunity ON ` + t.Rows + ` (opportunity_id)`,
		`CREATE INDEX ` + t.Rows + `_number ON ` + t.Rows + ` (number_key)`,
		`CREATE TABLE ` + t.Members + ` (contract_id {id} NOT NULL, user_id {id} NOT NULL, PRIMARY KEY (user_id, contract_id))`,
		`CREATE INDEX ` + t.Members + `_contract ON ` + t.Members + ` (contract_id)`,
	}, readmodels.OwnershipIndexes(t.Rows, Sorts)...)
}

// Reader is who reads: their scope and their id (approvals routed to them).
type Reader = readmodels.Involved

// ReaderOf is the reader of an actor.
func ReaderOf(a access.Actor) Reader { return readmodels.InvolvedOf(a, role.ContractsRead) }

// visible is the reader's condition: the owner in scope, or routed an approval.
func (v *Views) visible(r Reader) (string, []any) {
	return r.Condition(v.Gens.Table(Projection, "contract_members"), "contract_id")
}

// Query is a contract search.
type Query struct {
	Reader        Reader
	Q             string
	Status        []string
	CustomerID    *uuid.UUID
	OwnerID       *uuid.UUID
	OpportunityID *uuid.UUID
	SignedFrom    string
	SignedTo      string
	AmountMin     *money.Amount
	AmountMax     *money.Amount
	Sort          string
	Limit         int
	Cursor        string
}

// Search lists contracts with keyset pagination; the scope is part of the statement.
func (v *Views) Search(ctx context.Context, q Query) (readmodels.Page[*Contract], error) {
	t := v.Gens.Table(Projection, "contracts")
	lq, err := v.SearchQuery(t, readmodels.Scope{All: true}, q.Q, q.Status)
	if err != nil {
		return readmodels.Page[*Contract]{}, err
	}
	if cond, args := v.visible(q.Reader); cond != "" {
		lq.Add(cond, args...)
	}
	if q.CustomerID != nil {
		lq.Add("customer_id = ?", q.CustomerID.String())
	}
	if q.OwnerID != nil {
		lq.Add("owner_id = ?", q.OwnerID.String())
	}
	if q.OpportunityID != nil {
		lq.Add("opportunity_id = ?", q.OpportunityID.String())
	}
	if q.SignedFrom != "" {
		lq.Add("signed_on >= ? AND signed_on <> ''", q.SignedFrom)
	}
	if q.SignedTo != "" {
		lq.Add("signed_on <= ? AND signed_on <> ''", q.SignedTo)
	}
	if q.AmountMin != nil {
		lq.Add("amount >= ?", readmodels.MoneyArg(v.Dialect, *q.AmountMin))
	}
	if q.AmountMax != nil {
		lq.Add("amount <= ?", readmodels.MoneyArg(v.Dialect, *q.AmountMax))
	}
	// A reader whose scope is a few owners reads each owner's rows in sort order, and the
	// contracts routed to them beside.
	if q.OwnerID == nil && !q.Reader.Scope.None {
		branches, err := v.OwnerBranches(ctx, v.Gens.Table(Projection, "contract_org_users"), q.Reader.Scope, nil, nil)
		if err != nil {
			return readmodels.Page[*Contract]{}, err
		}
		if branches != nil {
			lq.Branches = readmodels.Besides(branches, readmodels.Cond{SQL: "id IN (SELECT contract_id FROM " + v.Gens.Table(Projection, "contract_members") +
				" WHERE user_id = ?)", Args: []any{q.Reader.User.String()}})
		}
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	s := spec
	s.Table = t
	return readmodels.List(ctx, v.DB, s, *lq)
}

// Get returns one contract if the reader may see it.
func (v *Views) Get(ctx context.Context, r Reader, id uuid.UUID) (*Contract, error) {
	cond, args := v.visible(r)
	return readmodels.GetWhere(ctx, v.DB, v.Gens.Table(Projection, "contracts"), Columns, cond, args, id, Scan)
}

// Lines, signatories, terms, the approval and a pending amendment come from the state.
type detail struct {
	Lines               []lineitem.Line   `json:"lines"`
	CustomerSignatoryID *uuid.UUID        `json:"customerSignatoryId"`
	OurSignatoryID      *uuid.UUID        `json:"ourSignatoryId"`
	PaymentTerms        string            `json:"paymentTerms"`
	Remarks             string            `json:"remarks"`
	TerminationReason   string            `json:"terminationReason"`
	Approval            *approval.Process `json:"approval"`
	Amendment           *Amendment        `json:"amendment"`
}

// Amendment is a change of an approved contract waiting for approval.
type Amendment struct {
	Changes map[string]any `json:"changes"`
	Reason  string         `json:"reason"`
}

// MarshalJSON writes the row's columns and the state's details as one object.
func (c Contract) MarshalJSON() ([]byte, error) {
	type plain Contract
	st := c.State
	d := detail{Lines: st.Lines, CustomerSignatoryID: readmodels.OptID(st.Fields.CustomerSignatoryID), OurSignatoryID: readmodels.OptID(st.Fields.OurSignatoryID),
		PaymentTerms: st.Fields.PaymentTerms, Remarks: st.Fields.Remarks, TerminationReason: st.TerminationReason, Approval: st.Approval}
	if d.Lines == nil {
		d.Lines = []lineitem.Line{}
	}
	if st.Amendment != nil {
		ch := map[string]any{}
		for k, v := range st.Amendment.Fields {
			ch[k] = v
		}
		if st.Amendment.Lines != nil {
			ch["lines"] = *st.Amendment.Lines
		}
		if st.Amendment.Amount != "" {
			ch["amount"] = st.Amendment.Amount
		}
		d.Amendment = &Amendment{Changes: ch, Reason: st.AmendmentReason}
	}
	return json.Marshal(struct {
		plain
		detail
	}{plain(c), d})
}
