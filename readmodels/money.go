package readmodels

import (
	"database/sql/driver"
	"fmt"
	"strconv"

	"github.com/chronicle-crm/chronicle/domain/money"
)

// Money columns are exact on both engines: the {money} DDL marker is NUMERIC(17,2) on PostgreSQL
// and INTEGER (fen) on SQLite, MoneyArg passes an amount as each expects, and Money scans either
// (and their SUMs: numeric text, or an integer). Never a float.

// MoneyArg is an amount as an argument of the dialect's money column.
func MoneyArg(d Dialect, a money.Amount) any {
	if d.Name() == "postgres" {
		return a.String()
	}
	return a.Fen()
}

// Money scans a money column or a sum of one; NULL (the SUM of no rows) is zero.
type Money struct{ A money.Amount }

// Scan implements sql.Scanner.
func (m *Money) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		m.A = money.Amount{}
	case int64:
		m.A = money.Fen(v)
	case []byte:
		return m.parse(string(v))
	case string:
		return m.parse(v)
	default:
		return fmt.Errorf("money: cannot scan %T", src)
	}
	return nil
}

// parse reads numeric text: "12.5", "12.50", "-3" (PostgreSQL prints a column's scale; sums keep it).
func (m *Money) parse(s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil { // a SQLite driver may hand integers as text
		m.A = money.Fen(n)
		return nil
	}
	a, err := money.ParseTotal("money", s)
	if err != nil {
		return fmt.Errorf("money: %q: %w", s, err)
	}
	m.A = a
	return nil
}

// Value implements driver.Valuer for tests that pass a scanned amount back.
func (m Money) Value() (driver.Value, error) { return m.A.String(), nil }

// MoneyCol is a NOT NULL money column holding canonical decimal text in the row.
func MoneyCol[R any](name string, f func(*R) *string) Col[R] {
	return Col[R]{Name: name, Type: "{money} NOT NULL",
		Arg: func(d Dialect, r *R) any {
			a, _ := money.ParseAmount(name, *f(r))
			return MoneyArg(d, a)
		},
		Read: func() (any, func(*R)) {
			var m Money
			return &m, func(r *R) { *f(r) = m.A.String() }
		}}
}

// OptMoneyCol is a nullable money column (an amount that may be absent: nil).
func OptMoneyCol[R any](name string, f func(*R) **string) Col[R] {
	return Col[R]{Name: name, Type: "{money}",
		Arg: func(d Dialect, r *R) any {
			s := *f(r)
			if s == nil {
				return nil
			}
			a, err := money.ParseAmount(name, *s)
			if err != nil {
				return nil
			}
			return MoneyArg(d, a)
		},
		Read: func() (any, func(*R)) {
			var m OptMoney
			return &m, func(r *R) {
				*f(r) = nil
				if m.Valid {
					v := m.A.String()
					*f(r) = &v
				}
			}
		}}
}

// OptMoney scans a nullable money column; Valid is false for NULL.
type OptMoney struct {
	Money
	Valid bool
}

// Scan implements sql.Scanner.
func (o *OptMoney) Scan(src any) error {
	o.Valid = src != nil
	return o.Money.Scan(src)
}
