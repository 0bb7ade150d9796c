package httpkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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

// TestCanceledRequests: a request whose client went away is answered 503 canceled (a 5xx, so an
// idempotency key is given back) and logged at debug level, whether its error is the
// cancellation or what a driver made of it; a cancellation from inside the server, the request
// still alive, is logged as an error. The metrics count the cancellation as "canceled".
func TestCanceledRequests(t *testing.T) {
	gone, hangUp := context.WithCancel(context.Background())
	hangUp()
	driverErr := errors.New("conn closed") // a driver's error that does not say why
	cases := []struct {
		name       string
		ctx        context.Context
		err        error
		status     int
		code       string
		debug, bad bool // logged at debug, logged as an error
	}{
		{"client gone, canceled", gone, fmt.Errorf("lead.create: append: %w", context.Canceled), 503, "canceled", true, false},
		{"client gone, driver error", gone, driverErr, 503, "canceled", true, false},
		{"client gone, rule error", gone, eventstore.ErrConcurrency, 409, "concurrency_conflict", false, false},
		{"canceled inside the server", context.Background(), context.Canceled, 503, "canceled", false, true},
		{"internal error", context.Background(), driverErr, 500, "internal", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var log bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			rec := httptest.NewRecorder()
			httpkit.WriteProblem(rec, httptest.NewRequest(http.MethodPost, "/api/v1/leads", nil).WithContext(c.ctx), logger, c.err)
			var p httpkit.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != c.status || p.Code != c.code {
				t.Fatalf("answered %d %s (%v), want %d %s", rec.Code, rec.Body.String(), err, c.status, c.code)
			}
			if c.status == 503 && rec.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			logged := log.String()
			if got := strings.Contains(logged, `level=DEBUG msg="request canceled"`); got != c.debug {
				t.Errorf("debug line %v, want %v: %q", got, c.debug, logged)
			}
			if got := strings.Contains(logged, "level=ERROR"); got != c.bad {
				t.Errorf("error line %v, want %v: %q", got, c.bad, logged)
			}
		})
	}
	if p := httpkit.ProblemFor(fmt.Errorf("lead.create: %w", context.Canceled)); p.Code != "canceled" {
		t.Errorf("a canceled command's outcome is %q, want canceled", p.Code)
	}
}
