package dictionary_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/event"
)

var (
	admin = uuid.MustParse("0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e")
	t0    = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
)

func codes(l *dictionary.List) []string {
	var out []string
	for _, it := range l.Items() {
		out = append(out, it.Code)
	}
	return out
}

// replayed rebuilds the list from the events it recorded, as a load does.
func replayed(t *testing.T, l *dictionary.List) *dictionary.List {
	t.Helper()
	r, err := dictionary.Rehydrate(dictionary.ID(l.Kind()), l.Changes())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDefaultsAreValid(t *testing.T) {
	for _, k := range dictionary.Kinds {
		seen := map[string]bool{}
		for _, it := range dictionary.Defaults[k] {
			if _, err := dictionary.ParseCode("code", it.Code); err != nil {
				t.Errorf("%s: %v", k, err)
			}
			if err := it.Labels.Validate(); err != nil || it.Labels.EN == "" {
				t.Errorf("%s/%s: labels %+v: %v", k, it.Code, it.Labels, err)
			}
			if seen[it.Code] {
				t.Errorf("%s: %s twice", k, it.Code)
			}
			seen[it.Code] = true
			if it.Parent != "" && (k.Levels() < 2 || !seen[it.Parent]) {
				t.Errorf("%s/%s: parent %q not before it, or the list has one level", k, it.Code, it.Parent)
			}
		}
		if len(seen) == 0 {
			t.Errorf("%s has no built-in items", k)
		}
	}
	if _, err := dictionary.ParseKind("colour"); err == nil {
		t.Fatal("an unknown kind parsed")
	}
}

func TestAddRelabelDisableReorder(t *testing.T) {
	l := dictionary.New(dictionary.Industry)
	if err := l.Add("manufacturing.textiles", "manufacturing", dictionary.Labels{ZH: " 纺织 ", EN: "Textiles"}, admin, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.Add("agriculture", "", dictionary.Labels{ZH: "农业"}, admin, t0); err != nil {
		t.Fatal(err)
	}
	got := codes(l)
	if i := slices.Index(got, "manufacturing.textiles"); got[i-1] != "manufacturing.chemicals" || got[len(got)-1] != "agriculture" {
		t.Fatalf("a branch goes after its sector's last branch, a sector at the end: %v", got)
	}
	if it, _ := l.Item("manufacturing.textiles"); it.Labels.ZH != "纺织" || !it.Enabled {
		t.Fatalf("labels are trimmed and a new item is enabled: %+v", it)
	}
	bad := []struct {
		name         string
		code, parent string
		labels       dictionary.Labels
		field        string
	}{
		{"code with a space", "a b", "", dictionary.Labels{ZH: "甲"}, "code"},
		{"empty code", "", "", dictionary.Labels{ZH: "甲"}, "code"},
		{"no Chinese label", "x", "", dictionary.Labels{EN: "X"}, "labels.zh-CN"},
		{"label too long", "x", "", dictionary.Labels{ZH: string(make([]rune, 51))}, "labels.zh-CN"},
		{"third level", "x", "manufacturing.machinery", dictionary.Labels{ZH: "甲"}, "parent"},
		{"unknown parent", "x", "mining", dictionary.Labels{ZH: "甲"}, "parent"},
	}
	for _, b := range bad {
		var fe *dictionary.ValidationError
		if err := l.Add(b.code, b.parent, b.labels, admin, t0); !errors.As(err, &fe) || fe.Field != b.field {
			t.Errorf("%s: %v, want a validation error on %s", b.name, err, b.field)
		}
	}
	if err := l.Add("retail", "", dictionary.Labels{ZH: "零售2"}, admin, t0); !errors.Is(err, dictionary.ErrDuplicate) {
		t.Fatalf("duplicate code: %v", err)
	}
	sources := dictionary.New(dictionary.LeadSource)
	var fe *dictionary.ValidationError
	if err := sources.Add("x", "web", dictionary.Labels{ZH: "甲"}, admin, t0); !errors.As(err, &fe) || fe.Field != "parent" {
		t.Fatalf("a child in a one-level list: %v", err)
	}

	before := len(l.Changes())
	if err := l.Relabel("retail", dictionary.Labels{ZH: "零售", EN: "Retail"}, admin, t0); err != nil || len(l.Changes()) != before {
		t.Fatalf("the same labels recorded something: %v", err)
	}
	if err := l.Relabel("retail", dictionary.Labels{ZH: "零售业", EN: "Retail"}, admin, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.SetEnabled("manufacturing", false, admin, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.SetEnabled("manufacturing", false, admin, t0); err != nil {
		t.Fatal(err)
	}
	if l.Usable("manufacturing") || l.Usable("manufacturing.machinery") {
		t.Fatal("a disabled sector, or a branch under it, is usable")
	}
	if _, ok := l.Item("manufacturing"); !ok {
		t.Fatal("disabling removed the item")
	}
	if err := l.SetEnabled("nope", false, admin, t0); !errors.Is(err, dictionary.ErrUnknownItem) {
		t.Fatalf("disable unknown: %v", err)
	}
	if err := l.Reorder("internet", []string{"internet.ecommerce", "internet.software"}, admin, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.Reorder("internet", []string{"internet.ecommerce"}, admin, t0); !errors.As(err, &fe) || fe.Field != "codes" {
		t.Fatalf("a partial order: %v", err)
	}
	if err := l.Reorder("internet", []string{"internet.ecommerce", "internet.ecommerce"}, admin, t0); !errors.As(err, &fe) {
		t.Fatalf("a repeated code: %v", err)
	}
	tops := []string{"agriculture"}
	for _, it := range l.Items() {
		if it.Parent == "" && it.Code != "agriculture" {
			tops = append(tops, it.Code)
		}
	}
	if err := l.Reorder("", tops, admin, t0); err != nil {
		t.Fatal(err)
	}
	got = codes(l)
	if got[0] != "agriculture" || got[1] != "manufacturing" || got[2] != "manufacturing.machinery" {
		t.Fatalf("top level reordered, branches follow their sectors: %v", got)
	}
	if i := slices.Index(got, "internet"); got[i+1] != "internet.ecommerce" || got[i+2] != "internet.software" {
		t.Fatalf("branches keep their own order: %v", got)
	}
	// The history rebuilds the same list.
	r := replayed(t, l)
	if !slices.Equal(r.Items(), l.Items()) || r.Version() != int64(len(l.Changes())) {
		t.Fatalf("replayed list differs:\n%+v\n%+v", r.Items(), l.Items())
	}
	for _, e := range l.Changes() {
		if e.(interface{ EventType() string }).EventType() == "" {
			t.Fatal("event without a type")
		}
	}
}

func TestResolveTakesACodeOrALabel(t *testing.T) {
	l := dictionary.New(dictionary.LeadSource)
	for in, want := range map[string]string{"web": "web", "官网咨询": "web", " 抖音广告 ": "douyin_ads", "douyin ADS": "douyin_ads"} {
		if got, ok := l.Resolve(in); !ok || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if err := l.SetEnabled("wechat", false, admin, t0); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"wechat", "微信公众号", "", "unknown"} {
		if got, ok := l.Resolve(in); ok {
			t.Errorf("Resolve(%q) = %q, want nothing (disabled or unknown)", in, got)
		}
	}
}

func TestEventsRoundTripThroughTheRegistry(t *testing.T) {
	reg := event.NewRegistry()
	dictionary.Register(reg)
	l := dictionary.New(dictionary.ContractType)
	_ = l.Add("lease", "", dictionary.Labels{ZH: "租赁合同", EN: "Lease"}, admin, t0)
	_ = l.SetEnabled("lease", false, admin, t0)
	_ = l.Reorder("", append([]string{"lease"}, codes(dictionary.New(dictionary.ContractType))...), admin, t0)
	var decoded []event.Event
	for _, e := range l.Changes() {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		d, err := reg.Decode(e.EventType(), data)
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, d)
	}
	r, err := dictionary.Rehydrate(dictionary.ID(dictionary.ContractType), decoded)
	if err != nil || !slices.Equal(r.Items(), l.Items()) {
		t.Fatalf("decoded history gives %+v (%v), want %+v", r.Items(), err, l.Items())
	}
	if _, err := dictionary.Rehydrate(uuid.New(), nil); err == nil {
		t.Fatal("an id that names no list rehydrated")
	}
}
