package dataimport

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/commands/productcmd"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
)

// importer turns rows of one record type into command batches.
type importer interface {
	header(cells []string, row int) ([]importview.ImportError, error)
	add(ctx context.Context, j *job, row int, cells []string) error
	flush(ctx context.Context, j *job) error
	// abandon reports the rows waiting for a batch as not imported (the import stopped).
	abandon(j *job)
}

// rowImporter is the importer of records of type T (the row form) that become C (the command
// form).
type rowImporter[T, C any] struct {
	reader Reader[T]
	// validate reports every domain problem of a row that already failed to parse, so the row's
	// errors come in one report.
	validate func(*T) error
	// resolve turns a parsed row into its command form and record id (contacts look their
	// customer up here); an error fails the row.
	resolve func(ctx context.Context, t *T) (C, uuid.UUID, error)
	// check looks at a batch before it is written (the customer duplicate check); it returns an
	// error per row, nil for rows that pass.
	check func(ctx context.Context, batch []C, ids []uuid.UUID) ([]error, error)
	write func(ctx context.Context, batch []C) ([]commands.ImportResult, error)
	// conflict is the error of a row that names the same record as an earlier row of the file
	// (prev) with other values; nil: a generic one on "row".
	conflict func(prev int) error

	seen  map[uuid.UUID]seenRow // records of this file so far: duplicates within the file
	batch []C
	ids   []uuid.UUID
	rows  []fileRow
}

// fileRow is a row of the file waiting in a batch: its number and cells (for the error report).
type fileRow struct {
	n     int
	cells []string
}

type seenRow struct {
	row         int
	fingerprint [sha256.Size]byte // of the row's command: an identical repeat is skipped
}

func (ri *rowImporter[T, C]) header(cells []string, row int) ([]importview.ImportError, error) {
	problems, err := ri.reader.Header(cells, row)
	ri.seen = map[uuid.UUID]seenRow{}
	return problems, err
}

func (ri *rowImporter[T, C]) add(ctx context.Context, j *job, n int, cells []string) error {
	row := fileRow{n: n, cells: cells}
	t, errs := ri.reader.Row(cells)
	if len(errs) > 0 {
		if ri.validate != nil {
			errs = append(errs, ri.validate(&t))
		}
		return j.rowFailed(row, errors.Join(errs...))
	}
	cmd, id, err := ri.resolve(ctx, &t)
	if err != nil {
		if err := j.rowFailed(row, err); err != nil {
			return j.stopped([]fileRow{row}, err)
		}
		return nil
	}
	b, _ := json.Marshal(cmd)
	fp := sha256.Sum256(b)
	if prev, ok := ri.seen[id]; ok {
		if prev.fingerprint == fp {
			j.imp.Skipped++
			return nil
		}
		if ri.conflict != nil {
			return j.rowFailed(row, ri.conflict(prev.row))
		}
		return j.rowFailed(row, &field.Error{Field: "row", Message: fmt.Sprintf("names the same record as row %d with different values", prev.row)})
	}
	ri.seen[id] = seenRow{row: n, fingerprint: fp}
	ri.batch, ri.ids, ri.rows = append(ri.batch, cmd), append(ri.ids, id), append(ri.rows, row)
	if len(ri.batch) >= batchSize {
		return ri.flush(ctx, j)
	}
	return nil
}

