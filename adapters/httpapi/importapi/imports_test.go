package importapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const mimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// startImport posts a file and returns the import's id.
func startImport(h *apitest.Harness, token, query string, body []byte, contentType string) string {
	h.T.Helper()
	r := h.Must(h.Do("POST", "/api/v1/imports?"+query, token, body, "Content-Type", contentType), 202)
	id, _ := r.Body["id"].(string)
	if id == "" || r.Header.Get("Location") != "/api/v1/imports/"+id || r.Body["state"] != "queued" {
		h.T.Fatalf("start import: %s", r.Raw)
	}
	return id
}

// awaitImport polls the progress endpoint until the import is done or failed.
func awaitImport(h *apitest.Harness, token, id string) apitest.Resp {
	h.T.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		r := h.Must(h.Do("GET", "/api/v1/imports/"+id, token, nil), 200)
		switch r.Body["state"] {
		case "done", "failed":
			return r
		case "queued", "running":
		default:
			h.T.Fatalf("import state: %s", r.Raw)
		}
		if time.Now().After(deadline) {
			h.T.Fatalf("import %s did not finish: %s", id, r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// importFile runs an import to its end and checks its state.
func importFile(h *apitest.Harness, token, query string, body []byte, contentType, wantState string) apitest.Resp {
	h.T.Helper()
	r := awaitImport(h, token, startImport(h, token, query, body, contentType))
	if r.Body["state"] != wantState {
		h.T.Fatalf("import state %v, want %s: %s", r.Body["state"], wantState, r.Raw)
	}
	return r
}

type rowError struct {
	Row   int
	Field string
}

// rowErrors lists the errors of data rows (row > 1), sorted.
func rowErrors(r apitest.Resp) []rowError {
	var out []rowError
	for _, e := range r.Body["errors"].([]any) {
		m := e.(map[string]any)
		if row := int(m["row"].(float64)); row > 1 {
			out = append(out, rowError{row, m["field"].(string)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Row < out[j].Row || out[i].Row == out[j].Row && out[i].Field < out[j].Field
	})
	return out
}

// readAt reads once the read model has reached pos (retrying while it answers 503).
func readAt(h *apitest.Harness, token, path, pos string) apitest.Resp {
	h.T.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r := h.Do("GET", path, token, nil, "X-Chronicle-Min-Position", pos)
		if r.Status != 503 || time.Now().After(deadline) {
			return h.Must(r, 200)
		}
	}
}

func counts(r apitest.Resp) [4]int {
	n := func(k string) int { return int(r.Body[k].(float64)) }
	return [4]int{n("total"), n("imported"), n("skipped"), n("failed")}
}

func position(r apitest.Resp) string {
	return strconv.FormatFloat(r.Body["position"].(float64), 'f', 0, 64)
}

func csvBytes(rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows)
	return b.Bytes()
}

func xlsxBytes(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// parseExport reads an exported CSV or XLSX into rows keyed by header.
func parseExport(t *testing.T, format, raw string) []map[string]string {
	t.Helper()
	var rows [][]string
	if format == "csv" {
		if !strings.HasPrefix(raw, "\uFEFF") {
			t.Fatal("the CSV export has no byte-order mark")
		}
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\uFEFF")))
		var err error
		if rows, err = r.ReadAll(); err != nil {
			t.Fatal(err)
		}
	} else {
		f, err := excelize.OpenReader(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if rows, err = f.GetRows(f.GetSheetList()[0]); err != nil {
			t.Fatal(err)
		}
	}
	var out []map[string]string
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(row) {
				m[h] = row[i]
			} else {
				m[h] = ""
			}
		}
		out = append(out, m)
	}
	return out
}

var customerCSV = [][]string{
	{"客户名称", "电话", "邮箱", "行业", "来源", "级别", "省份", "城市", "地址", "备注", "性质", "类型", "规模", "满意度", "信用", "微信"},
	{"北京星河科技有限公司", "010-6688 9900", "info@xinghe.cn", "软件", "展会", "A", "北京", "北京", "海淀区中关村大街1号", "重点客户", "私营", "服务商", "中型", "4", "5", "xh001"},
	{"", "021-1234 5678", "a@b.cn", "软件", "", "", "", "", "", "", "", "", "", "", "", ""},
	{"上海银河贸易有限公司", "021-5555 6666", "sales@yinhe.com", "retail", "web", "B", "上海", "上海", "浦东新区世纪大道100号", "", "合资", "贸易商", "大型", "3", "", ""},
	{"广州白云商贸", "020-8888 7777", "not-an-email", "零售", "", "", "广东", "广州", "", "", "", "", "", "", "", ""},
	{"深圳南山电子有限公司", "0755-2666 8888", "", "电子电器", "客户转介绍", "A", "广东", "深圳", "南山区科技园", "备注,含逗号", "外资", "生产商", "小型", "", "4", ""},
	{"杭州西湖软件", "0571-8765 4321", "", "软件", "", "C", "浙江", "杭州", "", "", "海盗", "", "", "", "", ""},
	{"成都天府食品有限公司", "028-8666 5555", "cd@tianfu.com", "Manufacturing", "展会", "B", "四川", "成都", "", "=SUM(A1)", "国有", "", "", "5", "5", ""},
}

// TestImportExportCustomers: CSV and XLSX with Chinese headers and bad rows; dry run, import,
// re-import, progress, export round trip, on both engines.
func TestImportExportCustomers(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		ctx := context.Background()
		admin := h.Login("admin", apitest.AdminPassword)
		adminID := h.Must(h.Do("GET", "/api/v1/auth/me", admin, nil), 200).Body["id"].(string)
		_, sales := h.CreateUser(admin, "sun.sales", "sales")
		file := csvBytes(customerCSV)

		// Permissions and bad requests.
		h.Must(h.Do("POST", "/api/v1/imports?type=customers", sales, file, "Content-Type", "text/csv"), 403)
		h.Must(h.Do("POST", "/api/v1/imports?type=leads", sales, file, "Content-Type", "text/csv"), 403)
		h.Must(h.Do("POST", "/api/v1/imports?type=orders", admin, file, "Content-Type", "text/csv"), 422)
		h.Must(h.Do("POST", "/api/v1/imports?type=customers&dryRun=maybe", admin, file, "Content-Type", "text/csv"), 422)
		h.Must(h.Do("POST", "/api/v1/imports?type=customers", admin, "", "Content-Type", "text/csv"), 400)
		h.Must(h.Do("POST", "/api/v1/imports?type=customers", admin, `{"name":"x"}`), 415)
		h.Must(h.Do("GET", "/api/v1/imports/0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e", admin, nil), 404)
		big := bytes.Repeat([]byte("a,b\n"), (50<<20)/4+1)
		h.Must(h.Do("POST", "/api/v1/imports?type=customers&dryRun=true", admin, big, "Content-Type", "text/csv"), 413)

		// Dry run: exactly the bad rows are reported, the unknown column too, and nothing is written.
		head, _ := h.App.Store.Head(ctx)
		dry := importFile(h, admin, "type=customers&dryRun=true", file, "text/csv", "done")
		want := []rowError{{3, "name"}, {5, "email"}, {7, "nature"}}
		if got := rowErrors(dry); !reflect.DeepEqual(got, want) {
			t.Fatalf("dry-run errors %v, want %v: %s", got, want, dry.Raw)
		}
		if c := counts(dry); c != [4]int{7, 4, 0, 3} || dry.Body["dryRun"] != true || dry.Body["type"] != "customers" {
			t.Fatalf("dry-run counts %v: %s", c, dry.Raw)
		}
		if !strings.Contains(dry.Raw, `{"row":1,"field":"微信","message":"unknown column; ignored"}`) {
			t.Fatalf("unknown column not reported: %s", dry.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/imports/"+dry.Body["id"].(string), sales, nil), 404) // someone else's import
		if after, _ := h.App.Store.Head(ctx); after != head {
			t.Fatalf("the dry run wrote %d events", after-head)
		}

		// The import: the good rows, owned by the importer, each field as the API would store it.
		done := importFile(h, admin, "type=customers", file, "text/csv", "done")
		if c := counts(done); c != [4]int{7, 4, 0, 3} || !reflect.DeepEqual(rowErrors(done), want) {
			t.Fatalf("import counts %v: %s", c, done.Raw)
		}
		list := h.Must(h.Do("GET", "/api/v1/customers?sort=name&limit=100", admin, nil, "X-Chronicle-Min-Position", position(done)), 200)
		if list.Body["total"].(float64) != 4 {
			t.Fatalf("customers after import: %s", list.Raw)
		}
		var xinghe map[string]any
		for _, it := range list.Body["items"].([]any) {
			if c := it.(map[string]any); c["name"] == "北京星河科技有限公司" {
				xinghe = c
			}
		}
		if xinghe == nil || xinghe["nature"] != "private" || xinghe["type"] != "service" || xinghe["size"] != "medium" ||
			xinghe["satisfaction"].(float64) != 4 || xinghe["credit"].(float64) != 5 || xinghe["ownerId"] != adminID ||
			xinghe["phone"] != "010-6688 9900" || xinghe["status"] != "potential" ||
			// labels and codes are stored as codes; a branch given as the industry is its sector and itself
			xinghe["industry"] != "internet" || xinghe["subIndustry"] != "internet.software" || xinghe["source"] != "exhibition" || xinghe["level"] != "A" {
			t.Fatalf("imported customer: %v (admin %s)", xinghe, adminID)
		}

		// Re-import: nothing new.
		head, _ = h.App.Store.Head(ctx)
		again := importFile(h, admin, "type=customers", file, "text/csv", "done")
		if c := counts(again); c != [4]int{7, 0, 4, 3} {
			t.Fatalf("re-import counts %v: %s", c, again.Raw)
		}
		if after, _ := h.App.Store.Head(ctx); after != head {
			t.Fatalf("the re-import wrote %d events", after-head)
		}

		// Same customer, other values: reported, not written.
		changed := slices.Clone(customerCSV[:2])
		changed[1] = slices.Clone(changed[1])
		changed[1][1] = "010-1111 2222"
		conflict := importFile(h, admin, "type=customers", csvBytes(changed), "text/csv", "done")
		errs := conflict.Body["errors"].([]any)
		if c := counts(conflict); c != [4]int{1, 0, 0, 1} || !strings.Contains(conflict.Raw, "already imported with different values") {
			t.Fatalf("conflict: %v %v", c, errs)
		}

		// XLSX with English and Chinese headers, numbers and an Excel date, as multipart.
		xlsx := xlsxBytes(t, [][]any{
			{"Name", "Phone", "E-mail", "性质", "Satisfaction", "下次跟进时间", "城市"},
			{"南京紫金山科技有限公司", 13800138000, "nj@zijin.cn", "国有", 5, "2026-12-01 09:30", "南京"},
			{"", "025-1234 5678", "", "", "", "", "南京"},
			{"武汉长江物流", "027-8888 1234", "wuhan@", "", "", "", "武汉"},
			{"西安大雁塔文旅", "029-6666 1234", "", "私营", 4, 46357, "西安"},
			{"苏州园林设计", "", "", "pirate", "", "", "苏州"},
			{},
			{"厦门鼓浪屿酒店有限公司", "0592-222 3333", "", "其他", "★★★", "", "厦门"},
		})
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		part, _ := mw.CreateFormFile("file", "客户.xlsx")
		_, _ = part.Write(xlsx)
		_ = mw.Close()
		head, _ = h.App.Store.Head(ctx)
		xdry := importFile(h, admin, "type=customers&dryRun=true", mp.Bytes(), mw.FormDataContentType(), "done")
		if got, want := rowErrors(xdry), []rowError{{3, "name"}, {4, "email"}, {6, "nature"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("xlsx dry-run errors %v, want %v: %s", got, want, xdry.Raw)
		}
		if c := counts(xdry); c != [4]int{6, 3, 0, 3} || xdry.Body["fileName"] != "客户.xlsx" {
			t.Fatalf("xlsx dry-run counts %v: %s", c, xdry.Raw)
		}
		if after, _ := h.App.Store.Head(ctx); after != head {
			t.Fatalf("the xlsx dry run wrote %d events", after-head)
		}
		xdone := importFile(h, admin, "type=customers", xlsx, mimeXLSX, "done")
		if c := counts(xdone); c != [4]int{6, 3, 0, 3} {
			t.Fatalf("xlsx import counts %v: %s", c, xdone.Raw)
		}
		nj := h.Must(h.Do("GET", "/api/v1/customers?q=紫金山", admin, nil, "X-Chronicle-Min-Position", position(xdone)), 200).Body["items"].([]any)
		if len(nj) != 1 || nj[0].(map[string]any)["phone"] != "13800138000" || nj[0].(map[string]any)["nextFollowUpAt"] != "2026-12-01T01:30:00Z" ||
			nj[0].(map[string]any)["nature"] != "state_owned" {
			t.Fatalf("xlsx customer: %v", nj)
		}
		xa := h.Must(h.Do("GET", "/api/v1/customers?q=大雁塔", admin, nil), 200).Body["items"].([]any)
		if len(xa) != 1 || xa[0].(map[string]any)["nextFollowUpAt"] != "2026-11-30T16:00:00Z" {
			t.Fatalf("Excel serial date: %v", xa)
		}

		// GB18030 (older Excel's "CSV") and a UTF-8 BOM.
		gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(csvBytes([][]string{{"名称", "城市"}, {"重庆山城火锅有限公司", "重庆"}}))
		if err != nil {
			t.Fatal(err)
		}
		importFile(h, admin, "type=customers", gb, "text/csv", "done")
		bom := append([]byte("\uFEFF"), csvBytes([][]string{{"客户名称", "省份"}, {"天津海河机械", "天津"}})...)
		last := importFile(h, admin, "type=customers", bom, "text/csv", "done")
		all := h.Must(h.Do("GET", "/api/v1/customers?limit=100", admin, nil, "X-Chronicle-Min-Position", position(last)), 200)
		names := map[string]bool{}
		for _, it := range all.Body["items"].([]any) {
			names[it.(map[string]any)["name"].(string)] = true
		}
		if len(names) != 9 || !names["重庆山城火锅有限公司"] || !names["天津海河机械"] {
			t.Fatalf("customers after every import: %v", names)
		}

		// Export: the whole search, both formats; the files parse back to the same customers.
		for _, format := range []string{"csv", "xlsx"} {
			r := h.Must(h.Do("GET", "/api/v1/customers/export?format="+format, admin, nil), 200)
			if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=\"customers-") || !strings.Contains(cd, "."+format) {
				t.Fatalf("Content-Disposition %q", cd)
			}
			rows := parseExport(t, format, r.Raw)
			got := map[string]map[string]string{}
			for _, row := range rows {
				got[row["客户名称"]] = row
			}
			if len(rows) != 9 || len(got) != 9 {
				t.Fatalf("%s export has %d rows: %v", format, len(rows), rows)
			}
			for n := range names {
				if got[n] == nil {
					t.Fatalf("%s export lacks %s", format, n)
				}
			}
			x := got["北京星河科技有限公司"]
			// Coded fields are written as their Chinese labels (they import again: see the round trip).
			if x["行业"] != "互联网" || x["子行业"] != "软件" || x["来源"] != "展会" || x["级别"] != "A（重点客户）" {
				t.Fatalf("%s export coded fields: %v", format, x)
			}
			if x["性质"] != "民营企业" || x["电话"] != "010-6688 9900" || x["满意度"] != "4" || x["类型"] != "服务商" || x["负责人"] == "" || x["编号"] != xinghe["id"] {
				t.Fatalf("%s export row: %v", format, x)
			}
			if got["成都天府食品有限公司"]["备注"] != "=SUM(A1)" && format == "xlsx" {
				t.Fatalf("xlsx remark: %q", got["成都天府食品有限公司"]["备注"])
			}
			if format == "csv" && !strings.Contains(r.Raw, "'=SUM(A1)") {
				t.Fatal("a formula-like cell is not defused in the CSV export")
			}
			// Round trip: importing the export changes nothing (same ids, same values).
			ct := "text/csv"
			if format == "xlsx" {
				ct = mimeXLSX
			}
			rt := importFile(h, admin, "type=customers", []byte(r.Raw), ct, "done")
			if c := counts(rt); c != [4]int{9, 0, 9, 0} || len(rt.Body["errors"].([]any)) != 0 {
				t.Fatalf("re-importing the %s export: %v %s", format, c, rt.Raw)
			}
		}
		// Filters and scope apply: a search, and a user who sees none of them.
		f := parseExport(t, "csv", h.Must(h.Do("GET", "/api/v1/customers/export?q=星河", admin, nil), 200).Raw)
		if len(f) != 1 || f[0]["客户名称"] != "北京星河科技有限公司" {
			t.Fatalf("filtered export: %v", f)
		}
		if f := parseExport(t, "csv", h.Must(h.Do("GET", "/api/v1/customers/export", sales, nil), 200).Raw); len(f) != 0 {
			t.Fatalf("sales sees %d customers in the export", len(f))
		}
		h.Must(h.Do("GET", "/api/v1/customers/export?format=pdf", admin, nil), 422)
		h.Must(h.Do("GET", "/api/v1/customers/export?sort=password", admin, nil), 422)
		vr := h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "viewer", "displayName": "只读", "permissions": []string{"customers.read", "leads.read"}, "dataScope": "all"}), 201)
		h.Must(h.Do("GET", "/api/v1/roles", admin, nil, "X-Chronicle-Min-Position", vr.Header.Get("X-Chronicle-Position")), 200)
		_, viewer := h.CreateUser(admin, "zhou.viewer", "viewer")
		h.Must(h.Do("GET", "/api/v1/customers/export", viewer, nil), 403)
		h.Must(h.Do("GET", "/api/v1/leads/export", viewer, nil), 403)
		h.Must(h.Do("GET", "/api/v1/contacts/export", viewer, nil), 403)
	})
}

