// Package schedule is the calendar of the requirement documents (日程, §6): entries with a title,
// a start and an end (or whole days), a location, participants, a related record, reminders, and
// a recurrence (an RFC 5545 RRULE subset, with cancelled occurrences and edits of one
// occurrence).
//
// Times: a timed entry's start and end are instants (RFC 3339, kept in UTC); an all-day entry's
// are dates (YYYY-MM-DD, the end inclusive) in the application's time zone (Zone), in which
// recurrences are expanded too. An occurrence is named by its original start as the series
// generates it (RFC 5545's RECURRENCE-ID): the instant in RFC 3339 UTC, or the date.
//
// The rules the aggregate decides: the owner (who is responsible) and the creator edit and
// delete an entry; changing a series' timing or recurrence drops its cancelled and edited
// occurrences (their names no longer mean anything). Whose calendar an entry may be put in
// (the creator's, or a subordinate's) is the commands' rule.
package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// Rule violations.
var (
	ErrNotFound = errors.New("schedule entry not found")
	ErrDeleted  = errors.New("schedule entry is deleted")
	// ErrNotEditor: the owner and the creator edit and delete an entry.
	ErrNotEditor = errors.New("only the entry's owner or creator may do this")
	// ErrNoOccurrence: the series has no occurrence of that name.
	ErrNoOccurrence = errors.New("the series has no such occurrence")
)

// StreamPrefix is the stream kind of schedule entries.
const StreamPrefix = "schedule"

// Stream returns the stream id of an entry.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// RelatedKinds are the kinds of record an entry may be about.
var RelatedKinds = []string{"lead", "customer", "contact", "opportunity", "contract"}

// DefaultReminders is the reminder of an entry that names none: 15 minutes before it starts.
var DefaultReminders = []int{15}

// Limits.
const (
	MaxTitle        = 200
	MaxDescription  = 5000
	MaxLocation     = 200
	MaxParticipants = 50
	MaxReminders    = 5
	// MaxReminderOffset is thirty days, in minutes.
	MaxReminderOffset = 30 * 24 * 60
	// MaxDuration bounds one occurrence: a year.
	MaxDuration = 366 * 24 * time.Hour
	// MaxChanged bounds a series' cancelled plus edited occurrences.
	MaxChanged = 500
)

// Fields are an entry's descriptive attributes (see the package comment for Start and End).
// Recurrence is an RRULE (canonical, see Rule.String) or "" for a single entry. Participants
// are user ids (sorted, no repeats); Reminders are minutes before each occurrence starts (an
// all-day one at 00:00 in Zone) (sorted, no repeats; nil in a create means DefaultReminders).
type Fields struct {
	Title        string   `json:"title"`
	Description  string   `json:"description,omitempty"`
	Location     string   `json:"location,omitempty"`
	AllDay       bool     `json:"allDay,omitempty"`
	Start        string   `json:"start"`
	End          string   `json:"end"`
	Recurrence   string   `json:"recurrence,omitempty"`
	RelatedKind  string   `json:"relatedKind,omitempty"`
	RelatedID    string   `json:"relatedId,omitempty"`
	RelatedName  string   `json:"relatedName,omitempty"`
	Participants []string `json:"participants,omitempty"`
	Reminders    []int    `json:"reminders,omitempty"`
}

// normalise trims the texts, writes instants in UTC, the rule canonically, ids lower-cased,
// sorts the lists.
func (f Fields) normalise() Fields {
	f.Title, f.Description, f.Location = strings.TrimSpace(f.Title), strings.TrimSpace(f.Description), strings.TrimSpace(f.Location)
	f.RelatedKind, f.RelatedID = strings.TrimSpace(f.RelatedKind), strings.ToLower(strings.TrimSpace(f.RelatedID))
	f.RelatedName = strings.TrimSpace(f.RelatedName)
	if f.RelatedID == "" {
		f.RelatedName = ""
	}
	f.Start, f.End = normTime(f.Start, f.AllDay), normTime(f.End, f.AllDay)
	f.Recurrence = strings.TrimSpace(f.Recurrence)
	if r, err := ParseRule(f.Recurrence); err == nil {
		f.Recurrence = r.String()
	}
	if f.Participants != nil {
		ps := make([]string, 0, len(f.Participants))
		for _, p := range f.Participants {
			ps = append(ps, strings.ToLower(strings.TrimSpace(p)))
		}
		slices.Sort(ps)
		f.Participants = slices.Compact(ps)
	}
	if f.Reminders != nil {
		rs := slices.Clone(f.Reminders)
		slices.Sort(rs)
		f.Reminders = slices.Compact(rs)
	}
	return f
}

