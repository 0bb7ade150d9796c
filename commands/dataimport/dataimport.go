// Package dataimport runs imports of customers, leads, contacts and products from files: the application
// owns one Runner, which starts each import in the background, saves its progress, and on
// shutdown waits for running imports (Close). Rows become records through the commands'
// batched, idempotent import, so a row is imported whole or not at all, and importing a file
// again creates nothing new. Reading files and their columns is the transport's business: a
// Runner is given Readers that turn a file's rows into rows of each record type.
package dataimport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/commands/productcmd"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
)

const (
	batchSize   = 500             // rows per command batch and progress update
	heartbeat   = 2 * time.Second // progress is saved at least this often while rows are read
	workers     = 2               // concurrent appends per import
	reportBatch = 500             // error report rows are stored at least this often
	// maxPending is how many error report rows wait while they cannot be stored (the database is
	// gone) before the job stops keeping them (the log says so).
	maxPending = 5000
	// analyzeAfter: an import that stored this many report rows refreshes the statistics of
	// the reports' table (importview.AnalyzeReports).
	analyzeAfter = 10_000
)

// MaxRows is the most data rows an import file may have; a longer file is refused before
// anything is written (split it).
const MaxRows = 100_000

// Interrupted is the detail of an import that stopped with its process.
const Interrupted = importview.Interrupted

// Table is an opened file whose rows can be read (more than once).
type Table interface {
	Rows() (Rows, error)
	Close() error
}

// Rows reads a file's rows in order.
type Rows interface {
	// Next returns the next row's number in the file (1-based, as a spreadsheet shows it) and
	// its cells; ok is false at the end or on an error (see Err).
	Next() (row int, cells []string, ok bool)
	Err() error
	Close() error
}

// Reader reads the rows of one record type T: first the header row, then each row.
type Reader[T any] interface {
	// Header maps the file's columns; the problems are reported with the import, and an
	// *AbortError stops it.
	Header(cells []string, row int) ([]importview.ImportError, error)
	// Row parses a row's cells; the errors are the cells that could not be read.
	Row(cells []string) (T, []error)
}

// ContactRow is a contact row before its customer is looked up (by id, or by name within the
// importer's data scope).
type ContactRow struct {
	CustomerName string
	CustomerID   uuid.UUID
	Fields       contact.Fields
}

// Readers make a fresh Reader per import for each record type.
type Readers struct {
	Customers func() Reader[customercmd.ImportRow]
	Leads     func() Reader[leadcmd.ImportRow]
	Contacts  func() Reader[ContactRow]
	Products  func() Reader[productcmd.ImportRow]
}

// FileError is a file that cannot be read as a table at all; Row, when known, is the line or row
// where reading stopped.
type FileError struct {
	Msg string
	Row int
}

func (e *FileError) Error() string { return e.Msg }

// AbortError stops an import; the import's detail says why.
type AbortError struct{ Msg string }

func (e *AbortError) Error() string { return e.Msg }

// Deps are what a Runner needs.
type Deps struct {
	DB        *readmodels.DB
	Leads     *leadcmd.Service
	Customers *customercmd.Service
	Contacts  *customercmd.Contacts
	Products  *productcmd.Service
	Clock     commands.Clock
	Logger    *slog.Logger
	Readers   Readers
}

// Runner runs imports in the background.
type Runner struct {
	d      Deps
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	jobs   sync.WaitGroup
}

// New makes a Runner.
func New(d Deps) *Runner {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{d: d, ctx: ctx, cancel: cancel}
}

// ErrClosed: the runner is shutting down and starts no more imports.
var ErrClosed = errors.New("the server is shutting down; import the file again in a moment")

// Request is an import to start.
type Request struct {
	Type     string // customers | leads | contacts | products
	DryRun   bool
	FileName string
	Meta     commands.Meta
	// Open opens the uploaded file (in the background: a file that cannot be read fails the
	// import, not the request).
	Open func() (Table, error)
}

