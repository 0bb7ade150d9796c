// Package taskcmd holds the task module's commands: enter a task, edit it, assign it, move its
// status, keep its checklist, comment on it, delete it; its history and as-of snapshots.
//
// Who reads a task: its creator, its assignee and its participants, whatever their data scope;
// and holders of tasks.read whose data scope covers the assignee (a manager reads the tasks of
// the people below). Who assigns: anyone to themselves; to someone else only holders of
// tasks.assign whose data scope covers the new assignee (the documents: superiors assign tasks
// to their subordinates). The aggregate decides the rest (the creator edits, the assignee moves
// the status).
package taskcmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/task"
)

// Related is what the module needs of the records it links to (commands.Related).
type Related = commands.Related

// Deps are the service's ports.
type Deps struct {
	Org     access.Directory
	Related Related
}

// Service handles the task commands.
type Service struct {
	repo  *commands.Repository[*task.Task]
	clock commands.Clock
	deps  Deps
	rules access.Rules
	// records: who reads an entry (those involved, and readers whose scope covers the assignee)
	records commands.Involving[*task.Task]
}

var _ Commands = (*Service)(nil)

// New refuses missing ports.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, d Deps) *Service {
	if store == nil || registry == nil || clock == nil || d.Org == nil || d.Related == nil {
		panic("taskcmd: New without its ports")
	}
	repo := commands.NewRepository(store, registry, clock, task.Stream, task.Rehydrate)
	rules := access.Rules{Org: d.Org, Read: role.TasksRead, Assign: role.TasksAssign}
	return &Service{repo: repo, clock: clock, deps: d, rules: rules,
		records: commands.Involving[*task.Task]{Repo: repo, Rules: rules, Holder: (*task.Task).Assignee}}
}

// Create is a task to enter.
type Create struct {
	ID         uuid.UUID
	Fields     task.Fields
	AssigneeID uuid.UUID // uuid.Nil: the actor
	Source     string    // "": entered directly
}

// Create enters a task for the actor or for someone the actor may assign work to.
func (s *Service) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	m.Command = commands.TaskCreate
	if !m.Actor.Can(role.TasksCreate) {
		return commands.Result{}, commands.ErrForbidden
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	assignee, err := s.assignee(ctx, m.Actor, c.AssigneeID)
	if err != nil {
		return commands.Result{}, err
	}
	// the references are checked on valid fields as the task will hold them (normalised); bad
	// fields are the task's own error, below
	f := c.Fields.Apply(task.Patch{})
	if f.Validate() == nil {
		if err := s.references(ctx, m.Actor, task.Fields{}, &f); err != nil {
			return commands.Result{}, err
		}
	}
	t, err := task.New(c.ID, f, assignee, c.Source, m.Actor.ID, s.clock())
	if err != nil {
		return commands.Result{}, err
	}
	return s.repo.CreateOrMatch(ctx, m, c.ID, t, commands.SameCreation[task.Created])
}

// assignee is who a task goes to: the actor (uuid.Nil or themselves), or an active user inside
// the actor's data scope when the actor may assign (tasks.assign).
func (s *Service) assignee(ctx context.Context, a access.Actor, to uuid.UUID) (uuid.UUID, error) {
	return s.rules.Delegate(ctx, a, to, "assigneeId", "is not someone you may assign tasks to (yourself, or a user inside your data scope with tasks.assign)")
}

// references checks what the fields name outside the task, where they changed from before:
// the participants are active users, the related record exists and the actor may read it (its
// name is filled in).
func (s *Service) references(ctx context.Context, a access.Actor, before task.Fields, f *task.Fields) error {
	name, err := commands.CheckRefs(ctx, s.deps.Org, s.deps.Related, a,
		commands.Refs{Participants: before.Participants, RelatedKind: before.RelatedKind, RelatedID: before.RelatedID, RelatedName: before.RelatedName},
		commands.Refs{Participants: f.Participants, RelatedKind: f.RelatedKind, RelatedID: f.RelatedID})
	f.RelatedName = name
	return err
}

// Update changes fields (the creator).
func (s *Service) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p task.Patch) (commands.Result, error) {
	m.Command = commands.TaskUpdate
	return s.records.Edit(ctx, m, id, func(t *task.Task) error {
		if m.Actor.ID != t.Creator() {
			return task.ErrNotCreator
		}
		next := t.Fields().Apply(p)
		if err := next.Validate(); err != nil {
			return err
		}
		if err := s.references(ctx, m.Actor, t.Fields(), &next); err != nil {
			return err
		}
		if next.RelatedName != t.Fields().RelatedName {
			p.RelatedName = &next.RelatedName
		}
		return t.Update(p, m.Actor.ID, s.clock())
	})
}

