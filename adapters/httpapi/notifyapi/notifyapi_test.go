package notifyapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

type note struct {
	ID, Kind, SubjectKind, SubjectID, Title, Detail, ActorName string
	Read                                                       bool
}

func inbox(t *testing.T, h *apitest.Harness, token string, query string) ([]note, float64) {
	t.Helper()
	r := h.Must(h.Do("GET", "/api/v1/notifications"+query, token, nil, "X-Chronicle-Min-Position", h.Head()), 200)
	var out []note
	for _, it := range r.Body["items"].([]any) {
		m := it.(map[string]any)
		out = append(out, note{ID: m["id"].(string), Kind: m["kind"].(string), SubjectKind: m["subjectKind"].(string), SubjectID: m["subjectId"].(string),
			Title: m["title"].(string), Detail: m["detail"].(string), ActorName: m["actorName"].(string), Read: m["read"].(bool)})
	}
	return out, r.Body["count"].(map[string]any)["unread"].(float64)
}

// sse reads a Server-Sent Events stream: each event's name and data, as they come.
func sse(t *testing.T, ctx context.Context, h *apitest.Harness, token string) <-chan [2]string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.Srv.URL+"/api/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan [2]string, 16)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		var name, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && name != "":
				out <- [2]string{name, data}
				name, data = "", ""
			}
		}
	}()
	return out
}

func next(t *testing.T, events <-chan [2]string, name string) string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended before a %s event", name)
			}
			if ev[0] == name {
				return ev[1]
			}
		case <-timeout:
			t.Fatalf("no %s event within 20 s", name)
		}
	}
}

