package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Zone is the time zone recurrences are expanded in and all-day entries are dated in: the
// application's day (China Standard Time, UTC+8, no daylight saving).
var Zone = time.FixedZone("CST", 8*60*60)

// Frequencies of a recurrence.
const (
	Daily   = "DAILY"
	Weekly  = "WEEKLY"
	Monthly = "MONTHLY"
	Yearly  = "YEARLY"
)

// Limits of a recurrence.
const (
	MaxInterval = 1000
	MaxCount    = 1000
)

// weekdays are RFC 5545's day codes, Monday first (the week starts on Monday, WKST=MO).
var weekdays = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

// dayIndex is a day code's place in the week from Monday (0) to Sunday (6), -1 when unknown.
func dayIndex(code string) int { return slices.Index(weekdays, code) }

// mondayIndex is a weekday's place in a week that starts on Monday.
func mondayIndex(d time.Weekday) int { return (int(d) + 6) % 7 }

// Rule is the subset of an RFC 5545 RRULE that schedules use: FREQ (DAILY, WEEKLY, MONTHLY,
// YEARLY), INTERVAL, BYDAY (weekly: days of the week; monthly: one day with an ordinal such as
// 2TU or -1FR), BYMONTHDAY (monthly: 1 to 31, or -1 for the last day), and COUNT or UNTIL (a
// date, inclusive, in Zone). A monthly rule with neither BYDAY nor BYMONTHDAY repeats on the
// start's day of the month, a weekly one without BYDAY on the start's weekday; a day that a month
// does not have (the 31st, 29 February) is skipped, as RFC 5545 says.
type Rule struct {
	Freq       string
	Interval   int
	ByDay      []string
	ByMonthDay int
	Count      int
	Until      string // YYYY-MM-DD
}

// ParseRule reads an RRULE value ("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261231"; an optional
// "RRULE:" prefix is accepted). Errors name the part that is wrong.
func ParseRule(s string) (Rule, error) {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "RRULE:")
	var r Rule
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" {
			return Rule{}, fmt.Errorf("%q is not NAME=VALUE", part)
		}
		if seen[k] {
			return Rule{}, fmt.Errorf("%s is given twice", k)
		}
		seen[k] = true
		var err error
		switch k {
		case "FREQ":
			r.Freq = v
		case "INTERVAL":
			r.Interval, err = strconv.Atoi(v)
		case "COUNT":
			r.Count, err = strconv.Atoi(v)
		case "BYMONTHDAY":
			r.ByMonthDay, err = strconv.Atoi(v)
		case "BYDAY":
			r.ByDay = strings.Split(v, ",")
		case "UNTIL":
			r.Until, err = parseUntil(v)
		case "WKST":
			if v != "MO" {
				err = errors.New("only MO is supported")
			}
		default:
			return Rule{}, fmt.Errorf("%s is not supported (FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL)", k)
		}
		if err != nil {
			return Rule{}, fmt.Errorf("%s=%s: %v", k, v, err)
		}
	}
	if r.Interval == 0 && !seen["INTERVAL"] {
		r.Interval = 1
	}
	if err := r.validate(); err != nil {
		return Rule{}, err
	}
	return r.canonical(), nil
}

// parseUntil reads UNTIL as a date (YYYYMMDD) or a UTC date-time (YYYYMMDDTHHMMSSZ, taken as
// its date in Zone).
func parseUntil(v string) (string, error) {
	if t, err := time.ParseInLocation("20060102", v, Zone); err == nil {
		return t.Format(time.DateOnly), nil
	}
	if t, err := time.Parse("20060102T150405Z", v); err == nil {
		return t.In(Zone).Format(time.DateOnly), nil
	}
	return "", errors.New("must be a date YYYYMMDD or a UTC time YYYYMMDDTHHMMSSZ")
}

