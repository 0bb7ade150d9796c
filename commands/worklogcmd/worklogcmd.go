// Package worklogcmd holds the work log module's commands: draft a log (or draft and submit it
// at once), edit it, submit it, comment on it, record a recipient's reading; its history and
// as-of snapshots.
//
// One log per writer, kind and period: the log's key (worklog.Key) is reserved on a reservation
// stream before the log's own stream is written, with the reservation stream's expected version,
// so of two drafts of the same period at once exactly one is written — the other is
// DuplicatePeriodError (409), never a second log that a read model would have to notice.
//
// Whom a log goes to: the writer's superiors as the organisation says at the submission — the
// writer's superior and the head of the writer's department (for a writer who heads it, the head
// of the nearest department above with another head) — and the extra recipients the writer
// names, active users. Who reads a log: its writer (a draft is the writer's alone); once it is
// submitted, its recipients and holders of worklogs.read whose data scope covers the writer (a
// superior reads the subordinates' logs). Whoever reads a submitted log may comment on it.
package worklogcmd

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
	"github.com/chronicle-crm/chronicle/domain/worklog"
)

// Directory is what work logs read of the organisation (a port the wiring fills). Every answer
// names active users only.
type Directory interface {
	access.Directory
	// Superior is the user's superior (uuid.Nil: none, or not active).
	Superior(ctx context.Context, user uuid.UUID) (uuid.UUID, error)
	// DepartmentOf is the user's department (uuid.Nil: none).
	DepartmentOf(ctx context.Context, user uuid.UUID) (uuid.UUID, error)
	// DepartmentHead is the department's head (uuid.Nil: none, or not active; ok false: no such
	// department).
	DepartmentHead(ctx context.Context, dept uuid.UUID) (head uuid.UUID, ok bool, err error)
	// ParentDepartment is the department above dept (uuid.Nil: none).
	ParentDepartment(ctx context.Context, dept uuid.UUID) (uuid.UUID, error)
}

// Related is what work logs need of the modules whose records they name (a port the wiring
// fills): the name of a live record of that kind that the actor may read, commands.ErrNotFound
// when there is none.
type Related interface {
	RelatedName(ctx context.Context, a access.Actor, kind string, id uuid.UUID) (string, error)
}

// Deps are the service's ports.
type Deps struct {
	Org     Directory
	Related Related
}

// periodNS namespaces the streams that reserve writers' periods.
var periodNS = uuid.MustParse("3f9a6c2e-8b14-4d7e-a5c0-6e2b9d1f4a73")

// ErrDuplicatePeriod: the writer has a log of this kind for this period already.
var ErrDuplicatePeriod = errors.New("a work log of this kind for this period exists already")

// DuplicatePeriodError names the log that holds the period.
type DuplicatePeriodError struct {
	Key      string
	HolderID uuid.UUID
}

func (e *DuplicatePeriodError) Error() string {
	return fmt.Sprintf("%s: log %s", ErrDuplicatePeriod, e.HolderID)
}

func (e *DuplicatePeriodError) Unwrap() error { return ErrDuplicatePeriod }

// Service handles the work log commands.
type Service struct {
	repo    *commands.Repository[*worklog.Log]
	periods commands.Reservations
	clock   commands.Clock
	deps    Deps
	rules   access.Rules
}

var _ Commands = (*Service)(nil)

// New refuses missing ports.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, d Deps) *Service {
	if store == nil || registry == nil || clock == nil || d.Org == nil || d.Related == nil {
		panic("worklogcmd: New without its ports")
	}
	s := &Service{repo: commands.NewRepository(store, registry, clock, worklog.Stream, worklog.Rehydrate), clock: clock, deps: d,
		rules: access.Rules{Org: d.Org, Read: role.WorklogsRead}}
	// A period is held by the log that reserved it once that log exists (logs are not deleted,
	// and their writer, kind and period never change).
	s.periods = commands.Reservations{Store: store, Registry: registry, Clock: clock, Kind: commands.WorkLogPeriodKind, NS: periodNS,
		Holds: func(ctx context.Context, id uuid.UUID, key string) (bool, bool, error) {
			l, err := s.repo.Load(ctx, id)
			if errors.Is(err, commands.ErrNotFound) {
				return false, false, nil
			}
			if err != nil {
				return false, false, err
			}
			return l.Root.Key() == key, true, nil
		}}
	return s
}

