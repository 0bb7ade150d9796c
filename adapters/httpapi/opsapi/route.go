// Package opsapi is the HTTP API of operations: the projections' status, rebuilds and resuming a
// parked projection.
package opsapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/engine"
)

// Deps are what the operations API needs.
type Deps struct {
	Kit    *httpkit.Kit
	Engine *engine.Engine
}

// Routes registers the operations endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	rt.Handle(http.MethodGet, "/projections", a.list)
	rt.Handle(http.MethodPost, "/projections/{name}/rebuild", a.rebuild)
	rt.Handle(http.MethodPost, "/projections/{name}/resume", a.resume)
}

type api struct{ Deps }

func (a api) list(r *http.Request) (httpkit.Reply, error) {
	actor := httpkit.ActorOf(r.Context())
	if !actor.Can(role.ProjectionsManage) && !actor.Can(role.AuditRead) {
		return httpkit.Reply{}, httpkit.Allow(r, role.ProjectionsManage)
	}
	st, err := a.Engine.Status(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(map[string]any{"items": st}), nil
}

func (a api) rebuild(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.ProjectionsManage); err != nil {
		return httpkit.Reply{}, err
	}
	name := httpkit.PathVar(r, "name")
	gen, err := a.Engine.Rebuild(r.Context(), name)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.JSON(http.StatusAccepted, map[string]any{"name": name, "generation": gen, "state": "rebuilding"}), nil
}

func (a api) resume(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.ProjectionsManage); err != nil {
		return httpkit.Reply{}, err
	}
	name := httpkit.PathVar(r, "name")
	if !a.Engine.Resume(name) {
		return httpkit.Reply{}, httpkit.Fail(http.StatusConflict, "not_parked", "projection "+name+" is not parked")
	}
	return httpkit.JSON(http.StatusAccepted, map[string]any{"name": name, "state": "resuming"}), nil
}
