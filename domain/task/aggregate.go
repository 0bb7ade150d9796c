package task

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
	// Created: a task was entered, assigned to AssigneeID (the creator, or someone the creator
	// may assign work to).
	Created struct {
		TaskID     string    `json:"taskId"`
		Fields     Fields    `json:"fields"`
		AssigneeID string    `json:"assigneeId"`
		Source     string    `json:"source"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// Updated: fields changed (only those in the patch, with their new values).
	Updated struct {
		TaskID string    `json:"taskId"`
		Patch  Patch     `json:"patch"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	// Assigned: the task was given to another assignee.
	Assigned struct {
		TaskID     string    `json:"taskId"`
		AssigneeID string    `json:"assigneeId"`
		PreviousID string    `json:"previousId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// StatusChanged: the status moved; Note is the completion note when the task is done (or why
	// it was cancelled).
	StatusChanged struct {
		TaskID string    `json:"taskId"`
		From   Status    `json:"from"`
		To     Status    `json:"to"`
		Note   string    `json:"note,omitempty"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	// ItemAdded, ItemChecked and ItemRemoved keep the checklist.
	ItemAdded struct {
		TaskID string    `json:"taskId"`
		ItemID string    `json:"itemId"`
		Text   string    `json:"text"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	ItemChecked struct {
		TaskID string    `json:"taskId"`
		ItemID string    `json:"itemId"`
		Done   bool      `json:"done"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	ItemRemoved struct {
		TaskID string    `json:"taskId"`
		ItemID string    `json:"itemId"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	// Commented: someone who reads the task commented on it.
	Commented struct {
		TaskID    string    `json:"taskId"`
		CommentID string    `json:"commentId"`
		Text      string    `json:"text"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
	// Reminded: the reminders due by At fired (Offsets: minutes before DueAt; several when the
	// reminder process was not running at their times: they fire once, together).
	Reminded struct {
		TaskID  string    `json:"taskId"`
		Offsets []int     `json:"offsets"`
		DueAt   string    `json:"dueAt"`
		By      string    `json:"by"`
		At      time.Time `json:"at"`
	}
	// FellOverdue: the due time passed with the task still open (recorded once per due time).
	FellOverdue struct {
		TaskID string    `json:"taskId"`
		DueAt  string    `json:"dueAt"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	// Deleted: the task leaves every list; its history stays.
	Deleted struct {
		TaskID string    `json:"taskId"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
)

func (Created) EventType() string       { return "task.created.v1" }
func (Updated) EventType() string       { return "task.updated.v1" }
func (Assigned) EventType() string      { return "task.assigned.v1" }
func (StatusChanged) EventType() string { return "task.status_changed.v1" }
func (ItemAdded) EventType() string     { return "task.checklist_item_added.v1" }
func (ItemChecked) EventType() string   { return "task.checklist_item_checked.v1" }
func (ItemRemoved) EventType() string   { return "task.checklist_item_removed.v1" }
func (Commented) EventType() string     { return "task.commented.v1" }
func (Deleted) EventType() string       { return "task.deleted.v1" }
func (Reminded) EventType() string      { return "task.reminded.v1" }
func (FellOverdue) EventType() string   { return "task.fell_overdue.v1" }

// Register adds the task events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} }, func() event.Event { return &Updated{} },
		func() event.Event { return &Assigned{} }, func() event.Event { return &StatusChanged{} },
		func() event.Event { return &ItemAdded{} }, func() event.Event { return &ItemChecked{} },
		func() event.Event { return &ItemRemoved{} }, func() event.Event { return &Commented{} },
		func() event.Event { return &Deleted{} }, func() event.Event { return &Reminded{} }, func() event.Event { return &FellOverdue{} })
}

// Task is the aggregate state.
type Task struct {
	event.Root
	id          uuid.UUID
	fields      Fields
	assignee    uuid.UUID
	assignedBy  uuid.UUID
	assignedAt  time.Time
	creator     uuid.UUID
	source      string
	status      Status
	note        string
	completedAt time.Time
	checklist   []Item
	comments    int
	editVersion int64
	reminded    []int // the offsets fired for the current due time
	overdue     bool  // recorded overdue for the current due time
	deleted     bool
	createdAt   time.Time
	updatedAt   time.Time
}

// New enters a task. A nil Reminders list takes DefaultReminders (when there is a due time).
func New(id uuid.UUID, f Fields, assignee uuid.UUID, source string, by uuid.UUID, at time.Time) (*Task, error) {
	if id == uuid.Nil {
		return nil, &ValidationError{Field: "id", Message: "is required"}
	}
	if source == "" {
		source = SourceDirect
	}
	if f.Reminders == nil {
		f.Reminders = slices.Clone(DefaultReminders)
	}
	f = f.normalise()
	errs := []error{f.Validate(), field.OneOf("source", source, Sources...)}
	if assignee == uuid.Nil {
		errs = append(errs, &ValidationError{Field: "assigneeId", Message: "is required"})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	t := &Task{id: id}
	t.Record(t.apply, Created{TaskID: id.String(), Fields: f, AssigneeID: assignee.String(), Source: source, By: by.String(), At: at.UTC()})
	return t, nil
}

// Rehydrate rebuilds a task from its history. Only repositories call it.
func Rehydrate(id uuid.UUID, history []event.Event) (*Task, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Created); !ok {
		return nil, fmt.Errorf("task %s: history starts with %s", id, history[0].EventType())
	}
	t := &Task{id: id}
	t.Replay(t.apply, history, func(e event.Event, version int64) {
		if MovesEditVersion(e) {
			t.editVersion = version
		}
	})
	return t, nil
}

// MovesEditVersion reports whether e changes what people edit and act on, and so moves the
// version clients send back in If-Match: the reminder process's notices and comments do not (a
// reminder firing or a colleague's comment does not make an open edit form stale).
func MovesEditVersion(e event.Event) bool {
	switch e.(type) {
	case Reminded, FellOverdue, Commented:
		return false
	}
	return true
}

// MovesEditVersion is the package's rule as a method, for the repository.
func (t *Task) MovesEditVersion(e event.Event) bool { return MovesEditVersion(e) }

// EditVersion is the version of the last event that MovesEditVersion (the task's ETag).
func (t *Task) EditVersion() int64 { return t.editVersion }

func (t *Task) ID() uuid.UUID          { return t.id }
func (t *Task) Fields() Fields         { return t.fields }
func (t *Task) Assignee() uuid.UUID    { return t.assignee }
func (t *Task) AssignedBy() uuid.UUID  { return t.assignedBy }
func (t *Task) AssignedAt() time.Time  { return t.assignedAt }
func (t *Task) Creator() uuid.UUID     { return t.creator }
func (t *Task) Source() string         { return t.source }
func (t *Task) Status() Status         { return t.status }
func (t *Task) Note() string           { return t.note }
func (t *Task) CompletedAt() time.Time { return t.completedAt }
func (t *Task) Checklist() []Item      { return slices.Clone(t.checklist) }
func (t *Task) Comments() int          { return t.comments }
func (t *Task) Deleted() bool          { return t.deleted }
func (t *Task) CreatedAt() time.Time   { return t.createdAt }
func (t *Task) UpdatedAt() time.Time   { return t.updatedAt }

// Involves reports whether the user is the task's creator, assignee or a participant (who read
// it whatever their data scope).
func (t *Task) Involves(user uuid.UUID) bool {
	return user == t.creator || user == t.assignee || slices.Contains(t.fields.Participants, user.String())
}

func (t *Task) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		t.fields, t.source, t.status = e.Fields, e.Source, NotStarted
		t.assignee, _ = uuid.Parse(e.AssigneeID)
		t.creator, _ = uuid.Parse(e.By)
		t.assignedBy, t.assignedAt = t.creator, e.At
		t.createdAt, t.updatedAt = e.At, e.At
	case Updated:
		t.fields, t.updatedAt = t.fields.Apply(e.Patch), e.At
		if e.Patch.DueAt != nil || e.Patch.Reminders != nil { // a new due time reminds afresh
			t.reminded, t.overdue = nil, false
		}
	case Assigned:
		t.assignee, _ = uuid.Parse(e.AssigneeID)
		t.assignedBy, _ = uuid.Parse(e.By)
		t.assignedAt, t.updatedAt = e.At, e.At
	case StatusChanged:
		t.status, t.updatedAt = e.To, e.At
		switch {
		case e.To == Done || e.To == Cancelled:
			t.note, t.completedAt = e.Note, e.At
		default:
			t.note, t.completedAt = "", time.Time{}
		}
	case ItemAdded:
		t.checklist, t.updatedAt = append(t.checklist, Item{ID: e.ItemID, Text: e.Text}), e.At
	case ItemChecked:
		if i := t.item(e.ItemID); i >= 0 {
			t.checklist[i].Done = e.Done
		}
		t.updatedAt = e.At
	case ItemRemoved:
		if i := t.item(e.ItemID); i >= 0 {
			t.checklist = slices.Delete(t.checklist, i, i+1)
		}
		t.updatedAt = e.At
	case Commented:
		t.comments, t.updatedAt = t.comments+1, e.At
	case Deleted:
		t.deleted, t.updatedAt = true, e.At
	case Reminded:
		t.reminded = append(t.reminded, e.Offsets...)
	case FellOverdue:
		t.overdue = true
	}
}

