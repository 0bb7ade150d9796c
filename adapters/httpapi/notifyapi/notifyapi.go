// Package notifyapi is the HTTP API of the in-app inbox: the signed-in user's notifications, the
// unread count, marking read, and a live stream (Server-Sent Events) that tells the browser of
// new notifications as the read model gets them.
package notifyapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/notifycmd"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
)

// OpenAPI is this module's part of the OpenAPI document.
//
//go:embed openapi.json
var OpenAPI []byte

// Deps are what the inbox API needs.
type Deps struct {
	Kit   *httpkit.Kit
	Inbox notifycmd.Commands
	Views *notifyview.Views
	// Changes moves whenever this process changes the notifications read model (a hint for the
	// live stream, which also looks every PollEvery in case another process did).
	Changes func() uint64
	// Authenticate checks that the session a stream was opened with is still signed in (looked
	// at every heartbeat: a sign-out, a revoked session, a disabled account end the stream).
	Authenticate func(ctx context.Context, token string) error
}

var projection = []string{notifyview.Projection}

// Stream limits: a stream ends after StreamFor (the browser reconnects by itself, so a server
// restart or a rolling deploy never strands one), looks for news every Tick when this process
// changed the inbox and every PollEvery otherwise, and a user holds at most MaxStreams at once.
var (
	StreamFor  = 4 * time.Minute
	Tick       = 250 * time.Millisecond
	PollEvery  = 5 * time.Second
	Heartbeat  = 25 * time.Second
	MaxStreams = 8
)

// Routes registers the inbox endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := &api{Deps: d, open: map[uuid.UUID]int{}}
	rt.Handle(http.MethodGet, "/notifications", a.list)
	rt.Handle(http.MethodGet, "/notifications/count", a.count)
	rt.Handle(http.MethodPost, "/notifications/read", a.read)
	rt.Handle(http.MethodGet, "/notifications/stream", a.stream)
}

type api struct {
	Deps
	mu     sync.Mutex
	open   map[uuid.UUID]int // live streams per user
	broker broker
}

func (a *api) list(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	unread := p.Bool("unread")
	q := notifyview.Query{User: httpkit.ActorOf(r.Context()).ID, Limit: p.Int("limit", 1, 100, 20, "must be a number from 1 to 100"),
		Cursor: p.Str("cursor"), Unread: unread != nil && *unread}
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	page, err := a.Views.List(r.Context(), q)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(page), nil
}

func (a *api) count(r *http.Request) (httpkit.Reply, error) {
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	c, err := a.Views.CountOf(r.Context(), httpkit.ActorOf(r.Context()).ID)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(c), nil
}

// ReadBody names the notifications read, or all of them.
type ReadBody struct {
	IDs []string `json:"ids"`
	All bool     `json:"all"`
}

func (a *api) read(r *http.Request) (httpkit.Reply, error) {
	return httpkit.Create[ReadBody]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *ReadBody) (commands.Result, error) {
		if in.All && len(in.IDs) > 0 {
			return commands.Result{}, httpkit.Invalid("all", "send ids or all, not both")
		}
		ids := make([]uuid.UUID, len(in.IDs))
		for i, s := range in.IDs {
			id, err := httpkit.ParseUUID(fmt.Sprintf("ids[%d]", i), s)
			if err != nil {
				return commands.Result{}, err
			}
			ids[i] = id
		}
		return a.Inbox.MarkRead(ctx, m, ids, in.All)
	}, Answer: httpkit.Answer{Status: http.StatusOK, Projection: projection, View: func(ctx context.Context, actor access.Actor, _ uuid.UUID) (any, error) {
		return a.Views.CountOf(ctx, actor.ID)
	}}}.Handle(r)
}

