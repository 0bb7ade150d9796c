package role_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/role"
)

func TestRoleRules(t *testing.T) {
	t.Parallel()
	by, at := uuid.New(), time.Now()
	if _, err := role.New("Bad Name", "", nil, role.ScopeSelf, false, false, by, at); err == nil {
		t.Fatal("a bad role name was accepted")
	}
	if _, err := role.New("clerk", "", []string{"leads.fly"}, role.ScopeSelf, false, false, by, at); err == nil {
		t.Fatal("an unknown permission was accepted")
	}
	r, err := role.New("clerk", "文员", []string{role.LeadsRead, role.LeadsRead, role.LeadsCreate}, role.ScopeDepartment, false, false, by, at)
	if err != nil {
		t.Fatal(err)
	}
	created := r.Changes()[0].(role.Created)
	if len(created.Permissions) != 2 || r.ID() != role.ID("clerk") || role.ID("CLERK") != role.ID("clerk") {
		t.Fatalf("created %+v", created)
	}
	wide := role.ScopeAll
	if err := r.Update(role.Change{DataScope: &wide}, by, at); err != nil || len(r.Changes()) != 2 {
		t.Fatalf("update: %v, %d events", err, len(r.Changes()))
	}
	if err := r.Update(role.Change{DataScope: &wide}, by, at); err != nil || len(r.Changes()) != 2 {
		t.Fatal("an update that changes nothing recorded an event")
	}
	if err := r.Delete(by, at); err != nil {
		t.Fatal(err)
	}
	admin, _ := role.New(role.Admin, "", role.Permissions, role.ScopeAll, true, false, by, at)
	if err := admin.Delete(by, at); !errors.Is(err, role.ErrBuiltIn) {
		t.Fatalf("deleting a built-in role: %v", err)
	}
	none := []string{role.LeadsRead}
	if err := admin.Update(role.Change{Permissions: &none}, by, at); !errors.Is(err, role.ErrLastAdminPerms) {
		t.Fatalf("the admin role lost users.manage: %v", err)
	}
	if !role.Wider(role.ScopeAll, role.ScopeSelf) || role.Wider(role.ScopeSelf, role.ScopeDepartment) {
		t.Fatal("scope order is wrong")
	}
}

func TestGrantNewPermissions(t *testing.T) {
	t.Parallel()
	by, at := uuid.New(), time.Now()
	old := role.Created{RoleID: role.ID("sales").String(), Name: "sales", Permissions: []string{role.LeadsRead},
		DataScope: role.ScopeSelf, BuiltIn: true, Catalogue: []string{role.LeadsRead, role.LeadsCreate}}
	r, err := role.Rehydrate(role.ID("sales"), []event.Event{old})
	if err != nil {
		t.Fatal(err)
	}
	r.GrantNew([]string{role.LeadsRead, role.LeadsCreate, role.CustomersRead}, by, at)
	up := r.Changes()[0].(role.Updated)
	// customers.read is new since the role was made: granted; leads.create was known and removed: stays removed.
	if len(up.Permissions) != 2 || up.Permissions[0] != role.CustomersRead {
		t.Fatalf("granted %v", up.Permissions)
	}
	r.GrantNew([]string{role.LeadsCreate}, by, at)
	if len(r.Changes()) != 1 {
		t.Fatal("a second grant with an up-to-date catalogue recorded an event")
	}
}