// Create is a log to draft (and, with Submit, to submit at once).
type Create struct {
	ID     uuid.UUID
	Kind   worklog.Kind
	Period string // any day of the period; a week also 2006-W01, a month 2006-01
	Fields worklog.Fields
	Submit bool
}

// Create drafts a log for the actor, and submits it when asked. The period is reserved first:
// a second log of the writer's for the same kind and period is DuplicatePeriodError.
func (s *Service) Create(ctx context.Context, m commands.Meta, c Create) (commands.Result, error) {
	m.Command = commands.WorkLogCreate
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	now := s.clock()
	// the references are checked on valid fields as the log will hold them; bad fields are the
	// log's own error, below
	l, err := worklog.New(c.ID, c.Kind, c.Period, c.Fields, m.Actor.ID, now)
	if err != nil {
		return commands.Result{}, err
	}
	f := l.Fields()
	if err := s.references(ctx, m.Actor, worklog.Fields{}, &f); err != nil {
		return commands.Result{}, err
	}
	if l, err = worklog.New(c.ID, c.Kind, c.Period, f, m.Actor.ID, now); err != nil {
		return commands.Result{}, err
	}
	if c.Submit {
		to, err := s.recipients(ctx, m.Actor.ID, f.ExtraRecipients)
		if err != nil {
			return commands.Result{}, err
		}
		if err := l.Submit(to, m.Actor.ID, now); err != nil {
			return commands.Result{}, err
		}
	}
	holder, err := s.periods.Reserve(ctx, m, l.Key(), c.ID)
	if err != nil {
		return commands.Result{}, err
	}
	if holder != uuid.Nil {
		return commands.Result{}, &DuplicatePeriodError{Key: l.Key(), HolderID: holder}
	}
	return s.repo.CreateOrMatch(ctx, m, c.ID, l, commands.SameCreation[worklog.Drafted])
}

// recipients are the writer's superiors now and the extra recipients.
func (s *Service) recipients(ctx context.Context, writer uuid.UUID, extra []string) ([]uuid.UUID, error) {
	var out []uuid.UUID
	sup, err := s.deps.Org.Superior(ctx, writer)
	if err != nil {
		return nil, err
	}
	if sup != uuid.Nil {
		out = append(out, sup)
	}
	dept, err := s.deps.Org.DepartmentOf(ctx, writer)
	if err != nil {
		return nil, err
	}
	// the nearest department head other than the writer, going up (bounded: a tree is not deeper)
	for depth := 0; dept != uuid.Nil && depth < 64; depth++ {
		head, _, err := s.deps.Org.DepartmentHead(ctx, dept)
		if err != nil {
			return nil, err
		}
		if head != uuid.Nil && head != writer {
			out = append(out, head)
			break
		}
		if dept, err = s.deps.Org.ParentDepartment(ctx, dept); err != nil {
			return nil, err
		}
	}
	for _, r := range extra {
		id, _ := uuid.Parse(r)
		out = append(out, id)
	}
	return out, nil
}

// references checks what the fields name outside the log, where they changed from before: the
// extra recipients are active users, the linked records exist and the actor may read them (their
// names are filled in).
func (s *Service) references(ctx context.Context, a access.Actor, before worklog.Fields, f *worklog.Fields) error {
	var errs []error
	known := map[string]bool{}
	for _, r := range before.ExtraRecipients {
		known[r] = true
	}
	for i, r := range f.ExtraRecipients {
		if known[r] {
			continue
		}
		id, _ := uuid.Parse(r)
		if _, ok, err := s.deps.Org.Placement(ctx, id); err != nil {
			return err
		} else if !ok {
			errs = append(errs, &field.Error{Field: fmt.Sprintf("extraRecipients[%d]", i), Message: "is not an active user", Code: "unknown_user"})
		}
	}
	names := map[worklog.Link]string{}
	for _, l := range before.Links {
		names[worklog.Link{Kind: l.Kind, ID: l.ID}] = l.Name
	}
	for i := range f.Links {
		l := &f.Links[i]
		if name, ok := names[worklog.Link{Kind: l.Kind, ID: l.ID}]; ok {
			l.Name = name
			continue
		}
		id, _ := uuid.Parse(l.ID)
		name, err := s.deps.Related.RelatedName(ctx, a, l.Kind, id)
		switch {
		case errors.Is(err, commands.ErrNotFound):
			errs = append(errs, &field.Error{Field: fmt.Sprintf("links[%d].id", i), Message: fmt.Sprintf("names no %s you can read", l.Kind), Code: "unknown_related"})
		case err != nil:
			return err
		}
		l.Name = name
	}
	return errors.Join(errs...)
}

