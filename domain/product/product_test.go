package product_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/product"
)

var (
	by  = uuid.MustParse("0190a000-0000-7000-8000-0000000000a1")
	now = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	cat = uuid.MustParse("0190a000-0000-7000-8000-00000000c001").String()
)

func codeOf(t *testing.T, err error, name string) string {
	t.Helper()
	var find func(error) string
	find = func(e error) string {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, inner := range j.Unwrap() {
				if s := find(inner); s != "" {
					return s
				}
			}
			return ""
		}
		var fe *field.Error
		if errors.As(e, &fe) && fe.Field == name {
			return fe.Code + "|" + fe.Message
		}
		return ""
	}
	if s := find(err); s != "" {
		return s
	}
	t.Fatalf("no error on %s in %v", name, err)
	return ""
}

func TestNewValidatesAndNormalises(t *testing.T) {
	p, err := product.New(uuid.New(), product.Fields{Name: " 服务器 ", Code: " SRV-1 ", CategoryID: cat, Cost: "0.10", Price: "12",
		ProductionDate: "2024-12-31"}, "", by, now)
	if err != nil {
		t.Fatal(err)
	}
	f := p.Fields()
	if f.Name != "服务器" || f.Code != "SRV-1" || f.Cost != "0.10" || f.Price != "12.00" || p.Status() != product.OnSale {
		t.Fatalf("fields %+v status %s", f, p.Status())
	}
	_, err = product.New(uuid.New(), product.Fields{Code: strings.Repeat("x", 51), CategoryID: "x", Cost: "1.005", Price: "1e3",
		ProductionDate: "2024-13-01"}, "sold", by, now)
	for name, want := range map[string]string{"name": "", "cost": money.CodeTooManyDecimals, "price": money.CodeNotDecimal,
		"code": "", "categoryId": "", "productionDate": "", "status": ""} {
		if got := codeOf(t, err, name); want != "" && got[:len(want)] != want {
			t.Errorf("%s: %s, want code %s", name, got, want)
		}
	}
	if _, err := product.New(uuid.New(), product.Fields{Name: "a", Code: "b", CategoryID: cat, Price: "-1"}, "", by, now); codeOf(t, err, "price")[:len(money.CodeNegative)] != money.CodeNegative {
		t.Fatal(err)
	}
}

func TestUpdateRecordsOnlyChangesAndReplays(t *testing.T) {
	id := uuid.New()
	p, _ := product.New(id, product.Fields{Name: "A", Code: "a1", CategoryID: cat, Price: "10.00"}, "", by, now)
	price, same := "10", "A"
	if err := p.Update(product.Patch{Price: &price, Name: &same}, by, now); err != nil || len(p.Changes()) != 1 {
		t.Fatalf("no-op update: %v, %d changes", err, len(p.Changes()))
	}
	np, empty := "0.10", ""
	if err := p.Update(product.Patch{Price: &np, Description: &empty}, by, now); err != nil {
		t.Fatal(err)
	}
	ch := p.Changes()
	u, ok := ch[len(ch)-1].(product.Updated)
	if !ok || u.Patch.Price == nil || *u.Patch.Price != "0.10" || u.Patch.Name != nil || u.Patch.Description != nil {
		t.Fatalf("patch %+v", ch[len(ch)-1])
	}
	if err := p.SetStatus(product.OffSale, by, now); err != nil {
		t.Fatal(err)
	}
	if err := p.SetStatus(product.OffSale, by, now); err != nil || len(p.Changes()) != 3 {
		t.Fatalf("same status recorded: %v", err)
	}
	if err := p.Delete(by, now); err != nil {
		t.Fatal(err)
	}
	if err := p.Update(product.Patch{Price: &price}, by, now); !errors.Is(err, product.ErrDeleted) {
		t.Fatalf("update of a deleted product: %v", err)
	}
	r, err := product.Rehydrate(id, p.Changes())
	if err != nil || !r.Deleted() || r.Status() != product.OffSale || r.Fields().Price != "0.10" || r.Version() != 4 {
		t.Fatalf("replayed %+v %v", r, err)
	}
}

func TestCatalogueTree(t *testing.T) {
	c := product.NewCatalogue()
	hw, srv, net := uuid.New(), uuid.New(), uuid.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.CreateCategory(hw, "硬件", "", by, now))
	must(c.CreateCategory(srv, "服务器", hw.String(), by, now))
	must(c.CreateCategory(net, "网络", "", by, now))
	if err := c.CreateCategory(uuid.New(), "服务器", hw.String(), by, now); !errors.Is(err, product.ErrDuplicateCategory) {
		t.Fatalf("sibling with the same name: %v", err)
	}
	if err := c.CreateCategory(uuid.New(), "x", uuid.NewString(), by, now); err == nil {
		t.Fatal("unknown parent accepted")
	}
	// No cycles.
	if err := c.MoveCategory(hw.String(), srv.String(), by, now); !errors.Is(err, product.ErrCategoryCycle) {
		t.Fatalf("move under a descendant: %v", err)
	}
	if err := c.MoveCategory(hw.String(), hw.String(), by, now); !errors.Is(err, product.ErrCategoryCycle) {
		t.Fatalf("move under itself: %v", err)
	}
	must(c.MoveCategory(srv.String(), net.String(), by, now))
	if c.Path(srv.String()) != "网络/服务器" {
		t.Fatalf("path %q", c.Path(srv.String()))
	}
	for in, want := range map[string]string{"网络/服务器": srv.String(), "服务器": srv.String(), "硬件": hw.String(), srv.String(): srv.String(), "硬件/服务器": ""} {
		if got, _ := c.Resolve(in); got != want {
			t.Errorf("resolve %q = %q, want %q", in, got, want)
		}
	}
	// Delete only when empty: children and filed products refuse it.
	if err := c.DeleteCategory(net.String(), nil, by, now); !errors.Is(err, product.ErrCategoryNotEmpty) {
		t.Fatalf("delete with a child: %v", err)
	}
	p := uuid.New()
	must(c.File(p, srv.String(), by, now))
	if err := c.File(p, uuid.NewString(), by, now); err == nil {
		t.Fatal("filed into an unknown category")
	}
	if err := c.DeleteCategory(srv.String(), nil, by, now); !errors.Is(err, product.ErrCategoryNotEmpty) {
		t.Fatalf("delete with a product: %v", err)
	}
	// A leftover placement named stale is cleared with the deletion.
	must(c.DeleteCategory(srv.String(), []uuid.UUID{p}, by, now))
	if _, ok := c.Placement(p); ok {
		t.Fatal("stale placement kept")
	}
	must(c.DeleteCategory(net.String(), nil, by, now))
	r, err := product.RehydrateCatalogue(product.CatalogueID, c.Changes())
	if err != nil {
		t.Fatal(err)
	}
	if cats := r.Categories(); len(cats) != 1 || cats[0].ID != hw.String() {
		t.Fatalf("replayed %+v", cats)
	}
	var _ event.Event = product.ProductFiled{}
}
