package access

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// The access decisions; commands.ErrForbidden and commands.ErrNotFound are these same values.
var (
	ErrForbidden = errors.New("forbidden")
	ErrNotFound  = errors.New("not found")
)

// Directory tells where active users sit; it is served by the organisation read model
// (eventually consistent with the log, like every read).
type Directory interface {
	// Placement of an active user; ok is false for unknown or disabled users.
	Placement(ctx context.Context, id uuid.UUID) (p Placement, ok bool, err error)
}

// Rules are the rules every owned record follows (leads, customers): who sees it, who may
// change it, to whom it may be assigned.
type Rules struct {
	Org                Directory
	Read, Pool, Assign string // the record family's permissions
}

// Sees: the pool for those who work it; otherwise records whose owner is in the actor's data scope.
func (x Rules) Sees(ctx context.Context, a Actor, owner uuid.UUID) (bool, error) {
	if !a.Can(x.Read) {
		return false, nil
	}
	if owner == uuid.Nil {
		return a.Can(x.Pool) || a.Can(x.Assign), nil
	}
	p, _, err := x.Org.Placement(ctx, owner)
	if err != nil {
		return false, err
	}
	return a.Covers(owner, p), nil
}

// MayChange: records the actor cannot see (or that are deleted) are not found; without the
// function permission it is forbidden; pool records are changed only by those who assign.
func (x Rules) MayChange(ctx context.Context, a Actor, owner uuid.UUID, deleted bool, permission string) error {
	if deleted {
		return ErrNotFound
	}
	ok, err := x.Sees(ctx, a, owner)
	switch {
	case err != nil:
		return err
	case !ok:
		return ErrNotFound
	case !a.Can(permission):
		return ErrForbidden
	case owner == uuid.Nil && !a.Can(x.Assign):
		return fmt.Errorf("%w: pool records are changed by those who assign them", ErrForbidden)
	}
	return nil
}

// Assignable: the new owner is an active user inside the actor's data scope, and the actor may
// assign (only a superior assigns work to a subordinate).
func (x Rules) Assignable(ctx context.Context, a Actor, to uuid.UUID) error {
	if to == uuid.Nil {
		return &field.Error{Field: "ownerId", Message: "is required"}
	}
	if !a.Can(x.Assign) {
		return ErrForbidden
	}
	p, ok, err := x.Org.Placement(ctx, to)
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

// Delegate is whom a record the actor enters goes to: the actor (uuid.Nil or themselves), or a
// user Assignable by the actor. A refusal is an error on the named field: a field error of
// Assignable moves there, a forbidden choice becomes refusal (code outside_scope).
func (x Rules) Delegate(ctx context.Context, a Actor, to uuid.UUID, fieldName, refusal string) (uuid.UUID, error) {
	if to == uuid.Nil || to == a.ID {
		return a.ID, nil
	}
	if err := x.Assignable(ctx, a, to); err != nil {
		var fe *field.Error
		if errors.As(err, &fe) {
			fe.Field = fieldName
		}
		if errors.Is(err, ErrForbidden) {
			return uuid.Nil, &field.Error{Field: fieldName, Message: refusal, Code: "outside_scope"}
		}
		return uuid.Nil, err
	}
	return to, nil
}

// NewOwner is who owns a record the actor enters: nobody for the pool, else the requested owner
// (uuid.Nil: the actor), who must be assignable by the actor when it is someone else.
func (x Rules) NewOwner(ctx context.Context, a Actor, pool bool, requested uuid.UUID) (uuid.UUID, error) {
	switch {
	case pool:
		return uuid.Nil, nil
	case requested != uuid.Nil && requested != a.ID:
		if err := x.Assignable(ctx, a, requested); err != nil {
			return uuid.Nil, err
		}
		return requested, nil
	}
	return a.ID, nil
}
