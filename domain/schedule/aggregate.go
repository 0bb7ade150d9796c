package schedule

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Events.
type (
	// Created: an entry was put in OwnerID's calendar (the creator's, or a subordinate's).
	Created struct {
		ScheduleID string    `json:"scheduleId"`
		Fields     Fields    `json:"fields"`
		OwnerID    string    `json:"ownerId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// Updated: fields changed (only those in the patch, with their new values). A change of
	// timing (Patch.Timing) drops the cancelled and edited occurrences.
	Updated struct {
		ScheduleID string    `json:"scheduleId"`
		Patch      Patch     `json:"patch"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// OwnerChanged: the entry moved to another person's calendar.
	OwnerChanged struct {
		ScheduleID string    `json:"scheduleId"`
		Title      string    `json:"title"`
		OwnerID    string    `json:"ownerId"`
		PreviousID string    `json:"previousId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// OccurrenceChanged: one occurrence of a series was edited (its time, and its own title,
	// location or description where given).
	OccurrenceChanged struct {
		ScheduleID string    `json:"scheduleId"`
		Occurrence string    `json:"occurrence"`
		Override   Override  `json:"override"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// OccurrenceCancelled: one occurrence of a series will not take place (RFC 5545's EXDATE).
	OccurrenceCancelled struct {
		ScheduleID string    `json:"scheduleId"`
		Occurrence string    `json:"occurrence"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// Reminded: the reminder process went through the entry's reminders up to Through; those of
	// Occurrence (Offsets, minutes before it starts; Title is what it shows) fired, for To (the
	// owner and the participants). An occurrence that had started by then is not reminded of
	// (the process was not running): Occurrence is then "".
	Reminded struct {
		ScheduleID string    `json:"scheduleId"`
		Title      string    `json:"title,omitempty"`
		To         []string  `json:"to,omitempty"`
		Occurrence string    `json:"occurrence,omitempty"`
		Start      string    `json:"start,omitempty"`
		Offsets    []int     `json:"offsets,omitempty"`
		Through    time.Time `json:"through"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
	// Deleted: the entry leaves every calendar; its history stays.
	Deleted struct {
		ScheduleID string    `json:"scheduleId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
)

func (Created) EventType() string             { return "schedule.created.v1" }
func (Updated) EventType() string             { return "schedule.updated.v1" }
func (OwnerChanged) EventType() string        { return "schedule.owner_changed.v1" }
func (OccurrenceChanged) EventType() string   { return "schedule.occurrence_changed.v1" }
func (OccurrenceCancelled) EventType() string { return "schedule.occurrence_cancelled.v1" }
func (Reminded) EventType() string            { return "schedule.reminded.v1" }
func (Deleted) EventType() string             { return "schedule.deleted.v1" }

// Register adds the schedule events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} }, func() event.Event { return &Updated{} },
		func() event.Event { return &OwnerChanged{} }, func() event.Event { return &OccurrenceChanged{} },
		func() event.Event { return &OccurrenceCancelled{} }, func() event.Event { return &Reminded{} },
		func() event.Event { return &Deleted{} })
}

// Schedule is the aggregate state.
type Schedule struct {
	event.Root
	id          uuid.UUID
	series      Series
	owner       uuid.UUID
	creator     uuid.UUID
	through     time.Time // reminders are handled up to here
	editVersion int64
	deleted     bool
	createdAt   time.Time
	updatedAt   time.Time
}

// New enters an entry. A nil Reminders list takes DefaultReminders.
func New(id uuid.UUID, f Fields, owner, by uuid.UUID, at time.Time) (*Schedule, error) {
	if id == uuid.Nil {
		return nil, &ValidationError{Field: "id", Message: "is required"}
	}
	if f.Reminders == nil {
		f.Reminders = slices.Clone(DefaultReminders)
	}
	f = f.normalise()
	errs := []error{f.Validate()}
	if owner == uuid.Nil {
		errs = append(errs, &ValidationError{Field: "ownerId", Message: "is required"})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Schedule{id: id}
	s.Record(s.apply, Created{ScheduleID: id.String(), Fields: f, OwnerID: owner.String(), By: by.String(), At: at.UTC()})
	return s, nil
}

// Rehydrate rebuilds an entry from its history. Only repositories call it.
func Rehydrate(id uuid.UUID, history []event.Event) (*Schedule, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Created); !ok {
		return nil, fmt.Errorf("schedule %s: history starts with %s", id, history[0].EventType())
	}
	s := &Schedule{id: id}
	s.Replay(s.apply, history, func(e event.Event, version int64) {
		if MovesEditVersion(e) {
			s.editVersion = version
		}
	})
	return s, nil
}

// MovesEditVersion reports whether e changes what people edit, and so moves the version clients
// send back in If-Match: the reminder process's notices do not.
func MovesEditVersion(e event.Event) bool {
	_, reminded := e.(Reminded)
	return !reminded
}

// MovesEditVersion is the package's rule as a method, for the repository.
func (s *Schedule) MovesEditVersion(e event.Event) bool { return MovesEditVersion(e) }

// EditVersion is the version of the last event that MovesEditVersion (the entry's ETag).
func (s *Schedule) EditVersion() int64 { return s.editVersion }

func (s *Schedule) ID() uuid.UUID        { return s.id }
func (s *Schedule) Fields() Fields       { return s.series.Fields }
func (s *Schedule) Owner() uuid.UUID     { return s.owner }
func (s *Schedule) Creator() uuid.UUID   { return s.creator }
func (s *Schedule) Deleted() bool        { return s.deleted }
func (s *Schedule) CreatedAt() time.Time { return s.createdAt }
func (s *Schedule) UpdatedAt() time.Time { return s.updatedAt }
func (s *Schedule) Through() time.Time   { return s.through }

// Series is the entry's timing with its cancelled and edited occurrences (copies).
func (s *Schedule) Series() Series {
	return Series{Fields: s.series.Fields, Cancelled: slices.Clone(s.series.Cancelled), Overrides: maps.Clone(s.series.Overrides)}
}

// Involves reports whether the user is the entry's owner, creator or a participant (who read it
// whatever their data scope).
func (s *Schedule) Involves(user uuid.UUID) bool {
	return user == s.owner || user == s.creator || slices.Contains(s.series.Fields.Participants, user.String())
}

func (s *Schedule) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		s.series = Series{Fields: e.Fields}
		s.owner, _ = uuid.Parse(e.OwnerID)
		s.creator, _ = uuid.Parse(e.By)
		s.createdAt, s.updatedAt = e.At, e.At
		s.through = e.At // nothing before the entry existed is reminded of
	case Updated:
		s.series.Fields, s.updatedAt = s.series.Fields.Apply(e.Patch), e.At
		if e.Patch.Timing() {
			s.series.Cancelled, s.series.Overrides = nil, nil
		}
	case OwnerChanged:
		s.owner, _ = uuid.Parse(e.OwnerID)
		s.updatedAt = e.At
	case OccurrenceChanged:
		if s.series.Overrides == nil {
			s.series.Overrides = map[string]Override{}
		}
		s.series.Overrides[e.Occurrence], s.updatedAt = e.Override, e.At
	case OccurrenceCancelled:
		delete(s.series.Overrides, e.Occurrence)
		s.series.Cancelled, s.updatedAt = append(s.series.Cancelled, e.Occurrence), e.At
	case Reminded:
		s.through = e.Through
	case Deleted:
		s.deleted, s.updatedAt = true, e.At
	}
}

// Fold applies a later event (read models keep an entry's state in their row).
func (s *Schedule) Fold(e event.Event) { s.apply(e) }

func (s *Schedule) editor(by uuid.UUID) error {
	switch {
	case s.deleted:
		return ErrDeleted
	case by != s.owner && by != s.creator:
		return ErrNotEditor
	}
	return nil
}

// Update changes fields (the owner or the creator); a change to nothing records nothing.
func (s *Schedule) Update(p Patch, by uuid.UUID, at time.Time) error {
	if err := s.editor(by); err != nil {
		return err
	}
	next := s.series.Fields.Apply(p)
	if err := next.Validate(); err != nil {
		return err
	}
	eff := diff(s.series.Fields, next)
	if eff.IsZero() {
		return nil
	}
	s.Record(s.apply, Updated{ScheduleID: s.id.String(), Patch: eff, By: by.String(), At: at.UTC()})
	return nil
}

// ChangeOwner moves the entry to another calendar (whose: the commands' rule); the same owner
// records nothing.
func (s *Schedule) ChangeOwner(to, by uuid.UUID, at time.Time) error {
	if err := s.editor(by); err != nil {
		return err
	}
	switch {
	case to == uuid.Nil:
		return &ValidationError{Field: "ownerId", Message: "is required"}
	case to == s.owner:
		return nil
	}
	s.Record(s.apply, OwnerChanged{ScheduleID: s.id.String(), Title: s.series.Fields.Title, OwnerID: to.String(), PreviousID: s.owner.String(), By: by.String(), At: at.UTC()})
	return nil
}

// occurrence checks that the entry is a series with a live occurrence of that name.
func (s *Schedule) occurrence(key string, by uuid.UUID) error {
	if err := s.editor(by); err != nil {
		return err
	}
	if s.series.Fields.Recurrence == "" {
		return &ValidationError{Field: "occurrence", Message: "the entry does not repeat: edit the entry itself", Code: "not_recurring"}
	}
	if !s.series.Has(key) || slices.Contains(s.series.Cancelled, key) {
		return ErrNoOccurrence
	}
	if _, edited := s.series.Overrides[key]; !edited && len(s.series.Cancelled)+len(s.series.Overrides) >= MaxChanged {
		return &ValidationError{Field: "occurrence", Message: fmt.Sprintf("the series has %d changed occurrences already; at most %d: split it", MaxChanged, MaxChanged), Code: "too_many_changes"}
	}
	return nil
}

// EditOccurrence edits one occurrence of a series; the same edit records nothing.
func (s *Schedule) EditOccurrence(key string, o Override, by uuid.UUID, at time.Time) error {
	if err := s.occurrence(key, by); err != nil {
		return err
	}
	allDay := s.series.Fields.AllDay
	o.Start, o.End = normTime(o.Start, allDay), normTime(o.End, allDay)
	trim := func(p **string) {
		if *p != nil {
			v := strings.TrimSpace(**p)
			*p = &v
		}
	}
	trim(&o.Title)
	trim(&o.Location)
	trim(&o.Description)
	errs := validTimes(o.Start, o.End, allDay, "")
	if o.Title != nil {
		errs = append(errs, field.Required("title", *o.Title), field.Text("title", *o.Title, MaxTitle))
	}
	if o.Location != nil {
		errs = append(errs, field.Text("location", *o.Location, MaxLocation))
	}
	if o.Description != nil {
		errs = append(errs, field.Text("description", *o.Description, MaxDescription))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if cur, ok := s.series.Overrides[key]; ok && fmt.Sprint(cur) == fmt.Sprint(o) && equalOverride(cur, o) {
		return nil
	}
	s.Record(s.apply, OccurrenceChanged{ScheduleID: s.id.String(), Occurrence: key, Override: o, By: by.String(), At: at.UTC()})
	return nil
}

func equalOverride(a, b Override) bool {
	eq := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Start == b.Start && a.End == b.End && eq(a.Title, b.Title) && eq(a.Location, b.Location) && eq(a.Description, b.Description)
}

// CancelOccurrence cancels one occurrence of a series.
func (s *Schedule) CancelOccurrence(key string, by uuid.UUID, at time.Time) error {
	if err := s.occurrence(key, by); err != nil {
		return err
	}
	s.Record(s.apply, OccurrenceCancelled{ScheduleID: s.id.String(), Occurrence: key, By: by.String(), At: at.UTC()})
	return nil
}

// Delete removes the entry from every calendar (the owner or the creator).
func (s *Schedule) Delete(by uuid.UUID, at time.Time) error {
	if err := s.editor(by); err != nil {
		return err
	}
	s.Record(s.apply, Deleted{ScheduleID: s.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// alerts lists the reminder instants (start - offset, each later than after) of the occurrences
// that start in [lo, hi) (edited times count, cancelled occurrences do not), earliest first.
func (s *Schedule) alerts(lo, hi, after time.Time) []alert {
	var out []alert
	occ, _ := s.series.Expand(lo, hi, MaxExpanded)
	for _, o := range occ {
		if o.span.Start.Before(lo) || !o.span.Start.Before(hi) {
			continue
		}
		for _, m := range s.series.Fields.Reminders {
			if at := o.span.Start.Add(-time.Duration(m) * time.Minute); at.After(after) {
				out = append(out, alert{at, o, m})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b alert) int { return a.at.Compare(b.at) })
	return out
}

type alert struct {
	at     time.Time
	o      Occurrence
	offset int
}

// NextAlert is when the entry next wants a reminder: the earliest reminder instant after the
// point the reminder process has handled; zero when there is none (no reminders, deleted, the
// series over).
func (s *Schedule) NextAlert() time.Time {
	if s.deleted || len(s.series.Fields.Reminders) == 0 {
		return time.Time{}
	}
	maxOffset := time.Duration(slices.Max(s.series.Fields.Reminders)) * time.Minute
	_, last := s.series.Bounds()
	// Occurrences from the handled point in a growing window: an instant found is the earliest
	// of all once no later occurrence can remind earlier (start - the largest offset).
	for width := 32 * 24 * time.Hour; ; width *= 2 {
		hi := s.through.Add(width)
		var best time.Time
		if as := s.alerts(s.through, hi, s.through); len(as) > 0 {
			best = as[0].at
		}
		if !best.IsZero() && !best.After(hi.Add(-maxOffset)) {
			return best
		}
		if (!last.IsZero() && !hi.Before(last)) || width > 20*366*24*time.Hour {
			return best
		}
	}
}

// Alert records what is due at now: the reminders whose time has come of the soonest occurrence
// that has not started yet (once, together), and that everything up to now was handled (the
// reminders of occurrences that started while the process was not running are not sent late).
// Nothing when no reminder is due.
func (s *Schedule) Alert(now time.Time, by uuid.UUID) {
	next := s.NextAlert()
	if next.IsZero() || now.Before(next) {
		return
	}
	ev := Reminded{ScheduleID: s.id.String(), Through: now.UTC(), By: by.String(), At: now.UTC()}
	maxOffset := time.Duration(slices.Max(s.series.Fields.Reminders)) * time.Minute
	var due []alert
	for _, a := range s.alerts(now.Add(time.Nanosecond), now.Add(maxOffset+time.Nanosecond), s.through) {
		if !a.at.After(now) {
			due = append(due, a)
		}
	}
	if len(due) > 0 {
		soonest := slices.MinFunc(due, func(a, b alert) int { return a.o.span.Start.Compare(b.o.span.Start) }).o
		ev.Occurrence, ev.Start, ev.Title = soonest.Key, soonest.Start, soonest.Title
		ev.To = append([]string{s.owner.String()}, s.series.Fields.Participants...)
		slices.Sort(ev.To)
		ev.To = slices.Compact(ev.To)
		for _, a := range due {
			if a.o.Key == soonest.Key {
				ev.Offsets = append(ev.Offsets, a.offset)
			}
		}
	}
	slices.Sort(ev.Offsets)
	ev.Offsets = slices.Compact(ev.Offsets)
	s.Record(s.apply, ev)
}

// Snapshot is the entry as a flat map (history diffs and as-of views).
func (s *Schedule) Snapshot() map[string]any {
	f := s.series.Fields
	return map[string]any{"id": s.id.String(), "title": f.Title, "description": f.Description, "location": f.Location,
		"allDay": f.AllDay, "start": f.Start, "end": f.End, "recurrence": f.Recurrence, "relatedKind": f.RelatedKind,
		"relatedId": f.RelatedID, "relatedName": f.RelatedName, "participants": slices.Clone(f.Participants),
		"reminders": slices.Clone(f.Reminders), "cancelled": slices.Clone(s.series.Cancelled), "overrides": maps.Clone(s.series.Overrides),
		"ownerId": s.owner.String(), "creatorId": s.creator.String(), "deleted": s.deleted, "version": s.Version(),
		"createdAt": s.createdAt.Format(time.RFC3339Nano), "updatedAt": s.updatedAt.Format(time.RFC3339Nano)}
}

// State is an entry's state as a read model keeps it (everything but its history).
type State struct {
	Series      Series
	Owner       uuid.UUID
	Creator     uuid.UUID
	Through     time.Time
	EditVersion int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Restore is an entry in a known state (a read model's copy), to fold later events into.
func Restore(id uuid.UUID, st State) *Schedule {
	return &Schedule{id: id, series: Series{Fields: st.Series.Fields, Cancelled: slices.Clone(st.Series.Cancelled), Overrides: maps.Clone(st.Series.Overrides)},
		owner: st.Owner, creator: st.Creator, through: st.Through, editVersion: st.EditVersion, createdAt: st.CreatedAt, updatedAt: st.UpdatedAt}
}