// TestImportLeadsAndContacts: leads, and contacts that name their customer.
func TestImportLeadsAndContacts(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		ctx := context.Background()
		admin := h.Login("admin", apitest.AdminPassword)
		leads := csvBytes([][]string{
			{"姓名", "公司", "手机", "电话", "邮箱", "来源", "下次跟进时间"},
			{"王小明", "北京星河科技有限公司", "138 0013 8000", "", "wang@xinghe.cn", "展会", "2026-12-01"},
			{"李四", "深圳星河电子", "", "0755-8888 6666", "", "web", ""},
			{"赵六", "", "call me", "", "", "", ""},
			{"钱七", "上海某公司", "", "", "", "", "下周"},
		})
		dry := importFile(h, admin, "type=leads&dryRun=true", leads, "text/csv", "done")
		if got, want := rowErrors(dry), []rowError{{4, "mobile"}, {5, "nextFollowUpAt"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("lead dry-run errors %v: %s", got, dry.Raw)
		}
		done := importFile(h, admin, "type=leads", leads, "text/csv", "done")
		if c := counts(done); c != [4]int{4, 2, 0, 2} {
			t.Fatalf("lead import %v: %s", c, done.Raw)
		}
		again := importFile(h, admin, "type=leads", leads, "text/csv", "done")
		if c := counts(again); c != [4]int{4, 0, 2, 2} {
			t.Fatalf("lead re-import %v: %s", c, again.Raw)
		}
		l := h.Must(h.Do("GET", "/api/v1/leads?q=王小明", admin, nil, "X-Chronicle-Min-Position", position(done)), 200).Body["items"].([]any)
		if len(l) != 1 || l[0].(map[string]any)["mobile"] != "138 0013 8000" || l[0].(map[string]any)["nextFollowUpAt"] != "2026-11-30T16:00:00Z" {
			t.Fatalf("imported lead: %v", l)
		}
		exp := parseExport(t, "xlsx", h.Must(h.Do("GET", "/api/v1/leads/export?format=xlsx&sort=name", admin, nil), 200).Raw)
		if len(exp) != 2 || exp[0]["姓名"] == "" || exp[0]["状态"] != "新线索" {
			t.Fatalf("lead export: %v", exp)
		}

		// The same lead twice in one file: once identical (skipped), once with other values (failed).
		dups := importFile(h, admin, "type=leads", csvBytes([][]string{
			{"姓名", "公司", "手机", "邮箱"},
			{"孙八", "南京紫金山科技", "139 0000 1111", "sun@zijin.cn"},
			{"孙八", "南京紫金山科技", "139 0000 1111", "sun@zijin.cn"},
			{"孙八", "南京紫金山科技", "139-0000-1111", "other@zijin.cn"},
		}), "text/csv", "done")
		if c := counts(dups); c != [4]int{3, 1, 1, 1} || !strings.Contains(dups.Raw, "names the same record as row 2 with different values") {
			t.Fatalf("duplicates in one file: %v %s", c, dups.Raw)
		}

		// Contacts name their customer; the customer must be one the importer may change.
		c1 := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "北京星河科技有限公司"}), 201)
		c2 := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "上海银河贸易有限公司"}), 201)
		contacts := csvBytes([][]string{
			{"客户", "姓名", "性别", "职务", "手机", "邮箱", "生日", "客户编号"},
			{"北京星河科技有限公司", "张伟", "男", "总经理", "13912345678", "zhang@xinghe.cn", "1985/3/12", ""},
			{"北京星河科技有限公司", "刘芳", "女", "采购", "13987654321", "", "", ""},
			{"不存在的公司", "孙丽", "女", "", "", "", "", ""},
			{"", "周强", "男", "", "", "", "", c2.Body["id"].(string)},
			{"北京星河科技有限公司", "吴敏", "未知", "", "", "", "", ""},
			{"北京星河科技有限公司", "", "", "", "", "", "", ""},
		})
		h.Must(h.Do("GET", "/api/v1/customers", admin, nil, "X-Chronicle-Min-Position", c2.Header.Get("X-Chronicle-Position")), 200)
		head, _ := h.App.Store.Head(ctx)
		cdry := importFile(h, admin, "type=contacts&dryRun=true", contacts, "text/csv", "done")
		if got, want := rowErrors(cdry), []rowError{{4, "customer"}, {6, "gender"}, {7, "name"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("contact dry-run errors %v: %s", got, cdry.Raw)
		}
		if after, _ := h.App.Store.Head(ctx); after != head {
			t.Fatal("the contacts dry run wrote events")
		}
		cdone := importFile(h, admin, "type=contacts", contacts, "text/csv", "done")
		if c := counts(cdone); c != [4]int{6, 3, 0, 3} {
			t.Fatalf("contact import %v: %s", c, cdone.Raw)
		}
		if c := counts(importFile(h, admin, "type=contacts", contacts, "text/csv", "done")); c != [4]int{6, 0, 3, 3} {
			t.Fatalf("contact re-import %v", c)
		}
		list := h.Must(h.Do("GET", "/api/v1/contacts?customerId="+c1.Body["id"].(string), admin, nil, "X-Chronicle-Min-Position", position(cdone)), 200)
		if list.Body["total"].(float64) != 2 {
			t.Fatalf("contacts of the customer: %s", list.Raw)
		}
		var zhang map[string]any
		for _, it := range list.Body["items"].([]any) {
			if it.(map[string]any)["name"] == "张伟" {
				zhang = it.(map[string]any)
			}
		}
		if zhang == nil || zhang["gender"] != "male" || zhang["birthday"] != "1985-03-12" || zhang["title"] != "总经理" {
			t.Fatalf("imported contact: %v", zhang)
		}
		// A sales user may not add contacts to the admin's customers.
		dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售部"}), 201).Body["id"].(string)
		_, mgr := h.CreateUser(admin, "he.manager", "manager", dept)
		denied := importFile(h, mgr, "type=contacts", contacts, "text/csv", "done")
		if c := counts(denied); c[1] != 0 {
			t.Fatalf("a manager outside the scope imported contacts: %s", denied.Raw)
		}
		exp = parseExport(t, "csv", h.Must(h.Do("GET", "/api/v1/contacts/export", admin, nil), 200).Raw)
		if len(exp) != 3 {
			t.Fatalf("contact export: %v", exp)
		}
		for _, row := range exp {
			if row["客户名称"] == "" || row["客户编号"] == "" {
				t.Fatalf("contact export row: %v", row)
			}
		}
		rt := importFile(h, admin, "type=contacts", []byte(h.Do("GET", "/api/v1/contacts/export", admin, nil).Raw), "text/csv", "done")
		if c := counts(rt); c != [4]int{3, 0, 3, 0} {
			t.Fatalf("re-importing the contact export: %v %s", c, rt.Raw)
		}
	})
}

