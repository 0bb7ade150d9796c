package httpapi

import (
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/conversion"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// contactRoutes registers contacts and lead conversion.
func (s *Server) contactRoutes(a func(path string, h http.HandlerFunc, method string)) {
	a("/contacts", s.createContact, http.MethodPost)
	a("/contacts", s.searchContacts, http.MethodGet)
	a("/contacts/{id}", s.getContact, http.MethodGet)
	a("/contacts/{id}", s.updateContact, http.MethodPatch)
	a("/contacts/{id}", s.deleteContact, http.MethodDelete)
	a("/contacts/{id}/history", s.contactHistory, http.MethodGet)
	a("/customers/{id}/primary-contact", s.setPrimaryContact, http.MethodPost)
	a("/leads/{id}/convert", s.convertLead, http.MethodPost)
}

// ContactCreate is the body of POST /api/v1/contacts.
type ContactCreate struct {
	contact.Fields
	ID         string `json:"id"`
	CustomerID string `json:"customerId"`
	Primary    bool   `json:"primary"`
}

func (s *Server) contactResponse(w http.ResponseWriter, r *http.Request, status int, res commands.Result) {
	if err := s.awaitPosition(r.Context(), res.Position, customerview.Projection); err != nil {
		writeJSON(w, status, map[string]any{"id": res.ID, "version": res.Version})
		return
	}
	c, err := s.CustomerViews.GetContact(r.Context(), s.customerScope(actorOf(r.Context())), res.ID)
	if err != nil {
		writeJSON(w, status, map[string]any{"id": res.ID, "version": res.Version})
		return
	}
	writeJSON(w, status, c)
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request) {
	var in ContactCreate
	err := decode(w, r, s.MaxBody, &in)
	c := customercmd.CreateContact{Fields: in.Fields, Primary: in.Primary}
	if err == nil && in.ID != "" {
		c.ID, err = parseUUID("id", in.ID)
	}
	if err == nil {
		c.CustomerID, err = parseUUID("customerId", in.CustomerID)
	}
	m, merr := s.meta(r)
	if err == nil {
		err = merr
	}
	var res commands.Result
	if err == nil {
		res, err = s.command(w, "contact.create", func() (commands.Result, error) { return s.Contacts.Create(r.Context(), m, c) })
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Location", "/api/v1/contacts/"+res.ID.String())
	s.contactResponse(w, r, http.StatusCreated, res)
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var cur *customerview.Contact
	if err == nil {
		cur, err = s.CustomerViews.GetContact(r.Context(), s.customerScope(actorOf(r.Context())), id)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	// PATCH: the changed fields are merged onto the current ones.
	f := contact.Fields{Name: cur.Name, Gender: cur.Gender, Title: cur.Title, OfficePhone: cur.OfficePhone, Mobile: cur.Mobile,
		Email: cur.Email, Fax: cur.Fax, Birthday: cur.Birthday, Remark: cur.Remark}
	if err := decode(w, r, s.MaxBody, &f); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	m, err := s.meta(r)
	var res commands.Result
	if err == nil {
		res, err = s.command(w, "contact.update", func() (commands.Result, error) { return s.Contacts.Update(r.Context(), m, id, f) })
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.contactResponse(w, r, http.StatusOK, res)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	m, merr := s.meta(r)
	if err == nil {
		err = merr
	}
	if err == nil {
		_, err = s.command(w, "contact.delete", func() (commands.Result, error) { return s.Contacts.Delete(r.Context(), m, id) })
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.waitFor(r, customerview.Projection)
	}
	var c *customerview.Contact
	if err == nil {
		c, err = s.CustomerViews.GetContact(r.Context(), s.customerScope(actorOf(r.Context())), id)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) searchContacts(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := customerview.ContactQuery{Scope: s.customerScope(actorOf(r.Context())), Q: v.Get("q"), Cursor: v.Get("cursor"), Sort: v.Get("sort")}
	var err error
	if l := v.Get("limit"); l != "" {
		n, perr := strconv.Atoi(l)
		if perr != nil || n < 1 || n > 500 {
			err = invalid("limit", "must be a number from 1 to 500")
		}
		q.Limit = n
	}
	if cid := v.Get("customerId"); cid != "" && err == nil {
		var id uuid.UUID
		id, err = parseUUID("customerId", cid)
		q.CustomerID = &id
	}
	if err == nil {
		err = s.waitFor(r, customerview.Projection)
	}
	var page readmodels.Page[*customerview.Contact]
	if err == nil {
		page, err = s.CustomerViews.SearchContacts(r.Context(), q)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) contactHistory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var events []commands.Change
	if err == nil {
		events, err = s.Contacts.History(r.Context(), actorOf(r.Context()), id)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": historyItems(events)})
}

type primaryBody struct {
	ContactID string `json:"contactId"`
}

func (s *Server) setPrimaryContact(w http.ResponseWriter, r *http.Request) {
	var in primaryBody
	s.customerCommand(w, r, "customer.set_primary_contact", &in, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		cid, err := parseUUID("contactId", in.ContactID)
		if err != nil {
			return commands.Result{}, err
		}
		return s.Contacts.SetPrimary(r.Context(), m, id, cid)
	})
}

// ConvertBody is the body of POST /api/v1/leads/{id}/convert.
type ConvertBody struct {
	Contact *contact.Fields `json:"contact"`
}

func (s *Server) convertLead(w http.ResponseWriter, r *http.Request) {
	id, err := parseUUID("id", mux.Vars(r)["id"])
	var in ConvertBody
	if err == nil && r.ContentLength != 0 {
		err = decode(w, r, s.MaxBody, &in)
	}
	m, merr := s.meta(r)
	if err == nil {
		err = merr
	}
	var out conversion.Converted
	if err == nil {
		_, err = s.command(w, "lead.convert", func() (commands.Result, error) {
			var cerr error
			out, cerr = s.Conversion.Convert(r.Context(), m, id, conversion.Convert{Contact: in.Contact})
			return out.Result, cerr
		})
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	body := map[string]any{"customerId": out.CustomerID, "leadId": id}
	if out.ContactID != uuid.Nil {
		body["contactId"] = out.ContactID
	}
	w.Header().Set("Location", "/api/v1/customers/"+out.CustomerID.String())
	writeJSON(w, http.StatusCreated, body)
}
