package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/eventstore/postgres"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

// get answers a GET on a server's address: status, headers, body.
func get(t *testing.T, addr, path string) (int, http.Header, string) {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	res, err := c.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s%s: %v", addr, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serve opens the application with cfg and serves it on fresh local listeners until the test ends.
func serve(t *testing.T, cfg app.Config, withMetrics bool) (main, metrics string) {
	t.Helper()
	cfg.DataDir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	var mln net.Listener
	if withMetrics {
		mln = listen(t)
		metrics = mln.Addr().String()
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Serve(ctx, ln, mln) })
	t.Cleanup(func() { cancel(); wg.Wait(); _ = a.Close() })
	return ln.Addr().String(), metrics
}

// CHRONICLE_METRICS_ADDR: /metrics answers on its own listener only; that listener serves
// nothing else.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	main, metrics := serve(t, app.Config{MetricsAddr: "127.0.0.1:0"}, true)
	if code, _, body := get(t, main, "/metrics"); code != http.StatusNotFound || strings.Contains(body, "chronicle_") {
		t.Fatalf("main listener GET /metrics = %d %q, want 404 without metrics", code, body)
	}
	if code, _, _ := get(t, main, "/healthz"); code != http.StatusOK {
		t.Fatalf("main listener GET /healthz = %d", code)
	}
	code, hd, body := metricsOf(t, metrics)
	if code != http.StatusOK || !strings.Contains(body, "chronicle_") || hd.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("metrics listener GET /metrics = %d %v %q", code, hd, body)
	}
	for _, p := range []string{"/healthz", "/api/v1/auth/me", "/api/openapi.json", "/"} {
		if code, _, _ := get(t, metrics, p); code != http.StatusNotFound {
			t.Errorf("metrics listener GET %s = %d, want 404", p, code)
		}
	}
}

// metricsOf reads /metrics at addr until it holds Chronicle's own metrics (the projections'
// appear once the engine has started its runners, a moment after Serve) or 10 s have passed.
func metricsOf(t *testing.T, addr string) (int, http.Header, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, hd, body := get(t, addr, "/metrics")
		if strings.Contains(body, "chronicle_") || time.Now().After(deadline) {
			return code, hd, body
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Without CHRONICLE_METRICS_ADDR /metrics stays on the listen address.
func TestMetricsOnTheListenAddressByDefault(t *testing.T) {
	main, _ := serve(t, app.Config{}, false)
	if code, _, body := metricsOf(t, main); code != http.StatusOK || !strings.Contains(body, "chronicle_") {
		t.Fatalf("GET /metrics = %d %q", code, body)
	}
}

// /readyz names the store that is down, never the driver's error text, which goes to the log.
func TestReadinessHidesErrorText(t *testing.T) {
	var log bytes.Buffer
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir()}, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close() // both stores now fail with their own error text
	rec := httptest.NewRecorder()
	a.API.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz = %d %s", rec.Code, body)
	}
	want := `{"eventStore":"unavailable","projections":"starting","readModels":"unavailable"}`
	if strings.TrimSpace(body) != want {
		t.Fatalf("GET /readyz body %s, want %s", body, want)
	}
	if !strings.Contains(log.String(), "closed") {
		t.Fatalf("the reason is not logged: %s", log.String())
	}
}

// TestPoolSizes: the configured pool sizes reach every pool (SQLite and PostgreSQL), and an
// unset size is DefaultPoolSize.
func TestPoolSizes(t *testing.T) {
	if n := app.DefaultPoolSize(); n != max(8, 4*runtime.NumCPU()) {
		t.Fatalf("DefaultPoolSize() = %d on %d CPUs", n, runtime.NumCPU())
	}
	var cfg app.Config
	cfg.Defaults()
	if cfg.PGMaxConns != app.DefaultPoolSize() || cfg.SQLiteReaders != app.DefaultPoolSize() {
		t.Fatalf("defaults: PGMaxConns %d, SQLiteReaders %d, want %d", cfg.PGMaxConns, cfg.SQLiteReaders, app.DefaultPoolSize())
	}
	open := func(t *testing.T, cfg app.Config) *app.App {
		a, err := app.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close() })
		return a
	}
	t.Run("sqlite", func(t *testing.T) {
		a := open(t, app.Config{DataDir: t.TempDir(), SQLiteReaders: 3, PGMaxConns: 5})
		if n := a.DB.SQL.Stats().MaxOpenConnections; n != 3 {
			t.Fatalf("read-model connections: %d, want 3", n)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		u := pgtest.URL(t)
		a := open(t, app.Config{DataDir: t.TempDir(), EventStore: "postgres", ReadModels: "postgres", PostgresURL: u, PGMaxConns: 5, SQLiteReaders: 3})
		if n := a.DB.SQL.Stats().MaxOpenConnections; n != 5 {
			t.Fatalf("read-model connections: %d, want 5", n)
		}
		if n := a.RawStore.(*postgres.Store).Pool().Config().MaxConns; n != 5 {
			t.Fatalf("event-store connections: %d, want 5", n)
		}
	})
}
