package contract

import (
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
	"github.com/chronicle-crm/chronicle/domain/money"
)

// Limits.
const (
	MaxNumber = 50
	MaxName   = 200
	MaxTerms  = 2000
	MaxRemark = 2000
	MaxReason = 1000
)

// Fields are what a user enters about a contract (the number, the owner and the lines are
// decided apart). Money is canonical decimal text; dates are "2006-01-02".
type Fields struct {
	Name                string `json:"name"`
	CustomerID          string `json:"customerId"`
	OpportunityID       string `json:"opportunityId,omitempty"`
	Type                string `json:"type,omitempty"` // dictionary contract_type
	SignedOn            string `json:"signedOn,omitempty"`
	StartsOn            string `json:"startsOn,omitempty"`
	EndsOn              string `json:"endsOn,omitempty"`
	Amount              string `json:"amount,omitempty"` // the entered amount; the lines' sum when there are lines
	CustomerSignatoryID string `json:"customerSignatoryId,omitempty"`
	OurSignatoryID      string `json:"ourSignatoryId,omitempty"`
	PaymentTerms        string `json:"paymentTerms,omitempty"`
	Remarks             string `json:"remarks,omitempty"`
}

// Patch changes the fields it names ("" clears an optional one). Lines, when set, replace the
// lines. The opportunity a contract was made from never changes.
type Patch struct {
	Name                *string           `json:"name,omitempty"`
	CustomerID          *string           `json:"customerId,omitempty"`
	Type                *string           `json:"type,omitempty"`
	SignedOn            *string           `json:"signedOn,omitempty"`
	StartsOn            *string           `json:"startsOn,omitempty"`
	EndsOn              *string           `json:"endsOn,omitempty"`
	Amount              *string           `json:"amount,omitempty"`
	CustomerSignatoryID *string           `json:"customerSignatoryId,omitempty"`
	OurSignatoryID      *string           `json:"ourSignatoryId,omitempty"`
	PaymentTerms        *string           `json:"paymentTerms,omitempty"`
	Remarks             *string           `json:"remarks,omitempty"`
	Lines               *[]lineitem.Input `json:"lines,omitempty"`
}

// Empty reports a patch that changes nothing.
func (p Patch) Empty() bool { return p == (Patch{}) }

func trimID(s string) string {
	s = strings.TrimSpace(s)
	if id, err := uuid.Parse(s); err == nil {
		return id.String()
	}
	return s
}

// normalise trims text and canonicalises ids and the amount.
func (f Fields) normalise() Fields {
	f.Name, f.Type, f.PaymentTerms, f.Remarks = strings.TrimSpace(f.Name), strings.TrimSpace(f.Type), strings.TrimSpace(f.PaymentTerms), strings.TrimSpace(f.Remarks)
	f.SignedOn, f.StartsOn, f.EndsOn = strings.TrimSpace(f.SignedOn), strings.TrimSpace(f.StartsOn), strings.TrimSpace(f.EndsOn)
	f.CustomerID, f.OpportunityID = trimID(f.CustomerID), trimID(f.OpportunityID)
	f.CustomerSignatoryID, f.OurSignatoryID = trimID(f.CustomerSignatoryID), trimID(f.OurSignatoryID)
	if a, err := money.NonNegativeAmount("amount", strings.TrimSpace(f.Amount)); err == nil && strings.TrimSpace(f.Amount) != "" {
		f.Amount = a.String()
	}
	return f
}

