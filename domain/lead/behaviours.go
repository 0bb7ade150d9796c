package lead

import (
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Update changes fields and/or the status. Changing nothing records nothing.
func (l *Lead) Update(p Patch, by uuid.UUID, at time.Time) error {
	if err := l.usable(); err != nil {
		return err
	}
	if p.Status != nil {
		if _, err := ParseStatus(string(*p.Status)); err != nil {
			return err
		}
	}
	next := l.fields.apply(p)
	if err := next.Validate(); err != nil {
		return err
	}
	p = l.effective(p, next)
	if p == (Patch{}) {
		return nil
	}
	l.record(Updated{LeadID: l.id.String(), Patch: p, By: by.String(), At: at.UTC()})
	return nil
}

// effective keeps only the parts of a patch that change something, normalised.
func (l *Lead) effective(p Patch, next Fields) Patch {
	out := Patch{}
	str := func(old, new string, in *string) *string {
		if in == nil || old == new {
			return nil
		}
		return &new
	}
	cur := l.fields
	out.Name = str(cur.Name, next.Name, p.Name)
	out.Company = str(cur.Company, next.Company, p.Company)
	out.Phone = str(cur.Phone, next.Phone, p.Phone)
	out.Mobile = str(cur.Mobile, next.Mobile, p.Mobile)
	out.Email = str(cur.Email, next.Email, p.Email)
	out.Source = str(cur.Source, next.Source, p.Source)
	out.Industry = str(cur.Industry, next.Industry, p.Industry)
	out.Level = str(cur.Level, next.Level, p.Level)
	out.Address = str(cur.Address, next.Address, p.Address)
	out.Remark = str(cur.Remark, next.Remark, p.Remark)
	switch {
	case next.NextFollowUpAt == nil && cur.NextFollowUpAt != nil:
		out.ClearNextFollowUp = true
	case next.NextFollowUpAt != nil && (cur.NextFollowUpAt == nil || !cur.NextFollowUpAt.Equal(*next.NextFollowUpAt)):
		out.NextFollowUpAt = next.NextFollowUpAt
	}
	if p.Status != nil && *p.Status != l.status {
		s := *p.Status
		out.Status = &s
	}
	return out
}

// Assign gives the lead to a user, from the pool or from another owner.
func (l *Lead) Assign(to, by uuid.UUID, at time.Time) error {
	if err := l.usable(); err != nil {
		return err
	}
	if to == uuid.Nil {
		return ErrNoOwner
	}
	if to == l.owner {
		return nil
	}
	e := Assigned{LeadID: l.id.String(), To: to.String(), By: by.String(), At: at.UTC()}
	if l.owner != uuid.Nil {
		e.From = l.owner.String()
	}
	l.record(e)
	return nil
}

// Claim takes a pool lead for the claimer.
func (l *Lead) Claim(by uuid.UUID, at time.Time) error {
	if err := l.usable(); err != nil {
		return err
	}
	if !l.InPool() {
		return ErrNotInPool
	}
	l.record(Claimed{LeadID: l.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Release puts an owned lead back into the pool.
func (l *Lead) Release(reason string, by uuid.UUID, at time.Time) error {
	if err := l.usable(); err != nil {
		return err
	}
	if l.InPool() {
		return ErrAlreadyInPool
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ErrReasonRequired
	}
	if err := checkText("reason", reason, maxText); err != nil {
		return err
	}
	l.record(Released{LeadID: l.id.String(), From: l.owner.String(), Reason: reason, By: by.String(), At: at.UTC()})
	return nil
}

// Delete removes the lead from every list; deleted leads accept no further commands.
func (l *Lead) Delete(by uuid.UUID, at time.Time) error {
	if l.deleted {
		return ErrDeleted
	}
	l.record(Deleted{LeadID: l.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Convert records that the lead became a customer (and a contact, when contact is not uuid.Nil);
// withoutRemark: the customer does not take the lead's remark. A converted lead accepts no
// further commands, so converting twice is refused.
func (l *Lead) Convert(customer, contactID uuid.UUID, contactFields *contact.Fields, withoutRemark bool, by uuid.UUID, at time.Time) error {
	return l.ConvertWith(customer, contactID, contactFields, uuid.Nil, nil, withoutRemark, by, at)
}

// ConvertWith converts the lead and also opens an opportunity (opp, with id oppID) for the
// customer.
func (l *Lead) ConvertWith(customer, contactID uuid.UUID, contactFields *contact.Fields, oppID uuid.UUID, opp *ConvertOpportunity,
	withoutRemark bool, by uuid.UUID, at time.Time) error {
	if err := l.usable(); err != nil {
		return err
	}
	e := Converted{LeadID: l.id.String(), CustomerID: customer.String(), WithoutRemark: withoutRemark, By: by.String(), At: at.UTC()}
	if contactID != uuid.Nil {
		e.ContactID, e.Contact = contactID.String(), contactFields
	}
	if oppID != uuid.Nil && opp != nil {
		e.OpportunityID, e.Opportunity = oppID.String(), opp
	}
	l.record(e)
	return nil
}

// RecordFollowUp notes contact with the lead (a new lead becomes "following").
func (l *Lead) RecordFollowUp(id uuid.UUID, typ, content string, at time.Time, next *time.Time, by uuid.UUID) error {
	if err := l.usable(); err != nil {
		return err
	}
	content = strings.TrimSpace(content)
	if err := errors.Join(field.Required("type", typ), field.OneOf("type", typ, "call", "visit", "email", "meeting", "other"),
		field.Required("content", content), field.Text("content", content, 4000)); err != nil {
		return err
	}
	e := FollowedUp{LeadID: l.id.String(), FollowUpID: id.String(), Type: typ, Content: content, At: at.UTC(), By: by.String()}
	if next != nil {
		t := next.UTC()
		e.NextFollowUpAt = &t
	}
	l.record(e)
	return nil
}
