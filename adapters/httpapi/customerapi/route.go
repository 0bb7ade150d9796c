// Package customerapi is the HTTP API of customers: create (with the duplicate check), search,
// read, change, assign, claim, release, lock, delete, history, the pool's returning list,
// duplicates and merge.
package customerapi

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/settings"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// Deps are what the customer API needs.
type Deps struct {
	Kit           *httpkit.Kit
	Customers     customercmd.Commands
	CustomerViews *customerview.Views
	Settings      Settings
}

// Settings are the organisation's settings the customer API reads: the custom field definitions
// and the pool rules (served by the organisation's views).
type Settings interface {
	CustomerFields(ctx context.Context) ([]customer.CustomField, error)
	CustomerPool(ctx context.Context) (settings.CustomerPool, error)
}

// Routes registers the customer endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{Deps: d, dupLimit: httpkit.NewLimiter(DuplicatesPerMinute, time.Minute, d.Kit.Clock), remarks: Remarks(d.CustomerViews, d.Settings), details: Details(d.CustomerViews)}
	on := func(run func(context.Context, commands.Meta, uuid.UUID, *struct{}) (commands.Result, error)) httpkit.Handler {
		return httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: run, Answer: a.answer()}.Handle
	}
	rt.Handle(http.MethodPost, "/customers", a.create)
	rt.Handle(http.MethodGet, "/customers", httpkit.List(d.Kit, projection, a.query, a.search))
	rt.Handle(http.MethodGet, "/customers/{id}", httpkit.NoAsOf(httpkit.Get(d.Kit, projection, a.read, func(v *customerview.Customer) int64 { return v.Version })))
	rt.Handle(http.MethodGet, "/customers/{id}/snapshot", httpkit.Snapshot(a.details.AsOf(a.remarks.AsOf(d.Customers.AsOf, d.Customers.History))))
	rt.Handle(http.MethodPatch, "/customers/{id}", httpkit.OnRecord[CustomerPatch]{Kit: d.Kit, Run: a.update, Answer: a.answer()}.Handle)
	rt.Handle(http.MethodDelete, "/customers/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.delete}.Handle)
	rt.Handle(http.MethodPost, "/customers/{id}/assign", httpkit.OnRecord[httpkit.AssignBody]{Kit: d.Kit, Run: a.assign, Answer: a.answer()}.Handle)
	rt.Handle(http.MethodPost, "/customers/{id}/claim", on(a.claim))
	rt.Handle(http.MethodPost, "/customers/{id}/release", httpkit.OnRecord[httpkit.ReleaseBody]{Kit: d.Kit, Run: a.release, Answer: a.answer()}.Handle)
	rt.Handle(http.MethodPost, "/customers/{id}/lock", on(a.lock))
	rt.Handle(http.MethodPost, "/customers/{id}/unlock", on(a.unlock))
	rt.Handle(http.MethodGet, "/customers/{id}/history", httpkit.History(a.details.History(a.remarks.History(d.Customers.History)), httpkit.HistoryItems))
	rt.Handle(http.MethodPost, "/customers/{id}/reveal", a.details.Reveal(d.Kit))
	rt.Handle(http.MethodGet, "/duplicates", a.duplicates)
	rt.Handle(http.MethodPost, "/customers/{id}/merge", httpkit.OnRecord[mergeBody]{Kit: d.Kit, Run: a.merge, Answer: a.answer()}.Handle)
	rt.Handle(http.MethodGet, "/pool/returning", a.returning)
}

// projection is what customer reads wait for.
var projection = []string{customerview.Projection}

// DuplicatesPerMinute is how many duplicate checks (GET /api/v1/duplicates) a user may make a
// minute (a token bucket per user and process).
const DuplicatesPerMinute = 30

type api struct {
	Deps
	dupLimit *httpkit.Limiter
	remarks  httpkit.PreviousOwnerRemarks[*customerview.Customer]
	details  httpkit.ContactDetails[*customerview.Customer]
}
