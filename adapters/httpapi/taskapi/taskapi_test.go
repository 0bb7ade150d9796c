package taskapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

func titles(r apitest.Resp) []string {
	var out []string
	for _, it := range r.Body["items"].([]any) {
		out = append(out, it.(map[string]any)["title"].(string))
	}
	return out
}

// TestTasks: the task module end to end on both engines: a manager assigns inside the scope and
// not outside it, field errors with stable codes that write nothing, the creator edits and the
// assignee moves the status (and not the other way round), the checklist, comments, the views
// (mine, created, subordinates, participating, overdue, today), visibility (a stranger gets 404),
// If-Match, history, the export and deletion.
func TestTasks(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售一部"}), 201).Body["id"].(string)
		other := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售二部"}), 201).Body["id"].(string)
		bossID, boss := h.CreateUser(admin, "li.boss", "manager", dept)
		zhangID, zhang := h.CreateUser(admin, "zhang.sales", "sales", dept, bossID)
		wangID, wang := h.CreateUser(admin, "wang.sales", "sales", other)
		_, zhao := h.CreateUser(admin, "zhao.sales", "sales", other)

		customer := h.Must(h.Do("POST", "/api/v1/customers", zhang, map[string]any{"name": "北京星河科技有限公司"}), 201).Body["id"].(string)
		create := func(token string, body map[string]any, status int) apitest.Resp {
			t.Helper()
			return h.Must(h.Do("POST", "/api/v1/tasks", token, body), status)
		}
		due := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)

		// Bad input: 4xx with the field and its code, nothing written.
		head := h.Head()
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "startAt": "2026-12-02T10:00:00Z", "dueAt": "2026-12-02T09:00:00Z"}, 422), "dueAt", "due_before_start")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "assigneeId": wangID}, 422), "assigneeId", "outside_scope")
		apitest.FieldErr(t, create(zhang, map[string]any{"title": "x", "assigneeId": bossID}, 422), "assigneeId", "outside_scope")
		apitest.FieldErr(t, create(wang, map[string]any{"title": "x", "relatedKind": "customer", "relatedId": customer}, 422), "relatedId", "unknown_related")
		apitest.FieldErr(t, create(boss, map[string]any{"title": ""}, 422), "title", "")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "priority": "asap"}, 422), "priority", "")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "reminders": []int{0}}, 422), "reminders[0]", "")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "participants": []string{"00000000-0000-0000-0000-000000000001"}}, 422), "participants[0]", "")
		h.Must(h.Do("POST", "/api/v1/tasks", boss, map[string]any{"title": "x", "colour": "red"}), 400)
		if now := h.Head(); now != head {
			t.Fatalf("refused creates wrote events: head %s → %s", head, now)
		}

		// The manager assigns a task about 张伟's customer to 张伟, with 王芳 taking part.
		tk := create(boss, map[string]any{"title": "回访星河科技，确认报价", "priority": "high", "dueAt": due, "assigneeId": zhangID,
			"relatedKind": "customer", "relatedId": customer, "participants": []string{wangID}}, 201)
		id := tk.Body["id"].(string)
		if tk.Body["assigneeId"] != zhangID || tk.Body["assigneeName"] != "用户zhang.sales" || tk.Body["creatorName"] != "用户li.boss" ||
			tk.Body["relatedName"] != "北京星河科技有限公司" || tk.Body["status"] != "not_started" || tk.Body["overdue"] != false ||
			fmt.Sprint(tk.Body["reminders"]) != "[60 1440]" || tk.Header.Get("ETag") != `"1"` {
			t.Fatalf("created: %s", tk.Raw)
		}
		path := "/api/v1/tasks/" + id
		// who reads it: the assignee, the creator, a participant; not a stranger
		for _, tok := range []string{zhang, boss, wang, admin} {
			h.Must(h.Do("GET", path, tok, nil), 200)
		}
		apitest.WantCode(t, h.Must(h.Do("GET", path, zhao, nil), 404), "not_found")
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/comments", zhao, map[string]any{"text": "?"}), 404), "not_found")

		// The creator edits; the assignee may not. The assignee moves the status; the creator may not start it.
		apitest.WantCode(t, h.Must(h.Do("PATCH", path, zhang, map[string]any{"title": "改"}), 403), "not_creator")
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/status", boss, map[string]any{"status": "in_progress"}), 403), "not_assignee")
		up := h.Must(h.Do("PATCH", path, boss, map[string]any{"priority": "urgent"}, "If-Match", `"1"`), 200)
		if up.Body["priority"] != "urgent" || up.Header.Get("ETag") != `"2"` {
			t.Fatalf("edited: %s", up.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("PATCH", path, boss, map[string]any{"priority": "low"}, "If-Match", `"1"`), 412), "version_conflict")
		h.Must(h.Do("POST", path+"/status", zhang, map[string]any{"status": "in_progress"}), 200)

		// The checklist: the creator and the assignee keep it, a participant may not.
		cl := h.Must(h.Do("POST", path+"/checklist", zhang, map[string]any{"text": "准备报价单"}), 200)
		item := cl.Body["checklist"].([]any)[0].(map[string]any)["id"].(string)
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/checklist", wang, map[string]any{"text": "x"}), 403), "not_involved")
		ck := h.Must(h.Do("PATCH", path+"/checklist/"+item, boss, map[string]any{"done": true}), 200)
		if ck.Body["checklistDone"] != float64(1) || ck.Body["checklistTotal"] != float64(1) {
			t.Fatalf("ticked: %s", ck.Raw)
		}
		apitest.FieldErr(t, h.Must(h.Do("PATCH", path+"/checklist/"+item, boss, map[string]any{}), 422), "done", "")
		apitest.WantCode(t, h.Must(h.Do("DELETE", path+"/checklist/00000000-0000-0000-0000-000000000009", boss, nil), 404), "not_found")

		// Comments, oldest first, by anyone who reads it.
		h.Must(h.Do("POST", path+"/comments", wang, map[string]any{"text": "客户要求周五前回复"}), 201)
		h.Must(h.Do("POST", path+"/comments", zhang, map[string]any{"text": "收到"}), 201)
		cs := h.Must(h.Do("GET", path+"/comments", boss, nil), 200)
		items := cs.Body["items"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["text"] != "客户要求周五前回复" || items[0].(map[string]any)["byName"] != "用户wang.sales" {
			t.Fatalf("comments: %s", cs.Raw)
		}

		// More tasks for the views: 张伟's own overdue one, one due today for the manager, one
		// the manager keeps.
		past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		create(zhang, map[string]any{"title": "逾期的任务", "dueAt": past}, 201)
		in1h := time.Now().Add(time.Minute).UTC()
		tz := "UTC"
		if in1h.Day() != time.Now().UTC().Day() {
			tz = "Asia/Tokyo" // near midnight UTC: "today" in a zone where both fall on the same day
		}
		create(boss, map[string]any{"title": "今天的任务", "dueAt": in1h.Format(time.RFC3339)}, 201)
		create(boss, map[string]any{"title": "经理自己的任务"}, 201)
		view := func(tok, v string, extra ...string) []string {
			t.Helper()
			q := url.Values{"view": {v}, "tz": {tz}}
			for i := 0; i+1 < len(extra); i += 2 {
				q.Add(extra[i], extra[i+1])
			}
			r := h.Must(h.Do("GET", "/api/v1/tasks?"+q.Encode(), tok, nil), 200)
			got := titles(r)
			slices.Sort(got)
			return got
		}
		for _, c := range []struct {
			tok, view string
			want      []string
		}{
			{zhang, "mine", []string{"回访星河科技，确认报价", "逾期的任务"}},
			{zhang, "overdue", []string{"逾期的任务"}},
			{boss, "created", []string{"今天的任务", "回访星河科技，确认报价", "经理自己的任务"}},
			{boss, "subordinates", []string{"回访星河科技，确认报价", "逾期的任务"}},
			{boss, "today", []string{"今天的任务"}},
			{boss, "all", []string{"今天的任务", "回访星河科技，确认报价", "经理自己的任务", "逾期的任务"}},
			{wang, "participating", []string{"回访星河科技，确认报价"}},
			{wang, "all", []string{"回访星河科技，确认报价"}},
			{zhao, "all", nil},
			{zhang, "subordinates", nil},
		} {
			if got := view(c.tok, c.view); !slices.Equal(got, c.want) {
				t.Errorf("view %s: %v, want %v", c.view, got, c.want)
			}
		}
		if got := view(boss, "all", "q", "星河"); !slices.Equal(got, []string{"回访星河科技，确认报价"}) {
			t.Errorf("search: %v", got)
		}
		if got := view(boss, "all", "priority", "urgent", "status", "in_progress"); !slices.Equal(got, []string{"回访星河科技，确认报价"}) {
			t.Errorf("filters: %v", got)
		}
		if got := view(boss, "all", "relatedId", customer); !slices.Equal(got, []string{"回访星河科技，确认报价"}) {
			t.Errorf("related: %v", got)
		}
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/tasks?view=everything", boss, nil), 422), "view", "")
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/tasks?tz=Mars/Olympus", boss, nil), 422), "tz", "")
		sorted := titles(h.Must(h.Do("GET", "/api/v1/tasks?view=all&sort=dueAt&limit=2", boss, nil), 200))
		if !slices.Equal(sorted, []string{"逾期的任务", "今天的任务"}) {
			t.Errorf("by due time: %v", sorted)
		}

		// Assigning: the manager hands it to himself; a sales user may not take it from him.
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/assign", zhang, map[string]any{"assigneeId": zhangID}), 403), "forbidden")
		as := h.Must(h.Do("POST", path+"/assign", boss, map[string]any{"assigneeId": bossID}), 200)
		if as.Body["assigneeId"] != bossID {
			t.Fatalf("assigned: %s", as.Raw)
		}
		h.Must(h.Do("POST", path+"/assign", boss, map[string]any{"assigneeId": zhangID}), 200)
		// done with a note; a done task is not reassigned, and cancelling it is a bad transition
		done := h.Must(h.Do("POST", path+"/status", zhang, map[string]any{"status": "done", "note": "报价已发出"}), 200)
		if done.Body["note"] != "报价已发出" || done.Body["completedAt"] == nil || done.Body["status"] != "done" {
			t.Fatalf("done: %s", done.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/assign", boss, map[string]any{"assigneeId": bossID}), 409), "task_closed")
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/status", boss, map[string]any{"status": "cancelled"}), 409), "bad_transition")

		// The export: the same view and filters, Chinese labels.
		ex := h.Do("GET", "/api/v1/tasks/export?view=created&format=csv", boss, nil)
		if ex.Status != 200 || !strings.Contains(ex.Raw, "回访星河科技，确认报价") || !strings.Contains(ex.Raw, "已完成") ||
			strings.Contains(ex.Raw, "逾期的任务") {
			t.Fatalf("export: %d %s", ex.Status, ex.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/tasks/export", zhao, nil), 200)

		// History: every change with its author.
		hist := h.Must(h.Do("GET", path+"/history", boss, nil), 200)
		if n := len(hist.Body["items"].([]any)); n != 10 {
			t.Fatalf("history has %d entries: %s", n, hist.Raw)
		}

		// Deleting: the creator only; then it is gone for everyone.
		apitest.WantCode(t, h.Must(h.Do("DELETE", path, zhang, nil), 403), "not_creator")
		pos := h.Must(h.Do("DELETE", path, boss, nil), 204).Header.Get("X-Chronicle-Position")
		apitest.WantCode(t, h.Must(h.Do("GET", path, zhang, nil, "X-Chronicle-Min-Position", pos), 404), "not_found")
		if got := view(boss, "all", "relatedId", customer); got != nil {
			t.Errorf("a deleted task is listed: %v", got)
		}
	})
}

// TestTaskReminders: the reminder process records a task's reminders when their time comes and
// its overdue notice once the due time passes — each once, however often it runs (what fired is
// part of the task's state, so a restart or a second process cannot fire it again) — and these
// notices do not move the version an open edit form holds.
func TestTaskReminders(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clock := &apitest.FakeClock{}
			h := apitest.New(t, engine, clock.Now)
			ctx := t.Context()
			admin := h.Login("admin", apitest.AdminPassword)
			due := clock.Now().Add(2 * time.Hour).Truncate(time.Second)
			tk := h.Must(h.Do("POST", "/api/v1/tasks", admin, map[string]any{"title": "签回合同", "dueAt": due.Format(time.RFC3339)}), 201)
			path := "/api/v1/tasks/" + tk.Body["id"].(string)
			run := func(want int) {
				t.Helper()
				if n, err := h.App.RunTaskAlerts(ctx, "test"); err != nil || n != want {
					t.Fatalf("reminder run: %d tasks, %v; want %d", n, err, want)
				}
			}
			run(1) // the day-before reminder is already due
			run(0)
			clock.Advance(61 * time.Minute)
			run(1) // the hour-before reminder
			run(0)
			clock.Advance(time.Hour)
			run(1) // overdue
			run(0)
			got := h.Must(h.Do("GET", path, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
			if got.Header.Get("ETag") != `"1"` || got.Body["overdue"] != true {
				t.Fatalf("after the notices: ETag %s, %s", got.Header.Get("ETag"), got.Raw)
			}
			var kinds []string
			for _, e := range h.Must(h.Do("GET", path+"/history", admin, nil), 200).Body["items"].([]any) {
				kinds = append(kinds, e.(map[string]any)["type"].(string))
			}
			if want := []string{"task.created.v1", "task.reminded.v1", "task.reminded.v1", "task.fell_overdue.v1"}; !slices.Equal(kinds, want) {
				t.Fatalf("history %v, want %v", kinds, want)
			}
			if got := titles(h.Must(h.Do("GET", "/api/v1/tasks?view=overdue", admin, nil), 200)); !slices.Equal(got, []string{"签回合同"}) {
				t.Fatalf("overdue view: %v", got)
			}
			// an edit at the version the form holds still succeeds; done, nothing more fires
			h.Must(h.Do("PATCH", path, admin, map[string]any{"description": "对方已盖章"}, "If-Match", `"1"`), 200)
			h.Must(h.Do("POST", path+"/status", admin, map[string]any{"status": "done"}), 200)
			clock.Advance(48 * time.Hour)
			run(0)
		})
	}
}
