// Package apitest is the harness of the module API tests: it starts the application on a
// temporary SQLite directory (or on PostgreSQL, see pgtest), signs in, sends requests and
// decodes answers and problem documents, so each module's API tests live in its own package
// (go test ./adapters/httpapi/leadapi/ runs the lead API tests alone).
package apitest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// AdminPassword is the first administrator's password (user "admin").
const AdminPassword = "Adm1n-passw0rd!"

// PasswordOf is the password CreateUser gives username: derived from it (tests sign in with it
// again) without containing it, which the password policy refuses.
func PasswordOf(username string) string {
	sum := sha256.Sum256([]byte(username))
	return "Secret-" + hex.EncodeToString(sum[:4]) + "-2026"
}

// Harness is a running application and an HTTP server in front of it.
type Harness struct {
	T   *testing.T
	Srv *httptest.Server
	App *app.App
	// NoContract turns off the check of every exchange against the OpenAPI document (Contract), for
	// a test that sends what no client may send on purpose and looks at nothing but the status.
	NoContract bool
	// errors keeps the application's error log lines, shown when a request unexpectedly fails
	// with a 5xx (why, on a CI run that cannot be repeated).
	errors *errorLog
}

// errorLog collects the log lines at level ERROR (safe for concurrent use).
type errorLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *errorLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("level=ERROR")) {
		l.mu.Lock()
		if len(l.lines) < 50 {
			l.lines = append(l.lines, strings.TrimSpace(string(p)))
		}
		l.mu.Unlock()
	}
	return len(p), nil
}

