// Package access holds who issues commands and the rules every owned record follows: the actor
// (identity, function permissions, data scope, placement), the scope check, and the see / change
// / assign rules of lead and customer records. Read models write the same scope rule as SQL.
package access

import (
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/role"
)

// Actor is who issues a command: identity, function permissions, data scope and placement.
type Actor struct {
	ID           uuid.UUID
	Name         string
	Roles        []string
	Permissions  map[string]bool
	Scope        role.Scope
	DepartmentID uuid.UUID
	DeptPath     string // "/root/…/own/" or "" without a department
	SuperiorPath string // chain of superiors, "/" at the top
	Require2FA   bool   // one of the actor's roles requires two-factor sign-in
}

// Clone returns a copy that shares no slice or map with a.
func (a Actor) Clone() Actor {
	a.Roles = slices.Clone(a.Roles)
	a.Permissions = maps.Clone(a.Permissions)
	return a
}

// Has reports whether the actor holds the role.
func (a Actor) Has(roleName string) bool { return slices.Contains(a.Roles, roleName) }

// Can reports whether the actor holds the function permission.
func (a Actor) Can(permission string) bool { return a.Permissions[permission] }

// Placement is where a record's owner sits in the organisation.
type Placement struct {
	DepartmentID uuid.UUID
	DeptPath     string
	SuperiorPath string
}

// SubordinatePrefix is the superior-path prefix shared by everyone below the actor.
func (a Actor) SubordinatePrefix() string { return a.SuperiorPath + a.ID.String() + "/" }

// Covers reports whether a record owned by owner (sitting at p) is inside the actor's data scope.
// The same rule is written as SQL in readmodels.Scope; the scope matrix test checks they agree.
func (a Actor) Covers(owner uuid.UUID, p Placement) bool {
	if owner == a.ID && owner != uuid.Nil {
		return true
	}
	switch a.Scope {
	case role.ScopeAll:
		return true
	case role.ScopeSelfAndSubordinates:
		return strings.HasPrefix(p.SuperiorPath, a.SubordinatePrefix())
	case role.ScopeDepartment:
		return a.DepartmentID != uuid.Nil && p.DepartmentID == a.DepartmentID
	case role.ScopeDepartmentTree:
		return a.DeptPath != "" && strings.HasPrefix(p.DeptPath, a.DeptPath)
	}
	return false
}

// System issues commands on behalf of Chronicle itself (bootstrap, schedulers).
var System = Actor{ID: uuid.MustParse("00000000-0000-7000-8000-000000000001"), Name: "system", Roles: []string{"admin"},
	Permissions: allPermissions(), Scope: role.ScopeAll}

// Anonymous is who signs in before being known.
var Anonymous = Actor{ID: uuid.Nil, Name: "anonymous"}

func allPermissions() map[string]bool {
	m := map[string]bool{}
	for _, p := range role.Permissions {
		m[p] = true
	}
	return m
}

// RoleDef is a role as the read model knows it.
type RoleDef struct {
	Name        string
	Permissions []string
	Scope       role.Scope
	Require2FA  bool
}

// DepartmentInfo is what commands need to know of a department (where it sits, whether it
// takes new members).
type DepartmentInfo struct {
	Path     string // "/root/…/self/"
	Disabled bool
}
