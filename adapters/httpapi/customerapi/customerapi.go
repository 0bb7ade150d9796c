package customerapi

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// CustomerCreate is the body of POST /api/v1/customers: the customer's fields plus these.
type CustomerCreate struct {
	customer.Fields
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	Pool           bool    `json:"pool"`
	OwnerID        string  `json:"ownerId"`
	NextFollowUpAt *string `json:"nextFollowUpAt"`
	// ConfirmDuplicate saves the customer although likely duplicates exist.
	ConfirmDuplicate bool `json:"confirmDuplicate"`
}

// answer: customer commands answer with the record's read view once the customer projection has
// caught up.
func (a api) answer() httpkit.Answer {
	return httpkit.Answer{Projection: projection, View: a.view}
}

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.read(ctx, actor, id)
}

func (a api) create(r *http.Request) (httpkit.Reply, error) {
	var in CustomerCreate
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	c := customercmd.Create{Fields: in.Fields, Status: customer.Status(in.Status), Pool: in.Pool, UniqueName: !in.ConfirmDuplicate}
	var err error
	if in.ID != "" {
		c.ID, err = httpkit.ParseUUID("id", in.ID)
	}
	if err == nil && in.OwnerID != "" {
		if in.Pool {
			err = httpkit.Invalid("ownerId", "a pool customer has no owner; send pool or ownerId, not both")
		} else {
			c.OwnerID, err = httpkit.ParseUUID("ownerId", in.OwnerID)
		}
	}
	if err == nil && in.NextFollowUpAt != nil && *in.NextFollowUpAt != "" {
		t, terr := httpkit.ParseTime("nextFollowUpAt", *in.NextFollowUpAt)
		c.Fields.NextFollowUpAt, err = &t, terr
	}
	m, merr := httpkit.Meta(r)
	if err == nil {
		err = merr
	}
	if err == nil {
		err = c.Fields.Validate()
	}
	if err == nil && !m.Actor.Can(role.CustomersCreate) {
		err = commands.ErrForbidden
	}
	if err == nil && !in.ConfirmDuplicate {
		err = a.Kit.WaitFor(r, projection...) // the duplicate check reads the read model
	}
	if err == nil && !in.ConfirmDuplicate {
		var dups []customerview.Duplicate
		dups, err = a.CustomerViews.FindDuplicates(r.Context(), customerview.ScopeFor(m.Actor), in.Name, in.Phone, in.Email, c.ID)
		if err == nil && len(dups) > 0 {
			err = &httpkit.DuplicateError{Found: dups, Count: len(dups)}
		}
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	res, err := a.Customers.Create(r.Context(), m, c)
	var taken *customercmd.NameTakenError
	if errors.As(err, &taken) {
		// Another create of this name won a moment ago (the read model may not show it yet).
		err = a.nameTaken(r.Context(), m.Actor, in.Name, in.Phone, in.Email, c.ID, taken.CustomerID)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	ans := a.answer()
	ans.Status, ans.Location, ans.ReplayOK = http.StatusCreated, "/api/v1/customers", true
	return a.Kit.Answer(r.Context(), res, ans)
}

// nameTaken is the possible_duplicate answer when the name reservation found holder: the likely
// duplicates the read model knows, with holder among them (shown with its id only to a reader
// who sees every customer: the read model may not know it yet, so its scope cannot be checked).
func (a api) nameTaken(ctx context.Context, actor access.Actor, name, phone, email string, self, holder uuid.UUID) error {
	scope := customerview.ScopeFor(actor)
	dups, err := a.CustomerViews.FindDuplicates(ctx, scope, name, phone, email, self)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(dups, func(d customerview.Duplicate) bool {
		return d.ID != nil && *d.ID == holder || !d.Visible && d.Match == "name"
	}) {
		d := customerview.Duplicate{Kind: "customer", Match: "name", Score: 1, Reasons: []string{"same_name"}, Exists: true}
		if scope.All {
			d.Visible, d.ID, d.Name = true, &holder, name
		}
		dups = append([]customerview.Duplicate{d}, dups...)
	}
	return &httpkit.DuplicateError{Found: dups, Count: len(dups)}
}

// CustomerPatch is the body of PATCH /api/v1/customers/{id}: text fields by name, ratings,
// nextFollowUpAt (null clears) and status.
type CustomerPatch map[string]any

// ToPatch validates the wire form into a domain patch.
func (in CustomerPatch) ToPatch() (customer.Patch, error) {
	p := customer.Patch{}
	known := map[string]bool{}
	for _, f := range customer.TextFields() {
		known[f] = true
	}
	for k, v := range in {
		switch {
		case known[k]:
			sv, ok := v.(string)
			if v == nil {
				sv, ok = "", true
			}
			if !ok {
				return p, httpkit.Invalid(k, "must be a string")
			}
			_ = p.SetText(k, sv) // k is a known text field
		case k == "satisfaction" || k == "credit":
			f, ok := v.(float64)
			if !ok || f != float64(int(f)) {
				return p, httpkit.Invalid(k, "must be a whole number from 1 to 5 (0 for none)")
			}
			n := int(f)
			if k == "satisfaction" {
				p.Satisfaction = &n
			} else {
				p.Credit = &n
			}
		case k == "nextFollowUpAt":
			if sv, _ := v.(string); v == nil || sv == "" {
				p.ClearNextFollowUp = true
			} else {
				t, err := httpkit.ParseTime(k, sv)
				if err != nil {
					return p, err
				}
				p.NextFollowUpAt = &t
			}
		case k == "custom":
			m, ok := v.(map[string]any)
			if !ok {
				return p, httpkit.Invalid(k, "must be an object of custom field values")
			}
			p.Custom = m
		case k == "status":
			sv, _ := v.(string)
			st := customer.Status(sv)
			p.Status = &st
		default:
			return p, httpkit.UnknownField(k)
		}
	}
	if p.IsZero() {
		return p, httpkit.Invalid("(body)", "name at least one field to change")
	}
	return p, nil
}

func (a api) update(ctx context.Context, m commands.Meta, id uuid.UUID, in *CustomerPatch) (commands.Result, error) {
	p, err := in.ToPatch()
	if err != nil {
		return commands.Result{}, err
	}
	return a.Customers.Update(ctx, m, id, p)
}

func (a api) delete(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Customers.Delete(ctx, m, id)
}

func (a api) assign(ctx context.Context, m commands.Meta, id uuid.UUID, in *httpkit.AssignBody) (commands.Result, error) {
	to, err := in.Owner()
	if err != nil {
		return commands.Result{}, err
	}
	return a.Customers.Assign(ctx, m, id, to)
}

func (a api) claim(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Customers.Claim(ctx, m, id)
}

func (a api) release(ctx context.Context, m commands.Meta, id uuid.UUID, in *httpkit.ReleaseBody) (commands.Result, error) {
	return a.Customers.Release(ctx, m, id, in.Reason)
}

func (a api) lock(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Customers.SetLocked(ctx, m, id, true)
}

func (a api) unlock(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Customers.SetLocked(ctx, m, id, false)
}

type mergeBody struct {
	SourceID string `json:"sourceId"`
}

// merge folds the duplicate sourceId into the customer of the path.
func (a api) merge(ctx context.Context, m commands.Meta, id uuid.UUID, in *mergeBody) (commands.Result, error) {
	src, err := httpkit.ParseUUID("sourceId", in.SourceID)
	if err != nil {
		return commands.Result{}, err
	}
	return a.Customers.Merge(ctx, m, id, src)
}

// read is the current read view of a customer.
func (a api) read(ctx context.Context, actor access.Actor, id uuid.UUID) (*customerview.Customer, error) {
	c, err := a.remarks.Get(ctx, actor, id)
	if err == nil {
		err = a.remarks.Apply(ctx, actor, c)
	}
	if err == nil {
		a.details.Apply(actor, c)
	}
	return c, err
}

func (a api) query(r *http.Request) (customerview.Query, error) {
	p := httpkit.Params(r.URL.Query())
	q, err := Query(r.Context(), p, customerview.ScopeFor(httpkit.ActorOf(r.Context())), a.Settings.CustomerFields)
	if err != nil {
		return q, err
	}
	q.Cursor, q.Limit = p.Str("cursor"), p.Limit()
	return q, p.Err()
}

// duplicates: GET /api/v1/duplicates?type=customer&name=&phone=&email= lists the customers with
// the same normalised name, phone digits or e-mail; at most DuplicatesPerMinute checks a minute
// per user.
func (a api) duplicates(r *http.Request) (httpkit.Reply, error) {
	v := r.URL.Query()
	if t := v.Get("type"); t != "" && t != "customer" {
		return httpkit.Reply{}, httpkit.Invalid("type", "only customer duplicates are checked")
	}
	if err := httpkit.Allow(r, role.CustomersRead); err != nil {
		return httpkit.Reply{}, err
	}
	actor := httpkit.ActorOf(r.Context())
	if err := a.dupLimit.Allow(actor.ID); err != nil {
		return httpkit.Reply{}, err
	}
	d, err := a.CustomerViews.FindDuplicates(r.Context(), customerview.ScopeFor(actor), v.Get("name"), v.Get("phone"), v.Get("email"), uuid.Nil)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(httpkit.All(d)), nil
}
