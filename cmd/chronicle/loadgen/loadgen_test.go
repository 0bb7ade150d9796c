package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
)

const adminPassword = "Adm1n-load-2026!"

// serve runs the application on cfg's stores at a free local port until the test ends.
func serve(t *testing.T, cfg app.Config) string {
	t.Helper()
	a, err := app.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		a.Close()
	})
	select {
	case <-a.Engine.Running():
	case err := <-done:
		t.Fatalf("serve stopped at start: %v", err)
	}
	return "http://" + ln.Addr().String()
}

// total is how many rows a list shows username: its total when exact, else (over the bound of
// the count) the rows of every page, counted.
func total(t *testing.T, base, username, password, path string) int64 {
	t.Helper()
	d := &driver{o: DriveOptions{URL: base}, client: NewClient(1, 30*time.Second)}
	s, err := d.login(context.Background(), username, password)
	if err != nil {
		t.Fatalf("sign in as %s: %v", username, err)
	}
	get := func(path string) (page struct {
		Total      int64
		TotalExact bool
		NextCursor string
		Items      []json.RawMessage
	}) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := d.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s as %s: %d %v", path, username, resp.StatusCode, err)
		}
		return page
	}
	first := get(path)
	if first.TotalExact {
		return first.Total
	}
	all := strings.Replace(path, "limit=1", "limit=500", 1)
	var n int64
	for cursor := ""; ; {
		p := all
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		page := get(p)
		n += int64(len(page.Items))
		if cursor = page.NextCursor; cursor == "" {
			return n
		}
	}
}

// seedAndCheck seeds a small data set, checks that a second run adds nothing, serves it and
// checks what the administrator and a sales user see.
func seedAndCheck(t *testing.T, cfg app.Config) string {
	t.Helper()
	usercmd.UseTestHashCost() // dozens of accounts; the real cost is not what is tested here
	ctx := context.Background()
	o := SeedOptions{Leads: 2000, Customers: 200, Sales: 6, Batch: 500, LeadPool: 0.2, CustomerPool: 0.3}
	var out bytes.Buffer
	res, err := Seed(ctx, cfg, slog.New(slog.DiscardHandler), o, &out)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	if res.Appended != 2200 || res.Existing != 0 || res.Events != 2200 {
		t.Fatalf("seed appended %d records (%d events), %d there already; want 2,200 new\n%s", res.Appended, res.Events, res.Existing, out.String())
	}
	for _, want := range []string{"13 managers, 6 sales users", "events/s", "projections caught up"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("seed output lacks %q:\n%s", want, out.String())
		}
	}
	again, err := Seed(ctx, cfg, slog.New(slog.DiscardHandler), o, &out)
	if err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if again.Appended != 0 || again.Existing != 2200 {
		t.Fatalf("second seed appended %d records, found %d; want none new, 2,200 found", again.Appended, again.Existing)
	}
	base := serve(t, cfg)
	if n := total(t, base, "admin", adminPassword, "/api/v1/leads?limit=1"); n != 2000 {
		t.Errorf("the administrator sees %d leads, want 2,000", n)
	}
	if n := total(t, base, "admin", adminPassword, "/api/v1/customers?limit=1"); n != 200 {
		t.Errorf("the administrator sees %d customers, want 200", n)
	}
	// A sales user sees the own leads and the pool: a minority, but some.
	pool := total(t, base, "admin", adminPassword, "/api/v1/leads?limit=1&pool=true")
	if pool < 300 || pool > 500 {
		t.Errorf("%d leads in the pool, want about a fifth of 2,000", pool)
	}
	sales := total(t, base, SalesUsername(1), DefaultPassword, "/api/v1/leads?limit=1")
	if sales <= pool || sales >= 1000 {
		t.Errorf("sales0001 sees %d leads (pool %d), want the pool and some own leads, under half", sales, pool)
	}
	return base
}

// TestSeedAndDriveSQLite seeds 2,000 leads into a fresh SQLite data directory, serves it and
// drives every operation as the administrator and as sales users for 3 s (and on until each ran
// three times, for slow machines and the race detector): no errors, and every operation ran.
func TestSeedAndDriveSQLite(t *testing.T) {
	pgtest.Engine(t, "sqlite")
	cfg := app.Config{DataDir: t.TempDir(), AdminPassword: adminPassword}
	base := seedAndCheck(t, cfg)
	var mix []string
	for _, op := range Ops {
		mix = append(mix, op+"=1")
	}
	for _, as := range []string{"admin", "sales"} {
		t.Run(as, func(t *testing.T) {
			rep, err := Drive(context.Background(), DriveOptions{URL: base, As: as, AdminPassword: adminPassword, Sessions: 3, VUs: 4,
				Duration: 3 * time.Second, MinEach: 3, Mix: strings.Join(mix, ",")})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			rep.Print(&out)
			t.Log("\n" + out.String())
			if rep.Overall.ErrorCount != 0 {
				t.Errorf("%d errors", rep.Overall.ErrorCount)
			}
			ran := map[string]OpStats{}
			for _, s := range rep.Ops {
				ran[s.Op] = s
			}
			for _, op := range Ops {
				if s := ran[op]; s.Requests == 0 || s.Throughput <= 0 {
					t.Errorf("%s: %d requests, %.1f/s", op, s.Requests, s.Throughput)
				}
			}
		})
	}
}

// TestSeedPostgres: the same seed on PostgreSQL stores.
func TestSeedPostgres(t *testing.T) {
	pgtest.Engine(t, "postgres")
	url := pgtest.URL(t)
	seedAndCheck(t, app.Config{DataDir: t.TempDir(), EventStore: "postgres", ReadModels: "postgres", PostgresURL: url,
		AdminPassword: adminPassword})
}