// TestImportLargeXLSX imports 10,000 customers from one XLSX file on both engines.
func TestImportLargeXLSX(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		const n = 10000
		admin := h.Login("admin", apitest.AdminPassword)
		rows := [][]any{{"客户名称", "电话", "邮箱", "行业", "省份", "城市", "性质", "满意度"}}
		for i := range n {
			rows = append(rows, []any{fmt.Sprintf("测试客户%05d有限公司", i), fmt.Sprintf("010-%08d", i), fmt.Sprintf("c%d@example.cn", i),
				"软件", "北京", "北京", "私营", i%5 + 1})
		}
		file := xlsxBytes(t, rows)
		start := time.Now()
		id := startImport(h, admin, "type=customers", file, mimeXLSX)
		sawProgress := false
		var r apitest.Resp
		for {
			r = h.Must(h.Do("GET", "/api/v1/imports/"+id, admin, nil), 200)
			if r.Body["state"] == "running" && r.Body["imported"].(float64) > 0 && r.Body["total"].(float64) == n {
				sawProgress = true
			}
			if r.Body["state"] == "done" || r.Body["state"] == "failed" {
				break
			}
			time.Sleep(500 * time.Millisecond) // each poll authenticates and reads the import: do not crowd the SQLite import
		}
		took := time.Since(start)
		if c := counts(r); c != [4]int{n, n, 0, 0} || r.Body["state"] != "done" {
			t.Fatalf("large import: %v %s", c, r.Raw)
		}
		if !sawProgress {
			t.Error("never saw the import running with progress")
		}
		list := readAt(h, admin, "/api/v1/customers?limit=1", position(r))
		t.Logf("%d rows imported in %v (%.0f rows/s); read model caught up after %v", n, took.Round(time.Millisecond),
			float64(n)/took.Seconds(), time.Since(start).Round(time.Millisecond))
		// The list counts up to its bound (1,000): count the read model itself.
		var stored int
		if err := h.App.DB.SQL.QueryRow("SELECT count(*) FROM " + h.App.DB.Gens.Table(customerview.Projection, "customers")).Scan(&stored); err != nil || stored != n {
			t.Fatalf("customers after the large import: %d (%v), want %d; the list says %v (exact %v)", stored, err, n, list.Body["total"], list.Body["totalExact"])
		}
	})
}

