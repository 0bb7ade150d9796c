package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"

	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// KeysFile is the SQLite file of the subjects' keys in the data directory (embedded stores): apart
// from events.db, so the event log alone never holds a key that opens it.
const KeysFile = "keys.db"

// Keys is the key store over SQLite or PostgreSQL: one table, privacy_keys, that no projection
// manages (a rebuild never drops it).
type Keys struct {
	db *sql.DB
	pg bool
}

var _ dp.KeyStore = (*Keys)(nil)

// OpenSQLite opens (creating) the key store keys.db in dataDir.
func OpenSQLite(ctx context.Context, dataDir string) (*Keys, error) {
	// secure_delete: a destroyed key's bytes are overwritten in the file, not left in a free page.
	db, err := sql.Open("sqlite", esqlite.DSN(filepath.Join(dataDir, KeysFile), "synchronous(FULL)", "secure_delete(ON)"))
	if err != nil {
		return nil, err
	}
	return prepare(ctx, &Keys{db: db})
}

// OpenPostgres opens the key store in the PostgreSQL database at url (its table privacy_keys).
func OpenPostgres(ctx context.Context, url string) (*Keys, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	return prepare(ctx, &Keys{db: db, pg: true})
}

func prepare(ctx context.Context, k *Keys) (*Keys, error) {
	blob := "BLOB"
	if k.pg {
		blob = "BYTEA"
	}
	// erased_at empty: the key exists; else the time of the erasure (and wrapped is NULL).
	ddl := `CREATE TABLE IF NOT EXISTS privacy_keys (subject TEXT PRIMARY KEY, kind TEXT NOT NULL, master_key_id TEXT NOT NULL DEFAULT '',
		wrapped ` + blob + `, created_at TEXT NOT NULL, erased_at TEXT NOT NULL DEFAULT '')`
	if _, err := k.db.ExecContext(ctx, ddl); err != nil {
		k.db.Close()
		return nil, fmt.Errorf("key store: %w", err)
	}
	return k, nil
}

// Close closes the database.
func (k *Keys) Close() error { return k.db.Close() }

