package finance

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Suppliers (供应商): a small company-wide directory the payables name. A supplier's name is
// unique case-insensitively among live suppliers (the commands reserve it, like product codes);
// deleting a supplier is a Deleted event (its history and the payables that name it stay).

// SupplierPrefix is the stream kind of suppliers.
const SupplierPrefix = "supplier"

// SupplierStream is a supplier's stream.
func SupplierStream(id uuid.UUID) string { return SupplierPrefix + "-" + id.String() }

// Supplier limits.
const (
	MaxSupplierName = 200
	MaxContact      = 50
	MaxBank         = 100
)

// Supplier errors.
var (
	ErrSupplierNotFound = errors.New("supplier not found")
	ErrSupplierDeleted  = errors.New("supplier is deleted")
	// ErrSupplierInUse: the supplier has open payables (409 supplier_in_use).
	ErrSupplierInUse = errors.New("the supplier has open payables")
)

// SupplierFields are what a user enters about a supplier.
type SupplierFields struct {
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Bank    string `json:"bank,omitempty"`
	Account string `json:"account,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

// SupplierKey is what two names share when they are the same supplier: trimmed, lower-cased.
func SupplierKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func (f SupplierFields) normalise() SupplierFields {
	for _, s := range []*string{&f.Name, &f.Contact, &f.Phone, &f.Bank, &f.Account, &f.Remarks} {
		*s = strings.TrimSpace(*s)
	}
	return f
}

// Validate checks every field and joins all problems.
func (f SupplierFields) Validate() error {
	return errors.Join(field.Required("name", f.Name), field.Text("name", f.Name, MaxSupplierName), field.Text("contact", f.Contact, MaxContact),
		field.Phone("phone", f.Phone), field.Text("bank", f.Bank, MaxBank), field.Text("account", f.Account, MaxAccount), field.Text("remarks", f.Remarks, MaxRemarks))
}

// SupplierPatch holds the fields an edit changes; nil is unchanged ("" clears an optional one).
type SupplierPatch struct {
	Name    *string `json:"name,omitempty"`
	Contact *string `json:"contact,omitempty"`
	Phone   *string `json:"phone,omitempty"`
	Bank    *string `json:"bank,omitempty"`
	Account *string `json:"account,omitempty"`
	Remarks *string `json:"remarks,omitempty"`
}

// Apply returns the fields with the patch applied, normalised (not validated).
func (f SupplierFields) Apply(p SupplierPatch) SupplierFields {
	for _, x := range []struct {
		v  *string
		to *string
	}{{p.Name, &f.Name}, {p.Contact, &f.Contact}, {p.Phone, &f.Phone}, {p.Bank, &f.Bank}, {p.Account, &f.Account}, {p.Remarks, &f.Remarks}} {
		if x.v != nil {
			*x.to = *x.v
		}
	}
	return f.normalise()
}

// Supplier events.
type (
	SupplierCreated struct {
		SupplierID string         `json:"supplierId"`
		Fields     SupplierFields `json:"fields"`
		By         string         `json:"by"`
		At         time.Time      `json:"at"`
	}
	// SupplierUpdated carries the whole fields after the change.
	SupplierUpdated struct {
		SupplierID string         `json:"supplierId"`
		Fields     SupplierFields `json:"fields"`
		By         string         `json:"by"`
		At         time.Time      `json:"at"`
	}
	SupplierDeleted struct {
		SupplierID string    `json:"supplierId"`
		By         string    `json:"by"`
		At         time.Time `json:"at"`
	}
)

func (SupplierCreated) EventType() string { return "supplier.created.v1" }
func (SupplierUpdated) EventType() string { return "supplier.updated.v1" }
func (SupplierDeleted) EventType() string { return "supplier.deleted.v1" }

func registerSuppliers(r *event.Registry) {
	r.Register(func() event.Event { return &SupplierCreated{} }, func() event.Event { return &SupplierUpdated{} },
		func() event.Event { return &SupplierDeleted{} })
}

// Supplier is the aggregate.
type Supplier struct {
	event.Root
	id        uuid.UUID
	fields    SupplierFields
	deleted   bool
	createdAt time.Time
	updatedAt time.Time
}

// NewSupplier enters a supplier.
func NewSupplier(id uuid.UUID, f SupplierFields, by uuid.UUID, at time.Time) (*Supplier, error) {
	if id == uuid.Nil {
		return nil, field.Errorf("id", "is required")
	}
	f = f.normalise()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	s := &Supplier{id: id}
	s.Record(s.apply, SupplierCreated{SupplierID: id.String(), Fields: f, By: by.String(), At: at.UTC()})
	return s, nil
}

// RehydrateSupplier rebuilds a supplier. Only repositories call it.
func RehydrateSupplier(id uuid.UUID, history []event.Event) (*Supplier, error) {
	if len(history) == 0 {
		return nil, ErrSupplierNotFound
	}
	if _, ok := history[0].(SupplierCreated); !ok {
		return nil, fmt.Errorf("supplier %s: history starts with %s", id, history[0].EventType())
	}
	s := &Supplier{id: id}
	s.Replay(s.apply, history, nil)
	return s, nil
}

func (s *Supplier) apply(e event.Event) {
	switch e := e.(type) {
	case SupplierCreated:
		s.fields, s.createdAt, s.updatedAt = e.Fields, e.At, e.At
	case SupplierUpdated:
		s.fields, s.updatedAt = e.Fields, e.At
	case SupplierDeleted:
		s.deleted, s.updatedAt = true, e.At
	}
}

func (s *Supplier) ID() uuid.UUID          { return s.id }
func (s *Supplier) Fields() SupplierFields { return s.fields }
func (s *Supplier) Deleted() bool          { return s.deleted }
func (s *Supplier) CreatedAt() time.Time   { return s.createdAt }
func (s *Supplier) UpdatedAt() time.Time   { return s.updatedAt }

// Fold applies an event, recording nothing (read models).
func (s *Supplier) Fold(e event.Event) { s.apply(e) }

// Update changes fields; no change records nothing.
func (s *Supplier) Update(p SupplierPatch, by uuid.UUID, at time.Time) error {
	if s.deleted {
		return ErrSupplierDeleted
	}
	next := s.fields.Apply(p)
	if err := next.Validate(); err != nil {
		return err
	}
	if next == s.fields {
		return nil
	}
	s.Record(s.apply, SupplierUpdated{SupplierID: s.id.String(), Fields: next, By: by.String(), At: at.UTC()})
	return nil
}

// Delete removes the supplier from the directory (whether payables are open is the command's
// question: they are on their own streams).
func (s *Supplier) Delete(by uuid.UUID, at time.Time) error {
	if s.deleted {
		return ErrSupplierDeleted
	}
	s.Record(s.apply, SupplierDeleted{SupplierID: s.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Snapshot is the supplier as a flat map (history diffs).
func (s *Supplier) Snapshot() map[string]any {
	f := s.fields
	return map[string]any{"id": s.id.String(), "name": f.Name, "contact": f.Contact, "phone": f.Phone, "bank": f.Bank, "account": f.Account,
		"remarks": f.Remarks, "deleted": s.deleted, "version": s.Version()}
}
