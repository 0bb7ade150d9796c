package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
)

// Imports: POST /api/v1/imports?type=customers|leads|contacts&dryRun=true with a CSV or XLSX
// file answers 202 with the import's id at once; the file is processed in the background and
// GET /api/v1/imports/{id} reports its progress. Rows become records through the commands'
// batched, idempotent import (see commands/imports.go), so a row is imported whole or not at
// all, and importing a file again creates nothing new.

// MaxImportBody is the largest file an import accepts (50 MiB).
const MaxImportBody = 50 << 20

const (
	importBatch     = 500              // rows per command batch and progress update
	importHeartbeat = 2 * time.Second  // progress is saved at least this often while rows are read
	importStale     = 10 * time.Minute // a running import without progress for this long was interrupted
	importWorkers   = 2                // concurrent appends per import
)

// importRoutes registers imports and exports. routes() calls it before the record routes, so
// that /customers/export is not taken for /customers/{id}.
func (s *Server) importRoutes(a func(path string, h http.HandlerFunc, method string)) {
	// Not behind the idempotency middleware: it would read the body with the 1 MiB JSON limit.
	// Importing a file twice creates no records twice anyway.
	s.router.Handle("/api/v1/imports", s.authenticate(http.HandlerFunc(s.startImport))).Methods(http.MethodPost)
	a("/imports/{id}", s.getImport, http.MethodGet)
	a("/customers/export", s.exportCustomers, http.MethodGet)
	a("/leads/export", s.exportLeads, http.MethodGet)
	a("/contacts/export", s.exportContacts, http.MethodGet)
}

// importPermission is what starting an import of a type requires.
func importPermission(kind string) (string, error) {
	switch kind {
	case "customers", "contacts":
		return role.CustomersImport, nil
	case "leads":
		return role.LeadsImport, nil
	}
	return "", invalid("type", "must be leads, customers or contacts; got %q", kind)
}

