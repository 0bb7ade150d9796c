package contactapi

import (
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// Query reads the search parameters of GET /api/v1/contacts (and its export).
func Query(p *httpkit.ParamReader, scope readmodels.Scope) customerview.ContactQuery {
	return customerview.ContactQuery{Scope: scope, Q: p.Str("q"), Cursor: p.Str("cursor"), Sort: p.Str("sort"),
		Limit: p.Limit(), CustomerID: p.UUID("customerId")}
}
