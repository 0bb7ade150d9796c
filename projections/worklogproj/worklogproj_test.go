package worklogproj_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/worklogcmd"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/worklog"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/projections/worklogproj"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/worklogview"
)

// anyRecord: every linked record exists, is readable and is called by its id.
type anyRecord struct{}

func (anyRecord) RelatedName(_ context.Context, _ access.Actor, kind string, id uuid.UUID) (string, error) {
	return kind + " " + id.String()[:8], nil
}

// ring is an organisation of users each of whom is the next one's superior, in no department.
type ring struct {
	projtest.AllowAll
	users []uuid.UUID
}

func (r ring) Superior(_ context.Context, u uuid.UUID) (uuid.UUID, error) {
	for i, x := range r.users {
		if x == u {
			return r.users[(i+1)%len(r.users)], nil
		}
	}
	return uuid.Nil, nil
}
func (ring) DepartmentOf(context.Context, uuid.UUID) (uuid.UUID, error) { return uuid.Nil, nil }
func (ring) DepartmentHead(context.Context, uuid.UUID) (uuid.UUID, bool, error) {
	return uuid.Nil, false, nil
}
func (ring) ParentDepartment(context.Context, uuid.UUID) (uuid.UUID, error) { return uuid.Nil, nil }

func as(id uuid.UUID) commands.Meta {
	m := projtest.Manager
	m.Actor.ID = id
	m.Actor.Roles = []string{role.Sales}
	m.Actor.Permissions = map[string]bool{}
	m.Actor.Scope = role.ScopeSelf
	return m
}

// model is what the read model holds, comparable: every row, each user's views, each log's
// comments and receipts.
type model struct {
	Rows     []worklogview.Log
	Views    map[string][]uuid.UUID
	Comments map[uuid.UUID][]string
	Receipts map[uuid.UUID][]string
}

