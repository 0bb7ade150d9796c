// Package eventstore declares the event-store port: the only source of truth of Chronicle.
//
// Semantics every adapter guarantees (checked by package eventstoretest):
//
//   - Streams are named "<kind>-<uuid>" (for example "lead-0190...."). Stream versions start at 1;
//     the version of a stream is the number of events in it.
//   - Append writes all given events atomically at the end of one stream, only if the stream's
//     current version equals the expected version (NoStream = 0 means "must not exist").
//     On mismatch it returns an error wrapping ErrConcurrency and writes nothing.
//     Event IDs are chosen by the caller (UUIDv7) so a retried append can be recognised.
//   - AppendEach is many such appends in one call: each stream's append succeeds or fails on its
//     own, in input order; stores with transactions commit the whole call at once.
//   - Every appended event receives a global position. Positions strictly increase in the order in
//     which readers of the global log observe events, and a reader never passes over an event that
//     commits later with a lower position (no skipped events). Positions need not be dense.
//   - Load returns a stream's events in version order, optionally only from a version and only
//     those that occurred at or before a time ("as of").
//   - ReadAll returns events of the global log with a position strictly greater than "after", in
//     position order, at most limit of them. System events of the underlying engine are never
//     returned.
//   - Subscribe delivers every event after a position: first those already stored (catch-up),
//     then new ones as they are committed, in position order, until the context ends.
//
// The package is pure: standard library and google/uuid only.
package eventstore
