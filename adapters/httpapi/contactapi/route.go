// Package contactapi is the HTTP API of contacts: create, search, read, change, delete, history,
// the record as it was at a time, and a customer's primary contact.
package contactapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/customerapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// Deps are what the contact API needs.
type Deps struct {
	Kit           *httpkit.Kit
	Contacts      customercmd.ContactCommands
	CustomerViews *customerview.Views
}

// Routes registers the contact endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{Deps: d, details: Details(d.CustomerViews), customers: customerapi.Details(d.CustomerViews)}
	rt.Handle(http.MethodPost, "/contacts", httpkit.Create[ContactCreate]{Kit: d.Kit, Run: a.create,
		Answer: httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/contacts", Projection: projection, View: a.view}}.Handle)
	rt.Handle(http.MethodGet, "/contacts", httpkit.List(d.Kit, projection, a.query, httpkit.Masking(a.details, Keyword, d.CustomerViews.SearchContacts)))
	rt.Handle(http.MethodGet, "/contacts/{id}", httpkit.Get(d.Kit, projection, a.get, func(v *customerview.Contact) int64 { return v.Version }))
	rt.Handle(http.MethodPatch, "/contacts/{id}", a.update)
	rt.Handle(http.MethodDelete, "/contacts/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.delete}.Handle)
	rt.Handle(http.MethodGet, "/contacts/{id}/history", httpkit.History(a.details.History(d.Contacts.History), httpkit.HistoryItems))
	rt.Handle(http.MethodGet, "/contacts/{id}/snapshot", httpkit.Snapshot(a.details.AsOf(d.Contacts.AsOf)))
	rt.Handle(http.MethodPost, "/contacts/{id}/reveal", a.details.Reveal(d.Kit))
	rt.Handle(http.MethodPost, "/customers/{id}/primary-contact", httpkit.OnRecord[primaryBody]{Kit: d.Kit, Run: a.setPrimary,
		Answer: httpkit.Answer{Projection: projection, View: a.customerView}}.Handle)
}

// projection is what contact reads wait for (contacts are projected with their customers).
var projection = []string{customerview.Projection}

type api struct {
	Deps
	details   httpkit.ContactDetails[*customerview.Contact]
	customers httpkit.ContactDetails[*customerview.Customer]
}

// Details is the rule of contact details (httpkit.ContactDetails) on contacts: a contact's
// office phone, mobile, fax and e-mail are read in full by its customer's owner and holders of
// contactdetails.reveal, masked for its other readers; those who may change its customer may
// reveal them.
func Details(views *customerview.Views) httpkit.ContactDetails[*customerview.Contact] {
	return httpkit.ContactDetails[*customerview.Contact]{
		Kind: "contact", Names: []string{"officePhone", "mobile", "email", "fax"}, Update: role.CustomersUpdate, Assign: role.CustomersAssign,
		Projection: projection,
		Get: func(ctx context.Context, actor access.Actor, id uuid.UUID) (*customerview.Contact, error) {
			return views.GetContact(ctx, customerview.ScopeFor(actor), id)
		},
		Owner: func(c *customerview.Contact) *uuid.UUID { return c.OwnerID },
		Details: func(c *customerview.Contact) []httpkit.Detail {
			return []httpkit.Detail{{Name: "officePhone", Value: &c.OfficePhone}, {Name: "mobile", Value: &c.Mobile},
				{Name: "email", Value: &c.Email}, {Name: "fax", Value: &c.Fax}}
		},
		Block:      func(c *customerview.Contact) *readmodels.Masking { return &c.Masking },
		SearchText: (*customerview.Contact).SearchText,
	}
}

// Keyword is a search's keyword (for httpkit.Masking).
func Keyword(q customerview.ContactQuery) string { return q.Q }
