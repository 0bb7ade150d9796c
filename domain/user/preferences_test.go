package user_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/user"
)

func ptr(s string) *string { return &s }

func prefsChanged(lang, zone *string) event.Event {
	return user.PreferencesChanged{UserID: secID.String(), Language: lang, TimeZone: zone, At: secAt}
}

func TestChangePreferences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		given  []event.Event
		change user.PreferencesChange
		field  []string // validation errors on these fields
		then   []event.Event
		after  user.Preferences
	}{
		{name: "both chosen", given: []event.Event{created()},
			change: user.PreferencesChange{Language: ptr("en"), TimeZone: ptr("America/New_York")},
			then:   []event.Event{prefsChanged(ptr("en"), ptr("America/New_York"))},
			after:  user.Preferences{Language: "en", TimeZone: "America/New_York"}},
		{name: "language alone", given: []event.Event{created(), prefsChanged(nil, ptr("Europe/Berlin"))},
			change: user.PreferencesChange{Language: ptr("zh-CN")},
			then:   []event.Event{prefsChanged(ptr("zh-CN"), nil)},
			after:  user.Preferences{Language: "zh-CN", TimeZone: "Europe/Berlin"}},
		{name: "the same again records nothing", given: []event.Event{created(), prefsChanged(ptr("en"), ptr("UTC"))},
			change: user.PreferencesChange{Language: ptr("en"), TimeZone: ptr("UTC")},
			after:  user.Preferences{Language: "en", TimeZone: "UTC"}},
		{name: "nothing asked records nothing", given: []event.Event{created()}},
		{name: "empty returns to the default", given: []event.Event{created(), prefsChanged(ptr("en"), ptr("UTC"))},
			change: user.PreferencesChange{TimeZone: ptr("")},
			then:   []event.Event{prefsChanged(nil, ptr(""))},
			after:  user.Preferences{Language: "en"}},
		{name: "unknown language", given: []event.Event{created()}, change: user.PreferencesChange{Language: ptr("fr")}, field: []string{"language"}},
		{name: "language by another spelling", given: []event.Event{created()}, change: user.PreferencesChange{Language: ptr("zh-cn")}, field: []string{"language"}},
		{name: "unknown zone", given: []event.Event{created()}, change: user.PreferencesChange{TimeZone: ptr("Mars/Olympus_Mons")}, field: []string{"timeZone"}},
		{name: "Local is no zone", given: []event.Event{created()}, change: user.PreferencesChange{TimeZone: ptr("Local")}, field: []string{"timeZone"}},
		{name: "a path is no zone", given: []event.Event{created()}, change: user.PreferencesChange{TimeZone: ptr("../../etc/passwd")}, field: []string{"timeZone"}},
		{name: "both wrong: both reported, nothing recorded", given: []event.Event{created()},
			change: user.PreferencesChange{Language: ptr("de"), TimeZone: ptr("Nowhere")}, field: []string{"language", "timeZone"}},
		{name: "a good language with a bad zone records nothing", given: []event.Event{created()},
			change: user.PreferencesChange{Language: ptr("en"), TimeZone: ptr("+08:00")}, field: []string{"timeZone"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			u, err := user.Rehydrate(secID, c.given)
			if err != nil {
				t.Fatal(err)
			}
			err = u.ChangePreferences(c.change, secAt)
			for _, f := range c.field {
				if !hasFieldError(err, f) {
					t.Errorf("err = %v, want a validation error on %s", err, f)
				}
			}
			if len(c.field) == 0 && err != nil {
				t.Fatal(err)
			}
			if got := u.Changes(); !reflect.DeepEqual(got, c.then) && (len(got) != 0 || len(c.then) != 0) {
				t.Fatalf("recorded %#v, want %#v", got, c.then)
			}
			if len(c.field) == 0 {
				if got := u.Preferences(); !reflect.DeepEqual(got, c.after) {
					t.Fatalf("preferences %+v, want %+v", got, c.after)
				}
			}
		})
	}
}

func hasFieldError(err error, field string) bool {
	var ve *user.ValidationError
	if errors.As(err, &ve) && ve.Field == field {
		return true
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if hasFieldError(e, field) {
				return true
			}
		}
	}
	return false
}

