package importapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Exports: GET /api/v1/{customers,leads,contacts}/export?format=csv|xlsx plus the list endpoint's
// query parameters writes the whole search (filters and the reader's data scope) as a file with
// Chinese headers.

// names looks up the names an export shows: owners' display names one by one (few owners, many
// rows), customers' names a page at a time (prepare).
type names struct {
	ctx       context.Context
	db        *readmodels.DB
	users     map[uuid.UUID]string
	customers map[uuid.UUID]string
}

func (a api) names(ctx context.Context) *names {
	return &names{ctx: ctx, db: a.DB, users: map[uuid.UUID]string{}, customers: map[uuid.UUID]string{}}
}

func (n *names) User(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	if s, ok := n.users[*id]; ok {
		return s
	}
	s := ""
	if u, err := n.db.GetUser(n.ctx, *id); err == nil {
		s = u.DisplayName
	}
	n.users[*id] = s
	return s
}

func (n *names) Customer(id uuid.UUID) string { return n.customers[id] }

// prepareContacts looks up the customer names of a page of contacts.
func (n *names) prepareContacts(ctx context.Context, items []*readmodels.Contact) error {
	var missing []uuid.UUID
	for _, c := range items {
		if _, ok := n.customers[c.CustomerID]; !ok {
			missing = append(missing, c.CustomerID)
			n.customers[c.CustomerID] = ""
		}
	}
	found, err := n.db.CustomerNames(ctx, missing)
	for id, s := range found {
		n.customers[id] = s
	}
	return err
}

func (a api) exportCustomers(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.CustomersRead, role.CustomersExport); err != nil {
		return httpkit.Reply{}, err
	}
	p := httpkit.Params(r.URL.Query())
	format := httpkit.ExportFormat(p)
	q, err := httpkit.CustomerQuery(r.Context(), p, httpkit.CustomerScope(httpkit.ActorOf(r.Context())), a.DB.CustomerFields)
	if err == nil {
		err = p.Err()
	}
	if err == nil {
		err = a.Kit.WaitFor(r, readmodels.CustomersProjection)
	}
	var first readmodels.Page[*readmodels.Customer]
	if err == nil {
		q.Limit = httpkit.ExportPage
		first, err = a.DB.SearchCustomers(r.Context(), q)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.Export[tabular.CustomerRow, *readmodels.Customer]{Kit: a.Kit, Format: format, Spec: tabular.Customers, Names: a.names(r.Context()), First: first,
		Next: func(ctx context.Context, cursor string) (readmodels.Page[*readmodels.Customer], error) {
			q.Cursor = cursor
			return a.DB.SearchCustomers(ctx, q)
		}}.Reply(r.Context())
}

func (a api) exportLeads(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.LeadsRead, role.LeadsExport); err != nil {
		return httpkit.Reply{}, err
	}
	v := r.URL.Query()
	v.Del("limit")
	p := httpkit.Params(v)
	format := httpkit.ExportFormat(p)
	q := httpkit.LeadQuery(p, httpkit.LeadScope(httpkit.ActorOf(r.Context())))
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, readmodels.LeadsProjection)
	}
	var first readmodels.Page[*readmodels.Lead]
	if err == nil {
		q.Limit, q.Cursor = httpkit.ExportPage, ""
		first, err = a.DB.SearchLeads(r.Context(), q)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.Export[tabular.LeadRow, *readmodels.Lead]{Kit: a.Kit, Format: format, Spec: tabular.Leads, Names: a.names(r.Context()), First: first,
		Next: func(ctx context.Context, cursor string) (readmodels.Page[*readmodels.Lead], error) {
			q.Cursor = cursor
			return a.DB.SearchLeads(ctx, q)
		}}.Reply(r.Context())
}

func (a api) exportContacts(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.CustomersRead, role.CustomersExport); err != nil {
		return httpkit.Reply{}, err
	}
	p := httpkit.Params(r.URL.Query())
	format := httpkit.ExportFormat(p)
	q := readmodels.ContactQuery{Scope: httpkit.CustomerScope(httpkit.ActorOf(r.Context())), Q: p.Str("q"), Sort: p.Str("sort"),
		Limit: httpkit.ExportPage, CustomerID: p.UUID("customerId")}
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, readmodels.CustomersProjection)
	}
	var first readmodels.Page[*readmodels.Contact]
	if err == nil {
		first, err = a.DB.SearchContacts(r.Context(), q)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	n := a.names(r.Context())
	return httpkit.Export[tabular.ContactRow, *readmodels.Contact]{Kit: a.Kit, Format: format, Spec: tabular.Contacts, Names: n, First: first,
		Next: func(ctx context.Context, cursor string) (readmodels.Page[*readmodels.Contact], error) {
			q.Cursor = cursor
			return a.DB.SearchContacts(ctx, q)
		}, Prepare: n.prepareContacts}.Reply(r.Context())
}
