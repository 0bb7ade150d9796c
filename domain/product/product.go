// Package product is the product catalogue: products (one aggregate and one stream each) and the
// category tree they are filed in (one Catalogue aggregate, one stream, like a dictionary list).
//
// Products are company-wide data: nobody owns them. A product has a name, a code unique across
// live products (case-insensitively; the commands reserve it), a category of the catalogue, a unit
// from the data dictionary (product_unit, its code stored), a production date, a production cost
// and a suggested retail price (exact amounts, decimal strings on the wire and in events), a
// description and a status: on sale or off sale. Deleting a product is a Deleted event: it leaves
// every list and releases its code.
package product

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// Rule violations.
var (
	ErrNotFound = errors.New("product not found")
	ErrDeleted  = errors.New("product is deleted")
)

// StreamPrefix is the stream kind of products.
const StreamPrefix = "product"

// Stream returns the stream id of a product.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Status says whether a product is sold.
type Status string

// Statuses of a product.
const (
	OnSale  Status = "on_sale"
	OffSale Status = "off_sale"
)

// Statuses lists them.
var Statuses = []string{string(OnSale), string(OffSale)}

// Limits of the text fields.
const (
	MaxName        = 200
	MaxCode        = 50
	MaxDescription = 5000
)

// Fields are a product's descriptive attributes. Cost and Price are canonical decimal strings
// with two places ("1200.50"), or "" when not given; ProductionDate is YYYY-MM-DD or "".
type Fields struct {
	Name           string `json:"name"`
	Code           string `json:"code"`
	CategoryID     string `json:"categoryId"`
	Unit           string `json:"unit,omitempty"`
	ProductionDate string `json:"productionDate,omitempty"`
	Cost           string `json:"cost,omitempty"`
	Price          string `json:"price,omitempty"`
	Description    string `json:"description,omitempty"`
}

// CodeKey is what two codes share when they are the same code: trimmed and lower-cased.
func CodeKey(code string) string { return strings.ToLower(strings.TrimSpace(code)) }

// normalise trims the texts and writes the amounts canonically (when they parse).
func (f Fields) normalise() Fields {
	f.Name, f.Code, f.Unit = strings.TrimSpace(f.Name), strings.TrimSpace(f.Code), strings.TrimSpace(f.Unit)
	f.ProductionDate, f.Description = strings.TrimSpace(f.ProductionDate), strings.TrimSpace(f.Description)
	f.CategoryID = strings.TrimSpace(f.CategoryID)
	for _, a := range []*string{&f.Cost, &f.Price} {
		if *a == "" {
			continue
		}
		if v, err := money.NonNegativeAmount("", *a); err == nil {
			*a = v.String()
		}
	}
	return f
}

