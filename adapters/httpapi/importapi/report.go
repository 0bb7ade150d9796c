package importapi

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
)

// The error report: GET /api/v1/imports/{id}/errors?format=csv|xlsx writes the stored report of
// an import the caller may read: a header row (行号, 错误, then the file's own headers) and one
// row per failing row of the file in file order: its row number, its problems, its cells as the
// file had them. So the report can be corrected and imported again (the two extra columns are
// reported as unknown and ignored). An import without errors answers the header row alone. The
// report is read a page at a time and streamed (CSV page by page; XLSX through excelize's stream
// writer), so its size does not bound the server's memory; CSV cells are defused against formula
// injection like every export.

// Report columns before the file's own.
const (
	reportRowHeader      = "行号"
	reportProblemsHeader = "错误"
)

func (a api) errorReport(r *http.Request) (httpkit.Reply, error) {
	id, err := httpkit.PathID(r)
	p := httpkit.Params(r.URL.Query())
	format := ExportFormat(p)
	if err == nil {
		err = p.Err()
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	ctx := r.Context()
	imp, err := a.ImportViews.GetImport(ctx, importview.ScopeFor(httpkit.ActorOf(ctx)), id, a.Kit.Clock())
	if err != nil {
		return httpkit.Reply{}, err
	}
	header, stored, err := a.ImportViews.ReportHeader(ctx, id)
	if err != nil {
		return httpkit.Reply{}, err
	}
	first, next, err := a.ImportViews.ReportRows(ctx, id, nil, importview.ReportPage)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if !stored && len(first) == 0 {
		first = legacyReport(imp.Errors) // an import from before reports were stored: its listed errors
	}
	return httpkit.Stream(func(w http.ResponseWriter, r *http.Request) {
		a.writeReport(w, r, imp, format, header, first, next)
	}), nil
}

func (a api) writeReport(w http.ResponseWriter, r *http.Request, imp *importview.Import, format string, header []string,
	page []importview.ReportRow, next *importview.ReportCursor) {
	ctx := r.Context()
	stem := strings.TrimSuffix(path.Base(imp.FileName), path.Ext(imp.FileName))
	if imp.FileName == "" || stem == "" || stem == "." {
		stem = "导入"
	}
	file := "import-errors-" + imp.ID.String()[:8] + "." + format
	zhFile := stem + "-错误报告." + format
	ct := "text/csv; charset=utf-8"
	if format == tabular.XLSX {
		ct = tabular.MimeXLSX
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, file, url.PathEscape(zhFile)))
	w.Header().Set("X-Failed-Rows", strconv.FormatInt(imp.Failed, 10))
	w.Header().Set("Cache-Control", "no-store")
	abort := func(err error) {
		a.Kit.Logger.Error("error report failed", "import_id", imp.ID, "request_id", httpkit.RequestID(ctx), "error", err)
		panic(http.ErrAbortHandler)
	}
	sw, err := tabular.NewWriter(format, w, "错误报告")
	if err != nil {
		abort(err)
	}
	if err := sw.Write(append([]string{reportRowHeader, reportProblemsHeader}, header...)); err != nil {
		abort(err)
	}
	for {
		for _, row := range page {
			if err := sw.Write(append([]string{strconv.Itoa(row.Row), problems(row.Problems)}, row.Cells...)); err != nil {
				abort(err)
			}
		}
		if err := sw.Flush(); err != nil {
			abort(err)
		}
		if f, ok := w.(http.Flusher); ok && format == tabular.CSV {
			f.Flush()
		}
		if next == nil {
			break
		}
		if page, next, err = a.ImportViews.ReportRows(ctx, imp.ID, next, importview.ReportPage); err != nil {
			abort(err)
		}
	}
	if err := sw.Close(); err != nil {
		abort(err)
	}
}

// problems is the 错误 cell of a row: each problem as "field: message" (the message alone for a
// problem of the whole row or file), one a line.
func problems(ps []importview.ImportError) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if p.Field == "row" || p.Field == "file" || p.Field == "" {
			out[i] = p.Message
		} else {
			out[i] = p.Field + ": " + p.Message
		}
	}
	return strings.Join(out, "\n")
}

// legacyReport is the report of an import whose rows were not stored (it ran before reports
// were): the errors listed with it, one row per row, without cells.
func legacyReport(errs []importview.ImportError) []importview.ReportRow {
	var out []importview.ReportRow
	for _, e := range errs {
		if n := len(out); n > 0 && out[n-1].Row == e.Row {
			out[n-1].Problems = append(out[n-1].Problems, e)
			continue
		}
		out = append(out, importview.ReportRow{Row: e.Row, Problems: []importview.ImportError{e}})
	}
	return out
}
