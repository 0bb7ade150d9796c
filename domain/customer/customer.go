// Package customer is the customer aggregate: an organisation the company sells to, owned by a
// user or lying in the customer pool (公海) for anyone to claim, returned to the pool by hand or by
// the pool rules.
package customer

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Rule violations.
var (
	ErrNotFound       = errors.New("customer not found")
	ErrNotInPool      = errors.New("customer is not in the pool")
	ErrAlreadyInPool  = errors.New("customer is already in the pool")
	ErrDeleted        = errors.New("customer is deleted")
	ErrLocked         = errors.New("customer is locked and cannot return to the pool")
	ErrReasonRequired = &ValidationError{Field: "reason", Message: "is required"}
	ErrNoOwner        = &ValidationError{Field: "ownerId", Message: "is required"}
)

// StreamPrefix is the stream kind of customers.
const StreamPrefix = "customer"

// Stream returns the stream id of a customer.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Customer is the aggregate state.
type Customer struct {
	event.Root
	id             uuid.UUID
	fields         Fields
	status         Status
	owner          uuid.UUID
	locked         bool
	deleted        bool
	fromLead       string
	createdAt      time.Time
	updatedAt      time.Time
	claimedAt      time.Time // when the current owner got it (claim, assign or creation)
	lastFollowUpAt time.Time
	previousOwner  uuid.UUID // who released it last (for the reclaim cool-down)
	releasedAt     time.Time
	primaryContact string
	mergedInto     string
	absorbed       []string
	lastDealAt     time.Time
	deals          []string // the opportunity.won events recorded
}

// New enters a customer owned by owner (uuid.Nil: into the pool).
func New(id uuid.UUID, f Fields, status Status, owner uuid.UUID, fromLead string, by uuid.UUID, at time.Time) (*Customer, error) {
	if id == uuid.Nil {
		return nil, &ValidationError{Field: "id", Message: "is required"}
	}
	if status == "" {
		status = StatusPotential
	}
	f = f.normalise()
	if err := errors.Join(f.Validate(), field.OneOf("status", string(status), Statuses...)); err != nil {
		return nil, err
	}
	c := &Customer{id: id}
	e := Created{CustomerID: id.String(), Fields: f, Status: status, FromLeadID: fromLead, By: by.String(), At: at.UTC()}
	if owner != uuid.Nil {
		e.OwnerID = owner.String()
	}
	c.record(e)
	return c, nil
}

// Rehydrate rebuilds a customer from its history. Only repositories call it.
func Rehydrate(id uuid.UUID, history []event.Event) (*Customer, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := history[0].(Created); !ok {
		return nil, fmt.Errorf("customer %s: history starts with %s", id, history[0].EventType())
	}
	c := &Customer{id: id}
	c.Replay(c.apply, history, nil)
	return c, nil
}

func (c *Customer) ID() uuid.UUID             { return c.id }
func (c *Customer) Owner() uuid.UUID          { return c.owner }
func (c *Customer) InPool() bool              { return c.owner == uuid.Nil }
func (c *Customer) Deleted() bool             { return c.deleted }
func (c *Customer) Locked() bool              { return c.locked }
func (c *Customer) Status() Status            { return c.status }
func (c *Customer) Fields() Fields            { return c.fields }
func (c *Customer) ClaimedAt() time.Time      { return c.claimedAt }
func (c *Customer) LastFollowUpAt() time.Time { return c.lastFollowUpAt }
func (c *Customer) LastDealAt() time.Time     { return c.lastDealAt }

// PreviousOwner is who last released the customer to the pool, and when.
func (c *Customer) PreviousOwner() (uuid.UUID, time.Time) { return c.previousOwner, c.releasedAt }

func (c *Customer) record(e event.Event) { c.Record(c.apply, e) }

