package httpkit

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Answer is how a command answers once it has been appended.
type Answer struct {
	Status     int    // default 200
	Location   string // a collection path: the answer carries Location: <Location>/<id>
	ReplayOK   bool   // an idempotent create that found its record already there answers 200
	Projection []string
	// View reads the record once the projections have processed the command; nil answers 204.
	// When the projections are late, or the record has left the actor's sight, the answer is 202
	// with the record's id and version.
	View func(ctx context.Context, a access.Actor, id uuid.UUID) (any, error)
}

// Committed adds the headers of an appended command to a reply: its position and the record's
// version.
func Committed(rp Reply, res commands.Result) Reply {
	return rp.With("X-Chronicle-Position", strconv.FormatUint(res.Position, 10)).With("ETag", ETag(res.Version))
}

// Run runs a command with the request's metadata and answers it.
func (k *Kit) Run(r *http.Request, run func(commands.Meta) (commands.Result, error), a Answer) (Reply, error) {
	m, err := Meta(r)
	if err != nil {
		return Reply{}, err
	}
	res, err := run(m)
	if err != nil {
		return Reply{}, err
	}
	return k.Answer(r.Context(), res, a)
}

// Answer answers an appended command as a describes.
func (k *Kit) Answer(ctx context.Context, res commands.Result, a Answer) (Reply, error) {
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	if a.ReplayOK && !res.Created {
		status = http.StatusOK // idempotent create: the same id and body again
	}
	// Without the read view to show, the answer is 202 with the command's acknowledgement: the
	// command is done (its position and version are in the headers), only its view is not shown. So
	// each status has one schema: the record, or CommandAck.
	ack := JSON(http.StatusAccepted, map[string]any{"id": res.ID, "version": res.Version})
	var rp Reply
	if a.View == nil {
		rp = NoContent()
	} else if err := k.Await(ctx, res.Position, a.Projection...); err != nil {
		rp = ack
	} else {
		v, err := a.View(ctx, ActorOf(ctx), res.ID)
		switch {
		case errors.Is(err, readmodels.ErrNotFound):
			// The command took the record out of the actor's sight (assigned to someone else).
			rp = ack
		case err != nil:
			return Reply{}, err
		default:
			rp = JSON(status, v)
		}
	}
	if a.Location != "" {
		rp = rp.With("Location", a.Location+"/"+res.ID.String())
	}
	return Committed(rp, res), nil
}

// Body says whether a command endpoint reads a JSON body.
type Body int

// Bodies.
const (
	BodyJSON   Body = iota // a JSON object is required
	BodyNone               // the body is not read
	BodyIfSent             // a body is read (strictly) only when one is sent
)

// Create decodes a JSON body into In, runs a create command and answers with the new record.
type Create[In any] struct {
	Kit    *Kit
	Run    func(ctx context.Context, m commands.Meta, in *In) (commands.Result, error)
	Answer Answer
}

// Handle is the handler.
func (c Create[In]) Handle(r *http.Request) (Reply, error) {
	var in In
	if err := c.Kit.Decode(r, &in); err != nil {
		return Reply{}, err
	}
	return c.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return c.Run(r.Context(), m, &in) }, c.Answer)
}

// OnRecord runs a command on the record of the path ({id}) with an optional JSON body In and
// answers with the record's view.
type OnRecord[In any] struct {
	Kit    *Kit
	Body   Body
	Run    func(ctx context.Context, m commands.Meta, id uuid.UUID, in *In) (commands.Result, error)
	Answer Answer
}

// Handle is the handler.
func (o OnRecord[In]) Handle(r *http.Request) (Reply, error) {
	id, err := PathID(r)
	if err != nil {
		return Reply{}, err
	}
	var in In
	if o.Body == BodyJSON || (o.Body == BodyIfSent && r.ContentLength > 0) {
		if err := o.Kit.Decode(r, &in); err != nil {
			return Reply{}, err
		}
	}
	return o.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return o.Run(r.Context(), m, id, &in) }, o.Answer)
}

// Get answers the record of the path ({id}) once the projections (if any) have processed the
// position the reader asks for; the answer carries the record's version as ETag when version
// gives it.
func Get[V any](k *Kit, projections []string, get func(ctx context.Context, a access.Actor, id uuid.UUID) (V, error),
	version func(V) int64) Handler {
	return func(r *http.Request) (Reply, error) {
		id, err := PathID(r)
		if err == nil && projections != nil {
			err = k.WaitFor(r, projections...)
		}
		if err != nil {
			return Reply{}, err
		}
		v, err := get(r.Context(), ActorOf(r.Context()), id)
		if err != nil {
			return Reply{}, err
		}
		rp := OK(v)
		if version != nil {
			rp = rp.With("ETag", ETag(version(v)))
		}
		return rp, nil
	}
}

// List answers a search: parse reads the query parameters, the projections are awaited, and
// search answers a keyset page ({items, nextCursor, total, totalExact}).
func List[Q, P any](k *Kit, projections []string, parse func(r *http.Request) (Q, error), search func(ctx context.Context, q Q) (P, error)) Handler {
	return func(r *http.Request) (Reply, error) {
		q, err := parse(r)
		if err == nil {
			err = k.WaitFor(r, projections...)
		}
		if err != nil {
			return Reply{}, err
		}
		page, err := search(r.Context(), q)
		if err != nil {
			return Reply{}, err
		}
		return OK(page), nil
	}
}

// All is the list answer of a short list that has no further pages.
func All[T any](items []T) map[string]any {
	return map[string]any{"items": items, "total": len(items), "totalExact": true, "nextCursor": ""}
}

// Snapshot answers GET <collection>/{id}/snapshot?asOf=<time>: the record of the path as it was
// then (asOf replays its history). The current record is GET <collection>/{id}; the two answer
// different schemas, so they are different endpoints.
func Snapshot(asOf func(ctx context.Context, a access.Actor, id uuid.UUID, t time.Time) (map[string]any, error)) Handler {
	return func(r *http.Request) (Reply, error) {
		id, err := PathID(r)
		if err != nil {
			return Reply{}, err
		}
		raw := r.URL.Query().Get("asOf")
		if raw == "" {
			return Reply{}, Invalid("asOf", "is required: the time (RFC 3339) to see the record as of")
		}
		t, err := ParseTime("asOf", raw)
		if err != nil {
			return Reply{}, err
		}
		snap, err := asOf(r.Context(), ActorOf(r.Context()), id, t)
		if err != nil {
			return Reply{}, err
		}
		return OK(snap), nil
	}
}

// NoAsOf refuses the former ?asOf= of a record read (422 on asOf, naming the snapshot endpoint
// that answers it now) instead of silently answering the current record.
func NoAsOf(current Handler) Handler {
	return func(r *http.Request) (Reply, error) {
		if r.URL.Query().Has("asOf") {
			return Reply{}, Invalid("asOf", "is not read here: GET %s/snapshot?asOf=… answers the record as it was", r.URL.Path)
		}
		return current(r)
	}
}

// AssignBody is the body of an assign command: the new owner.
type AssignBody struct {
	OwnerID string `json:"ownerId"`
}

// Owner is the new owner's id.
func (b *AssignBody) Owner() (uuid.UUID, error) { return ParseUUID("ownerId", b.OwnerID) }

// ReleaseBody is the body of a release to the pool: why.
type ReleaseBody struct {
	Reason string `json:"reason"`
}
