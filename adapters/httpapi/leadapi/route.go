// Package leadapi is the HTTP API of leads: create, search, read, change, assign, claim,
// release, delete, history and conversion into a customer.
package leadapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/conversion"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// Deps are what the lead API needs.
type Deps struct {
	Kit        *httpkit.Kit
	Leads      leadcmd.Commands
	Conversion conversion.Commands // a lead's conversion into a customer (and contact)
	LeadViews  *leadview.Views
	Settings   Settings // the pool settings (customerPool.hidePreviousOwnerRemarks covers leads too)
}

// Settings are the settings the lead API reads (served by the organisation's views).
type Settings interface {
	CustomerPool(ctx context.Context) (settings.CustomerPool, error)
}

// Routes registers the lead endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{Deps: d, remarks: Remarks(d.LeadViews, d.Settings), details: Details(d.LeadViews)}
	rt.Handle(http.MethodPost, "/leads", httpkit.Create[LeadCreate]{Kit: d.Kit, Run: a.create, Answer: a.answer(http.StatusCreated)}.Handle)
	rt.Handle(http.MethodGet, "/leads", httpkit.List(d.Kit, projection, a.query, httpkit.Masking(a.details, Keyword, httpkit.HidingRemarks(a.remarks, d.LeadViews.Search))))
	rt.Handle(http.MethodGet, "/leads/{id}", httpkit.NoAsOf(httpkit.Get(d.Kit, projection, a.read, func(v *leadview.Lead) int64 { return v.Version })))
	rt.Handle(http.MethodGet, "/leads/{id}/snapshot", httpkit.Snapshot(a.details.AsOf(a.remarks.AsOf(d.Leads.AsOf, d.Leads.History))))
	rt.Handle(http.MethodPatch, "/leads/{id}", httpkit.OnRecord[LeadPatch]{Kit: d.Kit, Run: a.update, Answer: a.answer(http.StatusOK)}.Handle)
	rt.Handle(http.MethodDelete, "/leads/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.delete}.Handle)
	rt.Handle(http.MethodPost, "/leads/{id}/assign", httpkit.OnRecord[httpkit.AssignBody]{Kit: d.Kit, Run: a.assign, Answer: a.answer(http.StatusOK)}.Handle)
	rt.Handle(http.MethodPost, "/leads/{id}/claim", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyIfSent, Run: a.claim, Answer: a.answer(http.StatusOK)}.Handle)
	rt.Handle(http.MethodPost, "/leads/{id}/release", httpkit.OnRecord[httpkit.ReleaseBody]{Kit: d.Kit, Run: a.release, Answer: a.answer(http.StatusOK)}.Handle)
	rt.Handle(http.MethodGet, "/leads/{id}/history", httpkit.History(a.details.History(a.remarks.History(d.Leads.History)), httpkit.HistoryItems))
	rt.Handle(http.MethodPost, "/leads/{id}/reveal", a.details.Reveal(d.Kit))
	rt.Handle(http.MethodPost, "/leads/{id}/convert", a.convert)
}

// projection is what lead reads wait for.
var projection = []string{leadview.Projection}

type api struct {
	Deps
	remarks httpkit.PreviousOwnerRemarks[*leadview.Lead]
	details httpkit.ContactDetails[*leadview.Lead]
}

// Details is the rule of contact details (httpkit.ContactDetails) on leads: a lead's phone,
// mobile and e-mail are read in full by its owner and holders of contactdetails.reveal, masked
// for its other readers; those who may change it may reveal them.
func Details(views *leadview.Views) httpkit.ContactDetails[*leadview.Lead] {
	return httpkit.ContactDetails[*leadview.Lead]{
		Kind: "lead", Names: []string{"phone", "mobile", "email"}, Update: role.LeadsUpdate, Assign: role.LeadsAssign, Projection: projection,
		Get: func(ctx context.Context, actor access.Actor, id uuid.UUID) (*leadview.Lead, error) {
			return views.Get(ctx, leadview.ScopeFor(actor), id)
		},
		Owner: func(l *leadview.Lead) *uuid.UUID { return l.OwnerID },
		Details: func(l *leadview.Lead) []httpkit.Detail {
			return []httpkit.Detail{{Name: "phone", Value: &l.Phone}, {Name: "mobile", Value: &l.Mobile}, {Name: "email", Value: &l.Email}}
		},
		Block:      func(l *leadview.Lead) *readmodels.Masking { return &l.Masking },
		SearchText: (*leadview.Lead).SearchText,
	}
}

// Keyword is a lead search's keyword (for httpkit.Masking).
func Keyword(q leadview.Query) string { return q.Q }

// Remarks is the rule of previous owners' remarks (httpkit.PreviousOwnerRemarks) on leads: with
// customerPool.hidePreviousOwnerRemarks, a lead's remark written before its last release to the
// pool is shown only to its author and administrators.
func Remarks(views *leadview.Views, s Settings) httpkit.PreviousOwnerRemarks[*leadview.Lead] {
	return httpkit.PreviousOwnerRemarks[*leadview.Lead]{
		Setting: httpkit.RemarksSetting(s.CustomerPool),
		Get: func(ctx context.Context, actor access.Actor, id uuid.UUID) (*leadview.Lead, error) {
			return views.Get(ctx, leadview.ScopeFor(actor), id)
		},
		Remark: func(l *leadview.Lead) (*string, *readmodels.PoolRemark) { return &l.Remark, &l.PoolRemark },
	}
}
