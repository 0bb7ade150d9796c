package scheduleapi

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// sortSlots orders a permutation of indexes and moves each slot once along its cycles: the result
// must be the order a plain sort of the slots gives, for any input (ties broken by entry and
// occurrence).
func TestSortSlotsIsASort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for n := range 200 {
		s := make([]Slot, n)
		for i := range s {
			at := base.Add(time.Duration(r.IntN(20)) * time.Hour)
			s[i] = Slot{ScheduleID: ids[r.IntN(len(ids))], Occurrence: at.Add(time.Duration(r.IntN(3)) * time.Minute).Format(time.RFC3339), sortKey: at.UnixNano(),
				Title: string(rune('a' + i%26))}
		}
		want := slices.Clone(s)
		slices.SortStableFunc(want, func(a, b Slot) int {
			if c := cmp.Compare(a.sortKey, b.sortKey); c != 0 {
				return c
			}
			if c := bytes.Compare(a.ScheduleID[:], b.ScheduleID[:]); c != 0 {
				return c
			}
			return strings.Compare(a.Occurrence, b.Occurrence)
		})
		got := slices.Clone(s)
		sortSlots(got)
		for i := range got {
			// equal keys may come in either order; the keys themselves must match, and every slot
			// must still be there once
			if got[i].sortKey != want[i].sortKey || got[i].ScheduleID != want[i].ScheduleID || got[i].Occurrence != want[i].Occurrence {
				t.Fatalf("n=%d: slot %d is %+v, want %+v", n, i, got[i], want[i])
			}
		}
		titles := func(x []Slot) []string {
			var o []string
			for _, v := range x {
				o = append(o, v.Title)
			}
			slices.Sort(o)
			return o
		}
		if !slices.Equal(titles(got), titles(s)) {
			t.Fatalf("n=%d: slots lost or duplicated", n)
		}
	}
}

// A text property is escaped and holds no control character but HTAB (RFC 5545 §3.1, §3.3.11):
// a title or a description with a NUL, a vertical tab or an escape would otherwise make some
// calendar programs refuse the whole feed.
func TestICSTextProperty(t *testing.T) {
	var b icsWriter
	b.prop("SUMMARY", "拜访;客户,A\\B\r\nline2\x00\x0b\x1b\x7f\tend")
	if got, want := b.String(), "SUMMARY:拜访\\;客户\\,A\\\\B\\nline2\tend\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
