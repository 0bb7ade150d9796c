package importapi_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// productCategory creates a category and answers its id (found in the tree the create answers).
func productCategory(t *testing.T, h *apitest.Harness, token, name, parent string) string {
	t.Helper()
	r := h.Must(h.Do("POST", "/api/v1/product-categories", token, map[string]any{"name": name, "parentId": parent}), 201)
	var find func([]any) string
	find = func(cs []any) string {
		for _, c := range cs {
			m := c.(map[string]any)
			if m["name"] == name && m["parentId"] == parent {
				return m["id"].(string)
			}
			if id := find(m["children"].([]any)); id != "" {
				return id
			}
		}
		return ""
	}
	return find(r.Body["categories"].([]any))
}

var productCSV = [][]string{
	{"产品名称", "产品编码", "产品分类", "单位", "生产日期", "生产成本", "建议零售价", "产品描述", "状态"},
	{"机架式服务器", "SRV-2U", "硬件/服务器", "台", "2025-01-15", "12000.10", "23999.50", "2U 机架", "在售"},
	{"千兆交换机", "SW-48", "硬件", "个", "", "0.10", "1,999.99", "", "停售"},
	{"路由器", "RT-1", "硬件", "吨", "", "", "300", "", ""},           // unknown unit
	{"另一台服务器", "EXIST-1", "服务器", "台", "", "", "1", "", ""},      // a product entered by hand has the code
	{"办公软件", "OFF-1", "软件", "license", "", "", "1.005", "", ""}, // three decimals
	{"交换机二代", "sw-48", "硬件", "个", "", "", "2999", "", ""},       // the code of row 3
	{"打印机", "PRN-1", "外设", "台", "", "", "800", "", ""},          // no such category
	{"年度维保", "SVC-1", "软件", "year", "2026/3/1", "", "12345678.90", "", "on_sale"},
}

