package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// runner is one projector generation: a Router handler and the Feed of its topic.
type runner struct {
	engine     *Engine
	projector  Projector
	gen        int
	topic      string
	rebuilding bool
	handler    *message.Handler

	position atomic.Uint64
	state    atomic.Value // string
	resume   chan struct{}
	// applied is the checkpoint's count of applied events as last read or written here (the
	// handler's goroutine alone uses it).
	applied int64

	// The checkpoint row may lag position by skipped pages (see skip): stored is what it holds
	// as last read or written here, and a write of it is pending while flushing is set. cpMu
	// orders the writes of the row: a page's transaction holds it from its advance to its commit.
	cpMu     sync.Mutex
	stored   uint64
	flushing bool

	conflict atomic.Bool // the last failure was another process advancing the checkpoint

	// sinceAnalyze counts the events applied by this process since the generation's tables were
	// last analyzed (see analyzeDue); analyzing is set while an ANALYZE runs.
	sinceAnalyze  int64
	analyzing     atomic.Bool
	startAnalyzed atomic.Bool // the analyze of the process's start was begun
	// sinceMaintain counts the events applied since the tables were last tidied
	// (Dialect.Maintain, every maintainEvery events); maintaining is set while that runs.
	sinceMaintain int64
	maintaining   atomic.Bool

	mu        sync.Mutex
	lastError string
	loaded    atomic.Bool // the checkpoint was read: position is meaningful
	standby   atomic.Bool // another process holds the lease: position is not followed here
	ended     atomic.Bool // the subscription feeding the handler ended (the handler stopped)
}

var _ Feed = (*runner)(nil)

// handlerRunning: the handler follows the log. It is judged from the feed's own subscription,
// not from Watermill's Handler.Stopped, whose channel the router assigns after the handler has
// started (reading it then is a data race).
func (r *runner) handlerRunning() bool { return r.loaded.Load() && !r.ended.Load() }

// Ended implements the subscriber's end notice: the subscription of this feed is over.
func (r *runner) Ended() { r.ended.Store(true) }

// readCheckpoint reads this generation's checkpoint row (changing nothing here).
func (r *runner) readCheckpoint(ctx context.Context) (pos, applied int64, err error) {
	db := r.engine.db
	err = db.SQL.QueryRowContext(ctx, db.Q(`SELECT position, events FROM projection_checkpoints WHERE name = ? AND generation = ?`),
		r.projector.Name(), r.gen).Scan(&pos, &applied)
	if err != nil {
		return 0, 0, fmt.Errorf("load checkpoint of %s: %w", r.topic, err)
	}
	return pos, applied, nil
}

// Checkpoint implements Feed: the committed position of this generation, from which the
// subscription (re)starts. Only the subscription's goroutine calls it.
func (r *runner) Checkpoint(ctx context.Context) (uint64, error) {
	pos, applied, err := r.readCheckpoint(ctx)
	if err != nil {
		return 0, err
	}
	r.applied = applied
	if !r.rebuilding && applied >= r.engine.opts.AnalyzeAfter && r.startAnalyzed.CompareAndSwap(false, true) &&
		r.analyzing.CompareAndSwap(false, true) {
		// Once per process, when it starts following a generation of some size: its tables
		// may never have been analyzed (a process that loaded them stopped before its
		// background analyze ended), and a plan on a never-analyzed table is luck.
		r.beside(func(ctx context.Context) {
			defer r.analyzing.Store(false)
			r.analyze(ctx)
		})
	}
	r.cpMu.Lock()
	r.stored = uint64(pos)
	r.cpMu.Unlock()
	r.position.Store(uint64(pos))
	r.loaded.Store(true)
	r.engine.changed.Notify() // WaitLoaded
	return uint64(pos), nil
}

