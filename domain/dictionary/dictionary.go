// Package dictionary holds the data dictionary: the pick lists administrators edit (lead sources,
// industries, customer levels, lost reasons, units, payment methods…). Each list (a Kind) is one
// aggregate and one stream. An item has a stable code (what records store), a Chinese and an
// English label, a place in its list and an enabled flag; an item is never deleted, only disabled
// (records that hold its code keep showing its label). Industries have two levels.
//
// Every list starts with built-in items (Defaults): its state before any event. The built-ins are
// part of the history's meaning and never change; new defaults would be new events.
package dictionary

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Kind names a list.
type Kind string

// The lists.
const (
	LeadSource        Kind = "lead_source"
	Industry          Kind = "industry" // two levels: sectors and their branches
	CustomerLevel     Kind = "customer_level"
	CustomerClass     Kind = "customer_class"
	BusinessNature    Kind = "business_nature"
	OpportunitySource Kind = "opportunity_source"
	LostReason        Kind = "lost_reason"
	ProductUnit       Kind = "product_unit"
	PaymentMethod     Kind = "payment_method"
	ContractType      Kind = "contract_type"
)

// Kinds lists every list, in the order clients show them.
var Kinds = []Kind{LeadSource, Industry, CustomerLevel, CustomerClass, BusinessNature, OpportunitySource, LostReason,
	ProductUnit, PaymentMethod, ContractType}

