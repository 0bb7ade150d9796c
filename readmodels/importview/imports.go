package importview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Imports are operational state: a file import runs in the background and records its progress
// in the imports table, which the progress endpoint and the import history read, and its failing
// rows in import_errors (report.go). The records it creates are ordinary events; these tables are
// not derived from them and are not rebuilt.

// Import states.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// States are the import states, in the order a job goes through them.
var States = []string{ImportQueued, ImportRunning, ImportDone, ImportFailed}

// Kinds are the record types a file imports.
var Kinds = []string{"leads", "customers", "contacts", "products"}

// MaxImportErrors is how many row errors an import lists with its state (the counts stay exact;
// the stored error report has every failing row).
const MaxImportErrors = 1000

// StaleAfter: a queued or running import without progress for this long was interrupted (its
// process stopped); readers see it failed with the detail Interrupted. Running imports save their
// progress every few seconds.
const StaleAfter = 10 * time.Minute

// Interrupted is the detail of an import that stopped with its process.
const Interrupted = "interrupted: the server stopped while importing; import the file again to finish"

// ImportError is one problem with one row of an imported file (row 1 is the header).
type ImportError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Summary is an import as the history lists it.
type Summary struct {
	ID       uuid.UUID             `json:"id"`
	Type     string                `json:"type"`
	DryRun   bool                  `json:"dryRun"`
	State    string                `json:"state"`
	FileName string                `json:"fileName,omitempty"`
	By       readmodels.AuditActor `json:"by"`
	// Total counts the file's data rows (blank rows excluded); the rest split it: Imported
	// created a record (in a dry run: would create one), Skipped found the same record already
	// there, Failed are the rows of the error report.
	Total    int64  `json:"total"`
	Imported int64  `json:"imported"`
	Skipped  int64  `json:"skipped"`
	Failed   int64  `json:"failed"`
	Detail   string `json:"detail,omitempty"`
	// Position is the global position of the last event the import appended, for reads that
	// want to see its records (X-Chronicle-Min-Position).
	Position   uint64     `json:"position"`
	ActorID    uuid.UUID  `json:"-"`
	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
}

// Import is the state of one import: its summary and the first row errors.
type Import struct {
	Summary
	Errors          []ImportError `json:"errors"`
	ErrorsTruncated bool          `json:"errorsTruncated"`
}

// AddError records a row error, keeping at most MaxImportErrors.
func (imp *Import) AddError(e ImportError) {
	if len(imp.Errors) >= MaxImportErrors {
		imp.ErrorsTruncated = true
		return
	}
	imp.Errors = append(imp.Errors, e)
}

// settle reports a queued or running import that made no progress for StaleAfter as what it is:
// interrupted. Nothing is written; re-running the import finishes it (rows already imported are
// skipped).
func (s *Summary) settle(now time.Time) {
	if (s.State == ImportQueued || s.State == ImportRunning) && now.Sub(s.UpdatedAt) > StaleAfter {
		s.State, s.Detail = ImportFailed, Interrupted
		at := s.UpdatedAt
		s.FinishedAt = &at
	}
}

// ScopeFor is whose imports an actor reads: their own, and with audit.read those of every user
// their data scope covers (the administrator's "all": everyone's), as the operation log.
func ScopeFor(a access.Actor) readmodels.Scope {
	if a.Can(role.AuditRead) {
		return readmodels.ScopeOf(a, false)
	}
	return readmodels.Scope{Kind: role.ScopeSelf, UserID: a.ID}
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

// summaryColumns are the columns of a Summary, in scanSummary's order.
const summaryColumns = `id, kind, dry_run, state, actor_id, file_name, total, imported, skipped, failed, detail, position, created_at, updated_at, finished_at`

func scanSummary(row readmodels.Scanner, extra ...any) (*Summary, error) {
	var (
		s                          Summary
		sid, sactor                string
		pos                        int64
		created, updated, finished readmodels.Time
	)
	err := row.Scan(append([]any{&sid, &s.Type, &s.DryRun, &s.State, &sactor, &s.FileName, &s.Total, &s.Imported, &s.Skipped, &s.Failed,
		&s.Detail, &pos, &created, &updated, &finished}, extra...)...)
	if err != nil {
		return nil, err
	}
	s.ID, _ = uuid.Parse(sid)
	s.ActorID, _ = uuid.Parse(sactor)
	s.By.ID = sactor
	s.Position, s.CreatedAt, s.UpdatedAt, s.FinishedAt = uint64(pos), created.T, updated.T, finished.Ptr()
	return &s, nil
}

// GetImport returns an import the scope covers (ScopeFor: its starter's own, or a user's in the
// reader's data scope); others' are not found. now settles an interrupted import.
func (db *Views) GetImport(ctx context.Context, scope readmodels.Scope, id uuid.UUID, now time.Time) (*Import, error) {
	stmt, args := `SELECT `+summaryColumns+`, errors, errors_truncated FROM imports WHERE id = ?`, []any{id.String()}
	if cond, a := scope.UserCondition(db.UsersTable(), "actor_id"); cond != "" {
		stmt, args = stmt+" AND "+cond, append(args, a...)
	}
	var errs string
	imp := &Import{}
	s, err := scanSummary(db.SQL.QueryRowContext(ctx, db.Q(stmt), args...), &errs, &imp.ErrorsTruncated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, readmodels.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get import %s: %w", id, err)
	}
	imp.Summary = *s
	if err := json.Unmarshal([]byte(errs), &imp.Errors); err != nil {
		return nil, fmt.Errorf("import %s errors: %w", id, err)
	}
	imp.Errors = readmodels.NonNil(imp.Errors)
	imp.settle(now)
	if err := db.names(ctx, []*Summary{&imp.Summary}); err != nil {
		return nil, err
	}
	return imp, nil
}

// names fills in the display names of the users who started the imports (one query a page).
func (db *Views) names(ctx context.Context, items []*Summary) error {
	names := map[string]string{}
	for _, s := range items {
		names[s.By.ID] = ""
	}
	if err := db.Names(ctx, db.UsersTable(), "display_name", "", nil, names); err != nil {
		return fmt.Errorf("import starters: %w", err)
	}
	for _, s := range items {
		s.By.Name = names[s.By.ID]
	}
	return nil
}

func placeholders(n int) string {
	b := make([]byte, 0, 2*n)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}
