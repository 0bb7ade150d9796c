package finance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// The month close: finance closes a month once its books are final; afterwards no receipt,
// payment or reversal is dated in it. Reopening is an administrator's audited action with a
// reason. One calendar for the installation, on one stream.

// CalendarPrefix is the stream kind of the finance calendar.
const CalendarPrefix = "financecalendar"

// CalendarID is the id of the one calendar.
var CalendarID = uuid.MustParse("2e5c9a41-7b3d-5f08-a6c2-9d1e4f7b0c35")

// CalendarStream is the calendar's stream.
func CalendarStream(id uuid.UUID) string { return CalendarPrefix + "-" + id.String() }

// Calendar errors.
var (
	ErrMonthClosed   = errors.New("the month is already closed")
	ErrMonthOpen     = errors.New("the month is not closed")
	ErrMonthNotEnded = &field.Error{Field: "month", Message: "only a month that has ended is closed", Code: "month_not_ended"}
)

// Events.
type (
	MonthClosed struct {
		Month string    `json:"month"` // 2006-01
		By    string    `json:"by"`
		At    time.Time `json:"at"`
	}
	MonthReopened struct {
		Month  string    `json:"month"`
		Reason string    `json:"reason"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
)

func (MonthClosed) EventType() string   { return "financecalendar.month_closed.v1" }
func (MonthReopened) EventType() string { return "financecalendar.month_reopened.v1" }

func registerCalendar(r *event.Registry) {
	r.Register(func() event.Event { return &MonthClosed{} }, func() event.Event { return &MonthReopened{} })
}

// Calendar is the aggregate: the closed months.
type Calendar struct {
	event.Root
	closed []string // sorted
}

// NewCalendar is the calendar before any event.
func NewCalendar() *Calendar { return &Calendar{} }

// RehydrateCalendar rebuilds the calendar.
func RehydrateCalendar(_ uuid.UUID, history []event.Event) (*Calendar, error) {
	c := NewCalendar()
	c.Replay(c.apply, history, nil)
	return c, nil
}

func (c *Calendar) apply(e event.Event) {
	switch e := e.(type) {
	case MonthClosed:
		if i, found := slices.BinarySearch(c.closed, e.Month); !found {
			c.closed = slices.Insert(c.closed, i, e.Month)
		}
	case MonthReopened:
		if i, found := slices.BinarySearch(c.closed, e.Month); found {
			c.closed = slices.Delete(c.closed, i, i+1)
		}
	}
}

// Fold applies an event, recording nothing (read models).
func (c *Calendar) Fold(e event.Event) { c.apply(e) }

// Closed reports whether a month ("2006-01") is closed; Calendar is a Months.
func (c *Calendar) Closed(month string) bool {
	_, found := slices.BinarySearch(c.closed, month)
	return found
}

// ClosedMonths are the closed months, oldest first.
func (c *Calendar) ClosedMonths() []string { return slices.Clone(c.closed) }

// CheckMonth checks a month written 2006-01.
func CheckMonth(name, m string) error {
	t, err := time.Parse("2006-01", m)
	if err != nil || t.Format("2006-01") != m || t.Year() < 1900 || t.Year() > 2999 {
		return &field.Error{Field: name, Message: fmt.Sprintf("must be a month written 2006-01; got %q", m), Code: "not_a_month"}
	}
	return nil
}

// Close closes a month that has ended (today is the installation's date).
func (c *Calendar) Close(month, today string, by uuid.UUID, at time.Time) error {
	if err := CheckMonth("month", month); err != nil {
		return err
	}
	if month >= today[:7] {
		return ErrMonthNotEnded
	}
	if c.Closed(month) {
		return ErrMonthClosed
	}
	c.Record(c.apply, MonthClosed{Month: month, By: by.String(), At: at.UTC()})
	return nil
}

// Reopen reopens a closed month, with a reason.
func (c *Calendar) Reopen(month, reason string, by uuid.UUID, at time.Time) error {
	if err := CheckMonth("month", month); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if err := errors.Join(field.Required("reason", reason), field.Text("reason", reason, MaxReason)); err != nil {
		return err
	}
	if !c.Closed(month) {
		return ErrMonthOpen
	}
	c.Record(c.apply, MonthReopened{Month: month, Reason: reason, By: by.String(), At: at.UTC()})
	return nil
}

// Snapshot is the calendar as a flat map.
func (c *Calendar) Snapshot() map[string]any {
	return map[string]any{"closed": c.ClosedMonths(), "version": c.Version()}
}