// q rebinds ? placeholders to $n for PostgreSQL.
func (k *Keys) q(query string) string {
	if !k.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func unstamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

const keyColumns = `subject, kind, master_key_id, wrapped, created_at, erased_at`

func scanKey(row interface{ Scan(...any) error }) (dp.KeyRecord, error) {
	var r dp.KeyRecord
	var subject, created, erased string
	if err := row.Scan(&subject, &r.Kind, &r.Wrapped.MasterKeyID, &r.Wrapped.Sealed, &created, &erased); err != nil {
		return r, err
	}
	r.Subject, _ = uuid.Parse(subject)
	r.CreatedAt, r.ErasedAt = unstamp(created), unstamp(erased)
	if r.Erased() {
		r.Wrapped = dp.WrappedKey{}
	}
	return r, nil
}

// GetOrCreate inserts the candidates unless their subjects have a record (ON CONFLICT DO
// NOTHING), in one transaction, then reads the records: of two concurrent first uses of a
// subject, both read the one inserted.
func (k *Keys) GetOrCreate(ctx context.Context, candidates []dp.NewKey, at time.Time) (map[uuid.UUID]dp.KeyRecord, error) {
	tx, err := k.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	ins := k.q(`INSERT INTO privacy_keys (subject, kind, master_key_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (subject) DO NOTHING`)
	subjects := make([]uuid.UUID, 0, len(candidates))
	for _, c := range candidates {
		if _, err := tx.ExecContext(ctx, ins, c.Subject.String(), c.Kind, c.Wrapped.MasterKeyID, c.Wrapped.Sealed, stamp(at)); err != nil {
			return nil, fmt.Errorf("key store: %w", err)
		}
		subjects = append(subjects, c.Subject)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	return k.Get(ctx, subjects)
}

// Get reads the records of the subjects, a few hundred per query.
func (k *Keys) Get(ctx context.Context, subjects []uuid.UUID) (map[uuid.UUID]dp.KeyRecord, error) {
	out := make(map[uuid.UUID]dp.KeyRecord, len(subjects))
	const chunk = 500
	for len(subjects) > 0 {
		part := subjects[:min(chunk, len(subjects))]
		subjects = subjects[len(part):]
		args := make([]any, len(part))
		for i, s := range part {
			args[i] = s.String()
		}
		rows, err := k.db.QueryContext(ctx, k.q(`SELECT `+keyColumns+` FROM privacy_keys WHERE subject IN (?`+strings.Repeat(", ?", len(part)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("key store: %w", err)
		}
		for rows.Next() {
			r, err := scanKey(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("key store: %w", err)
			}
			out[r.Subject] = r
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("key store: %w", err)
		}
	}
	return out, nil
}

// Destroy deletes the wrapped key (the row stays, without it, as the record of the erasure).
func (k *Keys) Destroy(ctx context.Context, kind string, subject uuid.UUID, at time.Time) error {
	if _, err := k.db.ExecContext(ctx, k.q(`INSERT INTO privacy_keys (subject, kind, created_at, erased_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (subject) DO UPDATE SET wrapped = NULL, master_key_id = '',
		erased_at = CASE WHEN privacy_keys.erased_at = '' THEN excluded.erased_at ELSE privacy_keys.erased_at END`),
		subject.String(), kind, stamp(at), stamp(at)); err != nil {
		return fmt.Errorf("key store: %w", err)
	}
	// The old row version: SQLite's is in the write-ahead log until a checkpoint copies the new
	// page over it; PostgreSQL's is a dead tuple until a vacuum. Both are asked for at once (best
	// effort: what they leave is still wrapped by the master key; docs/operations.md).
	if k.pg {
		_, _ = k.db.ExecContext(ctx, `VACUUM privacy_keys`)
	} else {
		_, _ = k.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	return nil
}

// MasterKeyIDs are the distinct master key ids of the keys not erased.
func (k *Keys) MasterKeyIDs(ctx context.Context) ([]string, error) {
	rows, err := k.db.QueryContext(ctx, `SELECT DISTINCT master_key_id FROM privacy_keys WHERE erased_at = '' ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Rewrap rewraps every key in one transaction, which first takes the table's write lock so no
// key is added meanwhile.
func (k *Keys) Rewrap(ctx context.Context, rewrap func(uuid.UUID, dp.WrappedKey) (dp.WrappedKey, error)) (int, error) {
	tx, err := k.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("key store: %w", err)
	}
	defer tx.Rollback()                                       //nolint:errcheck // after Commit it does nothing
	lock := `UPDATE privacy_keys SET kind = kind WHERE 0 = 1` // SQLite: a write takes the database's write lock
	if k.pg {
		lock = `LOCK TABLE privacy_keys IN EXCLUSIVE MODE`
	}
	if _, err := tx.ExecContext(ctx, lock); err != nil {
		return 0, fmt.Errorf("key store: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+keyColumns+` FROM privacy_keys WHERE erased_at = ''`)
	if err != nil {
		return 0, fmt.Errorf("key store: %w", err)
	}
	var keys []dp.KeyRecord
	for rows.Next() {
		r, err := scanKey(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		keys = append(keys, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("key store: %w", err)
	}
	for _, r := range keys {
		w, err := rewrap(r.Subject, r.Wrapped)
		if err != nil {
			return 0, fmt.Errorf("rewrap the key of %s: %w", r.Subject, err)
		}
		if _, err := tx.ExecContext(ctx, k.q(`UPDATE privacy_keys SET master_key_id = ?, wrapped = ? WHERE subject = ?`),
			w.MasterKeyID, w.Sealed, r.Subject.String()); err != nil {
			return 0, fmt.Errorf("key store: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("key store: %w", err)
	}
	return len(keys), nil
}

// Each reads every record in the order of the subjects, a page at a time.
func (k *Keys) Each(ctx context.Context, fn func(dp.KeyRecord) error) error {
	after := ""
	for {
		rows, err := k.db.QueryContext(ctx, k.q(`SELECT `+keyColumns+` FROM privacy_keys WHERE subject > ? ORDER BY subject LIMIT 1000`), after)
		if err != nil {
			return fmt.Errorf("key store: %w", err)
		}
		var page []dp.KeyRecord
		for rows.Next() {
			r, err := scanKey(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("key store: %w", err)
			}
			page = append(page, r)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("key store: %w", err)
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < 1000 {
			return nil
		}
		after = page[len(page)-1].Subject.String()
	}
}

// Put inserts the records in one transaction; a subject with a record already fails it.
func (k *Keys) Put(ctx context.Context, records []dp.KeyRecord) error {
	tx, err := k.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("key store: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	ins := k.q(`INSERT INTO privacy_keys (subject, kind, master_key_id, wrapped, created_at, erased_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (subject) DO NOTHING`)
	for _, r := range records {
		w, erased := r.Wrapped, ""
		if r.Erased() {
			w, erased = dp.WrappedKey{}, stamp(r.ErasedAt)
		}
		res, err := tx.ExecContext(ctx, ins, r.Subject.String(), r.Kind, w.MasterKeyID, w.Sealed, stamp(r.CreatedAt), erased)
		if err != nil {
			return fmt.Errorf("key store: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("key store: %w", err)
		} else if n == 0 {
			return fmt.Errorf("key store: %w: %s", dp.ErrKeyExists, r.Subject)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("key store: %w", err)
	}
	return nil
}
