// Package conversion is the process that turns a lead into a customer (and optionally a
// contact): a decision on the lead, then records created in the customer module. It is the one
// place where the lead and customer modules meet on the write side.
package conversion

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/commands/opportunitycmd"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// ns derives the ids of the records a conversion creates from the lead's id, so a repeated or
// resumed conversion creates the same records once. It must never change.
var ns = uuid.MustParse("3c9f2a70-5d1e-4b8a-9e64-1f7c2d8b0a55")

// Service converts leads.
type Service struct {
	Leads     *leadcmd.Service
	Customers *customercmd.Service
	Contacts  *customercmd.Contacts
	// Opps opens the opportunity a conversion may ask for (nil: conversions open none).
	Opps  *opportunitycmd.Service
	Clock commands.Clock
	// Dict is the data dictionary (nil: the built-in lists): a lead's industry that is a branch
	// becomes the customer's industry (its sector) and sub-industry.
	Dict commands.Dictionary
}

// New refuses nil dependencies.
func New(leads *leadcmd.Service, customers *customercmd.Service, contacts *customercmd.Contacts, clock commands.Clock) *Service {
	if leads == nil || customers == nil || contacts == nil || clock == nil {
		panic("conversion: New with a nil dependency")
	}
	return &Service{Leads: leads, Customers: customers, Contacts: contacts, Clock: clock}
}

// Convert is what a conversion creates besides the customer.
type Convert struct {
	Contact *contact.Fields
	// Opportunity, when set, is opened for the customer (with its contact), owned like it.
	Opportunity *lead.ConvertOpportunity
	// WithoutRemark: the customer does not take the lead's remark (it is a previous owner's
	// remark hidden from whoever converts the lead).
	WithoutRemark bool
}

// Converted names the records a conversion created.
type Converted struct {
	commands.Result
	CustomerID    uuid.UUID
	ContactID     uuid.UUID
	OpportunityID uuid.UUID
}

// Convert turns a lead into a customer (and optionally a contact) in one operation. The lead's
// "converted" event, appended with the expected version, is the decision: converting twice is
// refused, and a concurrent second conversion loses. The customer and contact have ids derived
// from the lead's and are created with the conversion event as their causation, idempotently;
// should the process die between the appends, CompleteConversion (run by the conversions follower)
// creates them.
func (h *Service) Convert(ctx context.Context, m commands.Meta, leadID uuid.UUID, c Convert) (Converted, error) {
	m.Command = commands.LeadConvert
	customerID := uuid.NewSHA1(ns, []byte("customer:"+leadID.String()))
	contactID := uuid.Nil
	var cf *contact.Fields
	if c.Contact != nil {
		contactID = uuid.NewSHA1(ns, []byte("contact:"+leadID.String()))
		ct, err := contact.New(contactID, customerID, *c.Contact, m.Actor.ID, h.Clock())
		if err != nil {
			return Converted{}, err // validated before anything is written
		}
		f := ct.Fields()
		cf = &f
	}
	if !m.Actor.Can(role.CustomersCreate) {
		return Converted{}, commands.ErrForbidden
	}
	oppID := uuid.Nil
	if c.Opportunity != nil {
		if h.Opps == nil {
			return Converted{}, commands.ErrForbidden
		}
		oppID = uuid.NewSHA1(ns, []byte("opportunity:"+leadID.String()))
		// checked (permission, fields, lines against the catalogue) before anything is written;
		// the lines are recorded priced, so completing the conversion reads no catalogue
		checked, err := h.Opps.Priced(ctx, m.Actor, h.opportunity(oppID, customerID, contactID, uuid.Nil, leadID, *c.Opportunity))
		if err != nil {
			return Converted{}, prefixed("opportunity.", err)
		}
		o := *c.Opportunity
		o.Lines = checked.Lines
		c.Opportunity = &o
	}
	res, err := h.Leads.Edit(ctx, m, leadID, role.LeadsConvert, func(l *lead.Lead) error {
		return l.ConvertWith(customerID, contactID, cf, oppID, c.Opportunity, c.WithoutRemark, m.Actor.ID, h.Clock())
	})
	if err != nil {
		return Converted{}, err
	}
	last, err := h.complete(ctx, m, leadID)
	if err != nil {
		return Converted{}, err
	}
	res.Position = max(res.Position, last)
	out := Converted{Result: res, CustomerID: customerID, ContactID: contactID, OpportunityID: oppID}
	out.Result.ID = customerID
	return out, nil
}

// CompleteConversion creates what a lead's conversion promised, if missing, as the system actor.
func (h *Service) CompleteConversion(ctx context.Context, leadID uuid.UUID) error {
	m := commands.Meta{Actor: access.System, RequestID: "complete-conversion", CorrelationID: leadID.String()}
	_, err := h.complete(ctx, m, leadID)
	return err
}

