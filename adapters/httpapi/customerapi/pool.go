package customerapi

import (
	"net/http"
	"slices"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// returningCustomer is one of the reader's customers that the pool rules will return.
type returningCustomer struct {
	Customer *customerview.Customer `json:"customer"`
	Rule     string                 `json:"rule"`
	ReturnAt time.Time              `json:"returnAt"`
	DaysLeft int                    `json:"daysLeft"`
}

// returning lists the reader's own customers that the pool rules will return within ?days=
// (default 7), soonest first, with the rule and the date.
func (a api) returning(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	days := p.Int("days", 0, 3650, 7, "must be a number of days from 0 to 3650")
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	actor := httpkit.ActorOf(r.Context())
	pool, err := a.Settings.CustomerPool(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	items := []returningCustomer{}
	now := a.Kit.Clock()
	horizon := now.AddDate(0, 0, days)
	cursor := ""
	me := actor.ID
	for {
		page, err := a.search(r.Context(), customerview.Query{Scope: readmodels.Scope{UserID: actor.ID}, OwnerID: &me, Limit: 500, Cursor: cursor, Sort: "createdAt"})
		if err != nil {
			return httpkit.Reply{}, err
		}
		for _, c := range page.Items {
			st := customer.Standing{Level: c.Level, Status: customer.Status(c.Status), Locked: c.Locked}
			if c.ClaimedAt != nil {
				st.ClaimedAt = *c.ClaimedAt
			}
			if c.LastFollowUpAt != nil {
				st.LastFollowUpAt = *c.LastFollowUpAt
			}
			if c.LastDealAt != nil {
				st.LastDealAt = *c.LastDealAt
			}
			rule, at, _ := customer.DueAt(pool.Rules, now, st)
			if rule != "" && !at.After(horizon) {
				items = append(items, returningCustomer{Customer: c, Rule: rule, ReturnAt: at, DaysLeft: max(0, int(at.Sub(now).Hours()/24))})
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	slices.SortFunc(items, func(x, y returningCustomer) int { return x.ReturnAt.Compare(y.ReturnAt) })
	return httpkit.OK(httpkit.All(items)), nil
}
