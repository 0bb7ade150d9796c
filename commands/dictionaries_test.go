package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/field"
)

func fieldErr(t *testing.T, err error, name, code string) {
	t.Helper()
	var fe *field.Error
	if !errors.As(err, &fe) || fe.Field != name || fe.Code != code {
		t.Fatalf("err = %v, want a %s error on %s", err, code, name)
	}
}

// Resolve takes a code, a Chinese label or an English label (any case) of a usable item and
// stores the code; an unknown value is a field error with a stable code; blanks are left blank.
func TestListsResolve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ls := commands.Lists{} // the built-in lists
	src, ind, lvl, blank := "展会", "MACHINERY", "B", "  "
	if err := ls.Resolve(ctx,
		commands.Coded{Field: "source", Kind: dictionary.LeadSource, Value: &src},
		commands.Coded{Field: "industry", Kind: dictionary.Industry, Value: &ind},
		commands.Coded{Field: "level", Kind: dictionary.CustomerLevel, Value: &lvl},
		commands.Coded{Field: "remark", Kind: dictionary.LeadSource, Value: &blank},
	); err != nil {
		t.Fatal(err)
	}
	if src != "exhibition" || ind != "manufacturing.machinery" || lvl != "B" || blank != "" {
		t.Fatalf("resolved %q %q %q %q", src, ind, lvl, blank)
	}
	bad := "地推"
	fieldErr(t, ls.Resolve(ctx, commands.Coded{Field: "source", Kind: dictionary.LeadSource, Value: &bad}), "source", commands.CodeUnknownDictionaryValue)
	if bad != "地推" {
		t.Fatalf("an unknown value was changed to %q", bad)
	}
}

// A sub-industry is a branch of the industry, by code or label (the industry's branches first);
// without an industry its sector is taken.
func TestListsResolveSubIndustry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ls := commands.Lists{}
	ind, sub := "manufacturing", "化工"
	if err := ls.ResolveSubIndustry(ctx, &ind, &sub); err != nil || sub != "manufacturing.chemicals" {
		t.Fatalf("%v %q", err, sub)
	}
	ind, sub = "", "Software"
	if err := ls.ResolveSubIndustry(ctx, &ind, &sub); err != nil || ind != "internet" || sub != "internet.software" {
		t.Fatalf("%v %q %q", err, ind, sub)
	}
	ind, sub = "manufacturing", "软件"
	fieldErr(t, ls.ResolveSubIndustry(ctx, &ind, &sub), "subIndustry", commands.CodeNotASubIndustry)
	ind, sub = "manufacturing", "机床"
	fieldErr(t, ls.ResolveSubIndustry(ctx, &ind, &sub), "subIndustry", commands.CodeUnknownDictionaryValue)
}
