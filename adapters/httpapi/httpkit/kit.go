package httpkit

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/chronicle-crm/chronicle/commands"
)

// Waiter waits until projections have processed a position (the projection engine).
type Waiter interface {
	WaitFor(ctx context.Context, pos uint64, names ...string) error
}

// Kit is what every module's handlers share.
type Kit struct {
	Logger      *slog.Logger
	Clock       commands.Clock
	MaxBody     int64         // default 1 MiB
	WaitTimeout time.Duration // read-your-writes bound, default 5 s
	Waiter      Waiter
	// Audit records reveals and exports (commands.Auditor); Reveals limits each user's reveals
	// (RevealsPerHour).
	Audit   Auditor
	Reveals *Limiter
}

// WaitFor implements read-your-writes: X-Chronicle-Min-Position or ?minPosition make a read
// wait (bounded) until the named projections have processed that position.
func (k *Kit) WaitFor(r *http.Request, names ...string) error {
	raw := r.Header.Get("X-Chronicle-Min-Position")
	if q := r.URL.Query().Get("minPosition"); q != "" {
		raw = q
	}
	if raw == "" {
		return nil
	}
	pos, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return Invalid("minPosition", "must be a non-negative integer position")
	}
	return k.Await(r.Context(), pos, names...)
}

// Await waits (bounded) until the named projections have processed pos: 503 projection_behind
// when they have not.
func (k *Kit) Await(ctx context.Context, pos uint64, names ...string) error {
	ctx, cancel := context.WithTimeout(ctx, k.WaitTimeout)
	defer cancel()
	if err := k.Waiter.WaitFor(ctx, pos, names...); err != nil {
		return Fail(http.StatusServiceUnavailable, "projection_behind",
			fmt.Sprintf("the read model has not reached position %d yet; retry shortly", pos))
	}
	return nil
}

// Router registers a module's routes under /api/v1.
type Router struct {
	Kit    *Kit
	Mux    *mux.Router
	Prefix string // /api/v1
	// SignedIn wraps the handlers of signed-in routes (authentication); Idempotent replays a
	// repeated POST with the same Idempotency-Key.
	SignedIn, Idempotent func(http.Handler) http.Handler
}

// Handle registers a signed-in route behind the idempotency layer.
func (rt Router) Handle(method, path string, h Handler) {
	rt.Mux.Handle(rt.Prefix+path, JSONBodies(rt.SignedIn(rt.Idempotent(rt.Kit.Adapt(h))))).Methods(method)
}

// HandleUnreplayed registers a signed-in route outside the idempotency layer: answers that
// carry secrets (it would store them to replay).
func (rt Router) HandleUnreplayed(method, path string, h Handler) {
	rt.Mux.Handle(rt.Prefix+path, JSONBodies(rt.SignedIn(rt.Kit.Adapt(h)))).Methods(method)
}

// HandleUpload registers a signed-in route that takes a file (any media type the handler reads,
// multipart included), outside the idempotency layer (it reads bodies with the JSON limit).
func (rt Router) HandleUpload(method, path string, h Handler) {
	rt.Mux.Handle(rt.Prefix+path, rt.SignedIn(rt.Kit.Adapt(h))).Methods(method)
}

// HandlePublic registers a route that needs no sign-in.
func (rt Router) HandlePublic(method, path string, h Handler) {
	rt.Mux.Handle(rt.Prefix+path, JSONBodies(rt.Kit.Adapt(h))).Methods(method)
}

// JSONBodies answers 415 unsupported_media_type, with Accept-Post or Accept-Patch, to a POST, PUT
// or PATCH that carries a body (a length above zero, or unknown) in anything but application/json: a form
// or text body is never read as JSON.
func JSONBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write := r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch
		if write && r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody && !IsJSON(r.Header.Get("Content-Type")) {
			switch r.Method {
			case http.MethodPost:
				w.Header().Set("Accept-Post", "application/json")
			case http.MethodPatch:
				w.Header().Set("Accept-Patch", "application/json")
			}
			WriteProblem(w, r, nil, UnsupportedMediaType())
			return
		}
		next.ServeHTTP(w, r)
	})
}
