package tabular

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// headerKey normalises a header for comparison.
func headerKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == 0x3000 {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// CleanCell trims a cell and removes the apostrophe an export put before formula-like text (see
// defuseFormula). Text that really starts with an apostrophe and one of = + - @ therefore loses
// the apostrophe on import.
func CleanCell(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(v[1])) {
		v = strings.TrimSpace(v[1:])
	}
	return v
}

// columnName is a spreadsheet's name of the column at index i (0: A, 26: AA).
func columnName(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

// labels map stable codes to the Chinese labels users write; the first label is the one exports
// write.
type labels struct {
	codes  []string
	byCode map[string][]string
	lookup map[string]string
}

func newLabels(pairs ...[]string) labels {
	l := labels{byCode: map[string][]string{}, lookup: map[string]string{}}
	for _, p := range pairs {
		code := p[0]
		l.codes = append(l.codes, code)
		l.byCode[code] = p[1:]
		l.lookup[headerKey(code)] = code
		for _, lab := range p[1:] {
			l.lookup[headerKey(lab)] = code
		}
	}
	return l
}

// code returns the code of a label or code; anything else is returned as it is, for the domain
// to reject with its list of allowed values.
func (l labels) code(v string) string {
	if c, ok := l.lookup[headerKey(v)]; ok {
		return c
	}
	return v
}

// label is the Chinese label of a code (the code itself when it has none).
func (l labels) label(code string) string {
	if ls := l.byCode[code]; len(ls) > 0 {
		return ls[0]
	}
	return code
}

var (
	natureLabels = newLabels([]string{"foreign", "外资", "外资企业", "外商独资"}, []string{"joint_venture", "合资", "合资企业", "中外合资"},
		[]string{"state_owned", "国有", "国企", "国有企业"}, []string{"collective", "集体", "集体企业"},
		[]string{"private", "私营", "民营", "私营企业", "民营企业", "私企"}, []string{"other", "其他", "其它"})
	typeLabels = newLabels([]string{"manufacturer", "生产商", "制造商", "厂商", "生产型"}, []string{"trading", "贸易商", "贸易", "贸易型"},
		[]string{"service", "服务商", "服务", "服务型"}, []string{"other", "其他", "其它"})
	sizeLabels  = newLabels([]string{"large", "大型", "大"}, []string{"medium", "中型", "中"}, []string{"small", "小型", "小"})
	classLabels = newLabels([]string{"old_customer", "老客户"}, []string{"target", "目标客户"}, []string{"potential", "潜在客户"},
		[]string{"partner", "合作伙伴"}, []string{"blacklist", "黑名单"}, []string{"competitor", "竞争对手"})
	customerStatusLabels = newLabels([]string{"potential", "潜在", "潜在客户"}, []string{"cooperating", "合作中", "合作"},
		[]string{"closed_deal", "已成交", "成交"})
	leadStatusLabels = newLabels([]string{"new", "新线索"}, []string{"following", "跟进中"}, []string{"invalid", "无效"},
		[]string{"converted", "已转化"})
	genderLabels = newLabels([]string{"male", "男", "m"}, []string{"female", "女", "f"}, []string{"other", "其他", "其它"})
)

// Zone: naive dates and times in files are China Standard Time (UTC+8), the product's home zone.
var Zone = time.FixedZone("UTC+8", 8*3600)

var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006-01-02T15:04:05",
	"2006-1-2", "2006/1/2", "2006.1.2", "2006年1月2日", "20060102"}

// parseCellTime reads RFC 3339, common date and time layouts (UTC+8) and Excel serial dates.
func parseCellTime(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, v, Zone); err == nil {
			return t.UTC(), nil
		}
	}
	// Excel stores dates as days since 1899-12-30 (fraction: time of day).
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 1 && f < 2958466 {
		days, frac := math.Modf(f)
		t := time.Date(1899, 12, 30, 0, 0, 0, 0, Zone).AddDate(0, 0, int(days)).Add(time.Duration(math.Round(frac*86400)) * time.Second)
		return t.UTC(), nil
	}
	return time.Time{}, field.Errorf(name, "is not a date or time: %q (use 2026-12-01 or 2026-12-01 09:30)", v)
}

func parseCellDate(name, v string) (string, error) {
	t, err := parseCellTime(name, v)
	if err != nil {
		return "", err
	}
	return t.In(Zone).Format("2006-01-02"), nil
}

// parseRating reads a whole number (or stars: ★★★★); the domain checks the range.
func parseRating(name, v string) (int, error) {
	if strings.Trim(v, "★") == "" {
		return strings.Count(v, "★"), nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 100 {
		return int(f), nil
	}
	return 0, field.Errorf(name, "must be a whole number from 1 to 5, got %q", v)
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(Zone).Format("2006-01-02 15:04:05")
}

func fmtRating(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}
