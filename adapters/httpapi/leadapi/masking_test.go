package leadapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// auditEntries are the events of a type in the log.
func auditEntries(t *testing.T, h *apitest.Harness, typ string) []eventstore.Event {
	t.Helper()
	all, err := h.App.Store.ReadAll(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []eventstore.Event
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// maskingOrg is an owner (sales), a colleague who may change everyone's leads and customers
// (team_sales: scope all, update), a reader who may only read and export them (viewer: scope
// all) and a manager (contactdetails.reveal).
type maskingOrg struct {
	admin, owner, colleague, viewer, manager string
	ownerID                                  string
}

func newMaskingOrg(t *testing.T, h *apitest.Harness) maskingOrg {
	t.Helper()
	o := maskingOrg{admin: h.Login("admin", apitest.AdminPassword)}
	h.Must(h.Do("POST", "/api/v1/roles", o.admin, map[string]any{"name": "team_sales", "displayName": "团队销售", "dataScope": "all",
		"permissions": []string{"leads.read", "leads.update", "leads.export", "customers.read", "customers.update", "customers.export"}}), 201)
	h.Must(h.Do("POST", "/api/v1/roles", o.admin, map[string]any{"name": "viewer", "displayName": "查看", "dataScope": "all",
		"permissions": []string{"leads.read", "leads.export", "customers.read", "customers.export"}}), 201)
	dept := h.Must(h.Do("POST", "/api/v1/departments", o.admin, map[string]any{"name": "华东销售部"}), 201).Body["id"].(string)
	o.ownerID, o.owner = h.CreateUser(o.admin, "zhao.sales", "sales", dept)
	_, o.colleague = h.CreateUser(o.admin, "qian.team", "team_sales")
	_, o.viewer = h.CreateUser(o.admin, "sun.viewer", "viewer")
	_, o.manager = h.CreateUser(o.admin, "li.manager", "manager", dept)
	return o
}

// A lead's phone, mobile and e-mail are shown in full to its owner and to a manager
// (contactdetails.reveal) and masked for other readers in scope, in the record, the list and its
// search, the snapshot, the history and the export; a search by the phone digits finds the lead
// and shows them masked.
func TestLeadContactDetailsMasked(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		o := newMaskingOrg(t, h)
		created := h.Must(h.Do("POST", "/api/v1/leads", o.owner, map[string]any{"name": "张经理", "company": "玄武湖电子",
			"phone": "010-8888-6666", "mobile": "13800138000", "email": "zhang@example.com"}), 201)
		id := created.Body["id"].(string)
		if created.Body["mobile"] != "13800138000" || created.Body["maskedFields"] != nil {
			t.Fatalf("the owner's answer is masked: %s", created.Raw)
		}
		h.Must(h.Do("PATCH", "/api/v1/leads/"+id, o.owner, map[string]any{"mobile": "13900139000"}), 200)
		pos := h.Head()
		full := []string{"13900139000", "010-8888-6666", "zhang@example.com"}
		masked := []string{"139****9000", "010-****-6666", "z***@example.com"}
		asOf := url.QueryEscape(time.Now().UTC().Format(time.RFC3339Nano))
		reads := map[string]string{
			"record":   "/api/v1/leads/" + id,
			"list":     "/api/v1/leads?q=玄武湖",
			"search":   "/api/v1/leads?q=13900139000",
			"snapshot": "/api/v1/leads/" + id + "/snapshot?asOf=" + asOf,
			"history":  "/api/v1/leads/" + id + "/history",
			"export":   "/api/v1/leads/export?format=csv&q=玄武湖",
		}
		for what, path := range reads {
			for _, reader := range []string{o.viewer, o.colleague} {
				r := h.Must(h.Do("GET", path, reader, nil, "X-Chronicle-Min-Position", pos), 200)
				for _, v := range append(full, "13800138000") {
					if strings.Contains(r.Raw, v) {
						t.Errorf("%s shows %s to a reader who is not the owner: %s", what, v, r.Raw)
					}
				}
				if what != "history" && (!strings.Contains(r.Raw, masked[0]) || !strings.Contains(r.Raw, masked[1])) || !strings.Contains(r.Raw, masked[2]) {
					t.Errorf("%s does not show the masked values: %s", what, r.Raw)
				}
			}
			for _, reader := range []string{o.owner, o.manager} {
				r := h.Must(h.Do("GET", path, reader, nil, "X-Chronicle-Min-Position", pos), 200)
				for _, v := range full {
					if !strings.Contains(r.Raw, v) {
						t.Errorf("%s does not show %s to the owner or a manager: %s", what, v, r.Raw)
					}
				}
			}
		}
		// The record says what is masked and whether the reader may reveal it.
		v := h.Must(h.Do("GET", reads["record"], o.viewer, nil), 200)
		if got, _ := json.Marshal(v.Body["maskedFields"]); string(got) != `["phone","mobile","email"]` || v.Body["revealable"] != nil {
			t.Errorf("viewer: %s", v.Raw)
		}
		c := h.Must(h.Do("GET", reads["record"], o.colleague, nil), 200)
		if c.Body["revealable"] != true || c.Body["mobile"] != "139****9000" {
			t.Errorf("colleague: %s", c.Raw)
		}
		// The history shows the field changes masked.
		hist := h.Must(h.Do("GET", reads["history"], o.viewer, nil), 200)
		if !strings.Contains(hist.Raw, "138****8000") || !strings.Contains(hist.Raw, "139****9000") {
			t.Errorf("history: %s", hist.Raw)
		}
		// An owner's own record is not masked for the owner in the list either.
		mine := h.Must(h.Do("GET", "/api/v1/leads?q=玄武湖", o.owner, nil), 200)
		if item := mine.Body["items"].([]any)[0].(map[string]any); item["mobile"] != "13900139000" || item["maskedFields"] != nil {
			t.Errorf("owner's list: %s", mine.Raw)
		}
		// A reader who sees the numbers masked finds the lead by a number or an address given
		// whole, or by what it shows them, never by a part of a masked value (searching 1390,
		// 1391, … would spell the number out); the owner finds it by any part.
		for q, want := range map[string]int{"13900139000": 1, "1390013": 0, "8888": 0, "01088886666": 1, "zhang@example.com": 1, "zhang@": 0, "张经理": 1, "玄武": 1} {
			for _, reader := range []string{o.viewer, o.colleague, o.owner} {
				r := h.Must(h.Do("GET", "/api/v1/leads?q="+url.QueryEscape(q), reader, nil), 200)
				n, w := len(r.Body["items"].([]any)), want
				if reader == o.owner {
					w = 1
				}
				if n != w {
					t.Errorf("q=%s: %d leads, want %d: %s", q, n, w, r.Raw)
				}
				// nor does the total tell of a lead left out
				if total := r.Body["total"].(float64); reader != o.owner && total != float64(w) {
					t.Errorf("q=%s: total %v, want %d: %s", q, total, w, r.Raw)
				}
			}
		}
	})
}

