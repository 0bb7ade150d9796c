package worklogapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/domain/worklog"
)

func ids(r apitest.Resp) []string {
	var out []string
	for _, it := range r.Body["items"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestWorkLogs: the work log module end to end on both engines: bad input answered with the
// field and a stable code and nothing written, a draft then submitted to the writer's superior
// and department head, one log per writer, kind and period (409, also under a race of twenty
// writes), If-Match, who reads (the writer, recipients, a superior through the data scope; a
// stranger gets 404), comments by a recipient and the writer's reply, edits until the first
// comment, read receipts counted once, the views and filters, and exact statistics.
func TestWorkLogs(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售一部"}), 201).Body["id"].(string)
		other := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售二部"}), 201).Body["id"].(string)
		bossID, boss := h.CreateUser(admin, "li.boss", "manager", dept)
		h.Must(h.Do("PATCH", "/api/v1/departments/"+other, admin, map[string]any{"headId": bossID}), 200)
		zhangID, zhang := h.CreateUser(admin, "zhang.sales", "sales", dept, bossID)
		_, liu := h.CreateUser(admin, "liu.sales", "sales", dept, bossID)
		wangID, wang := h.CreateUser(admin, "wang.sales", "sales", other)
		_, zhao := h.CreateUser(admin, "zhao.sales", "sales", other)
		customer := h.Must(h.Do("POST", "/api/v1/customers", zhang, map[string]any{"name": "北京星河科技有限公司"}), 201).Body["id"].(string)

		today := worklog.Today(time.Now())
		day := today.Format(time.DateOnly)
		yesterday := today.AddDate(0, 0, -1).Format(time.DateOnly)
		tomorrow := today.AddDate(0, 0, 1).Format(time.DateOnly)
		create := func(token string, body map[string]any, status int) apitest.Resp {
			t.Helper()
			return h.Must(h.Do("POST", "/api/v1/worklogs", token, body), status)
		}

		// Bad input: 4xx with the field and its code, nothing written.
		head := h.Head()
		apitest.FieldErr(t, create(zhang, map[string]any{"kind": "daily", "period": day, "workDone": " "}, 422), "workDone", "")
		apitest.FieldErr(t, create(zhang, map[string]any{"kind": "daily", "period": tomorrow, "workDone": "x"}, 422), "period", "future_period")
		apitest.FieldErr(t, create(zhang, map[string]any{"kind": "daily", "period": "2026-02-30", "workDone": "x"}, 422), "period", "bad_period")
		apitest.FieldErr(t, create(zhang, map[string]any{"kind": "yearly", "period": day, "workDone": "x"}, 422), "kind", "")
		apitest.FieldErr(t, create(zhang, map[string]any{"kind": "daily", "period": day, "workDone": strings.Repeat("字", 5001)}, 422), "workDone", "")
		apitest.FieldErr(t, create(wang, map[string]any{"kind": "daily", "period": day, "workDone": "x", "links": []map[string]any{{"kind": "customer", "id": customer}}}, 422), "links[0].id", "unknown_related")
		apitest.FieldErr(t, create(zhang, map[string]any{"kind": "daily", "period": day, "workDone": "x", "extraRecipients": []string{"00000000-0000-0000-0000-000000000001"}}, 422), "extraRecipients[0]", "unknown_user")
		apitest.FieldErr(t, create(admin, map[string]any{"kind": "daily", "period": day, "workDone": "x", "submit": true}, 422), "extraRecipients", "no_recipient")
		h.Must(h.Do("POST", "/api/v1/worklogs", zhang, map[string]any{"kind": "daily", "period": day, "workDone": "x", "mood": "good"}), 400)
		if now := h.Head(); now != head {
			t.Fatalf("refused writes wrote events: head %s → %s", head, now)
		}

		// 张伟 drafts today's log about his customer, then submits it: to his superior 李经理 and
		// (as 销售一部 has no head) no one else; 王芳 named as an extra recipient.
		d := create(zhang, map[string]any{"kind": "daily", "period": day, "workDone": "拜访星河科技，演示 ERP", "plan": "发出报价单",
			"links": []map[string]any{{"kind": "customer", "id": customer}}, "extraRecipients": []string{wangID}}, 201)
		id := d.Body["id"].(string)
		path := "/api/v1/worklogs/" + id
		links := d.Body["links"].([]any)
		if d.Body["status"] != "draft" || d.Body["writerId"] != zhangID || d.Body["writerName"] != "用户zhang.sales" || d.Body["period"] != day ||
			len(links) != 1 || links[0].(map[string]any)["name"] != "北京星河科技有限公司" || d.Header.Get("ETag") != `"1"` {
			t.Fatalf("drafted: %s", d.Raw)
		}
		// a draft is the writer's alone
		for _, tok := range []string{boss, wang, admin} {
			apitest.WantCode(t, h.Must(h.Do("GET", path, tok, nil), 404), "not_found")
		}
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/comments", zhang, map[string]any{"text": "?"}), 409), "not_submitted")
		// one per writer, kind and period, whatever day of it is named
		apitest.WantCode(t, create(zhang, map[string]any{"kind": "daily", "period": day, "workDone": "again"}, 409), "duplicate_period")
		// If-Match: a stale version is 412
		up := h.Must(h.Do("PATCH", path, zhang, map[string]any{"problems": "客户预算未定"}, "If-Match", `"1"`), 200)
		if up.Body["problems"] != "客户预算未定" || up.Header.Get("ETag") != `"2"` {
			t.Fatalf("edited: %s", up.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("PATCH", path, zhang, map[string]any{"plan": "x"}, "If-Match", `"1"`), 412), "version_conflict")
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/submit", liu, nil), 404), "not_found")
		sub := h.Must(h.Do("POST", path+"/submit", zhang, nil), 200)
		if sub.Body["status"] != "submitted" || sub.Body["submittedAt"] == nil || fmt.Sprint(sub.Body["recipients"]) != fmt.Sprint(sorted(bossID, wangID)) {
			t.Fatalf("submitted: %s", sub.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/submit", zhang, nil), 409), "already_submitted")
		apitest.FieldErr(t, h.Must(h.Do("PATCH", path, zhang, map[string]any{"extraRecipients": []string{}}), 422), "extraRecipients", "recipients_fixed")

		// Who reads it: the writer, the recipients, the admin through the data scope; not a
		// colleague or a stranger. Only the writer edits.
		for _, tok := range []string{zhang, boss, wang, admin} {
			h.Must(h.Do("GET", path, tok, nil), 200)
		}
		for _, tok := range []string{zhao, liu} {
			apitest.WantCode(t, h.Must(h.Do("GET", path, tok, nil), 404), "not_found")
			apitest.WantCode(t, h.Must(h.Do("POST", path+"/comments", tok, map[string]any{"text": "?"}), 404), "not_found")
			apitest.WantCode(t, h.Must(h.Do("GET", path+"/receipts", tok, nil), 404), "not_found")
		}
		apitest.WantCode(t, h.Must(h.Do("PATCH", path, boss, map[string]any{"plan": "x"}), 403), "not_writer")

		// Read receipts: the superior opens it twice, counted once; the writer and the admin
		// (not recipients) record nothing; the ETag does not move.
		if got := h.Must(h.Do("GET", path, boss, nil), 200); got.Body["unread"] != true {
			t.Fatalf("unread for its recipient: %s", got.Raw)
		}
		for _, tok := range []string{boss, boss, zhang, admin} {
			h.Must(h.Do("POST", path+"/read", tok, nil), 204)
		}
		got := h.Must(h.Do("GET", path, boss, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if got.Body["readCount"] != float64(1) || got.Body["unread"] != false || got.Header.Get("ETag") != `"3"` {
			t.Fatalf("after reading: ETag %s %s", got.Header.Get("ETag"), got.Raw)
		}
		reads := 0
		for _, e := range h.Must(h.Do("GET", path+"/history", zhang, nil), 200).Body["items"].([]any) {
			if e.(map[string]any)["type"] == "worklog.read.v1" {
				reads++
			}
		}
		rc := h.Must(h.Do("GET", path+"/receipts", zhang, nil), 200).Body["items"].([]any)
		if reads != 1 || len(rc) != 2 || rc[0].(map[string]any)["userId"] != bossID || rc[0].(map[string]any)["readAt"] == nil || rc[1].(map[string]any)["readAt"] != nil {
			t.Fatalf("receipts: %d read events, %v", reads, rc)
		}

		// Edits after the submission, until the first comment (the receipt did not move the
		// version: 3, the edit is 5); the recipient comments, the writer replies.
		h.Must(h.Do("PATCH", path, zhang, map[string]any{"plan": "周五前发出报价单"}, "If-Match", `"3"`), 200)
		h.Must(h.Do("POST", path+"/comments", boss, map[string]any{"text": "请补充报价进展"}), 201)
		c := h.Must(h.Do("POST", path+"/comments", zhang, map[string]any{"text": "好的"}), 201)
		if c.Body["commentCount"] != float64(2) || c.Body["editable"] != false || c.Header.Get("ETag") != `"5"` {
			t.Fatalf("commented: %s", c.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("PATCH", path, zhang, map[string]any{"plan": "x"}, "If-Match", `"5"`), 409), "worklog_commented")
		cs := h.Must(h.Do("GET", path+"/comments", wang, nil), 200).Body["items"].([]any)
		if len(cs) != 2 || cs[0].(map[string]any)["text"] != "请补充报价进展" || cs[0].(map[string]any)["byName"] != "用户li.boss" {
			t.Fatalf("comments: %v", cs)
		}

		// A concurrent race: twenty writes of 刘洋's weekly log at once, exactly one succeeds.
		var wg sync.WaitGroup
		statuses := make([]int, 20)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = h.Do("POST", "/api/v1/worklogs", liu, map[string]any{"kind": "weekly", "period": day, "workDone": fmt.Sprint("周报", i)}).Status // drafts: the winner is not in the views below
			}()
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, s := range statuses {
			switch {
			case s >= 200 && s < 300:
				ok++
			case s == 409:
				conflicts++
			}
		}
		if ok != 1 || conflicts != 19 {
			t.Fatalf("race: %d succeeded, %d conflicts (%v)", ok, conflicts, statuses)
		}
		weekly := h.Must(h.Do("GET", "/api/v1/worklogs?kind=weekly", liu, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if weekly.Body["total"] != float64(1) {
			t.Fatalf("weekly logs after the race: %s", weekly.Raw)
		}

		// More logs: 刘洋's submitted daily yesterday; 王芳's (head of 销售二部 is 李经理) today.
		y := create(liu, map[string]any{"kind": "daily", "period": yesterday, "workDone": "电话回访", "submit": true}, 201).Body["id"].(string)
		w := create(wang, map[string]any{"kind": "daily", "period": day, "workDone": "整理合同", "submit": true}, 201)
		if fmt.Sprint(w.Body["recipients"]) != fmt.Sprint([]string{bossID}) {
			t.Fatalf("the department head receives: %s", w.Raw)
		}
		view := func(tok string, q url.Values) []string {
			t.Helper()
			return ids(h.Must(h.Do("GET", "/api/v1/worklogs?"+q.Encode(), tok, nil, "X-Chronicle-Min-Position", h.Head()), 200))
		}
		wid := w.Body["id"].(string)
		if got := view(boss, url.Values{"view": {"received"}}); !slices.Equal(got, sorted(id, y, wid)) {
			t.Errorf("received: %v", got)
		}
		if got := view(boss, url.Values{"view": {"received"}, "unread": {"true"}}); !slices.Equal(got, sorted(y, wid)) {
			t.Errorf("unread: %v", got)
		}
		if got := view(boss, url.Values{"view": {"subordinates"}, "kind": {"daily"}}); !slices.Equal(got, sorted(id, y)) {
			t.Errorf("subordinates: %v", got)
		}
		if got := view(boss, url.Values{"view": {"all"}, "periodFrom": {day}, "periodTo": {day}, "kind": {"daily"}}); !slices.Equal(got, sorted(id, wid)) {
			t.Errorf("today's: %v", got)
		}
		if got := view(boss, url.Values{"view": {"all"}, "q": {"星河"}}); !slices.Equal(got, []string{id}) {
			t.Errorf("search: %v", got)
		}
		if got := view(zhao, url.Values{"view": {"all"}}); got != nil {
			t.Errorf("a stranger lists: %v", got)
		}
		if got := view(wang, url.Values{"view": {"received"}}); !slices.Equal(got, []string{id}) {
			t.Errorf("wang received: %v", got)
		}
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/worklogs?view=everything", boss, nil), 422), "view", "")
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/worklogs?periodFrom=monday", boss, nil), 422), "periodFrom", "")

		// Statistics: 销售一部 has 李经理, 张伟 and 刘洋 (3 members); over yesterday and today 6 daily
		// logs are expected and 2 were submitted (张伟's today, 刘洋's yesterday); 销售二部 (王芳,
		// 赵强): 4 expected, 1 submitted. Sales users may not read them.
		apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/worklogs/stats", zhang, nil), 403), "forbidden")
		st := h.Must(h.Do("GET", "/api/v1/worklogs/stats?kind=daily&from="+yesterday+"&to="+day, admin, nil), 200)
		figures := map[string]string{}
		for _, it := range st.Body["items"].([]any) {
			m := it.(map[string]any)
			figures[m["departmentName"].(string)] = fmt.Sprint(m["members"], "/", m["expected"], "/", m["submitted"], "/", m["byPeriod"])
		}
		if figures["销售一部"] != "3/6/2/[1 1]" || figures["销售二部"] != "2/4/1/[0 1]" || st.Body["expected"] != float64(10) || st.Body["submitted"] != float64(3) {
			t.Fatalf("statistics: %v %s", figures, st.Raw)
		}
		// the manager's scope is his department tree: 销售一部 only
		ms := h.Must(h.Do("GET", "/api/v1/worklogs/stats?kind=daily&from="+yesterday+"&to="+day, boss, nil), 200)
		if items := ms.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["departmentName"] != "销售一部" {
			t.Fatalf("manager's statistics: %s", ms.Raw)
		}
		wk := h.Must(h.Do("GET", "/api/v1/worklogs/stats?kind=weekly&from="+day+"&to="+day+"&department="+dept, admin, nil), 200)
		if items := wk.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["expected"] != float64(3) || items[0].(map[string]any)["submitted"].(float64) > 1 {
			t.Fatalf("weekly statistics: %s", wk.Raw)
		}
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/worklogs/stats?from="+day+"&to="+yesterday, admin, nil), 422), "from", "")
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/worklogs/stats?from=2020-01-01&to=2026-01-01", admin, nil), 422), "to", "")
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/worklogs/stats?kind=hourly", admin, nil), 422), "kind", "")
	})
}
