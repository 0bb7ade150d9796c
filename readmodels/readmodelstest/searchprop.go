package readmodelstest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// testSearchProperty: over random Chinese text (a small alphabet, so grams repeat as names do),
// with digits, Latin letters and the field separator, every needle of one to four characters -
// cut from the texts or made up - finds exactly the rows whose text contains it, as a substring
// scan does; also after updates and deletes.
func testSearchProperty(e *env) {
	rng := rand.New(rand.NewPCG(20261129, 1))
	alphabet := []rune("王伟李娜张敏刘强陈静杨军黄勇赵磊周洋吴艳星河科技有限公司北京上海深圳贸易电子0123456789abc")
	text := func() string {
		var b strings.Builder
		for f := range 1 + rng.IntN(3) {
			if f > 0 {
				b.WriteString("\x1f")
			}
			for range 1 + rng.IntN(8) {
				b.WriteRune(alphabet[rng.IntN(len(alphabet))])
			}
		}
		return b.String()
	}
	t := e.name("searchprop")
	e.ddl(`CREATE TABLE ` + t + ` (id TEXT PRIMARY KEY, search TEXT NOT NULL)`)
	e.ddl(e.d().SearchIndex(t)...)
	docs := map[string]string{}
	for i := range 300 {
		id := fmt.Sprintf("r%03d", i)
		docs[id] = text()
		e.exec(`INSERT INTO `+t+` (id, search) VALUES (?, ?)`, id, docs[id])
	}
	needles := func() []string {
		var out []string
		for range 150 {
			n := 1 + rng.IntN(4)
			if rng.IntN(3) == 0 { // made up: often absent
				var b strings.Builder
				for range n {
					b.WriteRune(alphabet[rng.IntN(len(alphabet))])
				}
				out = append(out, b.String())
				continue
			}
			src := []rune(docs[fmt.Sprintf("r%03d", rng.IntN(300))])
			if len(src) < n {
				continue
			}
			at := rng.IntN(len(src) - n + 1)
			if s := string(src[at : at+n]); !strings.Contains(s, "\x1f") {
				out = append(out, s)
			}
		}
		return out
	}
	check := func(when string) {
		e.Helper()
		short := 0
		for _, needle := range needles() {
			var want []string
			for id, s := range docs {
				if strings.Contains(s, needle) {
					want = append(want, id)
				}
			}
			cond, args := e.d().SearchCondition(t, needle)
			got := e.strings(`SELECT id FROM `+t+` WHERE `+cond, args...)
			if !slices.Equal(sorted(got), sorted(want)) {
				e.Errorf("%s: %q finds %d rows, a substring scan %d", when, needle, len(got), len(want))
			}
			if len([]rune(needle)) <= 2 && len(want) > 0 {
				short++
			}
		}
		if short < 20 {
			e.Errorf("%s: only %d short needles with matches: the property is barely tested", when, short)
		}
	}
	check("after insert")
	// A short needle reads the gram index (on PostgreSQL with sequential scans priced out: the
	// table is small).
	for _, needle := range []string{"王伟", "星"} {
		cond, args := e.d().SearchCondition(t, needle)
		if plan := e.explain(`SELECT id FROM `+t+` WHERE `+cond, args...); !strings.Contains(plan, t+"_grams") {
			e.Errorf("%q does not use the gram index:\n%s", needle, plan)
		}
	}
	for i := range 100 {
		id := fmt.Sprintf("r%03d", rng.IntN(300))
		if _, ok := docs[id]; !ok {
			continue
		}
		if i%3 == 0 {
			e.exec(`DELETE FROM `+t+` WHERE id = ?`, id)
			delete(docs, id)
			continue
		}
		docs[id] = text()
		e.exec(`UPDATE `+t+` SET search = ? WHERE id = ?`, docs[id], id)
	}
	check("after updates and deletes")
}
