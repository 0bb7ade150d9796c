package money

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/chronicle-crm/chronicle/domain/field"
)

func TestParseAmount(t *testing.T) {
	ok := map[string]string{
		"0": "0.00", "12": "12.00", "12.5": "12.50", "12.05": "12.05", "-0.30": "-0.30", "007.10": "7.10",
		"999999999999.99": "999999999999.99", "0.01": "0.01", "-999999999999.99": "-999999999999.99",
	}
	for in, want := range ok {
		a, err := ParseAmount("amount", in)
		if err != nil || a.String() != want {
			t.Errorf("ParseAmount(%q) = %v, %v; want %s", in, a, err, want)
		}
	}
	bad := map[string]string{
		"": CodeNotDecimal, "1e3": CodeNotDecimal, "abc": CodeNotDecimal, "1,000": CodeNotDecimal, ".5": CodeNotDecimal,
		"5.": CodeNotDecimal, " 5": CodeNotDecimal, "5 ": CodeNotDecimal, "+5": CodeNotDecimal, "--5": CodeNotDecimal,
		"1.2.3": CodeNotDecimal, "NaN": CodeNotDecimal, "Infinity": CodeNotDecimal, "0x10": CodeNotDecimal, "１２": CodeNotDecimal,
		"1.234": CodeTooManyDecimals, "0.001": CodeTooManyDecimals,
		"1000000000000": CodeOutOfRange, "99999999999999999999999": CodeOutOfRange, "1000000000000.00": CodeOutOfRange,
		"9223372036854775807": CodeOutOfRange, "-1000000000000": CodeOutOfRange,
	}
	for in, code := range bad {
		_, err := ParseAmount("amount", in)
		var fe *field.Error
		if !errors.As(err, &fe) || fe.Code != code || fe.Field != "amount" {
			t.Errorf("ParseAmount(%q) = %v; want a field error %s on amount", in, err, code)
		}
	}
	if _, err := NonNegativeAmount("amount", "-0.01"); err == nil {
		t.Error("NonNegativeAmount accepted -0.01")
	}
	if a, err := NonNegativeAmount("amount", "-0"); err != nil || a.String() != "0.00" {
		t.Errorf("-0 = %v, %v", a, err)
	}
}

