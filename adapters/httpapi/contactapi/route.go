// Package contactapi is the HTTP API of contacts: create, search, read, change, delete, history,
// the record as it was at a time, and a customer's primary contact.
package contactapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
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
	a := api{d}
	rt.Handle(http.MethodPost, "/contacts", httpkit.Create[ContactCreate]{Kit: d.Kit, Run: a.create,
		Answer: httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/contacts", Projection: projection, View: a.view}}.Handle)
	rt.Handle(http.MethodGet, "/contacts", httpkit.List(d.Kit, projection, a.query, d.CustomerViews.SearchContacts))
	rt.Handle(http.MethodGet, "/contacts/{id}", httpkit.Get(d.Kit, projection, a.get, func(v *customerview.Contact) int64 { return v.Version }))
	rt.Handle(http.MethodPatch, "/contacts/{id}", a.update)
	rt.Handle(http.MethodDelete, "/contacts/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.delete}.Handle)
	rt.Handle(http.MethodGet, "/contacts/{id}/history", httpkit.History(d.Contacts.History, httpkit.HistoryItems))
	rt.Handle(http.MethodGet, "/contacts/{id}/snapshot", httpkit.Snapshot(d.Contacts.AsOf))
	rt.Handle(http.MethodPost, "/customers/{id}/primary-contact", httpkit.OnRecord[primaryBody]{Kit: d.Kit, Run: a.setPrimary,
		Answer: httpkit.Answer{Projection: projection, View: a.customerView}}.Handle)
}

// projection is what contact reads wait for (contacts are projected with their customers).
var projection = []string{customerview.Projection}

type api struct{ Deps }
