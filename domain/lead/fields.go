package lead

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// Status is where a lead stands.
type Status string

// Statuses of a lead. Converted arrives with customers.
const (
	StatusNew       Status = "new"
	StatusFollowing Status = "following"
	StatusInvalid   Status = "invalid"
	StatusConverted Status = "converted"
)

// ParseStatus accepts the statuses a user may set by hand.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case StatusNew, StatusFollowing, StatusInvalid:
		return st, nil
	case StatusConverted:
		return "", &ValidationError{Field: "status", Message: "a lead becomes converted only by converting it"}
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("must be one of new, following, invalid; got %q", s)}
}

// Fields are the descriptive attributes of a lead.
type Fields struct {
	Name           string     `json:"name"`
	Company        string     `json:"company,omitempty"`
	Phone          string     `json:"phone,omitempty"`
	Mobile         string     `json:"mobile,omitempty"`
	Email          string     `json:"email,omitempty"`
	Source         string     `json:"source,omitempty"`
	Industry       string     `json:"industry,omitempty"`
	Level          string     `json:"level,omitempty"`
	Address        string     `json:"address,omitempty"`
	Remark         string     `json:"remark,omitempty"`
	NextFollowUpAt *time.Time `json:"nextFollowUpAt,omitempty"`
}

// Patch holds the fields an update changes; nil means unchanged.
type Patch struct {
	Name              *string    `json:"name,omitempty"`
	Company           *string    `json:"company,omitempty"`
	Phone             *string    `json:"phone,omitempty"`
	Mobile            *string    `json:"mobile,omitempty"`
	Email             *string    `json:"email,omitempty"`
	Source            *string    `json:"source,omitempty"`
	Industry          *string    `json:"industry,omitempty"`
	Level             *string    `json:"level,omitempty"`
	Address           *string    `json:"address,omitempty"`
	Remark            *string    `json:"remark,omitempty"`
	NextFollowUpAt    *time.Time `json:"nextFollowUpAt,omitempty"`
	ClearNextFollowUp bool       `json:"clearNextFollowUp,omitempty"`
	Status            *Status    `json:"status,omitempty"`
}

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// Text limits, in characters.
// MaxSource and MaxIndustry are the longest source and industry a lead may have (in characters).
const (
	MaxSource   = 100
	MaxIndustry = 100
)

const (
	maxName = 200
	maxText = 500
	maxLong = 4000
)

// Validate checks every field and joins all problems (each a *ValidationError).
func (f Fields) Validate() error {
	var errs []error
	if strings.TrimSpace(f.Name) == "" {
		errs = append(errs, &ValidationError{Field: "name", Message: "is required"})
	}
	errs = append(errs, checkText("name", f.Name, maxName), checkText("company", f.Company, maxName),
		checkPhone("phone", f.Phone), checkPhone("mobile", f.Mobile), checkEmail(f.Email),
		checkText("source", f.Source, MaxSource), checkText("industry", f.Industry, MaxIndustry), checkText("level", f.Level, 50),
		checkText("address", f.Address, maxText), checkText("remark", f.Remark, maxLong))
	return errors.Join(errs...)
}

// apply returns the fields with the patch applied.
func (f Fields) apply(p Patch) Fields {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&f.Name, p.Name)
	set(&f.Company, p.Company)
	set(&f.Phone, p.Phone)
	set(&f.Mobile, p.Mobile)
	set(&f.Email, p.Email)
	set(&f.Source, p.Source)
	set(&f.Industry, p.Industry)
	set(&f.Level, p.Level)
	set(&f.Address, p.Address)
	set(&f.Remark, p.Remark)
	if p.NextFollowUpAt != nil {
		t := p.NextFollowUpAt.UTC()
		f.NextFollowUpAt = &t
	}
	if p.ClearNextFollowUp {
		f.NextFollowUpAt = nil
	}
	return f
}

// normalise trims text fields and puts times in UTC.
func (f Fields) normalise() Fields {
	return Fields{NextFollowUpAt: f.NextFollowUpAt}.apply(Patch{
		Name: &f.Name, Company: &f.Company, Phone: &f.Phone, Mobile: &f.Mobile, Email: &f.Email,
		Source: &f.Source, Industry: &f.Industry, Level: &f.Level, Address: &f.Address, Remark: &f.Remark,
		NextFollowUpAt: f.NextFollowUpAt,
	})
}

var (
	checkText  = field.Text
	checkPhone = field.Phone
)

func checkEmail(v string) error { return field.Email("email", v) }
