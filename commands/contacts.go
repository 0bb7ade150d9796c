package commands

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Contacts handles contacts; a contact is seen and changed by whoever may see and change its
// customer.
type Contacts struct {
	repo      *Repository[*contact.Contact]
	customers *Customers
	clock     Clock
}

// NewContacts refuses nil dependencies.
func NewContacts(store eventstore.Store, registry *event.Registry, clock Clock, customers *Customers) *Contacts {
	if customers == nil {
		panic("commands: NewContacts without customers")
	}
	return &Contacts{repo: NewRepository(store, registry, clock, contact.Stream, contact.Rehydrate), customers: customers, clock: clock}
}

// CreateContact adds a contact to a customer.
type CreateContact struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Fields     contact.Fields
	Primary    bool
}

// customerFor checks the actor may change the customer (customers.update within scope).
func (h *Contacts) customerFor(ctx context.Context, a Actor, id uuid.UUID) error {
	l, err := h.customers.repo.Load(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return &field.Error{Field: "customerId", Message: "no such customer"}
	}
	if err != nil {
		return err
	}
	return h.customers.access.mayChange(ctx, a, l.Root.Owner(), l.Root.Deleted(), role.CustomersUpdate)
}

// Create adds the contact (and makes it the primary one when asked).
func (h *Contacts) Create(ctx context.Context, m Meta, c CreateContact) (Result, error) {
	m.Command = "contact.create"
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	ct, err := contact.New(c.ID, c.CustomerID, c.Fields, m.Actor.ID, h.clock())
	if err != nil {
		return Result{}, err
	}
	if err := h.customerFor(ctx, m.Actor, c.CustomerID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Result{}, &field.Error{Field: "customerId", Message: "no such customer"}
		}
		return Result{}, err
	}
	res, err := h.repo.Create(ctx, m, c.ID, ct)
	if err != nil || !c.Primary {
		return res, err
	}
	p, err := h.SetPrimary(ctx, m, c.CustomerID, c.ID)
	res.Position = max(res.Position, p.Position) // reads wait for the primary flag too
	return res, err
}

// Update replaces a contact's fields.
func (h *Contacts) Update(ctx context.Context, m Meta, id uuid.UUID, f contact.Fields) (Result, error) {
	m.Command = "contact.update"
	return h.repo.Update(ctx, m, id, func(c *contact.Contact) error {
		if err := h.visible(ctx, m.Actor, c); err != nil {
			return err
		}
		return c.Update(f, m.Actor.ID, h.clock())
	})
}

// Delete removes a contact; when it was the customer's primary contact, the customer has none.
func (h *Contacts) Delete(ctx context.Context, m Meta, id uuid.UUID) (Result, error) {
	m.Command = "contact.delete"
	var customerID uuid.UUID
	res, err := h.repo.Update(ctx, m, id, func(c *contact.Contact) error {
		if err := h.visible(ctx, m.Actor, c); err != nil {
			return err
		}
		customerID = c.Customer()
		return c.Delete(m.Actor.ID, h.clock())
	})
	if err != nil {
		return res, err
	}
	mc := m
	mc.Command = "customer.set_primary_contact"
	r, err := h.customers.repo.Update(ctx, mc, customerID, func(c *customer.Customer) error {
		if c.Deleted() || c.PrimaryContact() != id.String() {
			return nil
		}
		return c.SetPrimaryContact(uuid.Nil, m.Actor.ID, h.clock())
	})
	res.Position = max(res.Position, r.Position)
	return res, err
}

func (h *Contacts) visible(ctx context.Context, a Actor, c *contact.Contact) error {
	if c.Deleted() {
		return ErrNotFound
	}
	err := h.customerFor(ctx, a, c.Customer())
	var fe *field.Error
	if errors.As(err, &fe) {
		return ErrNotFound
	}
	return err
}

// SetPrimary makes a contact the customer's primary contact.
func (h *Contacts) SetPrimary(ctx context.Context, m Meta, customerID, contactID uuid.UUID) (Result, error) {
	m.Command = "customer.set_primary_contact"
	if contactID != uuid.Nil {
		l, err := h.repo.Load(ctx, contactID)
		if err != nil || l.Root.Customer() != customerID || l.Root.Deleted() {
			return Result{}, &field.Error{Field: "contactId", Message: "is not a contact of this customer"}
		}
	}
	return h.customers.edit(ctx, m, customerID, role.CustomersUpdate, func(c *customer.Customer) error {
		return c.SetPrimaryContact(contactID, m.Actor.ID, h.clock())
	})
}