// TestImportAccountingWithControlCharacters: a 41-row file with a NUL in one row imports the 40
// others; the report names the bad row and column, and its counts are the records in the store,
// on both engines (PostgreSQL's jsonb refuses a NUL: it must never reach the store).
func TestImportAccountingWithControlCharacters(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		rows := [][]string{{"姓名", "公司", "手机", "备注"}}
		for i := range 41 {
			rows = append(rows, []string{fmt.Sprintf("联系人%02d", i), fmt.Sprintf("公司%02d", i), fmt.Sprintf("1380013%04d", i), "备注"})
		}
		rows[22][3] = "坏\x00值"          // line 23 of the file
		rows[30][1] = "公司\u202Egnp.exe" // a bidi override, line 31
		rows[35][0] = "ok\ttab"         // a tab is text
		done := importFile(h, admin, "type=leads", csvBytes(rows), "text/csv", "done")
		if c := counts(done); c != [4]int{41, 39, 0, 2} {
			t.Fatalf("counts %v: %s", c, done.Raw)
		}
		if got, want := rowErrors(done), []rowError{{23, "remark"}, {31, "company"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("errors %v, want %v: %s", got, want, done.Raw)
		}
		if !strings.Contains(done.Raw, "column D") || !strings.Contains(done.Raw, "U+0000") || !strings.Contains(done.Raw, "U+202E") {
			t.Fatalf("the errors do not name the column and character: %s", done.Raw)
		}
		list := readAt(h, admin, "/api/v1/leads?limit=100", position(done))
		if list.Body["total"].(float64) != 39 || len(list.Body["items"].([]any)) != 39 {
			t.Fatalf("leads in the store: %v, the report says 39", list.Body["total"])
		}
		// Customers: the name is looked up for duplicates, and PostgreSQL cannot even compare a NUL:
		// the cell must fail its row before any lookup.
		crow := [][]string{{"客户名称", "电话"}, {"星河\x00科技", "010-88886666"}, {"北辰贸易", "010-88887777"}}
		cdone := importFile(h, admin, "type=customers", csvBytes(crow), "text/csv", "done")
		if c := counts(cdone); c != [4]int{2, 1, 0, 1} {
			t.Fatalf("customer counts %v: %s", c, cdone.Raw)
		}
		if got, want := rowErrors(cdone), []rowError{{2, "name"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("customer errors %v, want %v: %s", got, want, cdone.Raw)
		}
	})
}