func TestParseQuantityAndPercent(t *testing.T) {
	for in, want := range map[string]string{"2": "2", "1.5": "1.5", "0.0125": "0.0125", "10.5000": "10.5", "99999999.9999": "99999999.9999"} {
		q, err := ParseQuantity("quantity", in)
		if err != nil || q.String() != want {
			t.Errorf("ParseQuantity(%q) = %v, %v; want %s", in, q, err, want)
		}
	}
	for in, code := range map[string]string{"-1": CodeNegative, "0.00001": CodeTooManyDecimals, "100000000": CodeOutOfRange} {
		var fe *field.Error
		if _, err := ParseQuantity("quantity", in); !errors.As(err, &fe) || fe.Code != code {
			t.Errorf("ParseQuantity(%q) = %v; want %s", in, err, code)
		}
	}
	for in, want := range map[string]string{"0": "0", "12.5": "12.5", "100": "100", "99.99": "99.99"} {
		p, err := ParsePercent("discount", in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePercent(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for in, code := range map[string]string{"100.01": CodeOutOfRange, "-1": CodeNegative, "101": CodeOutOfRange, "1.001": CodeTooManyDecimals} {
		var fe *field.Error
		if _, err := ParsePercent("discount", in); !errors.As(err, &fe) || fe.Code != code {
			t.Errorf("ParsePercent(%q) = %v; want %s", in, err, code)
		}
	}
}

func TestLineTotalRoundsHalfUp(t *testing.T) {
	cases := []struct{ q, price, disc, want string }{
		{"1", "10.00", "0", "10.00"},
		{"3", "33.33", "0", "99.99"},
		{"1", "0.05", "50", "0.03"},       // 0.025 → 0.03 (half up)
		{"1", "0.01", "50", "0.01"},       // 0.005 → 0.01
		{"1", "0.01", "50.01", "0.00"},    // 0.004999 → 0.00
		{"2.5", "19.99", "12.5", "43.73"}, // 43.728125
		{"0.0001", "0.01", "0", "0.00"},
		{"99999999.9999", "9999.99", "0", "999998999999.00"},
		{"7", "100", "100", "0.00"},
	}
	for _, c := range cases {
		q, _ := ParseQuantity("q", c.q)
		p, _ := ParseAmount("p", c.price)
		d, _ := ParsePercent("d", c.disc)
		got, ok := LineTotal(q, p, d)
		if !ok || got.String() != c.want {
			t.Errorf("LineTotal(%s × %s − %s%%) = %s, %v; want %s", c.q, c.price, c.disc, got, ok, c.want)
		}
	}
	q, _ := ParseQuantity("q", "99999999")
	p, _ := ParseAmount("p", "999999999999.99")
	if _, ok := LineTotal(q, p, Percent{}); ok {
		t.Error("a line total beyond the largest amount was accepted")
	}
	if got := Percentage(Fen(12345), WholePercent(30)); got.String() != "37.04" { // 37.035
		t.Errorf("30%% of 123.45 = %s; want 37.04", got)
	}
}

// TestLineTotalsAgainstADecimalReference checks random lines and their sums against exact
// rational arithmetic (math/big.Rat) rounded half-up, as the property the sales issue asks for.
func TestLineTotalsAgainstADecimalReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	dec := func(maxUnits int64, places int) string {
		u := r.Int64N(maxUnits + 1)
		s := strconv.FormatInt(u, 10)
		for len(s) <= places {
			s = "0" + s
		}
		if places == 0 {
			return s
		}
		return s[:len(s)-places] + "." + s[len(s)-places:]
	}
	half := big.NewRat(1, 2)
	for i := 0; i < 20000; i++ {
		lines := 1 + r.IntN(8)
		var sum Amount
		ref := new(big.Rat)
		for j := 0; j < lines; j++ {
			qs, ps, ds := dec(10_000_000, 4), dec(100_000_000, 2), dec(10_000, 2)
			q, err1 := ParseQuantity("q", qs)
			p, err2 := ParseAmount("p", ps)
			d, err3 := ParsePercent("d", ds)
			if err1 != nil || err2 != nil || err3 != nil {
				t.Fatalf("parse %s %s %s: %v %v %v", qs, ps, ds, err1, err2, err3)
			}
			got, ok := LineTotal(q, p, d)
			if !ok {
				t.Fatalf("line %s × %s − %s%% out of range", qs, ps, ds)
			}
			// reference: q × p × (100 − d) / 100, rounded half-up to 0.01
			rq, _ := new(big.Rat).SetString(qs)
			rp, _ := new(big.Rat).SetString(ps)
			rd, _ := new(big.Rat).SetString(ds)
			x := new(big.Rat).Mul(rq, rp)
			x.Mul(x, new(big.Rat).Sub(big.NewRat(100, 1), rd))
			x.Quo(x, big.NewRat(100, 1))
			cents := new(big.Rat).Mul(x, big.NewRat(100, 1))
			cents.Add(cents, half)
			want := new(big.Int).Quo(cents.Num(), cents.Denom()) // floor for non-negative values
			if got.Fen() != want.Int64() {
				t.Fatalf("LineTotal(%s, %s, %s) = %s; reference %d fen", qs, ps, ds, got, want)
			}
			sum = sum.Add(got)
			ref.Add(ref, new(big.Rat).SetInt(want))
		}
		if !ref.IsInt() || sum.Fen() != ref.Num().Int64() {
			t.Fatalf("sum %s; reference %s fen", sum, ref)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "12.50", "-1", "1e3", "999999999999.99", "1.234", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount("a", s)
		if err != nil {
			return
		}
		// an accepted amount prints as a value that parses back to itself
		b, err := ParseAmount("a", a.String())
		if err != nil || b != a {
			t.Fatalf("%q → %s → %v, %v", s, a, b, err)
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok || r.Cmp(new(big.Rat).SetFrac64(a.Fen(), 100)) != 0 {
			t.Fatalf("%q read as %s", s, a)
		}
	})
}
