// Package money holds the exact decimals of Chronicle: amounts of money (two decimal places),
// quantities (up to four) and percentages (up to two, 0 to 100). Every one is an integer of its
// smallest unit; none is ever a float. On the wire and in events they are decimal strings
// ("1200.50"); parsing refuses exponents, more decimals than the kind has, and values beyond its
// range, each with a stable code (field.Error.Code) that the transport answers with.
package money

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// Codes of the field errors a parse returns.
const (
	CodeNotDecimal      = "not_a_decimal"     // not a plain decimal number ("1e3", "abc", "1,000")
	CodeTooManyDecimals = "too_many_decimals" // "1.234" as an amount
	CodeOutOfRange      = "decimal_out_of_range"
	CodeNegative        = "negative_not_allowed"
)

// kind describes one fixed-point decimal: its decimal places and the largest magnitude in units.
type kind struct {
	name   string
	places int
	max    int64 // largest absolute value, in units
}

var (
	amountKind   = kind{"amount", 2, 99_999_999_999_999} // 999,999,999,999.99 (NUMERIC(17,2) holds it)
	quantityKind = kind{"quantity", 4, 999_999_999_999}  // 99,999,999.9999
	percentKind  = kind{"percentage", 2, 10_000}         // 100.00
	// totals are sums of amounts (statistics): up to a thousand times the largest amount
	totalKind = kind{"total", 2, 99_999_999_999_999_999}
)