func (s *Server) startImport(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	kind := v.Get("type")
	perm, err := importPermission(kind)
	dryRun := false
	if d := v.Get("dryRun"); d != "" && err == nil {
		if dryRun, err = strconv.ParseBool(d); err != nil {
			err = invalid("dryRun", "must be true or false")
		}
	}
	actor := actorOf(r.Context())
	if err == nil && !actor.Can(perm) {
		err = commands.ErrForbidden
	}
	var up upload
	if err == nil {
		up, err = readUpload(w, r, v.Get("format"))
	}
	m, merr := s.meta(r)
	if err == nil {
		err = merr
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	now := s.Clock()
	imp := &importview.Import{ID: uuid.Must(uuid.NewV7()), Type: kind, DryRun: dryRun, State: importview.ImportQueued, FileName: up.name,
		Errors: []importview.ImportError{}, ActorID: actor.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.ImportViews.CreateImport(r.Context(), imp); err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	m.CorrelationID = imp.ID.String() // every event of the import shares it
	accepted := *imp                  // the job changes imp from now on
	job := &importJob{s: s, imp: imp, meta: m, format: up.format, data: up.data}
	go job.run(context.WithoutCancel(r.Context()))
	w.Header().Set("Location", "/api/v1/imports/"+imp.ID.String())
	writeJSON(w, http.StatusAccepted, accepted)
}

// upload is a file sent to an import.
type upload struct {
	name, format string
	data         []byte
}

// readUpload reads the file from the body (text/csv, XLSX) or from the multipart field "file",
// at most MaxImportBody bytes.
func readUpload(w http.ResponseWriter, r *http.Request, format string) (upload, error) {
	var up upload
	switch format {
	case "", formatCSV, formatXLSX:
	default:
		return up, invalid("format", "must be csv or xlsx; got %q", format)
	}
	body := http.MaxBytesReader(w, r.Body, MaxImportBody)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var src io.Reader = body
	typeHint := mt
	if mt == "multipart/form-data" {
		if params["boundary"] == "" {
			return up, &badRequest{status: http.StatusBadRequest, code: "malformed_upload", detail: "multipart body without a boundary"}
		}
		mr, err := r.MultipartReader()
		if err != nil {
			return up, &badRequest{status: http.StatusBadRequest, code: "malformed_upload", detail: "cannot read the multipart body: " + err.Error()}
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				if tooLarge(err) {
					return up, bodyTooLarge()
				}
				return up, &badRequest{status: http.StatusBadRequest, code: "malformed_upload", detail: "the multipart body has no field \"file\""}
			}
			if p.FormName() == "file" {
				src, up.name = p, path.Base(p.FileName())
				typeHint, _, _ = mime.ParseMediaType(p.Header.Get("Content-Type"))
				break
			}
		}
	}
	data, err := io.ReadAll(src)
	if err != nil {
		if tooLarge(err) {
			return up, bodyTooLarge()
		}
		return up, &badRequest{status: http.StatusBadRequest, code: "malformed_upload", detail: "could not read the file: " + err.Error()}
	}
	if len(data) == 0 {
		return up, &badRequest{status: http.StatusBadRequest, code: "empty_file", detail: "the file is empty"}
	}
	up.data = data
	switch {
	case format != "":
		up.format = format
	case strings.HasSuffix(strings.ToLower(up.name), ".xlsx") || typeHint == mimeXLSX:
		up.format = formatXLSX
	case strings.HasSuffix(strings.ToLower(up.name), ".csv") || typeHint == "text/csv" || typeHint == "application/csv" ||
		typeHint == "text/comma-separated-values" || typeHint == "text/plain" || typeHint == "text/tab-separated-values":
		up.format = formatCSV
	case typeHint == "" || typeHint == "application/octet-stream" || typeHint == "application/vnd.ms-excel":
		// Browsers send .csv files as application/vnd.ms-excel on some systems: look at the bytes.
		f, err := sniffFormat(data)
		if err != nil {
			return up, &badRequest{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", detail: err.Error()}
		}
		up.format = f
	default:
		return up, &badRequest{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			detail: "send the file as text/csv or " + mimeXLSX + " (or in the multipart field \"file\")"}
	}
	if up.format == formatXLSX && !strings.HasPrefix(string(data[:min(len(data), 4)]), "PK\x03\x04") {
		return up, &badRequest{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", detail: "the file is not an XLSX workbook"}
	}
	return up, nil
}

func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

func bodyTooLarge() error {
	return &badRequest{status: http.StatusRequestEntityTooLarge, code: "body_too_large", detail: fmt.Sprintf("the file is larger than %d bytes", MaxImportBody)}
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var imp *importview.Import
	if err == nil {
		imp, err = s.ImportViews.GetImport(r.Context(), actorOf(r.Context()).ID, id)
	}
	if err != nil {
		writeProblem(w, r, s.Logger, err)
		return
	}
	if (imp.State == importview.ImportQueued || imp.State == importview.ImportRunning) && s.Clock().Sub(imp.UpdatedAt) > importStale {
		// The process that ran it stopped; re-running the import finishes it (rows already imported are skipped).
		imp.State, imp.Detail = importview.ImportFailed, "interrupted: the server stopped while importing; import the file again to finish"
		now := s.Clock()
		imp.UpdatedAt, imp.FinishedAt = now, &now
		if err := s.ImportViews.SaveImport(r.Context(), imp); err != nil {
			s.Logger.Warn("mark import interrupted", "import_id", imp.ID, "error", err)
		}
	}
	writeJSON(w, http.StatusOK, imp)
}

// importJob runs one import in the background.
type importJob struct {
	s      *Server
	imp    *importview.Import
	meta   commands.Meta
	format string
	data   []byte
	saved  time.Time
}

// errAbort stops an import; the import's detail says why.
type errAbort struct{ msg string }

func (e *errAbort) Error() string { return e.msg }

func (j *importJob) run(ctx context.Context) {
	imp, log := j.imp, j.s.Logger
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			log.Error("import panicked", "import_id", imp.ID, "panic", fmt.Sprint(v))
			j.finish(ctx, &errAbort{"internal error; it has been logged"})
		}
	}()
	imp.State = importview.ImportRunning
	j.save(ctx)
	err := j.process(ctx)
	j.data = nil
	j.finish(ctx, err)
	log.Info("import finished", "import_id", imp.ID, "type", imp.Type, "dry_run", imp.DryRun, "state", imp.State, "total", imp.Total,
		"imported", imp.Imported, "skipped", imp.Skipped, "failed", imp.Failed, "seconds", time.Since(start).Seconds())
}

func (j *importJob) finish(ctx context.Context, err error) {
	imp := j.imp
	imp.State = importview.ImportDone
	if err != nil {
		imp.State = importview.ImportFailed
		var fe *fileError
		var ab *errAbort
		switch {
		case errors.As(err, &fe):
			imp.Detail = fe.msg
			imp.AddError(importview.ImportError{Row: 0, Field: "file", Message: fe.msg})
		case errors.As(err, &ab):
			imp.Detail = ab.msg
		default:
			j.s.Logger.Error("import failed", "import_id", imp.ID, "error", err)
			imp.Detail = "the import stopped after an internal error; import the file again to finish it (imported rows are skipped)"
		}
	}
	now := j.s.Clock()
	imp.FinishedAt = &now
	j.save(ctx)
}

func (j *importJob) save(ctx context.Context) {
	imp := j.imp
	slices.SortStableFunc(imp.Errors, func(a, b importview.ImportError) int { return a.Row - b.Row })
	imp.UpdatedAt = j.s.Clock()
	j.saved = time.Now()
	if err := j.s.ImportViews.SaveImport(ctx, imp); err != nil {
		j.s.Logger.Warn("save import progress", "import_id", imp.ID, "error", err)
	}
}

// process reads the file twice: once to count its rows (so progress has a total), then to
// import them in batches.
func (j *importJob) process(ctx context.Context) error {
	src, err := openTable(j.format, j.data)
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
	}
	total, err := countRows(src)
	if err != nil {
		return err
	}
	j.imp.Total = total
	j.save(ctx)
	rows, err := src.rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	headerSeen := false
	for {
		row, cells, ok := rows.next()
		if !ok {
			break
		}
		if blank(cells) {
			continue
		}
		if !headerSeen {
			headerSeen = true
			problems, err := imp.header(cells, row)
			for _, p := range problems {
				j.imp.AddError(p)
			}
			if err != nil {
				return err
			}
			continue
		}
		if err := imp.add(ctx, j, row, cells); err != nil {
			return err
		}
		if time.Since(j.saved) > importHeartbeat {
			j.save(ctx)
		}
	}
	if err := rows.err(); err != nil {
		return err
	}
	if !headerSeen {
		return &fileError{"the file has no rows"}
	}
	return imp.flush(ctx, j)
}

