package department_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
)

func TestDepartmentBehaviours(t *testing.T) {
	t.Parallel()
	root, child, grandchild, other := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	by, at := uuid.New(), time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	given := []event.Event{department.Created{DepartmentID: child.String(), Name: "华北组", ParentID: root.String()}}
	cases := []struct {
		name    string
		when    func(*department.Department) error
		then    int // events recorded
		wantErr error
	}{
		{"rename", func(d *department.Department) error { return d.Rename("华北大区", by, at) }, 1, nil},
		{"rename to the same name", func(d *department.Department) error { return d.Rename(" 华北组 ", by, at) }, 0, nil},
		{"rename to nothing", func(d *department.Department) error { return d.Rename(" ", by, at) }, 0, &department.ValidationError{}},
		{"move under another", func(d *department.Department) error { return d.Move(other, []uuid.UUID{root, other}, by, at) }, 1, nil},
		{"move to the top", func(d *department.Department) error { return d.Move(uuid.Nil, nil, by, at) }, 1, nil},
		{"move under itself", func(d *department.Department) error { return d.Move(child, nil, by, at) }, 0, department.ErrCycle},
		{"move under its own child", func(d *department.Department) error {
			return d.Move(grandchild, []uuid.UUID{root, child, grandchild}, by, at)
		}, 0, department.ErrCycle},
		{"move to the same parent", func(d *department.Department) error { return d.Move(root, nil, by, at) }, 0, nil},
		{"disable", func(d *department.Department) error { return d.Disable(by, at) }, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d, err := department.Rehydrate(child, given)
			if err != nil {
				t.Fatal(err)
			}
			err = c.when(d)
			var ve *department.ValidationError
			switch {
			case errors.As(c.wantErr, &ve):
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a validation error", err)
				}
			case !errors.Is(err, c.wantErr):
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if n := len(d.Changes()); n != c.then {
				t.Fatalf("recorded %d events, want %d", n, c.then)
			}
		})
	}
}
