// Package announcementcmd holds the announcement module's commands: publish an announcement,
// edit it, pin or unpin it, withdraw it, and record that a reader read it.
//
// Who publishes, edits, pins and withdraws: holders of announcements.publish (administrators and
// managers by default), on any announcement. Who reads one: every signed-in user it is addressed
// to (everyone, or a department that is theirs or above theirs) until it expires; publishers read
// them all. A read is recorded on the reader's receipt of the announcement, never on the
// announcement's own stream.
package announcementcmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/announcement"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Departments is what announcements need of the organisation (a port the wiring fills): where a
// department sits and whether it is in use; ok is false when there is no such department.
type Departments interface {
	Department(ctx context.Context, id uuid.UUID) (info access.DepartmentInfo, ok bool, err error)
}

// Service handles the announcement commands.
type Service struct {
	repo     *commands.Repository[*announcement.Announcement]
	receipts *commands.Repository[*announcement.Receipt]
	clock    commands.Clock
	depts    Departments
}

var _ Commands = (*Service)(nil)

// New refuses missing ports.
func New(store eventstore.Store, registry *event.Registry, clock commands.Clock, depts Departments) *Service {
	if store == nil || registry == nil || clock == nil || depts == nil {
		panic("announcementcmd: New without its ports")
	}
	return &Service{repo: commands.NewRepository(store, registry, clock, announcement.Stream, announcement.Rehydrate),
		receipts: commands.NewRepository(store, registry, clock, announcement.ReceiptStream, announcement.RehydrateReceipt),
		clock:    clock, depts: depts}
}

// Publish is an announcement to publish.
type Publish struct {
	ID     uuid.UUID
	Fields announcement.Fields
}

// Publish publishes an announcement (announcements.publish). The departments of its audience
// must exist and be in use; one listed below another listed is dropped (a department includes
// its sub-departments).
func (s *Service) Publish(ctx context.Context, m commands.Meta, c Publish) (commands.Result, error) {
	m.Command = commands.AnnouncementPublish
	if !m.Actor.Can(role.AnnouncementsPublish) {
		return commands.Result{}, commands.ErrForbidden
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	now := s.clock()
	// the departments are checked on valid fields (bad fields are the aggregate's error, below)
	f := c.Fields
	if _, err := announcement.Publish(c.ID, f, m.Actor.ID, now); err == nil {
		depts, err := s.departments(ctx, f.Audience)
		if err != nil {
			return commands.Result{}, err
		}
		f.Audience.Departments = depts
	}
	a, err := announcement.Publish(c.ID, f, m.Actor.ID, now)
	if err != nil {
		return commands.Result{}, err
	}
	return s.repo.CreateOrMatch(ctx, m, c.ID, a, commands.SameCreation[announcement.Published])
}

// departments checks the audience's departments and keeps those not below another listed one.
func (s *Service) departments(ctx context.Context, a announcement.Audience) ([]string, error) {
	if a.Everyone {
		return nil, nil
	}
	ids := slices.Clone(a.Departments)
	for i := range ids {
		ids[i] = strings.ToLower(strings.TrimSpace(ids[i]))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	paths := map[string]string{}
	var errs []error
	for i, d := range ids {
		id, _ := uuid.Parse(d)
		info, ok, err := s.depts.Department(ctx, id)
		switch {
		case err != nil:
			return nil, err
		case !ok || info.Disabled:
			errs = append(errs, &field.Error{Field: fmt.Sprintf("audience.departments[%d]", i), Message: "is not a department in use", Code: "unknown_department"})
		default:
			paths[d] = info.Path
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []string
	for _, d := range ids {
		below := false
		for o, p := range paths {
			if o != d && strings.HasPrefix(paths[d], p) {
				below = true
			}
		}
		if !below {
			out = append(out, d)
		}
	}
	return out, nil
}

// Load reads a live announcement the actor may read: addressed to them and not expired, or any
// when they publish.
func (s *Service) Load(ctx context.Context, a access.Actor, id uuid.UUID) (commands.Loaded[*announcement.Announcement], error) {
	l, err := s.repo.Load(ctx, id)
	if err != nil {
		return l, err
	}
	if !Visible(a, l.Root, s.clock()) {
		return l, commands.ErrNotFound
	}
	return l, nil
}

// Visible reports whether the actor reads the announcement at now: a live one, addressed to them
// and not expired; publishers read every live one.
func Visible(a access.Actor, ann *announcement.Announcement, now time.Time) bool {
	switch {
	case ann.Withdrawn():
		return false
	case a.Can(role.AnnouncementsPublish):
		return true
	}
	return ann.Fields().Audience.Includes(a.DeptPath) && !ann.Expired(now)
}

// manage runs a behaviour on a live announcement (announcements.publish).
func (s *Service) manage(ctx context.Context, m commands.Meta, id uuid.UUID, change func(*announcement.Announcement) error) (commands.Result, error) {
	if !m.Actor.Can(role.AnnouncementsPublish) {
		return commands.Result{}, commands.ErrForbidden
	}
	return s.repo.Update(ctx, m, id, func(a *announcement.Announcement) error {
		if a.Withdrawn() {
			return commands.ErrNotFound
		}
		return change(a)
	})
}

// Edit changes the title, the body or the expiry.
func (s *Service) Edit(ctx context.Context, m commands.Meta, id uuid.UUID, p announcement.Patch) (commands.Result, error) {
	m.Command = commands.AnnouncementEdit
	return s.manage(ctx, m, id, func(a *announcement.Announcement) error { return a.Edit(p, m.Actor.ID, s.clock()) })
}

// SetPinned pins or unpins it.
func (s *Service) SetPinned(ctx context.Context, m commands.Meta, id uuid.UUID, pinned bool) (commands.Result, error) {
	m.Command = commands.AnnouncementPin
	return s.manage(ctx, m, id, func(a *announcement.Announcement) error { return a.SetPinned(pinned, m.Actor.ID, s.clock()) })
}

// Withdraw takes it out of every list; its history stays.
func (s *Service) Withdraw(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.AnnouncementWithdraw
	return s.manage(ctx, m, id, func(a *announcement.Announcement) error { return a.Withdraw(m.Actor.ID, s.clock()) })
}

// MarkRead records that the actor read an announcement they may read, once: a second read
// records nothing. The result names the announcement.
func (s *Service) MarkRead(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.AnnouncementRead
	if _, err := s.Load(ctx, m.Actor, id); err != nil {
		return commands.Result{}, err
	}
	rid := announcement.ReceiptID(id, m.Actor.ID)
	res, err := s.receipts.UpdateOrCreate(ctx, m, rid, func() *announcement.Receipt { return announcement.NewReceipt(rid) },
		func(r *announcement.Receipt) error { return r.MarkRead(id, m.Actor.ID, s.clock()) })
	res.ID = id
	return res, err
}

// History is the announcement's events with their field-level changes (publishers).
func (s *Service) History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	if _, err := s.Load(ctx, a, id); err != nil {
		return nil, err
	}
	return s.repo.History(ctx, id, (*announcement.Announcement).Snapshot)
}