// parse reads s as a decimal of k. Leading and trailing spaces are not trimmed: the wire value is
// the value. Accepted: an optional minus sign, digits, optionally a point and up to k.places
// digits ("12", "12.5", "-0.30", ".5" is refused: write "0.5").
func (k kind) parse(name, s string) (int64, error) {
	bad := func(code, format string, args ...any) error {
		return &field.Error{Field: name, Message: fmt.Sprintf(format, args...), Code: code}
	}
	if s == "" {
		return 0, bad(CodeNotDecimal, "is empty; write a decimal number such as \"12.50\"")
	}
	if len(s) > 40 {
		return 0, bad(CodeOutOfRange, "is %d characters long; not a %s Chronicle can hold", len(s), k.name)
	}
	neg := s[0] == '-'
	body := s
	if neg {
		body = s[1:]
	}
	whole, frac, hasPoint := strings.Cut(body, ".")
	if whole == "" || !digits(whole) || (hasPoint && (frac == "" || !digits(frac))) {
		return 0, bad(CodeNotDecimal, "must be a decimal number written with digits and at most one point, such as \"12.50\"; got %q", s)
	}
	if len(frac) > k.places {
		return 0, bad(CodeTooManyDecimals, "has %d decimal places; a %s has at most %d", len(frac), k.name, k.places)
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 18 {
		return 0, bad(CodeOutOfRange, "is beyond the largest %s, %s", k.name, k.format(k.max))
	}
	units := int64(0)
	if whole != "" {
		w, _ := strconv.ParseInt(whole, 10, 64)
		units = w
	}
	for i := 0; i < k.places; i++ {
		if units > k.max {
			break
		}
		units *= 10
		if i < len(frac) {
			units += int64(frac[i] - '0')
		}
	}
	if units > k.max {
		return 0, bad(CodeOutOfRange, "is beyond the largest %s, %s", k.name, k.format(k.max))
	}
	if neg {
		units = -units
	}
	return units, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// format writes units with k.places decimals ("-12.50").
func (k kind) format(units int64) string {
	neg := units < 0
	if neg {
		units = -units
	}
	s := strconv.FormatInt(units, 10)
	if len(s) <= k.places {
		s = strings.Repeat("0", k.places-len(s)+1) + s
	}
	out := s[:len(s)-k.places] + "." + s[len(s)-k.places:]
	if neg {
		return "-" + out
	}
	return out
}

// Amount is an exact amount of money in yuan with two decimal places, held in fen.
type Amount struct{ fen int64 }

// ParseAmount reads a decimal string with at most two decimals; negative amounts are allowed
// here (a reversal) and refused by NonNegativeAmount.
func ParseAmount(name, s string) (Amount, error) {
	u, err := amountKind.parse(name, s)
	return Amount{u}, err
}

// ParseTotal reads a sum of amounts (two decimals, up to a thousand times the largest amount).
func ParseTotal(name, s string) (Amount, error) {
	u, err := totalKind.parse(name, s)
	return Amount{u}, err
}

// NonNegativeAmount is ParseAmount refusing a value below zero.
func NonNegativeAmount(name, s string) (Amount, error) {
	a, err := ParseAmount(name, s)
	if err == nil && a.fen < 0 {
		return Amount{}, &field.Error{Field: name, Message: "may not be negative", Code: CodeNegative}
	}
	return a, err
}

// Fen makes an amount from fen (hundredths of a yuan).
func Fen(n int64) Amount { return Amount{n} }

// Fen is the amount in fen.
func (a Amount) Fen() int64 { return a.fen }

// String is the canonical decimal text, always with two decimals ("1200.00").
func (a Amount) String() string { return amountKind.format(a.fen) }

// Add is a+b. Sums of amounts stay far inside int64 for any realistic number of lines (each is at
// most 10^14 fen; int64 holds 9.2·10^18).
func (a Amount) Add(b Amount) Amount { return Amount{a.fen + b.fen} }

// Sub is a-b.
func (a Amount) Sub(b Amount) Amount { return Amount{a.fen - b.fen} }

// Cmp is -1, 0 or +1 as a is below, equal to or above b.
func (a Amount) Cmp(b Amount) int {
	switch {
	case a.fen < b.fen:
		return -1
	case a.fen > b.fen:
		return 1
	}
	return 0
}

// Sign is -1, 0 or +1.
func (a Amount) Sign() int { return a.Cmp(Amount{}) }

// IsZero reports a zero amount.
func (a Amount) IsZero() bool { return a.fen == 0 }

// InRange reports whether the amount is within the largest an amount may be (sums can exceed it).
func (a Amount) InRange() bool { return a.fen <= amountKind.max && a.fen >= -amountKind.max }

// Quantity is an exact quantity with up to four decimal places (kilograms, hours, metres).
type Quantity struct{ units int64 }

// ParseQuantity reads a quantity; negative quantities are refused.
func ParseQuantity(name, s string) (Quantity, error) {
	u, err := quantityKind.parse(name, s)
	if err == nil && u < 0 {
		return Quantity{}, &field.Error{Field: name, Message: "may not be negative", Code: CodeNegative}
	}
	return Quantity{u}, err
}

// String is the canonical text without trailing zeros ("2", "1.5", "0.0125").
func (q Quantity) String() string { return trimZeros(quantityKind.format(q.units)) }

// IsZero reports a zero quantity.
func (q Quantity) IsZero() bool { return q.units == 0 }

// Percent is a percentage from 0 to 100 with up to two decimal places (a discount).
type Percent struct{ hundredths int64 }

// ParsePercent reads a percentage from 0 to 100.
func ParsePercent(name, s string) (Percent, error) {
	u, err := percentKind.parse(name, s)
	if err == nil && u < 0 {
		return Percent{}, &field.Error{Field: name, Message: "may not be negative", Code: CodeNegative}
	}
	if err != nil {
		var fe *field.Error
		if asField(err, &fe) && fe.Code == CodeOutOfRange {
			fe.Message = "must be between 0 and 100"
		}
	}
	return Percent{u}, err
}

func asField(err error, fe **field.Error) bool {
	e, ok := err.(*field.Error)
	if ok {
		*fe = e
	}
	return ok
}

// String is the canonical text without trailing zeros ("12.5", "0").
func (p Percent) String() string { return trimZeros(percentKind.format(p.hundredths)) }

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// LineTotal is quantity × unit price × (100 − discount)/100, rounded half-up (half away from
// zero) to the fen. The product is computed exactly in integers before the one rounding; ok is
// false when the total is beyond the largest amount.
func LineTotal(q Quantity, price Amount, discount Percent) (total Amount, ok bool) {
	// units: q in 1e-4, price in 1e-2 yuan, (10000 - d) in 1e-4 of the whole: the product is in
	// 1e-10 yuan = 1e-8 fen.
	n := new(big.Int).Mul(big.NewInt(q.units), big.NewInt(price.fen))
	n.Mul(n, big.NewInt(10_000-discount.hundredths))
	q2, ok := roundDiv(n, big.NewInt(100_000_000))
	total = Amount{q2}
	return total, ok && total.InRange()
}

// Percentage is amount × p/100 rounded half-up to the fen (a weighted amount: amount × win
// probability).
func Percentage(a Amount, p Percent) Amount {
	n := new(big.Int).Mul(big.NewInt(a.fen), big.NewInt(p.hundredths))
	q, _ := roundDiv(n, big.NewInt(10_000)) // |a| ≤ 10^14 fen, p ≤ 10^4: always in range
	return Amount{q}
}

// WholePercent is a percentage of whole points (a stage's win probability, 0 to 100).
func WholePercent(n int) Percent { return Percent{int64(n) * 100} }

// roundDiv is n/d rounded half away from zero; d > 0. ok is false when it does not fit an int64.
func roundDiv(n, d *big.Int) (int64, bool) {
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	twice := new(big.Int).Abs(r)
	twice.Lsh(twice, 1)
	if twice.Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64(), q.IsInt64()
}

// Sum adds amounts.
func Sum(as ...Amount) Amount {
	var t Amount
	for _, a := range as {
		t = t.Add(a)
	}
	return t
}
