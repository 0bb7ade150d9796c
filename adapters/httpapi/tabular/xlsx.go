package tabular

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/chronicle-crm/chronicle/commands/dataimport"
)

// XLSX files are read as streams with bounded memory: a small upload can unpack to a great deal
// of XML (a decompression bomb). The zip directory says how much every part unpacks to, and
// archive/zip refuses to unpack a part beyond what it says, so the sum of the parts is checked
// against a limit proportionate to the upload before anything is unpacked (CheckXLSX). The
// worksheet is then read with an XML decoder, one row at a time; only the shared strings are
// held in memory, and they are bounded by the same limit.

// Unpacked-size limits of an XLSX upload: UnpackRatio times the file's size, at least
// MinUnpacked (small workbooks carry fixed parts that compress well), at most MaxUnpacked.
const (
	UnpackRatio = 100
	MinUnpacked = 16 << 20
	MaxUnpacked = 256 << 20
	maxColumns  = 16384 // Excel's last column, XFD
	maxParts    = 10000 // zip entries of a workbook
)

// UnpackLimit is how much an XLSX file of size bytes may unpack to.
func UnpackLimit(size int) int64 {
	return min(max(int64(size)*UnpackRatio, MinUnpacked), MaxUnpacked)
}

// TooLargeError is an XLSX file that unpacks to more than its limit.
type TooLargeError struct{ Unpacked, Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the workbook unpacks to %d MiB, more than the %d MiB a file of this size may (at most %d times its size, %d MiB in all); "+
		"remove what the import does not need (other sheets, pictures) or split the file", e.Unpacked>>20, e.Limit>>20, UnpackRatio, MaxUnpacked>>20)
}

// CheckXLSX opens an XLSX file's zip directory and refuses it (*TooLargeError, or a
// *dataimport.FileError when it is no zip archive) before anything is unpacked.
func CheckXLSX(data []byte) (*zip.Reader, error) {
	// Reading the zip directory costs memory per part: count the directory entries' signatures
	// first (a workbook has a few dozen parts; an archive of a million empty parts would take
	// hundreds of MiB to list).
	if n := bytes.Count(data, []byte("PK\x01\x02")); n > maxParts {
		return nil, &dataimport.FileError{Msg: fmt.Sprintf("the file is not a readable XLSX workbook: it has more than %d parts", maxParts)}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, &dataimport.FileError{Msg: "the file is not a readable XLSX workbook: " + err.Error()}
	}
	var total uint64
	limit := UnpackLimit(len(data))
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(limit) || f.UncompressedSize64 > uint64(limit) {
			return nil, &TooLargeError{Unpacked: int64(min(total, 1<<62)), Limit: limit}
		}
	}
	return zr, nil
}

type xlsxSource struct {
	zr     *zip.Reader
	sheet  *zip.File
	shared []string
}

