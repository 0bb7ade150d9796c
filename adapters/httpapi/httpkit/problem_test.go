package httpkit_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// An append the event store refuses for its content is the client's problem, never a 500.
func TestEventStoreRefusalsAreClientErrors(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("lead.create: esdb: append to lead-1: %w", err) }
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{wrap(fmt.Errorf("%w (%d bytes)", eventstore.ErrAppendTooLarge, 2<<20)), http.StatusRequestEntityTooLarge, "event_too_large"},
		{wrap(errors.Join(eventstore.ErrInvalidEvent, errors.New("event data is not JSON"))), http.StatusUnprocessableEntity, "invalid_event"},
	}
	for _, c := range cases {
		p := httpkit.ProblemFor(c.err)
		if p.Status != c.status || p.Code != c.code {
			t.Errorf("%v: %d %s, want %d %s", c.err, p.Status, p.Code, c.status, c.code)
		}
	}
}
