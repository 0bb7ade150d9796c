package orgapi

import (
	"context"
	"encoding/json"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
)

// DepartmentCreate is the body of POST /api/v1/departments.
type DepartmentCreate struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ParentID string `json:"parentId"`
}

// DepartmentPatch is the body of PATCH /api/v1/departments/{id}; parentId null moves it to the top.
type DepartmentPatch struct {
	Name     httpkit.Opt[string] `json:"name"`
	ParentID httpkit.Opt[string] `json:"parentId"`
	Disabled httpkit.Opt[bool]   `json:"disabled"`
	HeadID   httpkit.Opt[string] `json:"headId"`
}

func (a api) getDepartment(ctx context.Context, _ access.Actor, id uuid.UUID) (*orgview.Department, error) {
	return a.OrgViews.GetDepartment(ctx, id)
}

func (a api) department(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.getDepartment(ctx, actor, id)
}

func (a api) createDepartment(ctx context.Context, m commands.Meta, in *DepartmentCreate) (commands.Result, error) {
	c := orgcmd.CreateDepartment{Name: in.Name}
	var err error
	if in.ID != "" {
		c.ID, err = httpkit.ParseUUID("id", in.ID)
	}
	if err == nil && in.ParentID != "" {
		c.ParentID, err = httpkit.ParseUUID("parentId", in.ParentID)
	}
	if err != nil {
		return commands.Result{}, err
	}
	return a.Org.CreateDepartment(ctx, m, c)
}

func (a api) updateDepartment(ctx context.Context, m commands.Meta, id uuid.UUID, in *DepartmentPatch) (commands.Result, error) {
	c := orgcmd.DepartmentChange{Name: in.Name.Ptr(), Disabled: in.Disabled.Ptr()}
	var err error
	if c.ParentID, err = httpkit.OptionalID("parentId", in.ParentID); err != nil {
		return commands.Result{}, err
	}
	if c.HeadID, err = httpkit.OptionalID("headId", in.HeadID); err != nil {
		return commands.Result{}, err
	}
	return a.Org.UpdateDepartment(ctx, m, id, c)
}

// RoleCreate is the body of POST /api/v1/roles.
type RoleCreate struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	Permissions []string `json:"permissions"`
	DataScope   string   `json:"dataScope"`
	Require2FA  bool     `json:"require2fa"`
}

// RolePatch is the body of PATCH /api/v1/roles/{id}.
type RolePatch struct {
	DisplayName httpkit.Opt[string]   `json:"displayName"`
	Permissions httpkit.Opt[[]string] `json:"permissions"`
	DataScope   httpkit.Opt[string]   `json:"dataScope"`
	Require2FA  httpkit.Opt[bool]     `json:"require2fa"`
}

func (a api) getRole(ctx context.Context, _ access.Actor, id uuid.UUID) (*orgview.Role, error) {
	return a.OrgViews.GetRole(ctx, id)
}

func (a api) role(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.getRole(ctx, actor, id)
}

func (a api) roles(ctx context.Context) (any, error) {
	rs, err := a.OrgViews.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := httpkit.All(rs)
	out["permissions"] = role.Permissions
	return out, nil
}

func (a api) createRole(ctx context.Context, m commands.Meta, in *RoleCreate) (commands.Result, error) {
	return a.Org.CreateRole(ctx, m, orgcmd.CreateRole{Name: in.Name, DisplayName: in.DisplayName, Permissions: in.Permissions,
		DataScope: in.DataScope, Require2FA: in.Require2FA})
}

func (a api) updateRole(ctx context.Context, m commands.Meta, id uuid.UUID, in *RolePatch) (commands.Result, error) {
	c := role.Change{DisplayName: in.DisplayName.Ptr(), Permissions: in.Permissions.Ptr(), Require2FA: in.Require2FA.Ptr()}
	if in.DataScope.Set {
		sc, err := role.ParseScope(in.DataScope.Value)
		if err != nil {
			return commands.Result{}, err
		}
		c.DataScope = &sc
	}
	return a.Org.UpdateRole(ctx, m, id, c)
}

func (a api) deleteRole(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Org.DeleteRole(ctx, m, id)
}

// SettingsPatch is the body of PATCH /api/v1/settings.
type SettingsPatch struct {
	LeadClaimCap httpkit.Opt[int64] `json:"leadClaimCap"`
	// CustomerPool is merged field by field onto the current customer pool settings.
	CustomerPool json.RawMessage `json:"customerPool"`
	// CustomerFields replaces the custom customer field definitions.
	CustomerFields httpkit.Opt[[]customer.CustomField] `json:"customerFields"`
	// DefaultTimeZone is the time zone of users who never chose one; null restores Asia/Shanghai.
	DefaultTimeZone httpkit.Opt[string] `json:"defaultTimeZone"`
}

func (a api) updateSettings(r *http.Request) (httpkit.Reply, error) {
	var in SettingsPatch
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	c := settings.Change{LeadClaimCap: in.LeadClaimCap.Ptr(), CustomerFields: in.CustomerFields.Ptr(), DefaultTimeZone: in.DefaultTimeZone.Ptr()}
	if in.DefaultTimeZone.Null {
		z := settings.DefaultTimeZone
		c.DefaultTimeZone = &z
	}
	if len(in.CustomerPool) > 0 {
		cur, err := a.OrgViews.CustomerPool(r.Context())
		if err == nil {
			err = httpkit.DecodeJSON(in.CustomerPool, &cur)
		}
		if err != nil {
			return httpkit.Reply{}, err
		}
		c.CustomerPool = &cur
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return a.Org.UpdateSettings(r.Context(), m, c) },
		a.answer(http.StatusOK, func(ctx context.Context, _ access.Actor, _ uuid.UUID) (any, error) {
			return a.OrgViews.GetSettings(ctx)
		}))
}