// Start records a queued import and runs it in the background; it answers the import as it
// was accepted.
func (rn *Runner) Start(ctx context.Context, req Request) (importview.Import, error) {
	now := rn.d.Clock()
	imp := &importview.Import{Summary: importview.Summary{ID: uuid.Must(uuid.NewV7()), Type: req.Type, DryRun: req.DryRun,
		State: importview.ImportQueued, FileName: req.FileName, ActorID: req.Meta.Actor.ID,
		By: readmodels.AuditActor{ID: req.Meta.Actor.ID.String(), Name: req.Meta.Actor.Name}, CreatedAt: now, UpdatedAt: now},
		Errors: []importview.ImportError{}}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.closed {
		return importview.Import{}, ErrClosed
	}
	if err := importview.New(rn.d.DB).CreateImport(ctx, imp); err != nil {
		return importview.Import{}, err
	}
	req.Meta.CorrelationID = imp.ID.String() // every event of the import shares it
	accepted := *imp                         // the job changes imp from now on
	j := &job{rn: rn, imp: imp, meta: req.Meta, open: req.Open}
	rn.jobs.Add(1)
	go func() {
		defer rn.jobs.Done()
		j.run(rn.ctx)
	}()
	return accepted, nil
}

// Close starts no more imports and waits for the running ones until ctx ends; then it stops
// them (they are saved as interrupted) and answers ctx's error.
func (rn *Runner) Close(ctx context.Context) error {
	rn.mu.Lock()
	rn.closed = true
	rn.mu.Unlock()
	done := make(chan struct{})
	go func() { rn.jobs.Wait(); close(done) }()
	select {
	case <-done:
		rn.cancel()
		return nil
	case <-ctx.Done():
		rn.cancel()
		<-done
		return ctx.Err()
	}
}

// job runs one import.
type job struct {
	rn    *Runner
	imp   *importview.Import
	meta  commands.Meta
	open  func() (Table, error)
	saved time.Time
	rows  importer // once the file is being imported
	// The error report's rows not stored yet, and the seq of the last one.
	pending []importview.ReportRow
	seq     int64
}

func (j *job) run(ctx context.Context) {
	imp, log := j.imp, j.rn.d.Logger
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			log.Error("import panicked", "import_id", imp.ID, "panic", fmt.Sprint(v))
			j.finish(ctx, &AbortError{"internal error; it has been logged"})
		}
	}()
	imp.State = importview.ImportRunning
	j.save(ctx)
	err := j.process(ctx)
	if err != nil && j.rows != nil {
		j.rows.abandon(j)
	}
	j.open = nil // the file's bytes can go
	j.finish(ctx, err)
	log.Info("import finished", "import_id", imp.ID, "type", imp.Type, "dry_run", imp.DryRun, "state", imp.State, "total", imp.Total,
		"imported", imp.Imported, "skipped", imp.Skipped, "failed", imp.Failed, "seconds", time.Since(start).Seconds())
}

func (j *job) finish(ctx context.Context, err error) {
	imp := j.imp
	imp.State = importview.ImportDone
	if err != nil {
		imp.State = importview.ImportFailed
		var fe *FileError
		var ab *AbortError
		switch {
		case errors.As(err, &fe):
			imp.Detail = fe.Msg
			j.report(fe.Row, nil, importview.ImportError{Row: fe.Row, Field: "file", Message: fe.Msg})
		case errors.As(err, &ab):
			imp.Detail = ab.Msg
		case ctx.Err() != nil:
			imp.Detail = Interrupted + j.accounting()
		default:
			j.rn.d.Logger.Error("import failed", "import_id", imp.ID, "error", err)
			imp.Detail = "the import stopped after an internal error; import the file again to finish it (imported rows are skipped)" + j.accounting()
		}
	}
	now := j.rn.d.Clock()
	imp.FinishedAt = &now
	// The last save happens even when the runner is stopping.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	j.save(saveCtx)
	if j.seq >= analyzeAfter {
		if err := importview.New(j.rn.d.DB).AnalyzeReports(saveCtx); err != nil {
			j.rn.d.Logger.Warn("analyze import error reports", "import_id", imp.ID, "error", err)
		}
	}
}

