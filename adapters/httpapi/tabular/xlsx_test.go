package tabular_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/commands/dataimport"
)

const (
	workbookXML = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`
	relsXML = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`
)

// workbook zips a minimal workbook whose sheet (and shared strings, when given) are written by
// the functions given, so that large parts are streamed into the archive.
func workbook(t testing.TB, sheet func(io.Writer), shared func(io.Writer)) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	part := func(name string, fill func(io.Writer)) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		fill(w)
	}
	text := func(s string) func(io.Writer) { return func(w io.Writer) { _, _ = io.WriteString(w, s) } }
	part("xl/workbook.xml", text(workbookXML))
	part("xl/_rels/workbook.xml.rels", text(relsXML))
	part("xl/worksheets/sheet1.xml", sheet)
	if shared != nil {
		part("xl/sharedStrings.xml", shared)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rowsXML writes a sheet of n rows of the same cell.
func rowsXML(n int, cell string) func(io.Writer) {
	return func(w io.Writer) {
		_, _ = io.WriteString(w, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		row := []byte("<row>" + cell + "</row>")
		for range n {
			_, _ = w.Write(row)
		}
		_, _ = io.WriteString(w, `</sheetData></worksheet>`)
	}
}

// TestXLSXBombIsRefusedFromTheDirectory: a workbook that unpacks to more than 100 times its size
// is refused before anything is unpacked.
func TestXLSXBombIsRefusedFromTheDirectory(t *testing.T) {
	pgtest.NotUnderRace(t)
	bomb := workbook(t, rowsXML(1_500_000, `<c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c>`), nil)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := tabular.CheckXLSX(bomb)
	var tooLarge *tabular.TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != tabular.UnpackLimit(len(bomb)) || tooLarge.Unpacked <= tooLarge.Limit {
		t.Fatalf("%d-byte bomb: %v", len(bomb), err)
	}
	_, err = tabular.Open(tabular.XLSX, bomb)
	var fe *dataimport.FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "unpacks to") {
		t.Fatalf("opening the bomb: %v", err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("refusing a %d KiB bomb allocated %d KiB", len(bomb)>>10, grew>>10)
	}
	t.Logf("%d KiB file refused (limit %d MiB); %d KiB allocated", len(bomb)>>10, tooLarge.Limit>>20, (after.TotalAlloc-before.TotalAlloc)>>10)
}

// TestXLSXIsReadAsAStream: a sheet of many rows is read one row at a time: the heap never holds
// more than a small part of what the sheet unpacks to.
func TestXLSXIsReadAsAStream(t *testing.T) {
	pgtest.NotUnderRace(t)
	const n = 250_000
	file := workbook(t, rowsXML(n, `<c r="B1" t="s"><v>0</v></c><c><v>13800138000</v></c>`), func(w io.Writer) {
		_, _ = io.WriteString(w, `<sst><si><r><t>星河</t></r><r><t>科技</t></r><rPh><t>ほし</t></rPh></si></sst>`)
	})
	unpacked := n * len(`<row><c r="B1" t="s"><v>0</v></c><c><v>13800138000</v></c></row>`)
	runtime.GC()
	var base, m runtime.MemStats
	runtime.ReadMemStats(&base)
	src, err := tabular.Open(tabular.XLSX, file)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := src.Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var peak uint64
	count := 0
	for {
		row, cells, ok := rows.Next()
		if !ok {
			break
		}
		count++
		if row != count || len(cells) != 3 || cells[0] != "" || cells[1] != "星河科技" || cells[2] != "13800138000" {
			t.Fatalf("row %d: %d %q", count, row, cells)
		}
		if count%50_000 == 0 {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc-min(m.HeapAlloc, base.HeapAlloc))
		}
	}
	if err := rows.Err(); err != nil || count != n {
		t.Fatalf("%d rows read: %v", count, err)
	}
	if peak > uint64(unpacked)/4 {
		t.Fatalf("the heap grew by %d KiB reading a sheet of %d KiB", peak>>10, unpacked>>10)
	}
	t.Logf("%d KiB file, sheet %d KiB: heap grew by at most %d KiB", len(file)>>10, unpacked>>10, peak>>10)
}

// TestXLSXSharedStringsAreBounded: a shared-string table of many empty strings (small XML, a
// string header each in memory) is refused, not held.
func TestXLSXSharedStringsAreBounded(t *testing.T) {
	pgtest.NotUnderRace(t)
	file := workbook(t, rowsXML(1, `<c t="s"><v>0</v></c>`), func(w io.Writer) {
		_, _ = io.WriteString(w, `<sst>`)
		_, _ = io.WriteString(w, strings.Repeat("<si/>", 1_200_000))
		_, _ = io.WriteString(w, `</sst>`)
	})
	_, err := tabular.Open(tabular.XLSX, file)
	var fe *dataimport.FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "shared strings") {
		t.Fatalf("%d KiB file with 1,200,000 shared strings: %v", len(file)>>10, err)
	}
}

// TestXLSXMalformed: broken sheets are file errors with the row.
func TestXLSXMalformed(t *testing.T) {
	for name, cell := range map[string]string{
		"bad shared index": `<c t="s"><v>7</v></c>`,
		"column past XFD":  `<c r="XFE1"><v>1</v></c>`,
		"unclosed":         `<c><v>1</v>`,
	} {
		src, err := tabular.Open(tabular.XLSX, workbook(t, rowsXML(2, cell), nil))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows, _ := src.Rows()
		for {
			if _, _, ok := rows.Next(); !ok {
				break
			}
		}
		var fe *dataimport.FileError
		if err := rows.Err(); !errors.As(err, &fe) || fe.Row != 1 {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// TestXLSXManyParts: an archive of very many (empty) parts is refused before its directory is
// listed.
func TestXLSXManyParts(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := range 10_001 {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: strconv.Itoa(i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	_ = zw.Close()
	var fe *dataimport.FileError
	if _, err := tabular.CheckXLSX(b.Bytes()); !errors.As(err, &fe) || !strings.Contains(fe.Msg, "more than 10000 parts") {
		t.Fatalf("%d KiB archive of 10,001 parts: %v", b.Len()>>10, err)
	}
}
