package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection states shown in Status.
const (
	StateCatchingUp = "catching_up"
	StateLive       = "live"
	StateRetrying   = "retrying"
	StateParked     = "parked"
	StateRebuilding = "rebuilding"
	StateStandby    = "standby" // another process holds the projection's lease
)

// Options tune the engine.
type Options struct {
	PageSize    int // events per transaction while catching up (default 1000)
	MaxAttempts int // failures of one page before parking (default 8)
	// DropGrace is how long a process keeps reading a superseded generation after it switched
	// (requests that took the old table names just before); the tables are dropped once no
	// process reads them (see readers.go). Default 10 s.
	DropGrace time.Duration
	// LeaseTTL is how long a process's hold on a projection generation lasts without renewal
	// (renewed every third of it; default 15 s): a crashed process's projections move to another
	// process within it.
	LeaseTTL time.Duration
	Holder   string // names this process in leases (default host, pid and a random part)
	// AnalyzeAfter is the least number of events a serving generation applies before its
	// tables' statistics are refreshed again (see analyzeDue; default 1,000).
	AnalyzeAfter int64
	Logger       *slog.Logger
}

// Engine runs the projectors.
type Engine struct {
	store      eventstore.Store
	db         *readmodels.DB
	projectors map[string]Projector
	order      []string
	opts       Options
	logger     *slog.Logger
	router     *message.Router
	sub        *LogSubscriber

	rebuildMu sync.Mutex // Rebuild's, taken before mu
	mu        sync.Mutex
	runners   map[string]*runner // by topic
	active    map[string]*runner // serving runner by projection name
	rebuild   map[string]*runner // rebuilding runner by projection name
	changed   eventstore.Notifier
	ctx       context.Context
	readers   map[string]readerSince // by projection name; see readers.go

	// changes counts, per projection, the pages this process committed to its serving
	// generation and the switches to a new one (see Changes).
	changes map[string]*atomic.Uint64

	// Work the handlers start beside their pages (statistics refreshes), ended and awaited when
	// Run returns.
	bgCtx      context.Context
	background sync.WaitGroup
}

