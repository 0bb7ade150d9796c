package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// customerRoutes registers the customer endpoints.
func (s *Server) customerRoutes(a func(path string, h http.HandlerFunc, method string)) {
	a("/customers", s.createCustomer, http.MethodPost)
	a("/customers", s.searchCustomers, http.MethodGet)
	a("/customers/{id}", s.getCustomer, http.MethodGet)
	a("/customers/{id}", s.updateCustomer, http.MethodPatch)
	a("/customers/{id}", s.deleteCustomer, http.MethodDelete)
	a("/customers/{id}/assign", s.assignCustomer, http.MethodPost)
	a("/customers/{id}/claim", s.claimCustomer, http.MethodPost)
	a("/customers/{id}/release", s.releaseCustomer, http.MethodPost)
	a("/customers/{id}/lock", s.lockCustomer, http.MethodPost)
	a("/customers/{id}/unlock", s.unlockCustomer, http.MethodPost)
	a("/customers/{id}/history", s.customerHistory, http.MethodGet)
	a("/duplicates", s.duplicates, http.MethodGet)
	a("/customers/{id}/merge", s.mergeCustomer, http.MethodPost)
}

// duplicates: GET /api/v1/duplicates?type=customer&name=&phone=&email= lists likely duplicates.
func (s *Server) duplicates(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	if t := v.Get("type"); t != "" && t != "customer" {
		writeProblem(w, r, s.Logger, invalid("type", "only customer duplicates are checked"))
		return
	}
	if !actorOf(r.Context()).Can(role.CustomersRead) {
		writeProblem(w, r, s.Logger, errForbidden)
		return
	}
	d, err := s.CustomerViews.FindDuplicates(r.Context(), s.customerScope(actorOf(r.Context())), v.Get("name"), v.Get("phone"), v.Get("email"), uuid.Nil)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": d, "total": len(d), "nextCursor": ""})
}

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

func (s *Server) customerScope(a access.Actor) readmodels.Scope {
	sc := readmodels.ScopeOf(a, a.Can(role.CustomersPool) || a.Can(role.CustomersAssign))
	sc.None = !a.Can(role.CustomersRead)
	return sc
}

func (s *Server) customerView(ctx context.Context, w http.ResponseWriter, r *http.Request, status int, res commands.Result) {
	if err := s.awaitPosition(ctx, res.Position, customerview.Projection); err != nil {
		writeJSON(w, status, map[string]any{"id": res.ID, "version": res.Version})
		return
	}
	c, err := s.CustomerViews.Get(ctx, s.customerScope(actorOf(ctx)), res.ID)
	if err != nil {
		writeJSON(w, status, map[string]any{"id": res.ID, "version": res.Version})
		return
	}
	writeJSON(w, status, c)
}

// customerCommand runs a command on /customers/{id} and answers with the read view.
func (s *Server) customerCommand(w http.ResponseWriter, r *http.Request, name string, body any,
	run func(commands.Meta, uuid.UUID) (commands.Result, error)) {
	id, err := pathID(r)
	if err == nil && body != nil {
		err = decode(w, r, s.MaxBody, body)
	}
	m, merr := s.meta(r)
	if err == nil {
		err = merr
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	res, err := s.command(w, name, func() (commands.Result, error) { return run(m, id) })
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if name == "customer.delete" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.customerView(r.Context(), w, r, http.StatusOK, res)
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) {
	var in CustomerCreate
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c := customercmd.Create{Fields: in.Fields, Status: customer.Status(in.Status), Pool: in.Pool, UniqueName: !in.ConfirmDuplicate}
	var err error
	if in.ID != "" {
		c.ID, err = parseUUID("id", in.ID)
	}
	if err == nil && in.OwnerID != "" {
		if in.Pool {
			err = invalid("ownerId", "a pool customer has no owner; send pool or ownerId, not both")
		} else {
			c.OwnerID, err = parseUUID("ownerId", in.OwnerID)
		}
	}
	if err == nil && in.NextFollowUpAt != nil && *in.NextFollowUpAt != "" {
		t, terr := parseTime("nextFollowUpAt", *in.NextFollowUpAt)
		c.Fields.NextFollowUpAt, err = &t, terr
	}
	m, merr := s.meta(r)
	if err == nil {
		err = merr
	}
	if err == nil {
		err = c.Fields.Validate()
	}
	if err == nil && !m.Actor.Can(role.CustomersCreate) {
		err = errForbidden
	}
	if err == nil && !in.ConfirmDuplicate {
		err = s.waitFor(r, customerview.Projection) // the duplicate check reads the read model
	}
	if err == nil && !in.ConfirmDuplicate {
		var dups []customerview.Duplicate
		dups, err = s.CustomerViews.FindDuplicates(r.Context(), s.customerScope(m.Actor), in.Name, in.Phone, in.Email, c.ID)
		if err == nil && len(dups) > 0 {
			err = &duplicateError{dups}
		}
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	res, err := s.command(w, "customer.create", func() (commands.Result, error) { return s.Customers.Create(r.Context(), m, c) })
	var taken *customercmd.NameTakenError
	if errors.As(err, &taken) {
		// Another create of this name won a moment ago (the read model may not show it yet).
		err = s.nameTaken(r.Context(), m.Actor, in.Name, in.Phone, in.Email, c.ID, taken.CustomerID)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Location", "/api/v1/customers/"+res.ID.String())
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK
	}
	s.customerView(r.Context(), w, r, status, res)
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
				return p, invalid(k, "must be a string")
			}
			_ = p.SetText(k, sv) // k is a known text field
		case k == "satisfaction" || k == "credit":
			f, ok := v.(float64)
			if !ok || f != float64(int(f)) {
				return p, invalid(k, "must be a whole number from 1 to 5 (0 for none)")
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
				t, err := parseTime(k, sv)
				if err != nil {
					return p, err
				}
				p.NextFollowUpAt = &t
			}
		case k == "custom":
			m, ok := v.(map[string]any)
			if !ok {
				return p, invalid(k, "must be an object of custom field values")
			}
			p.Custom = m
		case k == "status":
			sv, _ := v.(string)
			st := customer.Status(sv)
			p.Status = &st
		default:
			return p, &badRequest{status: http.StatusBadRequest, code: "unknown_field", detail: "unknown field " + k,
				fields: []fieldError{{Field: k, Message: "is not a field of this request"}}}
		}
	}
	if p.IsZero() {
		return p, invalid("(body)", "name at least one field to change")
	}
	return p, nil
}

