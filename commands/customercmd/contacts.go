package customercmd

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Contacts handles contacts; a contact is seen and changed by whoever may see and change its
// customer.
type Contacts struct {
	repo      *commands.Repository[*contact.Contact]
	customers *Service
	clock     commands.Clock
}

// NewContacts refuses nil dependencies.
func NewContacts(store eventstore.Store, registry *event.Registry, clock commands.Clock, customers *Service) *Contacts {
	if customers == nil {
		panic("customercmd: NewContacts without customers")
	}
	return &Contacts{repo: commands.NewRepository(store, registry, clock, contact.Stream, contact.Rehydrate), customers: customers, clock: clock}
}

// CreateContact adds a contact to a customer.
type CreateContact struct {
	ID         uuid.UUID
	CustomerID uuid.UUID
	Fields     contact.Fields
	Primary    bool
}

// customerFor checks the actor may change the customer (customers.update within scope).
func (h *Contacts) customerFor(ctx context.Context, a access.Actor, id uuid.UUID) error {
	l, err := h.customers.repo.Load(ctx, id)
	if errors.Is(err, commands.ErrNotFound) {
		return &field.Error{Field: "customerId", Message: "no such customer"}
	}
	if err != nil {
		return err
	}
	return h.customers.rules.MayChange(ctx, a, l.Root.Owner(), l.Root.Deleted(), role.CustomersUpdate)
}

// Create adds the contact (and makes it the primary one when asked).
func (h *Contacts) Create(ctx context.Context, m commands.Meta, c CreateContact) (commands.Result, error) {
	m.Command = commands.ContactCreate
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	ct, err := contact.New(c.ID, c.CustomerID, c.Fields, m.Actor.ID, h.clock())
	if err != nil {
		return commands.Result{}, err
	}
	if err := h.customerFor(ctx, m.Actor, c.CustomerID); err != nil {
		if errors.Is(err, commands.ErrNotFound) {
			return commands.Result{}, &field.Error{Field: "customerId", Message: "no such customer"}
		}
		return commands.Result{}, err
	}
	res, err := h.repo.Create(ctx, m, c.ID, ct)
	if err != nil || !c.Primary {
		return res, err
	}
	p, err := h.SetPrimary(ctx, m, c.CustomerID, c.ID)
	res.Position = max(res.Position, p.Position) // reads wait for the primary flag too
	return res, err
}

// Update changes the fields the patch names.
func (h *Contacts) Update(ctx context.Context, m commands.Meta, id uuid.UUID, p contact.Patch) (commands.Result, error) {
	m.Command = commands.ContactUpdate
	return h.repo.Update(ctx, m, id, func(c *contact.Contact) error {
		if err := h.visible(ctx, m.Actor, c); err != nil {
			return err
		}
		return c.Update(p, m.Actor.ID, h.clock())
	})
}

// Delete removes a contact; when it was the customer's primary contact, the customer has none.
func (h *Contacts) Delete(ctx context.Context, m commands.Meta, id uuid.UUID) (commands.Result, error) {
	m.Command = commands.ContactDelete
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
	mc.Command = commands.CustomerSetPrimaryContact
	r, err := h.customers.repo.Update(ctx, mc, customerID, func(c *customer.Customer) error {
		if c.Deleted() || c.PrimaryContact() != id.String() {
			return nil
		}
		return c.SetPrimaryContact(uuid.Nil, m.Actor.ID, h.clock())
	})
	res.Position = max(res.Position, r.Position)
	return res, err
}

func (h *Contacts) visible(ctx context.Context, a access.Actor, c *contact.Contact) error {
	if c.Deleted() {
		return commands.ErrNotFound
	}
	err := h.customerFor(ctx, a, c.Customer())
	var fe *field.Error
	if errors.As(err, &fe) {
		return commands.ErrNotFound
	}
	return err
}

// SetPrimary makes a contact the customer's primary contact.
func (h *Contacts) SetPrimary(ctx context.Context, m commands.Meta, customerID, contactID uuid.UUID) (commands.Result, error) {
	m.Command = commands.CustomerSetPrimaryContact
	if contactID != uuid.Nil {
		l, err := h.repo.Load(ctx, contactID)
		if err != nil || l.Root.Customer() != customerID || l.Root.Deleted() {
			return commands.Result{}, &field.Error{Field: "contactId", Message: "is not a contact of this customer"}
		}
	}
	return h.customers.Edit(ctx, m, customerID, role.CustomersUpdate, func(c *customer.Customer) error {
		return c.SetPrimaryContact(contactID, m.Actor.ID, h.clock())
	})
}

// History returns the contact's events with field-level changes.
func (h *Contacts) History(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error) {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := h.customers.visible(ctx, a, l.Root.Customer()); err != nil {
		return nil, err
	}
	return h.repo.History(ctx, id, (*contact.Contact).Snapshot)
}

// AsOf returns the contact as it was at a time. Whether the reader may see it is decided by its
// customer now (as History does): the past of a contact is shown to those who see it today.
func (h *Contacts) AsOf(ctx context.Context, a access.Actor, id uuid.UUID, until time.Time) (map[string]any, error) {
	l, err := h.repo.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := h.customers.visible(ctx, a, l.Root.Customer()); err != nil {
		return nil, err
	}
	c, err := h.repo.AsOf(ctx, id, until)
	if err != nil {
		return nil, err
	}
	return c.Snapshot(), nil
}

// Adopt appends a contact another process built and decided on (a lead's conversion). An
// existing stream is commands.ErrAlreadyExists.
func (h *Contacts) Adopt(ctx context.Context, m commands.Meta, c *contact.Contact) (commands.Result, error) {
	m.Command = commands.ContactCreate
	return h.repo.Create(ctx, m, c.ID(), c)
}
