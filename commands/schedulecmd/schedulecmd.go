// Package schedulecmd holds the schedule module's commands: enter a calendar entry, edit it, move
// it to another person's calendar, edit or cancel one occurrence of a series, delete it; its
// history and as-of snapshots; and the reminder process's alert.
//
// Who reads an entry: its owner, its creator and its participants, whatever their data scope;
// and holders of schedules.read whose data scope covers the owner. Whose calendar an entry may be
// put in: the actor's own; someone else's only by holders of schedules.assign whose data scope
// covers that person (a manager arranging a subordinate's visit). The aggregate decides the rest
// (the owner and the creator edit).
package schedulecmd

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/schedule"
)

// Related is what the module needs of the records it links to (commands.Related).
type Related = commands.Related

// Deps are the service's ports.
type Deps struct {
	Org     access.Directory
	Related Related
}

// Commands is the schedule module's port: what the transport calls; *Service implements it and
// Metered decorates it.
type Commands interface {
	Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error)
	Update(ctx context.Context, m commands.Meta, id uuid.UUID, p schedule.Patch) (commands.Result, error)
	ChangeOwner(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error)
	EditOccurrence(ctx context.Context, m commands.Meta, id uuid.UUID, occurrence string, o schedule.Override) (commands.Result, error)
	CancelOccurrence(ctx context.Context, m commands.Meta, id uuid.UUID, occurrence string) (commands.Result, error)
	Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error)
	Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*schedule.Schedule], error)
	History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error)
	AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error)
}

// Service handles the schedule commands.
type Service struct {
	repo  *commands.Repository[*schedule.Schedule]
	clock commands.Clock
	deps  Deps
	rules access.Rules
	// records: who reads an entry (those involved, and readers whose scope covers the owner)
	records commands.Involving[*schedule.Schedule]
}

var _ Commands = (*Service)(nil)

// New refuses missing ports.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, d Deps) *Service {
	if store == nil || registry == nil || clock == nil || d.Org == nil || d.Related == nil {
		panic("schedulecmd: New without its ports")
	}
	repo := commands.NewRepository(store, registry, clock, schedule.Stream, schedule.Rehydrate)
	rules := access.Rules{Org: d.Org, Read: role.SchedulesRead, Assign: role.SchedulesAssign}
	return &Service{repo: repo, clock: clock, deps: d, rules: rules,
		records: commands.Involving[*schedule.Schedule]{Repo: repo, Rules: rules, Holder: (*schedule.Schedule).Owner}}
}

// Create is an entry to enter.
type Create struct {
	ID      uuid.UUID
	Fields  schedule.Fields
	OwnerID uuid.UUID // uuid.Nil: the actor
}

// Create enters an entry in the actor's calendar or in that of someone the actor may arrange
// for.
func (s *Service) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	m.Command = commands.ScheduleCreate
	if !m.Actor.Can(role.SchedulesCreate) {
		return commands.Result{}, commands.ErrForbidden
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	owner, err := s.owner(ctx, m.Actor, c.OwnerID)
	if err != nil {
		return commands.Result{}, err
	}
	f := c.Fields.Apply(schedule.Patch{})
	if c.Fields.Reminders == nil {
		f.Reminders = nil // the aggregate's default
	}
	if f.Validate() == nil {
		if err := s.references(ctx, m.Actor, schedule.Fields{}, &f); err != nil {
			return commands.Result{}, err
		}
	}
	e, err := schedule.New(c.ID, f, owner, m.Actor.ID, s.clock())
	if err != nil {
		return commands.Result{}, err
	}
	return s.repo.CreateOrMatch(ctx, m, c.ID, e, commands.SameCreation[schedule.Created])
}

// owner is whose calendar an entry goes in: the actor's (uuid.Nil or themselves), or an active
// user inside the actor's data scope when the actor may arrange for others (schedules.assign).
func (s *Service) owner(ctx context.Context, a access.Actor, to uuid.UUID) (uuid.UUID, error) {
	return s.rules.Delegate(ctx, a, to, "ownerId", "is not someone whose calendar you may arrange (yourself, or a user inside your data scope with schedules.assign)")
}

// references checks what the fields name outside the entry, where they changed from before: the
// participants are active users, the related record exists and the actor may read it (its name is
// filled in).
func (s *Service) references(ctx context.Context, a access.Actor, before schedule.Fields, f *schedule.Fields) error {
	name, err := commands.CheckRefs(ctx, s.deps.Org, s.deps.Related, a,
		commands.Refs{Participants: before.Participants, RelatedKind: before.RelatedKind, RelatedID: before.RelatedID, RelatedName: before.RelatedName},
		commands.Refs{Participants: f.Participants, RelatedKind: f.RelatedKind, RelatedID: f.RelatedID})
	f.RelatedName = name
	return err
}