func countRows(src tableSource) (int64, error) {
	rows, err := src.rows()
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for {
		_, cells, ok := rows.next()
		if !ok {
			break
		}
		if !blank(cells) {
			n++
		}
	}
	if n > 0 {
		n-- // the header
	}
	return n, rows.err()
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// importer turns rows of one record type into command batches.
type importer interface {
	header(cells []string, row int) ([]importview.ImportError, error)
	add(ctx context.Context, j *importJob, row int, cells []string) error
	flush(ctx context.Context, j *importJob) error
}

// rowImporter is the importer of records of type T (the row form) that become C (the command
// form).
type rowImporter[T, C any] struct {
	cols     []column[T]
	required []string // fields that must have a column
	mapping  []int    // file column -> index in cols, -1 ignored
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

	seen  map[uuid.UUID]seenRow // records of this file so far: duplicates within the file
	batch []C
	ids   []uuid.UUID
	rows  []int
}

type seenRow struct {
	row         int
	fingerprint [sha256.Size]byte // of the row's command: an identical repeat is skipped
}

func (ri *rowImporter[T, C]) header(cells []string, row int) ([]importview.ImportError, error) {
	byHeader := map[string]int{}
	for i, c := range ri.cols {
		for _, h := range c.headers {
			if _, dup := byHeader[headerKey(h)]; !dup {
				byHeader[headerKey(h)] = i
			}
		}
	}
	var problems []importview.ImportError
	ri.mapping = make([]int, len(cells))
	taken := map[int]string{}
	for j, h := range cells {
		ri.mapping[j] = -1
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		i, ok := byHeader[headerKey(h)]
		switch {
		case !ok:
			problems = append(problems, importview.ImportError{Row: row, Field: h, Message: "unknown column; ignored"})
		case taken[i] != "":
			problems = append(problems, importview.ImportError{Row: row, Field: h,
				Message: fmt.Sprintf("column %q already gives %s; ignored", taken[i], ri.cols[i].field)})
		default:
			taken[i] = h
			ri.mapping[j] = i
		}
	}
	for _, req := range ri.required {
		alts := strings.Split(req, "|")
		found := false
		for i, c := range ri.cols {
			if taken[i] != "" && slices.Contains(alts, c.field) {
				found = true
			}
		}
		if !found {
			var accepted []string
			for _, c := range ri.cols {
				if slices.Contains(alts, c.field) {
					accepted = append(accepted, c.headers...)
				}
			}
			msg := "the file has no " + strings.Join(alts, " or ") + " column (accepted headers: " + strings.Join(accepted, ", ") + ")"
			problems = append(problems, importview.ImportError{Row: row, Field: alts[0], Message: msg})
			return problems, &errAbort{msg}
		}
	}
	ri.seen = map[uuid.UUID]seenRow{}
	return problems, nil
}

func (ri *rowImporter[T, C]) add(ctx context.Context, j *importJob, row int, cells []string) error {
	var t T
	var errs []error
	for k, v := range cells {
		if k >= len(ri.mapping) || ri.mapping[k] < 0 {
			continue
		}
		c := ri.cols[ri.mapping[k]]
		if v = cleanCell(v); v == "" || c.set == nil {
			continue
		}
		if err := c.set(&t, v); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		if ri.validate != nil {
			errs = append(errs, ri.validate(&t))
		}
		return j.rowFailed(row, errors.Join(errs...))
	}
	cmd, id, err := ri.resolve(ctx, &t)
	if err != nil {
		return j.rowFailed(row, err)
	}
	b, _ := json.Marshal(cmd)
	fp := sha256.Sum256(b)
	if prev, ok := ri.seen[id]; ok {
		if prev.fingerprint == fp {
			j.imp.Skipped++
			return nil
		}
		return j.rowFailed(row, &field.Error{Field: "row", Message: fmt.Sprintf("names the same record as row %d with different values", prev.row)})
	}
	ri.seen[id] = seenRow{row: row, fingerprint: fp}
	ri.batch, ri.ids, ri.rows = append(ri.batch, cmd), append(ri.ids, id), append(ri.rows, row)
	if len(ri.batch) >= importBatch {
		return ri.flush(ctx, j)
	}
	return nil
}

func (ri *rowImporter[T, C]) flush(ctx context.Context, j *importJob) error {
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
			return err
		}
		var keep []C
		var keepRows []int
		var keepIDs []uuid.UUID
		for i, e := range errs {
			if e != nil {
				if err := failed(i, e); err != nil {
					return err
				}
				continue
			}
			keep, keepRows, keepIDs = append(keep, batch[i]), append(keepRows, rows[i]), append(keepIDs, ids[i])
		}
		batch, rows, ids = keep, keepRows, keepIDs
	}
	results, err := ri.write(ctx, batch)
	if err != nil {
		return err
	}
	for i, res := range results {
		switch res.Status {
		case commands.ImportCreated:
			j.imp.Imported++
			j.imp.Position = max(j.imp.Position, res.Position)
		case commands.ImportUnchanged:
			j.imp.Skipped++
		default:
			if err := failed(i, res.Err); err != nil {
				return err
			}
		}
	}
	j.save(ctx)
	return nil
}

