// Package worklog is the work log aggregate (日志): a daily, weekly or monthly report of one
// writer — the work done, the plan, the problems met and the records it is about — submitted to
// the writer's superiors, who read it (each recipient's first reading is recorded once) and
// comment on it, the writer replying.
//
// The rules the aggregate decides itself: the kind and the period are fixed when the log is
// drafted, and the period is normalised to the kind (a daily log's day; the Monday of a weekly
// log's ISO week; the first of a monthly log's month) and may not lie in the future of the
// application's day (UTC+8); only the writer edits and submits; a log is edited while it is a
// draft and after its submission until its first comment (a comment answers what the log said
// then: the log does not change under it); comments and read receipts follow the submission.
// Whom a log goes to (the writer's superiors), who may read it, and that a writer keeps one log
// per kind and period are the commands' rules: they need the organisation and the other logs.
package worklog

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// Rule violations.
var (
	ErrNotFound = errors.New("work log not found")
	// ErrNotWriter: only the log's writer edits or submits it.
	ErrNotWriter = errors.New("only the work log's writer may do this")
	// ErrSubmitted: the log was submitted already.
	ErrSubmitted = errors.New("the work log is submitted already")
	// ErrNotSubmitted: comments and read receipts follow the submission.
	ErrNotSubmitted = errors.New("the work log is not submitted yet")
	// ErrCommented: a log that has comments is not edited any more.
	ErrCommented = errors.New("the work log has comments and is no longer edited")
)

// StreamPrefix is the stream kind of work logs.
const StreamPrefix = "worklog"

// Stream returns the stream id of a work log.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Kind of a work log.
type Kind string

// Kinds.
const (
	Daily   Kind = "daily"
	Weekly  Kind = "weekly"
	Monthly Kind = "monthly"
)

// Kinds lists them.
var Kinds = []string{string(Daily), string(Weekly), string(Monthly)}

// Status of a work log.
type Status string

// Statuses.
const (
	StatusDraft     Status = "draft"
	StatusSubmitted Status = "submitted"
)

// Statuses lists them.
var Statuses = []string{string(StatusDraft), string(StatusSubmitted)}

// LinkKinds are the kinds of record a log may name.
var LinkKinds = []string{"lead", "customer", "contact", "opportunity", "contract"}

// Limits.
const (
	MaxText            = 5000
	MaxComment         = 2000
	MaxLinks           = 20
	MaxExtraRecipients = 20
)

// Zone is the application's day: a period is judged in UTC+8, like every "today" of the product.
var Zone = time.FixedZone("CST", 8*3600)

// Today is the application's day at t.
func Today(t time.Time) time.Time {
	l := t.In(Zone)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

// Start is the first day of the period of kind that holds day d (a date at midnight UTC): d
// itself, the Monday of its ISO week, or the first of its month.
func Start(k Kind, d time.Time) time.Time {
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	switch k {
	case Weekly:
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case Monthly:
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return d
}

// Next is the first day of the period after the one starting at start.
func Next(k Kind, start time.Time) time.Time {
	switch k {
	case Weekly:
		return start.AddDate(0, 0, 7)
	case Monthly:
		return start.AddDate(0, 1, 0)
	}
	return start.AddDate(0, 0, 1)
}

// ParsePeriod reads a period of kind written as any day inside it ("2026-12-03"), and also as an
// ISO week ("2026-W49") for a weekly log or a month ("2026-12") for a monthly one, and answers
// its first day. A period of another form, or outside the years 2000 to 2999, is a field error
// on name.
func ParsePeriod(name string, k Kind, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := &ValidationError{Field: name, Message: fmt.Sprintf("must be a date written 2006-01-02 (a week also 2006-W01, a month also 2006-01); got %q", s), Code: "bad_period"}
	var d time.Time
	switch {
	case len(s) == len("2006-01-02"):
		v, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return time.Time{}, bad
		}
		d = v
	case k == Weekly && len(s) == len("2006-W01") && s[4] == '-' && (s[5] == 'W' || s[5] == 'w'):
		y, err1 := strconv.Atoi(s[:4])
		w, err2 := strconv.Atoi(s[6:])
		if err1 != nil || err2 != nil || w < 1 || w > 53 {
			return time.Time{}, bad
		}
		// the Monday of ISO week 1 is the Monday of the week that holds 4 January
		d = Start(Weekly, time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)).AddDate(0, 0, 7*(w-1))
		if yy, ww := d.ISOWeek(); yy != y || ww != w {
			return time.Time{}, bad // week 53 of a year that has 52
		}
	case k == Monthly && len(s) == len("2006-01"):
		v, err := time.Parse("2006-01", s)
		if err != nil {
			return time.Time{}, bad
		}
		d = v
	default:
		return time.Time{}, bad
	}
	if d.Year() < 2000 || d.Year() > 2999 {
		return time.Time{}, bad
	}
	return Start(k, d), nil
}

