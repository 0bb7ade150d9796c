package leadcmd

import (
	"context"
	"strings"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/lead"
)

// The coded fields of a lead and their lists. A lead's level uses the customer levels (it
// becomes the customer's level on conversion); its industry may be a sector or a branch.
func codedFields(source, industry, level *string) []commands.Coded {
	return []commands.Coded{
		{Field: "source", Kind: dictionary.LeadSource, Value: source},
		{Field: "industry", Kind: dictionary.Industry, Value: industry},
		{Field: "level", Kind: dictionary.CustomerLevel, Value: level},
	}
}

// resolveFields checks a new lead's coded fields (a code or a label of a usable item) and stores
// the codes.
func (h *Service) resolveFields(ctx context.Context, ls *commands.Lists, f *lead.Fields) error {
	return ls.Resolve(ctx, codedFields(&f.Source, &f.Industry, &f.Level)...)
}

// resolvePatch checks the coded fields a patch changes. A field the patch leaves as it is (absent,
// or the value the lead holds) is not checked: a lead keeps a value stored before the dictionary
// existed, or an item disabled since, while other fields change.
func (h *Service) resolvePatch(ctx context.Context, cur lead.Fields, p *lead.Patch) error {
	changed := func(v *string, old string) *string {
		if v == nil || strings.TrimSpace(*v) == old {
			return nil
		}
		c := *v
		return &c
	}
	src, ind, lvl := changed(p.Source, cur.Source), changed(p.Industry, cur.Industry), changed(p.Level, cur.Level)
	ls := commands.Lists{Dict: h.dict}
	if err := ls.Resolve(ctx, codedFields(src, ind, lvl)...); err != nil {
		return err
	}
	for _, f := range []struct{ dst, v **string }{{&p.Source, &src}, {&p.Industry, &ind}, {&p.Level, &lvl}} {
		if *f.v != nil {
			*f.dst = *f.v
		}
	}
	return nil
}
