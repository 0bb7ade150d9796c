package auditapi

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/audit"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
)

// The export's formats, and the names of its files.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
	// ManifestFile is the manifest's name in a zip export.
	ManifestFile = "manifest.json"
)

// ExportPage is how many events one read of the export takes (a variable for the tests, which
// make pages small to cross many of them).
var ExportPage = 500

// DataFile is the data file's name for a format: export.jsonl or export.csv.
func DataFile(format string) string { return "export." + format }

// CSVHeader is the header row of export.csv.
var CSVHeader = []string{"position", "eventId", "streamId", "version", "type", "occurredAt", "actorId", "actorName", "command",
	"requestId", "clientAddr", "correlationId", "causationId", "data", "changes"}

// ExportRow is one event of the export: a line of export.jsonl, a row of export.csv (data and
// changes as JSON text there).
type ExportRow struct {
	Position      uint64          `json:"position"`
	EventID       string          `json:"eventId"`
	StreamID      string          `json:"streamId"`
	Version       int64           `json:"version"`
	Type          string          `json:"type"`
	OccurredAt    time.Time       `json:"occurredAt"`
	ActorID       string          `json:"actorId"`
	ActorName     string          `json:"actorName"`
	Command       string          `json:"command"`
	RequestID     string          `json:"requestId"`
	ClientAddr    string          `json:"clientAddr"`
	CorrelationID string          `json:"correlationId"`
	CausationID   string          `json:"causationId"`
	Data          json.RawMessage `json:"data"`
	// Changes are the fields the event changed on its record (null: an event of a kind of
	// stream whose changes are not computed).
	Changes []event.Change `json:"changes"`
}

// exportQuery is a parsed export request.
type exportQuery struct {
	format string
	q      auditview.Query
	filter auditchain.ExportFilter
}

// parseExport reads the export's parameters (422 validation_failed on a bad one).
func parseExport(r *http.Request, zone *time.Location) (exportQuery, error) {
	p := httpkit.Params(r.URL.Query())
	x := exportQuery{format: FormatJSONL}
	switch f := p.Str("format"); f {
	case "", FormatJSONL:
	case FormatCSV:
		x.format = FormatCSV
	default:
		p.Fail("format", "must be jsonl or csv; got %q", f)
	}
	from, to := bound(p, "from", zone, false), bound(p, "to", zone, true)
	if from != nil && to != nil && !from.Before(*to) {
		p.Fail("to", "must be after from")
	}
	x.q.From, x.q.To = from, to
	if from != nil {
		x.filter.From = from.Format(time.RFC3339Nano)
	}
	if to != nil {
		x.filter.To = to.Format(time.RFC3339Nano)
	}
	if id := p.UUID("actor"); id != nil {
		x.q.ActorID, x.filter.Actor = id.String(), id.String()
	}
	x.q.Type = p.Text("type", 200)
	x.filter.Type = x.q.Type
	stream := p.Text("stream", 200)
	x.filter.Stream = stream
	switch {
	case strings.HasSuffix(stream, "*"):
		x.q.StreamPrefix = strings.TrimSuffix(stream, "*")
	case strings.HasSuffix(stream, "-"):
		x.q.StreamPrefix = stream
	default:
		x.q.StreamID = stream
	}
	if strings.Contains(strings.TrimSuffix(stream, "*"), "*") {
		p.Fail("stream", "a * may only end a prefix")
	}
	return x, p.Err()
}

// bound reads from or to: an RFC 3339 time, or a date (2026-11-30) in zone; as to, a date is
// the end of that day (the export holds events before the next one).
func bound(p *httpkit.ParamReader, name string, zone *time.Location, end bool) *time.Time {
	s := p.Str(name)
	if s == "" {
		return nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, zone); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		d = d.UTC()
		return &d
	}
	t, err := httpkit.ParseTime(name, s)
	if err != nil {
		p.Fail(name, "must be an RFC 3339 time with offset (2026-11-22T09:30:00+08:00) or a date (2026-11-22); got %q", s)
		return nil
	}
	return &t
}

