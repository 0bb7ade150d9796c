package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
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
	Name           Opt[string] `json:"name"`
	Company        Opt[string] `json:"company"`
	Phone          Opt[string] `json:"phone"`
	Mobile         Opt[string] `json:"mobile"`
	Email          Opt[string] `json:"email"`
	Source         Opt[string] `json:"source"`
	Industry       Opt[string] `json:"industry"`
	Level          Opt[string] `json:"level"`
	Address        Opt[string] `json:"address"`
	Remark         Opt[string] `json:"remark"`
	NextFollowUpAt Opt[string] `json:"nextFollowUpAt"`
	Status         Opt[string] `json:"status"`
}

// ToCommand validates the wire form into a command (exported for the fuzz test).
func (in LeadCreate) ToCommand() (leadcmd.Create, error) {
	c := leadcmd.Create{Pool: in.Pool, Fields: lead.Fields{Name: in.Name, Company: in.Company, Phone: in.Phone,
		Mobile: in.Mobile, Email: in.Email, Source: in.Source, Industry: in.Industry, Level: in.Level, Address: in.Address, Remark: in.Remark}}
	var err error
	if in.ID != "" {
		if c.ID, err = parseUUID("id", in.ID); err != nil {
			return c, err
		}
	}
	if in.OwnerID != "" {
		if in.Pool {
			return c, invalid("ownerId", "a pool lead has no owner; send pool or ownerId, not both")
		}
		if c.OwnerID, err = parseUUID("ownerId", in.OwnerID); err != nil {
			return c, err
		}
	}
	if in.NextFollowUpAt != nil && *in.NextFollowUpAt != "" {
		t, err := parseTime("nextFollowUpAt", *in.NextFollowUpAt)
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
	text := func(o Opt[string]) *string {
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
			t, err := parseTime("nextFollowUpAt", in.NextFollowUpAt.Value)
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
		return p, invalid("(body)", "name at least one field to change")
	}
	return p, nil
}

// scopeOf is the lead scope of an actor: their data scope, plus the pool for those who work it.
func scopeOf(a access.Actor) readmodels.Scope {
	s := readmodels.ScopeOf(a, a.Can(role.LeadsPool) || a.Can(role.LeadsAssign))
	s.None = !a.Can(role.LeadsRead)
	return s
}

func pathID(r *http.Request) (uuid.UUID, error) { return parseUUID("id", mux.Vars(r)["id"]) }

// leadResponse answers a lead command with the record's read view, once the lead projection
// has caught up with the command (read-your-writes).
func (s *Server) leadResponse(w http.ResponseWriter, r *http.Request, status int, res commands.Result) {
	if err := s.awaitPosition(r.Context(), res.Position, leadview.Projection); err != nil {
		writeJSON(w, status, map[string]any{"id": res.ID, "version": res.Version})
		return
	}
	l, err := s.LeadViews.Get(r.Context(), scopeOf(actorOf(r.Context())), res.ID)
	if errors.Is(err, readmodels.ErrNotFound) {
		// The command took the lead out of the actor's sight (assigned to someone else).
		writeJSON(w, status, map[string]any{"id": res.ID, "version": res.Version})
		return
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, status, l)
}

func (s *Server) createLead(w http.ResponseWriter, r *http.Request) {
	var in LeadCreate
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	c, err := in.ToCommand()
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	m, err := s.meta(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	res, err := s.command(w, "lead.create", func() (commands.Result, error) { return s.Leads.Create(r.Context(), m, c) })
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Location", "/api/v1/leads/"+res.ID.String())
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK // idempotent create: the same id and body again
	}
	s.leadResponse(w, r, status, res)
}

func (s *Server) updateLead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var in LeadPatch
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	p, err := in.ToPatch()
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.leadCommand(w, r, id, "lead.update", func(m commands.Meta) (commands.Result, error) { return s.Leads.Update(r.Context(), m, id, p) })
}

type assignBody struct {
	OwnerID string `json:"ownerId"`
}

func (s *Server) assignLead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var in assignBody
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	to, err := parseUUID("ownerId", in.OwnerID)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.leadCommand(w, r, id, "lead.assign", func(m commands.Meta) (commands.Result, error) { return s.Leads.Assign(r.Context(), m, id, to) })
}

