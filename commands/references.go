package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Related names a live record of a kind that the actor may read (the modules that link to
// records — tasks, schedules, work logs — get it from the wiring); ErrNotFound when there is none.
type Related interface {
	RelatedName(ctx context.Context, a access.Actor, kind string, id uuid.UUID) (string, error)
}

// Refs are what a record names outside itself: users who take part, and a related record (its
// kind, its id, and its name as it was when linked).
type Refs struct {
	Participants                        []string
	RelatedKind, RelatedID, RelatedName string
}

// CheckRefs checks the references of next that are new since before: each new participant is an
// active user, and a changed related record exists and the actor may read it. It returns the
// related record's name to keep (the new one's, the old one's when unchanged, "" when none), and
// the field errors joined (participants[i], relatedId unknown_related).
func CheckRefs(ctx context.Context, org access.Directory, related Related, a access.Actor, before, next Refs) (string, error) {
	var errs []error
	known := map[string]bool{}
	for _, p := range before.Participants {
		known[p] = true
	}
	for i, p := range next.Participants {
		if known[p] {
			continue
		}
		id, _ := uuid.Parse(p)
		if _, ok, err := org.Placement(ctx, id); err != nil {
			return "", err
		} else if !ok {
			errs = append(errs, field.Errorf(fmt.Sprintf("participants[%d]", i), "is not an active user"))
		}
	}
	name := ""
	switch {
	case next.RelatedID == "":
	case next.RelatedID != before.RelatedID || next.RelatedKind != before.RelatedKind:
		id, _ := uuid.Parse(next.RelatedID)
		n, err := related.RelatedName(ctx, a, next.RelatedKind, id)
		switch {
		case errors.Is(err, ErrNotFound):
			errs = append(errs, &field.Error{Field: "relatedId", Message: fmt.Sprintf("names no %s you can read", next.RelatedKind), Code: "unknown_related"})
		case err != nil:
			return "", err
		}
		name = n
	default:
		name = before.RelatedName
	}
	return name, errors.Join(errs...)
}
