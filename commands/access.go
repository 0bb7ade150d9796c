package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// access holds the rules every owned record follows (leads, customers): who sees it, who may
// change it, to whom it may be assigned.
type access struct {
	org                OrgDirectory
	read, pool, assign string // the record family's permissions
}

// sees: the pool for those who work it; otherwise records whose owner is in the actor's data scope.
func (x access) sees(ctx context.Context, a Actor, owner uuid.UUID) (bool, error) {
	if !a.Can(x.read) {
		return false, nil
	}
	if owner == uuid.Nil {
		return a.Can(x.pool) || a.Can(x.assign), nil
	}
	p, _, err := x.org.Placement(ctx, owner)
	if err != nil {
		return false, err
	}
	return a.Covers(owner, p), nil
}

// mayChange: records the actor cannot see (or that are deleted) are not found; without the
// function permission it is forbidden; pool records are changed only by those who assign.
func (x access) mayChange(ctx context.Context, a Actor, owner uuid.UUID, deleted bool, permission string) error {
	if deleted {
		return ErrNotFound
	}
	ok, err := x.sees(ctx, a, owner)
	switch {
	case err != nil:
		return err
	case !ok:
		return ErrNotFound
	case !a.Can(permission):
		return ErrForbidden
	case owner == uuid.Nil && !a.Can(x.assign):
		return fmt.Errorf("%w: pool records are changed by those who assign them", ErrForbidden)
	}
	return nil
}

// assignable: the new owner is an active user inside the actor's data scope, and the actor may
// assign (only a superior assigns work to a subordinate).
func (x access) assignable(ctx context.Context, a Actor, to uuid.UUID) error {
	if to == uuid.Nil {
		return &field.Error{Field: "ownerId", Message: "is required"}
	}
	if !a.Can(x.assign) {
		return ErrForbidden
	}
	p, ok, err := x.org.Placement(ctx, to)
	if err != nil {
		return err
	}
	if !ok {
		return &field.Error{Field: "ownerId", Message: "is not an active user"}
	}
	if !a.Covers(to, p) {
		return fmt.Errorf("%w: the new owner is outside your data scope", ErrForbidden)
	}
	return nil
}
