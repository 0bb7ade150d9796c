package readmodels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Generations knows which generation of each projection's tables serves reads. A rebuild fills
// generation n+1 while n serves, then switches projection_active in one transaction.
type Generations struct {
	db     *DB
	mu     sync.RWMutex
	active map[string]int
}

func newGenerations(db *DB) *Generations { return &Generations{db: db, active: map[string]int{}} }

// Active returns the serving generation of a projection (0 when it has none yet).
func (g *Generations) Active(name string) int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.active[name]
}

// Table is the name of a projection table in the serving generation.
func (g *Generations) Table(projection, base string) string {
	return TableName(base, g.Active(projection))
}

// TableName is the physical name of a table in a generation.
func TableName(base string, gen int) string { return fmt.Sprintf("%s_g%d", base, gen) }

// Set records a switch made in this process.
func (g *Generations) Set(name string, gen int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active[name] = gen
}

// Refresh reloads the serving generations (other processes may have switched); a generation
// never moves back.
func (g *Generations) Refresh(ctx context.Context) error {
	rows, err := g.db.SQL.QueryContext(ctx, `SELECT name, generation FROM projection_active`)
	if err != nil {
		return fmt.Errorf("load projection generations: %w", err)
	}
	defer rows.Close()
	next := map[string]int{}
	for rows.Next() {
		var n string
		var gen int
		if err := rows.Scan(&n, &gen); err != nil {
			return err
		}
		next[n] = gen
	}
	if err := rows.Err(); err != nil {
		return err
	}
	g.mu.Lock()
	// Generations only move forward: a read that started before a switch this process made
	// (Set) must not take it back.
	for n, gen := range g.active {
		next[n] = max(next[n], gen)
	}
	g.active = next
	g.mu.Unlock()
	return nil
}

// Activate switches the serving generation inside tx.
func (g *Generations) Activate(ctx context.Context, tx *sql.Tx, name string, gen int) error {
	_, err := tx.ExecContext(ctx, g.db.Q(`INSERT INTO projection_active (name, generation) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET generation = excluded.generation`), name, gen)
	return err
}

// AppliedUntil is when the last event that the serving generation of a projection applied
// occurred (the zero time when it has applied none): every event appended well before it is in
// the projection's tables.
func (g *Generations) AppliedUntil(ctx context.Context, name string) (time.Time, error) {
	var t Time
	err := g.db.SQL.QueryRowContext(ctx, g.db.Q(`SELECT last_event_at FROM projection_checkpoints WHERE name = ? AND generation = ?`),
		name, g.Active(name)).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return t.T, err
}