// ParseKind checks a list name.
func ParseKind(s string) (Kind, error) {
	if slices.Contains(Kinds, Kind(s)) {
		return Kind(s), nil
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", field.Errorf("kind", "must be one of %s; got %q", strings.Join(names, ", "), s)
}

// Levels is how deep a list's items nest: 2 for industries, 1 for the others.
func (k Kind) Levels() int {
	if k == Industry {
		return 2
	}
	return 1
}

// StreamPrefix is the kind of the dictionary streams.
const StreamPrefix = "dictionary"

var namespace = uuid.MustParse("6f1c2a90-3b1e-5d7a-9c55-0d1c7e2f4a10")

// ID is a list's aggregate id (derived from its name).
func ID(k Kind) uuid.UUID { return uuid.NewSHA1(namespace, []byte(k)) }

// Stream is the stream of the list with this id.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Labels are an item's names.
type Labels struct {
	ZH string `json:"zh-CN"`
	EN string `json:"en"`
}

// Item is one entry of a list.
type Item struct {
	Code    string `json:"code"`
	Parent  string `json:"parent,omitempty"` // industries: the sector of a branch
	Labels  Labels `json:"labels"`
	Enabled bool   `json:"enabled"`
}

// Errors.
var (
	ErrUnknownItem = errors.New("no such item in the list")
	ErrDuplicate   = errors.New("an item with this code exists in the list")
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$`)

// ParseCode checks a code: 1 to 40 letters, digits, '_', '.', '-', starting with a
// letter or digit.
func ParseCode(name, s string) (string, error) {
	if !codePattern.MatchString(s) {
		return "", field.Errorf(name, "must be 1 to 40 of A-Z, a-z, 0-9, '_', '.', '-', starting with a letter or digit; got %q", s)
	}
	return s, nil
}

// Validate checks labels: a Chinese label is required, an English one optional (clients fall
// back to the Chinese), each at most 50 characters.
func (l Labels) Validate() error {
	l.ZH, l.EN = strings.TrimSpace(l.ZH), strings.TrimSpace(l.EN)
	return errors.Join(field.Required("labels.zh-CN", l.ZH), field.Text("labels.zh-CN", l.ZH, 50), field.Text("labels.en", l.EN, 50))
}

func (l Labels) trimmed() Labels {
	return Labels{ZH: strings.TrimSpace(l.ZH), EN: strings.TrimSpace(l.EN)}
}

// Events. Each names its list's kind so the log reads on its own.
type (
	// ItemAdded: a new item at the end of its siblings.
	ItemAdded struct {
		Kind   Kind      `json:"kind"`
		Code   string    `json:"code"`
		Parent string    `json:"parent,omitempty"`
		Labels Labels    `json:"labels"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	// ItemRelabeled: new labels.
	ItemRelabeled struct {
		Kind   Kind      `json:"kind"`
		Code   string    `json:"code"`
		Labels Labels    `json:"labels"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	// ItemDisabled: no longer offered for new values; records holding it keep it.
	ItemDisabled struct {
		Kind Kind      `json:"kind"`
		Code string    `json:"code"`
		By   string    `json:"by"`
		At   time.Time `json:"at"`
	}
	// ItemEnabled: offered again.
	ItemEnabled struct {
		Kind Kind      `json:"kind"`
		Code string    `json:"code"`
		By   string    `json:"by"`
		At   time.Time `json:"at"`
	}
	// Reordered: the order of the items under Parent ("" the top level).
	Reordered struct {
		Kind   Kind      `json:"kind"`
		Parent string    `json:"parent,omitempty"`
		Codes  []string  `json:"codes"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
)

func (ItemAdded) EventType() string     { return "dictionary.item_added.v1" }
func (ItemRelabeled) EventType() string { return "dictionary.item_relabeled.v1" }
func (ItemDisabled) EventType() string  { return "dictionary.item_disabled.v1" }
func (ItemEnabled) EventType() string   { return "dictionary.item_enabled.v1" }
func (Reordered) EventType() string     { return "dictionary.reordered.v1" }

// Register adds the dictionary events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &ItemAdded{} })
	r.Register(func() event.Event { return &ItemRelabeled{} })
	r.Register(func() event.Event { return &ItemDisabled{} })
	r.Register(func() event.Event { return &ItemEnabled{} })
	r.Register(func() event.Event { return &Reordered{} })
}

// List is the aggregate: one list's items in order (parents before their children, siblings in
// their order).
type List struct {
	event.Root
	kind  Kind
	items []Item
}

// New is a list before any event: its built-in items.
func New(k Kind) *List {
	return &List{kind: k, items: slices.Clone(Defaults[k])}
}

// Rehydrate rebuilds a list from its history; the id names the kind.
func Rehydrate(id uuid.UUID, history []event.Event) (*List, error) {
	for _, k := range Kinds {
		if ID(k) == id {
			l := New(k)
			l.Replay(l.apply, history, nil)
			return l, nil
		}
	}
	return nil, fmt.Errorf("dictionary: no list has id %s", id)
}

// Kind is the list's kind.
func (l *List) Kind() Kind { return l.kind }

// Items returns the items in order.
func (l *List) Items() []Item { return slices.Clone(l.items) }

// Item finds an item by code.
func (l *List) Item(code string) (Item, bool) {
	i := l.index(code)
	if i < 0 {
		return Item{}, false
	}
	return l.items[i], true
}

func (l *List) index(code string) int {
	return slices.IndexFunc(l.items, func(it Item) bool { return it.Code == code })
}

// Usable reports whether new records may take the code: the item exists, is enabled, and so is
// its parent.
func (l *List) Usable(code string) bool {
	it, ok := l.Item(code)
	if !ok || !it.Enabled {
		return false
	}
	if it.Parent != "" {
		return l.Usable(it.Parent)
	}
	return true
}

// Resolve finds the item a user's input means: its code, or its Chinese or English label
// (English case-insensitively), among the usable items. Imports and forms accept either.
func (l *List) Resolve(input string) (string, bool) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", false
	}
	if l.Usable(s) {
		return s, true
	}
	for _, it := range l.items {
		if (it.Labels.ZH == s || strings.EqualFold(it.Labels.EN, s)) && l.Usable(it.Code) {
			return it.Code, true
		}
	}
	return "", false
}

// Add appends an item under parent ("" the top level).
func (l *List) Add(code, parent string, labels Labels, by uuid.UUID, at time.Time) error {
	code, err := ParseCode("code", code)
	if err != nil {
		return err
	}
	if err := labels.Validate(); err != nil {
		return err
	}
	if parent != "" {
		if l.kind.Levels() < 2 {
			return field.Errorf("parent", "the %s list has one level", l.kind)
		}
		p, ok := l.Item(parent)
		if !ok {
			return field.Errorf("parent", "no item %q in the %s list", parent, l.kind)
		}
		if p.Parent != "" {
			return field.Errorf("parent", "%q is itself under %q: the list has two levels", parent, p.Parent)
		}
	}
	if l.index(code) >= 0 {
		return fmt.Errorf("%w: %s/%s", ErrDuplicate, l.kind, code)
	}
	l.Record(l.apply, ItemAdded{Kind: l.kind, Code: code, Parent: parent, Labels: labels.trimmed(), By: by.String(), At: at.UTC()})
	return nil
}

