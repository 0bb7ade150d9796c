package opportunity

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
	"github.com/chronicle-crm/chronicle/domain/money"
)

// Limits.
const (
	MaxContacts = 20
	MaxTeam     = 30
	MaxLines    = lineitem.Max
	MaxPlan     = 100
)

// Fields are what a user enters about an opportunity. Money is canonical decimal text, dates
// are "2006-01-02".
type Fields struct {
	Name              string   `json:"name"`
	CustomerID        string   `json:"customerId"`
	ContactIDs        []string `json:"contactIds,omitempty"`
	ExpectedCloseDate string   `json:"expectedCloseDate,omitempty"`
	Source            string   `json:"source,omitempty"` // dictionary opportunity_source
	// Probability overrides the stage's win probability (nil: the stage's).
	Probability *int   `json:"probability,omitempty"`
	Amount      string `json:"amount,omitempty"` // the entered amount; the lines' sum when there are lines
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
	NextStep    string `json:"nextStep,omitempty"`
	// TeamIDs are users who may read the opportunity besides those whose scope covers its owner.
	TeamIDs []string `json:"teamIds,omitempty"`
}

// Patch changes the fields it names. Probability -1 returns to the stage's probability.
type Patch struct {
	Name              *string   `json:"name,omitempty"`
	CustomerID        *string   `json:"customerId,omitempty"`
	ContactIDs        *[]string `json:"contactIds,omitempty"`
	ExpectedCloseDate *string   `json:"expectedCloseDate,omitempty"`
	Source            *string   `json:"source,omitempty"`
	Probability       *int      `json:"probability,omitempty"`
	Amount            *string   `json:"amount,omitempty"`
	Summary           *string   `json:"summary,omitempty"`
	Description       *string   `json:"description,omitempty"`
	NextStep          *string   `json:"nextStep,omitempty"`
	TeamIDs           *[]string `json:"teamIds,omitempty"`
}

// normalise trims text, canonicalises the amount and sorts the id lists (the same set is the
// same value).
func (f Fields) normalise() Fields {
	f.Name, f.Summary, f.NextStep = strings.TrimSpace(f.Name), strings.TrimSpace(f.Summary), strings.TrimSpace(f.NextStep)
	f.Source, f.ExpectedCloseDate, f.CustomerID = strings.TrimSpace(f.Source), strings.TrimSpace(f.ExpectedCloseDate), strings.TrimSpace(f.CustomerID)
	f.ContactIDs, f.TeamIDs = idSet(f.ContactIDs), idSet(f.TeamIDs)
	if a, err := money.NonNegativeAmount("amount", f.Amount); err == nil {
		f.Amount = a.String()
	}
	return f
}

func idSet(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, 0, len(ids))
	for _, s := range ids {
		if id, err := uuid.Parse(strings.TrimSpace(s)); err == nil {
			s = id.String()
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Validate checks the fields (not the references: commands check that the customer, contacts
// and team members exist and may be used).
func (f Fields) Validate() error {
	errs := []error{field.Required("name", f.Name), field.Text("name", f.Name, 200),
		field.Text("summary", f.Summary, 500), field.Text("description", f.Description, 5000), field.Text("nextStep", f.NextStep, 500),
		field.Text("source", f.Source, 40)}
	if f.CustomerID == "" {
		errs = append(errs, &field.Error{Field: "customerId", Message: "is required: an opportunity is a deal with a customer", Code: "customer_required"})
	} else if _, err := uuid.Parse(f.CustomerID); err != nil {
		errs = append(errs, field.Errorf("customerId", "is not an id: %q", f.CustomerID))
	}
	errs = append(errs, checkIDs("contactIds", f.ContactIDs, MaxContacts), checkIDs("teamIds", f.TeamIDs, MaxTeam))
	if f.ExpectedCloseDate != "" {
		errs = append(errs, CheckDate("expectedCloseDate", f.ExpectedCloseDate))
	}
	if f.Probability != nil && (*f.Probability < 0 || *f.Probability > 100) {
		errs = append(errs, field.Errorf("probability", "must be between 0 and 100; got %d", *f.Probability))
	}
	if f.Amount != "" {
		if _, err := money.NonNegativeAmount("amount", f.Amount); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkIDs(name string, ids []string, max int) error {
	if len(ids) > max {
		return field.Errorf(name, "holds %d ids; at most %d", len(ids), max)
	}
	for i, s := range ids {
		if _, err := uuid.Parse(s); err != nil {
			return field.Errorf(fmt.Sprintf("%s[%d]", name, i), "is not an id: %q", s)
		}
	}
	return nil
}

// CheckDate checks a calendar date "2006-01-02" between the years 1900 and 2999.
func CheckDate(name, s string) error { return field.Date(name, s) }

// apply returns the fields with the patch applied (not yet validated).
func (f Fields) apply(p Patch) Fields {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&f.Name, p.Name)
	set(&f.CustomerID, p.CustomerID)
	set(&f.ExpectedCloseDate, p.ExpectedCloseDate)
	set(&f.Source, p.Source)
	set(&f.Amount, p.Amount)
	set(&f.Summary, p.Summary)
	set(&f.Description, p.Description)
	set(&f.NextStep, p.NextStep)
	if p.ContactIDs != nil {
		f.ContactIDs = slices.Clone(*p.ContactIDs)
	}
	if p.TeamIDs != nil {
		f.TeamIDs = slices.Clone(*p.TeamIDs)
	}
	if p.Probability != nil {
		if *p.Probability == -1 {
			f.Probability = nil
		} else {
			v := *p.Probability
			f.Probability = &v
		}
	}
	return f
}

// diff is the patch that takes f to g (only what differs).
func (f Fields) diff(g Fields) Patch {
	var p Patch
	str := func(a, b string) *string {
		if a == b {
			return nil
		}
		return &b
	}
	p.Name, p.CustomerID, p.ExpectedCloseDate = str(f.Name, g.Name), str(f.CustomerID, g.CustomerID), str(f.ExpectedCloseDate, g.ExpectedCloseDate)
	p.Source, p.Amount, p.Summary = str(f.Source, g.Source), str(f.Amount, g.Amount), str(f.Summary, g.Summary)
	p.Description, p.NextStep = str(f.Description, g.Description), str(f.NextStep, g.NextStep)
	if !slices.Equal(f.ContactIDs, g.ContactIDs) {
		v := slices.Clone(g.ContactIDs)
		if v == nil {
			v = []string{}
		}
		p.ContactIDs = &v
	}
	if !slices.Equal(f.TeamIDs, g.TeamIDs) {
		v := slices.Clone(g.TeamIDs)
		if v == nil {
			v = []string{}
		}
		p.TeamIDs = &v
	}
	switch {
	case f.Probability == nil && g.Probability == nil:
	case g.Probability == nil:
		v := -1
		p.Probability = &v
	case f.Probability == nil || *f.Probability != *g.Probability:
		v := *g.Probability
		p.Probability = &v
	}
	return p
}

// Empty reports a patch that changes nothing.
func (p Patch) Empty() bool { return p == (Patch{}) }

// Line items are the shared kind (contracts carry the same lines).
type (
	LineInput = lineitem.Input
	Line      = lineitem.Line
)

// Lines checks line inputs and computes their totals and sum.
func Lines(in []LineInput) ([]Line, money.Amount, error) { return lineitem.Check(in) }
