// Package httpapi is Chronicle's JSON API over HTTP (gorilla/mux). Handlers are thin: decode,
// call a command or a query, encode. The conventions are in ../shared/api-conventions.md and
// the served OpenAPI document.
package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/conversion"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// Deps are what the API needs.
type Deps struct {
	Store eventstore.Store
	DB    *readmodels.DB
	Views
	Engine      *engine.Engine
	Leads       *leadcmd.Service
	Customers   *customercmd.Service
	Contacts    *customercmd.Contacts
	Conversion  *conversion.Service
	Users       *usercmd.Users
	Org         *orgcmd.Service
	Auth        *usercmd.Auth
	Clock       commands.Clock
	Logger      *slog.Logger
	Metrics     *Metrics
	MaxBody     int64         // default 1 MiB
	WaitTimeout time.Duration // read-your-writes bound, default 5 s
}

// Views are the read models the API queries, one per module.
type Views struct {
	LeadViews     *leadview.Views
	CustomerViews *customerview.Views
	OrgViews      *orgview.Views
	LoginViews    *loginview.Views
	AuditViews    *auditview.Views
	ImportViews   *importview.Views
}

// NewViews serves every module's queries from one read-model database.
func NewViews(db *readmodels.DB) Views {
	return Views{LeadViews: leadview.New(db), CustomerViews: customerview.New(db), OrgViews: orgview.New(db),
		LoginViews: loginview.New(db), AuditViews: auditview.New(db), ImportViews: importview.New(db)}
}

// Server is the HTTP API.
type Server struct {
	Deps
	router *mux.Router
}

// New builds the API handler.
func New(d Deps) *Server {
	if d.MaxBody <= 0 {
		d.MaxBody = DefaultMaxBody
	}
	if d.WaitTimeout <= 0 {
		d.WaitTimeout = 5 * time.Second
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics(d.Engine)
	}
	s := &Server{Deps: d, router: mux.NewRouter()}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Router exposes the routes (the OpenAPI agreement test walks them).
func (s *Server) Router() *mux.Router { return s.router }

func (s *Server) routes() {
	r := s.router
	r.Use(s.requestContext, s.recoverer)
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, s.Logger, &badRequest{status: http.StatusNotFound, code: "not_found", detail: "no such endpoint: " + r.URL.Path})
	})
	notAllowed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, s.Logger, &badRequest{status: http.StatusMethodNotAllowed, code: "method_not_allowed", detail: r.Method + " is not allowed on " + r.URL.Path})
	})
	r.NotFoundHandler, r.MethodNotAllowedHandler = notFound, notAllowed
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet)
	r.Handle("/metrics", s.Metrics.Handler()).Methods(http.MethodGet)
	r.HandleFunc("/api/openapi.json", s.openapi).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/auth/login", s.login).Methods(http.MethodPost)

	// Signed-in routes. (A mux subrouter would answer a wrong method with 404, not 405.)
	a := func(path string, h http.HandlerFunc, method string) {
		r.Handle("/api/v1"+path, s.authenticate(s.idempotent(h))).Methods(method)
	}
	a("/auth/logout", s.logout, http.MethodPost)
	a("/auth/me", s.me, http.MethodGet)
	a("/users", s.createUser, http.MethodPost)
	a("/users", s.listUsers, http.MethodGet)
	a("/users/{id}", s.getUser, http.MethodGet)
	s.importRoutes(a) // before the record routes: /customers/export is not a /customers/{id}
	a("/leads", s.createLead, http.MethodPost)
	a("/leads", s.searchLeads, http.MethodGet)
	a("/leads/{id}", s.getLead, http.MethodGet)
	a("/leads/{id}", s.updateLead, http.MethodPatch)
	a("/leads/{id}", s.deleteLead, http.MethodDelete)
	a("/leads/{id}/assign", s.assignLead, http.MethodPost)
	a("/leads/{id}/claim", s.claimLead, http.MethodPost)
	a("/leads/{id}/release", s.releaseLead, http.MethodPost)
	a("/leads/{id}/history", s.leadHistory, http.MethodGet)
	a("/audit/events", s.auditEvents, http.MethodGet)
	a("/projections", s.listProjections, http.MethodGet)
	a("/projections/{name}/rebuild", s.rebuildProjection, http.MethodPost)
	a("/projections/{name}/resume", s.resumeProjection, http.MethodPost)
	s.orgRoutes(a)
	s.customerRoutes(a)
	s.contactRoutes(a)
	s.followUpRoutes(a)
	s.securityRoutes(a)
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyActor
	keyToken
)

func requestID(ctx context.Context) string { s, _ := ctx.Value(keyRequestID).(string); return s }

func actorOf(ctx context.Context) access.Actor {
	a, _ := ctx.Value(keyActor).(access.Actor)
	return a
}

