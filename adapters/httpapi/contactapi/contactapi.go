package contactapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// ContactCreate is the body of POST /api/v1/contacts.
type ContactCreate struct {
	contact.Fields
	ID         string `json:"id"`
	CustomerID string `json:"customerId"`
	Primary    bool   `json:"primary"`
}

// get is a contact as actor may read it (its contact details masked where the rule says so).
func (a api) get(ctx context.Context, actor access.Actor, id uuid.UUID) (*customerview.Contact, error) {
	return a.details.Read(a.details.Get)(ctx, actor, id)
}

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.get(ctx, actor, id)
}

func (a api) customerView(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.customers.Read(a.customers.Get)(ctx, actor, id)
}

func (a api) create(ctx context.Context, m commands.Meta, in *ContactCreate) (commands.Result, error) {
	c := customercmd.CreateContact{Fields: in.Fields, Primary: in.Primary}
	var err error
	if in.ID != "" {
		c.ID, err = httpkit.ParseUUID("id", in.ID)
	}
	if err == nil {
		c.CustomerID, err = httpkit.ParseUUID("customerId", in.CustomerID)
	}
	if err != nil {
		return commands.Result{}, err
	}
	return a.Contacts.Create(ctx, m, c)
}

// update: PATCH changes the fields it names; the contact applies them to its current state (not
// to a possibly older read), so concurrent edits of different fields both stay.
func (a api) update(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	var p contact.Patch
	if err := a.Kit.Decode(r, &p); err != nil {
		return httpkit.Reply{}, err
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return a.Contacts.Update(r.Context(), m, id, p) },
		httpkit.Answer{Projection: projection, View: a.view})
}

func (a api) delete(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Contacts.Delete(ctx, m, id)
}

func (a api) query(r *http.Request) (customerview.ContactQuery, error) {
	p := httpkit.Params(r.URL.Query())
	q := Query(p, customerview.ScopeFor(httpkit.ActorOf(r.Context())))
	return q, p.Err()
}

type primaryBody struct {
	ContactID string `json:"contactId"`
}

func (a api) setPrimary(ctx context.Context, m commands.Meta, id uuid.UUID, in *primaryBody) (commands.Result, error) {
	cid, err := httpkit.ParseUUID("contactId", in.ContactID)
	if err != nil {
		return commands.Result{}, err
	}
	return a.Contacts.SetPrimary(ctx, m, id, cid)
}
