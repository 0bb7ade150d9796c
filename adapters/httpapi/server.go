// Package httpapi is Chronicle's JSON API over HTTP (gorilla/mux): the router, the middleware
// every request passes (request context, recovery, authentication, idempotency), health, metrics
// and the OpenAPI document, and one list of the modules whose packages (leadapi, customerapi, …)
// register their routes. Handlers are thin: decode, call a command or a query, encode; the
// toolkit they share is httpkit.
package httpapi

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
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Deps are what the API needs: the stores (readiness, idempotency), the engine (read-your-writes,
// metrics), sign-in (authentication) and the modules, whose packages register their routes.
type Deps struct {
	Store   eventstore.Store
	DB      *readmodels.DB
	Engine  *engine.Engine
	Auth    usercmd.AuthCommands
	Kit     *httpkit.Kit // built from the fields below when nil
	Modules []Module
	Clock   commands.Clock
	Logger  *slog.Logger
	Metrics *Metrics
	MaxBody int64 // default 1 MiB
	// WaitTimeout bounds read-your-writes, default 5 s.
	WaitTimeout time.Duration
	UI          http.Handler // the web UI, for GET and HEAD outside /api/; nil: none
	// SeparateMetrics leaves /metrics off this handler (it answers 404 here): the application
	// serves MetricsHandler on a listen address of its own (CHRONICLE_METRICS_ADDR).
	SeparateMetrics bool
	// TrustedProxies are the reverse proxies whose forwarding headers are believed (the client's
	// address, HTTPS for Secure cookies); none: the connection's own.
	TrustedProxies httpkit.TrustedProxies
}

// Module is one module's part of the API: its routes and its fragment of the OpenAPI document.
// The application lists the modules (adapters/app); routes register in list order.
type Module struct {
	Name    string
	Routes  func(rt httpkit.Router)
	OpenAPI []byte
}

// The names of cookie sessions (see httpkit): the login header that asks for one, the cookies and
// the CSRF header.
const (
	SessionModeHeader = httpkit.SessionModeHeader
	SessionCookie     = httpkit.SessionCookie
	CSRFCookie        = httpkit.CSRFCookie
	CSRFHeader        = httpkit.CSRFHeader
)

// Server is the HTTP API.
type Server struct {
	Deps
	kit     *httpkit.Kit
	router  *mux.Router
	handler http.Handler // the router behind securityHeaders
	doc     []byte       // the OpenAPI document
}

// New builds the API handler.
func New(d Deps) *Server {
	if d.MaxBody <= 0 {
		d.MaxBody = httpkit.DefaultMaxBody
	}
	if d.WaitTimeout <= 0 {
		d.WaitTimeout = 5 * time.Second
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics(d.Engine)
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Kit == nil {
		d.Kit = NewKit(d.Logger, d.Clock, d.MaxBody, d.WaitTimeout, d.Engine)
	}
	doc, err := Document(d.Modules)
	if err != nil {
		panic("httpapi: " + err.Error()) // the fragments are embedded: a test catches this
	}
	s := &Server{Deps: d, router: mux.NewRouter(), kit: d.Kit, doc: doc}
	s.routes()
	s.handler = securityHeaders(d.TrustedProxies.Forwarded(s.router))
	return s
}

// NewKit is the toolkit the modules' handlers share.
func NewKit(logger *slog.Logger, clock commands.Clock, maxBody int64, wait time.Duration, engine *engine.Engine) *httpkit.Kit {
	if maxBody <= 0 {
		maxBody = httpkit.DefaultMaxBody
	}
	if wait <= 0 {
		wait = 5 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	k := &httpkit.Kit{Logger: logger, Clock: clock, MaxBody: maxBody, WaitTimeout: wait}
	if engine != nil {
		k.Waiter = engine
	}
	return k
}

// ServeHTTP implements http.Handler.
// Every answer, including the not-found ones and the web UI's, passes securityHeaders (a mux
// middleware would miss the routes that do not match).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Router exposes the routes (the OpenAPI agreement test walks them).
func (s *Server) Router() *mux.Router { return s.router }

func (s *Server) routes() {
	r := s.router
	r.Use(s.requestContext, s.recoverer, s.wellFormed)
	notFound := s.kit.Adapt(func(r *http.Request) (httpkit.Reply, error) {
		return httpkit.Reply{}, httpkit.Fail(http.StatusNotFound, "not_found", "no such endpoint: "+r.URL.Path)
	})
	// GET and HEAD requests outside /api/ that match no route are the web UI's (its client-side
	// routes and assets).
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if api := r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/"); s.UI != nil && !api && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.UI.ServeHTTP(w, r)
			return
		}
		notFound.ServeHTTP(w, r)
	})
	r.MethodNotAllowedHandler = s.kit.Adapt(func(r *http.Request) (httpkit.Reply, error) {
		return httpkit.Reply{}, httpkit.Fail(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path)
	})
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet)
	if s.SeparateMetrics {
		r.Handle("/metrics", notFound) // not the web UI's either
	} else {
		r.Handle("/metrics", s.Metrics.Handler()).Methods(http.MethodGet)
	}
	r.HandleFunc("/api/openapi.json", s.openapi).Methods(http.MethodGet)
	// Signed-in routes are registered one by one: a mux subrouter would answer a wrong method
	// with 404, not 405.
	rt := httpkit.Router{Kit: s.kit, Mux: r, Prefix: "/api/v1", SignedIn: s.authenticate, Idempotent: s.idempotent}
	for _, m := range s.Modules {
		m.Routes(rt)
	}
}

// MetricsHandler serves the Prometheus metrics (GET /metrics) alone, for a listener of its own.
func (s *Server) MetricsHandler() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /metrics", s.Metrics.Handler())
	return securityHeaders(m)
}

