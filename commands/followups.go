package commands

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Subject is what a follow-up is about: "lead:<id>", "customer:<id>" or "contact:<id>".
type Subject struct {
	Kind string
	ID   uuid.UUID
}

// ParseSubject reads "kind:id".
func ParseSubject(s string) (Subject, error) {
	kind, id, ok := strings.Cut(s, ":")
	u, err := uuid.Parse(id)
	if !ok || err != nil || (kind != "lead" && kind != "customer" && kind != "contact") {
		return Subject{}, &field.Error{Field: "subject", Message: "must be lead:<id>, customer:<id> or contact:<id>"}
	}
	return Subject{Kind: kind, ID: u}, nil
}

// RecordFollowUp is a follow-up to record.
type RecordFollowUp struct {
	Subject        Subject
	Type           string
	Content        string
	At             time.Time // when the contact happened (default: now)
	NextFollowUpAt *time.Time
}

// FollowUps records follow-ups on the subject's own stream: the record and the subject's last
// follow-up time change in one append, so they can never disagree.
type FollowUps struct {
	Leads    *Leads
	Contacts *Contacts
}

// Record adds a follow-up; the actor must be allowed to update the subject.
func (h FollowUps) Record(ctx context.Context, m Meta, f RecordFollowUp) (Result, error) {
	m.Command = "followup.record"
	id := uuid.Must(uuid.NewV7())
	if f.At.IsZero() {
		f.At = h.Leads.clock()
	}
	var res Result
	var err error
	switch f.Subject.Kind {
	case "lead":
		res, err = h.Leads.edit(ctx, m, f.Subject.ID, role.LeadsUpdate, func(l *lead.Lead) error {
			return l.RecordFollowUp(id, f.Type, f.Content, f.At, f.NextFollowUpAt, m.Actor.ID)
		})
	case "customer", "contact":
		customerID, contactID := f.Subject.ID, uuid.Nil
		if f.Subject.Kind == "contact" {
			c, lerr := h.Contacts.repo.Load(ctx, f.Subject.ID)
			if lerr != nil || c.Root.Deleted() {
				return Result{}, ErrNotFound
			}
			customerID, contactID = c.Root.Customer(), f.Subject.ID
		}
		res, err = h.Contacts.customers.edit(ctx, m, customerID, role.CustomersUpdate, func(c *customer.Customer) error {
			return c.RecordFollowUp(customer.FollowUp{ID: id, ContactID: contactID, Type: f.Type, Content: f.Content, At: f.At,
				NextFollowUpAt: f.NextFollowUpAt}, m.Actor.ID)
		})
	default:
		return Result{}, errors.New("unknown subject")
	}
	res.ID = id
	return res, err
}
