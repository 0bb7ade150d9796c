package userapi

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// Me is the answer of GET /api/v1/auth/me: the caller's user record and what the server decides
// with for them (their effective permissions, data scope and two-factor state), so a client
// needs no other read to shape itself to the user.
type Me struct {
	*orgview.User
	DepartmentName *string `json:"departmentName"`
	// RoleDetails are the caller's roles that exist, with their display names.
	RoleDetails []RoleRef `json:"roleDetails"`
	// Permissions is the union of the permissions of the caller's roles, sorted: exactly what the
	// server allows this session.
	Permissions []string `json:"permissions"`
	// DataScope is the widest data scope of the caller's roles (null when none of them exists).
	DataScope   *string        `json:"dataScope"`
	TwoFactor   TwoFactorState `json:"twoFactor"`
	Preferences PreferencesOut `json:"preferences"`
}

// RoleRef names one of the caller's roles.
type RoleRef struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// TwoFactorState: Enabled, the account signs in with a second factor; Required, a role of the
// account requires one (until it is enabled the session may only enrol, and it cannot be
// switched off while required).
type TwoFactorState struct {
	Enabled  bool `json:"enabled"`
	Required bool `json:"required"`
}

// PreferencesOut are the caller's preferences with the defaults filled in; the *Chosen flags
// tell a choice from a default.
type PreferencesOut struct {
	Language       string `json:"language"`
	TimeZone       string `json:"timeZone"`
	LanguageChosen bool   `json:"languageChosen"`
	TimeZoneChosen bool   `json:"timeZoneChosen"`
}

// PreferencesPatch is the body of PATCH /api/v1/auth/me/preferences: the preferences to change;
// null returns one to its default.
type PreferencesPatch struct {
	Language httpkit.Opt[string] `json:"language"`
	TimeZone httpkit.Opt[string] `json:"timeZone"`
}

func (a api) me(r *http.Request) (httpkit.Reply, error) {
	if err := a.Kit.WaitFor(r, usersProjection...); err != nil {
		return httpkit.Reply{}, err
	}
	m, err := a.meView(r.Context(), httpkit.ActorOf(r.Context()))
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(m).With("Cache-Control", "no-store"), nil
}

// meView is the actor's Me: the read model's record, with the permissions and scope the actor
// was resolved to for this request.
func (a api) meView(ctx context.Context, actor access.Actor) (*Me, error) {
	u, err := a.OrgViews.GetUser(ctx, actor.ID)
	if err != nil {
		return nil, err
	}
	out := &Me{User: u, RoleDetails: []RoleRef{}, Permissions: []string{}, TwoFactor: TwoFactorState{Enabled: u.TwoFactor, Required: actor.Require2FA}}
	if u.DepartmentID != nil {
		d, err := a.OrgViews.GetDepartment(ctx, *u.DepartmentID)
		switch {
		case err == nil:
			out.DepartmentName = &d.Name
		case !errors.Is(err, readmodels.ErrNotFound):
			return nil, err
		}
	}
	roles, err := a.OrgViews.RolesNamed(ctx, u.Roles)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		out.RoleDetails = append(out.RoleDetails, RoleRef{Name: r.Name, DisplayName: r.DisplayName})
	}
	for p, ok := range actor.Permissions {
		if ok {
			out.Permissions = append(out.Permissions, p)
		}
	}
	slices.Sort(out.Permissions)
	if len(roles) > 0 {
		s := string(actor.Scope)
		out.DataScope = &s
	}
	zone, err := a.OrgViews.DefaultTimeZone(ctx)
	if err != nil {
		return nil, err
	}
	out.Preferences = PreferencesOut{Language: user.DefaultLanguage, TimeZone: zone, LanguageChosen: u.Language != "", TimeZoneChosen: u.TimeZone != ""}
	if u.Language != "" {
		out.Preferences.Language = u.Language
	}
	if u.TimeZone != "" {
		out.Preferences.TimeZone = u.TimeZone
	}
	return out, nil
}

func (a api) changePreferences(r *http.Request) (httpkit.Reply, error) {
	var in PreferencesPatch
	if err := a.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	var c usercmd.Preferences
	var errs []error
	for _, f := range []struct {
		name string
		in   httpkit.Opt[string]
		out  **string
	}{{"language", in.Language, &c.Language}, {"timeZone", in.TimeZone, &c.TimeZone}} {
		switch {
		case !f.in.Set:
		case f.in.Null:
			none := "" // back to the default
			*f.out = &none
		case f.in.Value == "":
			errs = append(errs, &user.ValidationError{Field: f.name, Message: "must not be empty (null returns to the default)"})
		default:
			v := f.in.Value
			*f.out = &v
		}
	}
	if err := errors.Join(errs...); err != nil {
		return httpkit.Reply{}, err
	}
	return a.Kit.Run(r, func(m commands.Meta) (commands.Result, error) { return a.Users.ChangePreferences(r.Context(), m, c) },
		httpkit.Answer{Projection: orgProjection, View: func(ctx context.Context, actor access.Actor, _ uuid.UUID) (any, error) {
			return a.meView(ctx, actor)
		}})
}
