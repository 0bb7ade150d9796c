package customerapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// claimSetup signs in, creates a sales user, applies the pool settings and enters n pool customers.
func claimSetup(t *testing.T, h *apitest.Harness, pool map[string]any, n int) (userID, token string, ids []string) {
	t.Helper()
	admin := h.Login("admin", apitest.AdminPassword)
	dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售部"}), 201).Body["id"].(string)
	userID, token = h.CreateUser(admin, "qian.sales", "sales", dept)
	set := h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerPool": pool}), 200)
	h.Must(h.Do("GET", "/api/v1/settings", admin, nil, "X-Chronicle-Min-Position", set.Header.Get("X-Chronicle-Position")), 200)
	for i := range n {
		ids = append(ids, h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": fmt.Sprintf("公海客户%03d号", i), "pool": true}), 201).Body["id"].(string))
	}
	h.Must(h.Do("GET", "/api/v1/customers", token, nil, "X-Chronicle-Min-Position", h.Head()), 200)
	return userID, token, ids
}

// claimAll claims every customer at once as token and answers how many succeeded; every other
// answer must be 409 with the problem code want.
func claimAll(t *testing.T, h *apitest.Harness, token string, ids []string, want string) int {
	t.Helper()
	codes, problems := make([]int, len(ids)), make([]string, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.Do("POST", "/api/v1/customers/"+id+"/claim", token, nil)
			codes[i] = r.Status
			problems[i], _ = r.Body["code"].(string)
		}()
	}
	wg.Wait()
	won := 0
	for i, c := range codes {
		switch {
		case c == 200, c == 202: // 202: claimed, the read model was slower than the wait for it
			won++
		case c != 409 || problems[i] != want:
			t.Errorf("claim %d answered %d %q, want 200 or 409 %s", i, c, problems[i], want)
		}
	}
	return won
}

// TestParallelClaimsRespectTheOwnedCap: 50 claims at once by a user who owns one customer, with at
// most 5 owned, give exactly 4 successes.
func TestParallelClaimsRespectTheOwnedCap(t *testing.T) {
	const n, limit = 50, 5
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		userID, s, ids := claimSetup(t, h, map[string]any{"maxOwned": limit}, n)
		h.Must(h.Do("POST", "/api/v1/customers", s, map[string]any{"name": "自己的客户"}), 201)
		won := claimAll(t, h, s, ids, "pool_claim_limit_reached")
		t.Logf("%s: N=%d parallel claims, owned cap K=%d (1 owned before): %d succeeded", t.Name(), n, limit, won)
		if won != limit-1 {
			t.Fatalf("%d claims succeeded, want %d", won, limit-1)
		}
		h.Must(h.Do("GET", "/api/v1/customers", s, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if got, err := h.App.CustomerViews.OwnedCustomers(context.Background(), uuid.MustParse(userID), nil); err != nil || got != limit {
			t.Fatalf("the user owns %d customers (%v), want %d", got, err, limit)
		}
	})
}

// TestParallelClaimsRespectTheDailyLimit: 50 claims at once with 3 claims a day give exactly 3.
func TestParallelClaimsRespectTheDailyLimit(t *testing.T) {
	const n, limit = 50, 3
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		_, s, ids := claimSetup(t, h, map[string]any{"maxClaimsPerDay": limit, "maxOwned": 0}, n)
		won := claimAll(t, h, s, ids, "pool_daily_claim_limit_reached")
		t.Logf("%s: N=%d parallel claims, daily limit K=%d: %d succeeded", t.Name(), n, limit, won)
		if won != limit {
			t.Fatalf("%d claims succeeded, want %d", won, limit)
		}
		// Released again, the claims still count for the day.
		h.Must(h.Do("GET", "/api/v1/customers", s, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		mine := h.Must(h.Do("GET", "/api/v1/customers?pool=false", s, nil), 200)
		for _, id := range apitest.IDs(mine) {
			h.Must(h.Do("POST", "/api/v1/customers/"+id+"/release", s, map[string]any{"reason": "退回"}), 200)
		}
		if won := claimAll(t, h, s, ids[:10], "pool_daily_claim_limit_reached"); won != 0 {
			t.Fatalf("%d more claims succeeded on the same day", won)
		}
	})
}

// TestParallelReclaimIsCooledDown: a user who has just released a customer claims it back 50
// times at once; every claim is refused and the customer stays in the pool.
func TestParallelReclaimIsCooledDown(t *testing.T) {
	const n = 50
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		_, s, _ := claimSetup(t, h, map[string]any{"reclaimCooldownDays": 7, "maxOwned": 0, "maxClaimsPerDay": 0}, 0)
		id := h.Must(h.Do("POST", "/api/v1/customers", s, map[string]any{"name": "回收客户"}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/customers/"+id+"/release", s, map[string]any{"reason": "不再跟进"}), 200)
		ids := make([]string, n)
		for i := range ids {
			ids[i] = id
		}
		won := claimAll(t, h, s, ids, "pool_reclaim_cooldown")
		t.Logf("%s: N=%d parallel reclaims by the releaser, cool-down 7 days: %d succeeded", t.Name(), n, won)
		if won != 0 {
			t.Fatalf("%d reclaims succeeded", won)
		}
		got := h.Must(h.Do("GET", "/api/v1/customers/"+id, s, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if got.Body["inPool"] != true {
			t.Fatalf("customer after the reclaims: %s", got.Raw)
		}
	})
}