// normTime writes an instant in UTC, or a date as a date (an all-day entry given times keeps
// their dates in Zone).
func normTime(s string, allDay bool) string {
	s = strings.TrimSpace(s)
	if v, err := time.Parse(time.RFC3339, s); err == nil {
		if allDay {
			return v.In(Zone).Format(time.DateOnly)
		}
		return v.UTC().Format(time.RFC3339)
	}
	return s
}

// Span is an occurrence's interval: [Start, End) as instants (an all-day entry's from 00:00 of
// its first day to 00:00 after its last, in Zone).
type Span struct{ Start, End time.Time }

// span reads start and end as the entry's kind says; ok false when either does not parse.
func span(start, end string, allDay bool) (Span, bool) {
	if allDay {
		s, err1 := time.ParseInLocation(time.DateOnly, start, Zone)
		e, err2 := time.ParseInLocation(time.DateOnly, end, Zone)
		return Span{s, e.AddDate(0, 0, 1)}, err1 == nil && err2 == nil
	}
	s, err1 := time.Parse(time.RFC3339, start)
	e, err2 := time.Parse(time.RFC3339, end)
	return Span{s, e}, err1 == nil && err2 == nil
}

// Span is the first occurrence's interval (zero when the fields are not valid).
func (f Fields) Span() Span {
	s, _ := span(f.Start, f.End, f.AllDay)
	return s
}

// Rule is the recurrence (ok false for a single entry or an invalid rule).
func (f Fields) Rule() (Rule, bool) {
	if f.Recurrence == "" {
		return Rule{}, false
	}
	if r, ok := rules.Load(f.Recurrence); ok {
		return r.(Rule), true
	}
	r, err := ParseRule(f.Recurrence)
	if err != nil {
		return Rule{}, false
	}
	// Rules repeat (a calendar month expands hundreds of series with a handful of rules): the
	// parsed ones are kept, up to maxKeptRules (a rule is never modified once parsed).
	if kept.Add(1) <= maxKeptRules {
		rules.Store(f.Recurrence, r)
	}
	return r, true
}

// maxKeptRules bounds the parsed rules kept (distinct rule texts are few; an unbounded cache
// would grow with whatever clients write).
const maxKeptRules = 4096

var (
	rules sync.Map // rule text → Rule
	kept  atomic.Int64
)

// Validate checks every field and joins all problems. An end before the start is
// end_before_start.
func (f Fields) Validate() error {
	errs := []error{field.Required("title", f.Title), field.Text("title", f.Title, MaxTitle),
		field.Text("description", f.Description, MaxDescription), field.Text("location", f.Location, MaxLocation),
		field.Text("relatedName", f.RelatedName, MaxTitle)}
	switch {
	case f.RelatedKind == "" && f.RelatedID == "":
	case f.RelatedKind == "":
		errs = append(errs, &ValidationError{Field: "relatedKind", Message: "is required with relatedId"})
	case f.RelatedID == "":
		errs = append(errs, &ValidationError{Field: "relatedId", Message: "is required with relatedKind"})
	default:
		errs = append(errs, field.OneOf("relatedKind", f.RelatedKind, RelatedKinds...))
		if _, err := uuid.Parse(f.RelatedID); err != nil {
			errs = append(errs, field.Errorf("relatedId", "is not an id: %q", f.RelatedID))
		}
	}
	errs = append(errs, validTimes(f.Start, f.End, f.AllDay, "")...)
	if f.Recurrence != "" {
		if _, err := ParseRule(f.Recurrence); err != nil {
			errs = append(errs, &ValidationError{Field: "recurrence", Message: err.Error(), Code: "bad_recurrence"})
		}
	}
	if len(f.Participants) > MaxParticipants {
		errs = append(errs, field.Errorf("participants", "holds %d users; at most %d", len(f.Participants), MaxParticipants))
	}
	for i, p := range f.Participants {
		if _, err := uuid.Parse(p); err != nil {
			errs = append(errs, field.Errorf(fmt.Sprintf("participants[%d]", i), "is not a user id: %q", p))
		}
	}
	if len(f.Reminders) > MaxReminders {
		errs = append(errs, field.Errorf("reminders", "holds %d offsets; at most %d", len(f.Reminders), MaxReminders))
	}
	for i, r := range f.Reminders {
		if r < 0 || r > MaxReminderOffset {
			errs = append(errs, field.Errorf(fmt.Sprintf("reminders[%d]", i), "must be 0 to %d minutes before the start; got %d", MaxReminderOffset, r))
		}
	}
	return errors.Join(errs...)
}

