package orgview_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// Authenticated reads must not write: a session's expiry slides at most once a minute, so a
// burst of requests costs one UPDATE, not one per request (issue: 32 ms per GET on SQLite).
func TestTouchSessionSlidesAtMostOncePerMinute(t *testing.T) {
	for _, be := range projtest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			db := be.DB(t)
			v := orgview.New(db)
			ttl := 8 * time.Hour
			start := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
			s := usercmd.Session{ID: uuid.NewString(), TokenHash: "h1", UserID: uuid.New(), CreatedAt: start, ExpiresAt: start.Add(ttl), Client: "test"}
			if err := v.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			stored := func() time.Time {
				t.Helper()
				var got readmodels.Time
				if err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT expires_at FROM sessions WHERE token_hash = ?`), "h1").Scan(&got); err != nil {
					t.Fatal(err)
				}
				return got.T
			}
			// 59 requests within the first minute: the stored expiry never moves.
			for i := 1; i < 60; i++ {
				now := start.Add(time.Duration(i) * time.Second)
				got, err := v.TouchSession(ctx, "h1", now, now.Add(ttl))
				if err != nil {
					t.Fatal(err)
				}
				if !got.ExpiresAt.Equal(start.Add(ttl)) {
					t.Fatalf("touch after %d s answered expiry %v, want the unchanged %v", i, got.ExpiresAt, start.Add(ttl))
				}
			}
			if got := stored(); !got.Equal(start.Add(ttl)) {
				t.Fatalf("reads within a minute wrote the session: expires_at %v, want %v", got, start.Add(ttl))
			}
			// After more than a minute the expiry slides, once.
			later := start.Add(90 * time.Second)
			got, err := v.TouchSession(ctx, "h1", later, later.Add(ttl))
			if err != nil {
				t.Fatal(err)
			}
			if !got.ExpiresAt.Equal(later.Add(ttl)) || !stored().Equal(later.Add(ttl)) {
				t.Fatalf("after 90 s: answered %v, stored %v, want %v", got.ExpiresAt, stored(), later.Add(ttl))
			}
			// An expired session is gone.
			past := later.Add(ttl + time.Second)
			if _, err := v.TouchSession(ctx, "h1", past, past.Add(ttl)); !errors.Is(err, commands.ErrNotFound) {
				t.Fatalf("expired session: %v, want not found", err)
			}
		})
	}
}
