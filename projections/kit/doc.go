// Package kit is what projectors share: a row buffer that writes the rows a page touched in
// multi-row upserts, the organisation tree every owner-scoped projection keeps in its own tables
// (with a per-page cache of owner placements), multi-row inserts for append-only logs, and typed
// handlers per event type (On, Handlers) instead of long type switches.
package kit
