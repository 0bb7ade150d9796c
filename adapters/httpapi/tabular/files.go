// Package tabular reads and writes spreadsheet files (CSV and XLSX) and holds one column
// specification per importable and exportable module: the headers it accepts and writes, how a
// cell becomes a field of an import row and how a record shows in an export.
package tabular

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/chronicle-crm/chronicle/commands/dataimport"
)

// Spreadsheet files in and out: CSV (UTF-8, with or without a byte-order mark, or GB18030 as
// older Chinese Excel versions save it) and XLSX (read as a stream with bounded memory, see
// xlsx.go; written with excelize's stream writer).

// File formats.
const (
	CSV      = "csv"
	XLSX     = "xlsx"
	MimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Open opens a file of a format for reading.
func Open(format string, data []byte) (dataimport.Table, error) {
	switch format {
	case CSV:
		return openCSV(data)
	case XLSX:
		return openXLSX(data)
	}
	return nil, &dataimport.FileError{Msg: "unknown file format " + format}
}

// Sniff tells XLSX (a zip archive) from text.
func Sniff(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return XLSX, nil
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "", &dataimport.FileError{Msg: "this is an old Excel (.xls) file; save it as .xlsx or .csv"}
	}
	return CSV, nil
}

type csvSource struct {
	data  []byte
	comma rune
}

func openCSV(data []byte) (*csvSource, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || !utf8.Valid(dec) {
			return nil, &dataimport.FileError{Msg: "the file is neither UTF-8 nor GB18030 text"}
		}
		data = dec
	}
	// Excel saves "CSV" with tabs or semicolons in some locales: take what the header uses most.
	first, _, _ := bytes.Cut(data, []byte("\n"))
	comma := ','
	if t, c, sc := bytes.Count(first, []byte("\t")), bytes.Count(first, []byte(",")), bytes.Count(first, []byte(";")); t > c && t >= sc {
		comma = '\t'
	} else if sc > c && sc > t {
		comma = ';'
	}
	return &csvSource{data: data, comma: comma}, nil
}

func (s *csvSource) Rows() (dataimport.Rows, error) {
	r := csv.NewReader(bytes.NewReader(s.data))
	// Quotes are strict: a lenient reader would take an unclosed quote as a field running over
	// the following lines and import them as one odd row.
	r.Comma, r.FieldsPerRecord = s.comma, -1
	return &csvRows{r: r}, nil
}

func (s *csvSource) Close() error { return nil }

type csvRows struct {
	r *csv.Reader
	e error
}

func (c *csvRows) Next() (int, []string, bool) {
	rec, err := c.r.Read()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			c.e = csvError(err)
		}
		return 0, nil, false
	}
	line, _ := c.r.FieldPos(0) // csv skips blank lines; the line keeps row numbers as the file has them
	return line, rec, true
}

// csvError explains a CSV syntax error with the line it is on. Nothing of such a file is
// imported: the rows are counted before any is written, and the count reads the whole file.
func csvError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &dataimport.FileError{Msg: "the file is not valid CSV: " + err.Error()}
	}
	var msg string
	switch {
	case errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != pe.Line:
		msg = fmt.Sprintf("the quoted field that opens on line %d is not closed properly (a \" is missing, or one too many) and runs on to line %d",
			pe.StartLine, pe.Line)
	case errors.Is(pe.Err, csv.ErrQuote):
		msg = fmt.Sprintf("line %d: a quoted field is not closed properly (a \" is missing, or one too many)", pe.Line)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		msg = fmt.Sprintf(`line %d: a " inside a field that does not start with one; put the field in quotes and double the " in it ("12"" screen")`, pe.Line)
	default:
		msg = fmt.Sprintf("line %d: %v", pe.Line, pe.Err)
	}
	return &dataimport.FileError{Row: pe.StartLine, Msg: "the file is not valid CSV; nothing was imported: " + msg}
}

func (c *csvRows) Err() error   { return c.e }
func (c *csvRows) Close() error { return nil }

// Writer writes a table row by row.
type Writer interface {
	Write(cells []string) error
	// Flush sends what is buffered (CSV); XLSX is only complete at Close.
	Flush() error
	Close() error
}

// NewWriter writes a file of a format to w; sheet names the XLSX worksheet.
func NewWriter(format string, w io.Writer, sheet string) (Writer, error) {
	if format == XLSX {
		return newXLSXWriter(w, sheet)
	}
	return newCSVWriter(w)
}

type csvWriter struct {
	w *csv.Writer
}

func newCSVWriter(w io.Writer) (*csvWriter, error) {
	// The byte-order mark makes Excel open UTF-8 (Chinese) text correctly.
	if _, err := w.Write(utf8BOM); err != nil {
		return nil, err
	}
	return &csvWriter{w: csv.NewWriter(w)}, nil
}

func (c *csvWriter) Write(cells []string) error {
	out := make([]string, len(cells))
	for i, v := range cells {
		out[i] = defuseFormula(v)
	}
	return c.w.Write(out)
}

func (c *csvWriter) Flush() error { c.w.Flush(); return c.w.Error() }
func (c *csvWriter) Close() error { return c.Flush() }

// defuseFormula keeps a spreadsheet from running a CSV cell as a formula (CSV injection, OWASP's
// rule): text that starts with =, +, -, @, a tab or a carriage return gets a leading apostrophe,
// which spreadsheets hide and which makes the cell text. That includes phone numbers such as
// +86-10-8888-6666 (shown as they are, as text, which is what a phone number is) and negative
// numbers: "+1-2" and "-2+3" would otherwise be computed. Imports strip the apostrophe again (see
// CleanCell), so an exported file imports as the same records.
func defuseFormula(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

type xlsxWriter struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	out io.Writer
	row int
}

func newXLSXWriter(out io.Writer, sheet string) (*xlsxWriter, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		_ = f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &xlsxWriter{f: f, sw: sw, out: out}, nil
}

func (x *xlsxWriter) Write(cells []string) error {
	x.row++
	vals := make([]any, len(cells))
	for i, v := range cells {
		vals[i] = v // text cells: never evaluated as formulas
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, vals)
}

func (x *xlsxWriter) Flush() error { return nil }

func (x *xlsxWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	return x.f.Write(x.out)
}