func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request) {
	var in CustomerPatch
	s.customerCommand(w, r, "customer.update", &in, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		p, err := in.ToPatch()
		if err != nil {
			return commands.Result{}, err
		}
		return s.Customers.Update(r.Context(), m, id, p)
	})
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	s.customerCommand(w, r, "customer.delete", nil, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return s.Customers.Delete(r.Context(), m, id)
	})
}

func (s *Server) assignCustomer(w http.ResponseWriter, r *http.Request) {
	var in assignBody
	s.customerCommand(w, r, "customer.assign", &in, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		to, err := parseUUID("ownerId", in.OwnerID)
		if err != nil {
			return commands.Result{}, err
		}
		return s.Customers.Assign(r.Context(), m, id, to)
	})
}

func (s *Server) claimCustomer(w http.ResponseWriter, r *http.Request) {
	s.customerCommand(w, r, "customer.claim", nil, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return s.Customers.Claim(r.Context(), m, id)
	})
}

func (s *Server) releaseCustomer(w http.ResponseWriter, r *http.Request) {
	var in releaseBody
	s.customerCommand(w, r, "customer.release", &in, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return s.Customers.Release(r.Context(), m, id, in.Reason)
	})
}

func (s *Server) lockCustomer(w http.ResponseWriter, r *http.Request) {
	s.customerCommand(w, r, "customer.lock", nil, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return s.Customers.SetLocked(r.Context(), m, id, true)
	})
}

func (s *Server) unlockCustomer(w http.ResponseWriter, r *http.Request) {
	s.customerCommand(w, r, "customer.unlock", nil, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return s.Customers.SetLocked(r.Context(), m, id, false)
	})
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	actor := actorOf(r.Context())
	if asOf := r.URL.Query().Get("asOf"); asOf != "" {
		t, err := parseTime("asOf", asOf)
		var snap map[string]any
		if err == nil {
			snap, err = s.Customers.AsOf(r.Context(), actor, id, t)
		}
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		writeJSON(w, http.StatusOK, snap)
		return
	}
	if err := s.waitFor(r, customerview.Projection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c, err := s.CustomerViews.Get(r.Context(), s.customerScope(actor), id)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("ETag", strconv.FormatInt(c.Version, 10))
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) searchCustomers(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := s.customerQueryFromURL(r.Context(), v, s.customerScope(actorOf(r.Context())))
	q.Cursor = v.Get("cursor")
	if l := v.Get("limit"); l != "" && err == nil {
		n, perr := strconv.Atoi(l)
		if perr != nil || n < 1 || n > 500 {
			err = invalid("limit", "must be a number from 1 to 500")
		}
		q.Limit = n
	}
	if err == nil {
		err = s.waitFor(r, customerview.Projection)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	page, err := s.CustomerViews.Search(r.Context(), q)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) customerHistory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var events []commands.Change
	if err == nil {
		events, err = s.Customers.History(r.Context(), actorOf(r.Context()), id)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": historyItems(events)})
}

// nameTaken is the possible_duplicate answer when the name reservation found holder: the likely
// duplicates the read model knows, with holder among them.
func (s *Server) nameTaken(ctx context.Context, a access.Actor, name, phone, email string, self, holder uuid.UUID) error {
	dups, err := s.CustomerViews.FindDuplicates(ctx, s.customerScope(a), name, phone, email, self)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(dups, func(d customerview.Duplicate) bool { return d.ID == holder }) {
		dups = append([]customerview.Duplicate{{ID: holder, Name: name, Score: 1, Reasons: []string{"same_name"}}}, dups...)
	}
	return &duplicateError{dups}
}

// duplicateError: likely duplicates exist and the client did not confirm.
type duplicateError struct{ found []customerview.Duplicate }

func (e *duplicateError) Error() string {
	return fmt.Sprintf("%d existing customers look like this one; check them, or send \"confirmDuplicate\": true to save anyway", len(e.found))
}

type mergeBody struct {
	SourceID string `json:"sourceId"`
}

// mergeCustomer folds the duplicate sourceId into the customer of the path.
func (s *Server) mergeCustomer(w http.ResponseWriter, r *http.Request) {
	var in mergeBody
	s.customerCommand(w, r, "customer.merge", &in, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		src, err := parseUUID("sourceId", in.SourceID)
		if err != nil {
			return commands.Result{}, err
		}
		return s.Customers.Merge(r.Context(), m, id, src)
	})
}