// export answers GET /audit/export.
func (d Deps) export(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.AuditRead, role.AuditExport); err != nil {
		return httpkit.Reply{}, err
	}
	zone := d.Zone
	if zone == nil {
		zone = time.UTC
	}
	x, err := parseExport(r, zone)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if d.Head == nil || d.Chain == nil || d.Key == nil || d.Kit.Audit == nil {
		return httpkit.Reply{}, fmt.Errorf("audit export: not wired")
	}
	ctx := r.Context()
	actor := httpkit.ActorOf(ctx)
	// The export is the log up to its head as it is now: the index must have reached it.
	head, err := d.Head(ctx)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if err := d.Kit.Await(ctx, head, auditview.Projection); err != nil {
		return httpkit.Reply{}, err
	}
	chain, err := d.Chain(ctx)
	if err != nil {
		return httpkit.Reply{}, err
	}
	key, err := d.Key()
	if err != nil {
		return httpkit.Reply{}, fmt.Errorf("audit export: the audit key: %w", err)
	}
	x.q.Scope = readmodels.ScopeOf(actor, false)
	x.q.Until, x.q.Limit = head, ExportPage
	var first readmodels.Page[auditview.Event]
	if head > 0 {
		// The first page is read before anything is written: a failure is still a problem document.
		if first, err = d.AuditViews.Search(ctx, x.q); err != nil {
			return httpkit.Reply{}, err
		}
	}
	e := &exporter{d: d, x: x, head: head, chain: chain, key: key, first: first, masked: !actor.Can(role.ContactDetailsReveal)}
	if d.Changes != nil {
		e.changes = d.Changes()
	}
	return httpkit.Stream(e.write), nil
}

// exporter writes one export.
type exporter struct {
	d       Deps
	x       exportQuery
	head    uint64
	chain   auditchain.ChainHead
	key     ed25519.PrivateKey
	first   readmodels.Page[auditview.Event]
	masked  bool
	changes *commands.FieldChanges
}

// write streams the export: the data file page by page (hashed as it is written), then the
// signed manifest. Like every export it is audited (audit.exported.v1, resource audit, the query
// string, the rows): recorded once the last page has been read and before it is written, so an
// export is never complete without its entry; an export that breaks off after writing rows is
// recorded with them and incomplete: true, and the download is broken off (no manifest: the
// client sees a broken file, never a signed short one).
func (e *exporter) write(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := e.d.Kit.Clock().UTC()
	var rows int64
	recorded := false
	record := func(ctx context.Context, n int64, incomplete bool) error {
		recorded = true
		m, err := httpkit.Meta(r)
		if err != nil {
			return err
		}
		_, err = e.d.Kit.Audit.Exported(ctx, m, audit.Exported{Resource: "audit", Format: e.x.format, Query: r.URL.RawQuery,
			Rows: n, Incomplete: incomplete})
		return err
	}
	abort := func(err error) {
		if !recorded && rows > 0 {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if aerr := record(actx, rows, true); aerr != nil {
				e.d.Kit.Logger.Error("audit export: audit failed", "request_id", httpkit.RequestID(ctx), "error", aerr)
			}
			cancel()
		}
		e.d.Kit.Logger.Error("audit export failed", "request_id", httpkit.RequestID(ctx), "error", err)
		panic(http.ErrAbortHandler)
	}
	name := "audit-export-" + now.Format("20060102-150405")
	sum := sha256.New()
	buf := bufio.NewWriterSize(w, 64<<10)
	var zw *zip.Writer
	var data io.Writer
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if e.x.format == FormatCSV {
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", `attachment; filename="`+name+`.zip"`)
		zw = zip.NewWriter(buf)
		f, err := zw.CreateHeader(&zip.FileHeader{Name: DataFile(FormatCSV), Method: zip.Deflate, Modified: now})
		if err != nil {
			abort(err)
		}
		data = io.MultiWriter(f, sum)
	} else {
		h.Set("Content-Type", "application/x-ndjson")
		h.Set("Content-Disposition", `attachment; filename="`+name+`.jsonl"`)
		data = io.MultiWriter(buf, sum)
	}
	rw, err := newRowWriter(e.x.format, data)
	if err != nil {
		abort(err)
	}
	var firstPos, lastPos uint64
	page := e.first
	for {
		last := page.NextCursor == ""
		if last {
			if err := record(ctx, rows+int64(len(page.Items)), false); err != nil {
				abort(err)
			}
		}
		for _, ev := range page.Items {
			row, err := e.row(ctx, ev)
			if err != nil {
				abort(err)
			}
			if err := rw.write(row); err != nil {
				abort(err)
			}
			rows++
			if firstPos == 0 {
				firstPos = ev.Position
			}
			lastPos = ev.Position
		}
		if err := rw.flush(); err != nil {
			abort(err)
		}
		if zw != nil {
			err = zw.Flush()
		}
		if err == nil {
			err = buf.Flush()
		}
		if err != nil {
			abort(err)
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if last {
			break
		}
		q := e.x.q
		q.Cursor = page.NextCursor
		if page, err = e.d.AuditViews.Search(ctx, q); err != nil {
			abort(err)
		}
	}
	m := auditchain.SignManifest(e.key, auditchain.Manifest{DataFile: DataFile(e.x.format), Format: e.x.format,
		SHA256: hashOf(sum), Rows: uint64(rows), Filter: e.x.filter,
		Positions: auditchain.ExportRange{First: firstPos, Last: lastPos, LogHead: e.head}, Chain: e.chain,
		ExportedBy: httpkit.ActorOf(ctx).ID.String(), Masked: e.masked}, e.d.Kit.Clock())
	if zw != nil {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: ManifestFile, Method: zip.Deflate, Modified: now})
		if err != nil {
			abort(err)
		}
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			abort(err)
		}
		if _, err := f.Write(append(b, '\n')); err != nil {
			abort(err)
		}
		if err := zw.Close(); err != nil {
			abort(err)
		}
	} else {
		b, err := json.Marshal(map[string]auditchain.Manifest{"manifest": m})
		if err != nil {
			abort(err)
		}
		if _, err := buf.Write(append(b, '\n')); err != nil {
			abort(err)
		}
	}
	if err := buf.Flush(); err != nil {
		abort(err)
	}
}

