package worklog

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

// Events.
type (
	// Drafted: the writer began a log of a kind for a period (its first day, 2006-01-02).
	Drafted struct {
		LogID  string    `json:"logId"`
		Kind   Kind      `json:"kind"`
		Period string    `json:"period"`
		Fields Fields    `json:"fields"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	// Updated: fields changed (only those in the patch, with their new values).
	Updated struct {
		LogID string    `json:"logId"`
		Patch Patch     `json:"patch"`
		By    string    `json:"by"`
		At    time.Time `json:"at"`
	}
	// Submitted: the log went to its recipients (the writer's superiors as they were then, and the
	// extra recipients). It carries the kind, the period and the writer: who follows submissions
	// (the statistics, the notifications) needs nothing else.
	Submitted struct {
		LogID      string    `json:"logId"`
		Kind       Kind      `json:"kind"`
		Period     string    `json:"period"`
		WriterID   string    `json:"writerId"`
		Recipients []string  `json:"recipients"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// Commented: a reader of the submitted log commented on it (the writer replying, too).
	Commented struct {
		LogID     string    `json:"logId"`
		CommentID string    `json:"commentId"`
		Text      string    `json:"text"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
	// Read: a recipient opened the log for the first time (the read receipt; once per recipient).
	Read struct {
		LogID    string    `json:"logId"`
		ReaderID string    `json:"readerId"`
		At       time.Time `json:"at"`
	}
)

func (Drafted) EventType() string   { return "worklog.drafted.v1" }
func (Updated) EventType() string   { return "worklog.updated.v1" }
func (Submitted) EventType() string { return "worklog.submitted.v1" }
func (Commented) EventType() string { return "worklog.commented.v1" }
func (Read) EventType() string      { return "worklog.read.v1" }

// Register adds the work log events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Drafted{} }, func() event.Event { return &Updated{} },
		func() event.Event { return &Submitted{} }, func() event.Event { return &Commented{} }, func() event.Event { return &Read{} })
}

// Log is the aggregate state.
type Log struct {
	event.Root
	id          uuid.UUID
	kind        Kind
	period      time.Time
	writer      uuid.UUID
	fields      Fields
	status      Status
	recipients  []string // sorted
	readBy      []string // sorted
	comments    int
	submittedAt time.Time
	editVersion int64
	createdAt   time.Time
	updatedAt   time.Time
}

// Key is what makes a log unique: one per writer, kind and period.
func Key(writer uuid.UUID, k Kind, period time.Time) string {
	return writer.String() + "/" + string(k) + "/" + period.Format(time.DateOnly)
}

// New drafts a log of kind for the period that holds the day (or week, or month) named, written
// by by at now. A period that starts after the application's day is future_period.
func New(id uuid.UUID, k Kind, period string, f Fields, by uuid.UUID, now time.Time) (*Log, error) {
	if id == uuid.Nil {
		return nil, &ValidationError{Field: "id", Message: "is required"}
	}
	f = f.normalise()
	errs := []error{field.Required("kind", string(k)), field.OneOf("kind", string(k), Kinds...), f.Validate()}
	var start time.Time
	if slices.Contains(Kinds, string(k)) {
		var err error
		if start, err = ParsePeriod("period", k, period); err != nil {
			errs = append(errs, err)
		} else if start.After(Start(k, Today(now))) {
			errs = append(errs, &ValidationError{Field: "period", Message: "is in the future", Code: "future_period"})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l := &Log{id: id}
	l.Record(l.apply, Drafted{LogID: id.String(), Kind: k, Period: start.Format(time.DateOnly), Fields: f, By: by.String(), At: now.UTC()})
	return l, nil
}

// Rehydrate rebuilds a log from its history. Only repositories call it.
func Rehydrate(id uuid.UUID, history []event.Event) (*Log, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Drafted); !ok {
		return nil, fmt.Errorf("work log %s: history starts with %s", id, history[0].EventType())
	}
	l := &Log{id: id}
	l.Replay(l.apply, history, func(e event.Event, version int64) {
		if MovesEditVersion(e) {
			l.editVersion = version
		}
	})
	return l, nil
}

// MovesEditVersion reports whether e changes what the writer edits, and so moves the version
// clients send back in If-Match: a comment or a read receipt does not (a superior opening the log
// does not make the writer's open form stale; a comment stops edits by its own rule).
func MovesEditVersion(e event.Event) bool {
	switch e.(type) {
	case Commented, Read:
		return false
	}
	return true
}

// MovesEditVersion is the package's rule as a method, for the repository.
func (l *Log) MovesEditVersion(e event.Event) bool { return MovesEditVersion(e) }

// EditVersion is the version of the last event that MovesEditVersion (the log's ETag).
func (l *Log) EditVersion() int64 { return l.editVersion }

func (l *Log) ID() uuid.UUID          { return l.id }
func (l *Log) Kind() Kind             { return l.kind }
func (l *Log) Period() time.Time      { return l.period }
func (l *Log) Writer() uuid.UUID      { return l.writer }
func (l *Log) Fields() Fields         { return l.fields }
func (l *Log) Status() Status         { return l.status }
func (l *Log) Recipients() []string   { return slices.Clone(l.recipients) }
func (l *Log) ReadBy() []string       { return slices.Clone(l.readBy) }
func (l *Log) Comments() int          { return l.comments }
func (l *Log) SubmittedAt() time.Time { return l.submittedAt }
func (l *Log) CreatedAt() time.Time   { return l.createdAt }
func (l *Log) UpdatedAt() time.Time   { return l.updatedAt }

// Key is the log's uniqueness key (writer, kind, period).
func (l *Log) Key() string { return Key(l.writer, l.kind, l.period) }

// IsRecipient reports whether the log was submitted to the user.
func (l *Log) IsRecipient(user uuid.UUID) bool {
	_, ok := slices.BinarySearch(l.recipients, user.String())
	return ok
}

// Editable reports whether the writer may still edit the log: no one has commented on it.
func (l *Log) Editable() bool { return l.comments == 0 }

func (l *Log) apply(e event.Event) {
	switch e := e.(type) {
	case Drafted:
		l.kind, l.fields, l.status = e.Kind, e.Fields, StatusDraft
		l.period, _ = time.Parse(time.DateOnly, e.Period)
		l.writer, _ = uuid.Parse(e.By)
		l.createdAt, l.updatedAt = e.At, e.At
	case Updated:
		l.fields, l.updatedAt = l.fields.Apply(e.Patch), e.At
	case Submitted:
		l.status, l.recipients, l.submittedAt, l.updatedAt = StatusSubmitted, slices.Sorted(slices.Values(e.Recipients)), e.At, e.At
	case Commented:
		l.comments++
	case Read:
		if i, ok := slices.BinarySearch(l.readBy, e.ReaderID); !ok {
			l.readBy = slices.Insert(l.readBy, i, e.ReaderID)
		}
	}
}

// Fold applies a later event (read models keep a log's state in their row).
func (l *Log) Fold(e event.Event) { l.apply(e) }

// Update changes fields (the writer, while no one has commented). The extra recipients are
// changed only before the submission: after it, the recipients are fixed.
func (l *Log) Update(p Patch, by uuid.UUID, at time.Time) error {
	switch {
	case by != l.writer:
		return ErrNotWriter
	case !l.Editable():
		return ErrCommented
	}
	next := l.fields.Apply(p)
	if err := next.Validate(); err != nil {
		return err
	}
	eff := diff(l.fields, next)
	if eff.IsZero() {
		return nil
	}
	if eff.ExtraRecipients != nil && l.status == StatusSubmitted {
		return &ValidationError{Field: "extraRecipients", Message: "the log is submitted: its recipients are fixed", Code: "recipients_fixed"}
	}
	l.Record(l.apply, Updated{LogID: l.id.String(), Patch: eff, By: by.String(), At: at.UTC()})
	return nil
}

// Submit sends the draft to its recipients (the commands resolve them: the writer's superiors and
// the extra recipients, active users; the writer is never one). No one to send it to is
// no_recipient.
func (l *Log) Submit(recipients []uuid.UUID, by uuid.UUID, at time.Time) error {
	switch {
	case by != l.writer:
		return ErrNotWriter
	case l.status == StatusSubmitted:
		return ErrSubmitted
	}
	var to []string
	for _, r := range recipients {
		if r != uuid.Nil && r != l.writer {
			to = append(to, r.String())
		}
	}
	slices.Sort(to)
	to = slices.Compact(to)
	if len(to) == 0 {
		return &ValidationError{Field: "extraRecipients", Message: "the log has no one to go to: the writer has no superior or department head; name a recipient", Code: "no_recipient"}
	}
	l.Record(l.apply, Submitted{LogID: l.id.String(), Kind: l.kind, Period: l.period.Format(time.DateOnly), WriterID: l.writer.String(),
		Recipients: to, By: by.String(), At: at.UTC()})
	return nil
}

// Comment records a comment on a submitted log (who may: the commands' rule — whoever reads it).
func (l *Log) Comment(commentID uuid.UUID, text string, by uuid.UUID, at time.Time) error {
	if l.status != StatusSubmitted {
		return ErrNotSubmitted
	}
	text = strings.TrimSpace(text)
	if err := errors.Join(field.Required("text", text), field.Text("text", text, MaxComment)); err != nil {
		return err
	}
	l.Record(l.apply, Commented{LogID: l.id.String(), CommentID: commentID.String(), Text: text, By: by.String(), At: at.UTC()})
	return nil
}

// MarkRead records a recipient's first reading of the submitted log. Anyone else opening it, a
// recipient opening it again, or a draft records nothing.
func (l *Log) MarkRead(reader uuid.UUID, at time.Time) {
	if l.status != StatusSubmitted || !l.IsRecipient(reader) {
		return
	}
	if _, ok := slices.BinarySearch(l.readBy, reader.String()); ok {
		return
	}
	l.Record(l.apply, Read{LogID: l.id.String(), ReaderID: reader.String(), At: at.UTC()})
}

// Snapshot is the log as a flat map (history diffs and as-of views).
func (l *Log) Snapshot() map[string]any {
	f := l.fields
	links := make([]map[string]any, len(f.Links))
	for i, k := range f.Links {
		links[i] = map[string]any{"kind": k.Kind, "id": k.ID, "name": k.Name}
	}
	sub := ""
	if !l.submittedAt.IsZero() {
		sub = l.submittedAt.Format(time.RFC3339Nano)
	}
	return map[string]any{"id": l.id.String(), "kind": string(l.kind), "period": l.period.Format(time.DateOnly), "writerId": l.writer.String(),
		"workDone": f.WorkDone, "plan": f.Plan, "problems": f.Problems, "links": links, "extraRecipients": slices.Clone(f.ExtraRecipients),
		"status": string(l.status), "recipients": l.Recipients(), "readBy": l.ReadBy(), "comments": l.comments, "submittedAt": sub,
		"version": l.Version(), "createdAt": l.createdAt.Format(time.RFC3339Nano), "updatedAt": l.updatedAt.Format(time.RFC3339Nano)}
}

// State is a log's state as a read model keeps it (everything but its history).
type State struct {
	Kind        Kind
	Period      time.Time
	Writer      uuid.UUID
	Fields      Fields
	Status      Status
	Recipients  []string
	ReadBy      []string
	Comments    int
	SubmittedAt time.Time
	EditVersion int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Restore is a log in a known state (a read model's copy), to fold later events into.
func Restore(id uuid.UUID, s State) *Log {
	return &Log{id: id, kind: s.Kind, period: s.Period, writer: s.Writer, fields: s.Fields, status: s.Status,
		recipients: slices.Clone(s.Recipients), readBy: slices.Clone(s.ReadBy), comments: s.Comments, submittedAt: s.SubmittedAt,
		editVersion: s.EditVersion, createdAt: s.CreatedAt, updatedAt: s.UpdatedAt}
}
