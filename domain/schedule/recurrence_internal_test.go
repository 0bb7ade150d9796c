package schedule

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestSkippingToTheWindowLosesNothing: a walk that jumps to the period before the window (rules
// without COUNT) yields in the window exactly what a walk from the first occurrence yields, for
// every frequency, interval, BYDAY/BYMONTHDAY form and UNTIL, and windows far from the start.
func TestSkippingToTheWindowLosesNothing(t *testing.T) {
	rules := []string{"FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY", "FREQ=WEEKLY;BYDAY=MO,FR;INTERVAL=2",
		"FREQ=WEEKLY;BYDAY=SU,SA,WE", "FREQ=MONTHLY", "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY;BYMONTHDAY=-1;INTERVAL=2",
		"FREQ=MONTHLY;BYDAY=-1FR;INTERVAL=5", "FREQ=MONTHLY;BYDAY=2TU", "FREQ=MONTHLY;INTERVAL=7;UNTIL=20311231", "FREQ=YEARLY",
		"FREQ=YEARLY;INTERVAL=3", "FREQ=DAILY;UNTIL=20290101", "FREQ=DAILY;COUNT=40", "FREQ=MONTHLY;COUNT=30"}
	rnd := rand.New(rand.NewPCG(7, 11))
	for i := range 3000 {
		text := rules[rnd.IntN(len(rules))]
		r, err := ParseRule(text)
		if err != nil {
			t.Fatal(err)
		}
		first := time.Date(2020, 1, 1, 0, 0, 0, 0, Zone).Add(time.Duration(rnd.IntN(6*365*48)) * 30 * time.Minute)
		from := first.Add(time.Duration(rnd.IntN(4000*24)-48) * time.Hour)
		to := from.Add(time.Duration(1+rnd.IntN(90*24)) * time.Hour)
		in := func(skipTo time.Time) []time.Time {
			var out []time.Time
			r.starts(first, skipTo, func(s time.Time) bool {
				if !s.Before(to) {
					return false
				}
				if !s.Before(from) {
					out = append(out, s)
				}
				return true
			})
			return out
		}
		if whole, skipped := in(first), in(from); !slices.EqualFunc(whole, skipped, time.Time.Equal) {
			t.Fatalf("case %d: %s from %v, window %v–%v: walked whole %v, skipping %v", i, text, first, from, to, whole, skipped)
		}
	}
}
