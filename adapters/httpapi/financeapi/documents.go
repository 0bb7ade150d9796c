package financeapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
)

// documents are the endpoints of a finance document kept inside a parent aggregate — a receipt
// of a contract's receivables, a payment voucher of a payable: {parent}/{docs}/{docId} (PUT to
// edit the draft, DELETE) and its lifecycle (submit, approve, reject, withdraw, reverse). Each
// answers with the document read from its parent's stream (always current).
type documents[In any] struct {
	path, param string // the document's path template and its id's path variable
	view        func(parent uuid.UUID) func(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error)
	draft       func(ctx context.Context, m commands.Meta, parent, id uuid.UUID, in *In) (commands.Result, error)
	update      func(ctx context.Context, m commands.Meta, parent, id uuid.UUID, in *In) (commands.Result, error)
	remove      func(ctx context.Context, m commands.Meta, parent, id uuid.UUID) (commands.Result, error)
	submit      func(ctx context.Context, m commands.Meta, parent, id uuid.UUID, comment string) (commands.Result, error)
	decide      func(ctx context.Context, m commands.Meta, parent, id uuid.UUID, approve bool, comment string) (commands.Result, error)
	withdraw    func(ctx context.Context, m commands.Meta, parent, id uuid.UUID) (commands.Result, error)
	reverse     func(ctx context.Context, m commands.Meta, parent, id uuid.UUID, reason, date string) (commands.Result, error)
}

// routes registers the collection's POST (a new draft; the body may name its id) and the
// document's endpoints.
func (d documents[In]) routes(rt httpkit.Router, a api, id func(in *In) string) {
	collection := strings.TrimSuffix(d.path, "/{"+d.param+"}")
	rt.Handle(http.MethodPost, collection, func(r *http.Request) (httpkit.Reply, error) {
		parent, err := httpkit.PathID(r)
		if err != nil {
			return httpkit.Reply{}, err
		}
		var in In
		if err := a.Kit.Decode(r, &in); err != nil {
			return httpkit.Reply{}, err
		}
		return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) {
			var doc uuid.UUID
			if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: id(&in), Dst: &doc}); err != nil {
				return commands.Result{}, err
			}
			return d.draft(r.Context(), m, parent, doc, &in)
		}, httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1" + strings.Replace(collection, "{id}", parent.String(), 1), View: d.view(parent)})
	})
	rt.Handle(http.MethodPut, d.path, onDocument(a, d, httpkit.BodyJSON, d.update))
	rt.Handle(http.MethodDelete, d.path, onDocument(a, d, httpkit.BodyNone, func(ctx context.Context, m commands.Meta, p, id uuid.UUID, _ *struct{}) (commands.Result, error) {
		return d.remove(ctx, m, p, id)
	}))
	rt.Handle(http.MethodPost, d.path+"/submit", onDocument(a, d, httpkit.BodyIfSent, func(ctx context.Context, m commands.Meta, p, id uuid.UUID, in *CommentBody) (commands.Result, error) {
		return d.submit(ctx, m, p, id, in.Comment)
	}))
	for path, approve := range map[string]bool{"approve": true, "reject": false} {
		rt.Handle(http.MethodPost, d.path+"/"+path, onDocument(a, d, httpkit.BodyIfSent, func(ctx context.Context, m commands.Meta, p, id uuid.UUID, in *CommentBody) (commands.Result, error) {
			return d.decide(ctx, m, p, id, approve, in.Comment)
		}))
	}
	rt.Handle(http.MethodPost, d.path+"/withdraw", onDocument(a, d, httpkit.BodyNone, func(ctx context.Context, m commands.Meta, p, id uuid.UUID, _ *struct{}) (commands.Result, error) {
		return d.withdraw(ctx, m, p, id)
	}))
	rt.Handle(http.MethodPost, d.path+"/reverse", onDocument(a, d, httpkit.BodyJSON, func(ctx context.Context, m commands.Meta, p, id uuid.UUID, in *ReverseBody) (commands.Result, error) {
		return d.reverse(ctx, m, p, id, in.Reason, in.Date)
	}))
}

// onDocument runs a command on the document of the path and answers with the document (a
// deletion with 204).
func onDocument[In, Body any](a api, d documents[In], body httpkit.Body, run func(ctx context.Context, m commands.Meta, parent, id uuid.UUID, in *Body) (commands.Result, error)) httpkit.Handler {
	return func(r *http.Request) (httpkit.Reply, error) {
		parent, err := httpkit.PathID(r)
		if err != nil {
			return httpkit.Reply{}, err
		}
		id, err := httpkit.ParseUUID(d.param, httpkit.PathVar(r, d.param))
		if err != nil {
			return httpkit.Reply{}, err
		}
		var in Body
		if body == httpkit.BodyJSON || (body == httpkit.BodyIfSent && r.ContentLength > 0) {
			if err := a.Kit.Decode(r, &in); err != nil {
				return httpkit.Reply{}, err
			}
		}
		answer := httpkit.Answer{View: d.view(parent)}
		if r.Method == http.MethodDelete {
			answer = httpkit.Answer{}
		}
		return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) {
			res, err := run(r.Context(), m, parent, id, &in)
			res.ID = id
			return res, err
		}, answer)
	}
}