// complete creates the customer and contact a lead's conversion promised (idempotent). It
// returns the position of the last event it appended (0 when everything existed).
func (h *Service) complete(ctx context.Context, m commands.Meta, leadID uuid.UUID) (uint64, error) {
	conv, cause, l, err := h.Leads.Conversion(ctx, leadID)
	if err != nil {
		return 0, err
	}
	m.CausationID = cause.String()
	f := l.Fields()
	name := f.Company
	if name == "" {
		name = f.Name
	}
	owner := l.Owner()
	if owner == uuid.Nil { // a pool lead's customer goes to whoever converted it
		owner, _ = uuid.Parse(conv.By)
	}
	customerID, _ := uuid.Parse(conv.CustomerID)
	if conv.WithoutRemark {
		f.Remark = ""
	}
	// The lead's coded fields are copied as they are: a value stored before the dictionary existed
	// (free text) or an item disabled since converts too; the customer shows it as stored.
	industry, sub, err := h.industries(ctx, f.Industry)
	if err != nil {
		return 0, err
	}
	cu, err := customer.New(customerID, customer.Fields{Name: name, Source: f.Source, Industry: industry, SubIndustry: sub, Level: f.Level,
		Address: f.Address, Phone: f.Phone, Email: f.Email, Remark: f.Remark, NextFollowUpAt: f.NextFollowUpAt},
		customer.StatusPotential, owner, leadID.String(), m.Actor.ID, h.Clock())
	if err != nil {
		return 0, err
	}
	last := uint64(0)
	r, err := h.Customers.Adopt(ctx, m, cu)
	if err != nil && !errors.Is(err, commands.ErrAlreadyExists) {
		return 0, err
	}
	last = max(last, r.Position)
	if conv.ContactID == "" {
		return h.openOpportunity(ctx, m, leadID, conv, owner, last)
	}
	contactID, _ := uuid.Parse(conv.ContactID)
	ct, err := contact.New(contactID, customerID, *conv.Contact, m.Actor.ID, h.Clock())
	if err != nil {
		return 0, err
	}
	r, err = h.Contacts.Adopt(ctx, m, ct)
	if err != nil && !errors.Is(err, commands.ErrAlreadyExists) {
		return 0, err
	}
	last = max(last, r.Position)
	r, err = h.Customers.SetPrimaryContactIfNone(ctx, m, customerID, contactID)
	if err != nil {
		return 0, err
	}
	return h.openOpportunity(ctx, m, leadID, conv, owner, max(last, r.Position))
}

// opportunity is the create of the opportunity a conversion opens.
func (h *Service) opportunity(id, customerID, contactID, owner, leadID uuid.UUID, o lead.ConvertOpportunity) opportunitycmd.Create {
	f := opportunity.Fields{Name: o.Name, CustomerID: customerID.String(), Amount: o.Amount, ExpectedCloseDate: o.ExpectedCloseDate}
	if contactID != uuid.Nil {
		f.ContactIDs = []string{contactID.String()}
	}
	return opportunitycmd.Create{ID: id, Fields: f, Lines: o.Lines, OwnerID: owner, FromLeadID: leadID.String()}
}

// openOpportunity creates the opportunity the conversion promised, if any and if missing.
func (h *Service) openOpportunity(ctx context.Context, m commands.Meta, leadID uuid.UUID, conv lead.Converted, owner uuid.UUID, last uint64) (uint64, error) {
	if conv.OpportunityID == "" || conv.Opportunity == nil || h.Opps == nil {
		return last, nil
	}
	id, _ := uuid.Parse(conv.OpportunityID)
	customerID, _ := uuid.Parse(conv.CustomerID)
	contactID := uuid.Nil
	if conv.ContactID != "" {
		contactID, _ = uuid.Parse(conv.ContactID)
	}
	// Adopt reads only the event store: the conversions follower runs this inside its page's
	// transaction, where a read-model read could wait on that transaction (SQLite).
	r, err := h.Opps.Adopt(ctx, m, h.opportunity(id, customerID, contactID, owner, leadID, *conv.Opportunity))
	if err != nil {
		return 0, err
	}
	return max(last, r.Position), nil
}

// prefixed names the fields of a validation error under prefix (the opportunity of a conversion
// body is "opportunity.*").
func prefixed(prefix string, err error) error {
	var out []error
	var joined interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &joined) {
		errs = joined.Unwrap()
	}
	changed := false
	for _, e := range errs {
		var fe *field.Error
		if errors.As(e, &fe) {
			c := *fe
			c.Field = prefix + c.Field
			out = append(out, &c)
			changed = true
			continue
		}
		out = append(out, e)
	}
	if !changed {
		return err
	}
	return errors.Join(out...)
}

// industries splits a lead's industry into the customer's industry and sub-industry: a branch of
// the industry list is its sector and itself; anything else (a sector, free text) is the industry.
func (h *Service) industries(ctx context.Context, v string) (string, string, error) {
	if v == "" {
		return "", "", nil
	}
	ls := commands.Lists{Dict: h.Dict}
	l, err := ls.List(ctx, dictionary.Industry)
	if err != nil {
		return "", "", err
	}
	if it, ok := l.Item(v); ok && it.Parent != "" {
		return it.Parent, it.Code, nil
	}
	return v, "", nil
}