// A user's own preferences, like sign-ins, do not make an administrator's edit form stale.
func TestPreferencesDoNotMoveEditVersion(t *testing.T) {
	t.Parallel()
	u, err := user.Rehydrate(secID, []event.Event{created(), prefsChanged(ptr("en"), nil), prefsChanged(nil, ptr("UTC"))})
	if err != nil {
		t.Fatal(err)
	}
	if u.Version() != 3 || u.EditVersion() != 1 {
		t.Fatalf("version %d, edit version %d; want 3 and 1", u.Version(), u.EditVersion())
	}
	if user.MovesEditVersion(user.PreferencesChanged{}) || user.MovesEditVersion(user.SignedIn{}) || !user.MovesEditVersion(user.Updated{}) {
		t.Fatal("MovesEditVersion: preferences and sign-ins must not move it, an edit must")
	}
}

// The event round-trips through the registry under its versioned name; an omitted field stays
// unchanged and an empty one is a return to the default.
func TestPreferencesChangedDecodes(t *testing.T) {
	t.Parallel()
	r := event.NewRegistry()
	user.Register(r)
	body, _ := json.Marshal(prefsChanged(nil, ptr("")))
	d, err := r.Decode("user.preferences_changed.v1", body)
	if err != nil {
		t.Fatal(err)
	}
	got := d.(user.PreferencesChanged)
	if got.Language != nil || got.TimeZone == nil || *got.TimeZone != "" {
		t.Fatalf("decoded %+v", got)
	}
}

func TestParseTimeZone(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"Asia/Shanghai", "America/New_York", "UTC", "Europe/London", "Asia/Kolkata"} {
		if z, err := user.ParseTimeZone("timeZone", ok); err != nil || z != ok {
			t.Errorf("%s: %q %v", ok, z, err)
		}
	}
	for _, bad := range []string{"", "Local", "local", "Asia/Nowhere", "/etc/localtime", "Asia/Shanghai\x00", string(make([]byte, 65))} {
		if _, err := user.ParseTimeZone("timeZone", bad); !hasFieldError(err, "timeZone") {
			t.Errorf("%q: err = %v, want a validation error", bad, err)
		}
	}
}

func TestMailPreferences(t *testing.T) {
	t.Parallel()
	u, err := user.Rehydrate(secID, []event.Event{created()})
	if err != nil {
		t.Fatal(err)
	}
	if p := u.Preferences(); !p.WantsMail("task_assigned") || p.WantsMail("task_done") || p.MailKindsChosen {
		t.Fatalf("defaults: %+v", p)
	}
	for _, bad := range []user.PreferencesChange{
		{Email: ptr("not an address")}, {Email: ptr("Name <a@example.com>")}, {Email: ptr("a@example.com\r\nBcc: b@example.com")},
		{MailKinds: &[]string{"task_assigned", "no_such_kind"}},
	} {
		if err := u.ChangePreferences(bad, secAt); err == nil {
			t.Fatalf("accepted %+v", bad)
		}
	}
	if len(u.Changes()) != 0 {
		t.Fatal("a refused change recorded an event")
	}
	kinds := []string{"task_done", "task_assigned", "task_done"}
	if err := u.ChangePreferences(user.PreferencesChange{Email: ptr(" ann@example.com "), MailKinds: &kinds}, secAt); err != nil {
		t.Fatal(err)
	}
	p := u.Preferences()
	if p.Email != "ann@example.com" || !reflect.DeepEqual(p.MailKinds, []string{"task_assigned", "task_done"}) || !p.WantsMail("task_done") || p.WantsMail("task_overdue") {
		t.Fatalf("after: %+v", p)
	}
	// Opting out of everything is a choice, not the defaults.
	if err := u.ChangePreferences(user.PreferencesChange{MailKinds: &[]string{}}, secAt); err != nil {
		t.Fatal(err)
	}
	if p := u.Preferences(); !p.MailKindsChosen || p.WantsMail("task_assigned") {
		t.Fatalf("opted out: %+v", p)
	}
	// The same again records nothing; the event round-trips through JSON.
	n := len(u.Changes())
	if err := u.ChangePreferences(user.PreferencesChange{Email: ptr("ann@example.com"), MailKinds: &[]string{}}, secAt); err != nil || len(u.Changes()) != n {
		t.Fatalf("same again: %v %d", err, len(u.Changes()))
	}
	b, _ := json.Marshal(u.Changes()[0])
	var back user.PreferencesChanged
	if err := json.Unmarshal(b, &back); err != nil || *back.Email != "ann@example.com" {
		t.Fatalf("%s %v", b, err)
	}
}