// History returns the contact's events with field-level changes.
func (h *Contacts) History(ctx context.Context, a Actor, id uuid.UUID) ([]Change, error) {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := h.customers.visible(ctx, a, l.Root.Customer()); err != nil {
		return nil, err
	}
	return h.repo.History(ctx, id, (*contact.Contact).Snapshot)
}

// conversionNS derives the ids of the records a conversion creates from the lead's id, so a
// repeated or resumed conversion creates the same records once.
var conversionNS = uuid.MustParse("3c9f2a70-5d1e-4b8a-9e64-1f7c2d8b0a55")

// ConvertLead is what a conversion creates besides the customer.
type ConvertLead struct {
	Contact *contact.Fields
}

// Converted names the records a conversion created.
type Converted struct {
	Result
	CustomerID uuid.UUID
	ContactID  uuid.UUID
}

// Convert turns a lead into a customer (and optionally a contact) in one operation. The lead's
// "converted" event, appended with the expected version, is the decision: converting twice is
// refused, and a concurrent second conversion loses. The customer and contact have ids derived
// from the lead's and are created with the conversion event as their causation, idempotently;
// should the process die between the appends, CompleteConversions (run at start) creates them.
func (h *Contacts) Convert(ctx context.Context, m Meta, leads *Leads, leadID uuid.UUID, c ConvertLead) (Converted, error) {
	m.Command = "lead.convert"
	customerID := uuid.NewSHA1(conversionNS, []byte("customer:"+leadID.String()))
	contactID := uuid.Nil
	var cf *contact.Fields
	if c.Contact != nil {
		contactID = uuid.NewSHA1(conversionNS, []byte("contact:"+leadID.String()))
		ct, err := contact.New(contactID, customerID, *c.Contact, m.Actor.ID, h.clock())
		if err != nil {
			return Converted{}, err // validated before anything is written
		}
		f := ct.Fields()
		cf = &f
	}
	if !m.Actor.Can(role.CustomersCreate) {
		return Converted{}, ErrForbidden
	}
	res, err := leads.edit(ctx, m, leadID, role.LeadsConvert, func(l *lead.Lead) error {
		return l.Convert(customerID, contactID, cf, m.Actor.ID, h.clock())
	})
	if err != nil {
		return Converted{}, err
	}
	last, err := h.complete(ctx, m, leads, leadID, res.EventID)
	if err != nil {
		return Converted{}, err
	}
	res.Position = max(res.Position, last)
	out := Converted{Result: res, CustomerID: customerID, ContactID: contactID}
	out.Result.ID = customerID
	return out, nil
}

// complete creates the customer and contact a lead's conversion promised (idempotent). It
// returns the position of the last event it appended (0 when everything existed).
func (h *Contacts) complete(ctx context.Context, m Meta, leads *Leads, leadID, cause uuid.UUID) (uint64, error) {
	last := uint64(0)
	l, err := leads.repo.Load(ctx, leadID)
	if err != nil {
		return 0, err
	}
	events, err := leads.repo.store.Load(ctx, lead.Stream(leadID), eventstore.LoadOptions{})
	if err != nil {
		return 0, err
	}
	var conv lead.Converted
	for _, e := range events {
		if e.Type == (lead.Converted{}).EventType() {
			d, err := leads.repo.registry.Decode(e.Type, e.Data)
			if err != nil {
				return 0, err
			}
			conv, cause = d.(lead.Converted), e.ID
		}
	}
	if conv.CustomerID == "" {
		return 0, errors.New("lead is not converted")
	}
	m.CausationID = cause.String()
	f := l.Root.Fields()
	name := f.Company
	if name == "" {
		name = f.Name
	}
	owner := l.Root.Owner()
	if owner == uuid.Nil { // a pool lead's customer goes to whoever converted it
		owner, _ = uuid.Parse(conv.By)
	}
	customerID, _ := uuid.Parse(conv.CustomerID)
	cu, err := customer.New(customerID, customer.Fields{Name: name, Source: f.Source, Industry: f.Industry, Level: f.Level,
		Address: f.Address, Phone: f.Phone, Email: f.Email, Remark: f.Remark, NextFollowUpAt: f.NextFollowUpAt},
		customer.StatusPotential, owner, leadID.String(), m.Actor.ID, h.clock())
	if err != nil {
		return 0, err
	}
	mc := m
	mc.Command = "customer.create"
	r, err := h.customers.repo.Create(ctx, mc, customerID, cu)
	if err != nil && !errors.Is(err, ErrAlreadyExists) {
		return 0, err
	}
	last = max(last, r.Position)
	if conv.ContactID == "" {
		return last, nil
	}
	contactID, _ := uuid.Parse(conv.ContactID)
	ct, err := contact.New(contactID, customerID, *conv.Contact, m.Actor.ID, h.clock())
	if err != nil {
		return 0, err
	}
	mc.Command = "contact.create"
	r, err = h.repo.Create(ctx, mc, contactID, ct)
	if err != nil && !errors.Is(err, ErrAlreadyExists) {
		return 0, err
	}
	last = max(last, r.Position)
	r, err = h.customers.repo.Update(ctx, Meta{Actor: m.Actor, Command: "customer.set_primary_contact", CausationID: cause.String(),
		CorrelationID: m.CorrelationID, RequestID: m.RequestID, ClientAddr: m.ClientAddr}, customerID, func(c *customer.Customer) error {
		if c.PrimaryContact() != "" {
			return nil
		}
		return c.SetPrimaryContact(contactID, m.Actor.ID, h.clock())
	})
	return max(last, r.Position), err
}

