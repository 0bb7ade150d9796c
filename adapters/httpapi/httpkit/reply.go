package httpkit

import (
	"context"
	"net/http"
)

// Reply is a successful answer: a status, headers and a JSON body (or a body written by Stream).
type Reply struct {
	status int
	header http.Header
	body   any
	noBody bool
	stream func(w http.ResponseWriter, r *http.Request)
}

// Handler is a handler of the API: it answers a reply or an error, and the adapter writes
// either.
type Handler func(r *http.Request) (Reply, error)

// JSON answers v with status.
func JSON(status int, v any) Reply { return Reply{status: status, body: v} }

// OK answers v with 200.
func OK(v any) Reply { return JSON(http.StatusOK, v) }

// NoContent answers 204.
func NoContent() Reply { return Reply{status: http.StatusNoContent, noBody: true} }

// Stream answers with a body that write produces itself (file downloads); write sets its own
// headers and status.
func Stream(write func(w http.ResponseWriter, r *http.Request)) Reply { return Reply{stream: write} }

// With adds a header to the reply.
func (rp Reply) With(key, value string) Reply {
	rp.header = rp.header.Clone()
	if rp.header == nil {
		rp.header = http.Header{}
	}
	rp.header.Set(key, value)
	return rp
}

// Status is the status of the reply.
func (rp Reply) Status() int { return rp.status }

// Write writes the reply.
func (rp Reply) Write(w http.ResponseWriter, r *http.Request) {
	for k, v := range rp.header {
		w.Header()[k] = v
	}
	switch {
	case rp.stream != nil:
		rp.stream(w, r)
	case rp.noBody:
		w.WriteHeader(rp.status)
	default:
		WriteJSON(w, rp.status, rp.body)
	}
}

// Adapt makes an http.Handler of h: the reply or the problem is written here and only here.
func (k *Kit) Adapt(h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), keyWriter, w))
		rp, err := h(r)
		if err != nil {
			WriteProblem(w, r, k.Logger, err)
			return
		}
		rp.Write(w, r)
	})
}

// WithCookies adds cookies to the reply. The reply's cookies replace any a middleware set on
// the response (logout's expired cookies replace the refreshed ones).
func (rp Reply) WithCookies(cs ...*http.Cookie) Reply {
	for _, c := range cs {
		if v := c.String(); v != "" {
			rp = rp.with("Set-Cookie", v)
		}
	}
	return rp
}

// with adds a value to a header of the reply (headers are copied: replies are values).
func (rp Reply) with(key, value string) Reply {
	rp.header = rp.header.Clone()
	if rp.header == nil {
		rp.header = http.Header{}
	}
	rp.header.Add(key, value)
	return rp
}
