package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/postgres"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

// TestClientDisconnectIsCanceledNotInternal: a client that goes away while its create waits for
// the event store (another writer holds the append lock) is neither an internal error in the log
// nor in the metrics: the command is counted with outcome "canceled", the log has it at debug
// level and no error line, and nothing was written.
func TestClientDisconnectIsCanceledNotInternal(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var log syncBuffer
			h := apitest.NewLogged(t, engine, slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})))
			admin := h.Login("admin", apitest.AdminPassword)
			ctx := context.Background()
			release := holdAppendLock(t, h)
			defer release()
			head, err := h.App.Store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}

			reqCtx, hangUp := context.WithCancel(ctx)
			defer hangUp()
			req, _ := http.NewRequestWithContext(reqCtx, http.MethodPost, h.Srv.URL+"/api/v1/leads", strings.NewReader(`{"name":"挂断的客户"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Idempotency-Key", "hang-up-1")
			answered := make(chan error, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					res.Body.Close()
					err = errors.New("answered " + res.Status)
				}
				answered <- err
			}()
			defer func() {
				if t.Failed() {
					t.Logf("log:\n%s\nmetrics:\n%s", log.String(), grepLines(scrape(t, h), "chronicle_commands_total"))
				}
			}()
			// The key is reserved once the request is past sign-in and into the command, which then
			// waits for the append lock: hang up there.
			eventually(t, "the request reserves its idempotency key", func() bool {
				var n int
				err := h.App.DB.SQL.QueryRowContext(ctx, h.App.DB.Q(`SELECT count(*) FROM idempotency_keys WHERE key = ?`), "hang-up-1").Scan(&n)
				return err == nil && n == 1
			})
			hangUp()
			if err := <-answered; !errors.Is(err, context.Canceled) {
				t.Fatalf("the client got %v, want its own cancellation", err)
			}

			eventually(t, "the create is counted as canceled", func() bool {
				return strings.Contains(scrape(t, h), `chronicle_commands_total{command="lead.create",outcome="canceled"} 1`)
			})
			metrics := scrape(t, h)
			if strings.Contains(metrics, `outcome="internal"`) {
				t.Errorf("a command is counted as internal:\n%s", grepLines(metrics, "chronicle_commands_total"))
			}
			logged := log.String()
			if !strings.Contains(logged, "level=DEBUG msg=\"request canceled\"") || !strings.Contains(logged, "path=/api/v1/leads") {
				t.Errorf("no debug line for the canceled request:\n%s", logged)
			}
			if strings.Contains(logged, "level=ERROR") {
				t.Errorf("the disconnect is logged as an error:\n%s", grepLines(logged, "level=ERROR"))
			}
			release()
			if after, err := h.App.Store.Head(ctx); err != nil || after != head {
				t.Errorf("the canceled create wrote %d events (%v)", after-head, err)
			}
			// The key was given back: the client may send the request again with it.
			h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "挂断的客户"}, "Idempotency-Key", "hang-up-1"), 201)
		})
	}
}

// holdAppendLock makes every append of h's event store wait, the way a long transaction of
// another writer would, until the returned function is called (it may be called twice).
func holdAppendLock(t *testing.T, h *apitest.Harness) (release func()) {
	t.Helper()
	ctx := context.Background()
	var once sync.Once
	switch h.App.Config.EventStore {
	case "sqlite":
		db, err := sql.Open("sqlite", esqlite.DSN(filepath.Join(h.App.Config.DataDir, "events.db")))
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		return func() {
			once.Do(func() {
				_, _ = conn.ExecContext(ctx, "ROLLBACK")
				_ = conn.Close()
				_ = db.Close()
			})
		}
	case "postgres":
		conn, err := pgx.Connect(ctx, h.App.Config.PostgresURL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", postgres.AppendLockKey); err != nil {
			t.Fatal(err)
		}
		return func() { once.Do(func() { _ = conn.Close(ctx) }) }
	}
	t.Fatalf("no append lock for %s", h.App.Config.EventStore)
	return nil
}

// eventually fails the test unless cond holds within 20 s (asked every 20 ms).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scrape answers the Prometheus text of h's /metrics.
func scrape(t *testing.T, h *apitest.Harness) string {
	t.Helper()
	res, err := http.Get(h.Srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// syncBuffer is a log destination the test reads while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
