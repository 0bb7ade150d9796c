package announcementproj_test

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
	"github.com/chronicle-crm/chronicle/commands/announcementcmd"
	"github.com/chronicle-crm/chronicle/domain/announcement"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/announcementproj"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/announcementview"
)

// depts: every department exists, in use, at the top.
type depts struct{}

func (depts) Department(_ context.Context, id uuid.UUID) (access.DepartmentInfo, bool, error) {
	return access.DepartmentInfo{Path: "/" + id.String() + "/"}, true, nil
}

// reader is a user placed in a department (path) who may or may not publish.
type reader struct {
	id   uuid.UUID
	path string
}

func (r reader) actor(publish bool) access.Actor {
	a := projtest.Manager.Actor
	a.ID, a.DeptPath, a.Roles = r.id, r.path, []string{role.Sales}
	a.Permissions = map[string]bool{}
	if publish {
		a.Permissions[role.AnnouncementsPublish] = true
	}
	return a
}

func meta(a access.Actor) commands.Meta {
	m := projtest.Manager
	m.Actor = a
	return m
}

// model is what the read model serves, comparable: the publishers' view of every row, each
// reader's list (and unread list) with their receipts, counts and each row's receipts.
type model struct {
	All      []announcementview.Announcement
	Lists    map[string][]string
	Counts   map[string]announcementview.Unread
	Receipts map[uuid.UUID][]string
}

