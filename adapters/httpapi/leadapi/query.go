package leadapi

import (
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

var leadStatuses = []string{string(lead.StatusNew), string(lead.StatusFollowing), string(lead.StatusInvalid), string(lead.StatusConverted)}

// Query reads the search parameters of GET /api/v1/leads (and its export).
func Query(p *httpkit.ParamReader, scope readmodels.Scope) leadview.Query {
	return leadview.Query{Scope: scope, Q: p.Str("q"), Source: p.Text("source", lead.MaxSource), Industry: p.Text("industry", lead.MaxIndustry),
		Sort: p.Str("sort"), Cursor: p.Str("cursor"),
		Status:  p.List("status", leadStatuses, "must be new, following, invalid or converted; got %q"),
		OwnerID: p.UUID("ownerId"), Pool: p.Bool("pool"), Limit: p.Limit()}
}