func (ri *rowImporter[T, C]) flush(ctx context.Context, j *job) error {
	defer func() { ri.batch, ri.ids, ri.rows = ri.batch[:0], ri.ids[:0], ri.rows[:0] }()
	if len(ri.batch) == 0 {
		j.save(ctx)
		return nil
	}
	batch, rows, ids := ri.batch, ri.rows, ri.ids
	// A failed row is forgotten, so a later identical row fails the same way instead of being
	// counted as skipped.
	failed := func(i int, e error) error {
		delete(ri.seen, ids[i])
		return j.rowFailed(rows[i], e)
	}
	if ri.check != nil {
		errs, err := ri.check(ctx, batch, ids)
		if err != nil {
			return j.stopped(rows, err)
		}
		var keep []C
		var keepRows []fileRow
		var keepIDs []uuid.UUID
		for i, e := range errs {
			if e != nil {
				if err := failed(i, e); err != nil {
					return j.stopped(append(keepRows, rows[i:]...), err) // the rows kept so far were not written either
				}
				continue
			}
			keep, keepRows, keepIDs = append(keep, batch[i]), append(keepRows, rows[i]), append(keepIDs, ids[i])
		}
		batch, rows, ids = keep, keepRows, keepIDs
	}
	results, err := ri.write(ctx, batch)
	if err != nil {
		return j.stopped(rows, err)
	}
	// Every row of the batch is accounted for before an error that is not about a row stops
	// the import: the rows written are counted, the rows not written are named.
	var fatal error
	var notWritten []fileRow
	for i, res := range results {
		switch res.Status {
		case commands.ImportCreated:
			j.imp.Imported++
			j.imp.Position = max(j.imp.Position, res.Position)
		case commands.ImportUnchanged:
			j.imp.Skipped++
		default:
			if err := failed(i, res.Err); err != nil {
				fatal, notWritten = cmp.Or(fatal, err), append(notWritten, rows[i])
			}
		}
	}
	if fatal != nil {
		return j.stopped(notWritten, fatal)
	}
	j.save(ctx)
	return nil
}

func (ri *rowImporter[T, C]) abandon(j *job) {
	if len(ri.batch) > 0 {
		_ = j.stopped(ri.rows, nil)
		ri.batch, ri.ids, ri.rows = ri.batch[:0], ri.ids[:0], ri.rows[:0]
	}
}

// stopped records rows that were not written because of err, an error that is not about them
// (the database is gone), and answers the error that stops the import.
func (j *job) stopped(rows []fileRow, err error) error {
	for _, row := range rows {
		j.imp.Failed++
		j.report(row.n, row.cells, importview.ImportError{Row: row.n, Field: "row", Message: "not imported: the import stopped before this row was written"})
	}
	return &stopError{err: err}
}

// stopError is an error that stopped an import after its rows so far were accounted for.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// rowFailed records a row's errors; an error that is not about the row (the database is gone)
// stops the import instead.
func (j *job) rowFailed(row fileRow, err error) error {
	var out []importview.ImportError
	var fatal error
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if jn, ok := e.(interface{ Unwrap() []error }); ok {
			for _, inner := range jn.Unwrap() {
				walk(inner)
			}
			return
		}
		var fe *field.Error
		switch {
		case errors.As(e, &fe):
			for _, have := range out { // a field that failed to parse is not reported twice
				if have.Field == fe.Field {
					return
				}
			}
			out = append(out, importview.ImportError{Row: row.n, Field: fe.Field, Message: fe.Message})
		case errors.Is(e, commands.ErrImportConflict):
			out = append(out, importview.ImportError{Row: row.n, Field: "row", Message: e.Error()})
		case errors.Is(e, eventstore.ErrInvalidEvent):
			// The store refused this record's values (a check the import's own validation
			// missed): the row fails, the others go on.
			out = append(out, importview.ImportError{Row: row.n, Field: "row", Message: "the record could not be stored: " + e.Error()})
		case errors.Is(e, commands.ErrForbidden), errors.Is(e, commands.ErrNotFound):
			out = append(out, importview.ImportError{Row: row.n, Field: "row", Message: "you may not import this record: " + e.Error()})
		default:
			fatal = e
		}
	}
	walk(err)
	if fatal != nil || len(out) == 0 {
		return fmt.Errorf("row %d: %w", row.n, cmp.Or(fatal, err))
	}
	j.imp.Failed++
	j.report(row.n, row.cells, out...)
	return nil
}

func (j *job) options() commands.ImportOptions {
	return commands.ImportOptions{DryRun: j.imp.DryRun, Workers: workers}
}

func (j *job) customers() importer {
	d := j.rn.d
	return &rowImporter[customercmd.ImportRow, customercmd.ImportRow]{
		reader:   d.Readers.Customers(),
		validate: func(c *customercmd.ImportRow) error { return c.Fields.Validate() },
		resolve: func(_ context.Context, c *customercmd.ImportRow) (customercmd.ImportRow, uuid.UUID, error) {
			return *c, customercmd.ImportID(c.Fields.Name), nil
		},
		check: func(ctx context.Context, batch []customercmd.ImportRow, ids []uuid.UUID) ([]error, error) {
			names := make([]string, len(batch))
			for i, c := range batch {
				names[i] = c.Fields.Name
			}
			existing, err := customerview.New(d.DB).CustomersWithNormalizedNames(ctx, names)
			if err != nil {
				return nil, err
			}
			out := make([]error, len(batch))
			for i := range batch {
				for _, other := range existing[i] {
					if other != ids[i] {
						out[i] = &field.Error{Field: "name", Message: "a customer with this name already exists (" + other.String() + ")"}
						break
					}
				}
			}
			return out, nil
		},
		write: func(ctx context.Context, batch []customercmd.ImportRow) ([]commands.ImportResult, error) {
			return d.Customers.Import(ctx, j.meta, batch, j.options())
		},
	}
}

