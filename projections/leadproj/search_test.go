package leadproj_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// TestLeadSearchSortsFiltersAndPages checks every sort key in both directions, scope, filters and
// keyset paging against an in-memory model, on both engines.
func TestLeadSearchSortsFiltersAndPages(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := projtest.Start(t, e, engine.Options{})
			ctx := context.Background()
			sales := commands.Meta{Actor: access.Actor{ID: uuid.Must(uuid.NewV7()), Name: "销售", Roles: []string{role.Sales},
				Permissions: map[string]bool{role.LeadsCreate: true, role.LeadsRead: true, role.LeadsPool: true}, Scope: role.ScopeSelf}}
			names := []string{"张三", "李四", "王五", "赵六", "Alice", "bob", "陈七", "周八", "吴九", "郑十"}
			base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			var last uint64
			for i := range 30 {
				f := lead.Fields{Name: names[i%len(names)], Company: fmt.Sprintf("公司%02d", i%7), Source: []string{"exhibition", "web", "search_ads"}[i%3]}
				if i%4 != 0 {
					t := base.Add(time.Duration(i%5) * time.Hour) // ties on purpose
					f.NextFollowUpAt = &t
				}
				if i%6 == 0 {
					f.Company = "北京星河科技有限公司"
				}
				m := projtest.Manager
				if i%5 == 0 {
					m = sales
				}
				res, err := env.Leads.Create(ctx, m, leadcmd.Create{Fields: f, Pool: i%9 == 0})
				if err != nil {
					t.Fatal(err)
				}
				last = res.Position
				if i%3 == 0 {
					st := lead.StatusFollowing
					if res, err = env.Leads.Update(ctx, projtest.Manager, res.ID, lead.Patch{Status: &st}); err != nil {
						t.Fatal(err)
					}
					last = res.Position
				}
			}
			projtest.Wait(t, env, last)
			all := projtest.Dump(t, env.DB)
			if len(all) != 30 {
				t.Fatalf("%d rows", len(all))
			}
			salesID := sales.Actor.ID
			scopes := map[string]readmodels.Scope{"all": {All: true}, "sales": {UserID: salesID, Pool: true}}
			inScope := func(s readmodels.Scope, l leadview.Lead) bool {
				return s.All || l.InPool || l.OwnerID != nil && *l.OwnerID == s.UserID
			}
			far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
			keys := map[string]func(a, b leadview.Lead) int{
				"createdAt": func(a, b leadview.Lead) int { return a.CreatedAt.Compare(b.CreatedAt) },
				"updatedAt": func(a, b leadview.Lead) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
				"name":      func(a, b leadview.Lead) int { return strings.Compare(a.Name, b.Name) },
				"nextFollowUpAt": func(a, b leadview.Lead) int {
					x, y := far, far
					if a.NextFollowUpAt != nil {
						x = *a.NextFollowUpAt
					}
					if b.NextFollowUpAt != nil {
						y = *b.NextFollowUpAt
					}
					return x.Compare(y)
				},
			}
			pool, following := true, []string{"following"}
			filters := map[string]struct {
				q    leadview.Query
				keep func(leadview.Lead) bool
			}{
				"none":      {leadview.Query{}, func(leadview.Lead) bool { return true }},
				"q 星河":      {leadview.Query{Q: "星河"}, func(l leadview.Lead) bool { return strings.Contains(l.Company, "星河") }},
				"q 星河科技":    {leadview.Query{Q: "星河科技"}, func(l leadview.Lead) bool { return strings.Contains(l.Company, "星河科技") }},
				"q ALICE":   {leadview.Query{Q: "ALICE"}, func(l leadview.Lead) bool { return l.Name == "Alice" }},
				"pool":      {leadview.Query{Pool: &pool}, func(l leadview.Lead) bool { return l.InPool }},
				"following": {leadview.Query{Status: following}, func(l leadview.Lead) bool { return l.Status == "following" }},
				"source":    {leadview.Query{Source: "web"}, func(l leadview.Lead) bool { return l.Source == "web" }},
				"q 100%_":   {leadview.Query{Q: "100%_"}, func(leadview.Lead) bool { return false }},
			}
			for sname, scope := range scopes {
				for fname, f := range filters {
					for key, cmp := range keys {
						for _, desc := range []bool{false, true} {
							var want []uuid.UUID
							rows := append([]leadview.Lead(nil), all...)
							sort.SliceStable(rows, func(i, j int) bool {
								c := cmp(rows[i], rows[j])
								if c == 0 {
									c = strings.Compare(rows[i].ID.String(), rows[j].ID.String())
								}
								if desc {
									return c > 0
								}
								return c < 0
							})
							for _, l := range rows {
								if inScope(scope, l) && f.keep(l) {
									want = append(want, l.ID)
								}
							}
							q := f.q
							q.Scope, q.Sort, q.Limit = scope, key, 4
							if desc {
								q.Sort = "-" + key
							}
							var got []uuid.UUID
							for page := 0; ; page++ {
								p, err := leadview.New(env.DB).Search(ctx, q)
								if err != nil {
									t.Fatalf("%s/%s/%s: %v", sname, fname, q.Sort, err)
								}
								if p.Total != int64(len(want)) {
									t.Fatalf("%s/%s/%s: total %d, want %d", sname, fname, q.Sort, p.Total, len(want))
								}
								for _, l := range p.Items {
									got = append(got, l.ID)
								}
								if p.NextCursor == "" || page > 20 {
									break
								}
								q.Cursor = p.NextCursor
							}
							if !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
								t.Fatalf("%s/%s/%s:\ngot  %v\nwant %v", sname, fname, q.Sort, got, want)
							}
						}
					}
				}
			}
		})
	}
}
