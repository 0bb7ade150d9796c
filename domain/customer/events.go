package customer

import (
	"encoding/json"
	"time"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Created: a customer was entered (by hand, by import, or by converting a lead: FromLeadID).
type Created struct {
	CustomerID string    `json:"customerId"`
	Fields     Fields    `json:"fields"`
	Status     Status    `json:"status"`
	OwnerID    string    `json:"ownerId,omitempty"`
	FromLeadID string    `json:"fromLeadId,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// Updated: fields or the status changed.
type Updated struct {
	CustomerID string    `json:"customerId"`
	Patch      Patch     `json:"patch"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// Assigned: a superior gave the customer to a user.
type Assigned struct {
	CustomerID string    `json:"customerId"`
	From       string    `json:"from,omitempty"`
	To         string    `json:"to"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// Claimed: a user took the customer from the pool.
type Claimed struct {
	CustomerID string    `json:"customerId"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// Released: the customer went back to the pool, by hand or by a pool rule (Rule set, By the
// system actor).
type Released struct {
	CustomerID string    `json:"customerId"`
	From       string    `json:"from"`
	Reason     string    `json:"reason"`
	Rule       string    `json:"rule,omitempty"` // "no_follow_up" | "no_deal" when returned automatically
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// Locked / Unlocked: a locked customer never returns to the pool.
type Locked struct {
	CustomerID string    `json:"customerId"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

type Unlocked struct {
	CustomerID string    `json:"customerId"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// DealClosed: an opportunity of the customer was won (recorded by the deal process as the
// system actor): the customer becomes closed-deal and its last-deal time moves (the pool's no-deal
// rule counts from it). One event per win (WonEventID, the opportunity.won event): a replayed win
// records nothing, a win after a reopen records again.
type DealClosed struct {
	CustomerID    string    `json:"customerId"`
	OpportunityID string    `json:"opportunityId"`
	WonEventID    string    `json:"wonEventId"`
	Amount        string    `json:"amount"`
	Date          string    `json:"date"`
	WonAt         time.Time `json:"wonAt"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

func (DealClosed) EventType() string { return "customer.deal_closed.v1" }

// FollowedUp: someone recorded contact with the customer (optionally through one of its
// contacts): a call, visit, e-mail or meeting at At, with what was said and when to follow up next.
type FollowedUp struct {
	CustomerID     string     `json:"customerId"`
	FollowUpID     string     `json:"followUpId"`
	ContactID      string     `json:"contactId,omitempty"`
	Type           string     `json:"type,omitempty"`
	Content        string     `json:"content,omitempty"`
	At             time.Time  `json:"at"`
	NextFollowUpAt *time.Time `json:"nextFollowUpAt,omitempty"`
	By             string     `json:"by"`
}

// PrimaryContactSet: the customer's primary contact is now ContactID (empty: none).
type PrimaryContactSet struct {
	CustomerID string    `json:"customerId"`
	ContactID  string    `json:"contactId"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

func (PrimaryContactSet) EventType() string { return "customer.primary_contact_set.v1" }

// Merged: this customer was a duplicate and was merged into another; it leaves every list and
// accepts no commands; its history stays.
type Merged struct {
	CustomerID string    `json:"customerId"`
	Into       string    `json:"into"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// Absorbed: a duplicate was merged into this customer; the survivor takes over its follow-up
// time and, when it had no owner, its owner.
type Absorbed struct {
	CustomerID     string     `json:"customerId"`
	From           string     `json:"from"`
	OwnerID        string     `json:"ownerId,omitempty"` // set when the survivor takes the duplicate's owner
	LastFollowUpAt *time.Time `json:"lastFollowUpAt,omitempty"`
	By             string     `json:"by"`
	At             time.Time  `json:"at"`
}

func (Merged) EventType() string   { return "customer.merged.v1" }
func (Absorbed) EventType() string { return "customer.absorbed.v1" }

// Deleted: the customer leaves every list; its history stays.
type Deleted struct {
	CustomerID string    `json:"customerId"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

func (Created) EventType() string    { return "customer.created.v1" }
func (Updated) EventType() string    { return "customer.updated.v2" }
func (Assigned) EventType() string   { return "customer.assigned.v1" }
func (Claimed) EventType() string    { return "customer.claimed.v1" }
func (Released) EventType() string   { return "customer.released.v1" }
func (Locked) EventType() string     { return "customer.locked.v1" }
func (Unlocked) EventType() string   { return "customer.unlocked.v1" }
func (FollowedUp) EventType() string { return "customer.followed_up.v1" }
func (Deleted) EventType() string    { return "customer.deleted.v1" }

// Register adds the customer events to a registry.
func Register(r *event.Registry) {
	r.Register(
		func() event.Event { return &Created{} }, func() event.Event { return &Updated{} },
		func() event.Event { return &Assigned{} }, func() event.Event { return &Claimed{} },
		func() event.Event { return &Released{} }, func() event.Event { return &Locked{} },
		func() event.Event { return &Unlocked{} }, func() event.Event { return &FollowedUp{} },
		func() event.Event { return &Deleted{} }, func() event.Event { return &PrimaryContactSet{} },
		func() event.Event { return &Merged{} }, func() event.Event { return &Absorbed{} },
		func() event.Event { return &DealClosed{} },
	)
	// customer.updated.v1 kept the text fields in a map under "text"; v2 has them typed at the
	// top level of the patch, under the same names.
	r.Upcast("customer.updated.v1", func(data json.RawMessage) (string, json.RawMessage, error) {
		var v1 map[string]json.RawMessage
		if err := json.Unmarshal(data, &v1); err != nil {
			return "", nil, err
		}
		var patch map[string]json.RawMessage
		if raw, ok := v1["patch"]; ok {
			if err := json.Unmarshal(raw, &patch); err != nil {
				return "", nil, err
			}
		}
		if raw, ok := patch["text"]; ok {
			var text map[string]json.RawMessage
			if err := json.Unmarshal(raw, &text); err != nil {
				return "", nil, err
			}
			delete(patch, "text")
			for k, v := range text {
				patch[k] = v
			}
		}
		if patch != nil {
			b, err := json.Marshal(patch)
			if err != nil {
				return "", nil, err
			}
			v1["patch"] = b
		}
		out, err := json.Marshal(v1)
		return "customer.updated.v2", out, err
	})
}
