// Package followup records follow-ups on leads, customers and contacts: a process over the lead
// and customer modules, each follow-up appended to its subject's own stream.
package followup

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/commands/opportunitycmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Subject is what a follow-up is about: "lead:<id>", "customer:<id>", "contact:<id>" or
// "opportunity:<id>".
type Subject struct {
	Kind string
	ID   uuid.UUID
}

// ParseSubject reads "kind:id".
func ParseSubject(s string) (Subject, error) {
	kind, id, ok := strings.Cut(s, ":")
	u, err := uuid.Parse(id)
	if !ok || err != nil || (kind != "lead" && kind != "customer" && kind != "contact" && kind != "opportunity") {
		return Subject{}, &field.Error{Field: "subject", Message: "must be lead:<id>, customer:<id>, contact:<id> or opportunity:<id>"}
	}
	return Subject{Kind: kind, ID: u}, nil
}

// Record is a follow-up to record.
type Record struct {
	Subject        Subject
	Type           string
	Content        string
	At             time.Time // when the contact happened (default: now)
	NextFollowUpAt *time.Time
}

// Service records follow-ups on the subject's own stream: the record and the subject's last
// follow-up time change in one append, so they can never disagree.
type Service struct {
	Leads     *leadcmd.Service
	Customers *customercmd.Service
	Opps      *opportunitycmd.Service
	Clock     commands.Clock
}

// Record adds a follow-up; the actor must be allowed to update the subject.
func (h Service) Record(ctx context.Context, m commands.Meta, f Record) (commands.Result, error) {
	m.Command = commands.FollowUpRecord
	id := uuid.Must(uuid.NewV7())
	if f.At.IsZero() {
		f.At = h.Clock()
	}
	var res commands.Result
	var err error
	switch f.Subject.Kind {
	case "lead":
		res, err = h.Leads.Edit(ctx, m, f.Subject.ID, role.LeadsUpdate, func(l *lead.Lead) error {
			return l.RecordFollowUp(id, f.Type, f.Content, f.At, f.NextFollowUpAt, m.Actor.ID)
		})
	case "customer", "contact":
		customerID, contactID := f.Subject.ID, uuid.Nil
		if f.Subject.Kind == "contact" {
			c, lerr := h.Customers.ContactCustomer(ctx, f.Subject.ID)
			if lerr != nil {
				return commands.Result{}, commands.ErrNotFound
			}
			customerID, contactID = c, f.Subject.ID
		}
		res, err = h.Customers.Edit(ctx, m, customerID, role.CustomersUpdate, func(c *customer.Customer) error {
			return c.RecordFollowUp(customer.FollowUp{ID: id, ContactID: contactID, Type: f.Type, Content: f.Content, At: f.At,
				NextFollowUpAt: f.NextFollowUpAt}, m.Actor.ID)
		})
	case "opportunity":
		if h.Opps == nil {
			return commands.Result{}, commands.ErrNotFound
		}
		res, err = h.Opps.Edit(ctx, m, f.Subject.ID, role.OpportunitiesUpdate, func(o *opportunity.Opportunity) error {
			return o.RecordFollowUp(id, f.Type, f.Content, f.At, f.NextFollowUpAt, m.Actor.ID)
		})
	default:
		return commands.Result{}, errors.New("unknown subject")
	}
	res.ID = id
	return res, err
}
