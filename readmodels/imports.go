package readmodels

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/customer"
)

// Imports are operational state: a file import runs in the background and records its progress
// in the imports table, which the progress endpoint reads. The records it creates are ordinary
// events; this table is not derived from them and is not rebuilt.

// Import states.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// MaxImportErrors is how many row errors an import keeps (the counts stay exact).
const MaxImportErrors = 1000

// ImportError is one problem with one row of an imported file (row 1 is the header).
type ImportError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Import is the state of one import.
type Import struct {
	ID       uuid.UUID `json:"id"`
	Type     string    `json:"type"`
	DryRun   bool      `json:"dryRun"`
	State    string    `json:"state"`
	FileName string    `json:"fileName,omitempty"`
	// Total counts the file's data rows (blank rows excluded); the rest split it: Imported
	// created a record (in a dry run: would create one), Skipped found the same record already
	// there, Failed are the rows listed in Errors.
	Total           int64         `json:"total"`
	Imported        int64         `json:"imported"`
	Skipped         int64         `json:"skipped"`
	Failed          int64         `json:"failed"`
	Errors          []ImportError `json:"errors"`
	ErrorsTruncated bool          `json:"errorsTruncated"`
	Detail          string        `json:"detail,omitempty"`
	// Position is the global position of the last event the import appended, for reads that
	// want to see its records (X-Chronicle-Min-Position).
	Position   uint64     `json:"position"`
	ActorID    uuid.UUID  `json:"-"`
	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
}

// AddError records a row error, keeping at most MaxImportErrors.
func (imp *Import) AddError(e ImportError) {
	if len(imp.Errors) >= MaxImportErrors {
		imp.ErrorsTruncated = true
		return
	}
	imp.Errors = append(imp.Errors, e)
}

// CreateImport stores a new import.
func (db *DB) CreateImport(ctx context.Context, imp *Import) error {
	errs, err := json.Marshal(nonNil(imp.Errors))
	if err != nil {
		return err
	}
	_, err = db.SQL.ExecContext(ctx, db.Q(`INSERT INTO imports (id, kind, dry_run, state, actor_id, file_name, total, imported, skipped,
		failed, errors, errors_truncated, detail, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		imp.ID.String(), imp.Type, imp.DryRun, imp.State, imp.ActorID.String(), imp.FileName, imp.Total, imp.Imported, imp.Skipped,
		imp.Failed, string(errs), imp.ErrorsTruncated, imp.Detail, int64(imp.Position), db.Dialect.Time(imp.CreatedAt), db.Dialect.Time(imp.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create import: %w", err)
	}
	return nil
}

// SaveImport writes an import's progress (state, counts, errors).
func (db *DB) SaveImport(ctx context.Context, imp *Import) error {
	errs, err := json.Marshal(nonNil(imp.Errors))
	if err != nil {
		return err
	}
	var finished any
	if imp.FinishedAt != nil {
		finished = db.Dialect.Time(*imp.FinishedAt)
	}
	_, err = db.SQL.ExecContext(ctx, db.Q(`UPDATE imports SET state = ?, total = ?, imported = ?, skipped = ?, failed = ?, errors = ?,
		errors_truncated = ?, detail = ?, position = ?, updated_at = ?, finished_at = ? WHERE id = ?`),
		imp.State, imp.Total, imp.Imported, imp.Skipped, imp.Failed, string(errs), imp.ErrorsTruncated, imp.Detail, int64(imp.Position),
		db.Dialect.Time(imp.UpdatedAt), finished, imp.ID.String())
	if err != nil {
		return fmt.Errorf("save import %s: %w", imp.ID, err)
	}
	return nil
}

// GetImport returns an import started by actor; others' imports are not found.
func (db *DB) GetImport(ctx context.Context, actor, id uuid.UUID) (*Import, error) {
	var (
		imp                        Import
		sid, sactor, errs          string
		pos                        int64
		created, updated, finished Time
	)
	err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT id, kind, dry_run, state, actor_id, file_name, total, imported, skipped, failed,
		errors, errors_truncated, detail, position, created_at, updated_at, finished_at FROM imports WHERE id = ? AND actor_id = ?`),
		id.String(), actor.String()).Scan(&sid, &imp.Type, &imp.DryRun, &imp.State, &sactor, &imp.FileName, &imp.Total, &imp.Imported,
		&imp.Skipped, &imp.Failed, &errs, &imp.ErrorsTruncated, &imp.Detail, &pos, &created, &updated, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get import %s: %w", id, err)
	}
	imp.ID, _ = uuid.Parse(sid)
	imp.ActorID, _ = uuid.Parse(sactor)
	if err := json.Unmarshal([]byte(errs), &imp.Errors); err != nil {
		return nil, fmt.Errorf("import %s errors: %w", id, err)
	}
	imp.Errors = nonNil(imp.Errors)
	imp.Position, imp.CreatedAt, imp.UpdatedAt, imp.FinishedAt = uint64(pos), created.T, updated.T, finished.Ptr()
	return &imp, nil
}

// CustomersNamed returns the ids of up to limit customers inside scope whose name is exactly
// name (contacts imports name their customer).
func (db *DB) CustomersNamed(ctx context.Context, scope Scope, name string, limit int) ([]uuid.UUID, error) {
	stmt := `SELECT id FROM ` + db.Gens.Table(CustomersProjection, "customers") + ` WHERE name = ?`
	args := []any{strings.TrimSpace(name)}
	if cond, a := scope.condition(); cond != "" {
		stmt += " AND " + cond
		args = append(args, a...)
	}
	stmt += " ORDER BY id LIMIT ?"
	rows, err := db.SQL.QueryContext(ctx, db.Q(stmt), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("customers named %q: %w", name, err)
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if id, err := uuid.Parse(s); err == nil {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// CustomerNames returns the names of the given customers (contacts exports show them).
func (db *DB) CustomerNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id.String()
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT id, name FROM `+db.Gens.Table(CustomersProjection, "customers")+
		` WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("customer names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid, name string
		if err := rows.Scan(&sid, &name); err != nil {
			return nil, err
		}
		if id, err := uuid.Parse(sid); err == nil {
			out[id] = name
		}
	}
	return out, rows.Err()
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// CustomersWithNormalizedNames returns, for each name, the ids of the customers whose normalised
// name (customer.NormalizeName) is the same, across all scopes (the duplicate check).
func (db *DB) CustomersWithNormalizedNames(ctx context.Context, names []string) ([][]uuid.UUID, error) {
	out := make([][]uuid.UUID, len(names))
	at := map[string][]int{}
	args := []any{}
	for i, n := range names {
		norm := customer.NormalizeName(n)
		if norm == "" {
			continue
		}
		if _, ok := at[norm]; !ok {
			args = append(args, norm)
		}
		at[norm] = append(at[norm], i)
	}
	if len(args) == 0 {
		return out, nil
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT id, name_norm FROM `+db.Gens.Table(CustomersProjection, "customers")+
		` WHERE name_norm IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("customers by normalised name: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid, norm string
		if err := rows.Scan(&sid, &norm); err != nil {
			return nil, err
		}
		id, err := uuid.Parse(sid)
		if err != nil {
			continue
		}
		for _, i := range at[norm] {
			out[i] = append(out[i], id)
		}
	}
	return out, rows.Err()
}