// Failed implements Feed.
func (r *runner) Failed(attempt int) bool {
	if r.conflict.Swap(false) {
		r.state.Store(StateRetrying)
		return false // not this projection's fault: reread the checkpoint and go on
	}
	if attempt >= r.engine.opts.MaxAttempts {
		r.state.Store(StateParked)
		r.markParked(true)
		r.engine.changed.Notify() // a rebuild waiter learns of it
		return true
	}
	r.state.Store(StateRetrying)
	return false
}

// Parked implements Feed: a parked projection waits for Resume, made in this process or in
// another one (through the projection_parked table).
func (r *runner) Parked(ctx context.Context) {
	db := r.engine.db
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.resume:
		case <-t.C:
			var resume bool
			err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT resume FROM projection_parked WHERE topic = ?`), r.topic).Scan(&resume)
			if err == nil && !resume || errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				r.engine.logger.Warn("read projection resume request", "topic", r.topic, "error", err)
				continue
			}
		}
		r.markParked(false)
		r.state.Store(StateCatchingUp)
		return
	}
}

// markParked records (or clears) the parking in the database, so standby processes show it and
// can ask for a resume.
func (r *runner) markParked(parked bool) {
	db := r.engine.db
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	if parked {
		_, err = db.SQL.ExecContext(ctx, db.Q(`INSERT INTO projection_parked (topic, resume) VALUES (?, ?)
			ON CONFLICT (topic) DO UPDATE SET resume = excluded.resume`), r.topic, false)
	} else {
		_, err = db.SQL.ExecContext(ctx, db.Q(`DELETE FROM projection_parked WHERE topic = ?`), r.topic)
	}
	if err != nil {
		r.engine.logger.Warn("record projection parking", "topic", r.topic, "error", err)
	}
}

// Hold implements Feed with a lease in the read-model database per projection generation
// (architecture decision 8): one process at a time applies a generation's events; the others
// stand by, serve reads from the same tables and follow its checkpoint, and take the lease over
// when the holder stops (at once) or stops renewing (after LeaseTTL).
func (r *runner) Hold(ctx context.Context) (context.Context, func(), error) {
	e := r.engine
	name, ttl := "projection:"+r.topic, e.opts.LeaseTTL
	for {
		ok, err := e.db.TryLease(ctx, name, e.opts.Holder, time.Now(), ttl)
		if err == nil && ok {
			break
		}
		if err != nil && ctx.Err() == nil {
			e.logger.Warn("take projection lease", "topic", r.topic, "error", err)
		}
		if !r.standby.Swap(true) {
			r.state.Store(StateStandby)
			e.changed.Notify()
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(ttl / 3):
		}
	}
	if r.standby.Swap(false) {
		r.state.Store(StateCatchingUp)
		if r.rebuilding {
			r.state.Store(StateRebuilding)
		}
	}
	held, cancel := context.WithCancel(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-held.Done():
				return
			case <-t.C:
			}
			ok, err := e.db.TryLease(held, name, e.opts.Holder, time.Now(), ttl)
			switch {
			case err == nil && ok:
				last = time.Now()
			case err == nil, time.Since(last) >= ttl/2: // taken over, or unrenewed for too long to be sure of it
				if held.Err() == nil {
					e.logger.Warn("projection lease lost", "topic", r.topic, "error", err)
				}
				cancel()
				return
			}
		}
	}()
	release := func() {
		cancel()
		<-renewed
		rctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		if err := e.db.ReleaseLease(rctx, name, e.opts.Holder); err != nil {
			e.logger.Warn("release projection lease", "topic", r.topic, "error", err)
		}
	}
	return held, release, nil
}

func (r *runner) setError(msg string) {
	r.mu.Lock()
	r.lastError = msg
	r.mu.Unlock()
}

// handle applies one page of events and advances the checkpoint in one transaction.
func (r *runner) handle(msg *message.Message) error {
	ctx := msg.Context()
	page, err := decodePage(msg)
	if err != nil {
		return err
	}
	caughtUp := msg.Metadata.Get(MetaCaughtUp) == "1"
	err = r.apply(ctx, page, caughtUp)
	if err != nil {
		r.setError(err.Error())
		r.recordError(err)
		r.engine.logger.Error("projection page failed", "projection", r.topic, "error", err)
		return err
	}
	return nil
}

// apply applies a page and advances the checkpoint in one transaction. The checkpoint it
// starts from is the one this handler read when it subscribed or last wrote: the lease makes it
// the only writer, and the advance is conditional on it, so a checkpoint moved by anyone else
// fails the page (a conflict: the subscription rereads it and goes on).
func (r *runner) apply(ctx context.Context, page []eventstore.Event, caughtUp bool) (err error) {
	e := r.engine
	from := r.position.Load()
	pending := page
	for len(pending) > 0 && pending[0].Position <= from {
		pending = pending[1:] // applied by an earlier transaction
	}
	last := page[len(page)-1].Position
	if len(pending) == 0 {
		r.advanced(from, caughtUp)
		return nil
	}
	if s, ok := r.projector.(Selective); ok && !r.rebuilding {
		wanted := pending[:0:0]
		for _, ev := range pending {
			if s.Wants(ev) {
				wanted = append(wanted, ev)
			}
		}
		if len(wanted) == 0 {
			return r.skip(ctx, from, last, caughtUp)
		}
		pending = wanted
	}
	// The checkpoint row's writes are ordered by cpMu, always taken before the database's locks:
	// a deferred skip flush holds it while it writes, and SQLite's write lock is the whole
	// database's, taken when the page's transaction begins (the other order deadlocked until the
	// busy timeout).
	r.cpMu.Lock()
	defer r.cpMu.Unlock()
	// One connection for the page, so a bulk load can reach the driver's own (COPY).
	conn, err := e.db.SQL.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	tx := &Tx{Tx: sqlTx, DB: e.db, Gen: r.gen, Bulk: r.rebuilding, conn: conn}
	if tx.Bulk {
		for _, stmt := range e.db.Dialect.BulkLoad() {
			if _, err := sqlTx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("prepare the page's transaction: %w", err)
			}
		}
	}
	batch := r.projector.NewBatch(tx)
	if p, ok := batch.(Prefetcher); ok {
		if err := p.Prefetch(ctx, pending); err != nil {
			return fmt.Errorf("prefetch for the page ending at %d: %w", pending[len(pending)-1].Position, err)
		}
	}
	applied := int64(0)
	var lastAt time.Time
	for _, ev := range pending {
		if err := batch.Apply(ctx, ev); err != nil {
			return fmt.Errorf("event %s at position %d (%s v%d): %w", ev.Type, ev.Position, ev.StreamID, ev.Version, err)
		}
		applied++
		lastAt = ev.OccurredAt
	}
	if err := batch.Flush(ctx); err != nil {
		return fmt.Errorf("flush page ending at %d: %w", last, err)
	}
	res, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET position = ?, events = events + ?, updated_at = ?, last_event_at = ?, last_error = ''
		WHERE name = ? AND generation = ? AND position = ?`+e.db.Dialect.PageCommit(),
		int64(last), applied, e.db.Dialect.Time(time.Now()), e.db.Dialect.Time(lastAt), r.projector.Name(), r.gen, int64(r.stored))
	if err != nil {
		return fmt.Errorf("advance checkpoint: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		r.conflict.Store(true)
		return fmt.Errorf("checkpoint of %s moved concurrently (another process runs this projection)", r.topic)
	}
	// Switch a rebuilt generation when it has reached the head of the log, read here, inside the
	// transaction. The caught-up mark of a page is not enough: it may be missing on a page that
	// reached the head (see MetaCaughtUp), and no page may follow.
	swap := r.rebuilding
	if swap {
		head, err := e.store.Head(ctx)
		if err != nil {
			return fmt.Errorf("read head before switching: %w", err)
		}
		swap = last >= head
	}
	if swap {
		if err := r.switchOver(ctx, sqlTx); err != nil {
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	// The connection goes back to the pool now: what follows takes e.mu (the switch, the
	// background work), which Rebuild may hold while it waits for a connection.
	conn.Close()
	r.stored = last
	r.setError("")
	r.applied += applied
	if !r.rebuilding {
		e.changed1(r.projector.Name())
	}
	r.advanced(last, caughtUp)
	if swap {
		e.swapped(r)
		return nil
	}
	if !r.rebuilding {
		r.sinceAnalyze += applied
		// Beside the pages, not between them: ANALYZE takes seconds on a large table and the
		// merge of a GIN pending list a tenth of one, neither blocks a writer, and the commands
		// waiting for their read-backs would wait for them.
		if caughtUp && analyzeDue(r.sinceAnalyze, r.applied, e.opts.AnalyzeAfter) && r.analyzing.CompareAndSwap(false, true) {
			r.sinceAnalyze = 0
			r.beside(func(ctx context.Context) {
				defer r.analyzing.Store(false)
				r.analyze(ctx)
			})
		}
		r.sinceMaintain += applied
		if r.sinceMaintain >= maintainEvery && r.maintaining.CompareAndSwap(false, true) {
			r.sinceMaintain = 0
			r.beside(func(ctx context.Context) {
				defer r.maintaining.Store(false)
				r.maintain(ctx)
			})
		}
	}
	return nil
}

// skipFlushDelay is how long the checkpoint row may lag this process's position after pages
// the projection did not want.
const skipFlushDelay = 100 * time.Millisecond

// skip moves the projection past a page of events it does not want. This process follows it
// at once (WaitFor reads position); the checkpoint row follows with the next page it applies,
// which advances it from the stored position past both, or skipFlushDelay later in one
// statement (for processes standing by, which follow the row): a busy log costs the projections
// that want none of it one write per delay instead of one per page. If the process stops first,
// the next one skips the same events again.
func (r *runner) skip(_ context.Context, _, last uint64, caughtUp bool) error {
	r.cpMu.Lock()
	r.advanced(last, caughtUp)
	schedule := !r.flushing
	r.flushing = true
	r.cpMu.Unlock()
	if schedule {
		e := r.engine
		e.background.Add(1)
		time.AfterFunc(skipFlushDelay, func() {
			defer e.background.Done()
			r.flushSkipped()
		})
	}
	r.setError("")
	return nil
}

// flushSkipped writes the position reached by skipping to the checkpoint row, conditional on
// the row holding what this process last stored, like every advance. If it does not (another
// process moved it), the next page fails on the same condition and the subscription rereads it.
func (r *runner) flushSkipped() {
	e := r.engine
	e.mu.Lock()
	ctx := e.bgCtx
	e.mu.Unlock()
	r.cpMu.Lock()
	defer r.cpMu.Unlock()
	r.flushing = false
	target := r.position.Load()
	if target <= r.stored || ctx.Err() != nil {
		return
	}
	db := e.db
	res, err := db.SQL.ExecContext(ctx, db.Q(`UPDATE projection_checkpoints SET position = ?, updated_at = ?
		WHERE name = ? AND generation = ? AND position = ?`+db.Dialect.PageCommit()),
		int64(target), db.Dialect.Time(time.Now()), r.projector.Name(), r.gen, int64(r.stored))
	if err != nil {
		if ctx.Err() == nil {
			e.logger.Warn("advance checkpoint past unwanted events", "projection", r.topic, "error", err)
		}
		return
	}
	if n, _ := res.RowsAffected(); n == 1 {
		r.stored = target
	}
}

// maintainEvery is how many applied events make a projection tidy its tables (Dialect.Maintain):
// a GIN pending list of 4 MB (the default limit) holds a few thousand leads' search terms.
const maintainEvery = 256

// beside runs work on a goroutine of the engine's background (awaited when Run returns, its
// context ended then).
func (r *runner) beside(work func(ctx context.Context)) {
	e := r.engine
	e.mu.Lock()
	ctx := e.bgCtx
	e.mu.Unlock()
	e.background.Add(1)
	go func() {
		defer e.background.Done()
		work(ctx)
	}()
}

// maintain runs Dialect.Maintain on the generation's tables; a failure is logged.
func (r *runner) maintain(ctx context.Context) {
	e := r.engine
	for _, stmt := range e.db.Dialect.Maintain(createdTables(r.projector.Schema(e.db, r.gen))) {
		if _, err := e.db.SQL.ExecContext(ctx, stmt); err != nil {
			if ctx.Err() == nil && !r.superseded() {
				e.logger.Warn("tidy projection tables", "projection", r.topic, "error", err)
			}
			return
		}
	}
}

// analyzeDue: the statistics of a serving generation are refreshed once it has caught up after
// applying at least max(least (Options.AnalyzeAfter), 10% of all its events) since they were
// last refreshed in this process: after catching up from scratch, after an import, after any
// burst that may have changed the tables' sizes noticeably (PostgreSQL may run with autovacuum
// off, and SQLite has no automatic ANALYZE; a rebuilt generation is analyzed when it switches).
func analyzeDue(since, total, least int64) bool { return since >= max(least, total/10) }

// analyze refreshes the planner statistics of the generation's tables (outside the page's
// transaction; a failure is logged, the page is done).
func (r *runner) analyze(ctx context.Context) {
	e := r.engine
	err := func() error {
		tx, err := e.db.SQL.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck
		if err := analyze(ctx, e.db, tx, createdTables(r.projector.Schema(e.db, r.gen))); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil && ctx.Err() == nil && !r.superseded() {
		e.logger.Warn("analyze projection tables", "projection", r.topic, "error", err)
	}
}

// superseded: another generation of the projection serves now (this one's tables may be gone).
func (r *runner) superseded() bool { return r.engine.db.Gens.Active(r.projector.Name()) > r.gen }

// switchOver finishes a rebuilt generation inside the transaction of its last page: it builds
// the indexes and the search index the bulk load went without, refreshes the planner
// statistics of its tables, and makes it the serving generation.
func (r *runner) switchOver(ctx context.Context, tx *sql.Tx) error {
	e := r.engine
	start := time.Now()
	_, after, tables := rebuildSchema(e.db, r.projector, r.gen)
	for _, stmt := range after {
		if _, err := tx.ExecContext(ctx, e.db.Dialect.DDL(stmt)); err != nil {
			return fmt.Errorf("index generation %d after loading: %w", r.gen, err)
		}
	}
	indexed := time.Now()
	if err := analyze(ctx, e.db, tx, tables); err != nil {
		return fmt.Errorf("analyze generation %d: %w", r.gen, err)
	}
	e.logger.Info("rebuilt generation indexed and analyzed", "projection", r.projector.Name(), "generation", r.gen,
		"index_seconds", indexed.Sub(start).Seconds(), "analyze_seconds", time.Since(indexed).Seconds())
	if err := e.db.Gens.Activate(ctx, tx, r.projector.Name(), r.gen); err != nil {
		return fmt.Errorf("activate generation %d: %w", r.gen, err)
	}
	return nil
}

func (r *runner) advanced(pos uint64, caughtUp bool) {
	r.position.Store(pos)
	switch {
	case r.rebuilding:
		r.state.Store(StateRebuilding)
	case caughtUp:
		r.state.Store(StateLive)
	default:
		r.state.Store(StateCatchingUp)
	}
	r.engine.changed.Notify()
}

// recordError keeps the last error in the checkpoint row, outside the failed transaction.
func (r *runner) recordError(cause error) {
	db := r.engine.db
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := db.SQL.ExecContext(ctx, db.Q(`UPDATE projection_checkpoints SET last_error = ? WHERE name = ? AND generation = ?`),
		truncate(cause.Error(), 2000), r.projector.Name(), r.gen); err != nil && !errors.Is(err, sql.ErrConnDone) {
		r.engine.logger.Warn("record projection error", "projection", r.topic, "error", err)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
