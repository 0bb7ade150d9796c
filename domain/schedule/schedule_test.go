package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/schedule"
)

var (
	owner   = uuid.MustParse("0190a000-0000-7000-8000-000000000001")
	creator = uuid.MustParse("0190a000-0000-7000-8000-000000000002")
	other   = uuid.MustParse("0190a000-0000-7000-8000-000000000003")
	created = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, schedule.Zone)
	if err != nil {
		panic(err)
	}
	return t
}

func newEntry(t *testing.T, f schedule.Fields) *schedule.Schedule {
	t.Helper()
	s, err := schedule.New(uuid.New(), f, owner, creator, created)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// starts lists the expanded occurrences' starts in Zone ("2006-01-02 15:04" or the date).
func starts(s schedule.Series, from, to time.Time) []string {
	occ, _ := s.Expand(from, to, 0)
	var out []string
	for _, o := range occ {
		if t, err := time.Parse(time.RFC3339, o.Start); err == nil {
			out = append(out, t.In(schedule.Zone).Format("2006-01-02 15:04"))
		} else {
			out = append(out, o.Start)
		}
	}
	return out
}

func timed(start string, minutes int, rule string) schedule.Fields {
	s := cst(start)
	return schedule.Fields{Title: "周会", Start: s.Format(time.RFC3339), End: s.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339), Recurrence: rule}
}

