// Package dictapi is the HTTP API of the data dictionary: every signed-in user reads the lists
// (forms and filters offer their items); holders of settings.manage edit them.
package dictapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/dictcmd"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/readmodels/dictview"
)

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: dictionary.ErrDuplicate, Status: http.StatusConflict, Code: "duplicate_code"},
		httpkit.ErrorCode{Err: dictionary.ErrUnknownItem, Status: http.StatusNotFound, Code: "not_found"},
	)
}

// Deps are what the dictionary API needs.
type Deps struct {
	Kit   *httpkit.Kit
	Dict  dictcmd.Commands
	Views *dictview.Views
}

// projection is what dictionary reads wait for.
var projection = []string{dictview.Projection}

// Routes registers the dictionary endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	rt.Handle(http.MethodGet, "/dictionaries", a.lists)
	rt.Handle(http.MethodGet, "/dictionaries/{kind}", a.list)
	rt.Handle(http.MethodPost, "/dictionaries/{kind}/items", a.add)
	rt.Handle(http.MethodPatch, "/dictionaries/{kind}/items/{code}", a.relabel)
	rt.Handle(http.MethodPost, "/dictionaries/{kind}/items/{code}/disable", a.enable(false))
	rt.Handle(http.MethodPost, "/dictionaries/{kind}/items/{code}/enable", a.enable(true))
	rt.Handle(http.MethodPut, "/dictionaries/{kind}/order", a.reorder)
}

type api struct{ Deps }

// ItemCreate is the body of an added item.
type ItemCreate struct {
	Code   string            `json:"code"`
	Parent string            `json:"parent"`
	Labels dictionary.Labels `json:"labels"`
}

// ItemPatch is the body of a relabel.
type ItemPatch struct {
	Labels dictionary.Labels `json:"labels"`
}

// Order is the body of a reorder.
type Order struct {
	Parent string   `json:"parent"`
	Codes  []string `json:"codes"`
}

func kindOf(r *http.Request) (dictionary.Kind, error) {
	k, err := dictionary.ParseKind(httpkit.PathVar(r, "kind"))
	if err != nil {
		return "", httpkit.Fail(http.StatusNotFound, "not_found", err.Error())
	}
	return k, nil
}

func (a api) lists(r *http.Request) (httpkit.Reply, error) {
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	ls, err := a.Views.Lists(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(httpkit.All(ls)), nil
}

func (a api) list(r *http.Request) (httpkit.Reply, error) {
	k, err := kindOf(r)
	if err == nil {
		err = a.Kit.WaitFor(r, projection...)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	l, err := a.Views.List(r.Context(), k)
	if err != nil {
		return httpkit.Reply{}, err
	}
	rp := httpkit.OK(l)
	if l.Version > 0 { // built-in items only: nothing to match yet (If-Match takes versions from 1)
		rp = rp.With("ETag", httpkit.ETag(l.Version))
	}
	return rp, nil
}

// run runs a command on the list of the path and answers with the list.
func (a api) run(r *http.Request, status int, cmd func(ctx context.Context, m commands.Meta, k dictionary.Kind) (commands.Result, error)) (httpkit.Reply, error) {
	k, err := kindOf(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	view := func(ctx context.Context, _ access.Actor, _ uuid.UUID) (any, error) { return a.Views.List(ctx, k) }
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return cmd(r.Context(), m, k) },
		httpkit.Answer{Status: status, Projection: projection, View: view})
}

func (a api) add(r *http.Request) (httpkit.Reply, error) {
	var in ItemCreate
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	return a.run(r, http.StatusCreated, func(ctx context.Context, m commands.Meta, k dictionary.Kind) (commands.Result, error) {
		return a.Dict.Add(ctx, m, k, dictcmd.AddItem{Code: in.Code, Parent: in.Parent, Labels: in.Labels})
	})
}

func (a api) relabel(r *http.Request) (httpkit.Reply, error) {
	var in ItemPatch
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	code := httpkit.PathVar(r, "code")
	return a.run(r, http.StatusOK, func(ctx context.Context, m commands.Meta, k dictionary.Kind) (commands.Result, error) {
		return a.Dict.Relabel(ctx, m, k, code, in.Labels)
	})
}

func (a api) enable(on bool) httpkit.Handler {
	return func(r *http.Request) (httpkit.Reply, error) {
		code := httpkit.PathVar(r, "code")
		return a.run(r, http.StatusOK, func(ctx context.Context, m commands.Meta, k dictionary.Kind) (commands.Result, error) {
			return a.Dict.SetEnabled(ctx, m, k, code, on)
		})
	}
}

func (a api) reorder(r *http.Request) (httpkit.Reply, error) {
	var in Order
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	return a.run(r, http.StatusOK, func(ctx context.Context, m commands.Meta, k dictionary.Kind) (commands.Result, error) {
		return a.Dict.Reorder(ctx, m, k, in.Parent, in.Codes)
	})
}
