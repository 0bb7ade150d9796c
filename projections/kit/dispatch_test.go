package kit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/kit"
)

type seen struct{ names []string }

func TestHandlersDispatchByEventType(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	h := kit.NewHandlers(
		kit.On(func(_ context.Context, s *seen, e lead.Claimed) error {
			s.names = append(s.names, "claimed by "+e.By)
			return nil
		}),
		kit.On(func(_ context.Context, s *seen, e lead.Released) error {
			s.names = append(s.names, "released")
			return boom
		}),
	)
	ctx, s := context.Background(), &seen{}
	if handled, err := h.Handle(ctx, s, lead.Claimed{By: "u1"}); !handled || err != nil {
		t.Fatalf("Claimed: handled %v, err %v", handled, err)
	}
	if handled, err := h.Handle(ctx, s, lead.Released{}); !handled || !errors.Is(err, boom) {
		t.Fatalf("Released: handled %v, err %v (want the handler's error)", handled, err)
	}
	if handled, err := h.Handle(ctx, s, lead.Assigned{}); handled || err != nil {
		t.Fatalf("Assigned has no handler: handled %v, err %v", handled, err)
	}
	if want := []string{"claimed by u1", "released"}; len(s.names) != 2 || s.names[0] != want[0] || s.names[1] != want[1] {
		t.Fatalf("handlers ran %v, want %v", s.names, want)
	}
	if !h.Handles(lead.Claimed{}.EventType()) || h.Handles(lead.Assigned{}.EventType()) {
		t.Fatal("Handles does not report the registered event types")
	}
}

func TestHandlersRefuseTwoHandlersForOneType(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("two handlers for lead.Claimed were accepted")
		}
	}()
	on := kit.On(func(context.Context, *seen, lead.Claimed) error { return nil })
	kit.NewHandlers(on, on)
}
