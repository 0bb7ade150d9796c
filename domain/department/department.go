// Package department is the organisation tree: departments with a parent, renamed, moved and
// disabled over time. Keeping the tree acyclic needs the whole tree, so Move takes the list of the
// new parent's ancestors from the caller (a read model) and refuses a move under itself.
package department

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Rule violations.
var (
	ErrNotFound = errors.New("department not found")
	ErrCycle    = errors.New("a department cannot move under itself or its own subdepartment")
	ErrDisabled = errors.New("department is disabled")
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// StreamPrefix is the stream kind of departments.
const StreamPrefix = "department"

// Stream returns the stream id of a department.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Created: a department was made under a parent (empty ParentID for a top-level department).
type Created struct {
	DepartmentID string    `json:"departmentId"`
	Name         string    `json:"name"`
	ParentID     string    `json:"parentId,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// Renamed: the department's name changed.
type Renamed struct {
	DepartmentID string    `json:"departmentId"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// Moved: the department (with its subtree) has a new parent.
type Moved struct {
	DepartmentID string    `json:"departmentId"`
	From         string    `json:"from,omitempty"`
	To           string    `json:"to,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// Disabled / Enabled: a disabled department takes no new members.
type Disabled struct {
	DepartmentID string    `json:"departmentId"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

type Enabled struct {
	DepartmentID string    `json:"departmentId"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

// HeadAppointed: the department's head changed (HeadID "": none). Approval flows route a
// "head of department" step to the head.
type HeadAppointed struct {
	DepartmentID string    `json:"departmentId"`
	HeadID       string    `json:"headId,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
}

func (HeadAppointed) EventType() string { return "department.head_appointed.v1" }

func (Created) EventType() string  { return "department.created.v1" }
func (Renamed) EventType() string  { return "department.renamed.v1" }
func (Moved) EventType() string    { return "department.moved.v1" }
func (Disabled) EventType() string { return "department.disabled.v1" }
func (Enabled) EventType() string  { return "department.enabled.v1" }

// Register adds the department events to a registry.
func Register(r *event.Registry) {
	r.Register(
		func() event.Event { return &Created{} },
		func() event.Event { return &Renamed{} },
		func() event.Event { return &Moved{} },
		func() event.Event { return &Disabled{} },
		func() event.Event { return &Enabled{} },
		func() event.Event { return &HeadAppointed{} },
	)
}

// Department is the aggregate state.
type Department struct {
	event.Root
	id       uuid.UUID
	name     string
	parent   uuid.UUID
	head     uuid.UUID
	disabled bool
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", &ValidationError{Field: "name", Message: "is required"}
	case n > 100:
		return "", &ValidationError{Field: "name", Message: fmt.Sprintf("is %d characters long; at most 100", n)}
	}
	return name, nil
}

// New creates a department under parent (uuid.Nil for the top level).
func New(id uuid.UUID, name string, parent, by uuid.UUID, at time.Time) (*Department, error) {
	name, err := checkName(name)
	if err != nil {
		return nil, err
	}
	if id == parent {
		return nil, ErrCycle
	}
	d := &Department{id: id}
	e := Created{DepartmentID: id.String(), Name: name, By: by.String(), At: at.UTC()}
	if parent != uuid.Nil {
		e.ParentID = parent.String()
	}
	d.record(e)
	return d, nil
}

// Rehydrate rebuilds a department from its history.
func Rehydrate(id uuid.UUID, history []event.Event) (*Department, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	d := &Department{id: id}
	d.Replay(d.apply, history, nil)
	return d, nil
}

func (d *Department) ID() uuid.UUID     { return d.id }
func (d *Department) Name() string      { return d.name }
func (d *Department) Parent() uuid.UUID { return d.parent }
func (d *Department) Disabled() bool    { return d.disabled }
func (d *Department) Head() uuid.UUID   { return d.head }

func (d *Department) record(e event.Event) { d.Record(d.apply, e) }

func (d *Department) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		d.name, d.parent = e.Name, parse(e.ParentID)
	case Renamed:
		d.name = e.To
	case Moved:
		d.parent = parse(e.To)
	case Disabled:
		d.disabled = true
	case Enabled:
		d.disabled = false
	case HeadAppointed:
		d.head = parse(e.HeadID)
	}
}

func parse(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

// Rename changes the name; the same name records nothing.
func (d *Department) Rename(name string, by uuid.UUID, at time.Time) error {
	name, err := checkName(name)
	if err != nil {
		return err
	}
	if name == d.name {
		return nil
	}
	d.record(Renamed{DepartmentID: d.id.String(), From: d.name, To: name, By: by.String(), At: at.UTC()})
	return nil
}

// Move puts the department under a new parent. newParentAncestors lists the new parent's
// ancestors (from the root down); moving under itself or a descendant is ErrCycle.
func (d *Department) Move(newParent uuid.UUID, newParentAncestors []uuid.UUID, by uuid.UUID, at time.Time) error {
	if newParent == d.parent {
		return nil
	}
	if newParent == d.id || slices.Contains(newParentAncestors, d.id) {
		return ErrCycle
	}
	e := Moved{DepartmentID: d.id.String(), By: by.String(), At: at.UTC()}
	if d.parent != uuid.Nil {
		e.From = d.parent.String()
	}
	if newParent != uuid.Nil {
		e.To = newParent.String()
	}
	d.record(e)
	return nil
}

// Disable stops the department from taking new members.
func (d *Department) Disable(by uuid.UUID, at time.Time) error {
	if d.disabled {
		return nil
	}
	d.record(Disabled{DepartmentID: d.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Enable reverses Disable.
func (d *Department) Enable(by uuid.UUID, at time.Time) error {
	if !d.disabled {
		return nil
	}
	d.record(Enabled{DepartmentID: d.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// AppointHead names the department's head (uuid.Nil: none); the same head records nothing. The
// command checks that the user is active.
func (d *Department) AppointHead(head, by uuid.UUID, at time.Time) {
	if head == d.head {
		return
	}
	e := HeadAppointed{DepartmentID: d.id.String(), By: by.String(), At: at.UTC()}
	if head != uuid.Nil {
		e.HeadID = head.String()
	}
	d.record(e)
}

// Snapshot is the department as a flat map (history diffs).
func (d *Department) Snapshot() map[string]any {
	m := map[string]any{"id": d.id.String(), "name": d.name, "parentId": nil, "headId": nil, "disabled": d.disabled, "version": d.Version()}
	if d.parent != uuid.Nil {
		m["parentId"] = d.parent.String()
	}
	if d.head != uuid.Nil {
		m["headId"] = d.head.String()
	}
	return m
}
