package httpapi_test

import (
	"context"
	"testing"
	"time"
)

func TestFollowUpsTimelineAndReturningList(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{}
			h := newHarness(t, engine, clock.now)
			admin := h.login("admin", adminPassword)
			_, s1 := h.createUser(admin, "zhou.sales", "sales")
			_, s2 := h.createUser(admin, "wu.sales", "sales")
			cust := h.must(h.do("POST", "/api/v1/customers", s1, map[string]any{"name": "杭州云栖科技有限公司"}), 201).body["id"].(string)
			ct := h.must(h.do("POST", "/api/v1/contacts", s1, map[string]any{"customerId": cust, "name": "陈静", "mobile": "13900001111"}), 201).body["id"].(string)
			lead := h.must(h.do("POST", "/api/v1/leads", s1, map[string]any{"name": "赵强", "company": "苏州工业园"}), 201).body["id"].(string)

			// Bad follow-ups change nothing.
			h.must(h.do("POST", "/api/v1/followups", s1, map[string]any{"subject": "customer:" + cust, "type": "fax", "content": "x"}), 422)
			h.must(h.do("POST", "/api/v1/followups", s1, map[string]any{"subject": "customer:" + cust, "type": "call", "content": " "}), 422)
			h.must(h.do("POST", "/api/v1/followups", s1, map[string]any{"subject": "shop:" + cust, "type": "call", "content": "x"}), 422)
			h.must(h.do("POST", "/api/v1/followups", s2, map[string]any{"subject": "customer:" + cust, "type": "call", "content": "x"}), 404)

			next := clock.now().AddDate(0, 0, 3).Format(time.RFC3339)
			f := h.must(h.do("POST", "/api/v1/followups", s1, map[string]any{"subject": "contact:" + ct, "type": "visit",
				"content": "上门拜访，客户对报价有兴趣", "nextFollowUpAt": next}), 201)
			if f.body["contactId"] != ct || f.body["customerId"] != cust || f.body["by"].(map[string]any)["name"] != "用户zhou.sales" {
				t.Fatalf("follow-up: %s", f.raw)
			}
			c := h.must(h.do("GET", "/api/v1/customers/"+cust, s1, nil, "X-Chronicle-Min-Position", f.header.Get("X-Chronicle-Position")), 200)
			if c.body["lastFollowUpAt"] == nil || c.body["nextFollowUpAt"] == nil {
				t.Fatalf("the customer's follow-up times did not move: %s", c.raw)
			}
			lf := h.must(h.do("POST", "/api/v1/followups", s1, map[string]any{"subject": "lead:" + lead, "type": "call", "content": "首次电话沟通"}), 201)
			l := h.must(h.do("GET", "/api/v1/leads/"+lead, s1, nil, "X-Chronicle-Min-Position", lf.header.Get("X-Chronicle-Position")), 200)
			if l.body["status"] != "following" {
				t.Fatalf("a followed-up new lead is %v", l.body["status"])
			}
			list := h.must(h.do("GET", "/api/v1/followups?subject=customer:"+cust, s1, nil), 200)
			if list.body["total"].(float64) != 1 {
				t.Fatalf("customer follow-ups (through its contact): %s", list.raw)
			}
			h.must(h.do("GET", "/api/v1/followups?subject=customer:"+cust, s2, nil), 404)
			tl := h.must(h.do("GET", "/api/v1/customers/"+cust+"/timeline", s1, nil), 200).body["items"].([]any)
			if len(tl) < 2 || tl[0].(map[string]any)["kind"] != "followUp" {
				t.Fatalf("timeline: %v", tl)
			}

			// Pool rules: 7 days without follow-up. The follow-up today means day 8 after the claim is
			// not yet due; the returning list shows it coming.
			h.must(h.do("PATCH", "/api/v1/settings", admin, map[string]any{"customerPool": map[string]any{"rules": map[string]any{"noFollowUpDays": 7}}}), 200)
			soon := h.must(h.do("GET", "/api/v1/pool/returning?days=7", s1, nil), 200)
			if soon.body["total"].(float64) != 1 || soon.body["items"].([]any)[0].(map[string]any)["rule"] != "no_follow_up" {
				t.Fatalf("returning list: %s", soon.raw)
			}
			clock.advance(6 * 24 * time.Hour)
			if n, err := h.app.RunPoolRules(context.Background(), "t"); err != nil || n != 0 {
				t.Fatalf("day 6: returned %d (%v)", n, err)
			}
			clock.advance(2 * 24 * time.Hour)
			if n, err := h.app.RunPoolRules(context.Background(), "t"); err != nil || n != 1 {
				t.Fatalf("day 8: returned %d (%v), want 1", n, err)
			}
		})
	}
}
