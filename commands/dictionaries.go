package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Dictionary is the port through which the modules' commands check their coded fields against
// the data dictionary (dictcmd.Service implements it; the application wires it). A module never
// imports dictcmd: siblings go through ports.
type Dictionary interface {
	List(ctx context.Context, k dictionary.Kind) (*dictionary.List, error)
}

// DefaultDictionary is the dictionary before any change: every list's built-in items. Commands
// built without a dictionary check against it.
type DefaultDictionary struct{}

// List is the kind's built-in list.
func (DefaultDictionary) List(_ context.Context, k dictionary.Kind) (*dictionary.List, error) {
	return dictionary.New(k), nil
}

// Stable field error codes of the dictionary checks.
const (
	// CodeUnknownDictionaryValue: the value is neither the code nor a label of a usable (enabled)
	// item of the field's list.
	CodeUnknownDictionaryValue = "unknown_dictionary_value"
	// CodeNotASubIndustry: a sub-industry that is not a branch of the record's industry.
	CodeNotASubIndustry = "not_a_sub_industry"
)

// Coded is one coded field of a command: its API name, its list, and the value to check (a code
// or a label), which the check replaces with the item's code.
type Coded struct {
	Field string
	Kind  dictionary.Kind
	Value *string
}

// Lists loads each list once for one decision or one import batch; safe for concurrent use.
type Lists struct {
	Dict  Dictionary
	mu    sync.Mutex
	lists map[dictionary.Kind]*dictionary.List
}

// List loads a list (once).
func (ls *Lists) List(ctx context.Context, k dictionary.Kind) (*dictionary.List, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if l, ok := ls.lists[k]; ok {
		return l, nil
	}
	d := ls.Dict
	if d == nil {
		d = DefaultDictionary{}
	}
	l, err := d.List(ctx, k)
	if err != nil {
		return nil, err
	}
	if ls.lists == nil {
		ls.lists = map[dictionary.Kind]*dictionary.List{}
	}
	ls.lists[k] = l
	return l, nil
}

// Resolve checks coded fields for new values: each non-blank value must be the code or a label
// (Chinese, or English without case) of a usable item of its list, and is replaced by the item's
// code; blank values are trimmed to "". The problems are joined field errors
// (CodeUnknownDictionaryValue).
func (ls *Lists) Resolve(ctx context.Context, fields ...Coded) error {
	var errs []error
	for _, f := range fields {
		if f.Value == nil {
			continue
		}
		v := strings.TrimSpace(*f.Value)
		*f.Value = v
		if v == "" {
			continue
		}
		l, err := ls.List(ctx, f.Kind)
		if err != nil {
			return err
		}
		code, ok := l.Resolve(v)
		if !ok {
			errs = append(errs, UnknownDictionaryValue(f.Field, f.Kind, v, l))
			continue
		}
		*f.Value = code
	}
	return errors.Join(errs...)
}

// UnknownDictionaryValue is the field error of a value no usable item of the list has.
func UnknownDictionaryValue(name string, k dictionary.Kind, v string, l *dictionary.List) error {
	msg := fmt.Sprintf("%q is not an item of the %s dictionary", v, k)
	if it, ok := l.Item(v); ok && !l.Usable(it.Code) {
		msg = fmt.Sprintf("%q is disabled in the %s dictionary; choose an enabled item", v, k)
	}
	return &field.Error{Field: name, Message: msg, Code: CodeUnknownDictionaryValue}
}

// ResolveSubIndustry checks a sub-industry for a new value: the code or a label of a usable branch
// of industry (a code of the industry list); sub is replaced by the branch's code. With industry
// blank, any usable branch is accepted and industry is set to its sector. A blank sub is trimmed
// to "".
func (ls *Lists) ResolveSubIndustry(ctx context.Context, industry, sub *string) error {
	v := strings.TrimSpace(*sub)
	*sub = v
	if v == "" {
		return nil
	}
	l, err := ls.List(ctx, dictionary.Industry)
	if err != nil {
		return err
	}
	if *industry == "" {
		code, ok := l.Resolve(v)
		it, _ := l.Item(code)
		if !ok || it.Parent == "" {
			return UnknownDictionaryValue("subIndustry", dictionary.Industry, v, l)
		}
		*industry, *sub = it.Parent, code
		return nil
	}
	for _, it := range l.Items() { // the branches of industry first: two sectors may name a branch alike
		if it.Parent == *industry && l.Usable(it.Code) && (it.Code == v || it.Labels.ZH == v || strings.EqualFold(it.Labels.EN, v)) {
			*sub = it.Code
			return nil
		}
	}
	if code, ok := l.Resolve(v); ok {
		return &field.Error{Field: "subIndustry", Code: CodeNotASubIndustry,
			Message: fmt.Sprintf("%q is not a branch of the industry %q", code, *industry)}
	}
	return UnknownDictionaryValue("subIndustry", dictionary.Industry, v, l)
}