// TestImportMalformedCSV: an unclosed quote is an error with its line, and nothing of the file is
// imported (a lenient reader took it for one field running over the following lines).
func TestImportMalformedCSV(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		for _, tc := range []struct {
			name, file string
			line       int
			says       string
		}{
			{"unclosed", "姓名,公司,手机\n王一,公司一,13800000001\n王二,\"公司二,13800000002\n王三,公司三,13800000003\n王四,公司四,13800000004\n",
				3, "opens on line 3 is not closed"},
			{"bare quote", "姓名,公司,手机\n王一,公司一,13800000001\n王二,12\" 公司,13800000002\n", 3, `line 3: a " inside a field`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := importFile(h, admin, "type=leads", []byte(tc.file), "text/csv", "failed")
				errs := r.Body["errors"].([]any)
				if c := counts(r); c[1] != 0 || len(errs) != 1 {
					t.Fatalf("counts %v: %s", c, r.Raw)
				}
				e := errs[0].(map[string]any)
				if e["row"].(float64) != float64(tc.line) || e["field"] != "file" || !strings.Contains(e["message"].(string), tc.says) ||
					!strings.Contains(r.Body["detail"].(string), "nothing was imported") {
					t.Fatalf("error %v: %s", e, r.Raw)
				}
			})
		}
		if list := h.Must(h.Do("GET", "/api/v1/leads", admin, nil), 200); list.Body["total"].(float64) != 0 {
			t.Fatalf("leads written from malformed files: %s", list.Raw)
		}
	})
}

