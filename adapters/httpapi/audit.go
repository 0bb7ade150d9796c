package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
)

// historyItems is the history response of a record: its events with field-level changes.
func historyItems(events []commands.Change) []HistoryEntry {
	items := make([]HistoryEntry, len(events))
	for i, e := range events {
		items[i] = historyEntry(e.Event)
		items[i].Changes = e.Changes
	}
	return items
}

func historyEntry(e eventstore.Event) HistoryEntry {
	var data any
	_ = json.Unmarshal(auditview.Redact(e.Data), &data)
	m := e.Metadata
	return HistoryEntry{Position: e.Position, Version: e.Version, Type: e.Type, OccurredAt: e.OccurredAt,
		Actor: actorView{ID: m.ActorID, Name: m.ActorName}, Data: data,
		Metadata: map[string]any{"command": m.Command, "correlationId": m.CorrelationID, "causationId": m.CausationID,
			"requestId": m.RequestID, "clientAddr": m.ClientAddr, "eventId": e.ID.String(), "streamId": e.StreamID}}
}

// auditEvents serves the operation log to administrators (data scopes widen this later).
func (s *Server) auditEvents(w http.ResponseWriter, r *http.Request) {
	if !actorOf(r.Context()).Can(role.AuditRead) {
		writeProblem(w, r, s.Logger, errForbidden)
		return
	}
	v := r.URL.Query()
	q := auditview.Query{Scope: readmodels.ScopeOf(actorOf(r.Context()), false), ActorID: v.Get("actor"), Type: v.Get("type"),
		StreamID: v.Get("stream"), StreamKind: v.Get("kind"), Cursor: v.Get("cursor"), Desc: v.Get("order") == "desc"}
	if d := v.Get("department"); d != "" {
		id, err := parseUUID("department", d)
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		q.Department = id
	}
	if o := v.Get("order"); o != "" && o != "asc" && o != "desc" {
		writeProblem(w, r, s.Logger, invalid("order", "must be asc or desc"))
		return
	}
	if q.ActorID != "" {
		if _, err := parseUUID("actor", q.ActorID); err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
	}
	if from := v.Get("from"); from != "" {
		t, err := parseTime("from", from)
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		q.From = &t
	}
	if to := v.Get("to"); to != "" {
		t, err := parseTime("to", to)
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		q.To = &t
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			writeProblem(w, r, s.Logger, invalid("limit", "must be a number from 1 to 500"))
			return
		}
		q.Limit = n
	}
	if err := s.waitFor(r, auditview.Projection); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	page, err := s.AuditViews.Search(r.Context(), q)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) listProjections(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r.Context())
	if !a.Can(role.ProjectionsManage) && !a.Can(role.AuditRead) {
		writeProblem(w, r, s.Logger, errForbidden)
		return
	}
	st, err := s.Engine.Status(r.Context())
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": st})
}

func (s *Server) rebuildProjection(w http.ResponseWriter, r *http.Request) {
	if !actorOf(r.Context()).Can(role.ProjectionsManage) {
		writeProblem(w, r, s.Logger, errForbidden)
		return
	}
	name := mux.Vars(r)["name"]
	gen, err := s.Engine.Rebuild(r.Context(), name)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"name": name, "generation": gen, "state": "rebuilding"})
}

func (s *Server) resumeProjection(w http.ResponseWriter, r *http.Request) {
	if !actorOf(r.Context()).Can(role.ProjectionsManage) {
		writeProblem(w, r, s.Logger, errForbidden)
		return
	}
	name := mux.Vars(r)["name"]
	if !s.Engine.Resume(name) {
		writeProblem(w, r, s.Logger, &badRequest{status: http.StatusConflict, code: "not_parked", detail: "projection " + name + " is not parked"})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"name": name, "state": "resuming"})
}
