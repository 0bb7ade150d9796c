package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/followup"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// followUpRoutes registers follow-ups, record timelines and the "returning to the pool" list.
func (s *Server) followUpRoutes(a func(path string, h http.HandlerFunc, method string)) {
	a("/followups", s.recordFollowUp, http.MethodPost)
	a("/followups", s.listFollowUps, http.MethodGet)
	a("/customers/{id}/timeline", s.customerTimeline, http.MethodGet)
	a("/leads/{id}/timeline", s.leadTimeline, http.MethodGet)
	a("/pool/returning", s.returningCustomers, http.MethodGet)
}

// FollowUpCreate is the body of POST /api/v1/followups.
type FollowUpCreate struct {
	Subject        string  `json:"subject"` // lead:<id> | customer:<id> | contact:<id>
	Type           string  `json:"type"`    // call | visit | email | meeting | other
	Content        string  `json:"content"`
	At             *string `json:"at"`
	NextFollowUpAt *string `json:"nextFollowUpAt"`
}

func (s *Server) recordFollowUp(w http.ResponseWriter, r *http.Request) {
	var in FollowUpCreate
	err := decode(w, r, s.MaxBody, &in)
	var f followup.Record
	if err == nil {
		f.Subject, err = followup.ParseSubject(in.Subject)
	}
	f.Type, f.Content = in.Type, in.Content
	if err == nil && in.At != nil && *in.At != "" {
		f.At, err = parseTime("at", *in.At)
	}
	if err == nil && in.NextFollowUpAt != nil && *in.NextFollowUpAt != "" {
		var t time.Time
		t, err = parseTime("nextFollowUpAt", *in.NextFollowUpAt)
		f.NextFollowUpAt = &t
	}
	m, merr := s.meta(r)
	if err == nil {
		err = merr
	}
	var res commands.Result
	if err == nil {
		res, err = s.command(w, "followup.record", func() (commands.Result, error) {
			return followup.Service{Leads: s.Leads, Customers: s.Customers, Clock: s.Clock}.Record(r.Context(), m, f)
		})
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	projection := customerview.Projection
	if f.Subject.Kind == "lead" {
		projection = leadview.Projection
	}
	if err := s.awaitPosition(r.Context(), res.Position, projection); err != nil {
		writeJSON(w, http.StatusCreated, map[string]any{"id": res.ID})
		return
	}
	list, err := s.FollowUps(r.Context(), f.Subject.Kind, f.Subject.ID, 500)
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	for _, one := range list {
		if one.ID == res.ID {
			writeJSON(w, http.StatusCreated, one)
			return
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": res.ID})
}

// visibleSubject answers 404 unless the reader may see the subject.
func (s *Server) visibleSubject(r *http.Request, sub followup.Subject) error {
	a := actorOf(r.Context())
	var err error
	switch sub.Kind {
	case "lead":
		_, err = s.LeadViews.Get(r.Context(), scopeOf(a), sub.ID)
	case "customer":
		_, err = s.CustomerViews.Get(r.Context(), s.customerScope(a), sub.ID)
	default:
		_, err = s.CustomerViews.GetContact(r.Context(), s.customerScope(a), sub.ID)
	}
	return err
}

func (s *Server) listFollowUps(w http.ResponseWriter, r *http.Request) {
	sub, err := followup.ParseSubject(r.URL.Query().Get("subject"))
	if err == nil {
		err = s.waitFor(r, leadview.Projection, customerview.Projection)
	}
	if err == nil {
		err = s.visibleSubject(r, sub)
	}
	var list []readmodels.FollowUp
	if err == nil {
		list, err = s.FollowUps(r.Context(), sub.Kind, sub.ID, 500)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list, "total": len(list), "nextCursor": ""})
}

// timeline merges a record's follow-ups and changes, newest first: every follow-up is an event
// of the record's own stream, so the history is the timeline.
func timeline(events []commands.Change) []map[string]any {
	out := make([]map[string]any, 0, len(events))
	for _, e := range slices.Backward(events) {
		h := historyEntry(e.Event)
		h.Changes = e.Changes
		kind := "change"
		if e.Event.Type == (customer.FollowedUp{}).EventType() || e.Event.Type == "lead.followed_up.v1" {
			kind = "followUp"
		}
		out = append(out, map[string]any{"kind": kind, "entry": h})
	}
	return out
}

func (s *Server) customerTimeline(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var events []commands.Change
	if err == nil {
		events, err = s.Customers.History(r.Context(), actorOf(r.Context()), id)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": timeline(events)})
}

func (s *Server) leadTimeline(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var events []commands.Change
	if err == nil {
		events, err = s.Leads.History(r.Context(), actorOf(r.Context()), id)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": timeline(events)})
}

// returningCustomers lists the reader's own customers that the pool rules will return within
// ?days= (default 7), soonest first, with the rule and the date.
func (s *Server) returningCustomers(w http.ResponseWriter, r *http.Request) {
	days := 7
	if d := r.URL.Query().Get("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 3650 {
			writeProblem(w, r, s.Logger, invalid("days", "must be a number of days from 0 to 3650"))
			return
		}
		days = n
	}
	a := actorOf(r.Context())
	pool, err := s.OrgViews.CustomerPool(r.Context())
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	type item struct {
		Customer *customerview.Customer `json:"customer"`
		Rule     string                 `json:"rule"`
		ReturnAt time.Time              `json:"returnAt"`
		DaysLeft int                    `json:"daysLeft"`
	}
	items := []item{}
	now := s.Clock()
	horizon := now.AddDate(0, 0, days)
	cursor := ""
	me := a.ID
	for {
		page, err := s.CustomerViews.Search(r.Context(), customerview.Query{Scope: readmodels.Scope{UserID: a.ID}, OwnerID: &me, Limit: 500, Cursor: cursor, Sort: "createdAt"})
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		for _, c := range page.Items {
			st := customer.Standing{Level: c.Level, Status: customer.Status(c.Status), Locked: c.Locked}
			if c.ClaimedAt != nil {
				st.ClaimedAt = *c.ClaimedAt
			}
			if c.LastFollowUpAt != nil {
				st.LastFollowUpAt = *c.LastFollowUpAt
			}
			rule, at, _ := customer.DueAt(pool.Rules, now, st)
			if rule != "" && !at.After(horizon) {
				items = append(items, item{Customer: c, Rule: rule, ReturnAt: at, DaysLeft: max(0, int(at.Sub(now).Hours()/24))})
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	slices.SortFunc(items, func(x, y item) int { return x.ReturnAt.Compare(y.ReturnAt) })
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items), "nextCursor": ""})
}
