// Package followupapi is the HTTP API of follow-ups: recording one on a lead, customer or
// contact, listing a record's follow-ups, and record timelines.
package followupapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/followup"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
)

// Deps are what the follow-up API needs.
type Deps struct {
	Kit           *httpkit.Kit
	FollowUps     followup.Commands
	Leads         leadcmd.Commands     // timelines: a lead's history
	Customers     customercmd.Commands // timelines: a customer's history
	LeadViews     *leadview.Views
	CustomerViews *customerview.Views
	OppViews      *opportunityview.Views
}

// Routes registers the follow-up endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	rt.Handle(http.MethodPost, "/followups", a.record)
	rt.Handle(http.MethodGet, "/followups", a.list)
	rt.Handle(http.MethodGet, "/customers/{id}/timeline", httpkit.History(d.Customers.History, timeline))
	rt.Handle(http.MethodGet, "/leads/{id}/timeline", httpkit.History(d.Leads.History, timeline))
}

type api struct{ Deps }
