package httpkit

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyActor
	keyToken
	keyWriter
)

// WithRequestID is ctx carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, keyRequestID, id)
}

// RequestID is the id of the request (X-Request-ID).
func RequestID(ctx context.Context) string { s, _ := ctx.Value(keyRequestID).(string); return s }

// WithActor is ctx carrying the signed-in actor and the token they signed in with.
func WithActor(ctx context.Context, a access.Actor, token string) context.Context {
	ctx = context.WithValue(ctx, keyActor, a)
	return context.WithValue(ctx, keyToken, token)
}

// ActorOf is the signed-in actor of the request.
func ActorOf(ctx context.Context) access.Actor {
	a, _ := ctx.Value(keyActor).(access.Actor)
	return a
}

// TokenOf is the session token of the request.
func TokenOf(ctx context.Context) string { s, _ := ctx.Value(keyToken).(string); return s }

// writerOf is the response writer of the request (the adapter puts it there so that body limits
// can tell the server to close the connection).
func writerOf(r *http.Request) http.ResponseWriter {
	w, _ := r.Context().Value(keyWriter).(http.ResponseWriter)
	return w
}

// ClientAddr is the address of the client (without the port).
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Meta is the command metadata of a request: actor, request and correlation ids, client address
// and the If-Match version.
func Meta(r *http.Request) (commands.Meta, error) {
	m := commands.Meta{Actor: ActorOf(r.Context()), RequestID: RequestID(r.Context()), ClientAddr: ClientAddr(r)}
	m.CorrelationID = r.Header.Get("X-Correlation-ID")
	if m.CorrelationID == "" || len(m.CorrelationID) > 128 || CheckHeader("X-Correlation-ID", m.CorrelationID) != nil {
		m.CorrelationID = m.RequestID
	}
	m.CausationID = m.RequestID
	if im := strings.TrimSpace(r.Header.Get("If-Match")); im != "" {
		v, err := ParseIfMatch(im)
		if err != nil {
			return m, err
		}
		m.IfMatch = v
	}
	return m, nil
}

// ETag is the entity tag of a record version: the version quoted ("3"), a strong tag.
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ParseIfMatch reads an If-Match header: a record version as an entity tag ("3") or bare (3);
// "*" pins no version (nil). A weak tag (W/"3") is refused: If-Match compares strongly (RFC 9110
// 13.1.1), so a weak tag could never match; so are lists and anything else (400
// malformed_if_match).
func ParseIfMatch(h string) (*int64, error) {
	h = strings.TrimSpace(h)
	if h == "*" {
		return nil, nil
	}
	if strings.HasPrefix(h, "W/") {
		return nil, Fail(http.StatusBadRequest, "malformed_if_match",
			`If-Match compares strongly: a weak tag such as W/"3" never matches; send the version as "3"`)
	}
	if len(h) >= 2 && h[0] == '"' && h[len(h)-1] == '"' {
		h = h[1 : len(h)-1]
	}
	v, err := strconv.ParseInt(h, 10, 64)
	if err != nil || v < 1 || strings.ContainsAny(h, "+-") {
		return nil, Fail(http.StatusBadRequest, "malformed_if_match", `If-Match must be a record version such as "3"`)
	}
	return &v, nil
}

// Allow answers commands.ErrForbidden unless the actor of the request has every permission.
func Allow(r *http.Request, perms ...string) error {
	a := ActorOf(r.Context())
	for _, p := range perms {
		if !a.Can(p) {
			return commands.ErrForbidden
		}
	}
	return nil
}
