package customer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/event"
)

var (
	id    = uuid.MustParse("0190b000-0000-7000-8000-000000000001")
	alice = uuid.MustParse("0190b000-0000-7000-8000-0000000000a1")
	bob   = uuid.MustParse("0190b000-0000-7000-8000-0000000000b2")
	t0    = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
)

func created(owner uuid.UUID) customer.Created {
	e := customer.Created{CustomerID: id.String(), Fields: customer.Fields{Name: "北京星河科技有限公司", Level: "A"}, Status: customer.StatusPotential, At: t0}
	if owner != uuid.Nil {
		e.OwnerID = owner.String()
	}
	return e
}

func TestBehaviours(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	cases := []struct {
		name    string
		given   []event.Event
		when    func(*customer.Customer) error
		events  int
		wantErr error
	}{
		{"claim pool customer", []event.Event{created(uuid.Nil)}, func(c *customer.Customer) error { return c.Claim(bob, t1) }, 1, nil},
		{"claim owned customer", []event.Event{created(alice)}, func(c *customer.Customer) error { return c.Claim(bob, t1) }, 0, customer.ErrNotInPool},
		{"release", []event.Event{created(alice)}, func(c *customer.Customer) error { return c.Release("没有预算", alice, t1) }, 1, nil},
		{"release locked", []event.Event{created(alice), customer.Locked{}}, func(c *customer.Customer) error { return c.Release("x", alice, t1) }, 0, customer.ErrLocked},
		{"lock twice records once", []event.Event{created(alice), customer.Locked{}}, func(c *customer.Customer) error { return c.Lock(alice, t1) }, 0, nil},
		{"update unknown field", []event.Event{created(alice)}, func(c *customer.Customer) error {
			var p customer.Patch
			return p.SetText("nickname", "x")
		}, 0, &customer.ValidationError{}},
		{"update type outside the list", []event.Event{created(alice)}, func(c *customer.Customer) error {
			return c.Update(customer.Patch{Type: ptr("pirate")}, alice, t1)
		}, 0, &customer.ValidationError{}},
		// Nature, classification, level, industry and source are dictionary codes checked by the
		// commands; the domain keeps any text (a value stored before the dictionary existed).
		{"update nature: any text", []event.Event{created(alice)}, func(c *customer.Customer) error {
			return c.Update(customer.Patch{Nature: ptr("外资")}, alice, t1)
		}, 1, nil},
		{"update only what changed", []event.Event{created(alice)}, func(c *customer.Customer) error {
			return c.Update(customer.Patch{Name: ptr("北京星河科技有限公司"), City: ptr("北京")}, alice, t1)
		}, 1, nil},
		{"deleted refuses", []event.Event{created(uuid.Nil), customer.Deleted{}}, func(c *customer.Customer) error { return c.Claim(bob, t1) }, 0, customer.ErrDeleted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cu, err := customer.Rehydrate(id, c.given)
			if err != nil {
				t.Fatal(err)
			}
			err = c.when(cu)
			var ve *customer.ValidationError
			switch {
			case errors.As(c.wantErr, &ve):
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a validation error", err)
				}
			case !errors.Is(err, c.wantErr):
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if n := len(cu.Changes()); n != c.events {
				t.Fatalf("recorded %d events, want %d: %#v", n, c.events, cu.Changes())
			}
		})
	}
}