// validTimes checks a start and an end of the kind (prefix names the fields of an occurrence).
func validTimes(start, end string, allDay bool, prefix string) []error {
	var errs []error
	layout, example := time.RFC3339, "a time in RFC 3339 (2026-12-01T09:00:00+08:00)"
	if allDay {
		layout, example = time.DateOnly, "a date (2026-12-01)"
	}
	ok := true
	for _, t := range []struct{ name, v string }{{"start", start}, {"end", end}} {
		if t.v == "" {
			errs = append(errs, &ValidationError{Field: prefix + t.name, Message: "is required"})
			ok = false
			continue
		}
		v, err := time.Parse(layout, t.v)
		if err != nil || v.Year() < 1900 || v.Year() > 9000 {
			errs = append(errs, field.Errorf(prefix+t.name, "must be %s; got %q", example, t.v))
			ok = false
		}
	}
	if !ok {
		return errs
	}
	s, _ := span(start, end, allDay)
	switch {
	case s.End.Before(s.Start):
		errs = append(errs, &ValidationError{Field: prefix + "end", Message: "is before the start", Code: "end_before_start"})
	case s.End.Sub(s.Start) > MaxDuration:
		errs = append(errs, &ValidationError{Field: prefix + "end", Message: "is more than a year after the start"})
	}
	return errs
}

// Patch holds the fields an edit changes; nil means unchanged ("" clears an optional field, an
// empty list clears a list).
type Patch struct {
	Title        *string   `json:"title,omitempty"`
	Description  *string   `json:"description,omitempty"`
	Location     *string   `json:"location,omitempty"`
	AllDay       *bool     `json:"allDay,omitempty"`
	Start        *string   `json:"start,omitempty"`
	End          *string   `json:"end,omitempty"`
	Recurrence   *string   `json:"recurrence,omitempty"`
	RelatedKind  *string   `json:"relatedKind,omitempty"`
	RelatedID    *string   `json:"relatedId,omitempty"`
	RelatedName  *string   `json:"relatedName,omitempty"`
	Participants *[]string `json:"participants,omitempty"`
	Reminders    *[]int    `json:"reminders,omitempty"`
}

// IsZero reports an empty patch.
func (p Patch) IsZero() bool { return p == (Patch{}) }

// Timing reports whether the patch changes when the occurrences are (their names with them).
func (p Patch) Timing() bool {
	return p.AllDay != nil || p.Start != nil || p.End != nil || p.Recurrence != nil
}

// Apply returns the fields with the patch applied (normalised, not validated).
func (f Fields) Apply(p Patch) Fields {
	set := func(to *string, v *string) {
		if v != nil {
			*to = *v
		}
	}
	set(&f.Title, p.Title)
	set(&f.Description, p.Description)
	set(&f.Location, p.Location)
	set(&f.Start, p.Start)
	set(&f.End, p.End)
	set(&f.Recurrence, p.Recurrence)
	set(&f.RelatedKind, p.RelatedKind)
	set(&f.RelatedID, p.RelatedID)
	set(&f.RelatedName, p.RelatedName)
	if p.AllDay != nil {
		f.AllDay = *p.AllDay
	}
	if p.Participants != nil {
		f.Participants = append([]string{}, *p.Participants...)
	}
	if p.Reminders != nil {
		f.Reminders = append([]int{}, *p.Reminders...)
	}
	return f.normalise()
}

