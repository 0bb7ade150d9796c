package productproj_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/dictcmd"
	"github.com/chronicle-crm/chronicle/commands/productcmd"
	"github.com/chronicle-crm/chronicle/domain/product"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/productproj"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels/productview"
)

// The read model shows what the commands decided, live and after a rebuild, on both engines;
// amounts come back exactly as entered.
func TestLiveAndRebuiltProductsAgree(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 3}, productproj.New(reg))
			ctx := context.Background()
			clock := func() time.Time { return time.Now().UTC() }
			svc := productcmd.New(env.Store, reg, clock, dictcmd.New(env.Store, reg, clock))
			m := projtest.Manager
			var last uint64
			step := func(pos uint64, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				last = max(last, pos)
			}
			hw, srv, sw := uuid.New(), uuid.New(), uuid.New()
			res, err := svc.CreateCategory(ctx, m, productcmd.CategoryInput{ID: hw, Name: "硬件"})
			step(res.Position, err)
			res, err = svc.CreateCategory(ctx, m, productcmd.CategoryInput{ID: srv, Name: "服务器", ParentID: hw.String()})
			step(res.Position, err)
			res, err = svc.CreateCategory(ctx, m, productcmd.CategoryInput{ID: sw, Name: "软件"})
			step(res.Position, err)
			var ids []uuid.UUID
			for i, f := range []product.Fields{
				{Name: "机架式服务器", Code: "SRV-1", CategoryID: srv.String(), Unit: "台", Cost: "0.10", Price: "999999999999.99"},
				{Name: "交换机", Code: "SW-1", CategoryID: hw.String(), Price: "12"},
				{Name: "授权", Code: "LIC-1", CategoryID: sw.String(), Unit: "license"},
				{Name: "旧型号", Code: "OLD-1", CategoryID: sw.String()},
			} {
				res, err := svc.Create(ctx, m, productcmd.Create{Fields: f})
				step(res.Position, err)
				ids = append(ids, res.ID)
				_ = i
			}
			price := "0.01"
			res, err = svc.Update(ctx, m, ids[1], product.Patch{Price: &price, CategoryID: ptr(srv.String())})
			step(res.Position, err)
			res, err = svc.SetStatus(ctx, m, ids[2], product.OffSale)
			step(res.Position, err)
			res, err = svc.Delete(ctx, m, ids[3])
			step(res.Position, err)
			res, err = svc.RenameCategory(ctx, m, srv.String(), "服务器与存储")
			step(res.Position, err)
			res, err = svc.MoveCategory(ctx, m, sw.String(), hw.String())
			step(res.Position, err)
			wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, productview.Projection); err != nil {
				t.Fatal(err)
			}
			views := productview.New(env.DB)
			dump := func() ([]*productview.Product, productview.Tree) {
				page, err := views.Search(ctx, productview.Query{Sort: "code", Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				tree, err := views.Tree(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return page.Items, tree
			}
			live, liveTree := dump()
			if len(live) != 3 {
				t.Fatalf("live products: %d", len(live))
			}
			for _, p := range live {
				agg, err := svc.History(ctx, m.Actor, p.ID)
				if err != nil || int64(len(agg)) != p.Version {
					t.Fatalf("%s: version %d, history %d (%v)", p.Code, p.Version, len(agg), err)
				}
			}
			byCode := map[string]*productview.Product{}
			for _, p := range live {
				byCode[p.Code] = p
			}
			if p := byCode["SRV-1"]; *p.Cost != "0.10" || *p.Price != "999999999999.99" || p.Unit != "unit" || p.CategoryPath != "硬件/服务器与存储" {
				t.Fatalf("SRV-1: %+v cost %s price %s", p, *p.Cost, *p.Price)
			}
			if p := byCode["SW-1"]; *p.Price != "0.01" || p.CategoryID != srv.String() {
				t.Fatalf("SW-1: %+v", p)
			}
			if p := byCode["LIC-1"]; p.Status != "off_sale" || p.Cost != nil || p.CategoryPath != "硬件/软件" {
				t.Fatalf("LIC-1: %+v", p)
			}
			if liveTree.Categories[0].TotalCount != 3 || liveTree.Categories[0].ProductCount != 0 {
				t.Fatalf("tree: %+v", liveTree)
			}
			// Each node's count is the number of live rows filed in it (the projection keeps the
			// counts as products are created, moved and deleted, across pages of three events).
			filed := map[string]int64{}
			for _, p := range live {
				filed[p.CategoryID]++
			}
			var check func([]productview.Category)
			check = func(cs []productview.Category) {
				for _, c := range cs {
					if c.ProductCount != filed[c.ID] {
						t.Fatalf("category %s counts %d products, the rows say %d", c.Path, c.ProductCount, filed[c.ID])
					}
					check(c.Children)
				}
			}
			check(liveTree.Categories)
			if _, err := env.Engine.RebuildAll(wctx, []string{productview.Projection}, nil); err != nil {
				t.Fatal(err)
			}
			rebuilt, rebuiltTree := dump()
			if !reflect.DeepEqual(live, rebuilt) || !reflect.DeepEqual(liveTree, rebuiltTree) {
				t.Fatalf("rebuilt differs:\nlive    %+v %+v\nrebuilt %+v %+v", live, liveTree, rebuilt, rebuiltTree)
			}
		})
	}
}

func ptr(s string) *string { return &s }
