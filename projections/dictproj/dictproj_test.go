package dictproj_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands/dictcmd"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/projections/dictproj"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels/dictview"
)

// The read model equals the aggregates the commands decided on, live and after a rebuild.
func TestLiveAndRebuiltDictionariesEqualTheLists(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 3}, dictproj.New(reg))
			ctx := context.Background()
			svc := dictcmd.New(env.Store, reg, func() time.Time { return time.Now().UTC() })
			m := projtest.Manager
			var last uint64
			step := func(pos uint64, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				last = max(last, pos)
			}
			for i := range 4 {
				res, err := svc.Add(ctx, m, dictionary.LeadSource, dictcmd.AddItem{Code: fmt.Sprintf("s%d", i), Labels: dictionary.Labels{ZH: fmt.Sprintf("来源%d", i)}})
				step(res.Position, err)
			}
			res, err := svc.Add(ctx, m, dictionary.Industry, dictcmd.AddItem{Code: "internet.gaming", Parent: "internet", Labels: dictionary.Labels{ZH: "游戏", EN: "Gaming"}})
			step(res.Position, err)
			res, err = svc.SetEnabled(ctx, m, dictionary.LeadSource, "web", false)
			step(res.Position, err)
			res, err = svc.Relabel(ctx, m, dictionary.LeadSource, "s1", dictionary.Labels{ZH: "来源一", EN: "Source one"})
			step(res.Position, err)
			res, err = svc.Reorder(ctx, m, dictionary.Industry, "internet", []string{"internet.gaming", "internet.software", "internet.ecommerce"})
			step(res.Position, err)
			wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, dictview.Projection); err != nil {
				t.Fatal(err)
			}
			views := dictview.New(env.DB)
			live, err := views.Lists(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range live {
				want, err := svc.List(ctx, l.Kind)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(l.Items, want.Items()) || l.Version != want.Version() {
					t.Fatalf("%s: read model v%d %+v\nlist v%d %+v", l.Kind, l.Version, l.Items, want.Version(), want.Items())
				}
			}
			if _, err := env.Engine.RebuildAll(wctx, []string{dictview.Projection}, nil); err != nil {
				t.Fatal(err)
			}
			rebuilt, err := views.Lists(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(live, rebuilt) {
				t.Fatalf("rebuilt dictionaries differ:\nlive    %+v\nrebuilt %+v", live, rebuilt)
			}
		})
	}
}
