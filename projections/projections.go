// Package projections is the projection layer: the engine (projections/engine), the kit its
// projectors share (projections/kit) and one package per module's projector (leadproj,
// customerproj, orgproj, auditproj, loginproj, conversionproj).
//
// The names below are aliases of projections/engine for callers not moved to it yet; they go
// once nothing refers to them.
package projections

import "github.com/chronicle-crm/chronicle/projections/engine"

// Engine is engine.Engine.
type Engine = engine.Engine

// Errors of engine.Engine.Rebuild.
var (
	ErrUnknownProjection = engine.ErrUnknownProjection
	ErrRebuildInProgress = engine.ErrRebuildInProgress
)