// New prepares (but does not start) the projectors.
func New(store eventstore.Store, db *readmodels.DB, opts Options, projectors ...Projector) (*Engine, error) {
	if opts.PageSize <= 0 {
		opts.PageSize = 1000
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.DropGrace <= 0 {
		opts.DropGrace = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.AnalyzeAfter <= 0 {
		opts.AnalyzeAfter = 1000
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 15 * time.Second
	}
	if opts.Holder == "" {
		host, _ := os.Hostname()
		opts.Holder = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	e := &Engine{store: store, db: db, projectors: map[string]Projector{}, opts: opts, logger: opts.Logger,
		runners: map[string]*runner{}, active: map[string]*runner{}, rebuild: map[string]*runner{}, readers: map[string]readerSince{},
		changes: map[string]*atomic.Uint64{}}
	for _, p := range projectors {
		if _, dup := e.projectors[p.Name()]; dup {
			return nil, fmt.Errorf("projector %q registered twice", p.Name())
		}
		e.projectors[p.Name()] = p
		e.changes[p.Name()] = &atomic.Uint64{}
		e.order = append(e.order, p.Name())
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, watermill.NewSlogLogger(opts.Logger))
	if err != nil {
		return nil, err
	}
	e.router = router
	e.sub = NewLogSubscriber(newSharedLog(store), e.feed, opts.PageSize, opts.Logger)
	return e, nil
}

// Names lists the projections in registration order.
func (e *Engine) Names() []string { return append([]string(nil), e.order...) }

// Prepare makes sure every projection has a serving generation with tables (creating
// generation 1 on first start) and drops tables of generations nobody serves any more.
func (e *Engine) Prepare(ctx context.Context) error {
	if err := e.db.Gens.Refresh(ctx); err != nil {
		return err
	}
	for _, name := range e.order {
		p := e.projectors[name]
		active := e.db.Gens.Active(name)
		if active == 0 {
			if err := e.create(ctx, p, 1, true, p.Schema(e.db, 1)); err != nil {
				return err
			}
			continue
		}
		// A projector whose tables changed shape is rebuilt from the log: its old tables cannot
		// serve the new code.
		var stored string
		err := e.db.SQL.QueryRowContext(ctx, e.db.Q(`SELECT schema_hash FROM projection_schemas WHERE name = ? AND generation = ?`), name, active).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored == schemaHash(e.db, p) {
			continue
		}
		gen, err := e.nextGenerationActive(ctx, p)
		if err != nil {
			return fmt.Errorf("rebuild %s for its new schema: %w", name, err)
		}
		// The old generation is dropped once no process reads it any more (Run collects it).
		e.logger.Info("projection schema changed; rebuilding from the event log", "projection", name, "generation", gen)
	}
	return e.db.Gens.Refresh(ctx)
}

// schemaHash fingerprints a projector's DDL (as generation 0, so it is the same for every generation).
func schemaHash(db *readmodels.DB, p Projector) string {
	sum := sha256.Sum256([]byte(strings.Join(p.Schema(db, 0), ";\n")))
	return hex.EncodeToString(sum[:8])
}

// nextGenerationActive creates the next generation and serves it at once (used when the old
// tables no longer fit the code).
func (e *Engine) nextGenerationActive(ctx context.Context, p Projector) (int, error) {
	var maxGen int
	if err := e.db.SQL.QueryRowContext(ctx, e.db.Q(`SELECT coalesce(max(generation), 0) FROM projection_checkpoints WHERE name = ?`), p.Name()).Scan(&maxGen); err != nil {
		return 0, err
	}
	return maxGen + 1, e.createForced(ctx, p, maxGen+1)
}

// create makes a generation's tables (ddl) and checkpoint (and activates it when asked) in one tx.
func (e *Engine) create(ctx context.Context, p Projector, gen int, activate bool, ddl []string) error {
	tx, err := e.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	if activate {
		var cur sql.NullInt64
		err := tx.QueryRowContext(ctx, e.db.Q(`SELECT generation FROM projection_active WHERE name = ?`), p.Name()).Scan(&cur)
		if err == nil {
			return nil // another process prepared it first
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	for _, stmt := range ddl {
		if _, err := tx.ExecContext(ctx, e.db.Dialect.DDL(stmt)); err != nil {
			return fmt.Errorf("create %s generation %d: %w", p.Name(), gen, err)
		}
	}
	if _, err := tx.ExecContext(ctx, e.db.Q(`INSERT INTO projection_checkpoints (name, generation, position, events, updated_at) VALUES (?, ?, 0, 0, ?)`),
		p.Name(), gen, e.db.Dialect.Time(time.Now())); err != nil {
		return fmt.Errorf("create %s generation %d checkpoint: %w", p.Name(), gen, err)
	}
	if _, err := tx.ExecContext(ctx, e.db.Q(`INSERT INTO projection_schemas (name, generation, schema_hash) VALUES (?, ?, ?)
		ON CONFLICT (name, generation) DO UPDATE SET schema_hash = excluded.schema_hash`), p.Name(), gen, schemaHash(e.db, p)); err != nil {
		return err
	}
	if activate {
		if err := e.db.Gens.Activate(ctx, tx, p.Name(), gen); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// createForced makes a generation and activates it even though one is active.
func (e *Engine) createForced(ctx context.Context, p Projector, gen int) error {
	if err := e.create(ctx, p, gen, false, p.Schema(e.db, gen)); err != nil {
		return err
	}
	tx, err := e.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	if err := e.db.Gens.Activate(ctx, tx, p.Name(), gen); err != nil {
		return err
	}
	return tx.Commit()
}

// Run starts a handler per projection and blocks until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	// Say which generations this process reads before looking at them once more: a switch made
	// in between is seen now, and a dropper that looked before this record sees nothing this
	// process serves (see readers.go).
	if err := e.publishReaders(ctx, false); err != nil {
		e.logger.Warn("record the projection generations this process reads", "error", err)
	}
	if err := e.db.Gens.Refresh(ctx); err != nil {
		return err
	}
	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	// The background work outlives ctx by backgroundGrace at most (see below).
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	e.mu.Lock()
	e.ctx = ctx
	e.bgCtx = bgCtx
	for _, name := range e.order {
		e.addRunner(name, e.db.Gens.Active(name), false)
	}
	e.mu.Unlock()
	loopDone := make(chan struct{})
	go func() { defer close(loopDone); e.refreshLoop(loopCtx) }()
	err := e.router.Run(ctx)
	_ = e.sub.Close()
	// Stopped (ctx ended, or Close): this process reads nothing any more. The handlers'
	// background work (an ANALYZE after a bulk load matters to every later process) gets a
	// while to end; then it and the loop, which renews the reader records, are stopped.
	bgDone := make(chan struct{})
	go func() { e.background.Wait(); close(bgDone) }()
	stopLoop()
	select {
	case <-bgDone:
	case <-time.After(backgroundGrace):
	}
	stopBackground()
	<-loopDone
	<-bgDone
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if lerr := e.leaveReaders(lctx); lerr != nil {
		e.logger.Warn("remove this process's projection reader records", "error", lerr)
	}
	return err
}

// Running is closed once the router runs.
func (e *Engine) Running() <-chan struct{} { return e.router.Running() }

// Close stops the router.
func (e *Engine) Close() error { return errors.Join(e.router.Close(), e.sub.Close()) }

// refreshInterval is how often an engine looks for generation switches made by other processes.
const refreshInterval = 2 * time.Second

// backgroundGrace is how long a stopping engine waits for its background work (see Run).
const backgroundGrace = 30 * time.Second

// refreshLoop follows generation switches made by other processes.
func (e *Engine) refreshLoop(ctx context.Context) {
	t := time.NewTicker(refreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			before := make(map[string]int, len(e.order))
			for _, name := range e.order {
				before[name] = e.db.Gens.Active(name)
			}
			if err := e.db.Gens.Refresh(ctx); err != nil && ctx.Err() == nil {
				e.logger.Warn("refresh projection generations", "error", err)
				continue
			}
			for _, name := range e.order {
				if e.db.Gens.Active(name) != before[name] {
					e.changed1(name) // reads now go to another generation
				}
			}
			e.followSwitches(ctx)
			if err := e.publishReaders(ctx, false); err != nil && ctx.Err() == nil {
				e.logger.Warn("record the projection generations this process reads", "error", err)
				continue
			}
			if _, err := e.collect(ctx); err != nil && ctx.Err() == nil {
				e.logger.Warn("drop superseded projection generations", "error", err)
			}
		}
	}
}

// followSwitches moves a serving runner to the generation another process (a rebuild run by
// "chronicle projections rebuild") activated.
func (e *Engine) followSwitches(ctx context.Context) {
	started := false
	e.mu.Lock()
	for _, name := range e.order {
		want, r := e.db.Gens.Active(name), e.active[name]
		if r == nil || want <= r.gen {
			continue
		}
		if rb := e.rebuild[name]; rb != nil && rb.gen == want {
			continue // our own rebuild; swapped() takes over
		}
		e.logger.Info("projection switched by another process", "projection", name, "generation", want)
		r.handler.Stop()
		delete(e.runners, r.topic)
		e.addRunner(name, want, false)
		started = true
	}
	e.mu.Unlock()
	if started {
		if err := e.router.RunHandlers(ctx); err != nil {
			e.logger.Error("start switched projection", "error", err)
		}
	}
}

func topicOf(name string, gen int) string { return name + "/g" + strconv.Itoa(gen) }

// addRunner registers a handler for a generation; e.mu is held.
func (e *Engine) addRunner(name string, gen int, rebuilding bool) *runner {
	r := &runner{engine: e, projector: e.projectors[name], gen: gen, topic: topicOf(name, gen), rebuilding: rebuilding, resume: make(chan struct{}, 1)}
	r.state.Store(StateCatchingUp)
	if rebuilding {
		r.state.Store(StateRebuilding)
		e.rebuild[name] = r
	} else {
		e.active[name] = r
	}
	e.runners[r.topic] = r
	r.handler = e.router.AddConsumerHandler(r.topic, r.topic, e.sub, r.handle)
	return r
}

func (e *Engine) feed(topic string) (Feed, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.runners[topic]
	return r, ok
}

// Rebuild starts filling a fresh generation of a projection; reads keep being served by the
// current one until the new one has caught up, then switch. It returns the new generation.
func (e *Engine) Rebuild(ctx context.Context, name string) (int, error) {
	p, ok := e.projectors[name]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrUnknownProjection, name)
	}
	// Rebuilds start one at a time (rebuildMu), and the new generation's tables are made without
	// e.mu: that waits for a read-model connection, and runners that hold one take e.mu (their
	// switch, their background work), so holding both deadlocked a rebuild --all whose runners
	// outnumbered the pool's connections.
	e.rebuildMu.Lock()
	defer e.rebuildMu.Unlock()
	busy := func() error {
		if e.ctx == nil {
			return errors.New("projections are not running")
		}
		if _, busy := e.rebuild[name]; busy {
			return ErrRebuildInProgress
		}
		return nil
	}
	e.mu.Lock()
	err := busy()
	e.mu.Unlock()
	if err != nil {
		return 0, err
	}
	gen, err := e.nextGeneration(ctx, p)
	if err != nil {
		return 0, err
	}
	e.mu.Lock()
	if err := busy(); err != nil {
		e.mu.Unlock()
		return 0, err
	}
	e.addRunner(name, gen, true)
	runCtx := e.ctx
	e.mu.Unlock()
	// RunHandlers subscribes, and the subscriber looks the feed up under e.mu: call it unlocked.
	if err := e.router.RunHandlers(runCtx); err != nil {
		return 0, err
	}
	e.logger.Info("projection rebuild started", "projection", name, "generation", gen)
	return gen, nil
}

func (e *Engine) nextGeneration(ctx context.Context, p Projector) (int, error) {
	var maxGen int
	if err := e.db.SQL.QueryRowContext(ctx, e.db.Q(`SELECT coalesce(max(generation), 0) FROM projection_checkpoints WHERE name = ?`), p.Name()).Scan(&maxGen); err != nil {
		return 0, err
	}
	gen := maxGen + 1
	// Only the tables and the indexes its own updates need: the rest is built once it has caught
	// up (see rebuildSchema and runner.switchOver).
	first, _, _ := rebuildSchema(e.db, p, gen)
	return gen, e.create(ctx, p, gen, false, first)
}

// Errors of Rebuild.
var (
	ErrUnknownProjection = errors.New("unknown projection")
	ErrRebuildInProgress = errors.New("a rebuild of this projection is already running")
)

// WaitRebuilt blocks until generation gen of the projection serves in this process (the rebuild
// that Rebuild started switched), the rebuild parks or stops, or ctx ends.
func (e *Engine) WaitRebuilt(ctx context.Context, name string, gen int) error {
	for {
		wake := e.changed.Wait()
		e.mu.Lock()
		active, r := e.active[name], e.rebuild[name]
		e.mu.Unlock()
		switch {
		case active != nil && active.gen >= gen:
			return nil
		case r == nil || r.gen != gen:
			return fmt.Errorf("rebuild of %s into generation %d stopped before it switched", name, gen)
		case r.state.Load() == StateParked:
			r.mu.Lock()
			msg := r.lastError
			r.mu.Unlock()
			return fmt.Errorf("rebuild of %s into generation %d parked: %s", name, gen, msg)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// RebuildAll rebuilds the named projections at the same time and waits until every new
// generation serves. done, when not nil, is called as each one switches. It returns the new
// generations by name.
func (e *Engine) RebuildAll(ctx context.Context, names []string, done func(name string, gen int)) (map[string]int, error) {
	gens := make(map[string]int, len(names))
	for _, n := range names {
		gen, err := e.Rebuild(ctx, n)
		if err != nil {
			return gens, fmt.Errorf("rebuild %s: %w", n, err)
		}
		gens[n] = gen
	}
	errs := make(chan error, len(names))
	for _, n := range names {
		go func() {
			err := e.WaitRebuilt(ctx, n, gens[n])
			if err == nil && done != nil {
				done(n, gens[n])
			}
			errs <- err
		}()
	}
	var all []error
	for range names {
		all = append(all, <-errs)
	}
	return gens, errors.Join(all...)
}

// swapped is called after the transaction that activated r's generation committed.
func (e *Engine) swapped(r *runner) {
	name := r.projector.Name()
	e.db.Gens.Set(name, r.gen)
	e.changed1(name)
	e.mu.Lock()
	old := e.active[name]
	e.active[name] = r
	delete(e.rebuild, name)
	r.rebuilding = false
	r.state.Store(StateLive)
	e.mu.Unlock()
	e.changed.Notify()
	e.logger.Info("projection rebuilt and switched", "projection", name, "generation", r.gen)
	if old != nil {
		// Its tables go when no process reads them any more (readers.go): this one keeps
		// reading them for DropGrace.
		old.handler.Stop()
		e.mu.Lock()
		delete(e.runners, old.topic)
		e.mu.Unlock()
	}
}

// dropGeneration drops a superseded generation's tables, then its checkpoint. A statement that
// fails (on SQLite a table is locked while a statement of another connection still reads it) is
// tried again a few times; if it still fails, the checkpoint stays, so the next collection tries
// the generation again instead of leaving its tables behind for good. It reports whether the
// generation is gone.
func (e *Engine) dropGeneration(ctx context.Context, p Projector, gen int) bool {
	ok := true
	for _, stmt := range p.Drop(e.db, gen) {
		var err error
		for attempt := range dropAttempts {
			if _, err = e.db.SQL.ExecContext(ctx, stmt); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return false
			case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
			}
		}
		if err != nil {
			e.logger.Warn("drop superseded projection tables", "projection", p.Name(), "generation", gen, "error", err)
			ok = false
		}
	}
	if !ok {
		return false
	}
	if _, err := e.db.SQL.ExecContext(ctx, e.db.Q(`DELETE FROM projection_checkpoints WHERE name = ? AND generation = ?`), p.Name(), gen); err != nil {
		e.logger.Warn("drop superseded checkpoint", "projection", p.Name(), "generation", gen, "error", err)
		return false
	}
	return true
}

// dropAttempts is how many times a drop statement is tried before the drop is left to the next
// collection.
const dropAttempts = 5

// WaitFor blocks until every named projection's serving generation has processed position pos,
// or ctx ends. Projections running in other processes are followed through their checkpoints.
func (e *Engine) WaitFor(ctx context.Context, pos uint64, names ...string) error {
	if pos == 0 {
		return nil
	}
	for {
		wake := e.changed.Wait()
		done := true
		for _, n := range names {
			p, err := e.position(ctx, n)
			if err != nil {
				return err
			}
			if p < pos {
				done = false
				break
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (e *Engine) position(ctx context.Context, name string) (uint64, error) {
	e.mu.Lock()
	r := e.active[name]
	e.mu.Unlock()
	if r != nil && r.handlerRunning() && !r.standby.Load() {
		return r.position.Load(), nil
	}
	var pos int64
	err := e.db.SQL.QueryRowContext(ctx, e.db.Q(`SELECT c.position FROM projection_checkpoints c JOIN projection_active a
		ON a.name = c.name AND a.generation = c.generation WHERE c.name = ?`), name).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: %q", ErrUnknownProjection, name)
	}
	return uint64(pos), err
}

// Changes returns a number that moves whenever this process commits a page to the projection's
// serving generation or switches it to a rebuilt one: a cache of what the projection's tables
// hold stays valid while it does not move (pages of events the projection does not want move
// nothing). Changes made by another process holding the projection's lease do not move it.
func (e *Engine) Changes(name string) uint64 {
	if c, ok := e.changes[name]; ok {
		return c.Load()
	}
	return 0
}

func (e *Engine) changed1(name string) {
	if c, ok := e.changes[name]; ok {
		c.Add(1)
	}
}
