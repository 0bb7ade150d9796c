// Package commands is the write side: it authorises a command, loads the aggregate from its
// stream, calls a behaviour and appends the recorded events with the expected version.
package commands

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Actor is who issues a command.
type Actor struct {
	ID    uuid.UUID
	Name  string
	Roles []string
}

// Has reports whether the actor holds the role.
func (a Actor) Has(role string) bool { return slices.Contains(a.Roles, role) }

// SystemActor issues commands on behalf of Chronicle itself (bootstrap, schedulers).
var SystemActor = Actor{ID: uuid.MustParse("00000000-0000-7000-8000-000000000001"), Name: "system", Roles: []string{"admin"}}

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
}

// Errors the HTTP adapter maps to status codes.
var (
	ErrForbidden     = errors.New("forbidden")
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("a record with this id already exists with different content")
)

// VersionMismatchError is an If-Match that no longer holds.
type VersionMismatchError struct{ Current int64 }

func (e *VersionMismatchError) Error() string {
	return fmt.Sprintf("the record is at version %d", e.Current)
}

// Clock returns the current time; tests inject a fixed one.
type Clock func() time.Time