func (c *Customer) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		c.fields, c.status, c.createdAt, c.updatedAt, c.fromLead = e.Fields, e.Status, e.At, e.At, e.FromLeadID
		c.owner = parseID(e.OwnerID)
		if c.owner != uuid.Nil {
			c.claimedAt = e.At
		}
	case Updated:
		c.fields, _ = c.fields.apply(e.Patch)
		if e.Patch.Status != nil {
			c.status = *e.Patch.Status
		}
		c.updatedAt = e.At
	case Assigned:
		c.owner, c.claimedAt, c.updatedAt = parseID(e.To), e.At, e.At
	case Claimed:
		c.owner, c.claimedAt, c.updatedAt = parseID(e.By), e.At, e.At
	case Released:
		c.previousOwner, c.releasedAt = parseID(e.From), e.At
		c.owner, c.claimedAt, c.updatedAt = uuid.Nil, time.Time{}, e.At
	case Locked:
		c.locked, c.updatedAt = true, e.At
	case Unlocked:
		c.locked, c.updatedAt = false, e.At
	case FollowedUp:
		if e.At.After(c.lastFollowUpAt) {
			c.lastFollowUpAt = e.At
		}
		if e.NextFollowUpAt != nil {
			t := *e.NextFollowUpAt
			c.fields.NextFollowUpAt = &t
		}
	case Merged:
		c.deleted, c.mergedInto, c.updatedAt = true, e.Into, e.At
	case Absorbed:
		c.absorbed = append(c.absorbed, e.From)
		if e.OwnerID != "" {
			c.owner, c.claimedAt = parseID(e.OwnerID), e.At
		}
		if e.LastFollowUpAt != nil && e.LastFollowUpAt.After(c.lastFollowUpAt) {
			c.lastFollowUpAt = *e.LastFollowUpAt
		}
		c.updatedAt = e.At
	case PrimaryContactSet:
		c.primaryContact = e.ContactID
	case DealClosed:
		c.status, c.deals = StatusClosedDeal, append(c.deals, e.WonEventID)
		if e.WonAt.After(c.lastDealAt) {
			c.lastDealAt = e.WonAt
		}
	case Deleted:
		c.deleted, c.updatedAt = true, e.At
	}
}

