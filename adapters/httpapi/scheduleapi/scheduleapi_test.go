package scheduleapi_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
)

var cst = time.FixedZone("CST", 8*3600)

// slots lists a calendar answer's occurrences as "start title" in CST.
func slots(t *testing.T, r apitest.Resp) []string {
	t.Helper()
	var out []string
	for _, it := range r.Body["items"].([]any) {
		m := it.(map[string]any)
		s := m["start"].(string)
		if at, err := time.Parse(time.RFC3339, s); err == nil {
			s = at.In(cst).Format("01-02 15:04")
		}
		out = append(out, s+" "+m["title"].(string))
	}
	return out
}

func titles(r apitest.Resp) []string {
	var out []string
	for _, it := range r.Body["items"].([]any) {
		out = append(out, it.(map[string]any)["title"].(string))
	}
	return out
}

// TestSchedules: the schedule module end to end on both engines: refused input writes nothing; a
// manager puts a weekly visit in a subordinate's calendar with a colleague taking part; who reads
// it; the calendar expands the series, without a cancelled occurrence and with an edited one at
// its new time; the owner edits, a participant may not; If-Match; the documents' views; the
// personal iCalendar feed (issue, serve without sign-in, supersede, revoke); deletion.
func TestSchedules(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售一部"}), 201).Body["id"].(string)
		other := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售二部"}), 201).Body["id"].(string)
		bossID, boss := h.CreateUser(admin, "li.boss", "manager", dept)
		zhangID, zhang := h.CreateUser(admin, "zhang.sales", "sales", dept, bossID)
		wangID, wang := h.CreateUser(admin, "wang.sales", "sales", other)
		_, zhao := h.CreateUser(admin, "zhao.sales", "sales", other)
		customer := h.Must(h.Do("POST", "/api/v1/customers", zhang, map[string]any{"name": "北京星河科技有限公司"}), 201).Body["id"].(string)

		// next Monday 09:00 in China, a week or more ahead
		now := time.Now().In(cst)
		monday := time.Date(now.Year(), now.Month(), now.Day()+7+(8-int(now.Weekday()))%7, 9, 0, 0, 0, cst)
		at := func(days int, hour int) string {
			return monday.AddDate(0, 0, days).Add(time.Duration(hour-9) * time.Hour).Format(time.RFC3339)
		}
		create := func(token string, body map[string]any, status int) apitest.Resp {
			t.Helper()
			return h.Must(h.Do("POST", "/api/v1/schedules", token, body), status)
		}

		head := h.Head()
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "start": at(0, 10), "end": at(0, 9)}, 422), "end", "end_before_start")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "start": at(0, 9), "end": at(0, 10), "recurrence": "FREQ=HOURLY"}, 422), "recurrence", "bad_recurrence")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "start": at(0, 9), "end": at(0, 10), "recurrence": "FREQ=DAILY;COUNT=5000"}, 422), "recurrence", "bad_recurrence")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "start": at(0, 9), "end": at(0, 10), "ownerId": wangID}, 422), "ownerId", "outside_scope")
		apitest.FieldErr(t, create(zhang, map[string]any{"title": "x", "start": at(0, 9), "end": at(0, 10), "ownerId": bossID}, 422), "ownerId", "outside_scope")
		apitest.FieldErr(t, create(wang, map[string]any{"title": "x", "start": at(0, 9), "end": at(0, 10), "relatedKind": "customer", "relatedId": customer}, 422), "relatedId", "unknown_related")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "start": "tomorrow", "end": at(0, 10)}, 422), "start", "")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "allDay": true, "start": "2026-12-01", "end": "2026-13-01"}, 422), "end", "")
		h.Must(h.Do("POST", "/api/v1/schedules", boss, map[string]any{"title": "x", "start": at(0, 9), "end": at(0, 10), "colour": "red"}), 400)
		if now := h.Head(); now != head {
			t.Fatalf("refused creates wrote events: head %s → %s", head, now)
		}

		// The manager puts a weekly visit (Mondays and Wednesdays, four times) in 张伟's calendar.
		e := create(boss, map[string]any{"title": "拜访星河科技", "location": "中关村大街1号", "start": at(0, 9), "end": at(0, 10),
			"recurrence": "freq=weekly;byday=we,mo;count=4", "ownerId": zhangID, "participants": []string{wangID},
			"relatedKind": "customer", "relatedId": customer, "reminders": []int{15, 60}}, 201)
		id := e.Body["id"].(string)
		if e.Body["ownerId"] != zhangID || e.Body["ownerName"] != "用户zhang.sales" || e.Body["creatorName"] != "用户li.boss" ||
			e.Body["recurrence"] != "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4" || e.Body["relatedName"] != "北京星河科技有限公司" ||
			e.Body["seriesEnd"] == nil || e.Header.Get("ETag") != `"1"` {
			t.Fatalf("created: %s", e.Raw)
		}
		path := "/api/v1/schedules/" + id
		for _, tok := range []string{zhang, boss, wang, admin} {
			h.Must(h.Do("GET", path, tok, nil), 200)
		}
		apitest.WantCode(t, h.Must(h.Do("GET", path, zhao, nil), 404), "not_found")

		window := func(tok string, extra ...string) apitest.Resp {
			t.Helper()
			q := url.Values{"from": {monday.Format(time.DateOnly)}, "to": {monday.AddDate(0, 0, 13).Format(time.DateOnly)}}
			for i := 0; i+1 < len(extra); i += 2 {
				q.Set(extra[i], extra[i+1])
			}
			return h.Must(h.Do("GET", "/api/v1/calendar?"+q.Encode(), tok, nil), 200)
		}
		d := func(days int, hm string) string {
			return monday.AddDate(0, 0, days).Format("01-02") + " " + hm + " 拜访星河科技"
		}
		if got, want := slots(t, window(zhang)), []string{d(0, "09:00"), d(2, "09:00"), d(7, "09:00"), d(9, "09:00")}; !slices.Equal(got, want) {
			t.Fatalf("calendar %v, want %v", got, want)
		}
		if got := slots(t, window(zhao, "view", "all")); got != nil {
			t.Fatalf("a stranger's calendar shows %v", got)
		}
		// each occurrence names its owner and its creator (who may edit, and so drag it), in
		// every view that shows it
		for _, tok := range []string{zhang, boss} {
			items := window(tok, "view", "all").Body["items"].([]any)
			if len(items) != 4 {
				t.Fatalf("the view all shows %d occurrences, want 4", len(items))
			}
			for _, it := range items {
				if m := it.(map[string]any); m["ownerId"] != zhangID || m["creatorId"] != bossID {
					t.Fatalf("an occurrence's owner and creator: %v", m)
				}
			}
		}

		// One occurrence cancelled, one moved to Friday afternoon with its own title.
		second := monday.AddDate(0, 0, 2).UTC().Format(time.RFC3339)
		third := monday.AddDate(0, 0, 7).UTC().Format(time.RFC3339)
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/occurrences/cancel", zhao, map[string]any{"occurrence": second}), 404), "not_found")
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/occurrences/cancel", wang, map[string]any{"occurrence": second}), 403), "not_editor")
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/occurrences/cancel", zhang, map[string]any{"occurrence": at(1, 9)}), 404), "no_occurrence")
		h.Must(h.Do("POST", path+"/occurrences/cancel", zhang, map[string]any{"occurrence": second}), 200)
		moved := h.Must(h.Do("POST", path+"/occurrences", zhang, map[string]any{"occurrence": third, "start": at(11, 15), "end": at(11, 16), "title": "改期拜访"}), 200)
		if moved.Header.Get("ETag") != `"3"` || len(moved.Body["cancelled"].([]any)) != 1 {
			t.Fatalf("after the occurrence changes: %s", moved.Raw)
		}
		cal := window(zhang)
		if got, want := slots(t, cal), []string{d(0, "09:00"), d(9, "09:00"), monday.AddDate(0, 0, 11).Format("01-02") + " 15:00 改期拜访"}; !slices.Equal(got, want) {
			t.Fatalf("calendar after a cancel and an edit %v, want %v", got, want)
		}
		if it := cal.Body["items"].([]any)[2].(map[string]any); it["edited"] != true || it["occurrence"] != third || it["recurring"] != true {
			t.Fatalf("the edited occurrence: %v", it)
		}

		// Edits: the owner and the creator, not a participant; stale versions are refused.
		apitest.WantCode(t, h.Must(h.Do("PATCH", path, wang, map[string]any{"location": "线上"}), 403), "not_editor")
		apitest.WantCode(t, h.Must(h.Do("PATCH", path, zhang, map[string]any{"location": "线上"}, "If-Match", `"1"`), 412), "version_conflict")
		up := h.Must(h.Do("PATCH", path, zhang, map[string]any{"location": "线上会议"}, "If-Match", `"3"`), 200)
		if up.Body["location"] != "线上会议" || len(up.Body["cancelled"].([]any)) != 1 {
			t.Fatalf("a change that is not timing keeps the occurrence changes: %s", up.Raw)
		}

		// A single entry of 张伟's own, all day; the views.
		create(zhang, map[string]any{"title": "年度总结", "allDay": true, "start": monday.AddDate(0, 0, 4).Format(time.DateOnly), "end": monday.AddDate(0, 0, 4).Format(time.DateOnly)}, 201)
		list := func(tok, view string) []string {
			t.Helper()
			got := titles(h.Must(h.Do("GET", "/api/v1/schedules?view="+view+"&sort=startAt", tok, nil), 200))
			slices.Sort(got)
			return got
		}
		for _, c := range []struct {
			tok, view string
			want      []string
		}{
			{zhang, "mine", []string{"年度总结", "拜访星河科技"}}, {boss, "created", []string{"拜访星河科技"}},
			{boss, "subordinates", []string{"年度总结", "拜访星河科技"}}, {wang, "participating", []string{"拜访星河科技"}},
			{wang, "mine", []string{"拜访星河科技"}}, {zhao, "all", nil}, {boss, "mine", nil},
		} {
			if got := list(c.tok, c.view); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.view, got, c.want)
			}
		}
		if got := slots(t, window(zhang, "q", "总结")); len(got) != 1 || !strings.HasSuffix(got[0], "年度总结") {
			t.Errorf("calendar with a keyword: %v", got)
		}
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/calendar?from=2026-01-01&to=2027-06-01", zhang, nil), 422), "to", "")
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/calendar?from=2026-02-01&to=2026-01-01", zhang, nil), 422), "to", "")
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/calendar?from=2026-02-01", zhang, nil), 422), "to", "")
		h.Must(h.Do("GET", "/api/v1/calendar", zhang, nil), 200) // today

		// The export: a row per entry, the series once with its recurrence in words.
		csv := h.Must(h.Do("GET", "/api/v1/schedules/export?view=mine&format=csv", zhang, nil), 200).Raw
		for _, want := range []string{"主题,开始,结束,全天,重复,地点,负责人,创建人,关联记录,描述,创建时间", "拜访星河科技," + monday.Format("2006-01-02") + " 09:00:00,",
			"每周（周一、周三），共4次,线上会议,用户zhang.sales,用户li.boss,客户：北京星河科技有限公司", "年度总结," + monday.AddDate(0, 0, 4).Format(time.DateOnly) + "," + monday.AddDate(0, 0, 4).Format(time.DateOnly) + ",是,"} {
			if !strings.Contains(csv, want) {
				t.Errorf("the export lacks %q:\n%s", want, csv)
			}
		}
		apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/schedules/export?view=all&format=pdf", zhang, nil), 422), "validation_failed")

		// The feed: a secret URL served without sign-in, in iCalendar.
		h.Must(h.Do("POST", "/api/v1/tasks", zhang, map[string]any{"title": "准备报价单", "dueAt": at(1, 18)}), 201)
		if st := h.Must(h.Do("GET", "/api/v1/calendar/feed", zhang, nil), 200); st.Body["active"] != false {
			t.Fatalf("feed before issuing: %s", st.Raw)
		}
		issued := h.Must(h.Do("POST", "/api/v1/calendar/feed", zhang, nil), 201)
		feedPath := issued.Body["path"].(string)
		ics := h.Must(h.Do("GET", feedPath, "", nil), 200)
		if ct := ics.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
			t.Fatalf("feed content type %q", ct)
		}
		for _, want := range []string{"BEGIN:VCALENDAR\r\n", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4\r\n", "EXDATE;TZID=Asia/Shanghai:" + monday.AddDate(0, 0, 2).Format("20060102T150405"),
			"RECURRENCE-ID;TZID=Asia/Shanghai:" + monday.AddDate(0, 0, 7).Format("20060102T150405"), "DTSTART;TZID=Asia/Shanghai:" + monday.Format("20060102T150405"),
			"SUMMARY:改期拜访", "TRIGGER:-PT15M", "DTSTART;VALUE=DATE:" + monday.AddDate(0, 0, 4).Format("20060102"), "BEGIN:VTODO", "SUMMARY:准备报价单", "END:VCALENDAR\r\n"} {
			if !strings.Contains(ics.Raw, want) {
				t.Errorf("the feed lacks %q:\n%s", want, ics.Raw)
			}
		}
		for _, l := range strings.Split(strings.TrimSuffix(ics.Raw, "\r\n"), "\r\n") {
			if len(l) > 75 || strings.Contains(l, "\n") {
				t.Errorf("feed line not folded: %q", l)
			}
		}
		if st := h.Must(h.Do("GET", "/api/v1/calendar/feed", zhang, nil), 200); st.Body["active"] != true {
			t.Fatalf("feed after issuing: %s", st.Raw)
		}
		reissued := h.Must(h.Do("POST", "/api/v1/calendar/feed", zhang, nil), 201).Body["path"].(string)
		apitest.WantCode(t, h.Must(h.Do("GET", feedPath, "", nil), 404), "not_found")
		h.Must(h.Do("GET", reissued, "", nil), 200)
		h.Must(h.Do("DELETE", "/api/v1/calendar/feed", zhang, nil), 204)
		h.Must(h.Do("GET", reissued, "", nil), 404)
		h.Must(h.Do("GET", "/api/v1/calendar/feed/not-a-secret.ics", "", nil), 404)
		if strings.Contains(h.Must(h.Do("GET", path+"/history", zhang, nil), 200).Raw, strings.TrimSuffix(strings.TrimPrefix(reissued, "/api/v1/calendar/feed/"), ".ics")) {
			t.Fatal("a feed secret is readable in a history")
		}

		// Deleting: the owner or the creator; then it is gone for everyone.
		apitest.WantCode(t, h.Must(h.Do("DELETE", path, wang, nil), 403), "not_editor")
		pos := h.Must(h.Do("DELETE", path, boss, nil), 204).Header.Get("X-Chronicle-Position")
		apitest.WantCode(t, h.Must(h.Do("GET", path, zhang, nil, "X-Chronicle-Min-Position", pos), 404), "not_found")
		if got := slots(t, window(zhang, "q", "拜访")); got != nil {
			t.Errorf("a deleted entry is in the calendar: %v", got)
		}
	})
}