// rowFailed records a row's errors; an error that is not about the row (the database is gone)
// stops the import instead.
func (j *importJob) rowFailed(row int, err error) error {
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
			out = append(out, importview.ImportError{Row: row, Field: fe.Field, Message: fe.Message})
		case errors.Is(e, commands.ErrImportConflict):
			out = append(out, importview.ImportError{Row: row, Field: "row", Message: e.Error()})
		case errors.Is(e, commands.ErrForbidden), errors.Is(e, commands.ErrNotFound):
			out = append(out, importview.ImportError{Row: row, Field: "row", Message: "you may not import this record: " + e.Error()})
		default:
			fatal = e
		}
	}
	walk(err)
	if fatal != nil || len(out) == 0 {
		return fmt.Errorf("row %d: %w", row, cmpOr(fatal, err))
	}
	j.imp.Failed++
	for _, e := range out {
		j.imp.AddError(e)
	}
	return nil
}

func cmpOr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (j *importJob) customers() importer {
	s := j.s
	return &rowImporter[customercmd.ImportRow, customercmd.ImportRow]{
		cols: customerColumns, required: []string{"name"},
		validate: func(c *customercmd.ImportRow) error { return c.Fields.Validate() },
		resolve: func(_ context.Context, c *customercmd.ImportRow) (customercmd.ImportRow, uuid.UUID, error) {
			return *c, customercmd.ImportID(c.Fields.Name), nil
		},
		check: func(ctx context.Context, batch []customercmd.ImportRow, ids []uuid.UUID) ([]error, error) {
			names := make([]string, len(batch))
			for i, c := range batch {
				names[i] = c.Fields.Name
			}
			existing, err := s.CustomerViews.CustomersWithNormalizedNames(ctx, names)
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
			return s.Customers.Import(ctx, j.meta, batch, commands.ImportOptions{DryRun: j.imp.DryRun, Workers: importWorkers})
		},
	}
}