func (r Rule) validate() error {
	switch r.Freq {
	case Daily, Weekly, Monthly, Yearly:
	case "":
		return errors.New("FREQ is required")
	default:
		return fmt.Errorf("FREQ=%s is not supported (DAILY, WEEKLY, MONTHLY, YEARLY)", r.Freq)
	}
	if r.Interval < 1 || r.Interval > MaxInterval {
		return fmt.Errorf("INTERVAL must be 1 to %d", MaxInterval)
	}
	if r.Count < 0 || r.Count > MaxCount {
		return fmt.Errorf("COUNT must be 1 to %d", MaxCount)
	}
	if r.Count > 0 && r.Until != "" {
		return errors.New("COUNT and UNTIL may not both be given")
	}
	switch r.Freq {
	case Weekly:
		if r.ByMonthDay != 0 {
			return errors.New("BYMONTHDAY is for monthly rules")
		}
		for _, d := range r.ByDay {
			if dayIndex(d) < 0 {
				return fmt.Errorf("BYDAY=%s: a weekly rule takes days MO, TU, WE, TH, FR, SA, SU", d)
			}
		}
	case Monthly:
		if len(r.ByDay) > 0 && r.ByMonthDay != 0 {
			return errors.New("BYDAY and BYMONTHDAY may not both be given")
		}
		if len(r.ByDay) > 1 {
			return errors.New("BYDAY of a monthly rule is one day with its place in the month (2TU, -1FR)")
		}
		if len(r.ByDay) == 1 {
			if _, _, err := ordinalDay(r.ByDay[0]); err != nil {
				return fmt.Errorf("BYDAY=%s: %v", r.ByDay[0], err)
			}
		}
		if r.ByMonthDay != 0 && (r.ByMonthDay < -1 || r.ByMonthDay > 31) {
			return errors.New("BYMONTHDAY must be 1 to 31, or -1 for the last day")
		}
	default:
		if len(r.ByDay) > 0 || r.ByMonthDay != 0 {
			return fmt.Errorf("BYDAY and BYMONTHDAY are not supported with FREQ=%s", r.Freq)
		}
	}
	return nil
}

// ordinalDay reads a monthly BYDAY such as 2TU (the second Tuesday) or -1FR (the last Friday).
func ordinalDay(s string) (n, day int, err error) {
	if len(s) < 3 {
		return 0, 0, errors.New("must be a place in the month and a day (2TU, -1FR)")
	}
	day = dayIndex(s[len(s)-2:])
	n, err = strconv.Atoi(s[:len(s)-2])
	if day < 0 || err != nil || n == 0 || n < -1 || n > 4 {
		return 0, 0, errors.New("must be 1 to 4 or -1 and a day (2TU, -1FR)")
	}
	return n, day, nil
}

// String is the rule in canonical RRULE form (the form events keep): FREQ first, defaults left
// out, days in week order.
func (r Rule) String() string {
	parts := []string{"FREQ=" + r.Freq}
	if r.Interval > 1 {
		parts = append(parts, "INTERVAL="+strconv.Itoa(r.Interval))
	}
	if len(r.ByDay) > 0 {
		parts = append(parts, "BYDAY="+strings.Join(r.ByDay, ","))
	}
	if r.ByMonthDay != 0 {
		parts = append(parts, "BYMONTHDAY="+strconv.Itoa(r.ByMonthDay))
	}
	if r.Count > 0 {
		parts = append(parts, "COUNT="+strconv.Itoa(r.Count))
	}
	if r.Until != "" {
		parts = append(parts, "UNTIL="+strings.ReplaceAll(r.Until, "-", ""))
	}
	return strings.Join(parts, ";")
}

// canonical sorts a weekly rule's days and drops repeats.
func (r Rule) canonical() Rule {
	if r.Freq == Weekly && len(r.ByDay) > 0 {
		days := slices.Clone(r.ByDay)
		slices.SortFunc(days, func(a, b string) int { return dayIndex(a) - dayIndex(b) })
		r.ByDay = slices.Compact(days)
	}
	return r
}

// maxSteps bounds the periods one expansion walks (a rule whose every period is skipped, such
// as monthly on the 31st of a two-month interval that only meets 30-day months, ends).
const maxSteps = 100000

