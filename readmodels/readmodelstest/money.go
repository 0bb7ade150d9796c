package readmodelstest

import (
	"math/rand/v2"

	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/readmodels"
)

type moneyRow struct {
	Key    string
	Amount string
}

var moneyTable = readmodels.Cols([]readmodels.Col[moneyRow]{
	readmodels.TextCol("k", func(r *moneyRow) *string { return &r.Key }),
	readmodels.MoneyCol("amount", func(r *moneyRow) *string { return &r.Amount }),
})

// testMoney: amounts keep every fen through a money column, its SUM and range filters, on the
// largest and smallest values, with no float anywhere.
func testMoney(e *env) {
	t := e.name("money")
	e.ddl(moneyTable.Create(t))
	values := []string{"0.00", "0.01", "0.10", "999999999999.99", "-999999999999.99", "12345678901.23", "0.07", "100.00"}
	r := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 40; i++ {
		values = append(values, money.Fen(r.Int64N(10_000_000_000_000)).String())
	}
	sum := money.Amount{}
	for i, v := range values {
		row := moneyRow{Key: string(rune('a'+i%26)) + v, Amount: v}
		e.exec(`INSERT INTO `+t+` (`+moneyTable.Insert()+`) VALUES (?, ?)`, moneyTable.Args(e.d(), &row)...)
		a, _ := money.ParseAmount("v", v)
		sum = sum.Add(a)
	}
	rows, err := e.db.SQL.QueryContext(e.ctx, e.db.Q(`SELECT `+moneyTable.Select()+` FROM `+t+` ORDER BY amount, k`))
	if err != nil {
		e.Fatal(err)
	}
	var got []string
	for rows.Next() {
		row, err := moneyTable.Scan(rows)
		if err != nil {
			e.Fatal(err)
		}
		got = append(got, row.Amount)
	}
	rows.Close()
	if len(got) != len(values) || got[0] != "-999999999999.99" || got[len(got)-1] != "999999999999.99" {
		e.Fatalf("amounts read back in order: %v", got)
	}
	for _, v := range values {
		found := false
		for _, g := range got {
			found = found || g == v
		}
		if !found {
			e.Fatalf("%s did not come back exactly: %v", v, got)
		}
	}
	var s readmodels.Money
	if err := e.db.SQL.QueryRowContext(e.ctx, e.db.Q(`SELECT SUM(amount) FROM `+t)).Scan(&s); err != nil {
		e.Fatal(err)
	}
	if s.A != sum {
		e.Fatalf("SUM = %s; want %s", s.A, sum)
	}
	var n int
	a, _ := money.ParseAmount("v", "0.10")
	if err := e.db.SQL.QueryRowContext(e.ctx, e.db.Q(`SELECT count(*) FROM `+t+` WHERE amount >= ? AND amount < ?`),
		readmodels.MoneyArg(e.d(), money.Fen(7)), readmodels.MoneyArg(e.d(), a.Add(money.Fen(1)))).Scan(&n); err != nil {
		e.Fatal(err)
	}
	if n != 2 { // 0.07 and 0.10
		e.Fatalf("amounts in [0.07, 0.11): %d; want 2", n)
	}
	var empty readmodels.Money
	if err := e.db.SQL.QueryRowContext(e.ctx, e.db.Q(`SELECT SUM(amount) FROM `+t+` WHERE k = ?`), "none").Scan(&empty); err != nil || !empty.A.IsZero() {
		e.Fatalf("SUM of no rows: %v, %v", empty.A, err)
	}
}
