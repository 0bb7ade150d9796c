package leadapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/conversion"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// LeadCreate is the body of POST /api/v1/leads.
type LeadCreate struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Company        string  `json:"company"`
	Phone          string  `json:"phone"`
	Mobile         string  `json:"mobile"`
	Email          string  `json:"email"`
	Source         string  `json:"source"`
	Industry       string  `json:"industry"`
	Level          string  `json:"level"`
	Address        string  `json:"address"`
	Remark         string  `json:"remark"`
	NextFollowUpAt *string `json:"nextFollowUpAt"`
	Pool           bool    `json:"pool"`
	OwnerID        string  `json:"ownerId"`
}

// LeadPatch is the body of PATCH /api/v1/leads/{id}: only the fields to change; null clears.
type LeadPatch struct {
	Name           httpkit.Opt[string] `json:"name"`
	Company        httpkit.Opt[string] `json:"company"`
	Phone          httpkit.Opt[string] `json:"phone"`
	Mobile         httpkit.Opt[string] `json:"mobile"`
	Email          httpkit.Opt[string] `json:"email"`
	Source         httpkit.Opt[string] `json:"source"`
	Industry       httpkit.Opt[string] `json:"industry"`
	Level          httpkit.Opt[string] `json:"level"`
	Address        httpkit.Opt[string] `json:"address"`
	Remark         httpkit.Opt[string] `json:"remark"`
	NextFollowUpAt httpkit.Opt[string] `json:"nextFollowUpAt"`
	Status         httpkit.Opt[string] `json:"status"`
}

// ToCommand validates the wire form into a command (exported for the fuzz test).
func (in LeadCreate) ToCommand() (leadcmd.Create, error) {
	c := leadcmd.Create{Pool: in.Pool, Fields: lead.Fields{Name: in.Name, Company: in.Company, Phone: in.Phone,
		Mobile: in.Mobile, Email: in.Email, Source: in.Source, Industry: in.Industry, Level: in.Level, Address: in.Address, Remark: in.Remark}}
	var err error
	if in.ID != "" {
		if c.ID, err = httpkit.ParseUUID("id", in.ID); err != nil {
			return c, err
		}
	}
	if in.OwnerID != "" {
		if in.Pool {
			return c, httpkit.Invalid("ownerId", "a pool lead has no owner; send pool or ownerId, not both")
		}
		if c.OwnerID, err = httpkit.ParseUUID("ownerId", in.OwnerID); err != nil {
			return c, err
		}
	}
	if in.NextFollowUpAt != nil && *in.NextFollowUpAt != "" {
		t, err := httpkit.ParseTime("nextFollowUpAt", *in.NextFollowUpAt)
		if err != nil {
			return c, err
		}
		c.Fields.NextFollowUpAt = &t
	}
	return c, c.Fields.Validate()
}

// ToPatch validates the wire form into a domain patch (exported for the fuzz test).
func (in LeadPatch) ToPatch() (lead.Patch, error) {
	var p lead.Patch
	text := func(o httpkit.Opt[string]) *string {
		if !o.Set {
			return nil
		}
		v := o.Value // null clears the field
		return &v
	}
	p.Name, p.Company, p.Phone, p.Mobile, p.Email = text(in.Name), text(in.Company), text(in.Phone), text(in.Mobile), text(in.Email)
	p.Source, p.Industry, p.Level, p.Address, p.Remark = text(in.Source), text(in.Industry), text(in.Level), text(in.Address), text(in.Remark)
	if in.NextFollowUpAt.Set {
		if in.NextFollowUpAt.Null || in.NextFollowUpAt.Value == "" {
			p.ClearNextFollowUp = true
		} else {
			t, err := httpkit.ParseTime("nextFollowUpAt", in.NextFollowUpAt.Value)
			if err != nil {
				return p, err
			}
			p.NextFollowUpAt = &t
		}
	}
	if in.Status.Set {
		st, err := lead.ParseStatus(in.Status.Value)
		if err != nil {
			return p, err
		}
		p.Status = &st
	}
	if p == (lead.Patch{}) {
		return p, httpkit.Invalid("(body)", "name at least one field to change")
	}
	return p, nil
}

