package user_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/user"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	id, by, at := uuid.New(), uuid.New(), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, username, display string
		roles                   []string
		hash                    string
		field                   string
	}{
		{"bad username", "a", "A", []string{"sales"}, "h", "username"},
		{"spaces in username", "zhang wei", "", []string{"sales"}, "h", "username"},
		{"no role", "zhang", "", nil, "h", "roles"},
		{"bad role name", "zhang", "", []string{"Root!"}, "h", "roles"},
		{"no password", "zhang", "", []string{"sales"}, "", "password"},
	}
	for _, c := range cases {
		_, err := user.New(id, c.username, c.display, c.roles, c.hash, by, at)
		var ve *user.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%s: err = %v, want a validation error on %s", c.name, err, c.field)
		}
	}
	u, err := user.New(id, " zhang.wei ", "", []string{"sales", "sales", "manager"}, "hash", by, at)
	if err != nil {
		t.Fatal(err)
	}
	created := u.Changes()[0].(user.Created)
	if created.Username != "zhang.wei" || created.DisplayName != "zhang.wei" || len(created.Roles) != 2 {
		t.Fatalf("created = %+v", created)
	}
	if _, hasHash := u.Snapshot()["passwordHash"]; hasHash {
		t.Fatal("the snapshot shows the password hash")
	}
	r := event.NewRegistry()
	user.Register(r)
	back, err := user.Rehydrate(id, []event.Event{created})
	if err != nil || back.Username() != "zhang.wei" || back.Version() != 1 {
		t.Fatalf("rehydrate: %v %v", back, err)
	}
}
