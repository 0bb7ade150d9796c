package settings_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/settings"
)

func TestDefaultTimeZone(t *testing.T) {
	t.Parallel()
	by, at := uuid.New(), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	zone := func(s string) *string { return &s }
	cases := []struct {
		name    string
		given   []event.Event
		zone    string
		invalid bool
		records bool
	}{
		{name: "a zone is set", zone: "Europe/Berlin", records: true},
		{name: "the default again records nothing", zone: settings.DefaultTimeZone},
		{name: "the same zone again records nothing", given: []event.Event{settings.Changed{DefaultTimeZone: zone("UTC")}}, zone: "UTC"},
		{name: "unknown zone", zone: "Asia/Atlantis", invalid: true},
		{name: "Local", zone: "Local", invalid: true},
		{name: "empty", zone: "", invalid: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, _ := settings.Rehydrate(settings.ID, c.given)
			err := s.Update(settings.Change{DefaultTimeZone: zone(c.zone)}, by, at)
			var ve *settings.ValidationError
			if c.invalid != (errors.As(err, &ve) && ve.Field == "defaultTimeZone") {
				t.Fatalf("err = %v, invalid %v", err, c.invalid)
			}
			if got := len(s.Changes()) == 1; got != c.records {
				t.Fatalf("recorded %v, want %v", s.Changes(), c.records)
			}
			if c.records && *s.Changes()[0].(settings.Changed).DefaultTimeZone != c.zone {
				t.Fatalf("recorded %+v", s.Changes()[0])
			}
		})
	}
}
