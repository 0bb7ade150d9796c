package customer

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// Custom field types.
const (
	CustomText        = "text"
	CustomNumber      = "number"
	CustomDate        = "date"
	CustomOption      = "option"
	CustomMultiOption = "multi_option"
)

// CustomField is an administrator-defined customer field.
type CustomField struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Type     string   `json:"type"`
	Options  []string `json:"options,omitempty"`
	Required bool     `json:"required,omitempty"`
}

var customKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ValidateDefinitions checks a set of custom field definitions.
func ValidateDefinitions(defs []CustomField) error {
	var errs []error
	seen := map[string]bool{}
	for i, d := range defs {
		name := fmt.Sprintf("customerFields[%d]", i)
		switch {
		case !customKey.MatchString(d.Key):
			errs = append(errs, field.Errorf(name+".key", "must be lower-case letters, digits and _ (up to 40), starting with a letter"))
		case seen[d.Key]:
			errs = append(errs, field.Errorf(name+".key", "%q is defined twice", d.Key))
		}
		seen[d.Key] = true
		errs = append(errs, field.Required(name+".label", d.Label), field.Text(name+".label", d.Label, 50),
			field.OneOf(name+".type", d.Type, CustomText, CustomNumber, CustomDate, CustomOption, CustomMultiOption))
		if (d.Type == CustomOption || d.Type == CustomMultiOption) && len(d.Options) == 0 {
			errs = append(errs, field.Errorf(name+".options", "an option field needs options"))
		}
	}
	return errors.Join(errs...)
}

// ValidateCustom checks custom values against the definitions: unknown keys, wrong types, values
// outside the options and missing required fields are errors (field "custom.<key>").
func ValidateCustom(defs []CustomField, values map[string]any) error {
	var errs []error
	byKey := map[string]CustomField{}
	for _, d := range defs {
		byKey[d.Key] = d
	}
	for k, v := range values {
		d, ok := byKey[k]
		name := "custom." + k
		if !ok {
			errs = append(errs, field.Errorf(name, "is not a defined custom field"))
			continue
		}
		switch d.Type {
		case CustomText:
			s, ok := v.(string)
			if !ok {
				errs = append(errs, field.Errorf(name, "must be text"))
			} else {
				errs = append(errs, field.Text(name, s, 1000))
			}
		case CustomNumber:
			if _, ok := v.(float64); !ok {
				errs = append(errs, field.Errorf(name, "must be a number"))
			}
		case CustomDate:
			s, _ := v.(string)
			if _, err := time.Parse("2006-01-02", s); err != nil {
				errs = append(errs, field.Errorf(name, "must be a date YYYY-MM-DD"))
			}
		case CustomOption:
			if s, ok := v.(string); !ok || !slices.Contains(d.Options, s) {
				errs = append(errs, field.Errorf(name, "must be one of %s", strings.Join(d.Options, ", ")))
			}
		case CustomMultiOption:
			list, ok := v.([]any)
			if !ok {
				errs = append(errs, field.Errorf(name, "must be a list of options"))
				break
			}
			for _, one := range list {
				if s, ok := one.(string); !ok || !slices.Contains(d.Options, s) {
					errs = append(errs, field.Errorf(name, "must hold only %s", strings.Join(d.Options, ", ")))
					break
				}
			}
		}
	}
	for _, d := range defs {
		if _, ok := values[d.Key]; d.Required && !ok {
			errs = append(errs, field.Errorf("custom."+d.Key, "is required"))
		}
	}
	return errors.Join(errs...)
}

// CustomSearchText is the searchable text of custom values (text and option values).
func CustomSearchText(values map[string]any) string {
	var parts []string
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch v := values[k].(type) {
		case string:
			parts = append(parts, v)
		case []any:
			for _, one := range v {
				if s, ok := one.(string); ok {
					parts = append(parts, s)
				}
			}
		}
	}
	return strings.Join(parts, "\x1f")
}
