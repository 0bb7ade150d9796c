package contact_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/contact"
)

func ptr(s string) *string { return &s }

// A patch changes only the fields it names, on the contact's current state: an edit of the e-mail
// made after someone else changed the title keeps the new title.
func TestPatchChangesOnlyNamedFields(t *testing.T) {
	t.Parallel()
	id, customer, by := uuid.New(), uuid.New(), uuid.New()
	at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	c, err := contact.New(id, customer, contact.Fields{Name: "王伟", Title: "经理", Email: "wang@example.com"}, by, at)
	if err != nil {
		t.Fatal(err)
	}
	history := c.Changes()
	c, err = contact.Rehydrate(id, append(history, contact.Updated{ContactID: id.String(),
		Fields: contact.Fields{Name: "王伟", Title: "总经理", Email: "wang@example.com"}, By: by.String(), At: at}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Update(contact.Patch{Email: ptr(" wei.wang@example.com ")}, by, at); err != nil {
		t.Fatal(err)
	}
	if got := c.Fields(); got.Title != "总经理" || got.Email != "wei.wang@example.com" || got.Name != "王伟" {
		t.Fatalf("fields after the patch = %+v", got)
	}
	if n := len(c.Changes()); n != 1 {
		t.Fatalf("recorded %d events, want 1", n)
	}
	if err := c.Update(contact.Patch{Title: ptr("总经理")}, by, at); err != nil || len(c.Changes()) != 1 {
		t.Fatalf("an unchanged value recorded an event (err %v, %d events)", err, len(c.Changes()))
	}
	if err := c.Update(contact.Patch{Email: ptr("not an e-mail")}, by, at); err == nil {
		t.Fatal("an invalid e-mail was accepted")
	}
}