func hashOf(h hash.Hash) auditchain.Hash { return auditchain.Hash(h.Sum(nil)) }

// row is the export's row of an event: contact details masked as the operation log masks them,
// with the event's field changes.
func (e *exporter) row(ctx context.Context, ev auditview.Event) (ExportRow, error) {
	row := ExportRow{Position: ev.Position, EventID: ev.EventID, StreamID: ev.StreamID, Version: ev.Version, Type: ev.Type,
		OccurredAt: ev.OccurredAt, ActorID: ev.Actor.ID, ActorName: ev.Actor.Name, Command: ev.Metadata.Command,
		RequestID: ev.Metadata.RequestID, ClientAddr: ev.Metadata.ClientAddr, CorrelationID: ev.Metadata.CorrelationID,
		CausationID: ev.Metadata.CausationID, Data: ev.Data}
	if e.changes != nil {
		changes, ok, err := e.changes.Of(ctx, ev.StreamID, ev.Version)
		if err != nil && ctx.Err() != nil {
			return row, fmt.Errorf("audit export: the changes of %s version %d: %w", ev.StreamID, ev.Version, err)
		}
		if err != nil {
			// A stream that does not fold (an event the registry no longer decodes) leaves its
			// rows without changes rather than the export without its rest; the log says why.
			e.d.Kit.Logger.Warn("audit export: no field changes for a stream", "stream", ev.StreamID,
				"request_id", httpkit.RequestID(ctx), "error", err)
		}
		if ok {
			row.Changes = slices.Clone(changes) // masked below: the cache keeps the values
		}
	}
	if e.masked && slices.Contains(detailKinds, eventstore.StreamKind(ev.StreamID)) {
		row.Data = httpkit.MaskEventData(row.Data, httpkit.DetailNames...)
		httpkit.MaskChanges(row.Changes, httpkit.DetailNames...)
	}
	return row, nil
}

// rowWriter writes the rows of the data file.
type rowWriter struct {
	jsonl *json.Encoder
	csv   *csv.Writer
}

func newRowWriter(format string, w io.Writer) (*rowWriter, error) {
	if format != FormatCSV {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return &rowWriter{jsonl: enc}, nil
	}
	// The byte-order mark makes spreadsheets open UTF-8 (Chinese) text correctly.
	if _, err := w.Write([]byte{0xEF, 0xBB, 0xBF}); err != nil {
		return nil, err
	}
	rw := &rowWriter{csv: csv.NewWriter(w)}
	return rw, rw.csv.Write(CSVHeader)
}

func (rw *rowWriter) write(row ExportRow) error {
	if rw.jsonl != nil {
		return rw.jsonl.Encode(row) // one line: Encode ends it with \n, and JSON text holds no raw newline
	}
	changes := "null"
	if row.Changes != nil {
		b, err := json.Marshal(row.Changes)
		if err != nil {
			return err
		}
		changes = string(b)
	}
	cells := []string{strconv.FormatUint(row.Position, 10), row.EventID, row.StreamID, strconv.FormatInt(row.Version, 10), row.Type,
		row.OccurredAt.UTC().Format(time.RFC3339Nano), row.ActorID, row.ActorName, row.Command, row.RequestID, row.ClientAddr,
		row.CorrelationID, row.CausationID, string(row.Data), changes}
	for i, c := range cells {
		cells[i] = defuseFormula(c)
	}
	return rw.csv.Write(cells)
}

func (rw *rowWriter) flush() error {
	if rw.csv != nil {
		rw.csv.Flush()
		return rw.csv.Error()
	}
	return nil
}

// defuseFormula keeps a spreadsheet from running a cell as a formula (CSV injection), as the
// list exports do (tabular): text that starts with =, +, -, @, a tab or a carriage return gets a
// leading apostrophe. The manifest's hash is of the file as written, apostrophes included.
func defuseFormula(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