// A reveal by a reader allowed to (a manager, a colleague who may change the lead) answers the
// values in full and records exactly one audit.contact_revealed.v1 without them; a reader who may
// only read the lead gets 403 and nothing is recorded; an unknown field is 422.
func TestLeadReveal(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		o := newMaskingOrg(t, h)
		id := h.Must(h.Do("POST", "/api/v1/leads", o.owner, map[string]any{"name": "钱经理", "mobile": "13800138000",
			"email": "qian@example.com"}), 201).Body["id"].(string)
		const typ = "audit.contact_revealed.v1"

		r := h.Do("POST", "/api/v1/leads/"+id+"/reveal", o.viewer, map[string]any{"fields": []string{"mobile"}})
		apitest.WantCode(t, r, "forbidden")
		if r.Status != 403 || len(auditEntries(t, h, typ)) != 0 {
			t.Fatalf("a reader who may not reveal: %d, %d entries", r.Status, len(auditEntries(t, h, typ)))
		}
		apitest.FieldErr(t, h.Must(h.Do("POST", "/api/v1/leads/"+id+"/reveal", o.colleague, map[string]any{"fields": []string{"remark"}}), 422), "fields", "")

		before := h.Must(h.Do("GET", "/api/v1/leads/"+id, o.owner, nil), 200)
		got := h.Must(h.Do("POST", "/api/v1/leads/"+id+"/reveal", o.colleague, map[string]any{"fields": []string{"mobile"}}), 200)
		if f := got.Body["fields"].(map[string]any); f["mobile"] != "13800138000" || len(f) != 1 {
			t.Fatalf("reveal: %s", got.Raw)
		}
		entries := auditEntries(t, h, typ)
		if len(entries) != 1 {
			t.Fatalf("%d audit entries, want 1", len(entries))
		}
		e := entries[0]
		var data map[string]any
		_ = json.Unmarshal(e.Data, &data)
		if data["recordKind"] != "lead" || data["recordId"] != id || data["ownerId"] != o.ownerID || e.Metadata.Command != "audit.reveal" {
			t.Errorf("entry: %s %+v", e.Data, e.Metadata)
		}
		if f, _ := data["fields"].([]any); len(f) != 1 || f[0] != "mobile" {
			t.Errorf("entry fields: %s", e.Data)
		}
		if strings.Contains(string(e.Data), "138") || strings.Contains(string(e.Data), "8000") {
			t.Errorf("the entry holds the value: %s", e.Data)
		}
		// A manager reveals every field; the lead's version does not move.
		all := h.Must(h.Do("POST", "/api/v1/leads/"+id+"/reveal", o.manager, nil), 200)
		if f := all.Body["fields"].(map[string]any); f["email"] != "qian@example.com" || f["phone"] != "" || len(f) != 3 {
			t.Errorf("manager's reveal: %s", all.Raw)
		}
		if n := len(auditEntries(t, h, typ)); n != 2 {
			t.Errorf("%d audit entries, want 2", n)
		}
		after := h.Must(h.Do("GET", "/api/v1/leads/"+id, o.owner, nil), 200)
		if after.Header.Get("ETag") != before.Header.Get("ETag") {
			t.Errorf("a reveal moved the lead's version: %s → %s", before.Header.Get("ETag"), after.Header.Get("ETag"))
		}
		// The operation log lists it; its reader sees no values of leads masked there either.
		log := h.Must(h.Do("GET", "/api/v1/audit/events?type="+typ, o.admin, nil), 200)
		if items := log.Body["items"].([]any); len(items) != 2 {
			t.Errorf("operation log: %s", log.Raw)
		}
	})
}

