package userapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// UserCreate is the body of POST /api/v1/users.
type UserCreate struct {
	ID           string   `json:"id"`
	Username     string   `json:"username"`
	Password     string   `json:"password"`
	DisplayName  string   `json:"displayName"`
	Role         string   `json:"role"`
	Roles        []string `json:"roles"`
	DepartmentID string   `json:"departmentId"`
	SuperiorID   string   `json:"superiorId"`
	Email        string   `json:"email"`
}

// UserPatch is the body of PATCH /api/v1/users/{id}; null clears departmentId or superiorId.
type UserPatch struct {
	DisplayName  httpkit.Opt[string]   `json:"displayName"`
	Roles        httpkit.Opt[[]string] `json:"roles"`
	DepartmentID httpkit.Opt[string]   `json:"departmentId"`
	SuperiorID   httpkit.Opt[string]   `json:"superiorId"`
	Email        httpkit.Opt[string]   `json:"email"`
}

func (a api) user(ctx context.Context, actor access.Actor, id uuid.UUID) (*orgview.User, error) {
	u, err := a.OrgViews.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	return directoryView(actor, u), nil
}

// directoryView is what the user directory shows the actor of an account. Every signed-in user
// sees the directory (names of owners, assignees, actors), but usernames, which are half of a
// sign-in and all one needs to aim failed sign-ins at an account, only administrators of
// accounts (users.manage) see, and everyone their own.
func directoryView(actor access.Actor, u *orgview.User) *orgview.User {
	if actor.Can(role.UsersManage) || actor.ID == u.ID {
		return u
	}
	c := *u
	c.Username, c.Email = "", ""
	return &c
}

func (a api) createUser(r *http.Request) (httpkit.Reply, error) {
	var in UserCreate
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	c := usercmd.CreateUser{Username: in.Username, Password: in.Password, DisplayName: in.DisplayName, Roles: in.Roles, Email: in.Email}
	if in.Role != "" {
		c.Roles = append([]string{in.Role}, c.Roles...)
	}
	var err error
	if in.ID != "" {
		c.ID, err = httpkit.ParseUUID("id", in.ID)
	}
	if err == nil && in.DepartmentID != "" {
		c.DepartmentID, err = httpkit.ParseUUID("departmentId", in.DepartmentID)
	}
	if err == nil && in.SuperiorID != "" {
		c.SuperiorID, err = httpkit.ParseUUID("superiorId", in.SuperiorID)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return a.Users.Create(r.Context(), m, c) },
		httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/users", Projection: usersProjection,
			View: func(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
				return a.user(ctx, actor, id)
			}})
}

func (a api) listUsers(r *http.Request) (httpkit.Reply, error) {
	if err := a.Kit.WaitFor(r, usersProjection...); err != nil {
		return httpkit.Reply{}, err
	}
	users, err := a.OrgViews.ListUsers(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	actor := httpkit.ActorOf(r.Context())
	for i, u := range users {
		users[i] = directoryView(actor, u)
	}
	return httpkit.OK(httpkit.All(users)), nil
}

func (a api) updateUser(ctx context.Context, m commands.Meta, id uuid.UUID, in *UserPatch) (commands.Result, error) {
	c := usercmd.EditUser{Edit: user.Edit{DisplayName: in.DisplayName.Ptr(), Roles: in.Roles.Ptr()}, Email: in.Email.Ptr()}
	var err error
	if c.DepartmentID, err = httpkit.OptionalID("departmentId", in.DepartmentID); err == nil {
		c.SuperiorID, err = httpkit.OptionalID("superiorId", in.SuperiorID)
	}
	if err != nil {
		return commands.Result{}, err
	}
	return a.Users.Update(ctx, m, id, c)
}

type passwordBody struct {
	Password string `json:"password"`
}

func (a api) resetPassword(ctx context.Context, m commands.Meta, id uuid.UUID, in *passwordBody) (commands.Result, error) {
	return a.Users.ResetPassword(ctx, m, id, in.Password)
}
