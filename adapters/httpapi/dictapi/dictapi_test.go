package dictapi_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

func codesOf(r apitest.Resp) []string {
	var out []string
	for _, it := range r.Body["items"].([]any) {
		out = append(out, it.(map[string]any)["code"].(string))
	}
	return out
}

func itemOf(r apitest.Resp, code string) map[string]any {
	for _, it := range r.Body["items"].([]any) {
		if m := it.(map[string]any); m["code"] == code {
			return m
		}
	}
	return nil
}

// TestDictionaries: every user reads the lists (built-in items before any change); administrators
// add, relabel, disable, enable and reorder items; bad input is a 4xx that changes nothing; the
// list's version pins edits (If-Match) and each change is in the operation log.
func TestDictionaries(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, sales := h.CreateUser(admin, "zhou.sales", "sales")

		all := h.Must(h.Do("GET", "/api/v1/dictionaries", sales, nil), 200)
		lists := all.Body["items"].([]any)
		if len(lists) != 10 || lists[0].(map[string]any)["kind"] != "lead_source" || lists[1].(map[string]any)["levels"] != float64(2) {
			t.Fatalf("lists: %s", all.Raw)
		}
		src := h.Must(h.Do("GET", "/api/v1/dictionaries/lead_source", sales, nil), 200)
		if src.Body["version"] != float64(0) || src.Header.Get("ETag") != "" || itemOf(src, "web") == nil {
			t.Fatalf("built-in lead sources: %s (ETag %s)", src.Raw, src.Header.Get("ETag"))
		}
		apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/dictionaries/colour", sales, nil), 404), "not_found")

		// Only settings.manage edits.
		item := map[string]any{"code": "xiaohongshu", "labels": map[string]string{"zh-CN": "小红书", "en": "Xiaohongshu"}}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/dictionaries/lead_source/items", sales, item), 403), "forbidden")
		added := h.Must(h.Do("POST", "/api/v1/dictionaries/lead_source/items", admin, item), 201)
		if codes := codesOf(added); codes[len(codes)-1] != "xiaohongshu" || added.Body["version"] != float64(1) || added.Header.Get("ETag") != `"1"` {
			t.Fatalf("added: %s", added.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/dictionaries/lead_source/items", admin, item), 409), "duplicate_code")

		// Bad input: 4xx, nothing written.
		for _, bad := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"code": "has space", "labels": map[string]string{"zh-CN": "甲"}}, "code"},
			{map[string]any{"code": "x", "labels": map[string]string{"en": "X"}}, "labels.zh-CN"},
			{map[string]any{"code": "x", "parent": "web", "labels": map[string]string{"zh-CN": "甲"}}, "parent"},
		} {
			r := h.Must(h.Do("POST", "/api/v1/dictionaries/lead_source/items", admin, bad.body), 422)
			if fmt.Sprint(r.Body["errors"]) == "" || !strings.Contains(r.Raw, bad.field) {
				t.Fatalf("%v: %s, want a field error on %s", bad.body, r.Raw, bad.field)
			}
		}
		h.Must(h.Do("POST", "/api/v1/dictionaries/lead_source/items", admin, map[string]any{"code": "x", "labels": map[string]string{"zh-CN": "甲"}, "colour": "red"}), 400)
		apitest.WantCode(t, h.Must(h.Do("PATCH", "/api/v1/dictionaries/lead_source/items/nope", admin, map[string]any{"labels": map[string]string{"zh-CN": "甲"}}), 404), "not_found")
		if v := h.Must(h.Do("GET", "/api/v1/dictionaries/lead_source", admin, nil), 200); v.Body["version"] != float64(1) {
			t.Fatalf("refused edits wrote something: %s", v.Raw)
		}

		// Industries nest one level; branches follow their sector.
		ind := h.Must(h.Do("POST", "/api/v1/dictionaries/industry/items", admin, map[string]any{"code": "internet.gaming", "parent": "internet",
			"labels": map[string]string{"zh-CN": "游戏", "en": "Gaming"}}), 201)
		codes := codesOf(ind)
		at := slices.Index(codes, "internet.gaming")
		if codes[at-1] != "internet.ecommerce" || itemOf(ind, "internet.gaming")["parent"] != "internet" {
			t.Fatalf("branch placement: %v", codes)
		}
		h.Must(h.Do("POST", "/api/v1/dictionaries/industry/items", admin, map[string]any{"code": "y", "parent": "internet.gaming",
			"labels": map[string]string{"zh-CN": "乙"}}), 422)

		// Relabel, disable, enable; If-Match pins the version.
		re := h.Must(h.Do("PATCH", "/api/v1/dictionaries/lead_source/items/web", admin, map[string]any{"labels": map[string]string{"zh-CN": "官网", "en": "Web site"}}, "If-Match", `"1"`), 200)
		if l := itemOf(re, "web")["labels"].(map[string]any); l["zh-CN"] != "官网" || re.Body["version"] != float64(2) {
			t.Fatalf("relabel: %s", re.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/dictionaries/lead_source/items/web/disable", admin, nil, "If-Match", `"1"`), 412), "version_conflict")
		off := h.Must(h.Do("POST", "/api/v1/dictionaries/lead_source/items/web/disable", admin, nil, "If-Match", `"2"`), 200)
		if itemOf(off, "web")["enabled"] != false {
			t.Fatalf("disable: %s", off.Raw)
		}
		// A disabled item stays in the list (records that hold it keep its label).
		if seen := h.Must(h.Do("GET", "/api/v1/dictionaries/lead_source", sales, nil, "X-Chronicle-Min-Position", off.Header.Get("X-Chronicle-Position")), 200); itemOf(seen, "web") == nil {
			t.Fatalf("a disabled item left the list: %s", seen.Raw)
		}
		on := h.Must(h.Do("POST", "/api/v1/dictionaries/lead_source/items/web/enable", admin, nil), 200)
		if itemOf(on, "web")["enabled"] != true {
			t.Fatalf("enable: %s", on.Raw)
		}

		// Reorder the top level: every code once.
		cur := codesOf(on)
		reversed := make([]string, len(cur))
		for i, c := range cur {
			reversed[len(cur)-1-i] = c
		}
		apitest.WantCode(t, h.Must(h.Do("PUT", "/api/v1/dictionaries/lead_source/order", admin, map[string]any{"codes": reversed[1:]}), 422), "validation_failed")
		ro := h.Must(h.Do("PUT", "/api/v1/dictionaries/lead_source/order", admin, map[string]any{"codes": reversed}), 200)
		if fmt.Sprint(codesOf(ro)) != fmt.Sprint(reversed) {
			t.Fatalf("order %v, want %v", codesOf(ro), reversed)
		}

		// Concurrent adds to one list: each is written (201) or refused as a conflict after its
		// retries (409), never half-done, and the list holds exactly the written ones.
		var wg sync.WaitGroup
		status := make([]int, 6)
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := h.Do("POST", "/api/v1/dictionaries/product_unit/items", admin, map[string]any{"code": fmt.Sprintf("u%d", i),
					"labels": map[string]string{"zh-CN": fmt.Sprintf("单位%d", i)}})
				status[i] = r.Status
			}()
		}
		wg.Wait()
		units := h.Must(h.Do("GET", "/api/v1/dictionaries/product_unit", admin, nil), 200)
		written := 0
		for i, st := range status {
			got := itemOf(units, fmt.Sprintf("u%d", i)) != nil
			switch {
			case st == 201 && got:
				written++
			case st == 409 && !got:
			default:
				t.Fatalf("concurrent add u%d answered %d, in the list: %v", i, st, got)
			}
		}
		if written == 0 || units.Body["version"] != float64(written) {
			t.Fatalf("%d adds written, list at version %v", written, units.Body["version"])
		}

		// Every command is measured, refusals by their outcome.
		metrics := h.Do("GET", "/metrics", "", nil).Raw
		for _, want := range []string{`chronicle_commands_total{command="dictionary.add_item",outcome="ok"}`,
			`chronicle_commands_total{command="dictionary.add_item",outcome="forbidden"} 1`, `chronicle_commands_total{command="dictionary.disable_item",outcome="ok"} 1`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}

		// Each change is in the operation log, with its command.
		log := h.Must(h.Do("GET", "/api/v1/audit/events?type=dictionary.item_disabled.v1", admin, nil), 200)
		if items := log.Body["items"].([]any); len(items) != 1 {
			t.Fatalf("operation log of disables: %s", log.Raw)
		}
	})
}
