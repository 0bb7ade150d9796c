package customercmd

import (
	"context"
	"errors"
	"sync"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// ImportID is the id an import gives a customer: from its normalised name (the same
// normalisation as the duplicate check, so 北京星河科技有限公司 and 北京星河科技 are one customer).
func ImportID(name string) uuid.UUID {
	return commands.ImportID("customer", customer.NormalizeName(name))
}

// ContactImportID is the id an import gives a contact: its customer, name and mobile digits.
func ContactImportID(customerID uuid.UUID, name, mobile string) uuid.UUID {
	return commands.ImportID("contact", customerID.String(), commands.ImportKey(name), field.Digits(mobile))
}

// ImportRow is one customer of an import batch.
type ImportRow struct {
	Fields customer.Fields
	Status customer.Status
}

// ImportContactRow is one contact of an import batch.
type ImportContactRow struct {
	CustomerID uuid.UUID
	Fields     contact.Fields
}

// Import enters customers owned by the actor (customers.import). A nil error means every row has
// its result; an error is one that stops the batch (permission).
func (h *Service) Import(ctx context.Context, m commands.Meta, rows []ImportRow, o commands.ImportOptions) ([]commands.ImportResult, error) {
	m.Command = commands.CustomerImport
	if !m.Actor.Can(role.CustomersImport) {
		return nil, commands.ErrForbidden
	}
	now := h.clock()
	lists := &commands.Lists{Dict: h.dict} // the lists as the batch starts
	return commands.CreateEach(ctx, m, h.repo, len(rows), o, func(i int) (uuid.UUID, *customer.Customer, error) {
		id := ImportID(rows[i].Fields.Name)
		f := rows[i].Fields
		if err := resolveFields(ctx, lists, &f); err != nil { // a label or a code; an unknown value fails the row
			return id, nil, err
		}
		c, err := customer.New(id, f, rows[i].Status, m.Actor.ID, "", m.Actor.ID, now)
		return id, c, err
	}, commands.SameCreated(func(e event.Event) (any, bool) {
		c, ok := e.(customer.Created)
		return struct {
			Owner, By, Status string
			Fields            customer.Fields
		}{c.OwnerID, c.By, string(c.Status), c.Fields}, ok
	})), nil
}

// Import adds contacts to customers the actor may change (customers.import to import at all,
// customers.update on each customer).
func (h *Contacts) Import(ctx context.Context, m commands.Meta, rows []ImportContactRow, o commands.ImportOptions) ([]commands.ImportResult, error) {
	m.Command = commands.ContactImport
	if !m.Actor.Can(role.CustomersImport) {
		return nil, commands.ErrForbidden
	}
	now := h.clock()
	var mu sync.Mutex
	allowed := map[uuid.UUID]error{} // the customer checks of this batch
	mayChange := func(id uuid.UUID) error {
		mu.Lock()
		err, ok := allowed[id]
		mu.Unlock()
		if ok {
			return err
		}
		err = h.customerFor(ctx, m.Actor, id)
		if errors.Is(err, commands.ErrNotFound) || errors.Is(err, commands.ErrForbidden) {
			err = &field.Error{Field: "customer", Message: "is not a customer you may add contacts to"}
		}
		mu.Lock()
		allowed[id] = err
		mu.Unlock()
		return err
	}
	return commands.CreateEach(ctx, m, h.repo, len(rows), o, func(i int) (uuid.UUID, *contact.Contact, error) {
		r := rows[i]
		id := ContactImportID(r.CustomerID, r.Fields.Name, r.Fields.Mobile)
		c, err := contact.New(id, r.CustomerID, r.Fields, m.Actor.ID, now)
		if err != nil {
			return id, nil, err
		}
		return id, c, mayChange(r.CustomerID)
	}, commands.SameCreated(func(e event.Event) (any, bool) {
		c, ok := e.(contact.Created)
		return struct {
			Customer, By string
			Fields       contact.Fields
		}{c.CustomerID, c.By, c.Fields}, ok
	})), nil
}