// NextAlert is when the task next wants a reminder or its overdue notice: the earliest due
// time less an offset not yet fired, else its due time if not yet recorded overdue; zero when
// there is none (no due time, closed, deleted, everything fired).
func (t *Task) NextAlert() time.Time {
	due := t.fields.Due()
	if due.IsZero() || t.deleted || !Open(t.status) {
		return time.Time{}
	}
	var next time.Time
	for _, m := range t.fields.Reminders {
		if slices.Contains(t.reminded, m) {
			continue
		}
		if at := due.Add(-time.Duration(m) * time.Minute); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	if next.IsZero() && !t.overdue {
		next = due
	}
	return next
}

// Alert records what is due at now: the reminders whose time has come (once, together) and,
// once the due time has passed, that the task fell overdue. Nothing when nothing is due (the
// reminder process runs again harmlessly).
func (t *Task) Alert(now time.Time, by uuid.UUID) {
	due := t.fields.Due()
	if due.IsZero() || t.deleted || !Open(t.status) {
		return
	}
	var fire []int
	for _, m := range t.fields.Reminders {
		if !slices.Contains(t.reminded, m) && !now.Before(due.Add(-time.Duration(m)*time.Minute)) {
			fire = append(fire, m)
		}
	}
	if len(fire) > 0 {
		t.Record(t.apply, Reminded{TaskID: t.id.String(), Offsets: fire, DueAt: t.fields.DueAt, By: by.String(), At: now.UTC()})
	}
	if !t.overdue && !now.Before(due) { // the same instant NextAlert names
		t.Record(t.apply, FellOverdue{TaskID: t.id.String(), DueAt: t.fields.DueAt, By: by.String(), At: now.UTC()})
	}
}

// Fold applies a later event (read models keep a task's state in their row).
func (t *Task) Fold(e event.Event) { t.apply(e) }

func (t *Task) item(id string) int {
	return slices.IndexFunc(t.checklist, func(i Item) bool { return i.ID == id })
}

// Update changes fields (the creator only); a change to nothing records nothing.
func (t *Task) Update(p Patch, by uuid.UUID, at time.Time) error {
	if t.deleted {
		return ErrDeleted
	}
	if by != t.creator {
		return ErrNotCreator
	}
	next := t.fields.Apply(p)
	if err := next.Validate(); err != nil {
		return err
	}
	eff := diff(t.fields, next)
	if eff.IsZero() {
		return nil
	}
	t.Record(t.apply, Updated{TaskID: t.id.String(), Patch: eff, By: by.String(), At: at.UTC()})
	return nil
}

// Assign gives an open task to someone else (whom: the commands' rule); the same assignee
// records nothing.
func (t *Task) Assign(to, by uuid.UUID, at time.Time) error {
	switch {
	case t.deleted:
		return ErrDeleted
	case to == uuid.Nil:
		return &ValidationError{Field: "assigneeId", Message: "is required"}
	case !Open(t.status):
		return ErrClosed
	case to == t.assignee:
		return nil
	}
	t.Record(t.apply, Assigned{TaskID: t.id.String(), AssigneeID: to.String(), PreviousID: t.assignee.String(), By: by.String(), At: at.UTC()})
	return nil
}

// transitions are the status moves, each with who may make it: the assignee does the work; the
// creator may call it off and take back that decision.
var transitions = map[Status]map[Status]string{
	NotStarted: {InProgress: "assignee", Done: "assignee", Cancelled: "either"},
	InProgress: {NotStarted: "assignee", Done: "assignee", Cancelled: "either"},
	Done:       {InProgress: "assignee"},
	Cancelled:  {NotStarted: "either"},
}

// ErrTransition: the status cannot move from where it is to where it was asked.
var ErrTransition = errors.New("the task's status cannot move so")

// SetStatus moves the status; the same status records nothing. Note is the completion note (or
// why it was cancelled); it is kept only then.
func (t *Task) SetStatus(to Status, note string, by uuid.UUID, at time.Time) error {
	if t.deleted {
		return ErrDeleted
	}
	note = strings.TrimSpace(note)
	if err := errors.Join(field.Required("status", string(to)), field.OneOf("status", string(to), Statuses...), field.Text("note", note, MaxNote)); err != nil {
		return err
	}
	if to == t.status {
		return nil
	}
	who, ok := transitions[t.status][to]
	if !ok {
		return fmt.Errorf("%w: from %s to %s", ErrTransition, t.status, to)
	}
	if by != t.assignee && (who == "assignee" || by != t.creator) {
		return ErrNotAssignee
	}
	if to != Done && to != Cancelled {
		note = ""
	}
	t.Record(t.apply, StatusChanged{TaskID: t.id.String(), From: t.status, To: to, Note: note, By: by.String(), At: at.UTC()})
	return nil
}

func (t *Task) involved(by uuid.UUID) error {
	switch {
	case t.deleted:
		return ErrDeleted
	case by != t.creator && by != t.assignee:
		return ErrNotInvolved
	}
	return nil
}

// AddItem adds a checklist item (itemID makes a retry harmless: an item already there with the
// same text records nothing).
func (t *Task) AddItem(itemID uuid.UUID, text string, by uuid.UUID, at time.Time) error {
	if err := t.involved(by); err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if err := errors.Join(field.Required("text", text), field.Text("text", text, MaxItemText)); err != nil {
		return err
	}
	if i := t.item(itemID.String()); i >= 0 {
		if t.checklist[i].Text == text {
			return nil
		}
		return &ValidationError{Field: "id", Message: "is another item's id", Code: "duplicate_id"}
	}
	if len(t.checklist) >= MaxChecklist {
		return &ValidationError{Field: "checklist", Message: fmt.Sprintf("holds %d items already; at most %d", len(t.checklist), MaxChecklist), Code: "checklist_full"}
	}
	t.Record(t.apply, ItemAdded{TaskID: t.id.String(), ItemID: itemID.String(), Text: text, By: by.String(), At: at.UTC()})
	return nil
}

// ErrNoItem: the checklist has no such item.
var ErrNoItem = errors.New("the checklist has no such item")

// CheckItem ticks or unticks an item; the same state records nothing.
func (t *Task) CheckItem(itemID uuid.UUID, done bool, by uuid.UUID, at time.Time) error {
	if err := t.involved(by); err != nil {
		return err
	}
	i := t.item(itemID.String())
	switch {
	case i < 0:
		return ErrNoItem
	case t.checklist[i].Done == done:
		return nil
	}
	t.Record(t.apply, ItemChecked{TaskID: t.id.String(), ItemID: itemID.String(), Done: done, By: by.String(), At: at.UTC()})
	return nil
}

// RemoveItem removes an item.
func (t *Task) RemoveItem(itemID uuid.UUID, by uuid.UUID, at time.Time) error {
	if err := t.involved(by); err != nil {
		return err
	}
	if t.item(itemID.String()) < 0 {
		return ErrNoItem
	}
	t.Record(t.apply, ItemRemoved{TaskID: t.id.String(), ItemID: itemID.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Comment records a comment (who may read the task may comment: the commands' rule).
func (t *Task) Comment(commentID uuid.UUID, text string, by uuid.UUID, at time.Time) error {
	if t.deleted {
		return ErrDeleted
	}
	text = strings.TrimSpace(text)
	if err := errors.Join(field.Required("text", text), field.Text("text", text, MaxComment)); err != nil {
		return err
	}
	t.Record(t.apply, Commented{TaskID: t.id.String(), CommentID: commentID.String(), Text: text, By: by.String(), At: at.UTC()})
	return nil
}

// Delete removes the task from every list (the creator only).
func (t *Task) Delete(by uuid.UUID, at time.Time) error {
	if t.deleted {
		return ErrDeleted
	}
	if by != t.creator {
		return ErrNotCreator
	}
	t.Record(t.apply, Deleted{TaskID: t.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Snapshot is the task as a flat map (history diffs and as-of views).
func (t *Task) Snapshot() map[string]any {
	f := t.fields
	return map[string]any{"id": t.id.String(), "title": f.Title, "description": f.Description, "relatedKind": f.RelatedKind,
		"relatedId": f.RelatedID, "relatedName": f.RelatedName, "priority": string(f.Priority), "startAt": f.StartAt, "dueAt": f.DueAt,
		"participants": slices.Clone(f.Participants), "reminders": slices.Clone(f.Reminders),
		"assigneeId": t.assignee.String(), "creatorId": t.creator.String(), "source": t.source, "status": string(t.status),
		"note": t.note, "checklist": t.Checklist(), "comments": t.comments, "deleted": t.deleted, "version": t.Version(),
		"createdAt": t.createdAt.Format(time.RFC3339Nano), "updatedAt": t.updatedAt.Format(time.RFC3339Nano)}
}

// State is a task's state as a read model keeps it (everything but its history).
type State struct {
	Fields      Fields
	Assignee    uuid.UUID
	AssignedBy  uuid.UUID
	AssignedAt  time.Time
	Creator     uuid.UUID
	Source      string
	Status      Status
	Note        string
	CompletedAt time.Time
	Checklist   []Item
	Comments    int
	Reminded    []int
	Overdue     bool
	EditVersion int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Restore is a task in a known state (a read model's copy), to fold later events into.
func Restore(id uuid.UUID, s State) *Task {
	return &Task{id: id, fields: s.Fields, assignee: s.Assignee, assignedBy: s.AssignedBy, assignedAt: s.AssignedAt, creator: s.Creator,
		source: s.Source, status: s.Status, note: s.Note, completedAt: s.CompletedAt, checklist: slices.Clone(s.Checklist),
		comments: s.Comments, reminded: slices.Clone(s.Reminded), overdue: s.Overdue, editVersion: s.EditVersion, createdAt: s.CreatedAt, updatedAt: s.UpdatedAt}
}

// Reminded are the reminder offsets fired for the current due time; OverdueRecorded whether it
// was recorded overdue (read models keep them to restore the task).
func (t *Task) Reminded() []int       { return slices.Clone(t.reminded) }
func (t *Task) OverdueRecorded() bool { return t.overdue }