// securityHeaders: no response is content-sniffed or sends a Referer onwards, and no API response
// (personal data, sessions, exports) is kept by a browser or a shared cache. The web UI's handler
// sets its own Cache-Control for pages and assets.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if p := r.URL.Path; p == "/api" || strings.HasPrefix(p, "/api/") || p == "/readyz" || p == "/healthz" || p == "/metrics" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// requestContext gives every request an id (X-Request-ID echoed or made up).
func (s *Server) requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 128 || httpkit.CheckHeader("X-Request-ID", id) != nil {
			id = uuid.Must(uuid.NewV7()).String()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(httpkit.WithRequestID(r.Context(), id)))
	})
}

// wellFormed answers 400 to an API request whose path or query string is not valid UTF-8 or holds
// a control or bidirectional override character (httpkit.CheckPath, CheckQuery): nothing of it
// reaches a handler, a search or a store.
func (s *Server) wellFormed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			err := httpkit.CheckPath(r.URL.Path)
			if err == nil {
				err = httpkit.CheckQuery(r.URL.RawQuery)
			}
			if err != nil {
				httpkit.WriteProblem(w, r, s.Logger, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("handler panicked", "path", httpkit.LogPath(r.URL.Path), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				httpkit.WriteProblem(w, r, s.Logger, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, fromCookie := httpkit.SessionToken(r)
		actor, sess, err := s.Auth.Authenticate(r.Context(), token)
		if err == nil && fromCookie {
			err = httpkit.CookieSession(w, r, token, sess.ExpiresAt)
		}
		if err == nil {
			err = twoFactorGate(r, actor, sess)
		}
		if err != nil {
			httpkit.WriteProblem(w, r, s.Logger, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(httpkit.WithActor(r.Context(), actor, token)))
	})
}

// twoFactorGate keeps a user whose role requires two-factor sign-in, and who has not confirmed
// an enrolment, to the enrolment endpoints, /auth/me (and their own language and time zone, so
// the enrolment page can be read) and logout.
func twoFactorGate(r *http.Request, a access.Actor, sess usercmd.Session) error {
	if !usercmd.NeedsTwoFactorEnrollment(a, sess) {
		return nil
	}
	tpl := ""
	if route := mux.CurrentRoute(r); route != nil {
		tpl, _ = route.GetPathTemplate()
	}
	if strings.HasPrefix(tpl, "/api/v1/auth/2fa/") || tpl == "/api/v1/auth/me" || tpl == "/api/v1/auth/me/preferences" || tpl == "/api/v1/auth/logout" {
		return nil
	}
	return usercmd.ErrTwoFactorEnrollmentRequired
}

// idempotent replays the first response to a POST carrying the same Idempotency-Key.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if err := s.serveOnce(w, r, key, next); err != nil {
			httpkit.WriteProblem(w, r, s.Logger, err)
		}
	})
}

// serveOnce answers a POST with an Idempotency-Key: the stored response of an earlier request
// with that key, or next's response, stored. An error is answered before anything is written.
func (s *Server) serveOnce(w http.ResponseWriter, r *http.Request, key string, next http.Handler) error {
	if len(key) > 200 {
		return httpkit.Invalid("Idempotency-Key", "at most 200 characters")
	}
	if err := httpkit.CheckHeader("Idempotency-Key", key); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBody))
	if err != nil {
		if httpkit.TooLarge(err) {
			return httpkit.BodyTooLarge("body", s.MaxBody)
		}
		return httpkit.Fail(http.StatusBadRequest, "malformed_json", "could not read the body: "+err.Error())
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"), body...))
	actor := httpkit.ActorOf(r.Context()).ID.String()
	stored, err := s.DB.BeginIdempotent(r.Context(), actor, key, hex.EncodeToString(sum[:]), s.Clock())
	if err != nil {
		return err
	}
	if stored != nil {
		var h map[string]string
		_ = json.Unmarshal([]byte(stored.Headers), &h)
		for k, v := range h {
			w.Header().Set(k, v)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(stored.Status)
		_, _ = io.WriteString(w, stored.Body)
		return nil
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	next.ServeHTTP(rec, r)
	ctx := context.WithoutCancel(r.Context())
	if rec.status >= 500 {
		_ = s.DB.AbandonIdempotent(ctx, actor, key)
		return nil
	}
	h := map[string]string{}
	for _, k := range []string{"Content-Type", "Location", "ETag", "X-Chronicle-Position"} {
		if v := w.Header().Get(k); v != "" {
			h[k] = v
		}
	}
	hb, _ := json.Marshal(h)
	if err := s.DB.FinishIdempotent(ctx, actor, key, readmodels.StoredResponse{Status: rec.status, Headers: string(hb), Body: rec.body.String()}); err != nil {
		s.Logger.Warn("store idempotent response", "error", err)
	}
	return nil
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	// The answer names what is down, never how: a driver's error text (hosts, users, schema
	// names) goes to the log only.
	checks := map[string]string{"eventStore": "ok", "readModels": "ok", "projections": "ok"}
	status := http.StatusOK
	if _, err := s.Store.Head(ctx); err != nil {
		s.Logger.Warn("readiness: event store unreachable", "error", err)
		checks["eventStore"], status = "unavailable", http.StatusServiceUnavailable
	}
	if err := s.DB.SQL.PingContext(ctx); err != nil {
		s.Logger.Warn("readiness: read-model database unreachable", "error", err)
		checks["readModels"], status = "unavailable", http.StatusServiceUnavailable
	}
	select {
	case <-s.Engine.Running():
	default:
		checks["projections"], status = "starting", http.StatusServiceUnavailable
	}
	httpkit.WriteJSON(w, status, checks)
}