// TestNotifications: the inbox end to end on both engines: a task given to a subordinate
// notifies them (pushed live on their stream), its completion notifies the manager who assigned
// it, a comment notifies the others involved, never the one who acted; marking read by id (one's
// own only) and all; the count; bad input refused.
func TestNotifications(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		dept := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "销售一部"}), 201).Body["id"].(string)
		bossID, boss := h.CreateUser(admin, "li.boss", "manager", dept)
		zhangID, zhang := h.CreateUser(admin, "zhang.sales", "sales", dept, bossID)

		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		live := sse(t, ctx, h, zhang)
		var c struct {
			Unread int64  `json:"unread"`
			Latest string `json:"latest"`
		}
		if err := json.Unmarshal([]byte(next(t, live, "count")), &c); err != nil || c.Unread != 0 {
			t.Fatalf("first count: %+v %v", c, err)
		}

		// the manager gives 张伟 a task: it arrives on his stream
		tk := h.Must(h.Do("POST", "/api/v1/tasks", boss, map[string]any{"title": "回访星河科技", "assigneeId": zhangID}), 201)
		id := tk.Body["id"].(string)
		var arrived struct{ Items []map[string]any }
		if err := json.Unmarshal([]byte(next(t, live, "notifications")), &arrived); err != nil || len(arrived.Items) != 1 ||
			arrived.Items[0]["kind"] != "task_assigned" || arrived.Items[0]["title"] != "回访星河科技" || arrived.Items[0]["actorName"] != "用户li.boss" {
			t.Fatalf("arrived: %+v %v", arrived, err)
		}
		if err := json.Unmarshal([]byte(next(t, live, "count")), &c); err != nil || c.Unread != 1 {
			t.Fatalf("count after: %+v %v", c, err)
		}
		// the manager who acted is not notified of his own act
		if ns, n := inbox(t, h, boss, ""); len(ns) != 0 || n != 0 {
			t.Fatalf("the actor was notified: %+v", ns)
		}

		// 张伟 comments and completes it: the manager hears of both, 张伟 of neither
		h.Must(h.Do("POST", "/api/v1/tasks/"+id+"/comments", zhang, map[string]any{"text": "已约周五上门"}), 201)
		h.Must(h.Do("POST", "/api/v1/tasks/"+id+"/status", zhang, map[string]any{"status": "done", "note": "客户已确认报价"}), 200)
		ns, n := inbox(t, h, boss, "")
		if len(ns) != 2 || n != 2 || ns[0].Kind != "task_done" || ns[0].Detail != "客户已确认报价" || ns[1].Kind != "task_commented" ||
			ns[1].Detail != "已约周五上门" || ns[0].SubjectID != id || ns[0].ActorName != "用户zhang.sales" {
			t.Fatalf("the manager's inbox: %d %+v", int(n), ns)
		}
		zs, zn := inbox(t, h, zhang, "")
		if len(zs) != 1 || zn != 1 {
			t.Fatalf("张伟's inbox: %+v", zs)
		}

		// a customer assigned to 张伟 by the manager
		cust := h.Must(h.Do("POST", "/api/v1/customers", boss, map[string]any{"name": "上海云帆贸易有限公司"}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/customers/"+cust+"/assign", boss, map[string]any{"ownerId": zhangID}), 200)
		zs, zn = inbox(t, h, zhang, "?unread=true")
		if len(zs) != 2 || zn != 2 || zs[0].Kind != "record_assigned" || zs[0].SubjectKind != "customer" || zs[0].SubjectID != cust {
			t.Fatalf("after the assignment: %+v", zs)
		}

		// marking read: someone else's id changes nothing; one's own lowers the count
		r := h.Must(h.Do("POST", "/api/v1/notifications/read", boss, map[string]any{"ids": []string{zs[0].ID}}), 200)
		if r.Body["unread"].(float64) != 2 {
			t.Fatalf("the manager's count after reading 张伟's: %s", r.Raw)
		}
		if _, zn = inbox(t, h, zhang, ""); zn != 2 {
			t.Fatalf("the manager read 张伟's notification: %v", zn)
		}
		r = h.Must(h.Do("POST", "/api/v1/notifications/read", zhang, map[string]any{"ids": []string{zs[0].ID, zs[0].ID}}), 200)
		if r.Body["unread"].(float64) != 1 {
			t.Fatalf("after reading one: %s", r.Raw)
		}
		if un, _ := inbox(t, h, zhang, "?unread=true"); len(un) != 1 || un[0].ID != zs[1].ID {
			t.Fatalf("unread: %+v", un)
		}
		h.Must(h.Do("POST", "/api/v1/notifications/read", zhang, map[string]any{"ids": []string{zs[0].ID}}), 200) // again: nothing changes
		if r = h.Must(h.Do("POST", "/api/v1/notifications/read", zhang, map[string]any{"all": true}), 200); r.Body["unread"].(float64) != 0 {
			t.Fatalf("after reading all: %s", r.Raw)
		}
		if got := h.Must(h.Do("GET", "/api/v1/notifications/count", zhang, nil), 200); got.Body["unread"].(float64) != 0 {
			t.Fatalf("count: %s", got.Raw)
		}

		// a contract 张伟 submits waits for his superior; the decision comes back to 张伟
		k := h.Must(h.Do("POST", "/api/v1/contracts", zhang, map[string]any{"name": "云帆 ERP 合同", "customerId": cust, "amount": "1000.00"}), 201)
		kid := k.Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/contracts/"+kid+"/submit", zhang, nil), 200)
		bs, _ := inbox(t, h, boss, "?unread=true")
		if len(bs) == 0 || bs[0].Kind != "approval_requested" || bs[0].SubjectKind != "contract" || bs[0].SubjectID != kid ||
			!strings.Contains(bs[0].Title, "云帆 ERP 合同") || bs[0].ActorName != "用户zhang.sales" {
			t.Fatalf("the approver's inbox: %+v", bs)
		}
		h.Must(h.Do("POST", "/api/v1/contracts/"+kid+"/approve", boss, map[string]any{"comment": "同意"}), 200)
		zs, _ = inbox(t, h, zhang, "?unread=true")
		if len(zs) != 1 || zs[0].Kind != "approval_decided" || zs[0].Detail != "approved" || zs[0].SubjectID != kid {
			t.Fatalf("the submitter's inbox: %+v", zs)
		}

		// bad input, nothing written
		head := h.Head()
		apitest.FieldErr(t, h.Must(h.Do("POST", "/api/v1/notifications/read", zhang, map[string]any{}), 422), "ids", "")
		apitest.FieldErr(t, h.Must(h.Do("POST", "/api/v1/notifications/read", zhang, map[string]any{"ids": []string{"x"}}), 422), "ids[0]", "")
		apitest.FieldErr(t, h.Must(h.Do("POST", "/api/v1/notifications/read", zhang, map[string]any{"ids": []string{zs[0].ID}, "all": true}), 422), "all", "")
		many := make([]string, 501)
		for i := range many {
			many[i] = zs[0].ID
		}
		apitest.FieldErr(t, h.Must(h.Do("POST", "/api/v1/notifications/read", zhang, map[string]any{"ids": many}), 422), "ids", "")
		h.Must(h.Do("GET", "/api/v1/notifications?limit=1000", zhang, nil), 422)
		h.Must(h.Do("GET", "/api/v1/notifications?cursor=abc", zhang, nil), 422)
		if now := h.Head(); now != head {
			t.Fatalf("refused reads wrote events: %s → %s", head, now)
		}
		h.Must(h.Do("GET", "/api/v1/notifications", "", nil), 401)
	})
}
