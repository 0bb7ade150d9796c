package customercmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// WithDictionary makes the commands check the coded fields (level, industry and sub-industry,
// source, nature, classification) against the data dictionary d; without it they check against
// the built-in lists.
func (h *Service) WithDictionary(d commands.Dictionary) *Service {
	h.dict = d
	return h
}

// The one-level coded fields of a customer and their lists. A customer's source uses the lead
// sources (a converted lead's source becomes the customer's).
func codedFields(f *customer.Fields) []commands.Coded {
	return []commands.Coded{
		{Field: "level", Kind: dictionary.CustomerLevel, Value: &f.Level},
		{Field: "source", Kind: dictionary.LeadSource, Value: &f.Source},
		{Field: "nature", Kind: dictionary.BusinessNature, Value: &f.Nature},
		{Field: "classification", Kind: dictionary.CustomerClass, Value: &f.Classification},
	}
}

// resolveFields checks a new customer's coded fields (a code or a label of a usable item) and
// stores the codes.
func resolveFields(ctx context.Context, ls *commands.Lists, f *customer.Fields) error {
	if err := ls.Resolve(ctx, codedFields(f)...); err != nil {
		return err
	}
	return resolveIndustries(ctx, ls, &f.Industry, &f.SubIndustry, true, f.SubIndustry != "")
}

// resolvePatch checks the coded fields a patch changes. A field the patch leaves as it is (absent,
// or the value the customer holds) is not checked: a customer keeps a value stored before the
// dictionary existed, or an item disabled since, while other fields change.
func resolvePatch(ctx context.Context, ls *commands.Lists, cur customer.Fields, p *customer.Patch) error {
	changed := func(v *string, old string) bool { return v != nil && strings.TrimSpace(*v) != old }
	next := customer.Fields{}
	var coded []commands.Coded
	for i, c := range codedFields(&next) {
		dst := []**string{&p.Level, &p.Source, &p.Nature, &p.Classification}[i]
		old := *codedFields(&cur)[i].Value
		if changed(*dst, old) {
			*c.Value = **dst
			coded = append(coded, c)
		}
	}
	if err := ls.Resolve(ctx, coded...); err != nil {
		return err
	}
	for i, dst := range []**string{&p.Level, &p.Source, &p.Nature, &p.Classification} {
		if changed(*dst, *codedFields(&cur)[i].Value) {
			v := *codedFields(&next)[i].Value
			*dst = &v
		}
	}
	indCh, subCh := changed(p.Industry, cur.Industry), changed(p.SubIndustry, cur.SubIndustry)
	if !indCh && !subCh {
		return nil
	}
	ind, sub := cur.Industry, cur.SubIndustry
	if indCh {
		ind = *p.Industry
	}
	if subCh {
		sub = *p.SubIndustry
	}
	if err := resolveIndustries(ctx, ls, &ind, &sub, indCh, subCh); err != nil {
		return err
	}
	if ind != cur.Industry {
		p.Industry = &ind
	}
	if sub != cur.SubIndustry {
		p.SubIndustry = &sub
	}
	return nil
}

// resolveIndustries checks an industry and its sub-industry, each when new (indNew, subNew): the
// industry is a sector of the industry list (a branch given as the industry means its sector, and
// the branch becomes the sub-industry unless one is given); the sub-industry is a branch of the
// industry, new or held (a held one under a new industry must be its branch, or be cleared).
func resolveIndustries(ctx context.Context, ls *commands.Lists, ind, sub *string, indNew, subNew bool) error {
	l, err := ls.List(ctx, dictionary.Industry)
	if err != nil {
		return err
	}
	if indNew {
		*ind = strings.TrimSpace(*ind)
		if *ind != "" {
			code, ok := l.Resolve(*ind)
			if !ok {
				return commands.UnknownDictionaryValue("industry", dictionary.Industry, *ind, l)
			}
			if it, _ := l.Item(code); it.Parent != "" {
				code = it.Parent
				if !subNew || strings.TrimSpace(*sub) == "" {
					*ind, *sub = code, it.Code
					return nil
				}
			}
			*ind = code
		}
	}
	if subNew {
		return ls.ResolveSubIndustry(ctx, ind, sub)
	}
	if *sub != "" {
		if it, ok := l.Item(*sub); !ok || it.Parent != *ind {
			return &field.Error{Field: "subIndustry", Code: commands.CodeNotASubIndustry,
				Message: fmt.Sprintf("%q is not a branch of the industry %q; choose one of its branches or clear it", *sub, *ind)}
		}
	}
	return nil
}
