package importapi_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

// importIDs are the ids of an import list page, in order.
func importIDs(r apitest.Resp) []string { return apitest.IDs(r) }

// pageAll reads every page of an import list with limit and answers the ids, checking each
// page's figures against the first.
func pageAll(h *apitest.Harness, token, query string, limit int) []string {
	h.T.Helper()
	var out []string
	cursor := ""
	for pages := 0; ; pages++ {
		path := fmt.Sprintf("/api/v1/imports?limit=%d&%s", limit, query)
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := h.Must(h.Do("GET", path, token, nil), 200)
		ids := importIDs(r)
		if len(ids) > limit {
			h.T.Fatalf("a page of %d items with limit %d", len(ids), limit)
		}
		out = append(out, ids...)
		cursor, _ = r.Body["nextCursor"].(string)
		if cursor == "" {
			return out
		}
		if pages > 100 {
			h.T.Fatal("the list does not end")
		}
	}
}

// TestImportHistoryScope: the history lists the caller's imports newest first, in keyset pages;
// audit.read widens it to the data scope (a manager's department tree, the administrator's
// everyone); another user's import, and its error report, is 404 for anyone whose scope does not
// cover its starter; on both engines.
func TestImportHistoryScope(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		adminID := h.Must(h.Do("GET", "/api/v1/auth/me", admin, nil), 200).Body["id"].(string)
		d1 := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华北销售部"}), 201).Body["id"].(string)
		d2 := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华南销售部"}), 201).Body["id"].(string)
		role := h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "clerk", "displayName": "录入员", "dataScope": "self",
			"permissions": []string{"leads.read", "leads.import", "customers.read", "customers.import", "users.read"}}), 201)
		h.Must(h.Do("GET", "/api/v1/roles", admin, nil, "X-Chronicle-Min-Position", role.Header.Get("X-Chronicle-Position")), 200)
		m1ID, m1 := h.CreateUser(admin, "north.manager", "manager", d1)
		clerkID, clerk := h.CreateUser(admin, "north.clerk", "clerk", d1)
		m2ID, m2 := h.CreateUser(admin, "south.manager", "manager", d2)

		leads := csvBytes([][]string{{"姓名", "公司", "邮箱"}, {"王小明", "北京星河科技有限公司", "wang@xinghe.cn"}, {"李雷", "深圳南山电子", "not-an-email"}})
		customers := csvBytes([][]string{{"客户名称", "城市"}, {"天津海河机械", "天津"}})
		run := func(token, query string, body []byte) string {
			t.Helper()
			r := importFile(h, token, query, body, "text/csv", "done")
			return r.Body["id"].(string)
		}
		// Started in this order; each list is newest first.
		c1 := run(clerk, "type=leads&dryRun=true", leads)
		c2 := run(clerk, "type=leads", leads)
		c3 := run(clerk, "type=customers", customers)
		s1 := run(m2, "type=leads&dryRun=true", leads)
		n1 := run(m1, "type=customers&dryRun=true", customers)
		a1 := run(admin, "type=leads&dryRun=true", leads)

		// The clerk (no audit.read): their own imports only, however asked.
		if got, want := pageAll(h, clerk, "", 2), []string{c3, c2, c1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("clerk's history %v, want %v", got, want)
		}
		first := h.Must(h.Do("GET", "/api/v1/imports?limit=2", clerk, nil), 200)
		if first.Body["total"].(float64) != 3 || first.Body["totalExact"] != true || first.Body["nextCursor"] == "" {
			t.Fatalf("first page: %s", first.Raw)
		}
		second := h.Must(h.Do("GET", "/api/v1/imports?limit=2&cursor="+first.Body["nextCursor"].(string), clerk, nil), 200)
		if ids := importIDs(second); !reflect.DeepEqual(ids, []string{c1}) || second.Body["total"].(float64) != 3 || second.Body["nextCursor"] != "" {
			t.Fatalf("second page: %s", second.Raw)
		}
		if ids := importIDs(h.Must(h.Do("GET", "/api/v1/imports?by="+m2ID, clerk, nil), 200)); len(ids) != 0 {
			t.Fatalf("the clerk lists another user's imports: %v", ids)
		}
		if got := pageAll(h, clerk, "sort=createdAt", 50); !reflect.DeepEqual(got, []string{c1, c2, c3}) {
			t.Fatalf("oldest first: %v", got)
		}
		// Each item: who, what, when, how it went.
		item := first.Body["items"].([]any)[1].(map[string]any) // c2: the real leads import
		by := item["by"].(map[string]any)
		if item["id"] != c2 || item["type"] != "leads" || item["dryRun"] != false || item["state"] != "done" || by["id"] != clerkID ||
			by["name"] != "用户north.clerk" || item["total"].(float64) != 2 || item["imported"].(float64) != 1 || item["failed"].(float64) != 1 ||
			item["skipped"].(float64) != 0 || item["finishedAt"] == nil || item["errors"] != nil {
			t.Fatalf("history item: %v", item)
		}
		one := h.Must(h.Do("GET", "/api/v1/imports/"+c2, clerk, nil), 200)
		if one.Body["by"].(map[string]any)["name"] != "用户north.clerk" || len(one.Body["errors"].([]any)) != 1 {
			t.Fatalf("the import: %s", one.Raw)
		}

		// Someone else's import is 404, with its error report, unless the reader's scope covers
		// its starter.
		for _, c := range []struct {
			token, id string
			status    int
		}{
			{clerk, s1, 404}, {clerk, n1, 404}, {clerk, a1, 404}, // no audit.read: own only
			{m2, c2, 404}, {m2, n1, 404}, // the other department's manager
			{m1, c2, 200}, {m1, s1, 404}, {m1, a1, 404}, // the clerk's manager: their department tree
			{admin, c2, 200}, {admin, s1, 200},
		} {
			h.Must(h.Do("GET", "/api/v1/imports/"+c.id, c.token, nil), c.status)
			h.Must(h.Do("GET", "/api/v1/imports/"+c.id+"/errors", c.token, nil), c.status)
			h.Must(h.Do("GET", "/api/v1/imports/"+c.id+"/errors?format=xlsx", c.token, nil), c.status)
		}
		if got, want := pageAll(h, m1, "", 1), []string{n1, c3, c2, c1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("the north manager's history %v, want %v", got, want)
		}
		if got, want := pageAll(h, m2, "", 50), []string{s1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("the south manager's history %v, want %v", got, want)
		}
		if got := pageAll(h, m1, "by="+m2ID, 50); len(got) != 0 {
			t.Fatalf("by= reaches outside the scope: %v", got)
		}

		// The administrator: everyone's, with filters.
		if got, want := pageAll(h, admin, "", 4), []string{a1, n1, s1, c3, c2, c1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("everyone's history %v, want %v", got, want)
		}
		for q, want := range map[string][]string{
			"by=" + clerkID:                        {c3, c2, c1},
			"by=" + m1ID:                           {n1},
			"by=" + adminID:                        {a1},
			"kind=customers":                       {n1, c3},
			"kind=leads&by=" + clerkID:             {c2, c1},
			"kind=leads,customers&by=" + m1ID:      {n1},
			"status=done&kind=customers":           {n1, c3},
			"status=failed":                        nil,
			"status=queued,running":                nil,
			"status=failed&status=done&by=" + m2ID: {s1},
		} {
			if got := pageAll(h, admin, q, 2); !reflect.DeepEqual(got, want) {
				t.Errorf("?%s: %v, want %v", q, got, want)
			}
		}
		for _, q := range []string{"kind=orders", "status=stuck", "by=nobody", "sort=name", "limit=501", "limit=0", "cursor=garbage"} {
			r := h.Do("GET", "/api/v1/imports?"+q, admin, nil)
			if r.Status != 422 && r.Status != 400 {
				t.Errorf("?%s: %d %s", q, r.Status, r.Raw)
			}
		}
		r := h.Must(h.Do("GET", "/api/v1/imports?kind=orders&status=stuck", admin, nil), 422)
		apitest.WantCode(t, r, "validation_failed")
		if len(r.Body["errors"].([]any)) != 2 {
			t.Fatalf("every bad parameter is named: %s", r.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/imports", "", nil), 401)
		h.Must(h.Do("GET", "/api/v1/imports/not-a-uuid/errors", admin, nil), 422)
		h.Must(h.Do("GET", "/api/v1/imports/"+c2+"/errors?format=pdf", admin, nil), 422)
	})
}

