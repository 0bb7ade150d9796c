package followupapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/followup"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
)

// FollowUpCreate is the body of POST /api/v1/followups.
type FollowUpCreate struct {
	Subject        string  `json:"subject"` // lead:<id> | customer:<id> | contact:<id>
	Type           string  `json:"type"`    // call | visit | email | meeting | other
	Content        string  `json:"content"`
	At             *string `json:"at"`
	NextFollowUpAt *string `json:"nextFollowUpAt"`
}

func (a api) record(r *http.Request) (httpkit.Reply, error) {
	var in FollowUpCreate
	err := a.Kit.Decode(r, &in)
	var f followup.Record
	if err == nil {
		f.Subject, err = followup.ParseSubject(in.Subject)
	}
	f.Type, f.Content = in.Type, in.Content
	if err == nil && in.At != nil && *in.At != "" {
		f.At, err = httpkit.ParseTime("at", *in.At)
	}
	if err == nil && in.NextFollowUpAt != nil && *in.NextFollowUpAt != "" {
		var t time.Time
		t, err = httpkit.ParseTime("nextFollowUpAt", *in.NextFollowUpAt)
		f.NextFollowUpAt = &t
	}
	m, merr := httpkit.Meta(r)
	if err == nil {
		err = merr
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	res, err := a.FollowUps.Record(r.Context(), m, f)
	if err != nil {
		return httpkit.Reply{}, err
	}
	projection := customerview.Projection
	switch f.Subject.Kind {
	case "lead":
		projection = leadview.Projection
	case "opportunity":
		projection = opportunityview.Projection
	}
	ack := httpkit.Committed(httpkit.JSON(http.StatusAccepted, map[string]any{"id": res.ID}), res) // recorded; its view is not shown
	if err := a.Kit.Await(r.Context(), res.Position, projection); err != nil {
		return ack, nil
	}
	list, err := a.followUps(r.Context(), f.Subject.Kind, f.Subject.ID, 500)
	if err != nil {
		return httpkit.Reply{}, err
	}
	for _, one := range list {
		if one.ID == res.ID {
			return httpkit.Committed(httpkit.JSON(http.StatusCreated, one), res), nil
		}
	}
	return ack, nil
}

// visibleSubject answers 404 unless the reader may see the subject.
func (a api) visibleSubject(r *http.Request, sub followup.Subject) error {
	actor := httpkit.ActorOf(r.Context())
	var err error
	switch sub.Kind {
	case "lead":
		_, err = a.LeadViews.Get(r.Context(), leadview.ScopeFor(actor), sub.ID)
	case "customer":
		_, err = a.CustomerViews.Get(r.Context(), customerview.ScopeFor(actor), sub.ID)
	case "opportunity":
		_, err = a.OppViews.Get(r.Context(), opportunityview.ReaderOf(actor), sub.ID)
	default:
		_, err = a.CustomerViews.GetContact(r.Context(), customerview.ScopeFor(actor), sub.ID)
	}
	return err
}

func (a api) list(r *http.Request) (httpkit.Reply, error) {
	sub, err := followup.ParseSubject(r.URL.Query().Get("subject"))
	if err == nil {
		err = a.Kit.WaitFor(r, leadview.Projection, customerview.Projection, opportunityview.Projection)
	}
	if err == nil {
		err = a.visibleSubject(r, sub)
	}
	var list []readmodels.FollowUp
	if err == nil {
		list, err = a.followUps(r.Context(), sub.Kind, sub.ID, 500)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(httpkit.All(list)), nil
}

// timelineEntry is one entry of a record's timeline.
type timelineEntry struct {
	Entry httpkit.HistoryEntry `json:"entry"`
	Kind  string               `json:"kind"` // followUp | change
}

// timeline merges a record's follow-ups and changes, newest first: every follow-up is an event
// of the record's own stream, so the history is the timeline.
func timeline(events []commands.Change) []timelineEntry {
	out := make([]timelineEntry, 0, len(events))
	for _, e := range slices.Backward(events) {
		h := httpkit.HistoryOf(e.Event)
		h.Changes = e.Changes
		kind := "change"
		if e.Event.Type == (customer.FollowedUp{}).EventType() || e.Event.Type == "lead.followed_up.v1" || e.Event.Type == "opportunity.followed_up.v1" {
			kind = "followUp"
		}
		out = append(out, timelineEntry{Entry: h, Kind: kind})
	}
	return out
}

// followUps lists the follow-ups of a lead (from the lead view) or of a customer or contact (from
// the customer view), newest first.
func (a api) followUps(ctx context.Context, kind string, id uuid.UUID, limit int) ([]readmodels.FollowUp, error) {
	switch kind {
	case "lead":
		return a.LeadViews.FollowUps(ctx, id, limit)
	case "opportunity":
		return a.OppViews.FollowUps(ctx, id, limit)
	}
	return a.CustomerViews.FollowUps(ctx, kind, id, limit)
}
