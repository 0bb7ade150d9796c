package scheduleproj_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/schedulecmd"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/schedule"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/projections/scheduleproj"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/scheduleview"
)

type anyRecord struct{}

func (anyRecord) RelatedName(_ context.Context, _ access.Actor, kind string, id uuid.UUID) (string, error) {
	return kind + " " + id.String()[:8], nil
}

func as(id uuid.UUID) commands.Meta {
	m := projtest.Manager
	m.Actor.ID = id
	m.Actor.Roles = []string{role.Admin}
	return m
}

// model is what the read model holds, comparable: every row, each user's views, and each user's
// calendar of December.
type model struct {
	Rows     []scheduleview.Entry
	Views    map[string][]uuid.UUID
	Calendar map[string][]string
}

var (
	december = time.Date(2026, 12, 1, 0, 0, 0, 0, schedule.Zone)
	january  = december.AddDate(0, 1, 0)
)

func read(t *testing.T, ctx context.Context, db *readmodels.DB, users []uuid.UUID) model {
	t.Helper()
	v := scheduleview.New(db)
	list := func(q scheduleview.Query) []*scheduleview.Entry {
		var out []*scheduleview.Entry
		q.Limit = 7
		for {
			p, err := v.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Items...)
			if q.Cursor = p.NextCursor; q.Cursor == "" {
				return out
			}
		}
	}
	m := model{Views: map[string][]uuid.UUID{}, Calendar: map[string][]string{}}
	for _, row := range list(scheduleview.Query{Reader: scheduleview.Reader{Scope: readmodels.Scope{All: true}}, View: scheduleview.ViewAll, Sort: "createdAt"}) {
		m.Rows = append(m.Rows, *row)
	}
	for _, u := range users {
		reader := scheduleview.Reader{Scope: readmodels.Scope{UserID: u, Kind: role.ScopeSelf}, User: u}
		for _, view := range []string{scheduleview.ViewMine, scheduleview.ViewCreated, scheduleview.ViewParticipating, scheduleview.ViewAll} {
			for _, e := range list(scheduleview.Query{Reader: reader, View: view, Sort: "startAt"}) {
				m.Views[u.String()+view] = append(m.Views[u.String()+view], e.ID)
			}
		}
		entries, _, err := v.Window(ctx, scheduleview.Query{Reader: reader, View: scheduleview.ViewMine}, december, january)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			occ, _ := e.Series().Expand(december, january, 0)
			for _, o := range occ {
				m.Calendar[u.String()] = append(m.Calendar[u.String()], e.ID.String()+" "+o.Start+" "+o.Title)
			}
		}
		slices.Sort(m.Calendar[u.String()])
		// the calendar's own read (narrow columns, the state only of series with exceptions, one
		// reused row) expands to the same
		var narrow []string
		if _, err := v.CalendarWindow(ctx, scheduleview.Query{Reader: reader, View: scheduleview.ViewMine}, december, january, func(e *scheduleview.Entry) {
			occ, _ := e.Series().Expand(december, january, 0)
			for _, o := range occ {
				narrow = append(narrow, e.ID.String()+" "+o.Start+" "+o.Title)
			}
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(narrow)
		if !slices.Equal(narrow, m.Calendar[u.String()]) {
			t.Fatalf("%s's December read by the calendar: %v\nread whole: %v", u, narrow, m.Calendar[u.String()])
		}
	}
	return m
}

