package leadapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// poolLeads enters n pool leads as the administrator and answers their ids.
func poolLeads(h *apitest.Harness, admin string, n int) []string {
	h.T.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": fmt.Sprintf("线索%03d", i), "pool": true}), 201).Body["id"].(string)
	}
	return ids
}

// claimAll claims every lead at once as token and answers the statuses and problem codes.
func claimAll(h *apitest.Harness, token string, ids []string) ([]int, []string) {
	codes, problems := make([]int, len(ids)), make([]string, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.Do("POST", "/api/v1/leads/"+id+"/claim", token, nil)
			codes[i] = r.Status
			problems[i], _ = r.Body["code"].(string)
		}()
	}
	wg.Wait()
	return codes, problems
}

// TestParallelClaimsRespectTheCap: 50 claims of 50 distinct pool leads by one user at once, with a
// cap of 5 and one lead already owned, give exactly 4 successes; the rest are refused by the cap.
func TestParallelClaimsRespectTheCap(t *testing.T) {
	const n, limit = 50, 5
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售部"}), 201).Body["id"].(string)
		sID, s := h.CreateUser(admin, "zhang.sales", "sales", dept)
		h.Must(h.Do("POST", "/api/v1/leads", s, map[string]any{"name": "自己的线索"}), 201)
		set := h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"leadClaimCap": limit}), 200)
		h.Must(h.Do("GET", "/api/v1/settings", admin, nil, "X-Chronicle-Min-Position", set.Header.Get("X-Chronicle-Position")), 200)
		ids := poolLeads(h, admin, n)
		h.Must(h.Do("GET", "/api/v1/leads", s, nil, "X-Chronicle-Min-Position", h.Head()), 200)

		codes, problems := claimAll(h, s, ids)
		won := 0
		for i, c := range codes {
			switch {
			case c == 200, c == 202: // 202: claimed, the read model was slower than the wait for it
				won++
			case c != 409 || problems[i] != "pool_claim_limit_reached":
				t.Errorf("claim %d answered %d %q, want 200 or 409 pool_claim_limit_reached", i, c, problems[i])
			}
		}
		t.Logf("%s: N=%d parallel claims, cap K=%d (1 held before): %d succeeded", t.Name(), n, limit, won)
		if won != limit-1 {
			t.Fatalf("%d claims succeeded, want %d", won, limit-1)
		}
		h.Must(h.Do("GET", "/api/v1/leads", s, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if got, err := h.App.LeadViews.OwnedLeads(context.Background(), uuid.MustParse(sID), nil); err != nil || got != limit {
			t.Fatalf("the user owns %d leads (%v), want %d", got, err, limit)
		}
		// Once the read model shows them, the cap still holds.
		for i, c := range codes {
			if c != 200 {
				apitest.WantCode(t, h.Do("POST", "/api/v1/leads/"+ids[i]+"/claim", s, nil), "pool_claim_limit_reached")
				break
			}
		}
	})
}

// TestClaimLedgerEntryWithoutClaim: a ledger entry whose claim never reached the lead (a crash
// between the two appends) counts while the claim could still be on its way, and not after; one
// whose lead was claimed by someone else first counts for nothing.
func TestClaimLedgerEntryWithoutClaim(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clock := &apitest.FakeClock{}
			h := apitest.New(t, engine, clock.Now)
			admin := h.Login("admin", apitest.AdminPassword)
			dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售部"}), 201).Body["id"].(string)
			sID, s := h.CreateUser(admin, "zhang.sales", "sales", dept)
			set := h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"leadClaimCap": 2}), 200)
			h.Must(h.Do("GET", "/api/v1/settings", admin, nil, "X-Chronicle-Min-Position", set.Header.Get("X-Chronicle-Position")), 200)
			ids := poolLeads(h, admin, 3)

			// The crash: the user's claim of ids[0] was decided on the ledger, the lead never claimed.
			// And a claim that lost: decided on ids[3], which the administrator claimed first.
			ids = append(ids, poolLeads(h, admin, 1)...)
			ledger := commands.ClaimLedgerStream(commands.LeadClaimsKind, uuid.MustParse(sID))
			for v, id := range []string{ids[0], ids[3]} {
				at := clock.Now()
				data, _ := json.Marshal(map[string]any{"recordId": id, "recordVersion": 1, "at": at})
				if _, err := h.App.Store.Append(context.Background(), ledger, int64(v),
					[]eventstore.EventData{{ID: uuid.Must(uuid.NewV7()), Type: "leadclaims.decided.v1", OccurredAt: at, Data: data}}); err != nil {
					t.Fatal(err)
				}
			}
			h.Must(h.Do("POST", "/api/v1/leads/"+ids[3]+"/claim", admin, nil), 200)
			h.Must(h.Do("POST", "/api/v1/leads/"+ids[1]+"/claim", s, nil), 200) // 1 on its way (the lost one counts for nothing) < 2
			apitest.WantCode(t, h.Do("POST", "/api/v1/leads/"+ids[2]+"/claim", s, nil), "pool_claim_limit_reached")
			clock.Advance(commands.ClaimGrace + time.Second)
			h.Must(h.Do("POST", "/api/v1/leads/"+ids[2]+"/claim", s, nil), 200) // the leftover no longer counts
			apitest.WantCode(t, h.Do("POST", "/api/v1/leads/"+ids[0]+"/claim", s, nil), "pool_claim_limit_reached")
		})
	}
}
