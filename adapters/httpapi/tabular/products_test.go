package tabular

import (
	"errors"
	"testing"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// TestParseMoneyCell: amounts are read exactly, with ¥ and thousands separators; more than two
// places, exponents and negative amounts are refused with their codes.
func TestParseMoneyCell(t *testing.T) {
	for in, want := range map[string]string{"23999.5": "23999.50", "¥1,200.05": "1200.05", "0.10": "0.10", "￥ 7": "7.00",
		"12,345,678.90": "12345678.90", "0.1": "0.10"} {
		if got, err := parseMoneyCell("price", in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for in, code := range map[string]string{"1.005": "too_many_decimals", "1e3": "not_a_decimal", "-1": "negative_not_allowed",
		"12,34": "not_a_decimal", "abc": "not_a_decimal"} {
		_, err := parseMoneyCell("price", in)
		var fe *field.Error
		if !errors.As(err, &fe) || fe.Field != "price" || fe.Code != code {
			t.Errorf("%q: %v, want an error on price (%s)", in, err, code)
		}
	}
}