// Update changes fields (the owner or the creator).
func (s *Service) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p schedule.Patch) (commands.Result, error) {
	m.Command = commands.ScheduleUpdate
	return s.records.Edit(ctx, m, id, func(e *schedule.Schedule) error {
		if m.Actor.ID != e.Owner() && m.Actor.ID != e.Creator() {
			return schedule.ErrNotEditor
		}
		next := e.Fields().Apply(p)
		if err := next.Validate(); err != nil {
			return err
		}
		if err := s.references(ctx, m.Actor, e.Fields(), &next); err != nil {
			return err
		}
		if next.RelatedName != e.Fields().RelatedName {
			p.RelatedName = &next.RelatedName
		}
		return e.Update(p, m.Actor.ID, s.clock())
	})
}

// ChangeOwner moves the entry to the calendar of the actor or of someone the actor may arrange
// for (the owner or the creator moves it).
func (s *Service) ChangeOwner(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error) {
	m.Command = commands.ScheduleChangeOwner
	return s.records.Edit(ctx, m, id, func(e *schedule.Schedule) error {
		if to == uuid.Nil {
			return &field.Error{Field: "ownerId", Message: "is required"}
		}
		to, err := s.owner(ctx, m.Actor, to)
		if err != nil {
			return err
		}
		return e.ChangeOwner(to, m.Actor.ID, s.clock())
	})
}

// EditOccurrence edits one occurrence of a series.
func (s *Service) EditOccurrence(ctx context.Context, m commands.Meta, id uuid.UUID, occurrence string, o schedule.Override) (commands.Result, error) {
	m.Command = commands.ScheduleOccurrence
	return s.records.Edit(ctx, m, id, func(e *schedule.Schedule) error { return e.EditOccurrence(occurrence, o, m.Actor.ID, s.clock()) })
}

// CancelOccurrence cancels one occurrence of a series.
func (s *Service) CancelOccurrence(ctx context.Context, m commands.Meta, id uuid.UUID, occurrence string) (commands.Result, error) {
	m.Command = commands.ScheduleOccurrence
	return s.records.Edit(ctx, m, id, func(e *schedule.Schedule) error { return e.CancelOccurrence(occurrence, m.Actor.ID, s.clock()) })
}

// Delete removes the entry from every calendar (the owner or the creator); its history stays.
func (s *Service) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.ScheduleDelete
	return s.records.Edit(ctx, m, id, func(e *schedule.Schedule) error { return e.Delete(m.Actor.ID, s.clock()) })
}

// History is the entry's events with their field-level changes, if the actor may read it.
func (s *Service) History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	return s.repo.History(ctx, id, (*schedule.Schedule).Snapshot)
}

// AsOf is the entry as it was at a time, if the actor may read it now.
func (s *Service) AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	e, err := s.repo.AsOf(ctx, id, until)
	if err != nil {
		return nil, err
	}
	return e.Snapshot(), nil
}

// Alert records, as the system, the reminders of an entry whose time has come (the reminder
// process; an entry with nothing due records nothing, a deleted one is skipped).
func (s *Service) Alert(ctx context.Context, id uuid.UUID) (commands.Result, error) {
	m := commands.Meta{Actor: access.System, Command: commands.ScheduleAlert, RequestID: "schedule-reminders", CorrelationID: uuid.NewString()}
	res, err := s.repo.Update(ctx, m, id, func(e *schedule.Schedule) error {
		e.Alert(s.clock(), access.System.ID)
		return nil
	})
	if errors.Is(err, commands.ErrNotFound) {
		return res, nil
	}
	return res, err
}

// Metered records every command of next (name, outcome, duration) with rec; queries pass through.
func Metered(next Commands, rec commands.Recorder) Commands { return metered{Commands: next, rec: rec} }

type metered struct {
	Commands
	rec commands.Recorder
}

func (d metered) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ScheduleCreate, func() (commands.Result, error) { return d.Commands.Create(ctx, m, c) })
}

func (d metered) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p schedule.Patch) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ScheduleUpdate, func() (commands.Result, error) { return d.Commands.Update(ctx, m, id, p) })
}

func (d metered) ChangeOwner(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ScheduleChangeOwner, func() (commands.Result, error) { return d.Commands.ChangeOwner(ctx, m, id, to) })
}

func (d metered) EditOccurrence(ctx context.Context, m commands.Meta, id uuid.UUID, occurrence string, o schedule.Override) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ScheduleOccurrence, func() (commands.Result, error) {
		return d.Commands.EditOccurrence(ctx, m, id, occurrence, o)
	})
}

func (d metered) CancelOccurrence(ctx context.Context, m commands.Meta, id uuid.UUID, occurrence string) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ScheduleOccurrence, func() (commands.Result, error) {
		return d.Commands.CancelOccurrence(ctx, m, id, occurrence)
	})
}

func (d metered) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	return commands.Measure(d.rec, commands.ScheduleDelete, func() (commands.Result, error) { return d.Commands.Delete(ctx, m, id) })
}

// Load reads a live entry the actor may read.
func (s *Service) Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*schedule.Schedule], error) {
	return s.records.Load(ctx, a, id)
}
