// Package orgapi is the HTTP API of the organisation: departments, roles and settings.
package orgapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// Deps are what the organisation API needs.
type Deps struct {
	Kit      *httpkit.Kit
	Org      orgcmd.Commands
	OrgViews *orgview.Views
}

// Routes registers the organisation endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	rt.Handle(http.MethodGet, "/departments", a.list(func(ctx context.Context) (any, error) {
		ds, err := d.OrgViews.ListDepartments(ctx)
		return httpkit.All(ds), err
	}))
	rt.Handle(http.MethodPost, "/departments", httpkit.Create[DepartmentCreate]{Kit: d.Kit, Run: a.createDepartment, Answer: a.answer(http.StatusCreated, a.department)}.Handle)
	rt.Handle(http.MethodGet, "/departments/{id}", httpkit.Get(d.Kit, projection, a.getDepartment, func(v *orgview.Department) int64 { return v.Version }))
	rt.Handle(http.MethodPatch, "/departments/{id}", httpkit.OnRecord[DepartmentPatch]{Kit: d.Kit, Run: a.updateDepartment, Answer: a.answer(http.StatusOK, a.department)}.Handle)
	rt.Handle(http.MethodGet, "/roles", a.list(a.roles))
	rt.Handle(http.MethodPost, "/roles", httpkit.Create[RoleCreate]{Kit: d.Kit, Run: a.createRole, Answer: a.answer(http.StatusCreated, a.role)}.Handle)
	// A role is addressed by its id or by its name (/roles/sales): the id derives from the name.
	rt.Handle(http.MethodGet, "/roles/{id}", httpkit.AliasID(httpkit.Get(d.Kit, projection, a.getRole, func(v *orgview.Role) int64 { return v.Version }), role.ID))
	rt.Handle(http.MethodPatch, "/roles/{id}", httpkit.AliasID(httpkit.OnRecord[RolePatch]{Kit: d.Kit, Run: a.updateRole, Answer: a.answer(http.StatusOK, a.role)}.Handle, role.ID))
	rt.Handle(http.MethodDelete, "/roles/{id}", httpkit.AliasID(httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.deleteRole}.Handle, role.ID))
	rt.Handle(http.MethodGet, "/settings", a.list(func(ctx context.Context) (any, error) { return d.OrgViews.GetSettings(ctx) }))
	rt.Handle(http.MethodPatch, "/settings", a.updateSettings)
}

// projection is what organisation reads wait for.
var projection = []string{readmodels.OrgProjection}

type api struct{ Deps }

// answer: organisation commands answer with the fresh read view.
func (a api) answer(status int, view func(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error)) httpkit.Answer {
	return httpkit.Answer{Status: status, Projection: projection, View: view}
}

// list answers a read of the organisation once the projection has processed the position asked for.
func (a api) list(read func(ctx context.Context) (any, error)) httpkit.Handler {
	return func(r *http.Request) (httpkit.Reply, error) {
		if err := a.Kit.WaitFor(r, projection...); err != nil {
			return httpkit.Reply{}, err
		}
		v, err := read(r.Context())
		if err != nil {
			return httpkit.Reply{}, err
		}
		return httpkit.OK(v), nil
	}
}