func TestRecurrenceExpansion(t *testing.T) {
	cases := []struct {
		name, start, rule string
		from, to          string
		want              string
	}{
		{"daily", "2026-12-01 09:00", "FREQ=DAILY;COUNT=3", "2026-11-01 00:00", "2027-01-01 00:00",
			"2026-12-01 09:00,2026-12-02 09:00,2026-12-03 09:00"},
		{"every other day until", "2026-12-30 09:00", "FREQ=DAILY;INTERVAL=2;UNTIL=20270105", "2026-12-01 00:00", "2027-02-01 00:00",
			"2026-12-30 09:00,2027-01-01 09:00,2027-01-03 09:00,2027-01-05 09:00"},
		{"weekly on days", "2026-12-02 14:00", "FREQ=WEEKLY;BYDAY=FR,MO,WE;COUNT=4", "2026-11-01 00:00", "2027-01-01 00:00",
			"2026-12-02 14:00,2026-12-04 14:00,2026-12-07 14:00,2026-12-09 14:00"},
		{"biweekly window far ahead", "2026-12-07 10:00", "FREQ=WEEKLY;INTERVAL=2", "2027-03-01 00:00", "2027-03-31 00:00",
			"2027-03-01 10:00,2027-03-15 10:00,2027-03-29 10:00"},
		{"monthly on the 31st skips short months", "2027-01-31 09:00", "FREQ=MONTHLY;COUNT=4", "2027-01-01 00:00", "2028-01-01 00:00",
			"2027-01-31 09:00,2027-03-31 09:00,2027-05-31 09:00,2027-07-31 09:00"},
		{"monthly last day", "2027-01-31 18:00", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", "2027-01-01 00:00", "2028-01-01 00:00",
			"2027-01-31 18:00,2027-02-28 18:00,2027-03-31 18:00"},
		{"second tuesday", "2026-12-08 09:30", "FREQ=MONTHLY;BYDAY=2TU;COUNT=3", "2026-12-01 00:00", "2028-01-01 00:00",
			"2026-12-08 09:30,2027-01-12 09:30,2027-02-09 09:30"},
		{"last friday", "2026-12-25 16:00", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "2026-12-01 00:00", "2028-01-01 00:00",
			"2026-12-25 16:00,2027-01-29 16:00,2027-02-26 16:00"},
		{"yearly on 29 February", "2028-02-29 08:00", "FREQ=YEARLY;COUNT=2", "2028-01-01 00:00", "2040-01-01 00:00",
			"2028-02-29 08:00,2032-02-29 08:00"},
		{"once", "2026-12-01 09:00", "", "2026-12-01 00:00", "2026-12-02 00:00", "2026-12-01 09:00"},
		{"window excludes", "2026-12-01 09:00", "FREQ=DAILY", "2026-12-05 11:00", "2026-12-06 09:00", ""},
		{"an occurrence overlapping the window's start", "2026-12-01 23:00", "FREQ=DAILY", "2026-12-05 00:30", "2026-12-05 23:00", "2026-12-04 23:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newEntry(t, timed(c.start, 120, c.rule)).Series()
			got := strings.Join(starts(s, cst(c.from), cst(c.to)), ",")
			if got != c.want {
				t.Fatalf("occurrences\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestAllDayEntries(t *testing.T) {
	s := newEntry(t, schedule.Fields{Title: "展会", AllDay: true, Start: "2026-12-10", End: "2026-12-11", Recurrence: "FREQ=WEEKLY;COUNT=2"})
	if got := strings.Join(starts(s.Series(), cst("2026-12-11 12:00"), cst("2027-01-01 00:00")), ","); got != "2026-12-10,2026-12-17" {
		t.Fatalf("all-day occurrences overlapping the window: %s", got)
	}
	occ, _ := s.Series().Expand(cst("2026-12-17 00:00"), cst("2026-12-18 00:00"), 0)
	if len(occ) != 1 || occ[0].Start != "2026-12-17" || occ[0].End != "2026-12-18" {
		t.Fatalf("second occurrence: %+v", occ)
	}
	if first, last := s.Series().Bounds(); !first.Equal(cst("2026-12-10 00:00")) || !last.Equal(cst("2026-12-19 00:00")) {
		t.Fatalf("bounds %s – %s", first, last)
	}
}

func TestBadRulesAndFields(t *testing.T) {
	for _, rule := range []string{"FREQ=HOURLY", "FREQ=DAILY;COUNT=2;UNTIL=20270101", "FREQ=DAILY;INTERVAL=0", "FREQ=WEEKLY;BYDAY=XX",
		"FREQ=MONTHLY;BYDAY=5MO", "FREQ=MONTHLY;BYDAY=MO", "FREQ=MONTHLY;BYMONTHDAY=32", "FREQ=DAILY;BYSETPOS=1", "INTERVAL=2",
		"FREQ=DAILY;COUNT=1001", "FREQ=DAILY;FREQ=WEEKLY", "FREQ=DAILY;UNTIL=tomorrow", "garbage"} {
		_, err := schedule.New(uuid.New(), timed("2026-12-01 09:00", 60, rule), owner, creator, created)
		var ve *schedule.ValidationError
		if !errors.As(err, &ve) || ve.Field != "recurrence" || ve.Code != "bad_recurrence" {
			t.Errorf("rule %q: %v", rule, err)
		}
	}
	f := timed("2026-12-01 09:00", -30, "")
	var ve *schedule.ValidationError
	if _, err := schedule.New(uuid.New(), f, owner, creator, created); !errors.As(err, &ve) || ve.Code != "end_before_start" {
		t.Fatalf("end before start: %v", err)
	}
	if _, err := schedule.New(uuid.New(), schedule.Fields{Title: "x", AllDay: true, Start: "2026-12-01T09:00:00Z", End: "soon"}, owner, creator, created); err == nil {
		t.Fatal("an all-day entry with a bad end was accepted")
	}
	r, err := schedule.ParseRule("rrule:freq=weekly;byday=fr,mo,mo;until=20270101T000000Z")
	if err != nil || r.String() != "FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20270101" {
		t.Fatalf("canonical rule %q, %v", r.String(), err)
	}
}

func TestOccurrenceEditsAndCancellations(t *testing.T) {
	s := newEntry(t, timed("2026-12-01 09:00", 60, "FREQ=DAILY;COUNT=5"))
	second := cst("2026-12-02 09:00").UTC().Format(time.RFC3339)
	moved := cst("2026-12-09 15:00")
	title := "改期的周会"
	if err := s.EditOccurrence(second, schedule.Override{Start: moved.Format(time.RFC3339), End: moved.Add(time.Hour).Format(time.RFC3339), Title: &title}, owner, created); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelOccurrence(cst("2026-12-03 09:00").UTC().Format(time.RFC3339), creator, created); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelOccurrence(cst("2026-12-03 10:00").UTC().Format(time.RFC3339), creator, created); !errors.Is(err, schedule.ErrNoOccurrence) {
		t.Fatalf("cancelling a time the series does not have: %v", err)
	}
	if err := s.CancelOccurrence(second, other, created); !errors.Is(err, schedule.ErrNotEditor) {
		t.Fatalf("a stranger cancels: %v", err)
	}
	got := strings.Join(starts(s.Series(), cst("2026-12-01 00:00"), cst("2027-01-01 00:00")), ",")
	if got != "2026-12-01 09:00,2026-12-04 09:00,2026-12-05 09:00,2026-12-09 15:00" {
		t.Fatalf("after an edit and a cancellation: %s", got)
	}
	// the moved occurrence is found in a window that only holds its new time
	occ, _ := s.Series().Expand(cst("2026-12-09 00:00"), cst("2026-12-10 00:00"), 0)
	if len(occ) != 1 || occ[0].Title != title || !occ[0].Edited || occ[0].Key != second {
		t.Fatalf("moved occurrence: %+v", occ)
	}
	if _, last := s.Series().Bounds(); !last.Equal(moved.Add(time.Hour)) {
		t.Fatalf("bounds end at %s", last)
	}
	// a change of timing drops the edits
	newRule := "FREQ=DAILY;COUNT=2"
	if err := s.Update(schedule.Patch{Recurrence: &newRule}, owner, created); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(starts(s.Series(), cst("2026-12-01 00:00"), cst("2027-01-01 00:00")), ","); got != "2026-12-01 09:00,2026-12-02 09:00" {
		t.Fatalf("after a new rule: %s", got)
	}
	single := newEntry(t, timed("2026-12-01 09:00", 60, ""))
	var ve *schedule.ValidationError
	if err := single.CancelOccurrence(single.Fields().Start, owner, created); !errors.As(err, &ve) || ve.Code != "not_recurring" {
		t.Fatalf("cancel an occurrence of a single entry: %v", err)
	}
}

func TestRemindersFireOncePerOccurrence(t *testing.T) {
	f := timed("2026-12-01 09:00", 60, "FREQ=DAILY;COUNT=3")
	f.Reminders = []int{15, 60}
	s := newEntry(t, f)
	if got := s.NextAlert(); !got.Equal(cst("2026-12-01 08:00")) {
		t.Fatalf("first reminder at %s", got.In(schedule.Zone))
	}
	s.Alert(cst("2026-12-01 07:59"), uuid.Nil)
	if len(s.Changes()) != 1 {
		t.Fatal("a reminder fired before its time")
	}
	s.Alert(cst("2026-12-01 08:50"), uuid.Nil) // both of the first occurrence's are due
	ch := s.Changes()
	r, ok := ch[len(ch)-1].(schedule.Reminded)
	if !ok || len(r.Offsets) != 2 || r.Occurrence != cst("2026-12-01 09:00").UTC().Format(time.RFC3339) {
		t.Fatalf("reminded: %+v", ch[len(ch)-1])
	}
	if got := s.NextAlert(); !got.Equal(cst("2026-12-02 08:00")) {
		t.Fatalf("next reminder at %s", got.In(schedule.Zone))
	}
	// the process was down through the second occurrence: nothing late, the third is next
	s.Alert(cst("2026-12-02 12:00"), uuid.Nil)
	ch = s.Changes()
	if r := ch[len(ch)-1].(schedule.Reminded); r.Occurrence != "" || len(r.Offsets) != 0 {
		t.Fatalf("a started occurrence was reminded of late: %+v", r)
	}
	if got := s.NextAlert(); !got.Equal(cst("2026-12-03 08:00")) {
		t.Fatalf("after the gap, next reminder at %s", got.In(schedule.Zone))
	}
	s.Alert(cst("2026-12-03 08:45"), uuid.Nil)
	if !s.NextAlert().IsZero() {
		t.Fatalf("a finished series wants a reminder at %s", s.NextAlert())
	}
	endless := newEntry(t, timed("2026-12-01 09:00", 60, "FREQ=WEEKLY;INTERVAL=4;BYDAY=MO"))
	if got := endless.NextAlert(); !got.Equal(cst("2026-12-01 08:45")) { // the start is the first occurrence
		t.Fatalf("an endless series' first reminder at %s", got.In(schedule.Zone))
	}
}

// FuzzParseRule: any text either is refused or reads to a rule whose canonical form reads back to
// the same rule, and expanding it from any start ends (bounded) without panicking.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYMONTHDAY=31;INTERVAL=2",
		"FREQ=YEARLY;UNTIL=20300101", "FREQ=DAILY;UNTIL=20261231T160000Z", "RRULE:FREQ=DAILY", "FREQ=;", ";;", "FREQ=WEEKLY;BYDAY=,"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, offset int64) {
		r, err := schedule.ParseRule(s)
		if err != nil {
			return
		}
		back, err := schedule.ParseRule(r.String())
		if err != nil || back.String() != r.String() {
			t.Fatalf("%q → %q → %q, %v", s, r.String(), back.String(), err)
		}
		start := time.Date(2026, 1, 31, 9, 0, 0, 0, schedule.Zone).Add(time.Duration(offset%(3650*24)) * time.Hour)
		f := schedule.Fields{Title: "x", Start: start.Format(time.RFC3339), End: start.Add(time.Hour).Format(time.RFC3339), Recurrence: r.String()}
		e, err := schedule.New(uuid.New(), f, owner, creator, created)
		if err != nil {
			t.Fatalf("a rule that parses is refused by New: %v", err)
		}
		occ, _ := e.Series().Expand(start, start.AddDate(1, 0, 0), 400)
		for i := 1; i < len(occ); i++ {
			if occ[i].Span().Start.Before(occ[i-1].Span().Start) {
				t.Fatalf("occurrences out of order: %v", occ)
			}
		}
		e.NextAlert()
	})
}

// The start is the first occurrence even when the rule would not generate it (RFC 5545), and
// COUNT counts it.
func TestStartIsTheFirstOccurrence(t *testing.T) {
	s := newEntry(t, timed("2026-12-01 09:00", 60, "FREQ=WEEKLY;BYDAY=FR;COUNT=3")) // a Tuesday
	if got := strings.Join(starts(s.Series(), cst("2026-11-01 00:00"), cst("2027-01-01 00:00")), ","); got != "2026-12-01 09:00,2026-12-04 09:00,2026-12-11 09:00" {
		t.Fatalf("occurrences %s", got)
	}
}