// TestExportDefusesFormulas: CSV cells that start like a formula (=, +, -, @) get an apostrophe,
// phone numbers included (they read as text); XLSX cells are text, never formulas; importing the
// exports gives the same records back.
func TestExportDefusesFormulas(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		const link, sum, phone = `=HYPERLINK("http://x","y")`, "+1-2", "+86-10-8888-6666"
		// Imported, so that importing the exports again names the same record (ids derive from the row).
		in := importFile(h, admin, "type=leads", csvBytes([][]string{{"姓名", "公司", "电话", "备注"}, {link, sum, phone, "@SUM(1)"}}), "text/csv", "done")
		if counts(in) != [4]int{1, 1, 0, 0} {
			t.Fatalf("import: %s", in.Raw)
		}
		readAt(h, admin, "/api/v1/leads", position(in))

		raw := h.Must(h.Do("GET", "/api/v1/leads/export", admin, nil), 200).Raw
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\uFEFF"))).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("csv export: %v %q", err, raw)
		}
		cells := map[string]string{}
		for i, hd := range rows[0] {
			cells[hd] = rows[1][i]
		}
		if cells["姓名"] != "'"+link || cells["公司"] != "'"+sum || cells["电话"] != "'"+phone || cells["备注"] != "'@SUM(1)" {
			t.Fatalf("csv cells not defused: %v", cells)
		}
		for _, v := range rows[1] {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				t.Fatalf("csv cell %q starts like a formula", v)
			}
		}

		xraw := h.Must(h.Do("GET", "/api/v1/leads/export?format=xlsx", admin, nil), 200).Raw
		f, err := excelize.OpenReader(strings.NewReader(xraw))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheet := f.GetSheetList()[0]
		xrows, _ := f.GetRows(sheet)
		for j, hd := range xrows[0] {
			cell, _ := excelize.CoordinatesToCellName(j+1, 2)
			if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
				t.Fatalf("xlsx cell %s (%s) is a formula: %q", cell, hd, formula)
			}
			if typ, _ := f.GetCellType(sheet, cell); j < len(xrows[1]) && xrows[1][j] != "" && typ != excelize.CellTypeSharedString &&
				typ != excelize.CellTypeInlineString && typ != excelize.CellTypeFormula {
				t.Fatalf("xlsx cell %s (%s) has type %v", cell, hd, typ)
			}
			if hd == "姓名" && xrows[1][j] != link || hd == "电话" && xrows[1][j] != phone {
				t.Fatalf("xlsx %s: %q", hd, xrows[1][j])
			}
		}

		// Both exports import as the same lead (the apostrophes go again).
		for ct, file := range map[string]string{"text/csv": raw, mimeXLSX: xraw} {
			if r := importFile(h, admin, "type=leads", []byte(file), ct, "done"); counts(r) != [4]int{1, 0, 1, 0} {
				t.Fatalf("re-importing the %s export: %s", ct, r.Raw)
			}
		}
	})
}