// Relabel changes an item's labels; the same labels record nothing.
func (l *List) Relabel(code string, labels Labels, by uuid.UUID, at time.Time) error {
	it, ok := l.Item(code)
	if !ok {
		return fmt.Errorf("%w: %s/%s", ErrUnknownItem, l.kind, code)
	}
	if err := labels.Validate(); err != nil {
		return err
	}
	if labels.trimmed() == it.Labels {
		return nil
	}
	l.Record(l.apply, ItemRelabeled{Kind: l.kind, Code: code, Labels: labels.trimmed(), By: by.String(), At: at.UTC()})
	return nil
}

// SetEnabled disables or enables an item; no change records nothing.
func (l *List) SetEnabled(code string, enabled bool, by uuid.UUID, at time.Time) error {
	it, ok := l.Item(code)
	if !ok {
		return fmt.Errorf("%w: %s/%s", ErrUnknownItem, l.kind, code)
	}
	switch {
	case it.Enabled == enabled:
		return nil
	case enabled:
		l.Record(l.apply, ItemEnabled{Kind: l.kind, Code: code, By: by.String(), At: at.UTC()})
	default:
		l.Record(l.apply, ItemDisabled{Kind: l.kind, Code: code, By: by.String(), At: at.UTC()})
	}
	return nil
}

// Reorder puts the items under parent in the order of codes, which must name each of them once.
func (l *List) Reorder(parent string, codes []string, by uuid.UUID, at time.Time) error {
	if parent != "" {
		if p, ok := l.Item(parent); !ok || p.Parent != "" {
			return field.Errorf("parent", "no top-level item %q in the %s list", parent, l.kind)
		}
	}
	var siblings []string
	for _, it := range l.items {
		if it.Parent == parent {
			siblings = append(siblings, it.Code)
		}
	}
	if len(codes) != len(siblings) || !sameSet(codes, siblings) {
		return field.Errorf("codes", "must name each of the %d items under %q once, in the new order", len(siblings), parent)
	}
	if slices.Equal(codes, siblings) {
		return nil
	}
	l.Record(l.apply, Reordered{Kind: l.kind, Parent: parent, Codes: slices.Clone(codes), By: by.String(), At: at.UTC()})
	return nil
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y) && len(slices.Compact(x)) == len(a)
}

func (l *List) apply(e event.Event) {
	switch e := e.(type) {
	case ItemAdded:
		it := Item{Code: e.Code, Parent: e.Parent, Labels: e.Labels, Enabled: true}
		// After the parent's last child (or the parent), or at the end of the top level.
		at := len(l.items)
		if e.Parent != "" {
			if p := l.index(e.Parent); p >= 0 {
				at = p + 1
				for at < len(l.items) && l.items[at].Parent == e.Parent {
					at++
				}
			}
		}
		l.items = slices.Insert(l.items, at, it)
	case ItemRelabeled:
		if i := l.index(e.Code); i >= 0 {
			l.items[i].Labels = e.Labels
		}
	case ItemDisabled:
		if i := l.index(e.Code); i >= 0 {
			l.items[i].Enabled = false
		}
	case ItemEnabled:
		if i := l.index(e.Code); i >= 0 {
			l.items[i].Enabled = true
		}
	case Reordered:
		l.items = reorder(l.items, e.Parent, e.Codes)
	}
}

// reorder rebuilds the order: top-level items each followed by their children; the items under
// parent take the order of codes (items codes does not name keep theirs, after them).
func reorder(items []Item, parent string, codes []string) []Item {
	rank := func(it Item) int {
		if it.Parent == parent {
			if i := slices.Index(codes, it.Code); i >= 0 {
				return i
			}
			return len(codes)
		}
		return 0
	}
	var tops []Item
	children := map[string][]Item{}
	for _, it := range items {
		if it.Parent == "" {
			tops = append(tops, it)
		} else {
			children[it.Parent] = append(children[it.Parent], it)
		}
	}
	sortBy := func(xs []Item) {
		slices.SortStableFunc(xs, func(a, b Item) int { return rank(a) - rank(b) })
	}
	if parent == "" {
		sortBy(tops)
	} else {
		sortBy(children[parent])
	}
	out := make([]Item, 0, len(items))
	for _, t := range tops {
		out = append(out, t)
		out = append(out, children[t.Code]...)
	}
	return out
}

// Restore is a list in a known state (a read model's copy), to which Fold applies later events.
func Restore(k Kind, items []Item) *List { return &List{kind: k, items: slices.Clone(items)} }

// Fold applies an event of the list's history to its state, recording nothing (read models).
func (l *List) Fold(e event.Event) { l.apply(e) }
