package leadcmd

import (
	"context"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// ImportID is the id an import gives a lead: name, company and mobile (else phone) digits.
func ImportID(name, company, mobile, phone string) uuid.UUID {
	tel := field.Digits(mobile)
	if tel == "" {
		tel = field.Digits(phone)
	}
	return commands.ImportID("lead", commands.ImportKey(name), commands.ImportKey(company), tel)
}

// ImportRow is one lead of an import batch.
type ImportRow struct {
	Fields lead.Fields
}

// Import enters leads owned by the actor (leads.import).
func (h *Service) Import(ctx context.Context, m commands.Meta, rows []ImportRow, o commands.ImportOptions) ([]commands.ImportResult, error) {
	m.Command = commands.LeadImport
	if !m.Actor.Can(role.LeadsImport) {
		return nil, commands.ErrForbidden
	}
	now := h.clock()
	lists := &commands.Lists{Dict: h.dict} // the lists as the batch starts
	return commands.CreateEach(ctx, m, h.repo, len(rows), o, func(i int) (uuid.UUID, *lead.Lead, error) {
		f := rows[i].Fields
		id := ImportID(f.Name, f.Company, f.Mobile, f.Phone)
		if err := h.resolveFields(ctx, lists, &f); err != nil { // a label or a code; an unknown value fails the row
			return id, nil, err
		}
		l, err := lead.New(id, f, m.Actor.ID, m.Actor.ID, now)
		return id, l, err
	}, commands.SameCreated(func(e event.Event) (any, bool) {
		l, ok := e.(lead.Created)
		return struct {
			Owner, By string
			Fields    lead.Fields
		}{l.OwnerID, l.By, l.Fields}, ok
	})), nil
}