func openXLSX(data []byte) (*xlsxSource, error) {
	zr, err := CheckXLSX(data)
	var tooLarge *TooLargeError
	if errors.As(err, &tooLarge) {
		return nil, &dataimport.FileError{Msg: tooLarge.Error()}
	}
	if err != nil {
		return nil, err
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[strings.ToLower(strings.TrimPrefix(f.Name, "/"))] = f
	}
	bad := func(format string, args ...any) error {
		return &dataimport.FileError{Msg: "the file is not a readable XLSX workbook: " + fmt.Sprintf(format, args...)}
	}
	// The first worksheet: the first <sheet> of the workbook, through the workbook's relations.
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"id,attr"` // r:id, transitional or strict namespace
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(files["xl/workbook.xml"], &wb); err != nil {
		return nil, bad("xl/workbook.xml: %v", err)
	}
	if len(wb.Sheets) == 0 {
		return nil, &dataimport.FileError{Msg: "the workbook has no worksheet"}
	}
	if err := decodePart(files["xl/_rels/workbook.xml.rels"], &rels); err != nil {
		return nil, bad("xl/_rels/workbook.xml.rels: %v", err)
	}
	s := &xlsxSource{zr: zr}
	for _, r := range rels.Rel {
		if r.ID != wb.Sheets[0].RID {
			continue
		}
		target := r.Target
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(target, "/")
		} else {
			target = path.Join("xl", target)
		}
		s.sheet = files[strings.ToLower(target)]
	}
	if s.sheet == nil {
		return nil, bad("the worksheet %q is missing", wb.Sheets[0].Name)
	}
	if f := files["xl/sharedstrings.xml"]; f != nil {
		if s.shared, err = readShared(f, UnpackLimit(len(data))); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// decodePart decodes a small part (the workbook and its relations).
func decodePart(f *zip.File, v any) error {
	if f == nil {
		return errors.New("missing")
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// readShared reads the shared strings: each <si> is its <t> texts (rich-text runs joined,
// phonetic guides left out). The strings' memory counts against limit.
func readShared(f *zip.File, limit int64) ([]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, &dataimport.FileError{Msg: "cannot read the shared strings: " + err.Error()}
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var out []string
	var used int64
	var b strings.Builder
	inSI, inT, phonetic := false, false, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, &dataimport.FileError{Msg: "cannot read the shared strings: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
				b.Reset()
			case "rPh":
				phonetic++
			case "t":
				inT = inSI && phonetic == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				used += int64(b.Len()) + 16 // the string header
				if used > limit {
					return nil, &dataimport.FileError{Msg: fmt.Sprintf("the workbook's shared strings take more than the %d MiB a file of this size may; "+
						"save it again with Excel or as CSV", limit>>20)}
				}
				out = append(out, b.String())
			case "rPh":
				phonetic--
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				b.Write(t)
			}
		}
	}
}

func (s *xlsxSource) Rows() (dataimport.Rows, error) {
	rc, err := s.sheet.Open()
	if err != nil {
		return nil, &dataimport.FileError{Msg: "cannot read the worksheet: " + err.Error()}
	}
	return &xlsxRows{rc: rc, d: xml.NewDecoder(rc), shared: s.shared}, nil
}

func (s *xlsxSource) Close() error { return nil }

// xlsxRows reads a worksheet's <row> elements in turn.
type xlsxRows struct {
	rc     io.ReadCloser
	d      *xml.Decoder
	shared []string
	row    int
	e      error
}

func (x *xlsxRows) fail(format string, args ...any) (int, []string, bool) {
	x.e = &dataimport.FileError{Row: x.row, Msg: "cannot read the worksheet: " + fmt.Sprintf(format, args...)}
	return 0, nil, false
}

// Next returns the next row with cells. Values are raw: numbers as stored (phone numbers never
// become 1.38E+10, dates are serial numbers that the date columns understand), shared and
// inline strings as their text.
func (x *xlsxRows) Next() (int, []string, bool) {
	if x.e != nil {
		return 0, nil, false
	}
	for {
		tok, err := x.d.Token()
		if errors.Is(err, io.EOF) {
			return 0, nil, false
		}
		if err != nil {
			return x.fail("%v", err)
		}
		if st, ok := tok.(xml.StartElement); ok && st.Name.Local == "row" {
			x.row++
			if r := attr(st, "r"); r != "" {
				n, err := strconv.Atoi(r)
				if err != nil || n < x.row {
					return x.fail("row number %q", r)
				}
				x.row = n
			}
			cells, err := x.readRow()
			if err != nil {
				return x.fail("row %d: %v", x.row, err)
			}
			return x.row, cells, true
		}
	}
}

// readRow reads the cells of the row just opened, up to its end.
func (x *xlsxRows) readRow() ([]string, error) {
	var cells []string
	col := -1
	var typ string
	var v, inline strings.Builder
	in := "" // "v" or "t" (inside <is>) while reading a value
	inIS := false
	for {
		tok, err := x.d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "c":
				col++
				if ref := attr(t, "r"); ref != "" {
					c, ok := refColumn(ref)
					if !ok || c < col {
						return nil, fmt.Errorf("cell reference %q", ref)
					}
					col = c
				}
				if col >= maxColumns {
					return nil, fmt.Errorf("more than %d columns", maxColumns)
				}
				typ = attr(t, "t")
				v.Reset()
				inline.Reset()
			case "v":
				in = "v"
			case "is":
				inIS = true
			case "t":
				if inIS {
					in = "t"
				}
			case "rPh":
				if err := x.d.Skip(); err != nil {
					return nil, err
				}
			}
		case xml.CharData:
			switch in {
			case "v":
				v.Write(t)
			case "t":
				inline.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				in = ""
			case "is":
				inIS = false
			case "c":
				val := v.String()
				switch typ {
				case "s":
					i, err := strconv.Atoi(strings.TrimSpace(val))
					if err != nil || i < 0 || i >= len(x.shared) {
						return nil, fmt.Errorf("shared string %q", val)
					}
					val = x.shared[i]
				case "inlineStr":
					val = inline.String()
				}
				for len(cells) < col {
					cells = append(cells, "")
				}
				cells = append(cells, val)
			case "row":
				return cells, nil
			}
		}
	}
}

func (x *xlsxRows) Err() error   { return x.e }
func (x *xlsxRows) Close() error { return x.rc.Close() }

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// refColumn is the 0-based column of a cell reference such as "B12".
func refColumn(ref string) (int, bool) {
	n, i := 0, 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		n = n*26 + int(ref[i]-'A'+1)
		if n > maxColumns {
			return 0, false
		}
	}
	return n - 1, i > 0
}
