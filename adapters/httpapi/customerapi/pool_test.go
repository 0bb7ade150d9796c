package customerapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

func TestCustomerPool(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clock := &apitest.FakeClock{}
			h := apitest.New(t, engine, clock.Now)
			admin := h.Login("admin", apitest.AdminPassword)
			dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售部"}), 201).Body["id"].(string)
			s1ID, s1 := h.CreateUser(admin, "zhao.sales", "sales", dept)
			s2ID, s2 := h.CreateUser(admin, "qian.sales", "sales", dept)

			c := h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "北京星河科技有限公司", "level": "A", "city": "北京",
				"phone": "010-6688 9900", "nature": "private", "satisfaction": 4}), 201)
			cID := c.Body["id"].(string)
			if c.Body["ownerId"] != s1ID || c.Body["status"] != "potential" || c.Body["satisfaction"].(float64) != 4 {
				t.Fatalf("create: %s", c.Raw)
			}
			h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "某公司", "nature": "pirate"}), 422)
			h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "某公司", "satisfaction": 9}), 422)
			if got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/customers?q=星河", s1, nil), 200)); len(got) != 1 || got[0] != cID {
				t.Fatalf("search 星河 = %v", got)
			}
			if got := apitest.IDs(h.Must(h.Do("GET", "/api/v1/customers?q=66889900", s1, nil), 200)); len(got) != 1 {
				t.Fatalf("search by phone digits = %v", got)
			}
			h.Must(h.Do("GET", "/api/v1/customers/"+cID, s2, nil), 404)
			up := h.Must(h.Do("PATCH", "/api/v1/customers/"+cID, s1, map[string]any{"status": "cooperating", "remark": "重点客户"}, "If-Match", "1"), 200)
			if up.Body["status"] != "cooperating" || up.Body["remark"] != "重点客户" {
				t.Fatalf("update: %s", up.Raw)
			}
			h.Must(h.Do("PATCH", "/api/v1/customers/"+cID, s1, map[string]any{"nickname": "x"}), 400)

			// Release and claim; a locked customer cannot be released.
			h.Must(h.Do("POST", "/api/v1/customers/"+cID+"/lock", s1, nil), 403) // sales may not lock
			h.Must(h.Do("POST", "/api/v1/customers/"+cID+"/lock", admin, nil), 200)
			locked := h.Must(h.Do("POST", "/api/v1/customers/"+cID+"/release", s1, map[string]any{"reason": "不再跟进"}), 409)
			if locked.Body["code"] != "customer_locked" {
				t.Fatalf("release locked: %s", locked.Raw)
			}
			h.Must(h.Do("POST", "/api/v1/customers/"+cID+"/unlock", admin, nil), 200)
			h.Must(h.Do("POST", "/api/v1/customers/"+cID+"/release", s1, map[string]any{"reason": "不再跟进"}), 200)
			cl := h.Must(h.Do("POST", "/api/v1/customers/"+cID+"/claim", s2, nil), 200)
			if cl.Body["ownerId"] != s2ID {
				t.Fatalf("claim: %s", cl.Raw)
			}

			// Claim limits: owned cap, then the cool-down for a previous owner, then per day.
			st := h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerPool": map[string]any{"maxOwned": 1, "reclaimCooldownDays": 7}}), 200)
			other := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "上海银河贸易有限公司", "pool": true}), 201).Body["id"].(string)
			r := h.Must(h.Do("POST", "/api/v1/customers/"+other+"/claim", s2, nil, "X-Chronicle-Min-Position", st.Header.Get("X-Chronicle-Position")), 409)
			if r.Body["code"] != "pool_claim_limit_reached" {
				t.Fatalf("owned cap: %s", r.Raw)
			}
			h.Must(h.Do("POST", "/api/v1/customers/"+cID+"/release", s2, map[string]any{"reason": "转交"}), 200)
			r = h.Must(h.Do("POST", "/api/v1/customers/"+cID+"/claim", s2, nil), 409)
			if r.Body["code"] != "pool_reclaim_cooldown" {
				t.Fatalf("cool-down: %s", r.Raw)
			}
			h.Must(h.Do("POST", "/api/v1/customers/"+cID+"/claim", s1, nil), 200) // s1 released it 0 days ago too, but s2 was the last owner
			h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerPool": map[string]any{"maxClaimsPerDay": 1, "maxOwned": 0}}), 200)
			third := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "广州白云商贸", "pool": true}), 201).Body["id"].(string)
			r = h.Must(h.Do("POST", "/api/v1/customers/"+third+"/claim", s1, nil), 409)
			if r.Body["code"] != "pool_daily_claim_limit_reached" {
				t.Fatalf("daily limit: %s", r.Raw)
			}

			// Pool rules: 7 days without a follow-up returns the customer, as the system actor, once.
			rules := h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerPool": map[string]any{"rules": map[string]any{"noFollowUpDays": 7}}}), 200)
			h.Must(h.Do("GET", "/api/v1/settings", admin, nil, "X-Chronicle-Min-Position", rules.Header.Get("X-Chronicle-Position")), 200)
			ctx := context.Background()
			if n, err := h.App.RunPoolRules(ctx, "test"); err != nil || n != 0 {
				t.Fatalf("pool rules on day 0 returned %d (%v)", n, err)
			}
			clock.Advance(8 * 24 * time.Hour)
			n, err := h.App.RunPoolRules(ctx, "test")
			if err != nil || n != 1 {
				t.Fatalf("pool rules on day 8 returned %d (%v), want 1", n, err)
			}
			if n, _ := h.App.RunPoolRules(ctx, "test"); n != 0 {
				t.Fatalf("a second run returned %d more", n)
			}
			if n, _ := h.App.RunPoolRules(ctx, "another-process"); n != 0 {
				t.Fatal("another process ran the rules while the lease was held")
			}
			admin = h.Login("admin", apitest.AdminPassword) // eight days later the sessions have expired
			s2 = h.Login("qian.sales", apitest.PasswordOf("qian.sales"))
			hist := h.Must(h.Do("GET", "/api/v1/customers/"+cID+"/history", admin, nil), 200)
			items := hist.Body["items"].([]any)
			last := items[len(items)-1].(map[string]any)
			if last["type"] != "customer.released.v1" || last["actor"].(map[string]any)["name"] != "system" ||
				!strings.Contains(last["data"].(map[string]any)["rule"].(string), "no_follow_up") {
				t.Fatalf("last history entry: %v", last)
			}
			pool := h.Must(h.Do("GET", "/api/v1/customers?pool=true", s2, nil, "X-Chronicle-Min-Position", "1"), 200)
			if pool.Body["total"].(float64) < 1 {
				t.Fatalf("pool: %s", pool.Raw)
			}
		})
	}
}
