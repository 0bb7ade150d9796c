// Package commands is the write side's toolkit: command metadata and results, the repository
// that loads an aggregate from its stream and appends what a behaviour recorded with the expected
// version, batch creates for imports, key reservations, command names and the metrics decorator.
// Each module's commands live in their own package (leadcmd, customercmd, …); the actor and the
// access rules in commands/access.
package commands

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
)

// Meta is everything about a command that is not its payload; it becomes event metadata.
type Meta struct {
	Actor         access.Actor
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
	ErrForbidden     = access.ErrForbidden
	ErrNotFound      = access.ErrNotFound
	ErrAlreadyExists = errors.New("a record with this id already exists with different content")
)

// VersionMismatchError is an If-Match that no longer holds. Edited, when known, names who wrote
// the current version and when, so that a client can tell its user whose change it would overwrite.
type VersionMismatchError struct {
	Current int64
	Edited  *Edit
}

func (e *VersionMismatchError) Error() string {
	return fmt.Sprintf("the record is at version %d", e.Current)
}

// Clock returns the current time; tests inject a fixed one.
type Clock func() time.Time