func read(t *testing.T, ctx context.Context, db *readmodels.DB, users []uuid.UUID) model {
	t.Helper()
	v := worklogview.New(db)
	list := func(q worklogview.Query) []*worklogview.Log {
		var out []*worklogview.Log
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
	m := model{Views: map[string][]uuid.UUID{}, Comments: map[uuid.UUID][]string{}, Receipts: map[uuid.UUID][]string{}}
	// every row: each writer's own (drafts are read by their writers alone)
	for _, u := range users {
		writer := worklogview.Reader{Scope: readmodels.Scope{All: true}, User: u}
		for _, row := range list(worklogview.Query{Reader: writer, View: worklogview.ViewMine, Sort: "updatedAt"}) {
			m.Rows = append(m.Rows, *row)
			cs, err := v.Comments(ctx, writer, row.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				m.Comments[row.ID] = append(m.Comments[row.ID], c.Text+"/"+c.By.String())
			}
			rs, err := v.Receipts(ctx, writer, row.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				m.Receipts[row.ID] = append(m.Receipts[row.ID], fmt.Sprint(r.UserID, r.ReadAt != nil))
			}
		}
	}
	for _, u := range users {
		reader := worklogview.Reader{Scope: readmodels.Scope{UserID: u, Kind: role.ScopeSelf, None: true}, User: u}
		for _, view := range []string{worklogview.ViewMine, worklogview.ViewReceived, worklogview.ViewAll} {
			for _, sort := range []string{"-period", "submittedAt"} {
				for _, unread := range []bool{false, true} {
					k := fmt.Sprint(u, view, sort, unread)
					for _, it := range list(worklogview.Query{Reader: reader, View: view, Sort: sort, Unread: unread}) {
						m.Views[k] = append(m.Views[k], it.ID)
					}
				}
			}
		}
	}
	return m
}

// TestLiveAndRebuiltWorkLogsAgree: random histories of work logs (drafts and logs submitted at
// once, edits by the writer and by others, submissions, comments, readings by recipients and by
// others) give the same read model live and rebuilt, on both engines; every row is what its
// aggregate says; each user's views (paged by 7, two sorts) are exactly the logs the aggregates
// say the user wrote, received (unread) or may read.
func TestLiveAndRebuiltWorkLogsAgree(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 5}, worklogproj.New(reg))
			ctx := context.Background()
			users := []uuid.UUID{uuid.New(), uuid.New(), uuid.New(), uuid.New()}
			svc := worklogcmd.New(env.Store, reg, func() time.Time { return time.Now().UTC() }, worklogcmd.Deps{Org: ring{users: users}, Related: anyRecord{}})
			r := rand.New(rand.NewPCG(11, 5))
			today := worklog.Today(time.Now())
			var last uint64
			var ids []uuid.UUID
			for i := range 40 {
				k := worklog.Kind(worklog.Kinds[r.IntN(3)])
				f := worklog.Fields{WorkDone: fmt.Sprint("工作", i), Plan: "计划"}
				if r.IntN(2) == 0 {
					f.Links = []worklog.Link{{Kind: "customer", ID: uuid.NewString()}}
				}
				if r.IntN(3) == 0 {
					f.ExtraRecipients = []string{users[r.IntN(len(users))].String()}
				}
				res, err := svc.Create(ctx, as(users[r.IntN(len(users))]), worklogcmd.Create{Kind: k, Period: today.AddDate(0, 0, -r.IntN(60)).Format(time.DateOnly),
					Fields: f, Submit: r.IntN(2) == 0})
				if errors.Is(err, worklogcmd.ErrDuplicatePeriod) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				last = max(last, res.Position)
				ids = append(ids, res.ID)
			}
			load := func(id uuid.UUID) *worklog.Log { // a draft is read by its writer alone
				for _, u := range users {
					if l, err := svc.Load(ctx, as(u).Actor, id); err == nil {
						return l.Root
					}
				}
				t.Fatalf("no one reads %s", id)
				return nil
			}
			for range 250 {
				id := ids[r.IntN(len(ids))]
				l := load(id)
				who := users[r.IntN(len(users))]
				if r.IntN(2) == 0 {
					who = l.Writer()
				}
				var res commands.Result
				var err error
				switch r.IntN(6) {
				case 0:
					plan := fmt.Sprint("改", r.IntN(100))
					res, err = svc.Update(ctx, as(who), id, worklog.Patch{Plan: &plan})
				case 1:
					if r.IntN(5) == 0 { // some drafts stay drafts
						res, err = svc.Submit(ctx, as(who), id)
					}
				case 2, 3:
					res, err = svc.Comment(ctx, as(who), id, fmt.Sprint("评论", r.IntN(100)))
				default:
					if rs := l.Recipients(); len(rs) > 0 && r.IntN(3) > 0 {
						who = uuid.MustParse(rs[r.IntN(len(rs))])
					}
					res, err = svc.MarkRead(ctx, as(who), id)
				}
				if err != nil && !allowed(err) {
					t.Fatal(err)
				}
				last = max(last, res.Position)
			}
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, worklogview.Projection); err != nil {
				t.Fatal(err)
			}
			live := read(t, ctx, env.DB, users)
			want := map[string][]uuid.UUID{}
			statuses, reads, comments := map[string]int{}, 0, 0
			for _, row := range live.Rows {
				l := load(row.ID)
				exp := row
				exp.FromAggregate(l)
				got := row
				for _, x := range []*worklogview.Log{&exp, &got} { // the databases keep microseconds
					if x.SubmittedAt != nil {
						s := x.SubmittedAt.Truncate(time.Microsecond).UTC()
						x.SubmittedAt = &s
					}
					x.State.ReadBy = slices.Clip(x.State.ReadBy)
					if len(x.State.ReadBy) == 0 {
						x.State.ReadBy = nil
					}
				}
				if !reflect.DeepEqual(exp, got) || row.Version != l.EditVersion() || *row.OwnerID != l.Writer() ||
					len(live.Comments[row.ID]) != l.Comments() || len(live.Receipts[row.ID]) != len(l.Recipients()) {
					t.Fatalf("%s: row %+v\naggregate %+v", row.ID, row, l.Snapshot())
				}
				statuses[row.Status]++
				reads += len(l.ReadBy())
				comments += l.Comments()
				for _, u := range users {
					k := u.String()
					if l.Writer() == u {
						want[k+"mine"] = append(want[k+"mine"], row.ID)
					}
					if l.IsRecipient(u) {
						want[k+"received"] = append(want[k+"received"], row.ID)
						if !slices.Contains(l.ReadBy(), k) {
							want[k+"unread"] = append(want[k+"unread"], row.ID)
						}
					}
					if l.Writer() == u || l.IsRecipient(u) {
						want[k+"all"] = append(want[k+"all"], row.ID)
					}
				}
			}
			if statuses["draft"] == 0 || statuses["submitted"] < 10 || reads == 0 || comments == 0 {
				t.Fatalf("the history did not reach every state: %v, %d reads, %d comments", statuses, reads, comments)
			}
			cmp := func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }
			for _, u := range users {
				for _, view := range []string{worklogview.ViewMine, worklogview.ViewReceived, worklogview.ViewAll} {
					for _, sort := range []string{"-period", "submittedAt"} {
						for _, unread := range []bool{false, true} {
							got := slices.Clone(live.Views[fmt.Sprint(u, view, sort, unread)])
							if len(slices.Compact(slices.Clone(got))) != len(got) {
								t.Fatalf("%s %s lists a log twice: %v", view, sort, got)
							}
							exp := slices.Clone(want[u.String()+view])
							if unread { // unread narrows any view to the logs sent to the reader and not opened
								exp = slices.DeleteFunc(exp, func(id uuid.UUID) bool { return !slices.Contains(want[u.String()+"unread"], id) })
							}
							slices.SortFunc(got, cmp)
							slices.SortFunc(exp, cmp)
							if !slices.Equal(got, exp) {
								t.Fatalf("%s's %s (%s, unread %v): %v; the aggregates say %v", u, view, sort, unread, got, exp)
							}
						}
					}
				}
			}
			if _, err := env.Engine.RebuildAll(wctx, []string{worklogview.Projection}, nil); err != nil {
				t.Fatal(err)
			}
			if rebuilt := read(t, ctx, env.DB, users); !reflect.DeepEqual(live, rebuilt) {
				for i := range live.Rows {
					if i < len(rebuilt.Rows) && !reflect.DeepEqual(live.Rows[i], rebuilt.Rows[i]) {
						t.Fatalf("row %d differs:\nlive    %+v\nrebuilt %+v", i, live.Rows[i], rebuilt.Rows[i])
					}
				}
				t.Fatal("rebuilt read model differs from the live one (views, comments or receipts)")
			}
		})
	}
}

// allowed are the refusals a random history meets: someone who may not, a log already submitted,
// a comment on a draft, a log edited after its first comment, a draft someone else cannot see.
func allowed(err error) bool {
	return slices.ContainsFunc([]error{worklog.ErrNotWriter, worklog.ErrSubmitted, worklog.ErrNotSubmitted, worklog.ErrCommented,
		commands.ErrNotFound}, func(e error) bool { return errors.Is(err, e) })
}
