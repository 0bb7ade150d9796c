package importapi_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

// reportFile has two bad rows (one with Chinese text and a cell that starts with =), an unknown
// column, a row with U+0000 (which PostgreSQL cannot store) and good rows.
var reportFile = [][]string{
	{"姓名", "公司", "手机", "邮箱", "备注", "微信"},
	{"王小明", "北京星河科技有限公司", "13800138000", "wang@xinghe.cn", "老客户", "wx1"},
	{"李雷", `=HYPERLINK("http://evil.example","点我")`, "13900139000", "not-an-email", `展会认识，"重要"`, ""},
	{"", "深圳南山电子有限公司", "call me", "", "无姓名", ""},
	{"韩梅梅", "杭州西湖软件", "", "", "", ""},
	{"赵敏", "成都天府软件", "", "", "含\x00字符", ""},
}

// reportRows is the report of reportFile: its header row, then one row per bad row.
var reportRows = [][]string{
	{"行号", "错误", "姓名", "公司", "手机", "邮箱", "备注", "微信"},
	{"1", "微信: unknown column; ignored"},
	{"3", `email: is not an e-mail address: "not-an-email"`, "李雷", `=HYPERLINK("http://evil.example","点我")`, "13900139000", "not-an-email", `展会认识，"重要"`},
	{"4", "name: is required\nmobile: may hold digits, spaces and + - ( ) # only; got \"call me\"", "", "深圳南山电子有限公司", "call me", "", "无姓名"},
	{"6", `remark: column E ("备注") contains U+0000, a control or text-direction character; remove it`, "赵敏", "成都天府软件", "", "", "含\uFFFD字符"},
}

// TestImportErrorReport: the stored error report of a dry run and of the import, as CSV (exact,
// with a byte-order mark and defused formulas) and XLSX (read back with the import reader, text
// cells), on both engines.
func TestImportErrorReport(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		var want bytes.Buffer
		want.WriteString("\uFEFF")
		w := csv.NewWriter(&want)
		for _, row := range reportRows {
			out := make([]string, len(row))
			for i, c := range row {
				if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
					c = "'" + c
				}
				out[i] = c
			}
			_ = w.Write(out)
		}
		w.Flush()
		if !strings.Contains(want.String(), `"'=HYPERLINK(""http://evil.example"",""点我"")"`) {
			t.Fatalf("the expected report does not defuse the formula: %s", want.String())
		}
		for _, dry := range []string{"true", "false"} {
			imp := importFile(h, admin, "type=leads&dryRun="+dry, csvBytes(reportFile), "text/csv", "done")
			if c := counts(imp); c != [4]int{5, 2, 0, 3} {
				t.Fatalf("dryRun=%s counts %v: %s", dry, c, imp.Raw)
			}
			id := imp.Body["id"].(string)
			r := h.Must(h.Do("GET", "/api/v1/imports/"+id+"/errors", admin, nil), 200)
			if r.Raw != want.String() {
				t.Fatalf("dryRun=%s CSV report\n got %q\nwant %q", dry, r.Raw, want.String())
			}
			if ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
				cd != `attachment; filename="import-errors-`+id[:8]+`.csv"; filename*=UTF-8''%E5%AF%BC%E5%85%A5-%E9%94%99%E8%AF%AF%E6%8A%A5%E5%91%8A.csv` ||
				r.Header.Get("X-Failed-Rows") != "3" {
				t.Fatalf("headers: %v", r.Header)
			}

			x := h.Must(h.Do("GET", "/api/v1/imports/"+id+"/errors?format=xlsx", admin, nil), 200)
			if x.Header.Get("Content-Type") != mimeXLSX || !strings.HasSuffix(x.Header.Get("Content-Disposition"), ".xlsx") {
				t.Fatalf("xlsx headers: %v", x.Header)
			}
			tab, err := tabular.Open(tabular.XLSX, []byte(x.Raw))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := tab.Rows()
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for {
				_, cells, ok := rows.Next()
				if !ok {
					break
				}
				got = append(got, cells)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, reportRows) {
				t.Fatalf("dryRun=%s XLSX report\n got %q\nwant %q", dry, got, reportRows)
			}
			f, err := excelize.OpenReader(strings.NewReader(x.Raw))
			if err != nil {
				t.Fatal(err)
			}
			if formula, _ := f.GetCellFormula(f.GetSheetList()[0], "D3"); formula != "" || f.GetSheetList()[0] != "错误报告" {
				t.Fatalf("the XLSX report holds a formula %q (sheet %q)", formula, f.GetSheetList()[0])
			}
			_ = f.Close()
		}

		// The corrected report imports again: its two columns are ignored.
		fixed := csvBytes([][]string{reportRows[0], {"3", "…", "李雷", "成都天府软件", "13900139000", "lilei@example.cn", "已改"}})
		again := importFile(h, admin, "type=leads&dryRun=true", fixed, "text/csv", "done")
		if c := counts(again); c != [4]int{1, 1, 0, 0} {
			t.Fatalf("re-importing the corrected report: %v %s", c, again.Raw)
		}

		// No errors: the header row alone. A file that cannot be read: its line.
		clean := importFile(h, admin, "type=leads&dryRun=true", csvBytes(reportFile[:2]), "text/csv", "done")
		if r := h.Must(h.Do("GET", "/api/v1/imports/"+clean.Body["id"].(string)+"/errors", admin, nil), 200); r.Raw != "\uFEFF行号,错误,姓名,公司,手机,邮箱,备注,微信\n1,微信: unknown column; ignored\n" {
			t.Fatalf("report without row errors: %q", r.Raw)
		}
		bad := importFile(h, admin, "type=leads&dryRun=true", []byte("姓名,公司\n王小明,\"北京\n李雷,深圳\n"), "text/csv", "failed")
		r := h.Must(h.Do("GET", "/api/v1/imports/"+bad.Body["id"].(string)+"/errors", admin, nil), 200)
		got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Raw, "\uFEFF"))).ReadAll()
		if err != nil || len(got) != 2 || !reflect.DeepEqual(got[0], []string{"行号", "错误"}) || got[1][0] != "2" ||
			!strings.HasPrefix(got[1][1], "the file is not valid CSV; nothing was imported: the quoted field that opens on line 2") {
			t.Fatalf("report of an unreadable file: %q", r.Raw)
		}
	})
}