// Validate checks the fields (not the references: the command checks the customer, the
// contacts and the users).
func (f Fields) Validate() error {
	errs := []error{field.Required("name", f.Name), field.Text("name", f.Name, MaxName), field.Text("type", f.Type, 40),
		field.Text("paymentTerms", f.PaymentTerms, MaxTerms), field.Text("remarks", f.Remarks, MaxRemark)}
	if f.CustomerID == "" {
		errs = append(errs, &field.Error{Field: "customerId", Message: "is required: a contract is signed with a customer", Code: "customer_required"})
	}
	for name, v := range map[string]string{"customerId": f.CustomerID, "opportunityId": f.OpportunityID,
		"customerSignatoryId": f.CustomerSignatoryID, "ourSignatoryId": f.OurSignatoryID} {
		if v == "" {
			continue
		}
		if _, err := uuid.Parse(v); err != nil {
			errs = append(errs, field.Errorf(name, "is not an id: %q", v))
		}
	}
	for name, v := range map[string]string{"signedOn": f.SignedOn, "startsOn": f.StartsOn, "endsOn": f.EndsOn} {
		if v != "" {
			errs = append(errs, field.Date(name, v))
		}
	}
	if f.StartsOn != "" && f.EndsOn != "" && f.EndsOn < f.StartsOn && field.Date("endsOn", f.EndsOn) == nil && field.Date("startsOn", f.StartsOn) == nil {
		errs = append(errs, &field.Error{Field: "endsOn", Message: "is before the start date", Code: "ends_before_start"})
	}
	if f.Amount != "" {
		if _, err := money.NonNegativeAmount("amount", f.Amount); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// apply returns the fields with the patch's field changes (not the lines) applied.
func (f Fields) apply(p Patch) Fields {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&f.Name, p.Name)
	set(&f.CustomerID, p.CustomerID)
	set(&f.Type, p.Type)
	set(&f.SignedOn, p.SignedOn)
	set(&f.StartsOn, p.StartsOn)
	set(&f.EndsOn, p.EndsOn)
	set(&f.Amount, p.Amount)
	set(&f.CustomerSignatoryID, p.CustomerSignatoryID)
	set(&f.OurSignatoryID, p.OurSignatoryID)
	set(&f.PaymentTerms, p.PaymentTerms)
	set(&f.Remarks, p.Remarks)
	return f
}

// Change is a checked patch as events carry it: the changed fields, and the lines and amount
// when either changed.
type Change struct {
	Fields map[string]string `json:"fields,omitempty"` // JSON name → new value
	Lines  *[]lineitem.Line  `json:"lines,omitempty"`
	Amount string            `json:"amount,omitempty"` // the contract's amount after the change
}

// Empty reports a change of nothing.
func (c Change) Empty() bool { return len(c.Fields) == 0 && c.Lines == nil && c.Amount == "" }

func (f Fields) values() map[string]string {
	return map[string]string{"name": f.Name, "customerId": f.CustomerID, "type": f.Type, "signedOn": f.SignedOn,
		"startsOn": f.StartsOn, "endsOn": f.EndsOn, "amount": f.Amount, "customerSignatoryId": f.CustomerSignatoryID,
		"ourSignatoryId": f.OurSignatoryID, "paymentTerms": f.PaymentTerms, "remarks": f.Remarks}
}

// withValues sets the named values (the inverse of values).
func (f Fields) withValues(m map[string]string) Fields {
	for k, v := range m {
		switch k {
		case "name":
			f.Name = v
		case "customerId":
			f.CustomerID = v
		case "type":
			f.Type = v
		case "signedOn":
			f.SignedOn = v
		case "startsOn":
			f.StartsOn = v
		case "endsOn":
			f.EndsOn = v
		case "amount":
			f.Amount = v
		case "customerSignatoryId":
			f.CustomerSignatoryID = v
		case "ourSignatoryId":
			f.OurSignatoryID = v
		case "paymentTerms":
			f.PaymentTerms = v
		case "remarks":
			f.Remarks = v
		}
	}
	return f
}

// WithChange is the fields after a change (an amendment's, to check its references).
func (f Fields) WithChange(c Change) Fields { return f.withValues(c.Fields) }

// Amounts: with lines the amount is their sum; an entered amount beside lines must equal it.
func amountOf(f Fields, lines []lineitem.Line, sum money.Amount, linesGiven bool) (string, error) {
	if linesGiven && len(lines) > 0 {
		if f.Amount != "" && f.Amount != sum.String() {
			return "", &field.Error{Field: "amount", Message: "follows the line items (their sum is " + sum.String() + "); leave it out", Code: "amount_from_lines"}
		}
		return sum.String(), nil
	}
	if f.Amount == "" {
		return money.Amount{}.String(), nil
	}
	return f.Amount, nil
}

// sumOf is the sum of stored lines.
func sumOf(lines []lineitem.Line) money.Amount {
	var s money.Amount
	for _, l := range lines {
		a, _ := money.ParseAmount("total", l.Total)
		s = s.Add(a)
	}
	return s
}

func cloneLines(ls []lineitem.Line) []lineitem.Line { return slices.Clone(ls) }
