// Package esdb is the EventStoreDB adapter of the event-store port (package
// domain/eventstore), built on EventStore-Client-Go v4.
//
// How the port maps onto EventStoreDB:
//
//   - A stream version is an ESDB stream revision plus one: ESDB counts events from 0, the port
//     from 1. Expected version 0 (eventstore.NoStream) is esdb.NoStream{}, n > 0 is
//     esdb.Revision(n-1). The expected revision is always explicit; ESDB's default (Any) would
//     check nothing. Event IDs are the caller's, so ESDB recognises a retried append.
//   - The global position is the commit position of the event in $all. Every event appended
//     through gRPC is written as its own implicitly committed record, whose commit position
//     equals its prepare position, so the commit position alone orders and identifies it.
//     (Events written in explicit transactions through the old TCP API share one commit
//     position; ReadAll reports an error rather than skip them.)
//   - OccurredAt travels in the event's user metadata (RFC 3339 with nanoseconds) next to the
//     port's Metadata fields, because ESDB's created time is set by the server. Events without
//     it (written by other tools) fall back to the created time; metadata that is not a JSON
//     object, or data that is not JSON, is an error, not a guess.
//   - System events (event type or stream id starting with "$") are never returned. For the same
//     reason Append refuses stream ids and event types that start with "$": ESDB would store
//     them, and ReadAll and Subscribe would then hide them.
//   - Load reports position 0 for events whose commit position the server does not send on
//     stream reads: servers without kurrent-io/KurrentDB#3459 (2022) send 2^64-1 there. ReadAll
//     and Subscribe always carry real positions.
//   - ReadAll, Subscribe and Head read $all, so the connection's user needs read access to it.
//   - An append over eventstore.MaxAppendSize as the server counts it (data, the stored metadata
//     and twice the type's UTF-16 length; the server's MaxAppendSize default is the same 1 MiB)
//     is refused before it is sent, and the server's own refusal ("Maximum Append Size of …
//     Exceeded.", for a server configured lower) is eventstore.ErrAppendTooLarge as well.
//
// During an outage every call returns by its context's deadline (or after callTimeout when it
// has none), whatever the client library does meanwhile, and the adapter replaces a client that
// gave up, so calls and subscriptions work again once the node is back, without a restart. Close
// returns within closeWait. See Store for how.
package esdb
