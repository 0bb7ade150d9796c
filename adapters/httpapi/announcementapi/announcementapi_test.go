package announcementapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

func titles(r apitest.Resp) []string {
	var out []string
	for _, it := range r.Body["items"].([]any) {
		out = append(out, it.(map[string]any)["title"].(string))
	}
	return out
}

// TestAnnouncements: the announcement module end to end on both engines: bad input is a 4xx with
// the field and its code and writes nothing; only publishers publish; the audience (a department
// includes its sub-departments) decides who lists and reads one — a user outside gets 404 and
// does not see it — pinned first then newest, keyword search, unread only; reading twice records
// once and never moves the version (If-Match after reads still succeeds; a stale one is 412);
// the unread count; the receipts with the audience's read and unread counts; expiry; withdrawal.
func TestAnnouncements(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		root := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售中心"}), 201).Body["id"].(string)
		north := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华北销售部", "parentId": root}), 201).Body["id"].(string)
		other := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "财务部"}), 201).Body["id"].(string)
		bossID, boss := h.CreateUser(admin, "li.boss", "manager", root)
		zhangID, zhang := h.CreateUser(admin, "zhang.sales", "sales", north)
		_, wang := h.CreateUser(admin, "wang.fin", "sales", other)
		create := func(token string, body map[string]any, status int) apitest.Resp {
			t.Helper()
			return h.Must(h.Do("POST", "/api/v1/announcements", token, body), status)
		}
		toRoot := map[string]any{"departments": []string{root}}

		// Bad input: 4xx with the field and its code, nothing written.
		head := h.Head()
		apitest.FieldErr(t, create(boss, map[string]any{"title": "", "body": "x", "audience": toRoot}, 422), "title", "")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "body": "", "audience": toRoot}, 422), "body", "")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "body": "y", "audience": map[string]any{}}, 422), "audience", "audience_required")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "body": "y", "audience": map[string]any{"departments": []string{"00000000-0000-0000-0000-000000000009"}}}, 422),
			"audience.departments[0]", "unknown_department")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "body": "y", "audience": toRoot, "expiresAt": "2000-01-01T00:00:00Z"}, 422), "expiresAt", "expiry_before_publication")
		apitest.FieldErr(t, create(boss, map[string]any{"title": "x", "body": "y", "audience": toRoot, "expiresAt": "soon"}, 422), "expiresAt", "")
		h.Must(h.Do("POST", "/api/v1/announcements", boss, map[string]any{"title": "x", "body": "y", "audience": toRoot, "colour": "red"}), 400)
		h.Must(h.Do("POST", "/api/v1/announcements", boss, map[string]any{"title": 7, "body": "y", "audience": toRoot}), 400)
		apitest.WantCode(t, create(zhang, map[string]any{"title": "x", "body": "y", "audience": toRoot}, 403), "forbidden")
		if now := h.Head(); now != head {
			t.Fatalf("refused creates wrote events: head %s → %s", head, now)
		}

		// The manager publishes to the sales centre (北 is below it), pinned, and another to everyone.
		a := create(boss, map[string]any{"title": "销售中心季度会议", "body": "**周五** 下午三点", "audience": toRoot, "pinned": true,
			"expiresAt": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)}, 201)
		id := a.Body["id"].(string)
		if a.Body["pinned"] != true || a.Body["publisherName"] != "用户li.boss" || a.Body["version"] != float64(1) || a.Header.Get("ETag") != `"1"` {
			t.Fatalf("published: %s", a.Raw)
		}
		create(admin, map[string]any{"title": "春节放假通知", "body": "放假九天", "audience": map[string]any{"everyone": true}}, 201)
		fin := create(admin, map[string]any{"title": "财务报销新规", "body": "见附件", "audience": map[string]any{"departments": []string{other}}}, 201)
		// an idempotent create: the same id and body twice is one announcement
		own := "0190a000-0000-7000-8000-00000000a0a1"
		body := map[string]any{"id": own, "title": "重复提交", "body": "一次", "audience": map[string]any{"everyone": true}}
		create(admin, body, 201)
		create(admin, body, 200)

		path := "/api/v1/announcements/" + id
		list := func(tok, query string) []string {
			t.Helper()
			return titles(h.Must(h.Do("GET", "/api/v1/announcements"+query, tok, nil), 200))
		}
		if got := list(zhang, ""); !slices.Equal(got, []string{"销售中心季度会议", "重复提交", "春节放假通知"}) {
			t.Fatalf("张伟's list (pinned first, then newest): %v", got)
		}
		if got := list(wang, ""); !slices.Equal(got, []string{"重复提交", "财务报销新规", "春节放假通知"}) {
			t.Fatalf("王芳's list: %v", got)
		}
		apitest.WantCode(t, h.Must(h.Do("GET", path, wang, nil), 404), "not_found")
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/read", wang, nil), 404), "not_found")
		if got := list(zhang, "?q=放假"); !slices.Equal(got, []string{"春节放假通知"}) {
			t.Fatalf("search: %v", got)
		}
		apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/announcements?view=all", zhang, nil), 403), "forbidden")
		if got := list(boss, "?view=all"); len(got) != 4 {
			t.Fatalf("a publisher's all: %v", got)
		}
		apitest.FieldErr(t, h.Must(h.Do("GET", "/api/v1/announcements?unread=maybe", zhang, nil), 422), "unread", "")

		// The audience is told in its inbox (the publisher and outsiders are not).
		told := func(tok string) []string {
			t.Helper()
			var out []string
			r := h.Must(h.Do("GET", "/api/v1/notifications", tok, nil, "X-Chronicle-Min-Position", h.Head()), 200)
			for _, n := range r.Body["items"].([]any) {
				if n := n.(map[string]any); n["kind"] == "announcement_published" && n["subjectKind"] == "announcement" {
					out = append(out, n["title"].(string))
				}
			}
			slices.Sort(out)
			return out
		}
		if got := told(zhang); !slices.Equal(got, []string{"春节放假通知", "重复提交", "销售中心季度会议"}) {
			t.Fatalf("张伟's announcement notifications: %v", got)
		}
		if got := told(wang); !slices.Equal(got, []string{"春节放假通知", "财务报销新规", "重复提交"}) {
			t.Fatalf("王芳's announcement notifications: %v", got)
		}
		if got := told(boss); !slices.Equal(got, []string{"春节放假通知", "重复提交"}) {
			t.Fatalf("the publisher was told of their own announcement: %v", got)
		}

		// Reading: once, never moving the version.
		count := func(tok string) float64 {
			t.Helper()
			return h.Must(h.Do("GET", "/api/v1/announcements/unread-count", tok, nil, "X-Chronicle-Min-Position", h.Head()), 200).Body["count"].(float64)
		}
		if n := count(zhang); n != 3 {
			t.Fatalf("张伟's unread count before reading: %v", n)
		}
		r1 := h.Must(h.Do("POST", path+"/read", zhang, nil), 200)
		if r1.Body["read"] != true || r1.Body["readAt"] == nil || r1.Header.Get("ETag") != `"1"` {
			t.Fatalf("read: %s", r1.Raw)
		}
		before := h.Head()
		r2 := h.Must(h.Do("POST", path+"/read", zhang, nil), 200)
		if h.Head() != before || r2.Body["readAt"] != r1.Body["readAt"] {
			t.Fatalf("a second read recorded something: %s", r2.Raw)
		}
		if n := count(zhang); n != 2 {
			t.Fatalf("张伟's unread count after reading: %v", n)
		}
		if got := list(zhang, "?unread=true"); !slices.Equal(got, []string{"重复提交", "春节放假通知"}) {
			t.Fatalf("unread only: %v", got)
		}
		got := h.Must(h.Do("GET", path, zhang, nil), 200)
		if got.Body["read"] != true || got.Body["body"] != "**周五** 下午三点" || got.Header.Get("ETag") != `"1"` {
			t.Fatalf("get: %s", got.Raw)
		}

		// Editing: the publisher, at the version it holds (reads did not move it); a stale one is 412.
		apitest.WantCode(t, h.Must(h.Do("PATCH", path, zhang, map[string]any{"title": "改"}), 403), "forbidden")
		up := h.Must(h.Do("PATCH", path, boss, map[string]any{"title": "销售中心季度会议（改期）"}, "If-Match", `"1"`), 200)
		if up.Body["title"] != "销售中心季度会议（改期）" || up.Header.Get("ETag") != `"2"` || up.Body["read"] != false {
			t.Fatalf("edited: %s", up.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("PATCH", path, boss, map[string]any{"body": "x"}, "If-Match", `"1"`), 412), "version_conflict")
		apitest.FieldErr(t, h.Must(h.Do("PATCH", path, boss, map[string]any{"title": ""}), 422), "title", "")
		apitest.FieldErr(t, h.Must(h.Do("PATCH", path, boss, map[string]any{}), 422), "(body)", "")

		// Pinning: the everyone announcement goes first for 王芳 once pinned.
		pin := h.Must(h.Do("POST", "/api/v1/announcements/"+fin.Body["id"].(string)+"/pin", admin, nil), 200)
		if pin.Body["pinned"] != true {
			t.Fatalf("pinned: %s", pin.Raw)
		}
		if got := list(wang, ""); got[0] != "财务报销新规" {
			t.Fatalf("after pinning: %v", got)
		}
		h.Must(h.Do("POST", "/api/v1/announcements/"+fin.Body["id"].(string)+"/unpin", admin, nil), 200)
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/pin", zhang, nil), 403), "forbidden")

		// Receipts: publishers only; 张伟 read it, 李经理 (the other of the audience) has not.
		apitest.WantCode(t, h.Must(h.Do("GET", path+"/receipts", zhang, nil), 403), "forbidden")
		rc := h.Must(h.Do("GET", path+"/receipts", boss, nil), 200)
		items := rc.Body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["userId"] != zhangID || items[0].(map[string]any)["userName"] != "用户zhang.sales" ||
			rc.Body["audience"] != float64(2) || rc.Body["read"] != float64(1) || rc.Body["unread"] != float64(1) {
			t.Fatalf("receipts: %s", rc.Raw)
		}
		h.Must(h.Do("POST", path+"/read", boss, nil), 200)
		rc = h.Must(h.Do("GET", path+"/receipts?limit=1", boss, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if rc.Body["read"] != float64(2) || rc.Body["unread"] != float64(0) || rc.Body["nextCursor"] == "" ||
			rc.Body["items"].([]any)[0].(map[string]any)["userId"] != bossID {
			t.Fatalf("receipts after the manager read it: %s", rc.Raw)
		}

		// Expiry: set in the past is refused; cleared, then the history tells it all.
		apitest.FieldErr(t, h.Must(h.Do("PATCH", path, boss, map[string]any{"expiresAt": "2000-01-01T00:00:00Z"}), 422), "expiresAt", "expiry_before_publication")
		cl := h.Must(h.Do("PATCH", path, boss, map[string]any{"expiresAt": nil}), 200)
		if cl.Body["expiresAt"] != nil {
			t.Fatalf("cleared expiry: %s", cl.Raw)
		}
		var kinds []string
		for _, e := range h.Must(h.Do("GET", path+"/history", boss, nil), 200).Body["items"].([]any) {
			kinds = append(kinds, e.(map[string]any)["type"].(string))
		}
		if want := []string{"announcement.published.v1", "announcement.edited.v1", "announcement.expiry_changed.v1"}; !slices.Equal(kinds, want) {
			t.Fatalf("history %v, want %v", kinds, want)
		}

		// Withdrawal: the publisher; then it is gone for everyone, and from the counts.
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/withdraw", zhang, nil), 403), "forbidden")
		pos := h.Must(h.Do("POST", path+"/withdraw", boss, nil), 204).Header.Get("X-Chronicle-Position")
		apitest.WantCode(t, h.Must(h.Do("GET", path, zhang, nil, "X-Chronicle-Min-Position", pos), 404), "not_found")
		apitest.WantCode(t, h.Must(h.Do("POST", path+"/withdraw", boss, nil), 404), "not_found")
		apitest.WantCode(t, h.Must(h.Do("GET", path+"/receipts", boss, nil), 404), "not_found")
		if got := list(zhang, ""); slices.Contains(got, "销售中心季度会议（改期）") {
			t.Fatalf("a withdrawn announcement is listed: %v", got)
		}
		if n := count(zhang); n != 2 {
			t.Fatalf("张伟's unread count after the withdrawal: %v", n)
		}
	})
}

