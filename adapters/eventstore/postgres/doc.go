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
// This adapter rules that out by serialising appends. Every append transaction (one Append, or
// a batch of concurrent calls, see Group commit) runs in READ COMMITTED, first takes the
// transaction-scoped advisory lock AppendLockKey, and only then reads the streams' versions,
// inserts its events (drawing their positions) and commits.
// PostgreSQL makes a commit visible before it releases the transaction's locks, so when the next
// appender obtains the lock the previous append is already visible, and the next appender draws
// strictly greater positions. Hence positions become visible strictly in order: whatever a
// reader sees, it has also seen every lower position that will ever exist (rolled-back appends
// leave holes, which the port allows). ReadAll is therefore a plain
// "WHERE position > $1 ORDER BY position LIMIT $2".
//
// The versions are read by a statement of its own that runs after the lock statement returned
// (appendSQL, which reads them and inserts the events whose expected versions match): in READ
// COMMITTED every statement takes a fresh snapshot, so it sees the previous holder's commit.
// (Reading them in the same statement as the lock, or under REPEATABLE READ, would use a snapshot
// from before the wait.) The transaction asks for READ COMMITTED explicitly so a server default
// of another isolation level can not break this. BEGIN, the lock, appendSQL and COMMIT go to the
// server in one pipeline, so a transaction costs one round trip and the lock is not held across
// one; a statement that fails makes the server skip the rest, COMMIT included.
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
// The price is that append transactions do not overlap: write throughput is bounded by one
// transaction's lock hold time (a version read, an insert and a commit, including its WAL flush).
// The advisory lock is per database, not per schema: every Chronicle store in one database shares
// it, and so must any other writer of the events table (see AppendLockKey).
//
// # Group commit
//
// So that the lock hold and the commit flush are paid per transaction rather than per append,
// the concurrent Append and AppendEach calls of one Store share transactions
// (package groupcommit): calls that arrive while a transaction is being written queue, and the
// next transaction takes all of them, up to groupcommit.DefaultLimits (1,000 events, 4 MiB), in
// queue order: one lock hold, one statement and one commit for the whole batch. There is no
// timer: a call that finds no transaction running writes one at once, on its own goroutine.
//
//   - Each call keeps its own expected-version check, made in queue order inside the transaction
//     (a later call sees the streams as the earlier calls of the batch left them), and its own
//     outcome: a version conflict of one call fails that call only.
//   - When PostgreSQL refuses the batch's statement because of one element (a reused event id,
//     a value jsonb does not take), the batch wrote nothing; its calls are then written one
//     transaction each, and a refused AppendEach element by element (eventstore.AppendInTurn),
//     so only the element at fault fails.
//   - A call returns only after the commit of the transaction that holds its events: success
//     still means durable.
//   - A call whose context ends before its batch starts returns ctx.Err() and nothing of it is
//     written. Once its batch has started, its outcome is whatever the transaction did, and the
//     call waits for it even if its context ends meanwhile. The transaction runs under a context
//     of its own that ends when the contexts of all its calls have ended.
//
// Across processes nothing changes: each process's batches take AppendLockKey like single
// appends did, so batches of different processes are ordered by the lock.
//
// # Notifications
//
// Every append transaction calls pg_notify('chronicle_events', '<last position> <store token>');
// PostgreSQL delivers it at commit. Subscribe is eventstore.PollingSubscription woken by one
// LISTEN connection per Store (started by the first Subscribe, reconnecting on error) with a 1 s
// poll as the fallback, so a lost notification delays delivery and never loses an event.
// Notifications are per database too: stores in other schemas of the same database cause
// harmless spurious wake-ups (and keep the tail below from answering: it then reads the table).
//
// # The tail: local appends read from memory
//
// A process's subscriptions (one per projection) would each query the table after every append.
// Instead each append transaction also returns the position the log ended at before it, under
// the lock, and its events as stored; the Store keeps the last 256 such segments and answers a
// subscription's read from them when it can prove the answer complete (tail.go: segments chain
// from the position asked for and reach the highest position any notification or local append
// announced, while the listener is up). Its own notification does not wake the local readers (the
// append wakes them once its segment is kept); other processes' do. A process that writes alone
// thus reads the log from the database about once a second per subscription, the fallback poll.
package postgres
