// Package lead is the lead aggregate: the first contact with a potential customer, owned by a
// user or lying in the lead pool for anyone to claim.
package lead

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Rule violations.
var (
	ErrNotInPool      = errors.New("lead is not in the pool")
	ErrAlreadyInPool  = errors.New("lead is already in the pool")
	ErrDeleted        = errors.New("lead is deleted")
	ErrNotFound       = errors.New("lead not found")
	ErrConverted      = errors.New("lead is converted")
	ErrReasonRequired = &ValidationError{Field: "reason", Message: "is required"}
	ErrNoOwner        = &ValidationError{Field: "ownerId", Message: "is required"}
)

// StreamPrefix is the stream kind of leads: streams are "lead-<uuid>".
const StreamPrefix = "lead"

// Stream returns the stream id of a lead.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Lead is the aggregate state.
type Lead struct {
	event.Root
	id        uuid.UUID
	fields    Fields
	status    Status
	owner     uuid.UUID // uuid.Nil while in the pool
	deleted   bool
	createdAt time.Time
	createdBy string
	customer  string // the customer it was converted into
	updatedAt time.Time
}

// New enters a lead. owner is uuid.Nil for a lead that goes straight into the pool.
func New(id uuid.UUID, f Fields, owner, by uuid.UUID, at time.Time) (*Lead, error) {
	if id == uuid.Nil {
		return nil, &ValidationError{Field: "id", Message: "is required"}
	}
	f = f.normalise()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	l := &Lead{id: id}
	e := Created{LeadID: id.String(), Fields: f, By: by.String(), At: at.UTC()}
	if owner != uuid.Nil {
		e.OwnerID = owner.String()
	}
	l.record(e)
	return l, nil
}

// Rehydrate rebuilds a lead from its history. Only repositories call it.
func Rehydrate(id uuid.UUID, history []event.Event) (*Lead, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Created); !ok {
		return nil, fmt.Errorf("lead %s: history starts with %s", id, history[0].EventType())
	}
	l := &Lead{id: id}
	l.Replay(l.apply, history, nil)
	return l, nil
}

// ID, Version, Owner and friends expose state to callers.
func (l *Lead) ID() uuid.UUID        { return l.id }
func (l *Lead) Owner() uuid.UUID     { return l.owner }
func (l *Lead) InPool() bool         { return l.owner == uuid.Nil }
func (l *Lead) Deleted() bool        { return l.deleted }
func (l *Lead) Status() Status       { return l.status }
func (l *Lead) Fields() Fields       { return l.fields }
func (l *Lead) UpdatedAt() time.Time { return l.updatedAt }

func (l *Lead) record(e event.Event) { l.Record(l.apply, e) }

// apply changes state only; it never fails.
func (l *Lead) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		l.fields, l.status, l.createdAt, l.updatedAt, l.createdBy = e.Fields, StatusNew, e.At, e.At, e.By
		l.owner = parseID(e.OwnerID)
	case Updated:
		l.fields = l.fields.apply(e.Patch)
		if e.Patch.Status != nil {
			l.status = *e.Patch.Status
		}
		l.updatedAt = e.At
	case Assigned:
		l.owner, l.updatedAt = parseID(e.To), e.At
	case Claimed:
		l.owner, l.updatedAt = parseID(e.By), e.At
	case Released:
		l.owner, l.updatedAt = uuid.Nil, e.At
	case FollowedUp:
		if e.NextFollowUpAt != nil {
			t := *e.NextFollowUpAt
			l.fields.NextFollowUpAt = &t
		}
		if l.status == StatusNew {
			l.status = StatusFollowing
		}
	case Converted:
		l.status, l.customer, l.updatedAt = StatusConverted, e.CustomerID, e.At
	case Deleted:
		l.deleted, l.updatedAt = true, e.At
	}
}

func parseID(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

func (l *Lead) usable() error {
	switch {
	case l.deleted:
		return ErrDeleted
	case l.status == StatusConverted:
		return ErrConverted
	}
	return nil
}

// Snapshot is the lead's state as a flat map: what history diffs and "as of" views show.
func (l *Lead) Snapshot() map[string]any {
	f := l.fields
	m := map[string]any{
		"id": l.id.String(), "name": f.Name, "company": f.Company, "phone": f.Phone, "mobile": f.Mobile,
		"email": f.Email, "source": f.Source, "industry": f.Industry, "level": f.Level, "address": f.Address,
		"remark": f.Remark, "status": string(l.status), "ownerId": nil, "nextFollowUpAt": nil,
		"createdAt": l.createdAt.Format(time.RFC3339Nano), "updatedAt": l.updatedAt.Format(time.RFC3339Nano),
		"version": l.Version(), "deleted": l.deleted, "inPool": l.InPool(), "customerId": nil,
	}
	if l.customer != "" {
		m["customerId"] = l.customer
	}
	if l.owner != uuid.Nil {
		m["ownerId"] = l.owner.String()
	}
	if f.NextFollowUpAt != nil {
		m["nextFollowUpAt"] = f.NextFollowUpAt.Format(time.RFC3339)
	}
	return m
}