// TestAnnouncementExpiry: an expired announcement leaves its audience's lists and counts (404 on
// read) as the clock passes its expiry, and stays in the publishers' view all, marked expired.
func TestAnnouncementExpiry(t *testing.T) {
	clock := &apitest.FakeClock{}
	h := apitest.New(t, "sqlite", clock.Now)
	admin := h.Login("admin", apitest.AdminPassword)
	_, zhang := h.CreateUser(admin, "zhang.sales", "sales")
	a := h.Must(h.Do("POST", "/api/v1/announcements", admin, map[string]any{"title": "限时通知", "body": "两小时内有效",
		"audience": map[string]any{"everyone": true}, "expiresAt": clock.Now().Add(2 * time.Hour).Format(time.RFC3339)}), 201)
	path := "/api/v1/announcements/" + a.Body["id"].(string)
	h.Must(h.Do("GET", path, zhang, nil), 200)
	if n := h.Must(h.Do("GET", "/api/v1/announcements/unread-count", zhang, nil), 200).Body["count"]; n != float64(1) {
		t.Fatalf("count before expiry: %v", n)
	}
	clock.Advance(3 * time.Hour)
	apitest.WantCode(t, h.Must(h.Do("GET", path, zhang, nil), 404), "not_found")
	if n := h.Must(h.Do("GET", "/api/v1/announcements/unread-count", zhang, nil), 200).Body["count"]; n != float64(0) {
		t.Fatalf("count after expiry: %v", n)
	}
	if got := titles(h.Must(h.Do("GET", "/api/v1/announcements", zhang, nil), 200)); len(got) != 0 {
		t.Fatalf("listed after expiry: %v", got)
	}
	all := h.Must(h.Do("GET", "/api/v1/announcements?view=all", admin, nil), 200).Body["items"].([]any)
	if len(all) != 1 || all[0].(map[string]any)["expired"] != true {
		t.Fatalf("the publisher's all: %v", all)
	}
}