func read(t *testing.T, ctx context.Context, db *readmodels.DB, readers []reader, now time.Time) model {
	t.Helper()
	v := announcementview.New(db)
	list := func(q announcementview.Query) []*announcementview.Announcement {
		var out []*announcementview.Announcement
		q.Limit, q.Now = 3, now
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
	m := model{Lists: map[string][]string{}, Counts: map[string]announcementview.Unread{}, Receipts: map[uuid.UUID][]string{}}
	pub := announcementview.Reader{User: uuid.New(), Publisher: true}
	for _, a := range list(announcementview.Query{Reader: pub, View: announcementview.ViewAll}) {
		m.All = append(m.All, *a)
		rs, err := v.Receipts(ctx, a.ID, 200, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs.Items {
			m.Receipts[a.ID] = append(m.Receipts[a.ID], r.UserID.String()+"@"+r.At.UTC().Format(time.RFC3339Nano))
		}
	}
	for _, r := range readers {
		rd := announcementview.ReaderOf(r.actor(false))
		for _, unread := range []bool{false, true} {
			for _, a := range list(announcementview.Query{Reader: rd, Unread: unread}) {
				k := fmt.Sprint(r.id, unread)
				m.Lists[k] = append(m.Lists[k], fmt.Sprint(a.ID, a.Read, a.Pinned))
			}
		}
		c, err := v.UnreadCount(ctx, rd, now)
		if err != nil {
			t.Fatal(err)
		}
		m.Counts[r.id.String()] = c
	}
	return m
}

// TestLiveAndRebuiltAnnouncementsAgree: random histories (publications to everyone and to
// departments, edits, pins, expiry changes, withdrawals, reads, reads repeated) give the same read
// model live and rebuilt, on both engines; each reader's list holds exactly the live, unexpired
// announcements addressed to them, pinned first then newest, with their own receipts; the unread
// count is the number of unread ones in that list; a version is the announcement's stream's
// (reads never move it).
func TestLiveAndRebuiltAnnouncementsAgree(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			reg := projtest.Registry()
			env := projtest.Start(t, e, engine.Options{PageSize: 5}, announcementproj.New(reg))
			ctx := context.Background()
			start := time.Now().UTC()
			clock := func() time.Time { return start }
			svc := announcementcmd.New(env.Store, reg, clock, depts{})
			d1, d2, d3 := uuid.NewString(), uuid.NewString(), uuid.NewString()
			readers := []reader{{uuid.New(), "/" + d1 + "/"}, {uuid.New(), "/" + d1 + "/" + d2 + "/"}, {uuid.New(), "/" + d3 + "/"}, {uuid.New(), ""}}
			publisher := reader{uuid.New(), "/" + d3 + "/"}.actor(true)
			r := rand.New(rand.NewPCG(5, 17))
			var last uint64
			var ids []uuid.UUID
			track := func(res commands.Result, err error) {
				t.Helper()
				if err != nil && !errors.Is(err, commands.ErrNotFound) && !errors.Is(err, announcement.ErrWithdrawn) {
					t.Fatal(err)
				}
				last = max(last, res.Position)
			}
			audiences := []announcement.Audience{{Everyone: true}, {Departments: []string{d1}}, {Departments: []string{d2}}, {Departments: []string{d3, d2}}}
			expiry := func() string {
				switch r.IntN(3) {
				case 0:
					return start.Add(-time.Hour * time.Duration(1+r.IntN(5))).Format(time.RFC3339) // refused: before the publication
				case 1:
					return start.Add(time.Hour * time.Duration(1+r.IntN(48))).Format(time.RFC3339)
				}
				return ""
			}
			for i := range 12 {
				start = start.Add(time.Minute)
				f := announcement.Fields{Title: fmt.Sprint("公告", i), Body: "正文", Audience: audiences[r.IntN(len(audiences))], Pinned: r.IntN(4) == 0}
				res, err := svc.Publish(ctx, meta(publisher), announcementcmd.Publish{Fields: f})
				track(res, err)
				ids = append(ids, res.ID)
			}
			for range 150 {
				start = start.Add(time.Minute)
				id := ids[r.IntN(len(ids))]
				switch r.IntN(8) {
				case 0:
					title := fmt.Sprint("改", r.IntN(100))
					track(svc.Edit(ctx, meta(publisher), id, announcement.Patch{Title: &title}))
				case 1:
					x := expiry()
					res, err := svc.Edit(ctx, meta(publisher), id, announcement.Patch{ExpiresAt: &x})
					var fe *field.Error
					if errors.As(err, &fe) && fe.Code == "expiry_before_publication" {
						err = nil // a random expiry before the publication is refused
					}
					track(res, err)
				case 2:
					track(svc.SetPinned(ctx, meta(publisher), id, r.IntN(2) == 0))
				case 3:
					if r.IntN(6) == 0 {
						track(svc.Withdraw(ctx, meta(publisher), id))
					}
				default:
					rd := readers[r.IntN(len(readers))]
					track(svc.MarkRead(ctx, meta(rd.actor(false)), id))
				}
			}
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, last, announcementview.Projection); err != nil {
				t.Fatal(err)
			}
			now := start.Add(time.Hour)
			live := read(t, ctx, env.DB, readers, now)
			// Every reader's list follows from the aggregates.
			nread := 0
			for _, rd := range readers {
				var want []*announcement.Announcement
				for _, id := range ids {
					l, err := svc.Load(ctx, rd.actor(false), id)
					if errors.Is(err, commands.ErrNotFound) {
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					if l.Root.Expired(now) {
						continue
					}
					want = append(want, l.Root)
				}
				slices.SortFunc(want, func(a, b *announcement.Announcement) int {
					if a.Fields().Pinned != b.Fields().Pinned {
						if a.Fields().Pinned {
							return -1
						}
						return 1
					}
					return b.PublishedAt().Compare(a.PublishedAt())
				})
				got := live.Lists[fmt.Sprint(rd.id, false)]
				if len(got) != len(want) {
					t.Fatalf("%s lists %d, the aggregates say %d: %v", rd.path, len(got), len(want), got)
				}
				unread := 0
				for i, a := range want {
					var id string
					var isRead, pinned bool
					if _, err := fmt.Sscan(got[i], &id, &isRead, &pinned); err != nil {
						t.Fatal(err)
					}
					if id != a.ID().String() || pinned != a.Fields().Pinned {
						t.Fatalf("%s's list at %d: %s, want %s", rd.path, i, got[i], a.ID())
					}
					if !isRead {
						unread++
					} else {
						nread++
					}
				}
				if c := live.Counts[rd.id.String()]; c.Count != int64(unread) || !c.Exact || len(live.Lists[fmt.Sprint(rd.id, true)]) != unread {
					t.Fatalf("%s: count %+v, unread in the list %d, unread list %v", rd.path, c, unread, live.Lists[fmt.Sprint(rd.id, true)])
				}
			}
			for _, a := range live.All {
				l, err := svc.Load(ctx, publisher, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if a.Version != l.Root.Version() || a.Title != l.Root.Fields().Title {
					t.Fatalf("%s: version %d title %q, the stream says %d %q", a.ID, a.Version, a.Title, l.Root.Version(), l.Root.Fields().Title)
				}
			}
			if nread == 0 || len(live.All) < 8 {
				t.Fatalf("the history made too little: %d rows, %d read", len(live.All), nread)
			}
			if _, err := env.Engine.RebuildAll(wctx, []string{announcementview.Projection}, nil); err != nil {
				t.Fatal(err)
			}
			if rebuilt := read(t, ctx, env.DB, readers, now); !reflect.DeepEqual(live, rebuilt) {
				t.Fatalf("rebuilt read model differs:\nlive    %+v\nrebuilt %+v", live, rebuilt)
			}
		})
	}
}
