package opportunityproj_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/dictcmd"
	"github.com/chronicle-crm/chronicle/commands/opportunitycmd"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/opportunityproj"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
)

// anyCustomer: every customer exists and is in scope (the customer module is not under test).
type anyCustomer struct{}

func (anyCustomer) CustomerVisible(context.Context, access.Actor, uuid.UUID) error { return nil }
func (anyCustomer) ContactCustomer(context.Context, uuid.UUID) (uuid.UUID, error) {
	return uuid.Nil, commands.ErrNotFound
}

func all() opportunityview.Reader { return opportunityview.Reader{Scope: readmodels.Scope{All: true}} }

var stages = []string{"qualify", "needs", "proposal", "negotiation"}

// state is everything the opportunity read model holds, in a comparable form.
type state struct {
	Rows    []opportunityview.Opportunity
	Members []string
	Visits  []string
	Totals  []string
	Board   opportunityview.Board
}

func read(t *testing.T, ctx context.Context, v *opportunityview.Views) state {
	t.Helper()
	var s state
	everyone := all()
	cursor := ""
	for {
		p, err := v.Search(ctx, opportunityview.Query{Reader: everyone, Sort: "createdAt", Limit: 500, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Items {
			o.Position = 0 // a rebuild reads the same events; positions are equal anyway
			s.Rows = append(s.Rows, *o)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	strs := func(q string) []string {
		rows, err := v.SQL.QueryContext(ctx, v.Q(q))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(vals...))
		}
		slices.Sort(out)
		return out
	}
	g := func(t string) string { return v.Gens.Table(opportunityview.Projection, t) }
	s.Members = strs(`SELECT opportunity_id, user_id FROM ` + g("opportunity_members"))
	s.Visits = strs(`SELECT opportunity_id, seq, stage, left_at IS NULL FROM ` + g("opportunity_visits"))
	s.Totals = strs(`SELECT pipeline_id, owner_id, month, stage, n, amount, weighted FROM ` + g("opportunity_totals") + ` WHERE n <> 0`)
	s.Totals = append(s.Totals, strs(`SELECT pipeline_id, owner_id, month, furthest, status, n, won_amount, cycle_secs FROM `+g("opportunity_cohorts")+` WHERE n <> 0`)...)
	s.Totals = append(s.Totals, strs(`SELECT pipeline_id, owner_id, month, stage, n, secs FROM `+g("opportunity_stage_days")+` WHERE n <> 0`)...)
	b, err := v.Kanban(ctx, everyone, opportunity.DefaultPipelineID, stages, 50)
	if err != nil {
		t.Fatal(err)
	}
	s.Board = b
	return s
}

// TestLiveAndRebuiltOpportunitiesAgree: random histories (creates with lines, stage moves,
// line changes, wins, losses, reopens, assignments, deletions, several owners) give the same read
// model live and rebuilt, and the kanban totals the projection keeps equal a recomputation from
// the rows, to the fen.
func TestLiveAndRebuiltOpportunitiesAgree(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 7}, opportunityproj.New(reg))
			ctx := context.Background()
			clock := func() time.Time { return time.Now().UTC() }
			svc := opportunitycmd.New(env.Store, reg, clock, opportunitycmd.Deps{Org: projtest.AllowAll{}, Customers: anyCustomer{},
				Dictionary: dictcmd.New(env.Store, reg, clock)})
			r := rand.New(rand.NewPCG(11, 17))
			owners := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
			meta := func() commands.Meta { return projtest.Manager }
			var last uint64
			step := func(res commands.Result, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				last = max(last, res.Position)
			}
			price := func() string { return money.Fen(r.Int64N(10_000_000)).String() }
			var ids []uuid.UUID
			for i := range 40 {
				var lines []opportunity.LineInput
				for range r.IntN(3) {
					lines = append(lines, opportunity.LineInput{ProductID: uuid.NewString(), ProductName: "产品", Quantity: fmt.Sprint(1 + r.IntN(5)),
						UnitPrice: price(), Discount: fmt.Sprint(r.IntN(30))})
				}
				f := opportunity.Fields{Name: fmt.Sprintf("商机%d", i), CustomerID: uuid.NewString()}
				if r.IntN(4) > 0 {
					f.ExpectedCloseDate = time.Now().UTC().AddDate(0, r.IntN(14)-1, r.IntN(28)).Format(time.DateOnly)
				}
				if len(lines) == 0 {
					f.Amount = price()
				}
				res, err := svc.Create(ctx, meta(), opportunitycmd.Create{Fields: f, Lines: lines, OwnerID: owners[r.IntN(len(owners))]})
				step(res, err)
				ids = append(ids, res.ID)
			}
			for range 150 {
				id := ids[r.IntN(len(ids))]
				var res commands.Result
				var err error
				switch r.IntN(8) {
				case 0, 1:
					res, err = svc.MoveStage(ctx, meta(), id, stages[r.IntN(len(stages))], "推进")
				case 2:
					res, err = svc.SetLines(ctx, meta(), id, []opportunity.LineInput{{ProductID: uuid.NewString(), ProductName: "新", Quantity: "1.5", UnitPrice: price()}})
				case 3:
					res, err = svc.Win(ctx, meta(), id, "", "2026-12-01", "", time.UTC)
				case 4:
					res, err = svc.Lose(ctx, meta(), id, "price", "", "")
				case 5:
					res, err = svc.Reopen(ctx, meta(), id, "", "")
				case 6:
					res, err = svc.Assign(ctx, meta(), id, owners[r.IntN(len(owners))])
				case 7:
					p := 5 + r.IntN(90)
					close := time.Now().UTC().AddDate(0, r.IntN(14)-1, r.IntN(28)).Format(time.DateOnly)
					res, err = svc.Update(ctx, meta(), id, opportunity.Patch{Probability: &p, ExpectedCloseDate: &close})
				}
				if err != nil && !errorsAllowed(err) {
					t.Fatal(err)
				}
				last = max(last, res.Position)
			}
			step(svc.Delete(ctx, meta(), ids[0]))
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, opportunityview.Projection); err != nil {
				t.Fatal(err)
			}
			views := opportunityview.New(env.DB)
			live := read(t, ctx, views)
			if len(live.Rows) != 39 {
				t.Fatalf("%d rows; want 39", len(live.Rows))
			}
			// The totals equal a recomputation from the rows.
			want := map[string][3]money.Amount{}
			counts := map[string]int64{}
			for _, o := range live.Rows {
				if o.Status != "open" {
					continue
				}
				a, _ := money.ParseAmount("a", o.Amount)
				w, _ := money.ParseAmount("w", o.Weighted)
				if w != money.Percentage(a, money.WholePercent(int(o.Probability))) {
					t.Fatalf("%s: weighted %s of %s at %d%%", o.ID, o.Weighted, o.Amount, o.Probability)
				}
				s := want[o.Stage]
				s[0], s[1] = s[0].Add(a), s[1].Add(w)
				want[o.Stage] = s
				counts[o.Stage]++
			}
			for _, c := range live.Board.Columns {
				if c.Count != counts[c.Stage] || c.Amount != want[c.Stage][0].String() || c.Weighted != want[c.Stage][1].String() {
					t.Fatalf("column %s: %d %s %s; rows say %d %s %s", c.Stage, c.Count, c.Amount, c.Weighted, counts[c.Stage], want[c.Stage][0], want[c.Stage][1])
				}
			}
			// The forecast read from the cells equals the forecast recomputed from the rows, for
			// everyone, for each owner, and for a reader who sees some rows only as a member.
			from := time.Now().UTC().AddDate(0, -1, 0)
			readers := []opportunityview.Reader{all()}
			for _, o := range owners {
				readers = append(readers, opportunityview.Reader{Scope: readmodels.Scope{UserID: o}, User: o})
			}
			for _, rd := range readers {
				cells, err := views.Forecast(ctx, rd, nil, from, 15)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := views.ForecastFromRows(ctx, rd, nil, from, 15)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(cells, rows) {
					t.Fatalf("forecast from the cells %+v\nfrom the rows %+v", cells, rows)
				}
			}
			// Each reader's board: the counts, and the cards (newest first) of the rows they see.
			for _, rd := range readers[1:] {
				b, err := views.Kanban(ctx, rd, opportunity.DefaultPipelineID, stages, 3)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range b.Columns {
					var want []*opportunityview.Opportunity
					for i := range live.Rows {
						o := &live.Rows[i]
						sees := *o.OwnerID == rd.User || o.AssigneeID != nil && *o.AssigneeID == rd.User
						if sees && o.Status == "open" && o.Stage == c.Stage {
							want = append(want, o)
						}
					}
					if int64(len(want)) != c.Count {
						t.Fatalf("%s's column %s counts %d; the rows say %d", rd.User, c.Stage, c.Count, len(want))
					}
					slices.SortFunc(want, func(x, y *opportunityview.Opportunity) int { return y.UpdatedAt.Compare(x.UpdatedAt) })
					if len(c.Cards) != min(3, len(want)) {
						t.Fatalf("%s's column %s shows %d cards of %d", rd.User, c.Stage, len(c.Cards), len(want))
					}
					for i, card := range c.Cards {
						if !card.UpdatedAt.Equal(want[i].UpdatedAt) {
							t.Fatalf("%s's column %s card %d changed at %v; the newest rows at %v", rd.User, c.Stage, i, card.UpdatedAt, want[i].UpdatedAt)
						}
					}
				}
			}
			var forecastCount int64
			if f, err := views.Forecast(ctx, all(), nil, from, 15); err == nil {
				for _, m := range f {
					forecastCount += m.Count
				}
			}
			if forecastCount == 0 {
				t.Fatal("the history put no open opportunity in the forecast's window")
			}
			// Every row equals its aggregate.
			for _, o := range live.Rows {
				l, err := svc.Load(ctx, projtest.Manager.Actor, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				agg := l.Root
				if string(agg.Status()) != o.Status || agg.Stage() != o.Stage || agg.Amount() != o.Amount || int64(agg.Probability()) != o.Probability {
					t.Fatalf("%s: row %s %s %s %d; aggregate %s %s %s %d", o.ID, o.Status, o.Stage, o.Amount, o.Probability,
						agg.Status(), agg.Stage(), agg.Amount(), agg.Probability())
				}
			}
			// The funnel read from the cells equals the funnel recomputed from the rows and visits,
			// for everyone (the roll-up cells), for each owner, and for readers who see one owner's
			// and, as a member, a few more.
			now := time.Now().UTC()
			fq := opportunityview.FunnelQuery{Reader: all(), PipelineID: opportunity.DefaultPipelineID, Stages: stages,
				From: now.AddDate(0, -1, 0).Format("2006-01"), To: now.Format("2006-01")}
			queries := []opportunityview.FunnelQuery{fq}
			for i, rd := range readers[1:] {
				q := fq
				q.OwnerID = &owners[i]
				queries = append(queries, q)
				q.OwnerID, q.Reader = nil, rd
				queries = append(queries, q)
			}
			for _, q := range queries {
				cells, err := views.Funnel(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := views.FunnelFromRows(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(cells, rows) || (q.OwnerID == nil && q.Reader.Scope.All && cells.Total != 39) {
					t.Fatalf("funnel (owner %v, reader %s) from the cells %+v\nfrom the rows %+v", q.OwnerID, q.Reader.User, cells, rows)
				}
			}
			checkRollUps(t, ctx, views)
			funnelLive, err := views.Funnel(ctx, fq)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := env.Engine.RebuildAll(wctx, []string{opportunityview.Projection}, nil); err != nil {
				t.Fatal(err)
			}
			rebuilt := read(t, ctx, views)
			if funnelRebuilt, err := views.Funnel(ctx, fq); err != nil || !reflect.DeepEqual(funnelLive, funnelRebuilt) {
				t.Fatalf("rebuilt funnel %+v (%v)\nlive %+v", funnelRebuilt, err, funnelLive)
			}
			checkRollUps(t, ctx, views)
			if !reflect.DeepEqual(live, rebuilt) {
				for i := range live.Rows {
					if i < len(rebuilt.Rows) && !reflect.DeepEqual(live.Rows[i], rebuilt.Rows[i]) {
						t.Fatalf("row %d differs:\nlive    %+v\nrebuilt %+v", i, live.Rows[i], rebuilt.Rows[i])
					}
				}
				t.Fatalf("rebuilt read model differs:\nlive    %+v %v %v %v\nrebuilt %+v %v %v %v", live.Board, live.Members, live.Visits, live.Totals,
					rebuilt.Board, rebuilt.Members, rebuilt.Visits, rebuilt.Totals)
			}
		})
	}
}

