// Package engine turns the global event log into read models by running projectors.
//
// A LogSubscriber (a Watermill message.Subscriber) reads the event store's global log from a
// projection's checkpoint, then follows it live, and hands the events to a Watermill Router in
// pages: one message carries up to PageSize events in log order. Each projector generation is
// one Router handler with a stable name ("leads/g1"). The handler applies a whole page inside one
// read-model transaction and advances the checkpoint in that same transaction, so a read model
// and its checkpoint can never disagree (exactly-once effects). The checkpoint update is
// conditional on the position it started from, so a second process working the same projection
// rolls back instead of applying twice.
//
// A failing page is retried with exponential backoff from the committed checkpoint; after
// MaxAttempts the projection is parked with its error visible in Status, and only that projection
// stops.
//
// Rebuild creates generation n+1 of a projection's tables, fills it from position 0 while
// generation n keeps serving, and switches projection_active inside the transaction that catches
// up with the head of the log. The new generation is loaded in bulk, with its secondary and search
// indexes built and its tables analyzed just before the switch (bulk.go); the old generation's
// tables are dropped once no process reads them any more (readers.go).
// Projectors have no side effects other than their own tables, so replays are safe.
//
// The engine knows projectors only through the Projector interface: the projectors live in one
// package per module beside it (leadproj, customerproj, orgproj, …) and share the kit package.
package engine
