package importview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/readmodels"
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
func (db *Views) CreateImport(ctx context.Context, imp *Import) error {
	errs, err := json.Marshal(readmodels.NonNil(imp.Errors))
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
func (db *Views) SaveImport(ctx context.Context, imp *Import) error {
	errs, err := json.Marshal(readmodels.NonNil(imp.Errors))
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
func (db *Views) GetImport(ctx context.Context, actor, id uuid.UUID) (*Import, error) {
	var (
		imp                        Import
		sid, sactor, errs          string
		pos                        int64
		created, updated, finished readmodels.Time
	)
	err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT id, kind, dry_run, state, actor_id, file_name, total, imported, skipped, failed,
		errors, errors_truncated, detail, position, created_at, updated_at, finished_at FROM imports WHERE id = ? AND actor_id = ?`),
		id.String(), actor.String()).Scan(&sid, &imp.Type, &imp.DryRun, &imp.State, &sactor, &imp.FileName, &imp.Total, &imp.Imported,
		&imp.Skipped, &imp.Failed, &errs, &imp.ErrorsTruncated, &imp.Detail, &pos, &created, &updated, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, readmodels.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get import %s: %w", id, err)
	}
	imp.ID, _ = uuid.Parse(sid)
	imp.ActorID, _ = uuid.Parse(sactor)
	if err := json.Unmarshal([]byte(errs), &imp.Errors); err != nil {
		return nil, fmt.Errorf("import %s errors: %w", id, err)
	}
	imp.Errors = readmodels.NonNil(imp.Errors)
	imp.Position, imp.CreatedAt, imp.UpdatedAt, imp.FinishedAt = uint64(pos), created.T, updated.T, finished.Ptr()
	return &imp, nil
}
