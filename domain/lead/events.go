package lead

import (
	"time"

	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
)

// Created: a lead was entered, owned by someone or straight into the pool (OwnerID empty).
type Created struct {
	LeadID  string    `json:"leadId"`
	Fields  Fields    `json:"fields"`
	OwnerID string    `json:"ownerId,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// Updated: some fields (or the status) changed.
type Updated struct {
	LeadID string    `json:"leadId"`
	Patch  Patch     `json:"patch"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Assigned: a superior gave the lead to a user.
type Assigned struct {
	LeadID string    `json:"leadId"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Claimed: a user took the lead from the pool.
type Claimed struct {
	LeadID string    `json:"leadId"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Released: the owner (or a superior) put the lead back into the pool.
type Released struct {
	LeadID string    `json:"leadId"`
	From   string    `json:"from"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Converted: the lead became a customer (and possibly a contact) with these ids.
type Converted struct {
	LeadID     string `json:"leadId"`
	CustomerID string `json:"customerId"`
	ContactID  string `json:"contactId,omitempty"`
	// Contact holds the contact's fields when the conversion creates one.
	Contact *contact.Fields `json:"contact,omitempty"`
	// WithoutRemark: the customer does not take the lead's remark (a previous owner's remark
	// hidden from whoever converted the lead).
	WithoutRemark bool `json:"withoutRemark,omitempty"`
	// OpportunityID and Opportunity: the conversion also opens an opportunity for the customer
	// (added later: older conversions read as none).
	OpportunityID string              `json:"opportunityId,omitempty"`
	Opportunity   *ConvertOpportunity `json:"opportunity,omitempty"`
	By            string              `json:"by"`
	At            time.Time           `json:"at"`
}

// ConvertOpportunity is the opportunity a conversion opens: its name, an amount or lines, an
// expected close date (checked by the opportunity module before the conversion is recorded).
type ConvertOpportunity struct {
	Name              string           `json:"name"`
	Amount            string           `json:"amount,omitempty"`
	ExpectedCloseDate string           `json:"expectedCloseDate,omitempty"`
	Lines             []lineitem.Input `json:"lines,omitempty"`
}

func (Converted) EventType() string { return "lead.converted.v1" }

// FollowedUp: someone recorded contact with the lead.
type FollowedUp struct {
	LeadID         string     `json:"leadId"`
	FollowUpID     string     `json:"followUpId"`
	Type           string     `json:"type"`
	Content        string     `json:"content"`
	At             time.Time  `json:"at"`
	NextFollowUpAt *time.Time `json:"nextFollowUpAt,omitempty"`
	By             string     `json:"by"`
}

func (FollowedUp) EventType() string { return "lead.followed_up.v1" }

// Deleted: the lead leaves every list; its history stays.
type Deleted struct {
	LeadID string    `json:"leadId"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

func (Created) EventType() string  { return "lead.created.v1" }
func (Updated) EventType() string  { return "lead.updated.v1" }
func (Assigned) EventType() string { return "lead.assigned.v1" }
func (Claimed) EventType() string  { return "lead.claimed.v1" }
func (Released) EventType() string { return "lead.released.v1" }
func (Deleted) EventType() string  { return "lead.deleted.v1" }

// Register adds the lead events to a registry.
func Register(r *event.Registry) {
	r.Register(
		func() event.Event { return &Created{} },
		func() event.Event { return &Updated{} },
		func() event.Event { return &Assigned{} },
		func() event.Event { return &Claimed{} },
		func() event.Event { return &Released{} },
		func() event.Event { return &Deleted{} },
		func() event.Event { return &Converted{} },
		func() event.Event { return &FollowedUp{} },
	)
}
