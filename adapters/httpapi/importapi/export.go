package importapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	"github.com/chronicle-crm/chronicle/domain/audit"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// ExportPage is the page size an export reads its search in.
const ExportPage = 500

// ExportFormat reads ?format=csv|xlsx (default csv).
func ExportFormat(p *httpkit.ParamReader) string {
	switch f := p.Str("format"); f {
	case "", tabular.CSV:
		return tabular.CSV
	case tabular.XLSX:
		return tabular.XLSX
	default:
		p.Fail("format", "must be csv or xlsx; got %q", f)
		return ""
	}
}

// Export is a search written as a file with a module's columns: the first page, then every
// page after it. The first page is fetched (and prepared) before anything is written, so a bad
// query still gets a problem document; a failure later aborts the response (the client sees a
// broken download, never a silently short file). CSV goes to the client page by page, XLSX rows
// go to excelize's stream writer (which keeps them on disk beyond 16 MiB) and the workbook is
// sent at the end.
//
// Every export is audited: audit.exported.v1 names the actor, the list (Spec.Name), the format,
// the query string (the filter; the data scope applies besides) and the rows written. It is
// recorded once the last page has been read and before that page is written, so a file is never
// complete without its entry; when it cannot be recorded the download is broken off. An export
// that ends early (the client hung up, a read failed) after writing rows is recorded with those
// rows and incomplete: true.
type Export[T, R any] struct {
	Kit    *httpkit.Kit
	Format string
	Spec   *tabular.Spec[T, R]
	Names  tabular.Names
	First  readmodels.Page[R]
	Next   func(ctx context.Context, cursor string) (readmodels.Page[R], error)
}

// Reply is the export's answer.
func (e Export[T, R]) Reply(context.Context) (httpkit.Reply, error) {
	return httpkit.Stream(e.write), nil
}

func (e Export[T, R]) write(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	stamp := e.Kit.Clock().In(tabular.Zone).Format("20060102-150405")
	file, zhFile := e.Spec.Name+"-"+stamp+"."+e.Format, e.Spec.Title+"-"+stamp+"."+e.Format
	ct := "text/csv; charset=utf-8"
	if e.Format == tabular.XLSX {
		ct = tabular.MimeXLSX
	}
	var rows int64
	recorded := false
	record := func(ctx context.Context, n int64, incomplete bool) error {
		recorded = true
		if e.Kit.Audit == nil {
			return errors.New("export: no auditor")
		}
		m, err := httpkit.Meta(r)
		if err != nil {
			return err
		}
		_, err = e.Kit.Audit.Exported(ctx, m, audit.Exported{Resource: e.Spec.Name, Format: e.Format, Query: r.URL.RawQuery,
			Rows: n, Incomplete: incomplete})
		return err
	}
	abort := func(err error) {
		if !recorded && rows > 0 {
			// What was sent is recorded even when the client is gone.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if aerr := record(actx, rows, true); aerr != nil {
				e.Kit.Logger.Error("export audit failed", "export", e.Spec.Name, "request_id", httpkit.RequestID(ctx), "error", aerr)
			}
			cancel()
		}
		e.Kit.Logger.Error("export failed", "export", e.Spec.Name, "request_id", httpkit.RequestID(ctx), "error", err)
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, file, url.PathEscape(zhFile)))
	w.Header().Set("X-Total-Count", strconv.FormatInt(e.First.Total, 10))
	w.Header().Set("Cache-Control", "no-store")
	sw, err := tabular.NewWriter(e.Format, w, e.Spec.Title)
	if err != nil {
		abort(err)
	}
	if err := sw.Write(e.Spec.Headers()); err != nil {
		abort(err)
	}
	page := e.First
	totals := e.Spec.Totals()
	for {
		if page.NextCursor == "" {
			if err := record(ctx, rows+int64(len(page.Items)), false); err != nil {
				abort(err)
			}
		}
		for _, item := range page.Items {
			row := e.Spec.Row(item, e.Names)
			if err := sw.Write(row); err != nil {
				abort(err)
			}
			rows++
			if totals != nil {
				if err := totals.Add(row); err != nil {
					abort(err)
				}
			}
		}
		if err := sw.Flush(); err != nil {
			abort(err)
		}
		if f, ok := w.(http.Flusher); ok && e.Format == tabular.CSV {
			f.Flush()
		}
		if page.NextCursor == "" {
			break
		}
		if page, err = e.Next(ctx, page.NextCursor); err != nil {
			abort(err)
		}
	}
	if totals != nil {
		if err := sw.Write(totals.Row(len(e.Spec.Columns))); err != nil {
			abort(err)
		}
	}
	if err := sw.Close(); err != nil {
		abort(err)
	}
}
