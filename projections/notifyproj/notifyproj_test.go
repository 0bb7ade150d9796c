package notifyproj_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/announcementcmd"
	"github.com/chronicle-crm/chronicle/commands/notifycmd"
	"github.com/chronicle-crm/chronicle/commands/taskcmd"
	"github.com/chronicle-crm/chronicle/commands/worklogcmd"
	"github.com/chronicle-crm/chronicle/domain/announcement"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/notification"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/task"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/domain/worklog"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/notifyproj"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
)

type anyRecord struct{}

func (anyRecord) RelatedName(context.Context, access.Actor, string, uuid.UUID) (string, error) {
	return "", nil
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
	m.Actor.Roles = []string{role.Admin}
	return m
}

type inbox struct {
	Items []notifyview.Notification
	Count notifyview.Count
}

func read(t *testing.T, ctx context.Context, db *readmodels.DB, users []uuid.UUID) map[uuid.UUID]inbox {
	t.Helper()
	v := notifyview.New(db)
	out := map[uuid.UUID]inbox{}
	for _, u := range users {
		var in inbox
		q := notifyview.Query{User: u, Limit: 7}
		for {
			p, err := v.List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range p.Items {
				in.Items = append(in.Items, *n)
			}
			in.Count = p.Count
			if q.Cursor = p.NextCursor; q.Cursor == "" {
				break
			}
		}
		out[u] = in
	}
	return out
}

