package readmodels

import (
	"context"
	"time"
)

// TryLease takes (or renews) a named lease for holder until now+ttl, unless another holder has
// an unexpired one. It works the same on both engines, across processes, so schedulers run in
// one process at a time.
func (db *DB) TryLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := db.SQL.ExecContext(ctx, db.Q(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.expires_at < ? OR leases.holder = excluded.holder`),
		name, holder, db.Dialect.Time(now.Add(ttl)), db.Dialect.Time(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease gives up a lease the holder has, so another process can take it at once.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := db.SQL.ExecContext(ctx, db.Q(`DELETE FROM leases WHERE name = ? AND holder = ?`), name, holder)
	return err
}