func (j *importJob) leads() importer {
	s := j.s
	return &rowImporter[leadcmd.ImportRow, leadcmd.ImportRow]{
		cols: leadColumns, required: []string{"name"},
		validate: func(l *leadcmd.ImportRow) error { return l.Fields.Validate() },
		resolve: func(_ context.Context, l *leadcmd.ImportRow) (leadcmd.ImportRow, uuid.UUID, error) {
			f := l.Fields
			return *l, leadcmd.ImportID(f.Name, f.Company, f.Mobile, f.Phone), nil
		},
		write: func(ctx context.Context, batch []leadcmd.ImportRow) ([]commands.ImportResult, error) {
			return s.Leads.Import(ctx, j.meta, batch, commands.ImportOptions{DryRun: j.imp.DryRun, Workers: importWorkers})
		},
	}
}

func (j *importJob) contacts() importer {
	s := j.s
	scope := s.customerScope(j.meta.Actor)
	byName := map[string]uuid.UUID{}
	byNameErr := map[string]error{}
	return &rowImporter[contactRow, customercmd.ImportContactRow]{
		cols: contactColumns, required: []string{"name", "customer|customerId"},
		validate: func(c *contactRow) error { return c.fields.Validate() },
		resolve: func(ctx context.Context, c *contactRow) (customercmd.ImportContactRow, uuid.UUID, error) {
			if c.customerID == uuid.Nil {
				name := strings.TrimSpace(c.customerName)
				if name == "" {
					return customercmd.ImportContactRow{}, uuid.Nil, errors.Join(&field.Error{Field: "customer", Message: "is required"}, c.fields.Validate())
				}
				if err, ok := byNameErr[name]; ok {
					return customercmd.ImportContactRow{}, uuid.Nil, err
				}
				id, ok := byName[name]
				if !ok {
					found, err := s.CustomerViews.CustomersNamed(ctx, scope, name, 2)
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
				c.customerID = id
			}
			return customercmd.ImportContactRow{CustomerID: c.customerID, Fields: c.fields}, customercmd.ContactImportID(c.customerID, c.fields.Name, c.fields.Mobile), nil
		},
		write: func(ctx context.Context, batch []customercmd.ImportContactRow) ([]commands.ImportResult, error) {
			return s.Contacts.Import(ctx, j.meta, batch, commands.ImportOptions{DryRun: j.imp.DryRun, Workers: importWorkers})
		},
	}
}
