package engine

import (
	"context"
	"time"
)

// Superseded generations are dropped exactly when nobody can read them any more, not after a
// guessed delay. Every engine records in projection_readers, per projection, the oldest
// generation its process may still read (renewed with each refresh, expiring after a minute so a
// crashed process stops counting; see readerTTL). A process that follows a switch keeps its record on the old
// generation for DropGrace, for the requests that took the old table names just before, then
// moves it. A superseded generation that no unexpired record reaches is dropped by the next
// engine that looks (each looks after every refresh): the last reader to leave drops it.

// readerSince is this process's oldest readable generation of one projection, and since when
// the process serves a newer one (zero: it does not).
type readerSince struct {
	gen   int
	newer time.Time
}

// publishReaders renews this process's reader records: first moving those whose newer
// generation has served for DropGrace (or at once when now is the zero time: leaveAll).
func (e *Engine) publishReaders(ctx context.Context, leaveAll bool) error {
	now := time.Now()
	e.mu.Lock()
	gens := make(map[string]int, len(e.order))
	for _, name := range e.order {
		active := e.db.Gens.Active(name)
		rd := e.readers[name]
		switch {
		case rd.gen == 0 || active <= rd.gen:
			rd = readerSince{gen: max(active, rd.gen)}
		case leaveAll:
			rd = readerSince{gen: active}
		case rd.newer.IsZero():
			rd.newer = now
		case now.Sub(rd.newer) >= e.opts.DropGrace:
			rd = readerSince{gen: active}
		}
		e.readers[name] = rd
		gens[name] = rd.gen
	}
	e.mu.Unlock()
	tx, err := e.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	expires := e.db.Dialect.Time(now.Add(readerTTL(e.opts.LeaseTTL)))
	for _, name := range e.order {
		if gens[name] == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, e.db.Q(`INSERT INTO projection_readers (holder, name, generation, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (holder, name) DO UPDATE SET generation = excluded.generation, expires_at = excluded.expires_at`),
			e.opts.Holder, name, gens[name], expires); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// readerTTL is how long a reader record lasts unrenewed. The refresh loop renews it every 2 s,
// but a renewal can wait behind a long write (on SQLite, the transaction that builds a rebuilt
// generation's indexes holds the only write lock), and an expired record lets the generation
// it protects be dropped under a reader; so it lasts a minute (or the lease TTL if longer). A
// crashed process only delays drops by that much; a stopped one removes its records.
func readerTTL(lease time.Duration) time.Duration { return max(lease, time.Minute) }

// leaveReaders deletes this process's reader records (the engine stops).
func (e *Engine) leaveReaders(ctx context.Context) error {
	_, err := e.db.SQL.ExecContext(ctx, e.db.Q(`DELETE FROM projection_readers WHERE holder = ?`), e.opts.Holder)
	return err
}

// collect drops the superseded generations (older than the serving one) that no live reader
// record reaches, and returns how many it dropped.
func (e *Engine) collect(ctx context.Context) (int, error) {
	dropped := 0
	now := e.db.Dialect.Time(time.Now())
	for _, name := range e.order {
		active := e.db.Gens.Active(name)
		if active == 0 {
			continue
		}
		rows, err := e.db.SQL.QueryContext(ctx, e.db.Q(`SELECT c.generation FROM projection_checkpoints c WHERE c.name = ? AND c.generation < ?
			AND NOT EXISTS (SELECT 1 FROM projection_readers r WHERE r.name = c.name AND r.generation <= c.generation AND r.expires_at > ?)`),
			name, active, now)
		if err != nil {
			return dropped, err
		}
		var gens []int
		for rows.Next() {
			var g int
			if err := rows.Scan(&g); err != nil {
				rows.Close()
				return dropped, err
			}
			gens = append(gens, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dropped, err
		}
		for _, g := range gens {
			if e.dropGeneration(ctx, e.projectors[name], g) {
				dropped++
			}
		}
	}
	if dropped > 0 {
		e.reclaim(ctx)
	}
	return dropped, nil
}

// reclaim gives the space of dropped tables back (SQLite; see readmodels.Dialect.Reclaim).
func (e *Engine) reclaim(ctx context.Context) {
	for _, stmt := range e.db.Dialect.Reclaim() {
		if _, err := e.db.SQL.ExecContext(ctx, stmt); err != nil {
			e.logger.Warn("reclaim the space of dropped tables", "statement", stmt, "error", err)
		}
	}
}

// ReleaseSuperseded tells the engine that its process reads no superseded generation any more
// (a command-line rebuild, which serves no requests, after its switches): its reader records
// move to the serving generations at once, and the superseded generations nobody else reads are
// dropped now. It returns the superseded generations that remain because another process still
// reads them; that process drops them when it leaves them.
func (e *Engine) ReleaseSuperseded(ctx context.Context) (remaining map[string][]int, err error) {
	if err := e.publishReaders(ctx, true); err != nil {
		return nil, err
	}
	if _, err := e.collect(ctx); err != nil {
		return nil, err
	}
	remaining = map[string][]int{}
	for _, name := range e.order {
		rows, err := e.db.SQL.QueryContext(ctx, e.db.Q(`SELECT generation FROM projection_checkpoints WHERE name = ? AND generation < ? ORDER BY generation`),
			name, e.db.Gens.Active(name))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var g int
			if err := rows.Scan(&g); err != nil {
				rows.Close()
				return nil, err
			}
			remaining[name] = append(remaining[name], g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return remaining, nil
}