// ConversionCompleter finishes conversions found in the log (projections.Conversions).
type ConversionCompleter struct {
	Contacts *Contacts
	Leads    *Leads
}

// CompleteConversion creates what a lead's conversion promised, if missing, as the system actor.
func (c ConversionCompleter) CompleteConversion(ctx context.Context, leadID uuid.UUID) error {
	m := Meta{Actor: SystemActor, RequestID: "complete-conversion", CorrelationID: leadID.String()}
	_, err := c.Contacts.complete(ctx, m, c.Leads, leadID, uuid.Nil)
	return err
}

// Merge folds the duplicate source into target: the source is marked merged (it leaves every list
// and accepts no commands), the target takes over its follow-up time and, if it had no owner, its
// owner; the source's contacts move to the target. Both histories stay. Each step is idempotent,
// so an interrupted merge is finished by repeating it.
func (h *Contacts) Merge(ctx context.Context, m Meta, target, source uuid.UUID) (Result, error) {
	m.Command = "customer.merge"
	if target == source {
		return Result{}, customer.ErrMergeSelf
	}
	cs := h.customers
	if err := cs.visible(ctx, m.Actor, target); err != nil {
		return Result{}, err
	}
	src, err := cs.repo.Load(ctx, source)
	if err != nil {
		return Result{}, &field.Error{Field: "sourceId", Message: "no such customer"}
	}
	if src.Root.MergedInto() != target.String() {
		if err := cs.access.mayChange(ctx, m.Actor, src.Root.Owner(), src.Root.Deleted(), role.CustomersDelete); err != nil {
			if errors.Is(err, ErrNotFound) {
				return Result{}, &field.Error{Field: "sourceId", Message: "no such customer"}
			}
			return Result{}, err
		}
	}
	if _, err := cs.repo.Update(ctx, m, source, func(c *customer.Customer) error { return c.MergeInto(target, m.Actor.ID, h.clock()) }); err != nil {
		return Result{}, err
	}
	src, err = cs.repo.Load(ctx, source)
	if err != nil {
		return Result{}, err
	}
	res, err := cs.edit(ctx, m, target, role.CustomersUpdate, func(c *customer.Customer) error { return c.Absorb(src.Root, m.Actor.ID, h.clock()) })
	if err != nil {
		return Result{}, err
	}
	ids, err := cs.dir.ContactsOf(ctx, source)
	if err != nil {
		return Result{}, err
	}
	mc := m
	mc.Command = "contact.move"
	for _, id := range ids {
		r, err := h.repo.Update(ctx, mc, id, func(c *contact.Contact) error { return c.MoveTo(target, m.Actor.ID, h.clock()) })
		if err != nil && !errors.Is(err, contact.ErrDeleted) {
			return Result{}, err
		}
		res.Position = max(res.Position, r.Position)
	}
	return res, nil
}