// accounting says what a stopped import did and did not import.
func (j *job) accounting() string {
	imp := j.imp
	if j.rows == nil || imp.Total == 0 {
		return ""
	}
	return fmt.Sprintf(". Of %d rows: %d imported, %d already there, %d not imported (listed in errors), %d not read",
		imp.Total, imp.Imported, imp.Skipped, imp.Failed, max(0, imp.Total-imp.Imported-imp.Skipped-imp.Failed))
}

// report records a failing row: its problems join the import's errors and the row, with its
// cells, the stored error report.
func (j *job) report(row int, cells []string, problems ...importview.ImportError) {
	for _, p := range problems {
		j.imp.AddError(p)
	}
	j.seq++
	j.pending = append(j.pending, importview.ReportRow{Seq: j.seq, Row: row, Cells: cells, Problems: problems})
}

// storeReport stores the error report's pending rows; rows it could not store wait for the next
// save (up to maxPending).
func (j *job) storeReport(ctx context.Context) {
	if len(j.pending) == 0 {
		return
	}
	if err := importview.New(j.rn.d.DB).AddReportRows(ctx, j.imp.ID, j.pending); err != nil {
		if len(j.pending) < maxPending {
			j.rn.d.Logger.Warn("store import error report", "import_id", j.imp.ID, "error", err)
			return
		}
		j.rn.d.Logger.Error("import error report rows lost", "import_id", j.imp.ID, "rows", len(j.pending), "error", err)
	}
	clear(j.pending)
	j.pending = j.pending[:0]
}

// save stores the error report so far, then the import's progress: a reader who sees the counts
// finds their rows in the report.
func (j *job) save(ctx context.Context) {
	j.storeReport(ctx)
	imp := j.imp
	slices.SortStableFunc(imp.Errors, func(a, b importview.ImportError) int { return a.Row - b.Row })
	imp.UpdatedAt = j.rn.d.Clock()
	j.saved = time.Now()
	if err := importview.New(j.rn.d.DB).SaveImport(ctx, imp); err != nil {
		j.rn.d.Logger.Warn("save import progress", "import_id", imp.ID, "error", err)
	}
}

// process reads the file twice: once to count its rows (so progress has a total), then to
// import them in batches.
func (j *job) process(ctx context.Context) error {
	src, err := j.open()
	if err != nil {
		return err
	}
	defer src.Close()
	var imp importer
	switch j.imp.Type {
	case "customers":
		imp = j.customers()
	case "leads":
		imp = j.leads()
	case "contacts":
		imp = j.contacts()
	case "products":
		imp = j.products()
	default:
		return &AbortError{"unknown import type " + j.imp.Type}
	}
	total, err := countRows(src)
	if err != nil {
		return err
	}
	j.imp.Total = total
	j.save(ctx)
	rows, err := src.Rows()
	if err != nil {
		return err
	}
	j.rows = imp
	defer rows.Close()
	headerSeen := false
	for {
		row, cells, ok := rows.Next()
		if !ok {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if blank(cells) {
			continue
		}
		if !headerSeen {
			headerSeen = true
			// The header gives the error report its columns; its problems are one report row.
			j.pending = append(j.pending, importview.ReportRow{Seq: importview.HeaderSeq, Row: row, Cells: cells})
			problems, err := imp.header(cells, row)
			if len(problems) > 0 {
				j.report(row, nil, problems...)
			}
			if err != nil {
				return err
			}
			continue
		}
		if err := imp.add(ctx, j, row, cells); err != nil {
			return err
		}
		if time.Since(j.saved) > heartbeat {
			j.save(ctx)
		} else if len(j.pending) >= reportBatch {
			j.storeReport(ctx)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if !headerSeen {
		return &FileError{Msg: "the file has no rows"}
	}
	return imp.flush(ctx, j)
}

func countRows(src Table) (int64, error) {
	rows, err := src.Rows()
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for {
		_, cells, ok := rows.Next()
		if !ok {
			break
		}
		if !blank(cells) {
			n++
		}
		if n > MaxRows+1 { // the header is not a data row
			return 0, &FileError{Msg: fmt.Sprintf("the file has more than %d rows; split it into files of at most %d rows; nothing was imported", MaxRows, MaxRows)}
		}
	}
	if n > 0 {
		n-- // the header
	}
	return n, rows.Err()
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