// diff is the patch that turns a into b: only the fields that differ.
func diff(a, b Fields) Patch {
	var p Patch
	str := func(x, y string) *string {
		if x == y {
			return nil
		}
		return &y
	}
	p.Title, p.Description, p.Location = str(a.Title, b.Title), str(a.Description, b.Description), str(a.Location, b.Location)
	p.Start, p.End, p.Recurrence = str(a.Start, b.Start), str(a.End, b.End), str(a.Recurrence, b.Recurrence)
	p.RelatedKind, p.RelatedID, p.RelatedName = str(a.RelatedKind, b.RelatedKind), str(a.RelatedID, b.RelatedID), str(a.RelatedName, b.RelatedName)
	if a.AllDay != b.AllDay {
		v := b.AllDay
		p.AllDay = &v
	}
	if !slices.Equal(a.Participants, b.Participants) {
		v := append([]string{}, b.Participants...)
		p.Participants = &v
	}
	if !slices.Equal(a.Reminders, b.Reminders) {
		v := append([]int{}, b.Reminders...)
		p.Reminders = &v
	}
	return p
}

// Override is an edited occurrence: its new start and end (of the series' kind) and, where
// given, its own title, location and description.
type Override struct {
	Start       string  `json:"start"`
	End         string  `json:"end"`
	Title       *string `json:"title,omitempty"`
	Location    *string `json:"location,omitempty"`
	Description *string `json:"description,omitempty"`
}

// Occurrence is one occurrence of an entry in a window: its name (the original start), its
// interval, and what it shows (the series' fields, or an edit's).
type Occurrence struct {
	Key         string `json:"occurrence"`
	Start       string `json:"start"`
	End         string `json:"end"`
	Title       string `json:"title"`
	Location    string `json:"location,omitempty"`
	Description string `json:"description,omitempty"`
	Edited      bool   `json:"edited,omitempty"`
	span        Span
}

// Span is the occurrence's interval.
func (o Occurrence) Span() Span { return o.span }

// keyOf names an occurrence by its original start.
func keyOf(t time.Time, allDay bool) string {
	if allDay {
		return t.In(Zone).Format(time.DateOnly)
	}
	return t.UTC().Format(time.RFC3339)
}

// Format writes an occurrence's start and end as the entry's kind keeps them (a single entry's
// one occurrence is named by its start too).
func Format(s Span, allDay bool) (string, string) {
	if allDay {
		return s.Start.In(Zone).Format(time.DateOnly), s.End.In(Zone).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339)
}

// Series is an entry's timing: its fields, its cancelled occurrences and its edited ones.
type Series struct {
	Fields    Fields
	Cancelled []string
	Overrides map[string]Override
}

// walk calls yield with the spans of the series' generated occurrences (their original times, before
// cancellations and edits) from the first that may end after from, while yield returns true.
func (s Series) walk(from time.Time, yield func(sp Span) bool) {
	first, ok := span(s.Fields.Start, s.Fields.End, s.Fields.AllDay)
	if !ok {
		return
	}
	dur := first.End.Sub(first.Start)
	r, ok := s.Fields.Rule()
	if !ok {
		yield(first)
		return
	}
	r.starts(first.Start, from.Add(-dur), func(t time.Time) bool {
		return yield(Span{t, t.Add(dur)})
	})
}

// Has reports whether the series generates an occurrence of that name.
func (s Series) Has(key string) bool {
	found := false
	var at time.Time
	if s.Fields.AllDay {
		at, _ = time.ParseInLocation(time.DateOnly, key, Zone)
	} else {
		at, _ = time.Parse(time.RFC3339, key)
	}
	if at.IsZero() {
		return false
	}
	s.walk(at, func(sp Span) bool {
		found = keyOf(sp.Start, s.Fields.AllDay) == key
		return sp.Start.Before(at)
	})
	return found
}

