package auditapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
)

// eventQuery reads the filters of the operation log (audit.read).
func eventQuery(r *http.Request) (auditview.Query, error) {
	if err := httpkit.Allow(r, role.AuditRead); err != nil {
		return auditview.Query{}, err
	}
	p := httpkit.Params(r.URL.Query())
	q := auditview.Query{Scope: readmodels.ScopeOf(httpkit.ActorOf(r.Context()), false), ActorID: p.Str("actor"), Type: p.Str("type"),
		StreamID: p.Str("stream"), StreamKind: p.Str("kind"), Cursor: p.Str("cursor"), Desc: p.Str("order") == "desc"}
	if id := p.UUID("department"); id != nil {
		q.Department = *id
	}
	p.Enum("order", "asc", "desc")
	p.UUID("actor") // checked; the filter keeps the text
	q.From, q.To, q.Limit = p.Time("from"), p.Time("to"), p.Limit()
	return q, p.Err()
}

// loginQuery reads the filters of the sign-in log (audit.read), newest first.
func loginQuery(r *http.Request) (loginview.Query, error) {
	if err := httpkit.Allow(r, role.AuditRead); err != nil {
		return loginview.Query{}, err
	}
	p := httpkit.Params(r.URL.Query())
	q := loginview.Query{Scope: readmodels.ScopeOf(httpkit.ActorOf(r.Context()), false), User: p.Str("user"), Address: p.Str("address"),
		Outcome: p.Str("outcome"), Cursor: p.Str("cursor")}
	q.From, q.To, q.Limit = p.Time("from"), p.Time("to"), p.Limit()
	return q, p.Err()
}

// detailKinds are the stream kinds whose events hold contact details.
var detailKinds = []string{"lead", "customer", "contact"}

// maskingDetails is the operation log with the contact details in the events of leads, customers
// and contacts masked for a reader without contactdetails.reveal (httpkit.ContactDetails; the
// operation log makes no exception for owners).
func maskingDetails(search func(ctx context.Context, q auditview.Query) (readmodels.Page[auditview.Event], error)) func(ctx context.Context, q auditview.Query) (readmodels.Page[auditview.Event], error) {
	return func(ctx context.Context, q auditview.Query) (readmodels.Page[auditview.Event], error) {
		page, err := search(ctx, q)
		if err != nil || httpkit.ActorOf(ctx).Can(role.ContactDetailsReveal) {
			return page, err
		}
		for i, e := range page.Items {
			if slices.Contains(detailKinds, eventstore.StreamKind(e.StreamID)) {
				page.Items[i].Data = httpkit.MaskEventData(e.Data, httpkit.DetailNames...)
			}
		}
		return page, nil
	}
}