func (l *errorLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// New starts the application on engine ("sqlite" or "postgres"), optionally with a clock.
func New(t *testing.T, engine string, clock ...commands.Clock) *Harness {
	t.Helper()
	var logTo io.Writer = io.Discard
	if os.Getenv("CHRONICLE_TEST_LOG") != "" { // the application's log on stderr, to see why a test failed
		logTo = os.Stderr
	}
	errs := &errorLog{}
	h := NewLogged(t, engine, slog.New(slog.NewTextHandler(io.MultiWriter(logTo, errs), nil)), clock...)
	h.errors = errs
	return h
}

// NewLogged is New with the application logging to logger (a test that reads the log).
func NewLogged(t *testing.T, engine string, logger *slog.Logger, clock ...commands.Clock) *Harness {
	t.Helper()
	// A turn to hash a password may take long on a machine busy with parallel tests: the
	// harness waits for it rather than answer 503 (tests of the gate give the app their own).
	// Likewise a command waits up to 15 s for its read model before answering 202 (a loaded CI
	// machine running the race detector can lag seconds; a 202 there is not what a test tests).
	usercmd.UseTestHashCost() // hundreds of sign-ins under the race detector (see its comment)
	cfg := app.Config{DataDir: t.TempDir(), EventStore: engine, ReadModels: engine, AdminPassword: AdminPassword, ReadWait: 15 * time.Second,
		HashWait: time.Minute}
	if len(clock) > 0 {
		cfg.Clock = clock[0]
	}
	if engine == "postgres" {
		cfg.PostgresURL = pgtest.URL(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.EnsureAdmin(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Engine.Run(ctx) }()
	<-a.Engine.Running()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	// The first sign-in waits a bounded time for the users read model; under the load of many test
	// packages at once, let the projections reach the administrator's events first.
	if head, err := a.Store.Head(ctx); err == nil {
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		err = a.Engine.WaitFor(wctx, head, orgview.UsersProjection, readmodels.OrgProjection)
		wcancel()
		if err != nil {
			t.Fatalf("projections did not reach the administrator: %v", err)
		}
	}
	srv := httptest.NewServer(a.API)
	t.Cleanup(srv.Close)
	return &Harness{T: t, Srv: srv, App: a}
}

// Engines runs f on a fresh application on each engine, in parallel subtests.
func Engines(t *testing.T, f func(t *testing.T, h *Harness)) {
	for _, e := range pgtest.Engines() {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			f(t, New(t, e))
		})
	}
}

// Resp is an answer: its status, headers, body as a JSON object (when it is one) and raw body.
type Resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// Do sends a request: body is JSON-encoded unless it is a string or bytes; headers are name,
// value pairs. The request and its answer must match the OpenAPI document (see Contract): a
// mismatch fails the test.
func (h *Harness) Do(method, path, token string, body any, headers ...string) Resp {
	h.T.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, h.Srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if !h.NoContract {
		if err := Contract(req, raw, res.StatusCode, res.Header, got); err != nil {
			h.T.Error(err)
		}
	}
	r := Resp{Status: res.StatusCode, Header: res.Header, Raw: string(got)}
	_ = json.Unmarshal(got, &r.Body)
	return r
}

// Must fails the test unless r has status.
func (h *Harness) Must(r Resp, status int) Resp {
	h.T.Helper()
	if r.Status != status {
		if r.Status >= 500 && h.errors != nil {
			h.T.Fatalf("status %d, want %d: %s\napplication errors:\n%s", r.Status, status, r.Raw, h.errors)
		}
		h.T.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

// Login signs in and answers the token.
func (h *Harness) Login(user, pw string) string {
	h.T.Helper()
	r := h.Must(h.Do("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": pw}), 200)
	return r.Body["token"].(string)
}

// CreateUser creates a user with a role (and optionally a department and a superior) and signs
// them in.
func (h *Harness) CreateUser(admin, username, role string, placement ...string) (id, token string) {
	h.T.Helper()
	body := map[string]any{"username": username, "password": PasswordOf(username), "displayName": "用户" + username, "role": role}
	if len(placement) > 0 {
		body["departmentId"] = placement[0]
	}
	if len(placement) > 1 {
		body["superiorId"] = placement[1]
	}
	r := h.Do("POST", "/api/v1/users", admin, body)
	if r.Status != 202 { // 202: created, the users projection was too slow to show it (a loaded machine)
		h.Must(r, 201)
	}
	return r.Body["id"].(string), h.Login(username, PasswordOf(username))
}

// Head is the event log's head position, as a string for X-Chronicle-Min-Position.
func (h *Harness) Head() string {
	h.T.Helper()
	p, err := h.App.Store.Head(context.Background())
	if err != nil {
		h.T.Fatal(err)
	}
	return strconv.FormatUint(p, 10)
}

// IDs are the ids of a list answer's items.
func IDs(r Resp) []string {
	var out []string
	for _, it := range r.Body["items"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// WantCode fails the test unless r is a problem with code.
func WantCode(t *testing.T, r Resp, code string) {
	t.Helper()
	if r.Body["code"] != code {
		t.Fatalf("code %v, want %s: %s", r.Body["code"], code, r.Raw)
	}
}

// FieldErr fails unless the problem names a field error on field (with code, when not "").
func FieldErr(t *testing.T, r Resp, field, code string) {
	t.Helper()
	errs, _ := r.Body["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		if m["field"] == field && (code == "" || m["code"] == code) {
			return
		}
	}
	t.Fatalf("no field error %s %s: %s", field, code, r.Raw)
}

// FakeClock is a clock tests move forward.
type FakeClock struct{ offset atomic.Int64 }

// Now is the fake time.
func (c *FakeClock) Now() time.Time { return time.Now().UTC().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward.
func (c *FakeClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// Products creates products on sale in a category of their own (as the administrator token) and
// answers their ids, in order: line items name real products.
func (h *Harness) Products(admin string, names ...string) []string {
	h.T.Helper()
	cat := h.Must(h.Do("POST", "/api/v1/product-categories", admin, map[string]any{"name": "测试产品 " + uuid.NewString()[:8]}), 201)
	var catID string
	for _, c := range cat.Body["categories"].([]any) {
		if m := c.(map[string]any); strings.HasPrefix(m["name"].(string), "测试产品") {
			catID = m["id"].(string)
		}
	}
	var ids []string
	for i, n := range names {
		p := h.Must(h.Do("POST", "/api/v1/products", admin, map[string]any{"name": n, "code": fmt.Sprintf("T-%s-%d", uuid.NewString()[:6], i), "categoryId": catID, "price": "100.00"}), 201)
		ids = append(ids, p.Body["id"].(string))
	}
	return ids
}
