// Package pgtest gives tests a private PostgreSQL schema.
//
// Tests that need PostgreSQL call URL(t). When CHRONICLE_TEST_POSTGRES_URL is not set the test is
// skipped, unless CHRONICLE_REQUIRE_POSTGRES=1 is set (as CI does): then it fails, so CI can never
// skip PostgreSQL coverage silently.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvEngines names the variable that narrows the engines the application's tests run on
// (comma-separated: sqlite, postgres; both when unset). `make test` runs them on PostgreSQL under
// the race detector, then on SQLite without it (see the Makefile).
const EnvEngines = "CHRONICLE_TEST_ENGINES"

// Engines are the engines the application's tests run on (CHRONICLE_TEST_ENGINES, else both).
func Engines() []string {
	v := strings.TrimSpace(os.Getenv(EnvEngines))
	if v == "" {
		return []string{"sqlite", "postgres"}
	}
	var out []string
	for _, e := range strings.Split(v, ",") {
		switch e = strings.TrimSpace(e); e {
		case "sqlite", "postgres":
			out = append(out, e)
		default:
			panic(EnvEngines + ": unknown engine " + e + " (sqlite, postgres)")
		}
	}
	return out
}

// EnvURL names the variable holding the base URL of a test database.
const EnvURL = "CHRONICLE_TEST_POSTGRES_URL"

// BaseURL returns the configured test database URL, skipping or failing the test when unset.
func BaseURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CHRONICLE_REQUIRE_POSTGRES") == "1" {
			tb.Fatalf("%s is not set but CHRONICLE_REQUIRE_POSTGRES=1: PostgreSQL tests must run", EnvURL)
		}
		tb.Skipf("%s not set; PostgreSQL test skipped", EnvURL)
	}
	return base
}

var extOnce sync.Once

// URL creates a fresh schema for the test (dropped at cleanup) and returns a URL whose
// search_path points at it (then public, where pg_trgm lives).
func URL(tb testing.TB) string {
	tb.Helper()
	base := BaseURL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	extOnce.Do(func() {
		// Extensions are per database; concurrent CREATE EXTENSION can race, so take a lock.
		_, _ = conn.Exec(ctx, "SELECT pg_advisory_lock(7261001)")
		_, err = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm")
		_, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock(7261001)")
	})
	if err != nil {
		tb.Fatalf("create extension pg_trgm: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}
