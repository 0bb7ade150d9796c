package engine

import (
	"context"
	"time"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Status describes one projection generation.
type Status struct {
	Name       string  `json:"name"`
	Generation int     `json:"generation"`
	Serving    bool    `json:"serving"`
	State      string  `json:"state"`
	Position   uint64  `json:"position"`
	Head       uint64  `json:"head"`
	LagEvents  int64   `json:"lagEvents"`
	LagSeconds float64 `json:"lagSeconds"`
	LastError  string  `json:"lastError,omitempty"`
}

// Status reports every running projection generation (serving ones first).
func (e *Engine) Status(ctx context.Context) ([]Status, error) {
	head, err := e.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	var rs []*runner
	for _, name := range e.order {
		if r := e.active[name]; r != nil {
			rs = append(rs, r)
		}
		if r := e.rebuild[name]; r != nil {
			rs = append(rs, r)
		}
	}
	e.mu.Unlock()
	out := make([]Status, 0, len(rs))
	for _, r := range rs {
		st := Status{Name: r.projector.Name(), Generation: r.gen, Serving: !r.rebuilding, State: r.state.Load().(string),
			Position: r.position.Load(), Head: head}
		if r.standby.Load() { // another process applies the events: its checkpoint and parking tell
			if p, _, err := r.readCheckpoint(ctx); err == nil {
				st.Position = uint64(p)
			}
			var lastErr string
			if e.db.SQL.QueryRowContext(ctx, e.db.Q(`SELECT c.last_error FROM projection_checkpoints c JOIN projection_parked p ON p.topic = ?
				WHERE c.name = ? AND c.generation = ?`), r.topic, r.projector.Name(), r.gen).Scan(&lastErr) == nil {
				st.State = StateParked
				r.setError(lastErr)
			}
		}
		if st.State == StateCatchingUp && !r.rebuilding {
			// A generation another process built (chronicle projections rebuild) and this one
			// followed starts here as catching up, with nothing to apply when the builder caught up
			// to the head: its checkpoint says it is live.
			if p, _, err := r.readCheckpoint(ctx); err == nil && uint64(p) >= head {
				st.Position, st.State = uint64(p), StateLive
				r.state.CompareAndSwap(StateCatchingUp, StateLive)
			}
		}
		r.mu.Lock()
		st.LastError = r.lastError
		r.mu.Unlock()
		if st.Position < head {
			st.LagEvents, st.LagSeconds, err = e.lag(ctx, st.Position, head)
			if err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// lag counts the events after pos and how long ago the oldest of them happened.
func (e *Engine) lag(ctx context.Context, pos, head uint64) (int64, float64, error) {
	next, err := e.store.ReadAll(ctx, pos, 1)
	if err != nil || len(next) == 0 {
		return 0, 0, err
	}
	seconds := time.Since(next[0].OccurredAt).Seconds()
	if c, ok := e.store.(eventstore.Counter); ok {
		n, err := c.CountAfter(ctx, pos)
		return n, seconds, err
	}
	return int64(head - pos), seconds, nil // positions are an upper bound where not dense
}

// Resume restarts a parked projection.
func (e *Engine) Resume(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	resumed := false
	for _, r := range []*runner{e.active[name], e.rebuild[name]} {
		switch {
		case r == nil:
		case r.state.Load() == StateParked:
			select {
			case r.resume <- struct{}{}:
			default:
			}
			resumed = true
		case r.standby.Load():
			// Parked in the process that holds the lease, maybe: ask it through the database.
			res, err := e.db.SQL.Exec(e.db.Q(`UPDATE projection_parked SET resume = ? WHERE topic = ?`), true, r.topic)
			if err != nil {
				e.logger.Warn("request projection resume", "topic", r.topic, "error", err)
				continue
			}
			if n, _ := res.RowsAffected(); n == 1 {
				resumed = true
			}
		}
	}
	return resumed
}

// WaitLoaded blocks until every serving projection of this process has read its checkpoint, or
// stands by for another process that holds it, so that Status reports positions (or ctx ends).
func (e *Engine) WaitLoaded(ctx context.Context) error {
	for {
		wake := e.changed.Wait()
		e.mu.Lock()
		loaded := true
		for _, r := range e.active {
			if !r.loaded.Load() && !r.standby.Load() {
				loaded = false
			}
		}
		e.mu.Unlock()
		if loaded {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// Rebuilding reports whether a rebuild of the projection is running.
func (e *Engine) Rebuilding(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.rebuild[name]
	return ok
}
