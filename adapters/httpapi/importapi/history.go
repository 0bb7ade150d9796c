package importapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
)

// The import history: GET /api/v1/imports lists the imports the caller may read, newest first,
// and GET /api/v1/imports/{id} is one of them with its first row errors. A user reads their own
// imports; a holder of audit.read also those of the users their data scope covers (an
// administrator: everyone's). Any other import is 404.

func (a api) list(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	q := importview.Query{Scope: importview.ScopeFor(httpkit.ActorOf(r.Context())), By: p.UUID("by"), Now: a.Kit.Clock(),
		Kinds:    p.List("kind", importview.Kinds, "must be leads, customers, contacts or products; got %q"),
		Statuses: p.List("status", importview.States, "must be queued, running, done or failed; got %q"),
		Sort:     p.Enum("sort", "createdAt", "-createdAt"), Limit: p.Limit(), Cursor: p.Str("cursor")}
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	page, err := a.ImportViews.List(r.Context(), q)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(page), nil
}

func (a api) get(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	imp, err := a.ImportViews.GetImport(r.Context(), importview.ScopeFor(httpkit.ActorOf(r.Context())), id, a.Kit.Clock())
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(imp), nil
}
