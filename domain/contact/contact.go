// Package contact is the contact aggregate: a person at a customer. A contact belongs to exactly
// one customer; which contact is the primary one is recorded on the customer.
package contact

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// Rule violations.
var (
	ErrNotFound = errors.New("contact not found")
	ErrDeleted  = errors.New("contact is deleted")
)

// StreamPrefix is the stream kind of contacts.
const StreamPrefix = "contact"

// Stream returns the stream id of a contact.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Fields are a contact's attributes.
type Fields struct {
	Name        string `json:"name"`
	Gender      string `json:"gender,omitempty"` // male | female | other
	Title       string `json:"title,omitempty"`
	OfficePhone string `json:"officePhone,omitempty"`
	Mobile      string `json:"mobile,omitempty"`
	Email       string `json:"email,omitempty"`
	Fax         string `json:"fax,omitempty"`
	Birthday    string `json:"birthday,omitempty"` // YYYY-MM-DD
	Remark      string `json:"remark,omitempty"`
}

// Patch holds the fields an update changes; nil means unchanged (the patch style of every module).
// It is applied to the contact's current fields, so concurrent updates of different fields never
// undo each other.
type Patch struct {
	Name        *string `json:"name,omitempty"`
	Gender      *string `json:"gender,omitempty"`
	Title       *string `json:"title,omitempty"`
	OfficePhone *string `json:"officePhone,omitempty"`
	Mobile      *string `json:"mobile,omitempty"`
	Email       *string `json:"email,omitempty"`
	Fax         *string `json:"fax,omitempty"`
	Birthday    *string `json:"birthday,omitempty"`
	Remark      *string `json:"remark,omitempty"`
}

// values lists the patch's fields in the order of Fields.texts.
func (p *Patch) values() []**string {
	return []**string{&p.Name, &p.Gender, &p.Title, &p.OfficePhone, &p.Mobile, &p.Email, &p.Fax, &p.Birthday, &p.Remark}
}

// texts lists the fields in one order (Patch.values follows it).
func (f *Fields) texts() []*string {
	return []*string{&f.Name, &f.Gender, &f.Title, &f.OfficePhone, &f.Mobile, &f.Email, &f.Fax, &f.Birthday, &f.Remark}
}

func (f Fields) normalise() Fields {
	for _, p := range f.texts() {
		*p = strings.TrimSpace(*p)
	}
	return f
}

// Validate checks every field.
func (f Fields) Validate() error {
	errs := []error{field.Required("name", f.Name), field.Text("name", f.Name, 100), field.OneOf("gender", f.Gender, "male", "female", "other"),
		field.Text("title", f.Title, 100), field.Phone("officePhone", f.OfficePhone), field.Phone("mobile", f.Mobile),
		field.Email("email", f.Email), field.Phone("fax", f.Fax), field.Text("remark", f.Remark, 2000)}
	if f.Birthday != "" && f.Birthday != field.Erased {
		if _, err := time.Parse("2006-01-02", f.Birthday); err != nil {
			errs = append(errs, field.Errorf("birthday", "must be a date YYYY-MM-DD, got %q", f.Birthday))
		}
	}
	return errors.Join(errs...)
}

// Created: a contact was added to a customer.
type Created struct {
	ContactID  string    `json:"contactId"`
	CustomerID string    `json:"customerId"`
	Fields     Fields    `json:"fields"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// Updated: the contact's fields are now Fields.
type Updated struct {
	ContactID string    `json:"contactId"`
	Fields    Fields    `json:"fields"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// Deleted: the contact leaves every list; its history stays.
type Deleted struct {
	ContactID string    `json:"contactId"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// Moved: the contact now belongs to another customer (customers were merged).
type Moved struct {
	ContactID string    `json:"contactId"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

func (Moved) EventType() string   { return "contact.moved.v1" }
func (Created) EventType() string { return "contact.created.v1" }
func (Updated) EventType() string { return "contact.updated.v1" }
func (Deleted) EventType() string { return "contact.deleted.v1" }

// Register adds the contact events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} }, func() event.Event { return &Updated{} }, func() event.Event { return &Deleted{} },
		func() event.Event { return &Moved{} })
}

// Contact is the aggregate state.
type Contact struct {
	event.Root
	id       uuid.UUID
	customer uuid.UUID
	fields   Fields
	deleted  bool
}

// New adds a contact to a customer.
func New(id, customerID uuid.UUID, f Fields, by uuid.UUID, at time.Time) (*Contact, error) {
	if customerID == uuid.Nil {
		return nil, &ValidationError{Field: "customerId", Message: "is required"}
	}
	f = f.normalise()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	c := &Contact{id: id}
	c.record(Created{ContactID: id.String(), CustomerID: customerID.String(), Fields: f, By: by.String(), At: at.UTC()})
	return c, nil
}

// Rehydrate rebuilds a contact from its history.
func Rehydrate(id uuid.UUID, history []event.Event) (*Contact, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Created); !ok {
		return nil, fmt.Errorf("contact %s: history starts with %s", id, history[0].EventType())
	}
	c := &Contact{id: id}
	c.Replay(c.apply, history, nil)
	return c, nil
}

func (c *Contact) ID() uuid.UUID       { return c.id }
func (c *Contact) Customer() uuid.UUID { return c.customer }
func (c *Contact) Fields() Fields      { return c.fields }
func (c *Contact) Deleted() bool       { return c.deleted }

func (c *Contact) record(e event.Event) { c.Record(c.apply, e) }

func (c *Contact) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		c.customer, _ = uuid.Parse(e.CustomerID)
		c.fields = e.Fields
	case Updated:
		c.fields = e.Fields
	case Moved:
		c.customer, _ = uuid.Parse(e.To)
	case Deleted:
		c.deleted = true
	}
}

// Update replaces the fields; no change records nothing.
func (c *Contact) Update(p Patch, by uuid.UUID, at time.Time) error {
	if c.deleted {
		return ErrDeleted
	}
	f := c.fields
	for i, v := range p.values() {
		if *v != nil {
			*f.texts()[i] = **v
		}
	}
	f = f.normalise()
	if err := f.Validate(); err != nil {
		return err
	}
	if f == c.fields {
		return nil
	}
	c.record(Updated{ContactID: c.id.String(), Fields: f, By: by.String(), At: at.UTC()})
	return nil
}

// MoveTo gives the contact to another customer; moving to its own customer records nothing.
func (c *Contact) MoveTo(customerID, by uuid.UUID, at time.Time) error {
	if c.deleted {
		return ErrDeleted
	}
	if customerID == c.customer {
		return nil
	}
	c.record(Moved{ContactID: c.id.String(), From: c.customer.String(), To: customerID.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Delete removes the contact.
func (c *Contact) Delete(by uuid.UUID, at time.Time) error {
	if c.deleted {
		return ErrDeleted
	}
	c.record(Deleted{ContactID: c.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Snapshot is the contact as a flat map.
func (c *Contact) Snapshot() map[string]any {
	f := c.fields
	return map[string]any{"id": c.id.String(), "customerId": c.customer.String(), "name": f.Name, "gender": f.Gender, "title": f.Title,
		"officePhone": f.OfficePhone, "mobile": f.Mobile, "email": f.Email, "fax": f.Fax, "birthday": f.Birthday, "remark": f.Remark,
		"deleted": c.deleted, "version": c.Version()}
}
