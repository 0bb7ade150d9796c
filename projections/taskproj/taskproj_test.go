package taskproj_test

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
	"github.com/chronicle-crm/chronicle/commands/taskcmd"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/task"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/projections/taskproj"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/taskview"
)

// anyRecord: every related record exists, is readable and is called by its id.
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

// model is what the read model holds, comparable: every row, and each user's views.
type model struct {
	Rows     []taskview.Task
	Views    map[string][]uuid.UUID
	Comments map[uuid.UUID][]string
}

func read(t *testing.T, ctx context.Context, db *readmodels.DB, users []uuid.UUID) model {
	t.Helper()
	v := taskview.New(db)
	list := func(q taskview.Query) []*taskview.Task {
		var out []*taskview.Task
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
	m := model{Views: map[string][]uuid.UUID{}, Comments: map[uuid.UUID][]string{}}
	for _, row := range list(taskview.Query{Reader: taskview.Reader{Scope: readmodels.Scope{All: true}}, View: taskview.ViewAll, Sort: "createdAt"}) {
		m.Rows = append(m.Rows, *row)
		cs, err := v.Comments(ctx, taskview.Reader{Scope: readmodels.Scope{All: true}}, row.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			m.Comments[row.ID] = append(m.Comments[row.ID], c.Text+"/"+c.By.String())
		}
	}
	for _, u := range users {
		reader := taskview.Reader{Scope: readmodels.Scope{UserID: u, Kind: role.ScopeSelf}, User: u}
		for _, view := range []string{taskview.ViewMine, taskview.ViewCreated, taskview.ViewParticipating, taskview.ViewAll} {
			for _, sort := range []string{"dueAt", "-priority"} {
				for _, it := range list(taskview.Query{Reader: reader, View: view, Sort: sort}) {
					m.Views[u.String()+view+sort] = append(m.Views[u.String()+view+sort], it.ID)
				}
			}
		}
	}
	return m
}

// TestLiveAndRebuiltTasksAgree: random histories of tasks (edits by the creator and by others,
// assignments, status moves by the assignee and by others, checklist changes, comments,
// deletions) give the same read model live and rebuilt, on both engines; every row is what its
// aggregate says; each user's views (paged by 7, two sorts) are exactly the tasks the aggregates
// say the user is assigned, created, takes part in or is involved in.
func TestLiveAndRebuiltTasksAgree(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 5}, taskproj.New(reg))
			ctx := context.Background()
			var shift atomic.Int64 // the reminder process runs at later and later times
			clock := func() time.Time { return time.Now().UTC().Add(time.Duration(shift.Load())) }
			svc := taskcmd.New(env.Store, reg, clock, taskcmd.Deps{Org: projtest.AllowAll{}, Related: anyRecord{}})
			users := []uuid.UUID{uuid.New(), uuid.New(), uuid.New(), uuid.New()}
			r := rand.New(rand.NewPCG(7, 41))
			var last uint64
			var ids []uuid.UUID
			due := func() string {
				if r.IntN(4) == 0 {
					return ""
				}
				return time.Date(2026, 12, 1+r.IntN(20), r.IntN(24), 0, 0, 0, time.UTC).Format(time.RFC3339)
			}
			some := func() []string {
				var out []string
				for _, u := range users {
					if r.IntN(3) == 0 {
						out = append(out, u.String())
					}
				}
				return out
			}
			for i := range 30 {
				creator := users[r.IntN(len(users))]
				f := task.Fields{Title: fmt.Sprintf("任务%d", i), Priority: task.Priority(task.Priorities[r.IntN(4)]), DueAt: due(), Participants: some()}
				if r.IntN(2) == 0 {
					f.RelatedKind, f.RelatedID = "customer", uuid.NewString()
				}
				res, err := svc.Create(ctx, as(creator), taskcmd.Create{Fields: f, AssigneeID: users[r.IntN(len(users))]})
				if err != nil {
					t.Fatal(err)
				}
				last = max(last, res.Position)
				ids = append(ids, res.ID)
			}
			load := func(id uuid.UUID) *task.Task {
				l, err := svc.Load(ctx, projtest.Manager.Actor, id)
				if err != nil {
					t.Fatal(err)
				}
				return l.Root
			}
			for range 300 {
				id := ids[r.IntN(len(ids))]
				tk := load(id)
				who := users[r.IntN(len(users))]
				if r.IntN(3) > 0 { // mostly someone the rules let
					who = []uuid.UUID{tk.Creator(), tk.Assignee()}[r.IntN(2)]
				}
				var res commands.Result
				var err error
				switch r.IntN(10) {
				case 9:
					shift.Add(int64(r.IntN(48)) * int64(time.Hour))
					res, err = svc.Alert(ctx, id)
				case 0:
					title, p := fmt.Sprint("改", r.IntN(100)), task.Priority(task.Priorities[r.IntN(4)])
					d, ps := due(), some()
					res, err = svc.Update(ctx, as(who), id, task.Patch{Title: &title, Priority: &p, DueAt: &d, Participants: &ps})
				case 1:
					res, err = svc.Assign(ctx, as(who), id, users[r.IntN(len(users))])
				case 2, 3:
					res, err = svc.SetStatus(ctx, as(who), id, task.Status(task.Statuses[r.IntN(4)]), "说明")
				case 4:
					res, err = svc.AddItem(ctx, as(who), id, uuid.Nil, fmt.Sprint("检查项", r.IntN(10)))
				case 5:
					if items := tk.Checklist(); len(items) > 0 {
						it := items[r.IntN(len(items))]
						if r.IntN(4) == 0 {
							res, err = svc.RemoveItem(ctx, as(who), id, uuid.MustParse(it.ID))
						} else {
							res, err = svc.CheckItem(ctx, as(who), id, uuid.MustParse(it.ID), !it.Done)
						}
					}
				case 6, 7:
					res, err = svc.Comment(ctx, as(users[r.IntN(len(users))]), id, fmt.Sprint("评论", r.IntN(100)))
				case 8:
					if r.IntN(10) == 0 && len(ids) > 20 {
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
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, taskview.Projection); err != nil {
				t.Fatal(err)
			}
			live := read(t, ctx, env.DB, users)
			// Every row is its aggregate; the views follow from the aggregates.
			want := map[string][]uuid.UUID{}
			statuses := map[string]int{}
			for _, row := range live.Rows {
				tk := load(row.ID)
				exp := row
				exp.FromAggregate(tk)
				got := row
				for _, x := range []*taskview.Task{&exp, &got} { // the databases keep microseconds
					x.AssignedAt = x.AssignedAt.Truncate(time.Microsecond).UTC()
					if len(x.State.Reminded) == 0 {
						x.State.Reminded = nil
					}
					if x.CompletedAt != nil {
						c := x.CompletedAt.Truncate(time.Microsecond).UTC()
						x.CompletedAt = &c
					}
					for _, p := range []**time.Time{&x.StartAt, &x.DueAt} {
						if *p != nil {
							v := (*p).UTC()
							*p = &v
						}
					}
				}
				if !reflect.DeepEqual(exp, got) || row.Version != tk.EditVersion() || *row.OwnerID != tk.Assignee() || len(live.Comments[row.ID]) != tk.Comments() {
					t.Fatalf("%s: row %+v\naggregate %+v", row.ID, row, tk.Snapshot())
				}
				statuses[row.Status]++
				for _, u := range users {
					k := u.String()
					if tk.Assignee() == u {
						want[k+taskview.ViewMine] = append(want[k+taskview.ViewMine], row.ID)
					}
					if tk.Creator() == u {
						want[k+taskview.ViewCreated] = append(want[k+taskview.ViewCreated], row.ID)
					}
					if tk.Assignee() != u && tk.Creator() != u && slices.Contains(tk.Fields().Participants, k) {
						want[k+taskview.ViewParticipating] = append(want[k+taskview.ViewParticipating], row.ID)
					}
					if tk.Involves(u) {
						want[k+taskview.ViewAll] = append(want[k+taskview.ViewAll], row.ID)
					}
				}
			}
			if alerts := countAlerts(t, env); alerts == 0 {
				t.Fatal("the history has no reminder or overdue notice")
			}
			if len(live.Rows) < 20 || statuses["done"] == 0 || statuses["cancelled"] == 0 || statuses["in_progress"] == 0 {
				t.Fatalf("the history did not reach every state: %d rows, %v", len(live.Rows), statuses)
			}
			for _, u := range users {
				for _, view := range []string{taskview.ViewMine, taskview.ViewCreated, taskview.ViewParticipating, taskview.ViewAll} {
					for _, sort := range []string{"dueAt", "-priority"} {
						got := slices.Clone(live.Views[u.String()+view+sort])
						if len(slices.Compact(slices.Clone(got))) != len(got) {
							t.Fatalf("%s %s lists a task twice: %v", view, sort, got)
						}
						exp := slices.Clone(want[u.String()+view])
						slices.SortFunc(got, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
						slices.SortFunc(exp, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
						if !slices.Equal(got, exp) {
							t.Fatalf("%s's %s (%s): %v; the aggregates say %v", u, view, sort, got, exp)
						}
					}
				}
			}
			if _, err := env.Engine.RebuildAll(wctx, []string{taskview.Projection}, nil); err != nil {
				t.Fatal(err)
			}
			rebuilt := read(t, ctx, env.DB, users)
			if !reflect.DeepEqual(live, rebuilt) {
				for i := range live.Rows {
					if i < len(rebuilt.Rows) && !reflect.DeepEqual(live.Rows[i], rebuilt.Rows[i]) {
						t.Fatalf("row %d differs:\nlive    %+v\nrebuilt %+v", i, live.Rows[i], rebuilt.Rows[i])
					}
				}
				t.Fatal("rebuilt read model differs from the live one (views or comments)")
			}
		})
	}
}

// countAlerts counts the reminders and overdue notices in the log.
func countAlerts(t *testing.T, env *projtest.Env) int {
	n := 0
	for _, e := range projtest.ReadLog(t, env.Store) {
		if e.Type == (task.Reminded{}).EventType() || e.Type == (task.FellOverdue{}).EventType() {
			n++
		}
	}
	return n
}

// allowed are the refusals a random history meets: someone who may not, a move that is not one,
// a closed task reassigned, a checklist item gone, a deleted task.
func allowed(err error) bool {
	return slices.ContainsFunc([]error{task.ErrNotCreator, task.ErrNotAssignee, task.ErrNotInvolved, task.ErrTransition, task.ErrClosed,
		task.ErrNoItem, commands.ErrNotFound}, func(e error) bool { return errors.Is(err, e) })
}