// Assign gives the task to someone else: its creator, or a holder of tasks.assign whose scope
// covers the current assignee, may; the new assignee is the actor or someone the actor may
// assign work to.
func (s *Service) Assign(ctx context.Context, m commands.Meta, id, to uuid.UUID) (commands.Result, error) {
	m.Command = commands.TaskAssign
	return s.records.Edit(ctx, m, id, func(t *task.Task) error {
		if to == uuid.Nil {
			return &field.Error{Field: "assigneeId", Message: "is required"}
		}
		if m.Actor.ID != t.Creator() {
			if !m.Actor.Can(role.TasksAssign) {
				return commands.ErrForbidden
			}
			p, _, err := s.deps.Org.Placement(ctx, t.Assignee())
			if err != nil {
				return err
			}
			if !m.Actor.Covers(t.Assignee(), p) {
				return fmt.Errorf("%w: the task's assignee is outside your data scope", commands.ErrForbidden)
			}
		}
		to, err := s.assignee(ctx, m.Actor, to)
		if err != nil {
			return err
		}
		return t.Assign(to, m.Actor.ID, s.clock())
	})
}

// SetStatus moves the status (the assignee; the creator may cancel or reopen a cancelled task).
func (s *Service) SetStatus(ctx context.Context, m commands.Meta, id uuid.UUID, to task.Status, note string) (commands.Result, error) {
	m.Command = commands.TaskSetStatus
	return s.records.Edit(ctx, m, id, func(t *task.Task) error { return t.SetStatus(to, note, m.Actor.ID, s.clock()) })
}

// AddItem adds a checklist item (itemID makes a retry harmless).
func (s *Service) AddItem(ctx context.Context, m commands.Meta, id, itemID uuid.UUID, text string) (commands.Result, error) {
	m.Command = commands.TaskChecklist
	if itemID == uuid.Nil {
		itemID = uuid.Must(uuid.NewV7())
	}
	res, err := s.records.Edit(ctx, m, id, func(t *task.Task) error { return t.AddItem(itemID, text, m.Actor.ID, s.clock()) })
	res.ID = itemID
	return res, err
}

// CheckItem ticks or unticks a checklist item.
func (s *Service) CheckItem(ctx context.Context, m commands.Meta, id, itemID uuid.UUID, done bool) (commands.Result, error) {
	m.Command = commands.TaskChecklist
	return s.records.Edit(ctx, m, id, func(t *task.Task) error { return t.CheckItem(itemID, done, m.Actor.ID, s.clock()) })
}

// RemoveItem removes a checklist item.
func (s *Service) RemoveItem(ctx context.Context, m commands.Meta, id, itemID uuid.UUID) (commands.Result, error) {
	m.Command = commands.TaskChecklist
	return s.records.Edit(ctx, m, id, func(t *task.Task) error { return t.RemoveItem(itemID, m.Actor.ID, s.clock()) })
}

// Comment records a comment by someone who reads the task.
func (s *Service) Comment(ctx context.Context, m commands.Meta, id uuid.UUID, text string) (commands.Result, error) {
	m.Command = commands.TaskComment
	commentID := uuid.Must(uuid.NewV7())
	res, err := s.records.Edit(ctx, m, id, func(t *task.Task) error { return t.Comment(commentID, text, m.Actor.ID, s.clock()) })
	res.ID = commentID
	return res, err
}

// Delete removes the task from every list (the creator); its history stays.
func (s *Service) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.TaskDelete
	return s.records.Edit(ctx, m, id, func(t *task.Task) error { return t.Delete(m.Actor.ID, s.clock()) })
}

// History is the task's events with their field-level changes, if the actor may read it.
func (s *Service) History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	return s.repo.History(ctx, id, (*task.Task).Snapshot)
}

// AsOf is the task as it was at a time, if the actor may read it now.
func (s *Service) AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	t, err := s.repo.AsOf(ctx, id, until)
	if err != nil {
		return nil, err
	}
	return t.Snapshot(), nil
}

// Alert records, as the system, what is due of a task now: its reminders whose time has come and
// that it fell overdue (the reminder process; a task with nothing due records nothing, a deleted
// one is skipped).
func (s *Service) Alert(ctx context.Context, id uuid.UUID) (commands.Result, error) {
	m := commands.Meta{Actor: access.System, Command: commands.TaskAlert, RequestID: "task-reminders", CorrelationID: uuid.NewString()}
	res, err := s.repo.Update(ctx, m, id, func(t *task.Task) error {
		t.Alert(s.clock(), access.System.ID)
		return nil
	})
	if errors.Is(err, commands.ErrNotFound) {
		return res, nil
	}
	return res, err
}

// Load reads a live task the actor may read.
func (s *Service) Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*task.Task], error) {
	return s.records.Load(ctx, a, id)
}
