package customercmd

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Merge folds the duplicate source into target: the source is marked merged (it leaves every list
// and accepts no commands), the target takes over its follow-up time and, if it had no owner, its
// owner; the source's contacts move to the target. Both histories stay. Each step is idempotent,
// so an interrupted merge is finished by repeating it.
func (h *Service) Merge(ctx context.Context, m commands.Meta, target, source uuid.UUID) (commands.Result, error) {
	m.Command = commands.CustomerMerge
	if target == source {
		return commands.Result{}, customer.ErrMergeSelf
	}
	cs := h
	if err := cs.visible(ctx, m.Actor, target); err != nil {
		return commands.Result{}, err
	}
	src, err := cs.repo.Load(ctx, source)
	if err != nil {
		return commands.Result{}, &field.Error{Field: "sourceId", Message: "no such customer"}
	}
	if src.Root.MergedInto() != target.String() {
		if err := cs.rules.MayChange(ctx, m.Actor, src.Root.Owner(), src.Root.Deleted(), role.CustomersDelete); err != nil {
			if errors.Is(err, commands.ErrNotFound) {
				return commands.Result{}, &field.Error{Field: "sourceId", Message: "no such customer"}
			}
			return commands.Result{}, err
		}
	}
	if _, err := cs.repo.Update(ctx, m, source, func(c *customer.Customer) error { return c.MergeInto(target, m.Actor.ID, h.clock()) }); err != nil {
		return commands.Result{}, err
	}
	src, err = cs.repo.Load(ctx, source)
	if err != nil {
		return commands.Result{}, err
	}
	res, err := cs.Edit(ctx, m, target, role.CustomersUpdate, func(c *customer.Customer) error { return c.Absorb(src.Root, m.Actor.ID, h.clock()) })
	if err != nil {
		return commands.Result{}, err
	}
	ids, err := cs.dir.ContactsOf(ctx, source)
	if err != nil {
		return commands.Result{}, err
	}
	mc := m
	mc.Command = commands.ContactMove
	for _, id := range ids {
		r, err := h.contacts.Update(ctx, mc, id, func(c *contact.Contact) error { return c.MoveTo(target, m.Actor.ID, h.clock()) })
		if err != nil && !errors.Is(err, contact.ErrDeleted) {
			return commands.Result{}, err
		}
		res.Position = max(res.Position, r.Position)
	}
	return res, nil
}
