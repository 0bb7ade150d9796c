package customer

import (
	"strings"
	"unicode"
)

// companySuffixes are dropped from the end of a normalised company name (longest first).
var companySuffixes = []string{"股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "分公司", "集团", "公司",
	"corporation", "company", "limited", "coltd", "corp", "ltd", "inc", "co"}

// NormalizeName reduces a company name to what decides whether two names mean the same company:
// full-width characters become half-width, case and punctuation and spaces go, and common legal
// suffixes (有限公司, Co., Ltd. …) are dropped. "北京星河科技有限公司" and "北京星河科技 (有限公司)"
// normalise alike.
func NormalizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 0x3000:
			continue // ideographic space
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0 // full-width ASCII to half-width
		}
		if unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	out := b.String()
	for changed := true; changed; {
		changed = false
		for _, suf := range companySuffixes {
			if len(out) > len(suf) && strings.HasSuffix(out, suf) {
				out, changed = strings.TrimSuffix(out, suf), true
				break
			}
		}
	}
	return out
}
