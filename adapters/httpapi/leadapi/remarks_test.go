package leadapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// customerPool.hidePreviousOwnerRemarks covers the lead pool too: the next owner of a released
// lead does not read the previous owner's remark (record, list, snapshot, history, export), but
// does read its follow-ups; its author and administrators read it; a remark written after the
// claim is shown; without the setting the remark is readable.
func TestPreviousOwnerLeadRemarksHidden(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		aID, sa := h.CreateUser(admin, "zhou.sales", "sales")
		bID, sb := h.CreateUser(admin, "wu.sales", "sales")
		const first, secret = "展会上认识", "客户私下说预算在削减"
		id := h.Must(h.Do("POST", "/api/v1/leads", sa, map[string]any{"name": "郑经理", "company": "苏州玄武湖电子", "remark": first}), 201).Body["id"].(string)
		h.Must(h.Do("PATCH", "/api/v1/leads/"+id, sa, map[string]any{"remark": secret}), 200)
		h.Must(h.Do("POST", "/api/v1/followups", sa, map[string]any{"subject": "lead:" + id, "type": "call", "content": "电话沟通需求"}), 201)
		h.Must(h.Do("POST", "/api/v1/leads/"+id+"/release", sa, map[string]any{"reason": "暂无需求"}), 200)
		claim := h.Must(h.Do("POST", "/api/v1/leads/"+id+"/claim", sb, nil), 200)
		if claim.Body["remark"] != secret {
			t.Fatalf("without the setting the remark is readable: %s", claim.Raw)
		}

		setHidden := func(on bool) string {
			t.Helper()
			st := h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerPool": map[string]any{"hidePreviousOwnerRemarks": on}}), 200)
			return st.Header.Get("X-Chronicle-Position")
		}
		pos := setHidden(true)
		got := h.Must(h.Do("GET", "/api/v1/leads/"+id, sb, nil, "X-Chronicle-Min-Position", pos), 200)
		if got.Body["remark"] != "" || got.Body["remarkHidden"] != true {
			t.Fatalf("the next owner reads the previous owner's remark: %s", got.Raw)
		}
		list := h.Must(h.Do("GET", "/api/v1/leads?q=玄武湖", sb, nil), 200)
		if items := list.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["remarkHidden"] != true {
			t.Fatalf("list: %s", list.Raw)
		}
		reads := map[string]string{
			"list":     "/api/v1/leads?q=玄武湖",
			"snapshot": "/api/v1/leads/" + id + "/snapshot?asOf=" + time.Now().UTC().Format(time.RFC3339Nano),
			"history":  "/api/v1/leads/" + id + "/history",
			"export":   "/api/v1/leads/export?format=csv&q=玄武湖",
		}
		for what, path := range reads {
			r := h.Must(h.Do("GET", path, sb, nil), 200)
			if strings.Contains(r.Raw, secret) || strings.Contains(r.Raw, first) {
				t.Errorf("%s reveals the previous owner's remark: %s", what, r.Raw)
			}
			if what == "export" && !strings.Contains(r.Raw, "苏州玄武湖电子") {
				t.Errorf("the export lost the lead: %s", r.Raw)
			}
		}
		// The history keeps every other change, and the follow-ups stay.
		if r := h.Must(h.Do("GET", reads["history"], sb, nil), 200); !strings.Contains(r.Raw, "lead.released.v1") || !strings.Contains(r.Raw, "苏州玄武湖电子") {
			t.Errorf("the history lost more than the remark: %s", r.Raw)
		}
		if r := h.Must(h.Do("GET", "/api/v1/followups?subject=lead:"+id, sb, nil), 200); !strings.Contains(r.Raw, "电话沟通需求") {
			t.Errorf("the follow-ups are hidden: %s", r.Raw)
		}
		// Administrators read it all.
		for what, path := range map[string]string{"record": "/api/v1/leads/" + id, "history": reads["history"], "snapshot": reads["snapshot"], "export": reads["export"]} {
			if r := h.Must(h.Do("GET", path, admin, nil), 200); !strings.Contains(r.Raw, secret) {
				t.Errorf("administrator's %s: %s", what, r.Raw)
			}
		}
		// Its author reads it (given the lead back, without a release).
		h.Must(h.Do("POST", "/api/v1/leads/"+id+"/assign", admin, map[string]any{"ownerId": aID}), 200)
		if r := h.Must(h.Do("GET", "/api/v1/leads/"+id, sa, nil), 200); r.Body["remark"] != secret || r.Body["remarkHidden"] != nil {
			t.Errorf("the author: %s", r.Raw)
		}
		if r := h.Must(h.Do("GET", reads["export"], sa, nil), 200); !strings.Contains(r.Raw, secret) {
			t.Errorf("the author's export: %s", r.Raw)
		}
		h.Must(h.Do("POST", "/api/v1/leads/"+id+"/assign", admin, map[string]any{"ownerId": bID}), 200)
		// Without the setting, the next owner reads it again.
		pos = setHidden(false)
		if r := h.Must(h.Do("GET", "/api/v1/leads/"+id, sb, nil, "X-Chronicle-Min-Position", pos), 200); r.Body["remark"] != secret {
			t.Errorf("setting off: %s", r.Raw)
		}
		if r := h.Must(h.Do("GET", reads["export"], sb, nil), 200); !strings.Contains(r.Raw, secret) {
			t.Errorf("setting off, export: %s", r.Raw)
		}
		// The new owner's own remark is shown.
		setHidden(true)
		mine := h.Must(h.Do("PATCH", "/api/v1/leads/"+id, sb, map[string]any{"remark": "新负责人备注"}), 200)
		if mine.Body["remark"] != "新负责人备注" || mine.Body["remarkHidden"] != nil {
			t.Fatalf("the new owner's remark: %s", mine.Raw)
		}
		if r := h.Must(h.Do("GET", reads["export"], sb, nil), 200); !strings.Contains(r.Raw, "新负责人备注") {
			t.Errorf("the new owner's export: %s", r.Raw)
		}
		// A snapshot from before it still hides the previous owner's remark; one from now shows it.
		if r := h.Must(h.Do("GET", reads["snapshot"], sb, nil), 200); strings.Contains(r.Raw, secret) || r.Body["remarkHidden"] != true {
			t.Errorf("an earlier snapshot reveals the previous owner's remark: %s", r.Raw)
		}
		now := "/api/v1/leads/" + id + "/snapshot?asOf=" + time.Now().UTC().Format(time.RFC3339Nano)
		if r := h.Must(h.Do("GET", now, sb, nil), 200); r.Body["remark"] != "新负责人备注" || r.Body["remarkHidden"] != nil {
			t.Errorf("the new owner's snapshot: %s", r.Raw)
		}

		// A lead converted by its next owner does not pass the hidden remark to the customer.
		const other = "对方采购换人了"
		id2 := h.Must(h.Do("POST", "/api/v1/leads", sa, map[string]any{"name": "冯经理", "company": "无锡太湖机械", "remark": other}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/leads/"+id2+"/release", sa, map[string]any{"reason": "暂无需求"}), 200)
		h.Must(h.Do("POST", "/api/v1/leads/"+id2+"/claim", sb, nil), 200)
		conv := h.Must(h.Do("POST", "/api/v1/leads/"+id2+"/convert", sb, nil), 201)
		cust := conv.Body["customerId"].(string)
		pos = conv.Header.Get("X-Chronicle-Position")
		for _, path := range []string{"/api/v1/customers/" + cust, "/api/v1/customers/" + cust + "/history"} {
			if r := h.Must(h.Do("GET", path, sb, nil, "X-Chronicle-Min-Position", pos), 200); strings.Contains(r.Raw, other) || !strings.Contains(r.Raw, "无锡太湖机械") {
				t.Errorf("the converted customer reveals the previous owner's remark: %s", r.Raw)
			}
		}
		if r := h.Must(h.Do("GET", "/api/v1/leads/"+id2, admin, nil), 200); r.Body["remark"] != other {
			t.Errorf("the lead lost its remark: %s", r.Raw)
		}
	})
}
