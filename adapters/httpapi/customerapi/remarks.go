package customerapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// Remarks is the rule of previous owners' remarks (httpkit.PreviousOwnerRemarks) on customers:
// with customerPool.hidePreviousOwnerRemarks, a customer's remark written before its last release
// to the pool is shown only to its author and administrators.
func Remarks(views *customerview.Views, s Settings) httpkit.PreviousOwnerRemarks[*customerview.Customer] {
	return httpkit.PreviousOwnerRemarks[*customerview.Customer]{
		Setting: httpkit.RemarksSetting(s.CustomerPool),
		Get: func(ctx context.Context, actor access.Actor, id uuid.UUID) (*customerview.Customer, error) {
			return views.Get(ctx, customerview.ScopeFor(actor), id)
		},
		Remark: func(c *customerview.Customer) (*string, *readmodels.PoolRemark) { return &c.Remark, &c.PoolRemark },
	}
}

// Details is the rule of contact details (httpkit.ContactDetails) on customers: a customer's
// phone, fax and e-mail are read in full by its owner and holders of contactdetails.reveal,
// masked for its other readers; those who may change it may reveal them.
func Details(views *customerview.Views) httpkit.ContactDetails[*customerview.Customer] {
	return httpkit.ContactDetails[*customerview.Customer]{
		Kind: "customer", Names: []string{"phone", "fax", "email"}, Update: role.CustomersUpdate, Assign: role.CustomersAssign, Projection: projection,
		Get: func(ctx context.Context, actor access.Actor, id uuid.UUID) (*customerview.Customer, error) {
			return views.Get(ctx, customerview.ScopeFor(actor), id)
		},
		Owner: func(c *customerview.Customer) *uuid.UUID { return c.OwnerID },
		Details: func(c *customerview.Customer) []httpkit.Detail {
			return []httpkit.Detail{{Name: "phone", Value: &c.Phone}, {Name: "fax", Value: &c.Fax}, {Name: "email", Value: &c.Email}}
		},
		Block:      func(c *customerview.Customer) *readmodels.Masking { return &c.Masking },
		SearchText: (*customerview.Customer).SearchText,
	}
}

// Keyword is a search's keyword (for httpkit.Masking).
func Keyword(q customerview.Query) string { return q.Q }

// Search is the customer search as the searching actor may read it: previous owners' remarks
// hidden and contact details masked where the rules say so (the list, the pool's returning list
// and the export).
func Search(views *customerview.Views, s Settings) func(ctx context.Context, q customerview.Query) (readmodels.Page[*customerview.Customer], error) {
	return httpkit.Masking(Details(views), Keyword, httpkit.HidingRemarks(Remarks(views, s), views.Search))
}

// search is Search of this API.
func (a api) search(ctx context.Context, q customerview.Query) (readmodels.Page[*customerview.Customer], error) {
	return httpkit.Masking(a.details, Keyword, httpkit.HidingRemarks(a.remarks, a.CustomerViews.Search))(ctx, q)
}