// Load reads a log the actor may read.
func (s *Service) Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*worklog.Log], error) {
	l, err := s.repo.Load(ctx, id)
	if err != nil {
		return l, err
	}
	if err := s.visible(ctx, a, l.Root); err != nil {
		return l, err
	}
	return l, nil
}

// visible: the writer; once submitted, a recipient, or a reader of work logs whose scope covers
// the writer.
func (s *Service) visible(ctx context.Context, a access.Actor, l *worklog.Log) error {
	switch {
	case l.Writer() == a.ID:
		return nil
	case l.Status() != worklog.StatusSubmitted:
		return commands.ErrNotFound
	case l.IsRecipient(a.ID):
		return nil
	}
	ok, err := s.rules.Sees(ctx, a, l.Writer())
	if err != nil {
		return err
	}
	if !ok {
		return commands.ErrNotFound
	}
	return nil
}

// edit runs a behaviour on a log the actor may read.
func (s *Service) edit(ctx context.Context, m commands.Meta, id uuid.UUID, change func(*worklog.Log) error) (commands.Result, error) {
	return s.repo.Update(ctx, m, id, func(l *worklog.Log) error {
		if err := s.visible(ctx, m.Actor, l); err != nil {
			return err
		}
		return change(l)
	})
}

// Update changes fields (the writer, until the first comment).
func (s *Service) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p worklog.Patch) (commands.Result, error) {
	m.Command = commands.WorkLogUpdate
	return s.edit(ctx, m, id, func(l *worklog.Log) error {
		if m.Actor.ID != l.Writer() {
			return worklog.ErrNotWriter
		}
		if !l.Editable() {
			return worklog.ErrCommented
		}
		next := l.Fields().Apply(p)
		if err := next.Validate(); err != nil {
			return err
		}
		if err := s.references(ctx, m.Actor, l.Fields(), &next); err != nil {
			return err
		}
		if p.Links != nil {
			p.Links = &next.Links // with the names filled in
		}
		return l.Update(p, m.Actor.ID, s.clock())
	})
}

// Submit sends a draft to the writer's superiors and its extra recipients.
func (s *Service) Submit(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.WorkLogSubmit
	return s.edit(ctx, m, id, func(l *worklog.Log) error {
		if m.Actor.ID != l.Writer() {
			return worklog.ErrNotWriter
		}
		if l.Status() == worklog.StatusSubmitted {
			return worklog.ErrSubmitted
		}
		to, err := s.recipients(ctx, l.Writer(), l.Fields().ExtraRecipients)
		if err != nil {
			return err
		}
		return l.Submit(to, m.Actor.ID, s.clock())
	})
}

// Comment records a comment by someone who reads the submitted log.
func (s *Service) Comment(ctx context.Context, m commands.Meta, id uuid.UUID, text string) (commands.Result, error) {
	m.Command = commands.WorkLogComment
	commentID := uuid.Must(uuid.NewV7())
	res, err := s.edit(ctx, m, id, func(l *worklog.Log) error { return l.Comment(commentID, text, m.Actor.ID, s.clock()) })
	res.ID = commentID
	return res, err
}

// MarkRead records a recipient's first reading of the log; anyone else who reads it, or a
// recipient reading it again, records nothing.
func (s *Service) MarkRead(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.WorkLogRead
	return s.edit(ctx, m, id, func(l *worklog.Log) error {
		l.MarkRead(m.Actor.ID, s.clock())
		return nil
	})
}

// History is the log's events with their field-level changes, if the actor may read it.
func (s *Service) History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	return s.repo.History(ctx, id, (*worklog.Log).Snapshot)
}

// AsOf is the log as it was at a time, if the actor may read it now.
func (s *Service) AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	l, err := s.repo.AsOf(ctx, id, until)
	if err != nil {
		return nil, err
	}
	return l.Snapshot(), nil
}
