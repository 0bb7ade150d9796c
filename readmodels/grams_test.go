package readmodels

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGrams(t *testing.T) {
	got := Grams("王伟王伟\x1fab")
	want := []string{"王", "伟", "王伟", "伟王", "a", "b", "ab"}
	if !slices.Equal(got, want) {
		t.Fatalf("Grams = %q, want %q", got, want)
	}
	if tok := GramTokens("王a"); tok != "ge78e8b g61 ge78e8b61" {
		t.Fatalf("GramTokens = %q", tok)
	}
}

// FuzzGrams: in valid UTF-8 (what search texts are), a needle of one or two characters is among the grams of s exactly when s holds it
// and it does not hold the separator.
func FuzzGrams(f *testing.F) {
	f.Add("北京星河科技\x1f138", "星河")
	f.Add("ab", "b")
	f.Fuzz(func(t *testing.T, s, needle string) {
		if !ShortNeedle(needle) || needle == "" || !utf8.ValidString(s+needle) || strings.ContainsRune(s+needle, utf8.RuneError) {
			return
		}
		has := slices.Contains(Grams(s), needle)
		if want := strings.Contains(s, needle) && !strings.Contains(needle, Separator); has != want {
			t.Fatalf("Grams(%q) has %q: %v, substring: %v", s, needle, has, want)
		}
	})
}