// Validate checks every field and joins all problems. Amounts carry the money codes
// (not_a_decimal, too_many_decimals, negative_not_allowed, decimal_out_of_range).
func (f Fields) Validate() error {
	errs := []error{field.Required("name", f.Name), field.Text("name", f.Name, MaxName),
		field.Required("code", f.Code), field.Text("code", f.Code, MaxCode),
		field.Text("unit", f.Unit, 40), field.Text("description", f.Description, MaxDescription)}
	if f.CategoryID == "" {
		errs = append(errs, &ValidationError{Field: "categoryId", Message: "is required"})
	} else if _, err := uuid.Parse(f.CategoryID); err != nil {
		errs = append(errs, field.Errorf("categoryId", "is not an id: %q", f.CategoryID))
	}
	if f.ProductionDate != "" {
		if _, err := time.Parse(time.DateOnly, f.ProductionDate); err != nil {
			errs = append(errs, field.Errorf("productionDate", "must be a date YYYY-MM-DD; got %q", f.ProductionDate))
		}
	}
	for _, a := range []struct{ name, v string }{{"cost", f.Cost}, {"price", f.Price}} {
		if a.v != "" {
			if _, err := money.NonNegativeAmount(a.name, a.v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Amount parses one of the amounts ("" is not set: ok false).
func Amount(s string) (money.Amount, bool) {
	if s == "" {
		return money.Amount{}, false
	}
	a, err := money.NonNegativeAmount("", s)
	return a, err == nil
}

// Patch holds the fields an edit changes; nil means unchanged ("" clears an optional field).
type Patch struct {
	Name           *string `json:"name,omitempty"`
	Code           *string `json:"code,omitempty"`
	CategoryID     *string `json:"categoryId,omitempty"`
	Unit           *string `json:"unit,omitempty"`
	ProductionDate *string `json:"productionDate,omitempty"`
	Cost           *string `json:"cost,omitempty"`
	Price          *string `json:"price,omitempty"`
	Description    *string `json:"description,omitempty"`
}

func (p *Patch) fields() []struct {
	from **string
	to   func(*Fields) *string
} {
	type pair = struct {
		from **string
		to   func(*Fields) *string
	}
	return []pair{
		{&p.Name, func(f *Fields) *string { return &f.Name }}, {&p.Code, func(f *Fields) *string { return &f.Code }},
		{&p.CategoryID, func(f *Fields) *string { return &f.CategoryID }}, {&p.Unit, func(f *Fields) *string { return &f.Unit }},
		{&p.ProductionDate, func(f *Fields) *string { return &f.ProductionDate }}, {&p.Cost, func(f *Fields) *string { return &f.Cost }},
		{&p.Price, func(f *Fields) *string { return &f.Price }}, {&p.Description, func(f *Fields) *string { return &f.Description }},
	}
}

// IsZero reports an empty patch.
func (p Patch) IsZero() bool {
	for _, x := range p.fields() {
		if *x.from != nil {
			return false
		}
	}
	return true
}

// Apply returns the fields with the patch applied (normalised, not validated).
func (f Fields) Apply(p Patch) Fields {
	for _, x := range p.fields() {
		if v := *x.from; v != nil {
			*x.to(&f) = *v
		}
	}
	return f.normalise()
}

// Events.
type (
	// Created: a product was entered.
	Created struct {
		ProductID string    `json:"productId"`
		Fields    Fields    `json:"fields"`
		Status    Status    `json:"status"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
	// Updated: fields changed (only those in the patch, with their new values).
	Updated struct {
		ProductID string    `json:"productId"`
		Patch     Patch     `json:"patch"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
	// PutOnSale / TakenOffSale: the status changed.
	PutOnSale struct {
		ProductID string    `json:"productId"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
	TakenOffSale struct {
		ProductID string    `json:"productId"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
	// Deleted: the product leaves every list and its code is free again; its history stays.
	Deleted struct {
		ProductID string    `json:"productId"`
		By        string    `json:"by"`
		At        time.Time `json:"at"`
	}
)

func (Created) EventType() string      { return "product.created.v1" }
func (Updated) EventType() string      { return "product.updated.v1" }
func (PutOnSale) EventType() string    { return "product.put_on_sale.v1" }
func (TakenOffSale) EventType() string { return "product.taken_off_sale.v1" }
func (Deleted) EventType() string      { return "product.deleted.v1" }

// Register adds the product and catalogue events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} }, func() event.Event { return &Updated{} },
		func() event.Event { return &PutOnSale{} }, func() event.Event { return &TakenOffSale{} },
		func() event.Event { return &Deleted{} })
	registerCatalogue(r)
}

// Product is the aggregate state.
type Product struct {
	event.Root
	id        uuid.UUID
	fields    Fields
	status    Status
	deleted   bool
	createdAt time.Time
	updatedAt time.Time
}

// New enters a product (on sale unless status says otherwise).
func New(id uuid.UUID, f Fields, status Status, by uuid.UUID, at time.Time) (*Product, error) {
	if id == uuid.Nil {
		return nil, &ValidationError{Field: "id", Message: "is required"}
	}
	if status == "" {
		status = OnSale
	}
	f = f.normalise()
	if err := errors.Join(f.Validate(), field.OneOf("status", string(status), Statuses...)); err != nil {
		return nil, err
	}
	p := &Product{id: id}
	p.Record(p.apply, Created{ProductID: id.String(), Fields: f, Status: status, By: by.String(), At: at.UTC()})
	return p, nil
}

// Rehydrate rebuilds a product from its history. Only repositories call it.
func Rehydrate(id uuid.UUID, history []event.Event) (*Product, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Created); !ok {
		return nil, fmt.Errorf("product %s: history starts with %s", id, history[0].EventType())
	}
	p := &Product{id: id}
	p.Replay(p.apply, history, nil)
	return p, nil
}

func (p *Product) ID() uuid.UUID  { return p.id }
func (p *Product) Fields() Fields { return p.fields }
func (p *Product) Status() Status { return p.status }
func (p *Product) Deleted() bool  { return p.deleted }

// Category is the product's category id.
func (p *Product) Category() uuid.UUID {
	id, _ := uuid.Parse(p.fields.CategoryID)
	return id
}

func (p *Product) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		p.fields, p.status, p.createdAt, p.updatedAt = e.Fields, e.Status, e.At, e.At
	case Updated:
		p.fields, p.updatedAt = p.fields.Apply(e.Patch), e.At
	case PutOnSale:
		p.status, p.updatedAt = OnSale, e.At
	case TakenOffSale:
		p.status, p.updatedAt = OffSale, e.At
	case Deleted:
		p.deleted, p.updatedAt = true, e.At
	}
}

// Fold applies a later event to a product restored from a read model (projections).
func (p *Product) Fold(e event.Event) { p.apply(e) }

// Restore is a product in a known state (a read model's copy).
func Restore(id uuid.UUID, f Fields, s Status) *Product {
	return &Product{id: id, fields: f, status: s}
}

// Update changes fields; a change to nothing records nothing. The recorded patch holds only the
// fields that changed, normalised.
func (p *Product) Update(patch Patch, by uuid.UUID, at time.Time) error {
	if p.deleted {
		return ErrDeleted
	}
	next := p.fields.Apply(patch)
	if err := next.Validate(); err != nil {
		return err
	}
	eff := Patch{}
	cur := p.fields
	for _, x := range eff.fields() {
		if a, b := *x.to(&cur), *x.to(&next); a != b {
			v := b
			*x.from = &v
		}
	}
	if eff.IsZero() {
		return nil
	}
	p.Record(p.apply, Updated{ProductID: p.id.String(), Patch: eff, By: by.String(), At: at.UTC()})
	return nil
}

// SetStatus puts the product on or off sale; the same status records nothing.
func (p *Product) SetStatus(s Status, by uuid.UUID, at time.Time) error {
	if p.deleted {
		return ErrDeleted
	}
	if err := errors.Join(field.Required("status", string(s)), field.OneOf("status", string(s), Statuses...)); err != nil {
		return err
	}
	switch {
	case s == p.status:
		return nil
	case s == OnSale:
		p.Record(p.apply, PutOnSale{ProductID: p.id.String(), By: by.String(), At: at.UTC()})
	default:
		p.Record(p.apply, TakenOffSale{ProductID: p.id.String(), By: by.String(), At: at.UTC()})
	}
	return nil
}

// Delete removes the product from every list; a deleted product accepts no commands.
func (p *Product) Delete(by uuid.UUID, at time.Time) error {
	if p.deleted {
		return ErrDeleted
	}
	p.Record(p.apply, Deleted{ProductID: p.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Snapshot is the product as a flat map (history diffs).
func (p *Product) Snapshot() map[string]any {
	f := p.fields
	return map[string]any{"id": p.id.String(), "name": f.Name, "code": f.Code, "categoryId": f.CategoryID, "unit": f.Unit,
		"productionDate": f.ProductionDate, "cost": f.Cost, "price": f.Price, "description": f.Description,
		"status": string(p.status), "deleted": p.deleted, "version": p.Version(),
		"createdAt": p.createdAt.Format(time.RFC3339Nano), "updatedAt": p.updatedAt.Format(time.RFC3339Nano)}
}