// stream sends the user's count at once and again whenever it changes, with the notifications
// that arrived since (event "count": {unread, latest}; event "notifications": {items}), and a
// comment as a heartbeat; it ends after StreamFor, or at a heartbeat once the session is no
// longer signed in. The process's streams share one watcher (see
// broker), so a thousand open streams cost one query per tick, not a thousand.
func (a *api) stream(r *http.Request) (httpkit.Reply, error) {
	user, token := httpkit.ActorOf(r.Context()).ID, httpkit.TokenOf(r.Context())
	a.mu.Lock()
	if a.open[user] >= MaxStreams {
		a.mu.Unlock()
		return httpkit.Reply{}, &httpkit.StatusError{Status: http.StatusTooManyRequests, Code: "too_many_streams",
			Detail: fmt.Sprintf("at most %d live streams per user; close another tab's", MaxStreams)}
	}
	a.open[user]++
	a.mu.Unlock()
	return httpkit.Stream(func(w http.ResponseWriter, r *http.Request) {
		ch := a.broker.subscribe(a, user)
		defer func() {
			a.broker.unsubscribe(user, ch)
			a.mu.Lock()
			if a.open[user]--; a.open[user] <= 0 {
				delete(a.open, user)
			}
			a.mu.Unlock()
		}()
		ctx := r.Context()
		rc := http.NewResponseController(w)
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		send := func(name string, v any) bool {
			b, _ := json.Marshal(v)
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b); err != nil {
				return false
			}
			return rc.Flush() == nil
		}
		if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
			return
		}
		last, err := a.Views.CountOf(ctx, user)
		if err != nil || !send("count", last) {
			return
		}
		end := time.After(StreamFor)
		beat := time.NewTicker(Heartbeat)
		defer beat.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-end:
				return
			case <-beat.C:
				if a.Authenticate != nil && a.Authenticate(ctx, token) != nil {
					return // signed out, revoked or disabled since the stream opened
				}
				if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
					return
				}
			case c := <-ch:
				if c == last {
					continue
				}
				if c.Latest > last.Latest {
					page, err := a.Views.List(ctx, notifyview.Query{User: user, After: last.Latest, Limit: 20})
					if err != nil || !send("notifications", map[string]any{"items": page.Items}) {
						return
					}
				}
				if !send("count", c) {
					return
				}
				last = c
			}
		}
	}), nil
}

// broker watches the count rows for the process's streams: one query per tick for the rows that
// changed since it last looked (by the index on changed), handed to the streams of those users.
// It runs while any stream is open.
type broker struct {
	mu      sync.Mutex
	subs    map[uuid.UUID][]chan notifyview.Count
	running bool
}

func (b *broker) subscribe(a *api, user uuid.UUID) chan notifyview.Count {
	ch := make(chan notifyview.Count, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[uuid.UUID][]chan notifyview.Count{}
	}
	b.subs[user] = append(b.subs[user], ch)
	if !b.running {
		b.running = true
		go b.watch(a)
	}
	return ch
}

func (b *broker) unsubscribe(user uuid.UUID, ch chan notifyview.Count) {
	b.mu.Lock()
	defer b.mu.Unlock()
	subs := b.subs[user]
	for i, c := range subs {
		if c == ch {
			subs = append(subs[:i], subs[i+1:]...)
			break
		}
	}
	if len(subs) == 0 {
		delete(b.subs, user)
	} else {
		b.subs[user] = subs
	}
}

func (b *broker) watch(a *api) {
	ctx := context.Background()
	after, err := a.Views.LastChange(ctx)
	tick := time.NewTicker(Tick)
	defer tick.Stop()
	seen, polled := a.Changes(), time.Now()
	for range tick.C {
		b.mu.Lock()
		if len(b.subs) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		if ch := a.Changes(); ch == seen && time.Since(polled) < PollEvery && err == nil {
			continue
		} else {
			seen = ch
		}
		polled = time.Now()
		if err != nil { // the first read failed: start from now
			if after, err = a.Views.LastChange(ctx); err != nil {
				continue
			}
		}
		for {
			changed, qerr := a.Views.ChangedSince(ctx, after)
			if qerr != nil {
				break
			}
			b.mu.Lock()
			for _, c := range changed {
				for _, ch := range b.subs[c.User] {
					select { // the newest count wins: a stream that has not read the last one gets this
					case <-ch:
					default:
					}
					ch <- c.Count
				}
				after = c.At
			}
			b.mu.Unlock()
			if len(changed) < notifyview.MaxChanged {
				break
			}
		}
	}
}
