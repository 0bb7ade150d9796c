package postgres

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/groupcommit"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// AppendLockKey is the pg_advisory_xact_lock key every append takes before it reads a stream's
// version and draws positions. Any other writer of the events table (a migration, an import)
// must take it too, first thing in its transaction, or readers may skip its events:
//
//	SELECT pg_advisory_xact_lock(7163101030252110700)
//
// The value is the ASCII bytes of "chronicl" read as a big-endian int64; it never changes.
const AppendLockKey int64 = 0x6368726f6e69636c

// schemaLockKey serialises concurrent Opens creating the schema (concurrent CREATE TABLE IF NOT
// EXISTS can fail with a unique violation in the catalog).
const schemaLockKey int64 = 0x6368723a7363686d // "chr:schm"

// notifyChannel is the LISTEN/NOTIFY channel that carries the last position of each append.
const notifyChannel = "chronicle_events"

// pollInterval is how often a subscription reads the log when no notification arrived.
const pollInterval = time.Second

const schemaSQL = `
CREATE TABLE IF NOT EXISTS events (
	position    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id    uuid        NOT NULL UNIQUE,
	stream_id   text        NOT NULL,
	version     bigint      NOT NULL,
	type        text        NOT NULL,
	occurred_at timestamptz NOT NULL,
	recorded_at timestamptz NOT NULL DEFAULT now(),
	data        jsonb       NOT NULL,
	metadata    jsonb       NOT NULL,
	UNIQUE (stream_id, version)
);
CREATE INDEX IF NOT EXISTS events_occurred_at_idx ON events (occurred_at);
CREATE INDEX IF NOT EXISTS events_type_idx ON events (type, occurred_at);
CREATE INDEX IF NOT EXISTS events_actor_id_idx ON events ((metadata->>'actorId'), occurred_at);
`

// Store is the PostgreSQL event store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool

	notifier eventstore.Notifier
	tail     *tail  // the last local appends, for the local subscriptions
	token    string // names this Store in its notifications, so that it can tell its own

	// The LISTEN goroutine: started by the first Subscribe, stopped by Close.
	mu        sync.Mutex
	listening bool
	closed    bool
	stop      context.CancelFunc
	listenCtx context.Context
	wg        sync.WaitGroup

	// group lets concurrent appends share transactions (group commit).
	group *groupcommit.Committer

	// transactions counts the append transactions begun (tests compare it with the appends).
	transactions atomic.Int64
	// logReads counts the reads of the global log that went to the database (tests).
	logReads atomic.Int64

	// beforeCommit, when set (by tests only), is called inside an append transaction after the
	// events were inserted and before the commit, while the append lock is held, with the streams
	// the transaction writes.
	beforeCommit func(streams []string)
}

// Options tune a Store; the zero value keeps pgxpool's defaults.
type Options struct {
	// MaxConns bounds the connection pool: appends, stream loads and log reads. Subscriptions'
	// LISTEN connection is opened outside it. 0 keeps pgxpool's default (the number of CPUs, at
	// least 4) or a pool_max_conns given in the url.
	MaxConns int
}

// Open connects to the database at url, checks that it answers and creates the schema if it
// does not exist yet. The url may carry runtime parameters such as search_path.
func Open(ctx context.Context, url string) (*Store, error) { return OpenWith(ctx, url, Options{}) }

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres event store: parse connection string: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = int32(min(o.MaxConns, math.MaxInt32))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres event store: create pool: %w", err)
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres event store: database %s unreachable: %w", where, err)
	}
	if err := createSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres event store: create schema in %s: %w", where, err)
	}
	listenCtx, stop := context.WithCancel(context.Background())
	s := &Store{pool: pool, listenCtx: listenCtx, stop: stop, tail: newTail(), token: uuid.NewString()}
	s.group = groupcommit.New(s.write1, refused, groupcommit.DefaultLimits)
	return s, nil
}

func createSchema(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", schemaLockKey); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, schemaSQL); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Pool returns the connection pool, for callers that keep their own tables in the same database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close stops the notification listener and closes the pool. Subscriptions still running end
// with an error.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.wg.Wait()
	s.pool.Close()
	return nil
}

var (
	_ eventstore.Store   = (*Store)(nil)
	_ eventstore.Counter = (*Store)(nil)
)
