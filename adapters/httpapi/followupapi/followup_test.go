package followupapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

func TestFollowUpsTimelineAndReturningList(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clock := &apitest.FakeClock{}
			h := apitest.New(t, engine, clock.Now)
			admin := h.Login("admin", apitest.AdminPassword)
			_, s1 := h.CreateUser(admin, "zhou.sales", "sales")
			_, s2 := h.CreateUser(admin, "wu.sales", "sales")
			cust := h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "杭州云栖科技有限公司"}), 201).Body["id"].(string)
			ct := h.Must(h.Do("POST", "/api/v1/contacts", s1, map[string]any{"customerId": cust, "name": "陈静", "mobile": "13900001111"}), 201).Body["id"].(string)
			lead := h.Must(h.Do("POST", "/api/v1/leads", s1, map[string]any{"name": "赵强", "company": "苏州工业园"}), 201).Body["id"].(string)

			// Bad follow-ups change nothing.
			h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "customer:" + cust, "type": "fax", "content": "x"}), 422)
			h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "customer:" + cust, "type": "call", "content": " "}), 422)
			h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "shop:" + cust, "type": "call", "content": "x"}), 422)
			h.Must(h.Do("POST", "/api/v1/followups", s2, map[string]any{"subject": "customer:" + cust, "type": "call", "content": "x"}), 404)

			next := clock.Now().AddDate(0, 0, 3).Format(time.RFC3339)
			f := h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "contact:" + ct, "type": "visit",
				"content": "上门拜访，客户对报价有兴趣", "nextFollowUpAt": next}), 201)
			if f.Body["contactId"] != ct || f.Body["customerId"] != cust || f.Body["by"].(map[string]any)["name"] != "用户zhou.sales" {
				t.Fatalf("follow-up: %s", f.Raw)
			}
			c := h.Must(h.Do("GET", "/api/v1/customers/"+cust, s1, nil, "X-Chronicle-Min-Position", f.Header.Get("X-Chronicle-Position")), 200)
			if c.Body["lastFollowUpAt"] == nil || c.Body["nextFollowUpAt"] == nil {
				t.Fatalf("the customer's follow-up times did not move: %s", c.Raw)
			}
			lf := h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "lead:" + lead, "type": "call", "content": "首次电话沟通"}), 201)
			l := h.Must(h.Do("GET", "/api/v1/leads/"+lead, s1, nil, "X-Chronicle-Min-Position", lf.Header.Get("X-Chronicle-Position")), 200)
			if l.Body["status"] != "following" {
				t.Fatalf("a followed-up new lead is %v", l.Body["status"])
			}
			list := h.Must(h.Do("GET", "/api/v1/followups?subject=customer:"+cust, s1, nil), 200)
			if list.Body["total"].(float64) != 1 {
				t.Fatalf("customer follow-ups (through its contact): %s", list.Raw)
			}
			h.Must(h.Do("GET", "/api/v1/followups?subject=customer:"+cust, s2, nil), 404)
			tl := h.Must(h.Do("GET", "/api/v1/customers/"+cust+"/timeline", s1, nil), 200).Body["items"].([]any)
			if len(tl) < 2 || tl[0].(map[string]any)["kind"] != "followUp" {
				t.Fatalf("timeline: %v", tl)
			}

			// Pool rules: 7 days without follow-up. The follow-up today means day 8 after the claim is
			// not yet due; the returning list shows it coming.
			h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerPool": map[string]any{"rules": map[string]any{"noFollowUpDays": 7}}}), 200)
			soon := h.Must(h.Do("GET", "/api/v1/pool/returning?days=7", s1, nil), 200)
			if soon.Body["total"].(float64) != 1 || soon.Body["items"].([]any)[0].(map[string]any)["rule"] != "no_follow_up" {
				t.Fatalf("returning list: %s", soon.Raw)
			}
			clock.Advance(6 * 24 * time.Hour)
			if n, err := h.App.RunPoolRules(context.Background(), "t"); err != nil || n != 0 {
				t.Fatalf("day 6: returned %d (%v)", n, err)
			}
			clock.Advance(2 * 24 * time.Hour)
			if n, err := h.App.RunPoolRules(context.Background(), "t"); err != nil || n != 1 {
				t.Fatalf("day 8: returned %d (%v), want 1", n, err)
			}
		})
	}
}

// TestOpportunityFollowUps: follow-ups on an opportunity go to its own stream and its list; a
// user who cannot change it gets 404, a bad one changes nothing.
func TestOpportunityFollowUps(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, s1 := h.CreateUser(admin, "zhou.sales", "sales")
		_, s2 := h.CreateUser(admin, "wu.sales", "sales")
		cust := h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "杭州云栖科技有限公司"}), 201).Body["id"].(string)
		opp := h.Must(h.Do("POST", "/api/v1/opportunities", s1, map[string]any{"name": "云栖 CRM 项目", "customerId": cust, "amount": "50000"}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "opportunity:" + opp, "type": "fax", "content": "x"}), 422)
		h.Must(h.Do("POST", "/api/v1/followups", s2, map[string]any{"subject": "opportunity:" + opp, "type": "call", "content": "x"}), 404)
		f := h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "opportunity:" + opp, "type": "meeting", "content": "方案评审会，客户技术负责人参加"}), 201)
		if f.Body["subject"] != "opportunity:"+opp || f.Body["customerId"] != cust || f.Body["type"] != "meeting" {
			t.Fatalf("follow-up: %s", f.Raw)
		}
		list := h.Must(h.Do("GET", "/api/v1/followups?subject=opportunity:"+opp, s1, nil), 200)
		if list.Body["total"].(float64) != 1 {
			t.Fatalf("opportunity follow-ups: %s", list.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/followups?subject=opportunity:"+opp, s2, nil), 404)
		hist := h.Must(h.Do("GET", "/api/v1/opportunities/"+opp+"/history", s1, nil), 200)
		if items := hist.Body["items"].([]any); items[len(items)-1].(map[string]any)["type"] != "opportunity.followed_up.v1" {
			t.Fatalf("history: %s", hist.Raw)
		}
	})
}