// Reveals are limited to 100 an hour per user: the 101st is 429 with Retry-After and records
// nothing; another user is not affected.
func TestRevealRateLimit(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		o := newMaskingOrg(t, h)
		id := h.Must(h.Do("POST", "/api/v1/leads", o.owner, map[string]any{"name": "孙经理", "mobile": "13800138000"}), 201).Body["id"].(string)
		for i := range 100 {
			if r := h.Do("POST", "/api/v1/leads/"+id+"/reveal", o.colleague, nil); r.Status != 200 {
				t.Fatalf("reveal %d: %d %s", i+1, r.Status, r.Raw)
			}
		}
		r := h.Do("POST", "/api/v1/leads/"+id+"/reveal", o.colleague, nil)
		apitest.WantCode(t, r, "rate_limited")
		if r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("the 101st reveal: %d %v", r.Status, r.Header)
		}
		if n := len(auditEntries(t, h, "audit.contact_revealed.v1")); n != 100 {
			t.Errorf("%d audit entries, want 100", n)
		}
		h.Must(h.Do("POST", "/api/v1/leads/"+id+"/reveal", o.manager, nil), 200)
	})
}

// Every export records one audit.exported.v1 with the list, the format, the query string and the
// rows written.
func TestExportAudited(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		o := newMaskingOrg(t, h)
		for _, n := range []string{"周经理", "吴经理", "郑经理"} {
			h.Must(h.Do("POST", "/api/v1/leads", o.owner, map[string]any{"name": n, "company": "紫金山软件", "mobile": "13800138000"}), 201)
		}
		h.Must(h.Do("POST", "/api/v1/leads", o.owner, map[string]any{"name": "王经理", "company": "别的公司"}), 201)
		const typ = "audit.exported.v1"
		query := "format=xlsx&q=" + url.QueryEscape("紫金山")
		h.Must(h.Do("GET", "/api/v1/leads/export?"+query, o.manager, nil), 200)
		entries := auditEntries(t, h, typ)
		if len(entries) != 1 {
			t.Fatalf("%d export entries, want 1", len(entries))
		}
		var data map[string]any
		_ = json.Unmarshal(entries[0].Data, &data)
		if data["resource"] != "leads" || data["format"] != "xlsx" || data["query"] != query || data["rows"] != float64(3) || data["incomplete"] != nil {
			t.Errorf("entry: %s", entries[0].Data)
		}
		// Other lists are audited too (an empty one with 0 rows).
		h.Must(h.Do("GET", "/api/v1/tasks/export?format=csv", o.manager, nil), 200)
		entries = auditEntries(t, h, typ)
		_ = json.Unmarshal(entries[len(entries)-1].Data, &data)
		if len(entries) != 2 || data["resource"] != "tasks" || data["rows"] != float64(0) {
			t.Errorf("task export entry: %d %s", len(entries), entries[len(entries)-1].Data)
		}
		if !slices.ContainsFunc(entries, func(e eventstore.Event) bool { return e.Metadata.Command == "audit.export" }) {
			t.Errorf("no command name: %+v", entries[0].Metadata)
		}
	})
}

// TestMaskedValuesAreNotSavedBack: a colleague who may change a lead but reads its details masked
// cannot save a masked value back over the real one (a masked phone is not a phone; a masked
// address is refused as such), and nothing is recorded.
func TestMaskedValuesAreNotSavedBack(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		o := newMaskingOrg(t, h)
		id := h.Must(h.Do("POST", "/api/v1/leads", o.owner, map[string]any{"name": "孙经理", "mobile": "13800138000",
			"email": "sun@example.com"}), 201).Body["id"].(string)
		seen := h.Must(h.Do("GET", "/api/v1/leads/"+id, o.colleague, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		before := h.Head()
		for _, f := range []string{"mobile", "email"} {
			r := h.Must(h.Do("PATCH", "/api/v1/leads/"+id, o.colleague, map[string]any{f: seen.Body[f]}), 422)
			apitest.FieldErr(t, r, f, "")
		}
		if h.Head() != before {
			t.Fatal("a masked value saved back recorded events")
		}
		if got := h.Must(h.Do("GET", "/api/v1/leads/"+id, o.owner, nil), 200).Body["email"]; got != "sun@example.com" {
			t.Fatalf("the owner now reads %v", got)
		}
	})
}
