package backup

import (
	"fmt"
	"strings"
	"time"
)

// Schedule is when scheduled backups run: daily at a time of day, or never.
type Schedule struct {
	Off          bool
	Hour, Minute int
}

// DefaultSchedule is the schedule when none is configured: daily at 02:00.
const DefaultSchedule = "02:00"

// ParseSchedule reads "HH:MM" (daily at that time of day, 24-hour clock) or "off".
func ParseSchedule(s string) (Schedule, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return Schedule{Off: true}, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return Schedule{}, fmt.Errorf("CHRONICLE_BACKUP_SCHEDULE=%q: use a time of day such as 02:00 (daily), or off", s)
	}
	return Schedule{Hour: t.Hour(), Minute: t.Minute()}, nil
}

// String is the schedule as ParseSchedule reads it.
func (s Schedule) String() string {
	if s.Off {
		return "off"
	}
	return fmt.Sprintf("%02d:%02d", s.Hour, s.Minute)
}

// Prev is the last slot at or before t (the slot before Next(t)).
func (s Schedule) Prev(t time.Time, loc *time.Location) time.Time {
	l := s.Next(t, loc).In(loc).AddDate(0, 0, -1)
	return time.Date(l.Year(), l.Month(), l.Day(), s.Hour, s.Minute, 0, 0, loc)
}

// Next is the first slot strictly after t, at the schedule's time of day in loc. A time of day
// that a daylight-saving change skips on some day is taken as time.Date normalises it (an hour later).
func (s Schedule) Next(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	slot := time.Date(l.Year(), l.Month(), l.Day(), s.Hour, s.Minute, 0, 0, loc)
	for !slot.After(t) {
		l = l.AddDate(0, 0, 1)
		slot = time.Date(l.Year(), l.Month(), l.Day(), s.Hour, s.Minute, 0, 0, loc)
	}
	return slot
}