func (s *Server) claimLead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if r.ContentLength > 0 {
		var empty struct{}
		if err := decode(w, r, s.MaxBody, &empty); err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
	}
	s.leadCommand(w, r, id, "lead.claim", func(m commands.Meta) (commands.Result, error) { return s.Leads.Claim(r.Context(), m, id) })
}

type releaseBody struct {
	Reason string `json:"reason"`
}

func (s *Server) releaseLead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	var in releaseBody
	if err := decode(w, r, s.MaxBody, &in); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.leadCommand(w, r, id, "lead.release", func(m commands.Meta) (commands.Result, error) { return s.Leads.Release(r.Context(), m, id, in.Reason) })
}

func (s *Server) deleteLead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	m, err := s.meta(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if _, err := s.command(w, "lead.delete", func() (commands.Result, error) { return s.Leads.Delete(r.Context(), m, id) }); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) leadCommand(w http.ResponseWriter, r *http.Request, id uuid.UUID, name string, run func(commands.Meta) (commands.Result, error)) {
	m, err := s.meta(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	res, err := s.command(w, name, func() (commands.Result, error) { return run(m) })
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	s.leadResponse(w, r, http.StatusOK, res)
}

func (s *Server) getLead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	actor := actorOf(r.Context())
	if asOf := r.URL.Query().Get("asOf"); asOf != "" {
		t, err := parseTime("asOf", asOf)
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		snap, err := s.Leads.AsOf(r.Context(), actor, id, t)
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		writeJSON(w, http.StatusOK, snap)
		return
	}
	if err := s.waitFor(r, leadview.Projection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	l, err := s.LeadViews.Get(r.Context(), scopeOf(actor), id)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	w.Header().Set("ETag", strconv.FormatInt(l.Version, 10))
	writeJSON(w, http.StatusOK, l)
}

// LeadQueryFromURL parses the search parameters of GET /api/v1/leads.
func LeadQueryFromURL(v map[string][]string, scope readmodels.Scope) (leadview.Query, error) {
	get := func(k string) string {
		if len(v[k]) > 0 {
			return v[k][0]
		}
		return ""
	}
	q := leadview.Query{Scope: scope, Q: get("q"), Source: get("source"), Sort: get("sort"), Cursor: get("cursor")}
	for _, st := range v["status"] {
		for _, one := range strings.Split(st, ",") {
			if one = strings.TrimSpace(one); one != "" {
				switch lead.Status(one) {
				case lead.StatusNew, lead.StatusFollowing, lead.StatusInvalid, lead.StatusConverted:
				default:
					return q, invalid("status", "must be new, following, invalid or converted; got %q", one)
				}
				q.Status = append(q.Status, one)
			}
		}
	}
	if o := get("ownerId"); o != "" {
		id, err := parseUUID("ownerId", o)
		if err != nil {
			return q, err
		}
		q.OwnerID = &id
	}
	if p := get("pool"); p != "" {
		b, err := strconv.ParseBool(p)
		if err != nil {
			return q, invalid("pool", "must be true or false")
		}
		q.Pool = &b
	}
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return q, invalid("limit", "must be a number from 1 to 500")
		}
		q.Limit = n
	}
	return q, nil
}

func (s *Server) searchLeads(w http.ResponseWriter, r *http.Request) {
	q, err := LeadQueryFromURL(r.URL.Query(), scopeOf(actorOf(r.Context())))
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if err := s.waitFor(r, leadview.Projection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	page, err := s.LeadViews.Search(r.Context(), q)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// HistoryEntry is one event of a record's history.
type HistoryEntry struct {
	Position   uint64         `json:"position"`
	Version    int64          `json:"version"`
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurredAt"`
	Actor      actorView      `json:"actor"`
	Changes    any            `json:"changes"`
	Data       any            `json:"data"`
	Metadata   map[string]any `json:"metadata"`
}

type actorView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (s *Server) leadHistory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	events, err := s.Leads.History(r.Context(), actorOf(r.Context()), id)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": historyItems(events)})
}