// TestScheduleReminders: the reminder process records an entry's reminders per occurrence when
// their time comes, once however often it runs; the owner and the participants are notified; the
// notices do not move the version an edit form holds.
func TestScheduleReminders(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clock := &apitest.FakeClock{}
			h := apitest.New(t, engine, clock.Now)
			ctx := t.Context()
			admin := h.Login("admin", apitest.AdminPassword)
			dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售一部"}), 201).Body["id"].(string)
			wangID, _ := h.CreateUser(admin, "wang.sales", "sales", dept)
			start := clock.Now().Add(2 * time.Hour).Truncate(time.Minute)
			e := h.Must(h.Do("POST", "/api/v1/schedules", admin, map[string]any{"title": "周会", "start": start.Format(time.RFC3339),
				"end": start.Add(time.Hour).Format(time.RFC3339), "recurrence": "FREQ=DAILY;COUNT=2", "reminders": []int{15, 60},
				"participants": []string{wangID}}), 201)
			path := "/api/v1/schedules/" + e.Body["id"].(string)
			run := func(want int) {
				t.Helper()
				if n, err := h.App.RunScheduleAlerts(ctx, "test"); err != nil || n != want {
					t.Fatalf("reminder run: %d entries, %v; want %d", n, err, want)
				}
			}
			run(0)
			clock.Advance(61 * time.Minute)
			run(1) // an hour before
			run(0)
			clock.Advance(45 * time.Minute)
			run(1) // 15 minutes before
			run(0)
			clock.Advance(24 * time.Hour) // the next day's occurrence: both reminders passed unseen, it starts in 14 minutes
			run(1)
			run(0)
			clock.Advance(48 * time.Hour)
			run(0)
			admin = h.Login("admin", apitest.AdminPassword) // the sessions ran out in three days
			wang := h.Login("wang.sales", apitest.PasswordOf("wang.sales"))
			got := h.Must(h.Do("GET", path, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
			if got.Header.Get("ETag") != `"1"` {
				t.Fatalf("reminders moved the version: ETag %s", got.Header.Get("ETag"))
			}
			var kinds []string
			for _, ev := range h.Must(h.Do("GET", path+"/history", admin, nil), 200).Body["items"].([]any) {
				kinds = append(kinds, ev.(map[string]any)["type"].(string))
			}
			if want := []string{"schedule.created.v1", "schedule.reminded.v1", "schedule.reminded.v1", "schedule.reminded.v1"}; !slices.Equal(kinds, want) {
				t.Fatalf("history %v, want %v", kinds, want)
			}
			n := h.Must(h.Do("GET", "/api/v1/notifications", wang, nil, "X-Chronicle-Min-Position", h.Head()), 200)
			var got2 []string
			for _, it := range n.Body["items"].([]any) {
				got2 = append(got2, it.(map[string]any)["kind"].(string))
			}
			if want := []string{"schedule_reminder", "schedule_reminder", "schedule_reminder", "schedule_assigned"}; !slices.Equal(got2, want) {
				t.Fatalf("the participant's notifications %v, want %v", got2, want)
			}
		})
	}
}
