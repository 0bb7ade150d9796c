package httpkit

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
)

// HistoryEntry is one event of a record's history.
type HistoryEntry struct {
	Position   uint64         `json:"position"`
	Version    int64          `json:"version"`
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurredAt"`
	Actor      ActorView      `json:"actor"`
	Changes    any            `json:"changes"`
	Data       any            `json:"data"`
	Metadata   map[string]any `json:"metadata"`
}

// ActorView is who did something.
type ActorView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// HistoryItems is the history of a record: its events with field-level changes.
func HistoryItems(events []commands.Change) []HistoryEntry {
	items := make([]HistoryEntry, len(events))
	for i, e := range events {
		items[i] = HistoryOf(e.Event)
		items[i].Changes = e.Changes
	}
	return items
}

// HistoryOf is the history entry of one event (its data redacted).
func HistoryOf(e eventstore.Event) HistoryEntry {
	var data any
	_ = json.Unmarshal(auditview.Redact(e.Data), &data)
	m := e.Metadata
	return HistoryEntry{Position: e.Position, Version: e.Version, Type: e.Type, OccurredAt: e.OccurredAt,
		Actor: ActorView{ID: m.ActorID, Name: m.ActorName}, Data: data,
		Metadata: map[string]any{"command": m.Command, "correlationId": m.CorrelationID, "causationId": m.CausationID,
			"requestId": m.RequestID, "clientAddr": m.ClientAddr, "eventId": e.ID.String(), "streamId": e.StreamID}}
}

// History answers GET <collection>/{id}/history from a module's history loader; shape turns the
// events into the answer's items.
func History[T any](load func(ctx context.Context, a access.Actor, id uuid.UUID) ([]commands.Change, error), shape func([]commands.Change) []T) Handler {
	return func(r *http.Request) (Reply, error) {
		id, err := PathID(r)
		if err != nil {
			return Reply{}, err
		}
		events, err := load(r.Context(), ActorOf(r.Context()), id)
		if err != nil {
			return Reply{}, err
		}
		return OK(map[string]any{"items": shape(events)}), nil
	}
}