// answer: lead commands answer with the record's read view once the lead projection has caught
// up with the command (read-your-writes).
func (a api) answer(status int) httpkit.Answer {
	ans := httpkit.Answer{Status: status, Projection: projection, View: a.view}
	if status == http.StatusCreated {
		ans.Location, ans.ReplayOK = "/api/v1/leads", true
	}
	return ans
}

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.read(ctx, actor, id)
}

func (a api) create(ctx context.Context, m commands.Meta, in *LeadCreate) (commands.Result, error) {
	c, err := in.ToCommand()
	if err != nil {
		return commands.Result{}, err
	}
	return a.Leads.Create(ctx, m, c)
}

func (a api) update(ctx context.Context, m commands.Meta, id uuid.UUID, in *LeadPatch) (commands.Result, error) {
	p, err := in.ToPatch()
	if err != nil {
		return commands.Result{}, err
	}
	return a.Leads.Update(ctx, m, id, p)
}

func (a api) assign(ctx context.Context, m commands.Meta, id uuid.UUID, in *httpkit.AssignBody) (commands.Result, error) {
	to, err := in.Owner()
	if err != nil {
		return commands.Result{}, err
	}
	return a.Leads.Assign(ctx, m, id, to)
}

func (a api) claim(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Leads.Claim(ctx, m, id)
}

func (a api) release(ctx context.Context, m commands.Meta, id uuid.UUID, in *httpkit.ReleaseBody) (commands.Result, error) {
	return a.Leads.Release(ctx, m, id, in.Reason)
}

func (a api) delete(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Leads.Delete(ctx, m, id)
}

// read is the current read view of a lead (as actor may read it: previous owners' remarks
// hidden, contact details masked where the rules say so).
func (a api) read(ctx context.Context, actor access.Actor, id uuid.UUID) (*leadview.Lead, error) {
	l, err := a.remarks.Get(ctx, actor, id)
	if err == nil {
		err = a.remarks.Apply(ctx, actor, l)
	}
	if err == nil {
		a.details.Apply(actor, l)
	}
	return l, err
}

func (a api) query(r *http.Request) (leadview.Query, error) {
	p := httpkit.Params(r.URL.Query())
	q := Query(p, leadview.ScopeFor(httpkit.ActorOf(r.Context())))
	return q, p.Err()
}

// ConvertBody is the body of POST /api/v1/leads/{id}/convert.
type ConvertBody struct {
	Contact *contact.Fields `json:"contact"`
	// Opportunity, when sent, is opened for the new customer (and its contact).
	Opportunity *lead.ConvertOpportunity `json:"opportunity"`
}

func (a api) convert(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	var in ConvertBody
	if err == nil && r.ContentLength != 0 {
		err = a.Kit.Decode(r, &in)
	}
	m, merr := httpkit.Meta(r)
	if err == nil {
		err = merr
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	// A previous owner's remark hidden from the converting user does not pass to the customer.
	l, err := a.read(r.Context(), m.Actor, id)
	if err != nil && !errors.Is(err, readmodels.ErrNotFound) {
		return httpkit.Reply{}, err
	}
	hidden := l != nil && l.RemarkHidden
	out, err := a.Conversion.Convert(r.Context(), m, id, conversion.Convert{Contact: in.Contact, Opportunity: in.Opportunity, WithoutRemark: hidden})
	if err != nil {
		return httpkit.Reply{}, err
	}
	body := map[string]any{"customerId": out.CustomerID, "leadId": id}
	if out.ContactID != uuid.Nil {
		body["contactId"] = out.ContactID
	}
	if out.OpportunityID != uuid.Nil {
		body["opportunityId"] = out.OpportunityID
	}
	rp := httpkit.JSON(http.StatusCreated, body).With("Location", "/api/v1/customers/"+out.CustomerID.String())
	return httpkit.Committed(rp, out.Result), nil
}