// TestImportHistoryInterrupted: an import whose process stopped (no progress for 10 minutes) is
// listed and filtered as failed, with the detail that says so.
func TestImportHistoryInterrupted(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clock := &apitest.FakeClock{}
			h := apitest.New(t, engine, clock.Now)
			admin := h.Login("admin", apitest.AdminPassword)
			done := importFile(h, admin, "type=customers&dryRun=true", csvBytes([][]string{{"客户名称"}, {"天津海河机械"}}), "text/csv", "done")
			id := done.Body["id"].(string)
			// As a process that stopped mid-import leaves it.
			if _, err := h.App.DB.SQL.Exec(h.App.DB.Q(`UPDATE imports SET state = 'running', finished_at = NULL WHERE id = ?`), id); err != nil {
				t.Fatal(err)
			}
			if got := pageAll(h, admin, "status=running", 50); !reflect.DeepEqual(got, []string{id}) {
				t.Fatalf("running: %v", got)
			}
			clock.Advance(11 * time.Minute)
			if got := pageAll(h, admin, "status=running", 50); len(got) != 0 {
				t.Fatalf("an interrupted import is listed as running: %v", got)
			}
			if got := pageAll(h, admin, "status=failed", 50); !reflect.DeepEqual(got, []string{id}) {
				t.Fatalf("failed: %v", got)
			}
			it := h.Must(h.Do("GET", "/api/v1/imports?status=failed", admin, nil), 200).Body["items"].([]any)[0].(map[string]any)
			if it["state"] != "failed" || !strings.HasPrefix(it["detail"].(string), "interrupted") || it["finishedAt"] == nil {
				t.Fatalf("interrupted import: %v", it)
			}
			if one := h.Must(h.Do("GET", "/api/v1/imports/"+id, admin, nil), 200); one.Body["state"] != "failed" {
				t.Fatalf("interrupted import: %s", one.Raw)
			}
		})
	}
}