func (j *job) leads() importer {
	d := j.rn.d
	return &rowImporter[leadcmd.ImportRow, leadcmd.ImportRow]{
		reader:   d.Readers.Leads(),
		validate: func(l *leadcmd.ImportRow) error { return l.Fields.Validate() },
		resolve: func(_ context.Context, l *leadcmd.ImportRow) (leadcmd.ImportRow, uuid.UUID, error) {
			f := l.Fields
			return *l, leadcmd.ImportID(f.Name, f.Company, f.Mobile, f.Phone), nil
		},
		write: func(ctx context.Context, batch []leadcmd.ImportRow) ([]commands.ImportResult, error) {
			return d.Leads.Import(ctx, j.meta, batch, j.options())
		},
	}
}

func (j *job) contacts() importer {
	d := j.rn.d
	scope := customerview.ScopeFor(j.meta.Actor)
	byName := map[string]uuid.UUID{}
	byNameErr := map[string]error{}
	return &rowImporter[ContactRow, customercmd.ImportContactRow]{
		reader:   d.Readers.Contacts(),
		validate: func(c *ContactRow) error { return c.Fields.Validate() },
		resolve: func(ctx context.Context, c *ContactRow) (customercmd.ImportContactRow, uuid.UUID, error) {
			if c.CustomerID == uuid.Nil {
				name := strings.TrimSpace(c.CustomerName)
				if name == "" {
					return customercmd.ImportContactRow{}, uuid.Nil, errors.Join(&field.Error{Field: "customer", Message: "is required"}, c.Fields.Validate())
				}
				if err, ok := byNameErr[name]; ok {
					return customercmd.ImportContactRow{}, uuid.Nil, err
				}
				id, ok := byName[name]
				if !ok {
					found, err := customerview.New(d.DB).CustomersNamed(ctx, scope, name, 2)
					switch {
					case err != nil:
						return customercmd.ImportContactRow{}, uuid.Nil, err
					case len(found) == 0:
						err = field.Errorf("customer", "no customer named %q that you can see", name)
					case len(found) > 1:
						err = field.Errorf("customer", "more than one customer is named %q; give customerId", name)
					}
					if err != nil {
						byNameErr[name] = err
						return customercmd.ImportContactRow{}, uuid.Nil, err
					}
					id, byName[name] = found[0], found[0]
				}
				c.CustomerID = id
			}
			return customercmd.ImportContactRow{CustomerID: c.CustomerID, Fields: c.Fields}, customercmd.ContactImportID(c.CustomerID, c.Fields.Name, c.Fields.Mobile), nil
		},
		write: func(ctx context.Context, batch []customercmd.ImportContactRow) ([]commands.ImportResult, error) {
			return d.Contacts.Import(ctx, j.meta, batch, j.options())
		},
	}
}

func (j *job) products() importer {
	d := j.rn.d
	return &rowImporter[productcmd.ImportRow, productcmd.ImportRow]{
		reader: d.Readers.Products(),
		resolve: func(_ context.Context, p *productcmd.ImportRow) (productcmd.ImportRow, uuid.UUID, error) {
			if strings.TrimSpace(p.Fields.Code) == "" {
				// Rows are told apart by their codes: a row without one is refused here.
				return productcmd.ImportRow{}, uuid.Nil, &field.Error{Field: "code", Message: "is required", Code: "required"}
			}
			return *p, productcmd.ImportID(p.Fields.Code), nil
		},
		conflict: func(prev int) error {
			return &field.Error{Field: "code", Message: fmt.Sprintf("row %d has the same code with other values", prev), Code: "duplicate_code"}
		},
		write: func(ctx context.Context, batch []productcmd.ImportRow) ([]commands.ImportResult, error) {
			return d.Products.Import(ctx, j.meta, batch, j.options())
		},
	}
}
