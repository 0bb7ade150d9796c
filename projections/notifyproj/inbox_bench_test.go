package notifyproj_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/notification"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/notifyproj"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
)

// The inbox benchmark's data set: 1,000,000 notifications of 2,000 users (500 each, a third
// unread).
const (
	benchNotifications = 1_000_000
	benchUsers         = 2_000
)

// BenchmarkInbox measures the bell's reads over 1,000,000 notifications at 32 concurrent
// readers: the unread count (one row per user), a user's first page and their first unread page
// (20 newest, from the index on user and position), the live streams' watcher (the count rows
// changed since a position), beside a primary-key read of one notification in the same run (the
// reference). The rows are COPYed in as the projection writes them.
//
//	CHRONICLE_TEST_POSTGRES_URL='postgres://...' go test -run '^$' -bench Inbox -benchtime 1x -timeout 30m ./projections/notifyproj/
func BenchmarkInbox(b *testing.B) {
	for _, be := range projtest.BenchBackends() {
		if be.Name != "postgres" {
			continue
		}
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			store, _ := be.Store(b)
			db := be.DB(b)
			eng, err := engine.New(store, db, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, notifyproj.New(projtest.Registry()))
			if err != nil {
				b.Fatal(err)
			}
			if err := eng.Prepare(ctx); err != nil {
				b.Fatal(err)
			}
			users := make([]uuid.UUID, benchUsers)
			for i := range users {
				users[i] = uuid.New()
			}
			t0 := time.Now()
			ids := seedInbox(b, ctx, db, users)
			b.Logf("loaded %d notifications in %v", len(ids), time.Since(t0).Round(time.Millisecond))
			for _, t := range []string{"notifications", "notification_counts"} {
				if _, err := db.SQL.ExecContext(ctx, "ANALYZE "+db.Gens.Table(notifyview.Projection, t)); err != nil {
					b.Fatal(err)
				}
			}
			v := notifyview.New(db)
			rows := db.Gens.Table(notifyview.Projection, "notifications")
			user := func() uuid.UUID { return users[rand.IntN(len(users))] }
			cases := []struct {
				name string
				run  func() error
			}{
				{"reference-pk", func() error {
					var n notifyview.Notification
					return db.SQL.QueryRowContext(ctx, db.Q(`SELECT id, kind, title FROM `+rows+` WHERE id = ?`), ids[rand.IntN(len(ids))].String()).
						Scan(new(string), &n.Kind, &n.Title)
				}},
				{"unread-count", func() error { _, err := v.CountOf(ctx, user()); return err }},
				{"first-page", func() error { _, err := v.List(ctx, notifyview.Query{User: user(), Limit: 20}); return err }},
				{"first-unread-page", func() error {
					_, err := v.List(ctx, notifyview.Query{User: user(), Unread: true, Limit: 20})
					return err
				}},
				{"stream-watcher", func() error {
					_, err := v.ChangedSince(ctx, uint64(benchNotifications-rand.IntN(50)))
					return err
				}},
			}
			c, err := v.CountOf(ctx, users[0])
			if err != nil || c.Unread == 0 {
				b.Fatalf("the first user's count: %+v %v", c, err)
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) { projtest.Concurrently(b, c.run) })
			}
		})
	}
}

// seedInbox COPYs the notifications (positions 1…N, each user's spread over the log) and each
// user's count row.
func seedInbox(b *testing.B, ctx context.Context, db *readmodels.DB, users []uuid.UUID) []uuid.UUID {
	b.Helper()
	r := rand.New(rand.NewPCG(11, 17))
	type count struct{ unread, latest int64 }
	counts := map[uuid.UUID]*count{}
	ids := make([]uuid.UUID, 0, benchNotifications)
	batch := make([][]any, 0, 50_000)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		projtest.CopyRows(b, ctx, db, db.Gens.Table(notifyview.Projection, "notifications"), notifyview.InsertColumns, batch)
		batch = batch[:0]
	}
	at := time.Now().Add(-30 * 24 * time.Hour).UTC()
	for pos := 1; pos <= benchNotifications; pos++ {
		u := users[r.IntN(len(users))]
		n := notifyview.Notification{ID: notification.ID(uuid.New(), u), UserID: u, Kind: notification.Kinds[r.IntN(len(notification.Kinds))],
			SubjectKind: "task", SubjectID: uuid.NewString(), Title: "回访客户", ActorID: uuid.NewString(), ActorName: "李经理",
			At: at.Add(time.Duration(pos) * time.Second), Read: r.IntN(3) > 0, Position: uint64(pos)}
		c := counts[u]
		if c == nil {
			c = &count{}
			counts[u] = c
		}
		if !n.Read {
			c.unread++
		}
		c.latest = int64(pos)
		ids = append(ids, n.ID)
		batch = append(batch, notifyview.Args(db.Dialect, &n))
		if len(batch) == cap(batch) {
			flush()
		}
	}
	flush()
	var cr [][]any
	for u, c := range counts {
		cr = append(cr, []any{u.String(), c.unread, c.latest, c.latest})
	}
	projtest.CopyRows(b, ctx, db, db.Gens.Table(notifyview.Projection, "notification_counts"), "user_id, unread, latest, changed", cr)
	return ids
}