// TestImportRefusesBombsAndLongFiles: an XLSX that unpacks to more than 100 times its size is
// refused with 413 before anything is unpacked; a file of more than 100,000 rows fails before
// anything is written.
func TestImportRefusesBombsAndLongFiles(t *testing.T) {
	pgtest.NotUnderRace(t) // decoding bombs is CPU-bound and the same on both engines
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for name, body := range map[string]string{"[Content_Types].xml": `<Types/>`, "xl/workbook.xml": `<workbook/>`} {
			w, _ := zw.Create(name)
			_, _ = io.WriteString(w, body)
		}
		w, _ := zw.Create("xl/worksheets/sheet1.xml")
		row := []byte(strings.Repeat(`<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>`, 1000))
		for range 1500 {
			_, _ = w.Write(row)
		}
		_ = zw.Close()
		bomb := b.Bytes() // about 0.7 MiB, 137 MiB unpacked
		// The memory this takes is measured by the tabular tests (this process runs the other
		// engine's subtest and projections at the same time); here: refused at once, from the
		// directory, and with nothing started.
		head, _ := h.App.Store.Head(context.Background())
		start := time.Now()
		r := h.Must(h.Do("POST", "/api/v1/imports?type=customers", admin, bomb, "Content-Type", mimeXLSX), 413)
		if took := time.Since(start); r.Body["code"] != "unpacked_too_large" || !strings.Contains(r.Body["detail"].(string), "unpacks to 137 MiB") ||
			took > 5*time.Second {
			t.Fatalf("bomb (%v): %s", took, r.Raw)
		}
		if after, _ := h.App.Store.Head(context.Background()); after != head {
			t.Fatal("refusing the bomb wrote events")
		}
		h.Must(h.Do("POST", "/api/v1/imports?type=customers", admin, []byte("PK\x03\x04 not a zip"), "Content-Type", mimeXLSX), 422)

		var long bytes.Buffer
		long.WriteString("姓名,手机\n")
		for i := range 100_001 {
			fmt.Fprintf(&long, "王%d,139%08d\n", i, i)
		}
		failed := importFile(h, admin, "type=leads", long.Bytes(), "text/csv", "failed")
		if c := counts(failed); c[1] != 0 || !strings.Contains(failed.Body["detail"].(string), "more than 100000 rows") {
			t.Fatalf("a file of 100,001 rows: %s", failed.Raw)
		}
		if list := h.Must(h.Do("GET", "/api/v1/leads", admin, nil), 200); list.Body["total"].(float64) != 0 {
			t.Fatalf("leads written from a file that was too long: %s", list.Raw)
		}
	})
}