// TestImportErrorReportOf100000Rows: a dry run of a file whose 100,000 rows are all bad stores
// every row and streams the whole report, in file order; the server's heap stays far below the
// report's size.
func TestImportErrorReportOf100000Rows(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) { // one engine at a time: the heap is the process's
			h := apitest.New(t, engine)
			admin := h.Login("admin", apitest.AdminPassword)
			var file bytes.Buffer
			file.WriteString("姓名,邮箱,备注\n")
			pad := strings.Repeat("备注文字", 35) // 420 bytes a row: the report is about 45 MB
			for i := range 100_000 {
				fmt.Fprintf(&file, "王%06d,bad-%d,%s\n", i, i, pad)
			}
			start := time.Now()
			imp := importFile(h, admin, "type=leads&dryRun=true", file.Bytes(), "text/csv", "done")
			imported := time.Since(start)
			if c := counts(imp); c != [4]int{100_000, 0, 0, 100_000} || imp.Body["errorsTruncated"] != true || len(imp.Body["errors"].([]any)) != 1000 {
				t.Fatalf("counts %v", c)
			}
			// The heap while the report is downloaded, with garbage collected early (the live
			// heap is what a report that was held whole would grow).
			file = bytes.Buffer{}
			defer debug.SetGCPercent(debug.SetGCPercent(10))
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var m runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					runtime.ReadMemStats(&m)
					if m.HeapAlloc > peak.Load() {
						peak.Store(m.HeapAlloc)
					}
				}
			}()
			// Read as a client does, as a stream (the harness would buffer it).
			start = time.Now()
			req, _ := http.NewRequest("GET", h.Srv.URL+"/api/v1/imports/"+imp.Body["id"].(string)+"/errors", nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			cr := csv.NewReader(res.Body)
			cr.FieldsPerRecord = -1
			n, size := 0, 0
			for {
				rec, err := cr.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					if want := fmt.Sprint(n + 1); rec[0] != want || rec[2] != fmt.Sprintf("王%06d", n-1) || rec[4] != pad {
						t.Fatalf("report row %d: %q", n, rec[:3])
					}
				}
				for _, c := range rec {
					size += len(c)
				}
				n++
			}
			downloaded := time.Since(start)
			close(stop)
			<-sampled
			if n != 100_001 {
				t.Fatalf("the report has %d rows", n)
			}
			grew := int64(peak.Load()) - int64(base.HeapAlloc)
			t.Logf("%s: import %v, download %v, report %d MB, heap grew by at most %d MB", engine, imported.Round(time.Millisecond),
				downloaded.Round(time.Millisecond), size>>20, grew>>20)
			if grew > int64(size)/4 {
				t.Fatalf("the heap grew by %d MB for a report of %d MB", grew>>20, size>>20)
			}
		})
	}
}
