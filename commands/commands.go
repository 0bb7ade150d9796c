// Package commands is the write side: it authorises a command, loads the aggregate from its
// stream, calls a behaviour and appends the recorded events with the expected version.
package commands

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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

// SystemActor issues commands on behalf of Chronicle itself (bootstrap, schedulers).
var SystemActor = Actor{ID: uuid.MustParse("00000000-0000-7000-8000-000000000001"), Name: "system", Roles: []string{"admin"},
	Permissions: allPermissions(), Scope: role.ScopeAll}

func allPermissions() map[string]bool {
	m := map[string]bool{}
	for _, p := range role.Permissions {
		m[p] = true
	}
	return m
}

// ResolveActor combines a user's roles into an actor: the union of their permissions and the
// widest of their data scopes.
func ResolveActor(c Credential, roles []RoleDef) Actor {
	a := Actor{ID: c.UserID, Name: c.DisplayName, Roles: c.Roles, Permissions: map[string]bool{}, Scope: role.ScopeSelf,
		DepartmentID: c.DepartmentID, DeptPath: c.DeptPath, SuperiorPath: c.SuperiorPath}
	if a.SuperiorPath == "" {
		a.SuperiorPath = "/"
	}
	for _, r := range roles {
		for _, p := range r.Permissions {
			a.Permissions[p] = true
		}
		if role.Wider(r.Scope, a.Scope) {
			a.Scope = r.Scope
		}
		a.Require2FA = a.Require2FA || r.Require2FA
	}
	return a
}

// RoleDef is a role as the read model knows it.
type RoleDef struct {
	Name        string
	Permissions []string
	Scope       role.Scope
	Require2FA  bool
}

// Meta is everything about a command that is not its payload; it becomes event metadata.
type Meta struct {
	Actor         Actor
	Command       string
	RequestID     string
	CorrelationID string
	CausationID   string
	ClientAddr    string
	// IfMatch, when set, is the version the client last saw; a different current version is a
	// VersionMismatchError (HTTP 412) instead of a retry.
	IfMatch *int64
}

// Result says where a command's events landed.
type Result struct {
	ID       uuid.UUID
	Version  int64
	Position uint64
	// Created is false when an idempotent create found the same record already there.
	Created bool
	// EventID is the id of the last event appended (the causation of what follows from it).
	EventID uuid.UUID
}

// Errors the HTTP adapter maps to status codes.
var (
	ErrForbidden     = errors.New("forbidden")
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("a record with this id already exists with different content")
	// ErrClaimLimit: the claimer already owns as many records as the pool rules allow.
	ErrClaimLimit = errors.New("you already own as many leads as the pool rules allow")
)

// VersionMismatchError is an If-Match that no longer holds.
type VersionMismatchError struct{ Current int64 }

func (e *VersionMismatchError) Error() string {
	return fmt.Sprintf("the record is at version %d", e.Current)
}

// Clock returns the current time; tests inject a fixed one.
type Clock func() time.Time