func parseID(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

func (c *Customer) usable() error {
	if c.deleted {
		return ErrDeleted
	}
	return nil
}

// Update changes fields or the status; a change to nothing records nothing.
func (c *Customer) Update(p Patch, by uuid.UUID, at time.Time) error {
	if err := c.usable(); err != nil {
		return err
	}
	next, err := c.fields.apply(p)
	if err != nil {
		return err
	}
	if p.Status != nil {
		if err := errors.Join(field.Required("status", string(*p.Status)), field.OneOf("status", string(*p.Status), Statuses...)); err != nil {
			return err
		}
	}
	if err := next.Validate(); err != nil {
		return err
	}
	eff := Patch{}
	cur := c.fields
	curTexts, nextTexts, asked, out := cur.texts(), next.texts(), p.texts(), eff.texts()
	for i := range curTexts {
		if *asked[i] != nil && *curTexts[i].v != *nextTexts[i].v {
			v := *nextTexts[i].v
			*out[i] = &v
		}
	}
	if p.Satisfaction != nil && *p.Satisfaction != cur.Satisfaction {
		eff.Satisfaction = p.Satisfaction
	}
	if p.Credit != nil && *p.Credit != cur.Credit {
		eff.Credit = p.Credit
	}
	switch {
	case next.NextFollowUpAt == nil && cur.NextFollowUpAt != nil:
		eff.ClearNextFollowUp = true
	case next.NextFollowUpAt != nil && (cur.NextFollowUpAt == nil || !cur.NextFollowUpAt.Equal(*next.NextFollowUpAt)):
		eff.NextFollowUpAt = next.NextFollowUpAt
	}
	if p.Status != nil && *p.Status != c.status {
		eff.Status = p.Status
	}
	for k, v := range p.Custom {
		if !reflect.DeepEqual(cur.Custom[k], v) {
			if eff.Custom == nil {
				eff.Custom = map[string]any{}
			}
			eff.Custom[k] = v
		}
	}
	if eff.IsZero() {
		return nil
	}
	c.record(Updated{CustomerID: c.id.String(), Patch: eff, By: by.String(), At: at.UTC()})
	return nil
}

// Assign gives the customer to a user.
func (c *Customer) Assign(to, by uuid.UUID, at time.Time) error {
	if err := c.usable(); err != nil {
		return err
	}
	if to == uuid.Nil {
		return ErrNoOwner
	}
	if to == c.owner {
		return nil
	}
	e := Assigned{CustomerID: c.id.String(), To: to.String(), By: by.String(), At: at.UTC()}
	if c.owner != uuid.Nil {
		e.From = c.owner.String()
	}
	c.record(e)
	return nil
}

// Claim takes a pool customer.
func (c *Customer) Claim(by uuid.UUID, at time.Time) error {
	if err := c.usable(); err != nil {
		return err
	}
	if !c.InPool() {
		return ErrNotInPool
	}
	c.record(Claimed{CustomerID: c.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Release puts the customer back into the pool by hand; locked customers never return.
func (c *Customer) Release(reason string, by uuid.UUID, at time.Time) error {
	return c.release(reason, "", by, at)
}

// Return puts the customer back by a pool rule (the scheduler, as the system actor).
func (c *Customer) Return(rule, reason string, by uuid.UUID, at time.Time) error {
	return c.release(reason, rule, by, at)
}

func (c *Customer) release(reason, rule string, by uuid.UUID, at time.Time) error {
	if err := c.usable(); err != nil {
		return err
	}
	if c.InPool() {
		return ErrAlreadyInPool
	}
	if c.locked {
		return ErrLocked
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ErrReasonRequired
	}
	if err := field.Text("reason", reason, 500); err != nil {
		return err
	}
	c.record(Released{CustomerID: c.id.String(), From: c.owner.String(), Reason: reason, Rule: rule, By: by.String(), At: at.UTC()})
	return nil
}

// RecordDeal records a won opportunity (wonEvent is its opportunity.won event): the customer
// becomes closed-deal and its last-deal time moves to wonAt. A deleted or merged customer records
// nothing (the deal stays on the opportunity), and so does a win already recorded.
func (c *Customer) RecordDeal(opportunityID, wonEvent uuid.UUID, amount, date string, wonAt time.Time, by uuid.UUID, at time.Time) error {
	if c.deleted || slices.Contains(c.deals, wonEvent.String()) {
		return nil
	}
	c.record(DealClosed{CustomerID: c.id.String(), OpportunityID: opportunityID.String(), WonEventID: wonEvent.String(), Amount: amount, Date: date,
		WonAt: wonAt.UTC(), By: by.String(), At: at.UTC()})
	return nil
}

// Lock keeps the customer out of the pool; Unlock allows it again.
func (c *Customer) Lock(by uuid.UUID, at time.Time) error {
	if err := c.usable(); err != nil || c.locked {
		return err
	}
	c.record(Locked{CustomerID: c.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

func (c *Customer) Unlock(by uuid.UUID, at time.Time) error {
	if err := c.usable(); err != nil || !c.locked {
		return err
	}
	c.record(Unlocked{CustomerID: c.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// FollowUpTypes are the kinds of follow-up.
var FollowUpTypes = []string{"call", "visit", "email", "meeting", "other"}

// FollowUp is one recorded contact with a customer or lead.
type FollowUp struct {
	ID             uuid.UUID
	ContactID      uuid.UUID // optional: the contact spoken to
	Type           string
	Content        string
	At             time.Time
	NextFollowUpAt *time.Time
}

// Validate checks a follow-up.
func (f FollowUp) Validate() error {
	errs := []error{field.Required("type", f.Type), field.OneOf("type", f.Type, FollowUpTypes...),
		field.Required("content", f.Content), field.Text("content", f.Content, 4000)}
	if f.At.IsZero() {
		errs = append(errs, &ValidationError{Field: "at", Message: "is required"})
	}
	return errors.Join(errs...)
}

// RecordFollowUp notes contact with the customer; it moves the last follow-up time (which the
// pool rules read) and, when given, the next follow-up time.
func (c *Customer) RecordFollowUp(f FollowUp, by uuid.UUID) error {
	if err := c.usable(); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	e := FollowedUp{CustomerID: c.id.String(), FollowUpID: f.ID.String(), Type: f.Type, Content: strings.TrimSpace(f.Content),
		At: f.At.UTC(), By: by.String()}
	if f.ContactID != uuid.Nil {
		e.ContactID = f.ContactID.String()
	}
	if f.NextFollowUpAt != nil {
		t := f.NextFollowUpAt.UTC()
		e.NextFollowUpAt = &t
	}
	c.record(e)
	return nil
}

// SetPrimaryContact makes a contact of this customer the primary one (uuid.Nil: none).
func (c *Customer) SetPrimaryContact(contact, by uuid.UUID, at time.Time) error {
	if err := c.usable(); err != nil {
		return err
	}
	id := ""
	if contact != uuid.Nil {
		id = contact.String()
	}
	if id == c.primaryContact {
		return nil
	}
	c.record(PrimaryContactSet{CustomerID: c.id.String(), ContactID: id, By: by.String(), At: at.UTC()})
	return nil
}

// ErrMergeSelf: a customer cannot be merged into itself.
var ErrMergeSelf = &ValidationError{Field: "sourceId", Message: "a customer cannot be merged into itself"}

// MergedInto is the survivor this customer was merged into ("" if not merged).
func (c *Customer) MergedInto() string { return c.mergedInto }

// MergeInto marks this customer as a duplicate of target. Merging again into the same target is a
// no-op (so an interrupted merge can be repeated); into another target it is refused.
func (c *Customer) MergeInto(target, by uuid.UUID, at time.Time) error {
	if target == c.id {
		return ErrMergeSelf
	}
	if c.mergedInto == target.String() {
		return nil
	}
	if err := c.usable(); err != nil {
		return err
	}
	c.record(Merged{CustomerID: c.id.String(), Into: target.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Absorb takes over a merged duplicate: its follow-up time, and its owner when this customer is
// in the pool. Absorbing the same duplicate twice records nothing.
func (c *Customer) Absorb(source *Customer, by uuid.UUID, at time.Time) error {
	if err := c.usable(); err != nil {
		return err
	}
	if slices.Contains(c.absorbed, source.id.String()) {
		return nil
	}
	e := Absorbed{CustomerID: c.id.String(), From: source.id.String(), By: by.String(), At: at.UTC()}
	if c.InPool() && source.owner != uuid.Nil {
		e.OwnerID = source.owner.String()
	}
	if !source.lastFollowUpAt.IsZero() {
		t := source.lastFollowUpAt
		e.LastFollowUpAt = &t
	}
	c.record(e)
	return nil
}

// PrimaryContact is the primary contact's id ("" for none).
func (c *Customer) PrimaryContact() string { return c.primaryContact }

// Delete removes the customer from every list; deleted customers accept no commands.
func (c *Customer) Delete(by uuid.UUID, at time.Time) error {
	if c.deleted {
		return ErrDeleted
	}
	c.record(Deleted{CustomerID: c.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Snapshot is the customer as a flat map (history diffs, "as of").
func (c *Customer) Snapshot() map[string]any {
	m := map[string]any{"id": c.id.String(), "status": string(c.status), "ownerId": nil, "locked": c.locked,
		"deleted": c.deleted, "inPool": c.InPool(), "version": c.Version(), "satisfaction": c.fields.Satisfaction,
		"credit": c.fields.Credit, "nextFollowUpAt": nil, "fromLeadId": c.fromLead, "primaryContactId": c.primaryContact, "lastDealAt": nil,
		"createdAt": c.createdAt.Format(time.RFC3339Nano), "updatedAt": c.updatedAt.Format(time.RFC3339Nano)}
	f := c.fields
	for _, t := range f.texts() {
		m[t.name] = *t.v
	}
	if c.owner != uuid.Nil {
		m["ownerId"] = c.owner.String()
	}
	if f.NextFollowUpAt != nil {
		m["nextFollowUpAt"] = f.NextFollowUpAt.Format(time.RFC3339)
	}
	if !c.lastDealAt.IsZero() {
		m["lastDealAt"] = c.lastDealAt.Format(time.RFC3339)
	}
	return m
}