// Link names a record a log is about (Name: its name when it was linked, a label the commands
// fill in).
type Link struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Fields are what the writer writes. ExtraRecipients are users the log is submitted to beside
// the writer's superiors (sorted, no repeats).
type Fields struct {
	WorkDone        string   `json:"workDone"`
	Plan            string   `json:"plan,omitempty"`
	Problems        string   `json:"problems,omitempty"`
	Links           []Link   `json:"links,omitempty"`
	ExtraRecipients []string `json:"extraRecipients,omitempty"`
}

// normalise trims the texts, lower-cases ids, drops repeated links (the first is kept) and sorts
// the extra recipients.
func (f Fields) normalise() Fields {
	f.WorkDone, f.Plan, f.Problems = strings.TrimSpace(f.WorkDone), strings.TrimSpace(f.Plan), strings.TrimSpace(f.Problems)
	if f.Links != nil {
		links := make([]Link, 0, len(f.Links))
		for _, l := range f.Links {
			l = Link{Kind: strings.TrimSpace(l.Kind), ID: strings.ToLower(strings.TrimSpace(l.ID)), Name: strings.TrimSpace(l.Name)}
			if !slices.ContainsFunc(links, func(x Link) bool { return x.Kind == l.Kind && x.ID == l.ID }) {
				links = append(links, l)
			}
		}
		f.Links = links
	}
	if f.ExtraRecipients != nil {
		rs := make([]string, 0, len(f.ExtraRecipients))
		for _, r := range f.ExtraRecipients {
			rs = append(rs, strings.ToLower(strings.TrimSpace(r)))
		}
		slices.Sort(rs)
		f.ExtraRecipients = slices.Compact(rs)
	}
	return f
}

// Validate checks every field and joins all problems.
func (f Fields) Validate() error {
	errs := []error{field.Required("workDone", f.WorkDone), field.Text("workDone", f.WorkDone, MaxText),
		field.Text("plan", f.Plan, MaxText), field.Text("problems", f.Problems, MaxText)}
	if len(f.Links) > MaxLinks {
		errs = append(errs, &ValidationError{Field: "links", Message: fmt.Sprintf("names %d records; at most %d", len(f.Links), MaxLinks), Code: "too_many_links"})
	}
	for i, l := range f.Links {
		at := fmt.Sprintf("links[%d]", i)
		errs = append(errs, field.OneOf(at+".kind", l.Kind, LinkKinds...), field.Text(at+".name", l.Name, 200))
		if _, err := uuid.Parse(l.ID); err != nil {
			errs = append(errs, field.Errorf(at+".id", "is not an id: %q", l.ID))
		}
	}
	if len(f.ExtraRecipients) > MaxExtraRecipients {
		errs = append(errs, field.Errorf("extraRecipients", "names %d users; at most %d", len(f.ExtraRecipients), MaxExtraRecipients))
	}
	for i, r := range f.ExtraRecipients {
		if _, err := uuid.Parse(r); err != nil {
			errs = append(errs, field.Errorf(fmt.Sprintf("extraRecipients[%d]", i), "is not a user id: %q", r))
		}
	}
	return errors.Join(errs...)
}

// Patch holds the fields an edit changes; nil means unchanged ("" clears an optional text, an
// empty list clears a list).
type Patch struct {
	WorkDone        *string   `json:"workDone,omitempty"`
	Plan            *string   `json:"plan,omitempty"`
	Problems        *string   `json:"problems,omitempty"`
	Links           *[]Link   `json:"links,omitempty"`
	ExtraRecipients *[]string `json:"extraRecipients,omitempty"`
}

// IsZero reports an empty patch.
func (p Patch) IsZero() bool { return p == (Patch{}) }

// Apply returns the fields with the patch applied (normalised, not validated).
func (f Fields) Apply(p Patch) Fields {
	for _, s := range []struct{ to, v *string }{{&f.WorkDone, p.WorkDone}, {&f.Plan, p.Plan}, {&f.Problems, p.Problems}} {
		if s.v != nil {
			*s.to = *s.v
		}
	}
	if p.Links != nil {
		f.Links = append([]Link{}, *p.Links...)
	}
	if p.ExtraRecipients != nil {
		f.ExtraRecipients = append([]string{}, *p.ExtraRecipients...)
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
	p.WorkDone, p.Plan, p.Problems = str(a.WorkDone, b.WorkDone), str(a.Plan, b.Plan), str(a.Problems, b.Problems)
	if !slices.Equal(a.Links, b.Links) {
		v := append([]Link{}, b.Links...)
		p.Links = &v
	}
	if !slices.Equal(a.ExtraRecipients, b.ExtraRecipients) {
		v := append([]string{}, b.ExtraRecipients...)
		p.ExtraRecipients = &v
	}
	return p
}