// starts calls yield with the rule's occurrence starts from first (the series' first start, in
// Zone, always the first occurrence), in order, while yield returns true; it stops at COUNT, UNTIL or maxSteps. Starts before
// skipTo may be skipped without being counted where the rule has no COUNT (every frequency
// jumps to the period before skipTo's).
func (r Rule) starts(first, skipTo time.Time, yield func(time.Time) bool) {
	first = first.In(Zone)
	y, m, d := first.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, Zone)
	clock := first.Sub(midnight)
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Zone).Add(clock) }
	// Zone has a fixed offset (no daylight saving): a day is always 24 hours, so the n-th day
	// from the first is a sum, not a calendar computation (most of a daily or weekly walk)
	dayAt := func(n int) time.Time { return midnight.Add(time.Duration(n)*24*time.Hour + clock) }
	var until time.Time
	if r.Until != "" {
		u, _ := time.ParseInLocation(time.DateOnly, r.Until, Zone)
		until = u.AddDate(0, 0, 1) // the end of UNTIL's day
	}
	// The series' start is its first occurrence whether or not the rule would generate it (RFC
	// 5545: DTSTART is always the first instance, and COUNT counts it).
	if !yield(first) || r.Count == 1 {
		return
	}
	n := 1
	emit := func(t time.Time) bool {
		if !t.After(first) {
			return true
		}
		if !until.IsZero() && !t.Before(until) {
			return false
		}
		n++
		if !yield(t) {
			return false
		}
		return r.Count == 0 || n < r.Count
	}
	step0 := 0
	days := func(t time.Time) int { return int(t.Sub(first).Hours() / 24) }
	switch r.Freq {
	case Daily:
		if r.Count == 0 && skipTo.After(first) {
			step0 = max(0, days(skipTo)/r.Interval-1)
		}
		for k := step0; k < step0+maxSteps; k++ {
			if !emit(dayAt(k * r.Interval)) {
				return
			}
		}
	case Weekly:
		wd := []int{mondayIndex(first.Weekday())}
		if len(r.ByDay) > 0 {
			wd = wd[:0]
			for _, c := range r.ByDay {
				wd = append(wd, dayIndex(c))
			}
		}
		monday := d - mondayIndex(first.Weekday())
		if r.Count == 0 && skipTo.After(first) {
			step0 = max(0, days(skipTo)/(7*r.Interval)-1)
		}
		for k := step0; k < step0+maxSteps; k++ {
			for _, i := range wd {
				if !emit(dayAt(monday - d + 7*k*r.Interval + i)) {
					return
				}
			}
		}
	case Monthly:
		if r.Count == 0 && skipTo.After(first) {
			sk := skipTo.In(Zone)
			step0 = max(0, ((sk.Year()-y)*12+int(sk.Month()-m))/r.Interval-1)
		}
		for k := step0; k < step0+maxSteps; k++ {
			mm := time.Date(y, m+time.Month(k*r.Interval), 1, 0, 0, 0, 0, Zone)
			day, ok := r.monthDay(mm, d)
			if !ok {
				continue
			}
			if !emit(at(mm.Year(), mm.Month(), day)) {
				return
			}
		}
	case Yearly:
		if r.Count == 0 && skipTo.After(first) {
			step0 = max(0, (skipTo.In(Zone).Year()-y)/r.Interval-1)
		}
		for k := step0; k < step0+maxSteps; k++ {
			t := at(y+k*r.Interval, m, d)
			if t.Day() != d { // 29 February in a common year
				continue
			}
			if !emit(t) {
				return
			}
		}
	}
}

// monthDay is the day of the month mm (its first day) that a monthly rule falls on, with the
// series' first day dflt; false when the month has no such day.
func (r Rule) monthDay(mm time.Time, dflt int) (int, bool) {
	last := mm.AddDate(0, 1, -1).Day()
	switch {
	case len(r.ByDay) == 1:
		n, day, _ := ordinalDay(r.ByDay[0])
		if n > 0 {
			first := 1 + (day-mondayIndex(mm.Weekday())+7)%7
			d := first + 7*(n-1)
			return d, d <= last
		}
		lastDay := mm.AddDate(0, 1, -1)
		return last - (mondayIndex(lastDay.Weekday())-day+7)%7, true
	case r.ByMonthDay == -1:
		return last, true
	case r.ByMonthDay > 0:
		return r.ByMonthDay, r.ByMonthDay <= last
	}
	return dflt, dflt <= last
}
