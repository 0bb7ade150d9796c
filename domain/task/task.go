// Package task is the task aggregate of the design card: a piece of work with a title, a related
// record, an assignee who does it, the creator who asked for it, participants who follow it, a
// priority, a start and a due time, reminders before the due time, a checklist and comments.
//
// The rules of the requirement documents (§7) that the aggregate decides itself: the creator
// edits the task's fields and deletes it; the assignee moves its status (the creator may also
// cancel it or reopen a cancelled one); the creator and the assignee keep its checklist; a task
// that is done or cancelled is not reassigned. Whom a task may be assigned to (the assigner's
// subordinates, or the assigner) is the commands' rule: it needs the organisation.
package task

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// Rule violations.
var (
	ErrNotFound = errors.New("task not found")
	ErrDeleted  = errors.New("task is deleted")
	// ErrNotCreator: only the task's creator edits or deletes it.
	ErrNotCreator = errors.New("only the task's creator may do this")
	// ErrNotAssignee: only the assignee moves the status (the creator may cancel or reopen).
	ErrNotAssignee = errors.New("only the task's assignee may change its status")
	// ErrNotInvolved: the checklist is kept by the creator and the assignee.
	ErrNotInvolved = errors.New("only the task's creator or assignee may do this")
	// ErrClosed: a task that is done or cancelled is reopened before it is reassigned.
	ErrClosed = errors.New("the task is done or cancelled")
)

// StreamPrefix is the stream kind of tasks.
const StreamPrefix = "task"

// Stream returns the stream id of a task.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Priority of a task.
type Priority string

// Priorities, most pressing first.
const (
	Urgent Priority = "urgent"
	High   Priority = "high"
	Normal Priority = "normal"
	Low    Priority = "low"
)

// Priorities lists them, most pressing first.
var Priorities = []string{string(Urgent), string(High), string(Normal), string(Low)}

// Rank orders priorities: 0 for urgent … 3 for low.
func Rank(p Priority) int {
	if i := slices.Index(Priorities, string(p)); i >= 0 {
		return i
	}
	return len(Priorities)
}

// Status of a task.
type Status string

// Statuses.
const (
	NotStarted Status = "not_started"
	InProgress Status = "in_progress"
	Done       Status = "done"
	Cancelled  Status = "cancelled"
)

// Statuses lists them.
var Statuses = []string{string(NotStarted), string(InProgress), string(Done), string(Cancelled)}

// Open reports whether work on a task in status s is still to be done.
func Open(s Status) bool { return s == NotStarted || s == InProgress }

// Sources of a task: entered directly (the others come with the marketing and service modules).
const (
	SourceDirect    = "direct"
	SourceMarketing = "marketing"
	SourceFeedback  = "feedback"
)

// Sources lists them.
var Sources = []string{SourceDirect, SourceMarketing, SourceFeedback}

// RelatedKinds are the kinds of record a task may be about.
var RelatedKinds = []string{"lead", "customer", "contact", "opportunity", "contract"}

// DefaultReminders are the reminder offsets of a task that names none: one hour and one day
// before the due time, in minutes.
var DefaultReminders = []int{60, 1440}

// Limits.
const (
	MaxTitle        = 200
	MaxDescription  = 5000
	MaxNote         = 2000
	MaxComment      = 2000
	MaxChecklist    = 100
	MaxItemText     = 200
	MaxParticipants = 50
	MaxReminders    = 5
	// MaxReminderOffset is thirty days, in minutes.
	MaxReminderOffset = 30 * 24 * 60
)

// Fields are a task's descriptive attributes. StartAt and DueAt are RFC 3339 times in UTC
// ("2026-12-01T09:00:00Z") or ""; RelatedKind and RelatedID name the record the task is about
// (both or neither); Participants are user ids (sorted, no repeats); Reminders are minutes before
// the due time (sorted, no repeats; nil in a create means DefaultReminders, an empty list none).
type Fields struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	RelatedKind string `json:"relatedKind,omitempty"`
	RelatedID   string `json:"relatedId,omitempty"`
	// RelatedName is the related record's name as it was when the task was linked to it (a label
	// the commands fill in; the record itself may be renamed later).
	RelatedName  string   `json:"relatedName,omitempty"`
	Priority     Priority `json:"priority"`
	StartAt      string   `json:"startAt,omitempty"`
	DueAt        string   `json:"dueAt,omitempty"`
	Participants []string `json:"participants,omitempty"`
	Reminders    []int    `json:"reminders,omitempty"`
}

