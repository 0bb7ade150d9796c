// Package auditapi is the HTTP API of the audit logs: the operation log and the sign-in log.
// (A record's own history is served by its module.)
package auditapi

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
)

// Deps are what the audit API needs.
type Deps struct {
	Kit        *httpkit.Kit
	AuditViews *auditview.Views
	LoginViews *loginview.Views

	// The export (GET /audit/export): the log's head, the audit chain's sealed head, the audit key
	// that signs the manifest (the anchors' key), the field changes of the events of one export,
	// and the zone of the dates its from and to take (default UTC).
	Head    func(ctx context.Context) (uint64, error)
	Chain   func(ctx context.Context) (auditchain.ChainHead, error)
	Key     func() (ed25519.PrivateKey, error)
	Changes func() *commands.FieldChanges
	Zone    *time.Location
}

// Routes registers the audit endpoints.
func Routes(rt httpkit.Router, d Deps) {
	rt.Handle(http.MethodGet, "/audit/events", httpkit.List(d.Kit, []string{auditview.Projection}, eventQuery, maskingDetails(d.AuditViews.Search)))
	rt.Handle(http.MethodGet, "/audit/export", d.export)
	rt.Handle(http.MethodGet, "/audit/logins", httpkit.List(d.Kit, []string{loginview.Projection}, loginQuery, d.LoginViews.Search))
}