// TestLiveAndRebuiltInboxesAgree: random task and work log histories and reads give every user the same inbox
// live and rebuilt (the same notifications with the same ids, what was read still read), each
// user's unread count is the number of their unread notifications, no one is notified of their
// own act, and every notification is one of the kinds its events make.
func TestLiveAndRebuiltInboxesAgree(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 5}, notifyproj.New(reg))
			ctx := context.Background()
			start := time.Now()
			clock := func() time.Time { return time.Now().UTC().Add(time.Since(start) * 20000) } // days pass: reminders fire
			tasks := taskcmd.New(env.Store, reg, clock, taskcmd.Deps{Org: projtest.AllowAll{}, Related: anyRecord{}})
			notes := notifycmd.New(env.Store, reg, clock)
			users := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
			logs := worklogcmd.New(env.Store, reg, clock, worklogcmd.Deps{Org: ring{users: users}, Related: anyRecord{}})
			// the organisation: 销售中心 with 华北 below it; a user in each, one in none
			centre, north := uuid.New(), uuid.New()
			org := []struct {
				stream string
				e      event.Event
			}{
				{department.Stream(centre), department.Created{DepartmentID: centre.String(), Name: "销售中心"}},
				{department.Stream(north), department.Created{DepartmentID: north.String(), Name: "华北", ParentID: centre.String()}},
				{user.Stream(users[0]), user.Created{UserID: users[0].String(), Username: "u0", DisplayName: "甲", DepartmentID: centre.String()}},
				{user.Stream(users[1]), user.Created{UserID: users[1].String(), Username: "u1", DisplayName: "乙", DepartmentID: north.String()}},
				{user.Stream(users[2]), user.Created{UserID: users[2].String(), Username: "u2", DisplayName: "丙"}},
			}
			for _, o := range org {
				data, err := commands.Encode(projtest.Manager, clock(), []event.Event{o.e})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := env.Store.Append(ctx, o.stream, eventstore.NoStream, data); err != nil {
					t.Fatal(err)
				}
			}
			anns := announcementcmd.New(env.Store, reg, clock, topDepts{})
			audiences := []announcement.Audience{{Everyone: true}, {Departments: []string{centre.String()}}, {Departments: []string{north.String()}}}
			addressed := func(a announcement.Audience, u uuid.UUID) bool {
				return a.Everyone || u == users[1] || u == users[0] && a.Departments[0] == centre.String()
			}
			announced := map[string]announcement.Audience{}
			r := rand.New(rand.NewPCG(3, 9))
			var ids []uuid.UUID
			var last uint64
			track := func(res commands.Result, err error) {
				t.Helper()
				if err != nil && !allowed(err) {
					t.Fatal(err)
				}
				last = max(last, res.Position)
			}
			for i := range 15 {
				due := clock().Add(time.Duration(1+r.IntN(72)) * time.Hour).Format(time.RFC3339)
				res, err := tasks.Create(ctx, as(users[r.IntN(3)]), taskcmd.Create{Fields: task.Fields{Title: fmt.Sprint("任务", i), DueAt: due}, AssigneeID: users[r.IntN(3)]})
				track(res, err)
				ids = append(ids, res.ID)
			}
			var logIDs []uuid.UUID
			for i := range 6 {
				day := worklog.Today(time.Now()).AddDate(0, 0, -1-i).Format(time.DateOnly)
				res, err := logs.Create(ctx, as(users[i%3]), worklogcmd.Create{Kind: worklog.Daily, Period: day, Fields: worklog.Fields{WorkDone: "日志"}, Submit: i%2 == 0})
				track(res, err)
				logIDs = append(logIDs, res.ID)
			}
			for range 200 {
				if r.IntN(4) == 0 {
					lid, who := logIDs[r.IntN(len(logIDs))], users[r.IntN(3)]
					switch r.IntN(3) {
					case 0:
						track(logs.Submit(ctx, as(who), lid))
					case 1:
						track(logs.Comment(ctx, as(who), lid, "评论日志"))
					case 2:
						track(logs.MarkRead(ctx, as(who), lid))
					}
					continue
				}
				id, who := ids[r.IntN(len(ids))], users[r.IntN(3)]
				switch r.IntN(7) {
				case 0:
					track(tasks.Assign(ctx, as(who), id, users[r.IntN(3)]))
				case 1:
					track(tasks.SetStatus(ctx, as(who), id, task.Status(task.Statuses[r.IntN(4)]), "说明"))
				case 2:
					track(tasks.Comment(ctx, as(who), id, "评论"))
				case 3:
					track(tasks.Alert(ctx, id))
				case 4, 5:
					// read a few of one's own (and a stranger's id, which changes nothing)
					wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					if err := env.Engine.WaitFor(wctx, last, notifyview.Projection); err != nil {
						t.Fatal(err)
					}
					cancel()
					p, err := notifyview.New(env.DB).List(ctx, notifyview.Query{User: who, Unread: true, Limit: 3})
					if err != nil {
						t.Fatal(err)
					}
					pick := []uuid.UUID{uuid.New()}
					for _, n := range p.Items {
						pick = append(pick, n.ID)
					}
					track(notes.MarkRead(ctx, as(who), pick, false))
				case 6:
					if r.IntN(8) == 0 {
						track(notes.MarkRead(ctx, as(who), nil, true))
					}
					if r.IntN(3) == 0 {
						a := audiences[r.IntN(len(audiences))]
						res, err := anns.Publish(ctx, as(who), announcementcmd.Publish{Fields: announcement.Fields{Title: "公告", Body: "正文", Audience: a}})
						track(res, err)
						announced[res.ID.String()] = a
					}
				}
			}
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, notifyview.Projection); err != nil {
				t.Fatal(err)
			}
			live := read(t, ctx, env.DB, users)
			total, reads := 0, 0
			kinds := map[string]int{}
			for _, u := range users {
				in := live[u]
				unread := 0
				for _, n := range in.Items {
					if !n.Read {
						unread++
					} else {
						reads++
					}
					if n.ActorID == u.String() {
						t.Fatalf("%s was notified of their own act: %+v", u, n)
					}
					kinds[n.Kind]++
					if n.Kind == notification.AnnouncementPublished && !addressed(announced[n.SubjectID], u) {
						t.Fatalf("%s was told of an announcement not addressed to them: %+v", u, n)
					}
				}
				if int64(unread) != in.Count.Unread {
					t.Fatalf("%s: count %d, unread rows %d", u, in.Count.Unread, unread)
				}
				total += len(in.Items)
			}
			if kinds[notification.AnnouncementPublished] == 0 || len(announced) == 0 {
				t.Fatalf("no announcement was notified: %v", kinds)
			}
			if total < 30 || reads == 0 || len(kinds) < 4 || kinds["worklog_submitted"] == 0 || kinds["worklog_commented"] == 0 {
				t.Fatalf("the history made too little: %d notifications, %d read, kinds %v", total, reads, kinds)
			}
			if _, err := env.Engine.RebuildAll(wctx, []string{notifyview.Projection}, nil); err != nil {
				t.Fatal(err)
			}
			if rebuilt := read(t, ctx, env.DB, users); !reflect.DeepEqual(live, rebuilt) {
				t.Fatalf("rebuilt inboxes differ:\nlive    %+v\nrebuilt %+v", live, rebuilt)
			}
		})
	}
}

// topDepts: every department exists, in use, at the top.
type topDepts struct{}

func (topDepts) Department(_ context.Context, id uuid.UUID) (access.DepartmentInfo, bool, error) {
	return access.DepartmentInfo{Path: "/" + id.String() + "/"}, true, nil
}

func allowed(err error) bool {
	for _, e := range []error{task.ErrNotCreator, task.ErrNotAssignee, task.ErrNotInvolved, task.ErrTransition, task.ErrClosed,
		worklog.ErrNotWriter, worklog.ErrSubmitted, worklog.ErrNotSubmitted, commands.ErrNotFound} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