// TestImportExportProducts: a products file with bad rows reports exactly those rows (column and
// reason) and imports the others; importing it again, or importing the export, writes nothing;
// exports keep exact decimals, category paths and unit labels, follow the list's filters and need
// products.manage; unreadable files are refused with a 4xx. Both engines.
func TestImportExportProducts(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		ctx := context.Background()
		admin := h.Login("admin", apitest.AdminPassword)
		_, sales := h.CreateUser(admin, "qian.sales", "sales")
		hw := productCategory(t, h, admin, "硬件", "")
		srv := productCategory(t, h, admin, "服务器", hw)
		productCategory(t, h, admin, "软件", "")
		h.Must(h.Do("POST", "/api/v1/products", admin, map[string]any{"name": "手工录入服务器", "code": "EXIST-1", "categoryId": srv, "unit": "unit", "price": "9.90"}), 201)
		file := csvBytes(productCSV)

		h.Must(h.Do("POST", "/api/v1/imports?type=products", sales, file, "Content-Type", "text/csv"), 403)
		h.Must(h.Do("GET", "/api/v1/products/export", sales, nil), 403)

		wantErrs := []rowError{{4, "unit"}, {5, "code"}, {6, "price"}, {7, "code"}, {8, "category"}}
		head, _ := h.App.Store.Head(ctx)
		dry := importFile(h, admin, "type=products&dryRun=true", file, "text/csv", "done")
		if got := rowErrors(dry); !reflect.DeepEqual(got, wantErrs) {
			t.Fatalf("dry-run errors %v, want %v: %s", got, wantErrs, dry.Raw)
		}
		if c := counts(dry); c != [4]int{8, 3, 0, 5} || dry.Body["type"] != "products" {
			t.Fatalf("dry-run counts %v: %s", c, dry.Raw)
		}
		if after, _ := h.App.Store.Head(ctx); after != head {
			t.Fatalf("the dry run wrote %d events", after-head)
		}

		done := importFile(h, admin, "type=products", file, "text/csv", "done")
		if c := counts(done); c != [4]int{8, 3, 0, 5} || !reflect.DeepEqual(rowErrors(done), wantErrs) {
			t.Fatalf("import counts %v: %s", c, done.Raw)
		}
		// Each reason names its cause.
		for _, e := range done.Body["errors"].([]any) {
			m := e.(map[string]any)
			msg := m["message"].(string)
			ok := map[float64]bool{4: strings.Contains(msg, "吨"), 5: strings.Contains(msg, "EXIST-1"), 6: strings.Contains(msg, "decimal"),
				7: strings.Contains(msg, "row 3"), 8: strings.Contains(msg, "外设")}[m["row"].(float64)]
			if !ok {
				t.Fatalf("error without its reason: %v", m)
			}
		}
		list := readAt(h, admin, "/api/v1/products?sort=code&limit=100", position(done))
		byCode := map[string]map[string]any{}
		for _, it := range list.Body["items"].([]any) {
			m := it.(map[string]any)
			byCode[m["code"].(string)] = m
		}
		if len(byCode) != 4 {
			t.Fatalf("products after import: %s", list.Raw)
		}
		s, w, y := byCode["SRV-2U"], byCode["SW-48"], byCode["SVC-1"]
		if s == nil || s["price"] != "23999.50" || s["cost"] != "12000.10" || s["unit"] != "unit" || s["categoryPath"] != "硬件/服务器" ||
			s["productionDate"] != "2025-01-15" || s["status"] != "on_sale" || s["description"] != "2U 机架" {
			t.Fatalf("SRV-2U: %v", s)
		}
		if w == nil || w["price"] != "1999.99" || w["cost"] != "0.10" || w["status"] != "off_sale" || w["unit"] != "piece" {
			t.Fatalf("SW-48: %v", w)
		}
		if y == nil || y["price"] != "12345678.90" || y["productionDate"] != "2026-03-01" || y["categoryPath"] != "软件" {
			t.Fatalf("SVC-1: %v", y)
		}
		if byCode["EXIST-1"]["name"] != "手工录入服务器" {
			t.Fatalf("the hand-made product changed: %v", byCode["EXIST-1"])
		}

		// Again: nothing new is written.
		head, _ = h.App.Store.Head(ctx)
		again := importFile(h, admin, "type=products", file, "text/csv", "done")
		if c := counts(again); c != [4]int{8, 0, 3, 5} {
			t.Fatalf("re-import counts %v: %s", c, again.Raw)
		}
		if after, _ := h.App.Store.Head(ctx); after != head {
			t.Fatalf("the re-import wrote %d events", after-head)
		}

		// XLSX with English headers, numeric cells and an Excel date.
		x := importFile(h, admin, "type=products", xlsxBytes(t, [][]any{
			{"Name", "Code", "Category", "Unit", "productionDate", "Price", "Cost"},
			{"工作站", "WS-1", "硬件", "unit", 45658, 8888.8, "7000"},
			{"显示器", "MON-1", "硬件", "台", "", 1.001, ""},
		}), mimeXLSX, "done")
		if c := counts(x); c != [4]int{2, 1, 0, 1} || !reflect.DeepEqual(rowErrors(x), []rowError{{3, "price"}}) {
			t.Fatalf("xlsx import %v: %s", c, x.Raw)
		}
		ws := readAt(h, admin, "/api/v1/products?q=WS-1", position(x)).Body["items"].([]any)
		if len(ws) != 1 || ws[0].(map[string]any)["price"] != "8888.80" || ws[0].(map[string]any)["cost"] != "7000.00" ||
			ws[0].(map[string]any)["productionDate"] != "2025-01-01" {
			t.Fatalf("xlsx product: %v", ws)
		}

		// Export: both formats, exact decimals, paths and unit labels; importing it changes nothing.
		for _, format := range []string{"csv", "xlsx"} {
			r := h.Must(h.Do("GET", "/api/v1/products/export?format="+format, admin, nil), 200)
			if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="products-`) {
				t.Fatalf("Content-Disposition %q", cd)
			}
			rows := parseExport(t, format, r.Raw)
			got := map[string]map[string]string{}
			for _, row := range rows {
				got[row["产品编码"]] = row
			}
			if len(rows) != 5 || len(got) != 5 {
				t.Fatalf("%s export: %v", format, rows)
			}
			e := got["SRV-2U"]
			if e["建议零售价"] != "23999.50" || e["生产成本"] != "12000.10" || e["产品分类"] != "硬件/服务器" || e["单位"] != "台" ||
				e["状态"] != "在售" || e["生产日期"] != "2025-01-15" || e["产品名称"] != "机架式服务器" {
				t.Fatalf("%s export row: %v", format, e)
			}
			if got["SVC-1"]["建议零售价"] != "12345678.90" || got["SW-48"]["生产成本"] != "0.10" || got["SW-48"]["状态"] != "停售" ||
				got["SVC-1"]["单位"] != "年" {
				t.Fatalf("%s export: %v %v", format, got["SVC-1"], got["SW-48"])
			}
			ct := "text/csv"
			if format == "xlsx" {
				ct = mimeXLSX
			}
			head, _ = h.App.Store.Head(ctx)
			rt := importFile(h, admin, "type=products", []byte(r.Raw), ct, "done")
			if c := counts(rt); c != [4]int{5, 0, 5, 0} {
				t.Fatalf("re-importing the %s export: %v %s", format, c, rt.Raw)
			}
			if after, _ := h.App.Store.Head(ctx); after != head {
				t.Fatalf("re-importing the %s export wrote %d events", format, after-head)
			}
		}
		// The list's filters apply.
		codes := func(query string) []string {
			var out []string
			for _, row := range parseExport(t, "csv", h.Must(h.Do("GET", "/api/v1/products/export?"+query, admin, nil), 200).Raw) {
				out = append(out, row["产品编码"])
			}
			return out
		}
		if got := codes("q=交换机"); !reflect.DeepEqual(got, []string{"SW-48"}) {
			t.Fatalf("q=交换机: %v", got)
		}
		if got := codes("categoryId=" + srv + "&sort=code"); !reflect.DeepEqual(got, []string{"EXIST-1", "SRV-2U"}) {
			t.Fatalf("subtree of 服务器: %v", got)
		}
		if got := codes("status=off_sale"); !reflect.DeepEqual(got, []string{"SW-48"}) {
			t.Fatalf("off sale: %v", got)
		}
		h.Must(h.Do("GET", "/api/v1/products/export?format=pdf", admin, nil), 422)
		h.Must(h.Do("GET", "/api/v1/products/export?status=sold", admin, nil), 422)

		// Unreadable files: a clear 4xx before anything is queued, or a failed import naming the line.
		rnd := rand.New(rand.NewPCG(1, 2))
		junk := make([]byte, 2<<20)
		for i := range junk {
			junk[i] = byte(rnd.UintN(256))
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/imports?type=products", admin, junk, "Content-Type", mimeXLSX), 415), "unsupported_media_type")
		zipJunk := append([]byte("PK\x03\x04"), junk...)
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/imports?type=products", admin, zipJunk, "Content-Type", mimeXLSX), 422), "unreadable_file")
		ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0}, junk...)
		h.Must(h.Do("POST", "/api/v1/imports?type=products", admin, ole, "Content-Type", "application/octet-stream"), 415)
		head, _ = h.App.Store.Head(ctx)
		bad := importFile(h, admin, "type=products", []byte("产品名称,产品编码,产品分类\n坏行,\"BAD-1,硬件\n好行,OK-1,硬件\n"), "text/csv", "failed")
		if !strings.Contains(bad.Raw, "line 2") || counts(bad)[1] != 0 {
			t.Fatalf("malformed CSV: %s", bad.Raw)
		}
		if after, _ := h.App.Store.Head(ctx); after != head {
			t.Fatalf("a malformed file wrote %d events", after-head)
		}
	})
}
