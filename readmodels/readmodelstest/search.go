package readmodelstest

import (
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// testSearch: the search index finds substrings of one, two and three or more characters
// (Chinese and phone digits), nothing that is absent, and treats LIKE wildcards as text.
func testSearch(e *env) {
	t := e.name("search")
	create := func() {
		e.ddl(`CREATE TABLE ` + t + ` (id TEXT PRIMARY KEY, search TEXT NOT NULL)`)
		e.ddl(e.d().SearchIndex(t)...)
	}
	create()
	docs := map[string]string{
		"bj":    "北京星河科技有限公司\x1f010-8888 6666\x1f01088886666",
		"sh":    "上海王伟贸易",
		"ww":    "王伟\x1f138 0013 8000\x1f13800138000",
		"pct":   "折扣100%",
		"x":     "折扣100x",
		"under": "a_b",
		"axb":   "axb",
		"path":  `c:\dir`,
		"cdir":  "cxdir",
	}
	for id, s := range docs {
		e.exec(`INSERT INTO `+t+` (id, search) VALUES (?, ?)`, id, s)
	}
	find := func(needle string) []string {
		cond, args := e.d().SearchCondition(t, needle)
		return sorted(e.strings(`SELECT id FROM `+t+` WHERE `+cond, args...))
	}
	cases := []struct {
		needle string
		want   []string
	}{
		{"星", []string{"bj"}},
		{"王", []string{"sh", "ww"}},
		{"王伟", []string{"sh", "ww"}},
		{"伟贸", []string{"sh"}},
		{"王伟贸", []string{"sh"}},
		{"星河科技", []string{"bj"}},
		{"有限公司", []string{"bj"}},
		{"上海王伟贸易", []string{"sh"}},
		{"北京星河科技有限公司", []string{"bj"}},
		{"广", nil},
		{"广州", nil},
		{"王伟伟", nil},
		{"星河集团", nil},
		{"138", []string{"ww"}},
		{"0013800", []string{"ww"}},
		{"13800138000", []string{"ww"}},
		{"8888", []string{"bj"}},
		{"13900", nil},
		{"%", []string{"pct"}},
		{"0%", []string{"pct"}},
		{"00%", []string{"pct"}},
		{"扣100%", []string{"pct"}},
		{"_", []string{"under"}},
		{"a_", []string{"under"}},
		{"a_b", []string{"under"}},
		{`\`, []string{"path"}},
		{`:\d`, []string{"path"}},
		{`\dir`, []string{"path"}},
		{`"`, nil},
		{`"王伟"`, nil},
	}
	check := func(when string) {
		for _, c := range cases {
			if got, want := find(c.needle), sorted(c.want); !reflect.DeepEqual(got, want) {
				e.Errorf("%s: search %q found %v, want %v", when, c.needle, got, want)
			}
		}
	}
	check("after insert")

	// LikeEscape makes the wildcards literal in a plain LIKE too.
	for needle, want := range map[string][]string{"0%": {"pct"}, "a_b": {"under"}, "_": {"under"}, `:\d`: {"path"}} {
		got := sorted(e.strings(`SELECT id FROM `+t+` WHERE search LIKE ? ESCAPE '\'`, "%"+readmodels.LikeEscape(needle)+"%"))
		if !reflect.DeepEqual(got, sorted(want)) {
			e.Errorf("LIKE %%%s%% (escaped): %v, want %v", needle, got, want)
		}
	}

	// The index follows updates and deletes.
	e.exec(`UPDATE `+t+` SET search = ? WHERE id = ?`, "广州王伟电子", "sh")
	e.exec(`DELETE FROM `+t+` WHERE id = ?`, "bj")
	delete(docs, "bj")
	for i := range cases {
		c := &cases[i]
		var w []string
		for _, id := range c.want {
			if id != "bj" && id != "sh" {
				w = append(w, id)
			}
		}
		if strings.Contains("广州王伟电子", c.needle) {
			w = append(w, "sh")
		}
		c.want = w
	}
	cases = append(cases, struct {
		needle string
		want   []string
	}{"州王伟电", []string{"sh"}})
	check("after update and delete")

	// Dropping the index and the table lets a rebuild create them again under the same name.
	e.ddl(e.d().DropSearchIndex(t)...)
	e.ddl(`DROP TABLE ` + t)
	create()
	e.exec(`INSERT INTO `+t+` (id, search) VALUES (?, ?)`, "new", "深圳市南山区腾飞大厦")
	for needle, want := range map[string][]string{"南山": {"new"}, "南山区腾飞": {"new"}, "王伟": {}} {
		if got := find(needle); !reflect.DeepEqual(got, sorted(want)) {
			e.Errorf("after rebuild: search %q found %v, want %v", needle, got, want)
		}
	}
}

// testCustom: custom field values in a JSON text column, by kind; multi-option membership; and
// substring conditions.
func testCustom(e *env) {
	t := e.name("custom")
	e.ddl(`CREATE TABLE ` + t + ` (id TEXT PRIMARY KEY, fields TEXT NOT NULL)`)
	type want struct {
		text   *string
		number *float64
	}
	rows := []struct {
		id, fields string
		v          want // of key "v"
	}{
		{"str", `{"custom":{"v":"北京 Beijing","tags":["重要客户","vip"]}}`, want{text: ptr("北京 Beijing")}},
		{"numstr", `{"custom":{"v":"12","tags":"vip"}}`, want{text: ptr("12")}},
		{"int", `{"custom":{"v":3,"tags":[1,"1"]}}`, want{number: ptr(3.0)}},
		{"real", `{"custom":{"v":12.5,"tags":[1]}}`, want{number: ptr(12.5)}},
		{"neg", `{"custom":{"v":-7,"tags":[]}}`, want{number: ptr(-7.0)}},
		{"bool", `{"custom":{"v":true,"tags":{"vip":true}}}`, want{}},
		{"null", `{"custom":{"v":null,"tags":null}}`, want{}},
		{"array", `{"custom":{"v":["北京"],"tags":[["vip"]]}}`, want{}},
		{"object", `{"custom":{"v":{"a":"北京"},"tags":[{"vip":"vip"}]}}`, want{}},
		{"absent", `{"custom":{"w":"北京","tag":["vip"]}}`, want{}},
		{"nocustom", `{"v":"北京","tags":["vip"]}`, want{}},
		{"scalarcustom", `{"custom":"vip"}`, want{}},
		{"empty", `{}`, want{}},
	}
	for _, r := range rows {
		e.exec(`INSERT INTO `+t+` (id, fields) VALUES (?, ?)`, r.id, r.fields)
	}
	d := e.d()
	for _, r := range rows {
		var text sql.NullString
		var num sql.NullFloat64
		q := `SELECT ` + d.CustomValue("fields", "v", "text") + `, ` + d.CustomValue("fields", "v", "number") + ` FROM ` + t + ` WHERE id = ?`
		if err := e.db.SQL.QueryRowContext(e.ctx, e.db.Q(q), r.id).Scan(&text, &num); err != nil {
			e.Fatalf("custom values of %s: %v", r.id, err)
		}
		if (r.v.text == nil) == text.Valid || (text.Valid && text.String != *r.v.text) {
			e.Errorf("%s %s: text value %v, want %v", r.id, r.fields, show(text.Valid, text.String), showp(r.v.text))
		}
		if (r.v.number == nil) == num.Valid || (num.Valid && math.Abs(num.Float64-*r.v.number) > 1e-9) {
			e.Errorf("%s %s: number value %v, want %v", r.id, r.fields, show(num.Valid, num.Float64), showp(r.v.number))
		}
	}
	query := func(cond string, args ...any) []string {
		return sorted(e.strings(`SELECT id FROM `+t+` WHERE `+cond, args...))
	}
	conds := []struct {
		name, cond string
		args       []any
		want       []string
	}{
		{"number >= 3", d.CustomValue("fields", "v", "number") + ` >= ?`, []any{3.0}, []string{"int", "real"}},
		{"number <= 3", d.CustomValue("fields", "v", "number") + ` <= ?`, []any{3.0}, []string{"int", "neg"}},
		{"number IN (12.5, 12)", d.CustomValue("fields", "v", "number") + ` IN (?, ?)`, []any{12.5, 12.0}, []string{"real"}},
		{"text IN (12, x)", d.CustomValue("fields", "v", "text") + ` IN (?, ?)`, []any{"12", "x"}, []string{"numstr"}},
		{"text contains 北京", d.Contains(d.CustomValue("fields", "v", "text")), []any{"北京"}, []string{"str"}},
		{"lower text contains beijing", d.Contains(`lower(` + d.CustomValue("fields", "v", "text") + `)`), []any{"beijing"}, []string{"str"}},
		{"text contains Beijing is case-sensitive", d.Contains(d.CustomValue("fields", "v", "text")), []any{"beijing"}, nil},
		{"has vip", d.CustomHas("fields", "tags"), []any{"vip"}, []string{"str"}},
		{"has 重要客户", d.CustomHas("fields", "tags"), []any{"重要客户"}, []string{"str"}},
		{"has 重要 (an element, not a substring)", d.CustomHas("fields", "tags"), []any{"重要"}, nil},
		{"has 1 (a string, not a number)", d.CustomHas("fields", "tags"), []any{"1"}, []string{"int"}},
		{"has absent", d.CustomHas("fields", "tags"), []any{"none"}, nil},
		{"has on a key that is not an array", d.CustomHas("fields", "v"), []any{"12"}, nil},
		{"two conditions", d.CustomHas("fields", "tags") + ` AND ` + d.CustomHas("fields", "tags"), []any{"vip", "重要客户"}, []string{"str"}},
		{"contains %", d.Contains(`fields`), []any{`%`}, nil},
		{"contains _", d.Contains(`fields`), []any{`_`}, nil},
		{"contains \"w\"", d.Contains(`fields`), []any{`"w"`}, []string{"absent"}},
	}
	for _, c := range conds {
		if got := query(c.cond, c.args...); !reflect.DeepEqual(got, sorted(c.want)) {
			e.Errorf("%s (%s): %v, want %v", c.name, c.cond, got, sorted(c.want))
		}
	}
}

func show(valid bool, v any) string {
	if !valid {
		return "NULL"
	}
	return fmt.Sprint(v)
}

func showp[T any](p *T) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprint(*p)
}
