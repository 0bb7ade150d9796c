package customer

import (
	"errors"
	"strings"
	"time"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// Status is where the relationship stands.
type Status string

// Statuses of a customer.
const (
	StatusPotential   Status = "potential"
	StatusCooperating Status = "cooperating"
	StatusClosedDeal  Status = "closed_deal"
)

// Enumerations from the customer's requirements (stored as these stable codes; the UI shows
// Chinese labels). Natures and Classifications are the built-in items of the data dictionary's
// business_nature and customer_class lists: the commands check nature, classification, level,
// industry, sub-industry and source against the dictionary (the domain checks their length only,
// so a value stored before the dictionary existed stays valid).
var (
	Natures         = []string{"foreign", "joint_venture", "state_owned", "collective", "private", "other"}
	Types           = []string{"manufacturer", "trading", "service", "other"}
	Sizes           = []string{"large", "medium", "small"}
	Classifications = []string{"old_customer", "target", "potential", "partner", "blacklist", "competitor"}
	Statuses        = []string{string(StatusPotential), string(StatusCooperating), string(StatusClosedDeal)}
)

// Fields are the descriptive attributes of a customer.
type Fields struct {
	Name                string     `json:"name"`
	LegalRepresentative string     `json:"legalRepresentative,omitempty"`
	Level               string     `json:"level,omitempty"`
	Industry            string     `json:"industry,omitempty"`
	SubIndustry         string     `json:"subIndustry,omitempty"`
	Source              string     `json:"source,omitempty"`
	Nature              string     `json:"nature,omitempty"`
	Type                string     `json:"type,omitempty"`
	Size                string     `json:"size,omitempty"`
	Classification      string     `json:"classification,omitempty"`
	Country             string     `json:"country,omitempty"`
	Province            string     `json:"province,omitempty"`
	City                string     `json:"city,omitempty"`
	District            string     `json:"district,omitempty"`
	Address             string     `json:"address,omitempty"`
	Postcode            string     `json:"postcode,omitempty"`
	Phone               string     `json:"phone,omitempty"`
	Fax                 string     `json:"fax,omitempty"`
	Email               string     `json:"email,omitempty"`
	Website             string     `json:"website,omitempty"`
	Remark              string     `json:"remark,omitempty"`
	Satisfaction        int        `json:"satisfaction,omitempty"` // 1-5, 0 unset
	Credit              int        `json:"credit,omitempty"`       // 1-5, 0 unset
	NextFollowUpAt      *time.Time `json:"nextFollowUpAt,omitempty"`
	// Custom holds the values of administrator-defined fields (see CustomField), validated by the
	// commands against the definitions in force.
	Custom map[string]any `json:"custom,omitempty"`
}

// texts lists the text fields with their names and limits, for validation and patches.
func (f *Fields) texts() []struct {
	name string
	v    *string
	max  int
} {
	type t = struct {
		name string
		v    *string
		max  int
	}
	return []t{
		{"name", &f.Name, 200}, {"legalRepresentative", &f.LegalRepresentative, 50}, {"level", &f.Level, 50},
		{"industry", &f.Industry, 100}, {"subIndustry", &f.SubIndustry, 100}, {"source", &f.Source, 100},
		{"nature", &f.Nature, 50}, {"type", &f.Type, 50}, {"size", &f.Size, 50}, {"classification", &f.Classification, 50},
		{"country", &f.Country, 100}, {"province", &f.Province, 100}, {"city", &f.City, 100}, {"district", &f.District, 100},
		{"address", &f.Address, 500}, {"postcode", &f.Postcode, 20}, {"phone", &f.Phone, 50}, {"fax", &f.Fax, 50},
		{"email", &f.Email, 254}, {"website", &f.Website, 500}, {"remark", &f.Remark, 4000},
	}
}

// Validate checks every field and joins all problems.
func (f Fields) Validate() error {
	errs := []error{field.Required("name", f.Name)}
	for _, t := range f.texts() {
		errs = append(errs, field.Text(t.name, *t.v, t.max))
	}
	errs = append(errs, field.Phone("phone", f.Phone), field.Phone("fax", f.Fax), field.Email("email", f.Email),
		field.OneOf("type", f.Type, Types...), field.OneOf("size", f.Size, Sizes...), rating("satisfaction", f.Satisfaction), rating("credit", f.Credit))
	if f.Website != "" && !strings.Contains(f.Website, ".") {
		errs = append(errs, field.Errorf("website", "is not a web address: %q", f.Website))
	}
	return errors.Join(errs...)
}

func rating(name string, v int) error {
	if v < 0 || v > 5 {
		return field.Errorf(name, "must be from 1 to 5 (0 for none), got %d", v)
	}
	return nil
}

func (f Fields) normalise() Fields {
	for _, t := range f.texts() {
		*t.v = strings.TrimSpace(*t.v)
	}
	if f.NextFollowUpAt != nil {
		t := f.NextFollowUpAt.UTC()
		f.NextFollowUpAt = &t
	}
	return f
}

// Patch holds the fields an update changes; nil means unchanged (the typed optional fields every
// module's patch uses). Text fields are also reachable by name (SetText), as the HTTP body names
// them.
type Patch struct {
	Name                *string    `json:"name,omitempty"`
	LegalRepresentative *string    `json:"legalRepresentative,omitempty"`
	Level               *string    `json:"level,omitempty"`
	Industry            *string    `json:"industry,omitempty"`
	SubIndustry         *string    `json:"subIndustry,omitempty"`
	Source              *string    `json:"source,omitempty"`
	Nature              *string    `json:"nature,omitempty"`
	Type                *string    `json:"type,omitempty"`
	Size                *string    `json:"size,omitempty"`
	Classification      *string    `json:"classification,omitempty"`
	Country             *string    `json:"country,omitempty"`
	Province            *string    `json:"province,omitempty"`
	City                *string    `json:"city,omitempty"`
	District            *string    `json:"district,omitempty"`
	Address             *string    `json:"address,omitempty"`
	Postcode            *string    `json:"postcode,omitempty"`
	Phone               *string    `json:"phone,omitempty"`
	Fax                 *string    `json:"fax,omitempty"`
	Email               *string    `json:"email,omitempty"`
	Website             *string    `json:"website,omitempty"`
	Remark              *string    `json:"remark,omitempty"`
	Satisfaction        *int       `json:"satisfaction,omitempty"`
	Credit              *int       `json:"credit,omitempty"`
	NextFollowUpAt      *time.Time `json:"nextFollowUpAt,omitempty"`
	ClearNextFollowUp   bool       `json:"clearNextFollowUp,omitempty"`
	Status              *Status    `json:"status,omitempty"`
	// Custom sets custom field values; a nil value removes the field.
	Custom map[string]any `json:"custom,omitempty"`
}

// texts lists the patch's text fields in the order of Fields.texts.
func (p *Patch) texts() []**string {
	return []**string{&p.Name, &p.LegalRepresentative, &p.Level, &p.Industry, &p.SubIndustry, &p.Source, &p.Nature, &p.Type, &p.Size, &p.Classification, &p.Country, &p.Province, &p.City, &p.District, &p.Address, &p.Postcode, &p.Phone, &p.Fax, &p.Email, &p.Website, &p.Remark}
}

// SetText sets the text field called name (the JSON name); an unknown name is a field error.
func (p *Patch) SetText(name, value string) error {
	var f Fields
	for i, t := range f.texts() {
		if t.name == name {
			*p.texts()[i] = &value
			return nil
		}
	}
	return field.Errorf(name, "is not a customer field")
}

// IsZero reports an empty patch.
func (p Patch) IsZero() bool {
	for _, t := range p.texts() {
		if *t != nil {
			return false
		}
	}
	return p.Satisfaction == nil && p.Credit == nil && p.NextFollowUpAt == nil && !p.ClearNextFollowUp && p.Status == nil &&
		len(p.Custom) == 0
}

// TextFields lists the names of the text fields (SetText takes them).
func TextFields() []string {
	var f Fields
	var out []string
	for _, t := range f.texts() {
		out = append(out, t.name)
	}
	return out
}

// apply returns the fields with the patch applied.
func (f Fields) apply(p Patch) (Fields, error) {
	pt := p.texts()
	for i, t := range f.texts() {
		if v := *pt[i]; v != nil {
			*t.v = strings.TrimSpace(*v)
		}
	}
	if p.Satisfaction != nil {
		f.Satisfaction = *p.Satisfaction
	}
	if p.Credit != nil {
		f.Credit = *p.Credit
	}
	if p.NextFollowUpAt != nil {
		t := p.NextFollowUpAt.UTC()
		f.NextFollowUpAt = &t
	}
	if p.ClearNextFollowUp {
		f.NextFollowUpAt = nil
	}
	if len(p.Custom) > 0 {
		custom := map[string]any{}
		for k, v := range f.Custom {
			custom[k] = v
		}
		for k, v := range p.Custom {
			if v == nil {
				delete(custom, k)
			} else {
				custom[k] = v
			}
		}
		f.Custom = custom
		if len(custom) == 0 {
			f.Custom = nil
		}
	}
	return f, nil
}
