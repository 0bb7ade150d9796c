package importapi_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// TestImportCodedFieldsByLabelOrCode: a lead import takes a dictionary label (Chinese or English)
// or a code for source, industry and level and stores the code; a row with an unknown value is
// reported (its row, its field, why) and the other rows import.
func TestImportCodedFieldsByLabelOrCode(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		file := csvBytes([][]string{
			{"姓名", "公司", "来源", "行业", "级别"},
			{"标签甲", "甲公司", "展会", "机械设备", "B（普通客户）"},
			{"编码乙", "乙公司", "web", "finance", "C"},
			{"英文丙", "丙公司", "trade show", "Retail", ""},
			{"未知丁", "丁公司", "地推", "金融", "A"},
		})
		done := importFile(h, admin, "type=leads", file, "text/csv", "done")
		if got, want := rowErrors(done), []rowError{{5, "source"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("errors %v, want %v: %s", got, want, done.Raw)
		}
		if c := counts(done); c != [4]int{4, 3, 0, 1} {
			t.Fatalf("counts %v: %s", c, done.Raw)
		}
		msg := done.Body["errors"].([]any)[0].(map[string]any)["message"].(string)
		if !strings.Contains(msg, "地推") || !strings.Contains(msg, "lead_source") {
			t.Fatalf("the error does not say which value of which list: %q", msg)
		}
		list := h.Must(h.Do("GET", "/api/v1/leads?sort=name&limit=100", admin, nil, "X-Chronicle-Min-Position", position(done)), 200)
		got := map[string][3]string{}
		for _, it := range list.Body["items"].([]any) {
			l := it.(map[string]any)
			got[l["name"].(string)] = [3]string{l["source"].(string), l["industry"].(string), l["level"].(string)}
		}
		want := map[string][3]string{
			"标签甲": {"exhibition", "manufacturing.machinery", "B"},
			"编码乙": {"web", "finance", "C"},
			"英文丙": {"exhibition", "retail", ""},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("stored %v, want %v", got, want)
		}
	})
}