func TestPoolRules(t *testing.T) {
	t.Parallel()
	rules := customer.PoolRules{NoFollowUpDays: 7, NoDealDays: 30, ExcludeClosedDeal: true}
	owned := []event.Event{created(alice)}
	c, _ := customer.Rehydrate(id, owned)
	if _, at, due := c.Due(rules, t0.AddDate(0, 0, 6)); due || !at.Equal(t0.AddDate(0, 0, 7)) {
		t.Fatalf("due after 6 days without follow-up (at %v)", at)
	}
	if rule, _, due := c.Due(rules, t0.AddDate(0, 0, 7)); !due || rule != customer.RuleNoFollowUp {
		t.Fatalf("not due after 7 days: %v %v", rule, due)
	}
	followed, _ := customer.Rehydrate(id, append(owned, customer.FollowedUp{At: t0.AddDate(0, 0, 5)}))
	if _, _, due := followed.Due(rules, t0.AddDate(0, 0, 8)); due {
		t.Fatal("due 3 days after a follow-up")
	}
	// The no-deal rule bites even with regular follow-ups.
	busy := append([]event.Event(nil), owned...)
	for d := 5; d <= 30; d += 5 {
		busy = append(busy, customer.FollowedUp{At: t0.AddDate(0, 0, d)})
	}
	b, _ := customer.Rehydrate(id, busy)
	if rule, _, due := b.Due(rules, t0.AddDate(0, 0, 30)); !due || rule != customer.RuleNoDeal {
		t.Fatalf("no-deal rule: %v %v", rule, due)
	}
	closed := customer.StatusClosedDeal
	deal, _ := customer.Rehydrate(id, append(owned, customer.Updated{Patch: customer.Patch{Status: &closed}}))
	if _, _, due := deal.Due(rules, t0.AddDate(0, 0, 100)); due {
		t.Fatal("a closed-deal customer is due although excluded")
	}
	locked, _ := customer.Rehydrate(id, append(owned, customer.Locked{}))
	if _, _, due := locked.Due(rules, t0.AddDate(0, 0, 100)); due {
		t.Fatal("a locked customer is due")
	}
	levelB := customer.PoolRules{NoFollowUpDays: 7, Levels: []string{"B"}}
	if _, _, due := c.Due(levelB, t0.AddDate(0, 0, 100)); due {
		t.Fatal("a level-A customer is due under a level-B rule")
	}
	if err := c.Return(customer.RuleNoFollowUp, "7 天未跟进", uuid.Nil, t0.AddDate(0, 0, 7)); err != nil {
		t.Fatal(err)
	}
	if prev, _ := c.PreviousOwner(); prev != alice || !c.InPool() {
		t.Fatal("return did not put the customer in the pool with its previous owner noted")
	}
}

func ptr[T any](v T) *T { return &v }

// A customer.updated.v1 event (text fields in a map) reads as the typed v2 patch.
func TestUpdatedV1IsUpcast(t *testing.T) {
	t.Parallel()
	r := event.NewRegistry()
	customer.Register(r)
	d, err := r.Decode("customer.updated.v1", []byte(`{"customerId":"c1","patch":{"text":{"city":"北京","remark":"大客户"},"satisfaction":4},"by":"u1","at":"2026-01-02T03:04:05Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	u, ok := d.(customer.Updated)
	if !ok {
		t.Fatalf("decoded %T", d)
	}
	if u.Patch.City == nil || *u.Patch.City != "北京" || u.Patch.Remark == nil || *u.Patch.Remark != "大客户" ||
		u.Patch.Satisfaction == nil || *u.Patch.Satisfaction != 4 || u.Patch.Name != nil || u.CustomerID != "c1" {
		t.Fatalf("upcast patch = %+v", u.Patch)
	}
}

func TestRecordDealMovesTheNoDealClock(t *testing.T) {
	t.Parallel()
	rules := customer.PoolRules{NoDealDays: 30} // closed-deal customers not excluded
	c, _ := customer.Rehydrate(id, []event.Event{created(alice)})
	opp, wonEvent := uuid.New(), uuid.New()
	won := t0.AddDate(0, 0, 20)
	if err := c.RecordDeal(opp, wonEvent, "1000.00", "2026-01-21", won, alice, won); err != nil {
		t.Fatal(err)
	}
	if err := c.RecordDeal(opp, wonEvent, "1000.00", "2026-01-21", won, alice, won); err != nil || len(c.Changes()) != 1 {
		t.Fatalf("the same deal recorded twice: %v, %d events", err, len(c.Changes()))
	}
	r, _ := customer.Rehydrate(id, append([]event.Event{created(alice)}, c.Changes()...))
	if r.Status() != customer.StatusClosedDeal || !r.LastDealAt().Equal(won) {
		t.Fatalf("after a deal: %s %v", r.Status(), r.LastDealAt())
	}
	// due 30 days after the deal, not 30 days after the claim
	if _, _, due := r.Due(rules, t0.AddDate(0, 0, 31)); due {
		t.Fatal("due 11 days after a deal")
	}
	if rule, at, due := r.Due(rules, won.AddDate(0, 0, 30)); !due || rule != customer.RuleNoDeal || !at.Equal(won.AddDate(0, 0, 30)) {
		t.Fatalf("not due 30 days after the deal: %v %v %v", rule, at, due)
	}
	if _, _, due := r.Due(customer.PoolRules{NoDealDays: 30, ExcludeClosedDeal: true}, won.AddDate(0, 0, 300)); due {
		t.Fatal("due although closed-deal customers are excluded")
	}
}
