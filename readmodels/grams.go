package readmodels

import (
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// Short needles (one or two characters: 王, 王伟) have no trigram to look up, so the search
// index also holds every one- and two-character gram of the search text. A gram never spans the
// field separator (\x1f), so a row has a gram exactly when its search text contains that
// substring: a gram lookup is as exact as a substring scan (and the search conditions still
// confirm the substring).

// Separator divides the fields of a search text.
const Separator = "\x1f"

// ShortNeedle reports whether needle is searched by gram (one or two characters).
func ShortNeedle(needle string) bool { return utf8.RuneCountInString(needle) <= 2 }

// Grams returns the distinct one- and two-character grams of s, leaving out those that hold
// the separator, in first-seen order.
func Grams(s string) []string {
	seen := make(map[string]struct{}, 2*len(s))
	var out []string
	add := func(g string) {
		if _, ok := seen[g]; !ok && !strings.Contains(g, Separator) {
			seen[g] = struct{}{}
			out = append(out, g)
		}
	}
	prev := -1 // byte offset of the previous rune
	for i, r := range s {
		if r == utf8.RuneError {
			prev = -1
			continue
		}
		add(s[i : i+utf8.RuneLen(r)])
		if prev >= 0 {
			add(s[prev : i+utf8.RuneLen(r)])
		}
		prev = i
	}
	return out
}

// GramToken is a gram as a full-text token: "g" and the hex of its bytes, so that no tokenizer
// splits, folds or drops it.
func GramToken(g string) string { return "g" + hex.EncodeToString([]byte(g)) }

// GramTokens is the text of the grams of s as space-separated tokens (SQLite's gram index).
func GramTokens(s string) string {
	grams := Grams(s)
	var b strings.Builder
	b.Grow(len(grams) * 10)
	for i, g := range grams {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(GramToken(g))
	}
	return b.String()
}
