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

func TestSMTP(t *testing.T) {
	t.Parallel()
	by, at := uuid.New(), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	good := settings.SMTP{Host: "smtp.example.com", Port: 587, TLS: settings.TLSStartTLS, Username: "crm", PasswordSealed: "v1:xx", From: "Chronicle <crm@example.com>"}
	cases := []struct {
		name  string
		edit  func(*settings.SMTP)
		field string
	}{
		{name: "valid", edit: func(*settings.SMTP) {}},
		{name: "no server at all", edit: func(s *settings.SMTP) { *s = settings.SMTP{} }},
		{name: "bad port", edit: func(s *settings.SMTP) { s.Port = 70000 }, field: "smtp.port"},
		{name: "bad tls", edit: func(s *settings.SMTP) { s.TLS = "ssl" }, field: "smtp.tls"},
		{name: "bad host", edit: func(s *settings.SMTP) { s.Host = "smtp.example.com:25" }, field: "smtp.host"},
		{name: "bad from", edit: func(s *settings.SMTP) { s.From = "not an address" }, field: "smtp.from"},
		{name: "header injection", edit: func(s *settings.SMTP) { s.From = "a@example.com\r\nBcc: x@example.com" }, field: "smtp.from"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := good
			c.edit(&m)
			s := settings.New()
			err := s.Update(settings.Change{SMTP: &m}, by, at)
			var ve *settings.ValidationError
			if c.field != "" {
				if !errors.As(err, &ve) || ve.Field != c.field {
					t.Fatalf("err = %v, want a refusal on %s", err, c.field)
				}
				if len(s.Changes()) != 0 {
					t.Fatal("a refused change recorded an event")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m == (settings.SMTP{}) {
				if len(s.Changes()) != 0 {
					t.Fatal("the unchanged (empty) server recorded an event")
				}
				return
			}
			if s.SMTP() != m || len(s.Changes()) != 1 {
				t.Fatalf("smtp %+v changes %v", s.SMTP(), s.Changes())
			}
			// The same again records nothing.
			if err := s.Update(settings.Change{SMTP: &m}, by, at); err != nil || len(s.Changes()) != 1 {
				t.Fatalf("same again: %v %v", err, s.Changes())
			}
		})
	}
}
