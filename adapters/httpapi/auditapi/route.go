// Package auditapi is the HTTP API of the audit logs: the operation log and the sign-in log.
// (A record's own history is served by its module.)
package auditapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
)

// Deps are what the audit API needs.
type Deps struct {
	Kit        *httpkit.Kit
	AuditViews *auditview.Views
	LoginViews *loginview.Views
}

// Routes registers the audit endpoints.
func Routes(rt httpkit.Router, d Deps) {
	rt.Handle(http.MethodGet, "/audit/events", httpkit.List(d.Kit, []string{auditview.Projection}, eventQuery, maskingDetails(d.AuditViews.Search)))
	rt.Handle(http.MethodGet, "/audit/logins", httpkit.List(d.Kit, []string{loginview.Projection}, loginQuery, d.LoginViews.Search))
}