// normalise trims the texts, writes times in UTC and ids lower-cased, sorts the lists.
func (f Fields) normalise() Fields {
	f.Title, f.Description = strings.TrimSpace(f.Title), strings.TrimSpace(f.Description)
	f.RelatedKind, f.RelatedID = strings.TrimSpace(f.RelatedKind), strings.ToLower(strings.TrimSpace(f.RelatedID))
	f.RelatedName = strings.TrimSpace(f.RelatedName)
	if f.RelatedID == "" {
		f.RelatedName = ""
	}
	f.Priority = Priority(strings.TrimSpace(string(f.Priority)))
	if f.Priority == "" {
		f.Priority = Normal
	}
	for _, t := range []*string{&f.StartAt, &f.DueAt} {
		*t = strings.TrimSpace(*t)
		if v, err := time.Parse(time.RFC3339, *t); err == nil {
			*t = v.UTC().Format(time.RFC3339)
		}
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

// Validate checks every field and joins all problems. A due time before the start is
// due_before_start.
func (f Fields) Validate() error {
	errs := []error{field.Required("title", f.Title), field.Text("title", f.Title, MaxTitle),
		field.Text("description", f.Description, MaxDescription), field.Text("relatedName", f.RelatedName, MaxTitle),
		field.OneOf("priority", string(f.Priority), Priorities...)}
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
	var start, due time.Time
	for _, t := range []struct {
		name, v string
		to      *time.Time
	}{{"startAt", f.StartAt, &start}, {"dueAt", f.DueAt, &due}} {
		if t.v == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.v)
		if err != nil || v.Year() < 1900 || v.Year() > 9999 {
			errs = append(errs, field.Errorf(t.name, "must be a time in RFC 3339 (2026-12-01T09:00:00+08:00); got %q", t.v))
			continue
		}
		*t.to = v
	}
	if !start.IsZero() && !due.IsZero() && due.Before(start) {
		errs = append(errs, &ValidationError{Field: "dueAt", Message: "is before the start", Code: "due_before_start"})
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
		if r <= 0 || r > MaxReminderOffset {
			errs = append(errs, field.Errorf(fmt.Sprintf("reminders[%d]", i), "must be 1 to %d minutes before the due time; got %d", MaxReminderOffset, r))
		}
	}
	return errors.Join(errs...)
}

// Due is the due time (zero when none).
func (f Fields) Due() time.Time {
	t, _ := time.Parse(time.RFC3339, f.DueAt)
	return t
}

// Start is the start time (zero when none).
func (f Fields) Start() time.Time {
	t, _ := time.Parse(time.RFC3339, f.StartAt)
	return t
}

// Patch holds the fields an edit changes; nil means unchanged ("" clears an optional field, an
// empty list clears a list).
type Patch struct {
	Title        *string   `json:"title,omitempty"`
	Description  *string   `json:"description,omitempty"`
	RelatedKind  *string   `json:"relatedKind,omitempty"`
	RelatedID    *string   `json:"relatedId,omitempty"`
	RelatedName  *string   `json:"relatedName,omitempty"`
	Priority     *Priority `json:"priority,omitempty"`
	StartAt      *string   `json:"startAt,omitempty"`
	DueAt        *string   `json:"dueAt,omitempty"`
	Participants *[]string `json:"participants,omitempty"`
	Reminders    *[]int    `json:"reminders,omitempty"`
}

// IsZero reports an empty patch.
func (p Patch) IsZero() bool { return p == (Patch{}) }

// Apply returns the fields with the patch applied (normalised, not validated).
func (f Fields) Apply(p Patch) Fields {
	set := func(to *string, v *string) {
		if v != nil {
			*to = *v
		}
	}
	set(&f.Title, p.Title)
	set(&f.Description, p.Description)
	set(&f.RelatedKind, p.RelatedKind)
	set(&f.RelatedID, p.RelatedID)
	set(&f.RelatedName, p.RelatedName)
	set(&f.StartAt, p.StartAt)
	set(&f.DueAt, p.DueAt)
	if p.Priority != nil {
		f.Priority = *p.Priority
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
	p.Title, p.Description = str(a.Title, b.Title), str(a.Description, b.Description)
	p.RelatedKind, p.RelatedID = str(a.RelatedKind, b.RelatedKind), str(a.RelatedID, b.RelatedID)
	p.RelatedName = str(a.RelatedName, b.RelatedName)
	p.StartAt, p.DueAt = str(a.StartAt, b.StartAt), str(a.DueAt, b.DueAt)
	if a.Priority != b.Priority {
		v := b.Priority
		p.Priority = &v
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

// Item is a checklist item.
type Item struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	Done bool   `json:"done"`
}

// Comment is a comment on a task.
type Comment struct {
	ID   string    `json:"id"`
	Text string    `json:"text"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}
