// Package privacycmd erases the personal data of a data subject (a lead or a contact): it records
// privacy.subject_erased.v1 and then destroys the subject's key (domain/privacy,
// adapters/privacy).
package privacycmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// CommandErase is the command name of an erasure.
const CommandErase = "privacy.erase"

// Service erases subjects.
type Service struct {
	store    eventstore.Store
	registry *event.Registry
	keys     dp.KeyStore
	forget   func(uuid.UUID)
	clock    commands.Clock
	rec      commands.Recorder
}

// New refuses nil dependencies. forget drops a subject's key from this process's memory at once
// (adapters/privacy.Store.Forget).
func New(store eventstore.Store, registry *event.Registry, keys dp.KeyStore, forget func(uuid.UUID), clock commands.Clock, rec commands.Recorder) *Service {
	if store == nil || registry == nil || keys == nil || forget == nil || clock == nil {
		panic("privacycmd: New with a nil dependency")
	}
	if rec == nil {
		rec = commands.Discard{}
	}
	return &Service{store: store, registry: registry, keys: keys, forget: forget, clock: clock, rec: rec}
}

// recordStream is the stream of the subject's record.
func recordStream(s dp.Subject) string {
	if s.Kind == dp.KindLead {
		return lead.Stream(s.ID)
	}
	return contact.Stream(s.ID)
}

// Erase records the erasure of the subject's personal data and destroys its key. Only holders of
// privacy.erase may; the reason is required. A subject that is no record is ErrNotFound. A
// subject erased before is dp.ErrAlreadyErased, after the key's destruction is made sure of: an
// erasure whose destruction failed is finished by asking again.
func (s *Service) Erase(ctx context.Context, m commands.Meta, subject dp.Subject, reason string) (commands.Result, error) {
	m.Command = CommandErase
	return commands.Measure(s.rec, m.Command, func() (commands.Result, error) {
		if !m.Actor.Can(role.PrivacyErase) {
			return commands.Result{}, commands.ErrForbidden
		}
		subject, err := dp.ParseSubject(subject.Kind, subject.ID)
		if err != nil {
			return commands.Result{}, err
		}
		reason = strings.TrimSpace(reason)
		if err := errors.Join(field.Required("reason", reason), field.Text("reason", reason, dp.MaxReason)); err != nil {
			return commands.Result{}, err
		}
		rec, err := s.store.Load(ctx, recordStream(subject), eventstore.LoadOptions{})
		if err != nil {
			return commands.Result{}, err
		}
		if len(rec) == 0 {
			return commands.Result{}, commands.ErrNotFound
		}
		now := s.clock().UTC()
		data, err := commands.Encode(m, now, []event.Event{dp.SubjectErased{Kind: subject.Kind, SubjectID: subject.ID.String(),
			Reason: reason, By: m.Actor.ID.String(), At: now}})
		if err != nil {
			return commands.Result{}, err
		}
		res, err := s.store.Append(ctx, dp.Stream(subject.ID), eventstore.NoStream, data)
		if errors.Is(err, eventstore.ErrConcurrency) {
			// Erased before: make sure the key is gone (a destruction that failed then).
			if err := s.destroy(ctx, subject); err != nil {
				return commands.Result{}, err
			}
			return commands.Result{}, dp.ErrAlreadyErased
		}
		if err != nil {
			return commands.Result{}, err
		}
		if err := s.destroy(ctx, subject); err != nil {
			return commands.Result{}, fmt.Errorf("the erasure is recorded but the key was not destroyed (ask again to finish it): %w", err)
		}
		return commands.Result{ID: subject.ID, Version: res.Version, Position: res.Position, Created: true, EventID: data[0].ID}, nil
	})
}

func (s *Service) destroy(ctx context.Context, subject dp.Subject) error {
	s.forget(subject.ID)
	err := s.keys.Destroy(ctx, subject.Kind, subject.ID, s.clock().UTC())
	s.forget(subject.ID)
	return err
}

// Erasure is a recorded erasure, for the administrators' list.
type Erasure struct {
	Subject  dp.Subject
	Reason   string
	ByID     string
	ByName   string
	At       time.Time
	Position uint64
	// KeyDestroyed: the key store holds the subject's erasure (false: the destruction failed;
	// erasing again finishes it).
	KeyDestroyed bool
}

// KeyDestroyed reports which of the subjects' keys are destroyed.
func (s *Service) KeyDestroyed(ctx context.Context, subjects []uuid.UUID) (map[uuid.UUID]bool, error) {
	recs, err := s.keys.Get(ctx, subjects)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]bool, len(recs))
	for id, r := range recs {
		out[id] = r.Erased()
	}
	return out, nil
}
