// Package postgres is the PostgreSQL adapter of the event-store port (domain/eventstore), built on
// pgx/v5 and pgxpool.
//
// # No skipped events: serialised appends
//
// A position comes from an identity sequence. Sequence values are handed out when a row is
// inserted, not when its transaction commits, so in a naive adapter a transaction can take
// position 10, stall, and commit after another transaction has taken and committed position 11.
// A reader of "position > 9" that ran in between saw 11, moved its checkpoint to 11 and will never
// see 10 (architecture decision 3).
//
// This adapter rules that out by serialising appends. Every Append runs in one READ COMMITTED
// transaction that first takes the transaction-scoped advisory lock AppendLockKey, and only then
// reads the stream's version, inserts its events (drawing their positions) and commits.
// PostgreSQL makes a commit visible before it releases the transaction's locks, so when the next
// appender obtains the lock the previous append is already visible, and the next appender draws
// strictly greater positions. Hence positions become visible strictly in order: whatever a
// reader sees, it has also seen every lower position that will ever exist (rolled-back appends
// leave holes, which the port allows). ReadAll is therefore a plain
// "WHERE position > $1 ORDER BY position LIMIT $2".
//
// The version is read in a statement of its own after the lock statement returned: in READ
// COMMITTED every statement takes a fresh snapshot, so it sees the previous holder's commit.
// (Reading it in the same statement as the lock, or under REPEATABLE READ, would use a snapshot
// from before the wait.) The transaction asks for READ COMMITTED explicitly so a server default
// of another isolation level can not break this.
//
// Why not the transaction-id watermark (store pg_current_xact_id() per row and read only below
// pg_snapshot_xmin)? Two reasons. First, it is unsound with a checkpoint that is a single
// position: transaction ids are assigned at a transaction's first write while positions are
// drawn at insert, so the xid order and the position order differ (a transaction with the lower
// xid can hold the higher position). A reader that releases rows below the watermark in position
// order and remembers only "last position" can still pass over a lower position whose
// transaction is released by a later watermark; making it sound needs an (xid, position)
// checkpoint and an order that is no longer the port's position order. Second, the snapshot xmin
// is cluster-wide: any long transaction in any database of the cluster (a report, a migration, a
// forgotten psql session) holds the watermark back and stalls every projection. Serialised
// appends couple readers to nothing but committed events.
//
// The price is that appends do not overlap: write throughput is bounded by one append's lock
// hold time (a version read, an insert and a commit, including its WAL flush). Batch appends
// amortise it. The advisory lock is per database, not per schema: every Chronicle store in one
// database shares it, and so must any other writer of the events table (see AppendLockKey).
//
// # Notifications
//
// Append calls pg_notify('chronicle_events', <last position>) in its transaction; PostgreSQL
// delivers it at commit. Subscribe is eventstore.PollingSubscription woken by one LISTEN
// connection per Store (started by the first Subscribe, reconnecting on error) with a 1 s poll as
// the fallback, so a lost notification delays delivery and never loses an event. Notifications
// are per database too: stores in other schemas of the same database cause harmless spurious
// wake-ups.
package postgres