// TestLiveAndRebuiltSchedulesAgree: a random history of entries (single, all-day, recurring),
// edits, owner moves, occurrence edits and cancellations, reminders and deletions: every row is
// its aggregate, the views and the December calendar follow from the aggregates, and a rebuild
// gives the same read model, on both engines.
func TestLiveAndRebuiltSchedulesAgree(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 5}, scheduleproj.New(reg))
			ctx := context.Background()
			var shift atomic.Int64
			base := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
			clock := func() time.Time { return base.Add(time.Duration(shift.Load())) }
			svc := schedulecmd.New(env.Store, reg, clock, schedulecmd.Deps{Org: projtest.AllowAll{}, Related: anyRecord{}})
			users := []uuid.UUID{uuid.New(), uuid.New(), uuid.New(), uuid.New()}
			r := rand.New(rand.NewPCG(11, 29))
			rules := []string{"", "", "FREQ=DAILY;COUNT=5", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=DAILY;INTERVAL=3;UNTIL=20261220"}
			fields := func(i int) schedule.Fields {
				start := time.Date(2026, 12, 1+r.IntN(20), r.IntN(24), 30*r.IntN(2), 0, 0, schedule.Zone)
				f := schedule.Fields{Title: fmt.Sprintf("日程%d", i), Start: start.Format(time.RFC3339), End: start.Add(time.Duration(1+r.IntN(3)) * time.Hour).Format(time.RFC3339),
					Recurrence: rules[r.IntN(len(rules))], Reminders: []int{15, 60}[:r.IntN(3)]}
				if r.IntN(5) == 0 {
					f.AllDay, f.Start, f.End = true, start.Format(time.DateOnly), start.AddDate(0, 0, r.IntN(2)).Format(time.DateOnly)
				}
				for _, u := range users {
					if r.IntN(3) == 0 {
						f.Participants = append(f.Participants, u.String())
					}
				}
				return f
			}
			var last uint64
			var ids []uuid.UUID
			for i := range 25 {
				res, err := svc.Create(ctx, as(users[r.IntN(len(users))]), schedulecmd.Create{Fields: fields(i), OwnerID: users[r.IntN(len(users))]})
				if err != nil {
					t.Fatal(err)
				}
				last, ids = max(last, res.Position), append(ids, res.ID)
			}
			load := func(id uuid.UUID) *schedule.Schedule {
				l, err := svc.Load(ctx, projtest.Manager.Actor, id)
				if err != nil {
					t.Fatal(err)
				}
				return l.Root
			}
			alerts := 0
			for range 250 {
				id := ids[r.IntN(len(ids))]
				s := load(id)
				who := []uuid.UUID{s.Creator(), s.Owner(), users[r.IntN(len(users))]}[r.IntN(3)]
				occ, _ := s.Series().Expand(december, january, 0)
				var res commands.Result
				var err error
				switch r.IntN(9) {
				case 0:
					f := fields(r.IntN(100))
					title := f.Title
					p := schedule.Patch{Title: &title}
					if r.IntN(2) == 0 {
						p.Start, p.End, p.Recurrence, p.AllDay = &f.Start, &f.End, &f.Recurrence, &f.AllDay
					}
					res, err = svc.Update(ctx, as(who), id, p)
				case 1:
					res, err = svc.ChangeOwner(ctx, as(who), id, users[r.IntN(len(users))])
				case 2, 3:
					if len(occ) > 0 {
						o := occ[r.IntN(len(occ))]
						sp := o.Span()
						ov := schedule.Override{Start: sp.Start.Add(2 * time.Hour).Format(time.RFC3339), End: sp.End.Add(2 * time.Hour).Format(time.RFC3339)}
						if s.Fields().AllDay {
							ov.Start, ov.End = sp.Start.In(schedule.Zone).AddDate(0, 0, 1).Format(time.DateOnly), sp.End.In(schedule.Zone).Format(time.DateOnly)
						}
						if r.IntN(2) == 0 {
							title := "改期"
							ov.Title = &title
						}
						res, err = svc.EditOccurrence(ctx, as(who), id, o.Key, ov)
					}
				case 4:
					if len(occ) > 0 {
						res, err = svc.CancelOccurrence(ctx, as(who), id, occ[r.IntN(len(occ))].Key)
					}
				case 5, 6:
					shift.Add(int64(r.IntN(36)) * int64(time.Hour))
					res, err = svc.Alert(ctx, id)
					if res.Position > 0 {
						alerts++
					}
				case 7:
					if r.IntN(6) == 0 && len(ids) > 15 {
						if res, err = svc.Delete(ctx, as(who), id); err == nil {
							ids = slices.DeleteFunc(ids, func(x uuid.UUID) bool { return x == id })
						}
					}
				}
				if err != nil && !allowed(err) {
					t.Fatal(err)
				}
				last = max(last, res.Position)
			}
			if alerts == 0 {
				t.Fatal("the history has no reminder")
			}
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, scheduleview.Projection); err != nil {
				t.Fatal(err)
			}
			live := read(t, ctx, env.DB, users)
			want := map[string][]string{}
			for _, row := range live.Rows {
				s := load(row.ID)
				exp := row
				exp.FromAggregate(s)
				got := row
				for _, x := range []*scheduleview.Entry{&exp, &got} {
					x.State.Through = x.State.Through.Truncate(time.Microsecond).UTC()
					if x.NextAlertAt != nil {
						n := x.NextAlertAt.UTC()
						x.NextAlertAt = &n
					}
					x.StartAt, x.EndAt, x.SeriesEnd = x.StartAt.UTC(), x.EndAt.UTC(), x.SeriesEnd.UTC()
				}
				if !reflect.DeepEqual(exp, got) || row.Version != s.EditVersion() || *row.OwnerID != s.Owner() {
					t.Fatalf("%s: row %+v\nwant %+v", row.ID, got, exp)
				}
				occ, _ := s.Series().Expand(december, january, 0)
				for _, u := range users {
					if s.Owner() == u || (s.Creator() != u && slices.Contains(s.Fields().Participants, u.String())) {
						for _, o := range occ {
							want[u.String()] = append(want[u.String()], row.ID.String()+" "+o.Start+" "+o.Title)
						}
					}
				}
			}
			for _, u := range users {
				slices.Sort(want[u.String()])
				if !slices.Equal(live.Calendar[u.String()], want[u.String()]) {
					t.Fatalf("%s's December: %v\nthe aggregates say %v", u, live.Calendar[u.String()], want[u.String()])
				}
			}
			if _, err := env.Engine.RebuildAll(wctx, []string{scheduleview.Projection}, nil); err != nil {
				t.Fatal(err)
			}
			if rebuilt := read(t, ctx, env.DB, users); !reflect.DeepEqual(live, rebuilt) {
				for i := range live.Rows {
					if i < len(rebuilt.Rows) && !reflect.DeepEqual(live.Rows[i], rebuilt.Rows[i]) {
						t.Fatalf("row %d differs:\nlive    %+v\nrebuilt %+v", i, live.Rows[i], rebuilt.Rows[i])
					}
				}
				t.Fatal("rebuilt read model differs from the live one (views or calendars)")
			}
		})
	}
}

// allowed are the refusals a random history meets: someone who may not, an occurrence gone.
func allowed(err error) bool {
	var ve *schedule.ValidationError
	return errors.As(err, &ve) || slices.ContainsFunc([]error{schedule.ErrNotEditor, schedule.ErrNoOccurrence, commands.ErrNotFound},
		func(e error) bool { return errors.Is(err, e) })
}