// requestContext gives every request an id (X-Request-ID echoed or made up).
func (s *Server) requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 128 {
			id = uuid.Must(uuid.NewV7()).String()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("handler panicked", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeProblem(w, r, s.Logger, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := bearer(r)
		actor, sess, err := s.Auth.Authenticate(r.Context(), token)
		if err == nil {
			err = s.twoFactorGate(r, actor, sess)
		}
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
		}
		ctx := context.WithValue(r.Context(), keyActor, actor)
		ctx = context.WithValue(ctx, keyToken, token)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// meta is the command metadata of a request.
func (s *Server) meta(r *http.Request) (commands.Meta, error) {
	m := commands.Meta{Actor: actorOf(r.Context()), RequestID: requestID(r.Context()), ClientAddr: clientAddr(r)}
	m.CorrelationID = r.Header.Get("X-Correlation-ID")
	if m.CorrelationID == "" || len(m.CorrelationID) > 128 {
		m.CorrelationID = m.RequestID
	}
	m.CausationID = m.RequestID
	if im := strings.TrimSpace(r.Header.Get("If-Match")); im != "" {
		v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(im, "W/"), `"`), 10, 64)
		if err != nil || v < 1 {
			return m, &badRequest{status: http.StatusBadRequest, code: "malformed_if_match", detail: "If-Match must be a record version such as \"3\""}
		}
		m.IfMatch = &v
	}
	return m, nil
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// idempotent replays the first response to a POST carrying the same Idempotency-Key.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 200 {
			writeProblem(w, r, s.Logger, invalid("Idempotency-Key", "at most 200 characters"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeProblem(w, r, s.Logger, &badRequest{status: http.StatusRequestEntityTooLarge, code: "body_too_large", detail: fmt.Sprintf("the body is larger than %d bytes", s.MaxBody)})
			} else {
				writeProblem(w, r, s.Logger, &badRequest{status: http.StatusBadRequest, code: "malformed_json", detail: "could not read the body: " + err.Error()})
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"), body...))
		actor := actorOf(r.Context()).ID.String()
		stored, err := s.DB.BeginIdempotent(r.Context(), actor, key, hex.EncodeToString(sum[:]), s.Clock())
		if err != nil {
			writeProblem(w, r, s.Logger, err)
			return
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
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		ctx := context.WithoutCancel(r.Context())
		if rec.status >= 500 {
			_ = s.DB.AbandonIdempotent(ctx, actor, key)
			return
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
	})
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

// waitFor implements read-your-writes: X-Chronicle-Min-Position or ?minPosition make a read
// wait (bounded) until the named projections have processed that position.
func (s *Server) waitFor(r *http.Request, names ...string) error {
	raw := r.Header.Get("X-Chronicle-Min-Position")
	if q := r.URL.Query().Get("minPosition"); q != "" {
		raw = q
	}
	if raw == "" {
		return nil
	}
	pos, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return invalid("minPosition", "must be a non-negative integer position")
	}
	return s.awaitPosition(r.Context(), pos, names...)
}

func (s *Server) awaitPosition(ctx context.Context, pos uint64, names ...string) error {
	ctx, cancel := context.WithTimeout(ctx, s.WaitTimeout)
	defer cancel()
	if err := s.Engine.WaitFor(ctx, pos, names...); err != nil {
		return &badRequest{status: http.StatusServiceUnavailable, code: "projection_behind",
			detail: fmt.Sprintf("the read model has not reached position %d yet; retry shortly", pos)}
	}
	return nil
}

// command runs a command, records metrics and sets the position header.
func (s *Server) command(w http.ResponseWriter, name string, run func() (commands.Result, error)) (commands.Result, error) {
	start := time.Now()
	res, err := run()
	s.Metrics.Command(name, err, time.Since(start))
	if err == nil {
		w.Header().Set("X-Chronicle-Position", strconv.FormatUint(res.Position, 10))
		w.Header().Set("ETag", strconv.FormatInt(res.Version, 10))
	}
	return res, err
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"eventStore": "ok", "readModels": "ok", "projections": "ok"}
	status := http.StatusOK
	if _, err := s.Store.Head(ctx); err != nil {
		checks["eventStore"], status = err.Error(), http.StatusServiceUnavailable
	}
	if err := s.DB.SQL.PingContext(ctx); err != nil {
		checks["readModels"], status = err.Error(), http.StatusServiceUnavailable
	}
	select {
	case <-s.Engine.Running():
	default:
		checks["projections"], status = "starting", http.StatusServiceUnavailable
	}
	writeJSON(w, status, checks)
}

// FollowUps returns the follow-ups of a lead, customer or contact (kind), newest first; the
// caller has checked that the reader may see the subject.
func (v Views) FollowUps(ctx context.Context, kind string, id uuid.UUID, limit int) ([]readmodels.FollowUp, error) {
	if kind == "lead" {
		return v.LeadViews.FollowUps(ctx, id, limit)
	}
	return v.CustomerViews.FollowUps(ctx, kind, id, limit)
}