// errorsAllowed are the refusals a random history meets (advancing a closed opportunity,
// reopening an open one, a change of lines or probability when closed).
func errorsAllowed(err error) bool {
	return slices.ContainsFunc([]error{opportunity.ErrClosed, opportunity.ErrNotClosed}, func(e error) bool { return errors.Is(err, e) })
}

// checkRollUps: every cell table's roll-up (owner opportunityview.AllOwners) equals the sum of its
// owners' cells, key by key (cells that add up to nothing may be absent on either side).
func checkRollUps(t *testing.T, ctx context.Context, v *opportunityview.Views) {
	t.Helper()
	rollUp := opportunityview.AllOwners.String()
	for _, c := range []struct{ table, keys, values string }{
		{"opportunity_totals", "pipeline_id, month, stage", "n, amount, weighted"},
		{"opportunity_cohorts", "pipeline_id, month, furthest, status", "n, won_amount, cycle_secs"},
		{"opportunity_stage_days", "pipeline_id, month, stage", "n, secs"},
		{"opportunity_board", "pipeline_id, stage", "n, amount, weighted"},
		{"opportunity_forecast", "pipeline_id, month", "n, amount, weighted"},
	} {
		table := v.Gens.Table(opportunityview.Projection, c.table)
		nk, nv := len(strings.Split(c.keys, ",")), len(strings.Split(c.values, ","))
		cells := func(stmt string) map[string]string {
			rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), rollUp)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]string{}
			for rows.Next() {
				keys, vals := make([]string, nk), make([]readmodels.Money, nv)
				var dest []any
				for i := range keys {
					dest = append(dest, &keys[i])
				}
				for i := range vals {
					dest = append(dest, &vals[i])
				}
				if err := rows.Scan(dest...); err != nil {
					t.Fatal(err)
				}
				if slices.ContainsFunc(vals, func(m readmodels.Money) bool { return !m.A.IsZero() }) {
					out[strings.Join(keys, " ")] = fmt.Sprint(vals)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		sums := "SUM(" + strings.ReplaceAll(c.values, ", ", "), SUM(") + ")"
		owners := cells(`SELECT ` + c.keys + `, ` + sums + ` FROM ` + table + ` WHERE owner_id <> ? GROUP BY ` + c.keys)
		total := cells(`SELECT ` + c.keys + `, ` + c.values + ` FROM ` + table + ` WHERE owner_id = ?`)
		if len(owners) == 0 || !maps.Equal(owners, total) {
			t.Fatalf("%s: the owners' cells add up to %v; the roll-up holds %v", c.table, owners, total)
		}
	}
}
