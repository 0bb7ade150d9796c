package customerapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/access"
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

// search is the customer search with previous owners' remarks hidden where the settings say so.
func (a api) search(ctx context.Context, q customerview.Query) (readmodels.Page[*customerview.Customer], error) {
	return httpkit.HidingRemarks(a.remarks, a.CustomerViews.Search)(ctx, q)
}
