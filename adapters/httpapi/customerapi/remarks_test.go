package customerapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// With customerPool.hidePreviousOwnerRemarks, the next owner of a released customer does not read
// the previous owner's remark (record, list, snapshot, history, export), but does read its follow-ups;
// administrators read everything; a remark written after the claim is shown. Without the setting
// the remark stays readable.
func TestPreviousOwnerRemarksHidden(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, s1 := h.CreateUser(admin, "qian.sales", "sales")
		_, s2 := h.CreateUser(admin, "sun.sales", "sales")
		const secret = "老板私下说预算在削减"
		id := h.Must(h.Do("POST", "/api/v1/customers", s1, map[string]any{"name": "南京紫金山贸易", "remark": "初次拜访"}), 201).Body["id"].(string)
		h.Must(h.Do("PATCH", "/api/v1/customers/"+id, s1, map[string]any{"remark": secret}), 200)
		h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "customer:" + id, "type": "call", "content": "电话沟通报价"}), 201)
		h.Must(h.Do("POST", "/api/v1/customers/"+id+"/release", s1, map[string]any{"reason": "暂无需求"}), 200)
		claim := h.Must(h.Do("POST", "/api/v1/customers/"+id+"/claim", s2, nil), 200)
		if claim.Body["remark"] != secret {
			t.Fatalf("without the setting the remark is readable: %s", claim.Raw)
		}

		st := h.Must(h.Do("PATCH", "/api/v1/settings", admin, map[string]any{"customerPool": map[string]any{"hidePreviousOwnerRemarks": true}}), 200)
		if st.Body["customerPool"].(map[string]any)["hidePreviousOwnerRemarks"] != true {
			t.Fatalf("settings: %s", st.Raw)
		}
		pos := st.Header.Get("X-Chronicle-Position")
		h.Must(h.Do("PATCH", "/api/v1/settings", s2, map[string]any{"customerPool": map[string]any{"hidePreviousOwnerRemarks": false}}), 403)

		got := h.Must(h.Do("GET", "/api/v1/customers/"+id, s2, nil, "X-Chronicle-Min-Position", pos), 200)
		if got.Body["remark"] != nil || got.Body["remarkHidden"] != true {
			t.Fatalf("the next owner reads the previous owner's remark: %s", got.Raw)
		}
		reads := map[string]string{
			"list":    "/api/v1/customers?q=紫金山",
			"as of":   "/api/v1/customers/" + id + "/snapshot?asOf=" + time.Now().UTC().Format(time.RFC3339Nano),
			"history": "/api/v1/customers/" + id + "/history",
			"export":  "/api/v1/customers/export?format=csv&q=紫金山",
		}
		for what, path := range reads {
			if r := h.Must(h.Do("GET", path, s2, nil), 200); strings.Contains(r.Raw, secret) || strings.Contains(r.Raw, "初次拜访") {
				t.Errorf("%s reveals the previous owner's remark: %s", what, r.Raw)
			}
		}
		// The history keeps every other change, and the follow-ups stay.
		if r := h.Must(h.Do("GET", reads["history"], s2, nil), 200); !strings.Contains(r.Raw, "customer.released.v1") || !strings.Contains(r.Raw, "南京紫金山贸易") {
			t.Errorf("the history lost more than the remark: %s", r.Raw)
		}
		if r := h.Must(h.Do("GET", "/api/v1/followups?subject=customer:"+id, s2, nil), 200); !strings.Contains(r.Raw, "电话沟通报价") {
			t.Errorf("the follow-ups are hidden: %s", r.Raw)
		}
		// Administrators read it all.
		if r := h.Must(h.Do("GET", "/api/v1/customers/"+id, admin, nil), 200); r.Body["remark"] != secret {
			t.Errorf("administrator: %s", r.Raw)
		}
		if r := h.Must(h.Do("GET", reads["history"], admin, nil), 200); !strings.Contains(r.Raw, secret) {
			t.Errorf("administrator's history: %s", r.Raw)
		}
		if r := h.Must(h.Do("GET", reads["export"], admin, nil), 200); !strings.Contains(r.Raw, secret) {
			t.Errorf("administrator's export: %s", r.Raw)
		}
		// The new owner's own remark is shown.
		mine := h.Must(h.Do("PATCH", "/api/v1/customers/"+id, s2, map[string]any{"remark": "新负责人备注"}), 200)
		if mine.Body["remark"] != "新负责人备注" || mine.Body["remarkHidden"] != nil {
			t.Fatalf("the new owner's remark: %s", mine.Raw)
		}
		if r := h.Must(h.Do("GET", reads["export"], s2, nil), 200); !strings.Contains(r.Raw, "新负责人备注") {
			t.Errorf("the new owner's export: %s", r.Raw)
		}
	})
}
