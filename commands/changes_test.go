package commands

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// FieldChanges folds a stream once for all its events, keeps the last Keep streams, answers
// nothing for kinds it does not know, and a stream that fails to fold once.
func TestFieldChanges(t *testing.T) {
	folds := map[uuid.UUID]int{}
	broken := uuid.New()
	history := func(_ context.Context, id uuid.UUID) ([]Change, error) {
		folds[id]++
		if id == broken {
			return nil, errors.New("undecodable")
		}
		return []Change{
			{Event: eventstore.Event{Version: 1}, Changes: []event.Change{{Field: "name", To: "a"}}},
			{Event: eventstore.Event{Version: 2}},
		}, nil
	}
	f := NewFieldChanges(map[string]HistoryFunc{"lead": history}, 2)
	ctx := context.Background()
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	ch, ok, err := f.Of(ctx, "lead-"+a.String(), 1)
	if err != nil || !ok || len(ch) != 1 || ch[0].Field != "name" {
		t.Fatalf("%v %v %v", ch, ok, err)
	}
	if ch, ok, _ := f.Of(ctx, "lead-"+a.String(), 2); !ok || ch == nil || len(ch) != 0 {
		t.Errorf("version 2: %v %v", ch, ok)
	}
	if _, ok, _ := f.Of(ctx, "lead-"+a.String(), 3); ok {
		t.Error("a version the stream does not have")
	}
	if _, ok, _ := f.Of(ctx, "user-"+a.String(), 1); ok {
		t.Error("a kind it does not know")
	}
	if _, ok, _ := f.Of(ctx, "lead-notauuid", 1); ok {
		t.Error("a stream id that is no record's")
	}
	f.Of(ctx, "lead-"+b.String(), 1)
	f.Of(ctx, "lead-"+a.String(), 1) // kept
	f.Of(ctx, "lead-"+c.String(), 1) // a dropped, the oldest
	f.Of(ctx, "lead-"+a.String(), 1)
	if folds[a] != 2 || folds[b] != 1 || folds[c] != 1 {
		t.Errorf("folds %v", folds)
	}
	if _, _, err := f.Of(ctx, "lead-"+broken.String(), 1); err == nil {
		t.Error("no error for a stream that does not fold")
	}
	if _, ok, err := f.Of(ctx, "lead-"+broken.String(), 2); ok || err != nil || folds[broken] != 1 {
		t.Errorf("the broken stream again: %v %v %d", ok, err, folds[broken])
	}
}