// TestImportAccountingWhenTheStoreFails: the event store refuses one record (a trigger stands in
// for a database fault). Whatever the store does with the rest of that batch, the report equals
// what was written: imported is the records in the store, the refused row is named, and an
// import that stopped says how many rows it did not read; on both engines.
func TestImportAccountingWhenTheStoreFails(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		ctx := context.Background()
		admin := h.Login("admin", apitest.AdminPassword)
		if h.App.Config.EventStore == "postgres" {
			for _, q := range []string{`CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN IF NEW.data::text LIKE '%FAULT-INJECTED%' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`,
				`CREATE TRIGGER injected_fault BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION injected_fault()`} {
				if _, err := h.App.DB.SQL.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		} else {
			db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(h.App.Config.DataDir, "events.db")))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, `CREATE TRIGGER injected_fault BEFORE INSERT ON events WHEN NEW.data LIKE '%FAULT-INJECTED%'
				BEGIN SELECT RAISE(ABORT, 'injected fault'); END`); err != nil {
				t.Fatal(err)
			}
		}
		rows := [][]string{{"姓名", "公司", "手机"}}
		for i := range 1200 {
			rows = append(rows, []string{fmt.Sprintf("客户%04d", i), "公司", fmt.Sprintf("139%08d", i)})
		}
		rows[700][1] = "FAULT-INJECTED" // line 701, in the second batch of 500
		id := startImport(h, admin, "type=leads", csvBytes(rows), "text/csv")
		r := awaitImport(h, admin, id)
		c := counts(r)
		stored := readAt(h, admin, "/api/v1/leads?limit=1", position(r)).Body["total"].(float64)
		if c[0] != 1200 || float64(c[1]) != stored || c[2] != 0 || c[1]+c[3] > 1200 || c[1] < 500 {
			t.Fatalf("counts %v, %v leads in the store: %s", c, stored, r.Raw)
		}
		named := false
		for _, e := range rowErrors(r) {
			named = named || e.Row == 701
		}
		if !named {
			t.Fatalf("the refused row is not named: %s", r.Raw)
		}
		switch notRead := 1200 - c[1] - c[3]; r.Body["state"] {
		case "done":
			if notRead != 0 || c[3] != 1 {
				t.Fatalf("done with %d rows unaccounted: %s", notRead, r.Raw)
			}
		case "failed":
			if !strings.Contains(r.Body["detail"].(string), fmt.Sprintf("%d imported, 0 already there, %d not imported (listed in errors), %d not read", c[1], c[3], notRead)) {
				t.Fatalf("the detail does not account for the rows: %s", r.Raw)
			}
		}
		t.Logf("%s: %v; %s", r.Body["state"], c, r.Body["detail"])
	})
}