// MaxExpanded bounds the occurrences one expansion returns.
const MaxExpanded = 5000

// Expand lists the occurrences that overlap [from, to), in order of their (edited) start,
// without cancelled ones, at most limit (and MaxExpanded); truncated reports that more exist.
func (s Series) Expand(from, to time.Time, limit int) (out []Occurrence, truncated bool) {
	return s.ExpandInto(nil, from, to, limit)
}

// ExpandInto is Expand appending to dst[:0] (a caller expanding many series reuses one buffer).
func (s Series) ExpandInto(dst []Occurrence, from, to time.Time, limit int) (out []Occurrence, truncated bool) {
	out = dst[:0]
	if limit <= 0 || limit > MaxExpanded {
		limit = MaxExpanded
	}
	f := s.Fields
	make1 := func(key string, sp Span) (Occurrence, bool) {
		o := Occurrence{Key: key, Title: f.Title, Location: f.Location, Description: f.Description, span: sp}
		if ov, ok := s.Overrides[key]; ok {
			if esp, ok := span(ov.Start, ov.End, f.AllDay); ok {
				o.span = esp
			}
			o.Edited = true
			if ov.Title != nil {
				o.Title = *ov.Title
			}
			if ov.Location != nil {
				o.Location = *ov.Location
			}
			if ov.Description != nil {
				o.Description = *ov.Description
			}
		}
		if !o.Edited && !f.AllDay { // the key is the start, written alike
			o.Start, o.End = key, o.span.End.UTC().Format(time.RFC3339)
		} else {
			o.Start, o.End = Format(o.span, f.AllDay)
		}
		return o, !slices.Contains(s.Cancelled, key) && Overlaps(o.span, from, to)
	}
	// Without edits an occurrence outside the window is passed over before it is named (most of
	// what a series walks through on its way to the window).
	edits := len(s.Overrides) > 0
	var seen map[string]bool
	if edits {
		seen = map[string]bool{}
	}
	s.walk(from, func(sp Span) bool {
		if !sp.Start.Before(to) {
			return false
		}
		if !edits && !Overlaps(sp, from, to) {
			return true
		}
		key := keyOf(sp.Start, f.AllDay)
		if edits {
			seen[key] = true
		}
		if o, ok := make1(key, sp); ok {
			out = append(out, o)
		}
		return len(out) <= limit
	})
	// an edited occurrence moved into the window from outside it (an edit names an occurrence the
	// series had when it was made, and a change of timing drops the edits: no walk is needed)
	for key := range s.Overrides {
		if seen[key] {
			continue
		}
		if o, ok := make1(key, Span{}); ok {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b Occurrence) int {
		if c := a.span.Start.Compare(b.span.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(out) > limit {
		return out[:limit], true
	}
	return out, false
}

// Overlaps reports whether an occurrence's interval meets the window [from, to) (an instant:
// lies in it).
func Overlaps(s Span, from, to time.Time) bool {
	if s.End.Equal(s.Start) { // an instant: inside the window
		return !s.Start.Before(from) && s.Start.Before(to)
	}
	return s.Start.Before(to) && s.End.After(from)
}

// Bounds are the first start and the last end of the series (the read model's window
// columns): last is zero when the recurrence never ends, and the edited occurrences count.
func (s Series) Bounds() (first, last time.Time) {
	sp, ok := span(s.Fields.Start, s.Fields.End, s.Fields.AllDay)
	if !ok {
		return time.Time{}, time.Time{}
	}
	first, last = sp.Start, sp.End
	if r, ok := s.Fields.Rule(); ok {
		if r.Count == 0 && r.Until == "" {
			return first, time.Time{}
		}
		s.walk(sp.Start, func(o Span) bool {
			if o.End.After(last) {
				last = o.End
			}
			return true
		})
	}
	for _, ov := range s.Overrides {
		if o, ok := span(ov.Start, ov.End, s.Fields.AllDay); ok {
			if o.Start.Before(first) {
				first = o.Start
			}
			if o.End.After(last) {
				last = o.End
			}
		}
	}
	return first, last
}
