package importapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/dataimport"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// Imports: POST /api/v1/imports?type=customers|leads|contacts|products&dryRun=true with a CSV or XLSX
// file answers 202 with the import's id at once; the file is processed in the background and
// GET /api/v1/imports/{id} reports its progress.

// MaxImportBody is the largest file an import accepts (50 MiB).
const MaxImportBody = 50 << 20

// importPermission is what starting an import of a type requires.
func importPermission(kind string) (string, error) {
	switch kind {
	case "customers", "contacts":
		return role.CustomersImport, nil
	case "leads":
		return role.LeadsImport, nil
	case "products":
		return role.ProductsManage, nil
	}
	return "", httpkit.Invalid("type", "must be leads, customers, contacts or products; got %q", kind)
}

func (a api) start(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	kind := p.Str("type")
	perm, err := importPermission(kind)
	dryRun := false
	if err == nil {
		if b := p.Bool("dryRun"); b != nil {
			dryRun = *b
		}
		err = p.Err()
	}
	if err == nil && !httpkit.ActorOf(r.Context()).Can(perm) {
		err = commands.ErrForbidden
	}
	var up upload
	if err == nil {
		up, err = readUpload(r, p.Str("format"))
	}
	m, merr := httpkit.Meta(r)
	if err == nil {
		err = merr
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	accepted, err := a.Imports.Start(r.Context(), dataimport.Request{Type: kind, DryRun: dryRun, FileName: up.name, Meta: m,
		Open: func() (dataimport.Table, error) { return tabular.Open(up.format, up.data) }})
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.JSON(http.StatusAccepted, accepted).With("Location", "/api/v1/imports/"+accepted.ID.String()), nil
}

// upload is a file sent to an import.
type upload struct {
	name, format string
	data         []byte
}

func malformedUpload(detail string) error {
	return httpkit.Fail(http.StatusBadRequest, "malformed_upload", detail)
}

func unsupported(detail string) error {
	return httpkit.Fail(http.StatusUnsupportedMediaType, "unsupported_media_type", detail)
}

// readUpload reads the file from the body (text/csv, XLSX) or from the multipart field "file",
// at most MaxImportBody bytes.
func readUpload(r *http.Request, format string) (upload, error) {
	var up upload
	switch format {
	case "", tabular.CSV, tabular.XLSX:
	default:
		return up, httpkit.Invalid("format", "must be csv or xlsx; got %q", format)
	}
	body := httpkit.LimitedBody(r, MaxImportBody)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var src io.Reader = body
	typeHint := mt
	if mt == "multipart/form-data" {
		if params["boundary"] == "" {
			return up, malformedUpload("multipart body without a boundary")
		}
		mr, err := r.MultipartReader()
		if err != nil {
			return up, malformedUpload("cannot read the multipart body: " + err.Error())
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				if httpkit.TooLarge(err) {
					return up, httpkit.BodyTooLarge("file", MaxImportBody)
				}
				return up, malformedUpload("the multipart body has no field \"file\"")
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
		if httpkit.TooLarge(err) {
			return up, httpkit.BodyTooLarge("file", MaxImportBody)
		}
		return up, malformedUpload("could not read the file: " + err.Error())
	}
	if len(data) == 0 {
		return up, httpkit.Fail(http.StatusBadRequest, "empty_file", "the file is empty")
	}
	up.data = data
	switch {
	case format != "":
		up.format = format
	case strings.HasSuffix(strings.ToLower(up.name), ".xlsx") || typeHint == tabular.MimeXLSX:
		up.format = tabular.XLSX
	case strings.HasSuffix(strings.ToLower(up.name), ".csv") || typeHint == "text/csv" || typeHint == "application/csv" ||
		typeHint == "text/comma-separated-values" || typeHint == "text/plain" || typeHint == "text/tab-separated-values":
		up.format = tabular.CSV
	case typeHint == "" || typeHint == "application/octet-stream" || typeHint == "application/vnd.ms-excel":
		// Browsers send .csv files as application/vnd.ms-excel on some systems: look at the bytes.
		f, err := tabular.Sniff(data)
		if err != nil {
			return up, unsupported(err.Error())
		}
		up.format = f
	default:
		return up, unsupported("send the file as text/csv or " + tabular.MimeXLSX + " (or in the multipart field \"file\")")
	}
	if up.format == tabular.XLSX && !strings.HasPrefix(string(data[:min(len(data), 4)]), "PK\x03\x04") {
		return up, unsupported("the file is not an XLSX workbook")
	}
	if up.format == tabular.XLSX {
		// A decompression bomb is refused here, from the zip directory, before anything is unpacked.
		var tooLarge *tabular.TooLargeError
		var fe *dataimport.FileError
		switch _, err := tabular.CheckXLSX(data); {
		case errors.As(err, &tooLarge):
			return up, httpkit.Fail(http.StatusRequestEntityTooLarge, "unpacked_too_large", tooLarge.Error())
		case errors.As(err, &fe):
			return up, httpkit.Fail(http.StatusUnprocessableEntity, "unreadable_file", fe.Msg)
		case err != nil:
			return up, err
		}
	}
	return up, nil
}
