package commands

import (
	"context"
	"reflect"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/event"
)

// InvolvingRoot is an aggregate that belongs to people rather than to a pool (a task, a schedule
// entry): it knows who is involved in it and whether it was deleted.
type InvolvingRoot interface {
	Root
	Deleted() bool
	Involves(user uuid.UUID) bool
}

// Involving is the reading rule such records share: those involved read them; anyone else reads
// them with the family's read permission when their data scope covers the holder (the assignee,
// the calendar's owner). A deleted record, or one the actor may not read, is not found.
type Involving[A InvolvingRoot] struct {
	Repo   *Repository[A]
	Rules  access.Rules
	Holder func(A) uuid.UUID
}

// Visible tells whether the actor may read the record (nil) or not (ErrNotFound).
func (x Involving[A]) Visible(ctx context.Context, a access.Actor, r A) error {
	if r.Involves(a.ID) {
		return nil
	}
	ok, err := x.Rules.Sees(ctx, a, x.Holder(r))
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// Load reads a live record the actor may read.
func (x Involving[A]) Load(ctx context.Context, a access.Actor, id uuid.UUID) (Loaded[A], error) {
	l, err := x.Repo.Load(ctx, id)
	if err != nil {
		return l, err
	}
	if l.Root.Deleted() {
		return l, ErrNotFound
	}
	if err := x.Visible(ctx, a, l.Root); err != nil {
		return l, err
	}
	return l, nil
}

// Edit runs a behaviour on a live record the actor may read.
func (x Involving[A]) Edit(ctx context.Context, m Meta, id uuid.UUID, change func(A) error) (Result, error) {
	return x.Repo.Update(ctx, m, id, func(r A) error {
		if r.Deleted() {
			return ErrNotFound
		}
		if err := x.Visible(ctx, m.Actor, r); err != nil {
			return err
		}
		return change(r)
	})
}

// SameCreation is CreateOrMatch's comparison for a creation event of type E: a retried create
// matches the first when the two events are equal but for their time (a struct field At).
func SameCreation[E event.Event](existing, proposed event.Event) bool {
	a, ok1 := existing.(E)
	b, ok2 := proposed.(E)
	return ok1 && ok2 && reflect.DeepEqual(withoutAt(a), withoutAt(b))
}

// withoutAt is e with its field At, if it is a struct that has one, set to the zero value.
func withoutAt[E any](e E) E {
	v := reflect.ValueOf(&e).Elem()
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("At"); f.IsValid() && f.CanSet() {
			f.SetZero()
		}
	}
	return e
}
