package auditapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/auditapi"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
)

// exportEntries are the audit.exported.v1 entries of the log with resource audit.
func exportEntries(t *testing.T, h *apitest.Harness) []map[string]any {
	t.Helper()
	all, err := h.App.Store.ReadAll(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range all {
		if e.Type != "audit.exported.v1" {
			continue
		}
		var d map[string]any
		_ = json.Unmarshal(e.Data, &d)
		if d["resource"] == "audit" {
			out = append(out, d)
		}
	}
	return out
}

// rows are the data lines of a jsonl export, and its manifest.
func rows(t *testing.T, raw string) ([]map[string]any, auditchain.Manifest) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(raw, "\n"), "\n")
	var last struct {
		Manifest *auditchain.Manifest `json:"manifest"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Manifest == nil {
		t.Fatalf("no manifest line: %v: %s", err, lines[len(lines)-1])
	}
	var out []map[string]any
	for _, l := range lines[:len(lines)-1] {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, r)
	}
	return out, *last.Manifest
}

func verify(t *testing.T, file []byte, pub ed25519.PublicKey) audit.ExportCheck {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := audit.VerifyExport(path, pub)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The export of the operation log: filters (time range, actor, type prefix, stream exact and
// prefix), field changes of an update, contact details masked for a reader without
// contactdetails.reveal, 403 without audit.export, 422 on a bad parameter with nothing recorded,
// the audit entry with the rows, and a manifest that verifies with the audit key (and does not
// once a byte is changed).
func TestAuditExport(t *testing.T) {
	auditapi.ExportPage = 3 // every export crosses pages
	t.Cleanup(func() { auditapi.ExportPage = 500 })
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		ctx := context.Background()
		admin := h.Login("admin", apitest.AdminPassword)
		h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "auditor", "displayName": "审计", "dataScope": "all",
			"permissions": []string{"audit.read", "audit.export"}}), 201)
		h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "log_reader", "displayName": "日志", "dataScope": "all",
			"permissions": []string{"audit.read"}}), 201)
		_, auditor := h.CreateUser(admin, "qin.audit", "auditor")
		_, reader := h.CreateUser(admin, "wei.log", "log_reader")
		salesID, sales := h.CreateUser(admin, "zhou.sales", "sales")

		lead := h.Must(h.Do("POST", "/api/v1/leads", sales, map[string]any{"name": "张经理", "company": "玄武湖电子",
			"mobile": "13800138000", "email": "zhang@example.com"}), 201).Body["id"].(string)
		h.Must(h.Do("PATCH", "/api/v1/leads/"+lead, sales, map[string]any{"mobile": "13900139000"}), 200)
		time.Sleep(20 * time.Millisecond)
		cut := time.Now().UTC()
		time.Sleep(20 * time.Millisecond)
		cust := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "广州白云山机电", "phone": "020-3888-6666"}), 201).Body["id"].(string)
		if _, err := h.App.AnchorAudit(ctx); err != nil { // a sealed chain head for the manifest
			t.Fatal(err)
		}
		key, err := h.App.Sealer.Key()
		if err != nil {
			t.Fatal(err)
		}
		pub := key.Public().(ed25519.PublicKey)
		get := func(token, query string, status int) apitest.Resp {
			t.Helper()
			return h.Must(h.Do("GET", "/api/v1/audit/export?"+query, token, nil), status)
		}

		// Without audit.export: 403, nothing recorded. Bad parameters: 422, nothing recorded.
		apitest.WantCode(t, get(reader, "", 403), "forbidden")
		for _, q := range []string{"format=xml", "from=yesterday", "actor=nobody", "from=2026-12-01&to=2026-11-01", "stream=lead-*x*"} {
			r := get(auditor, q, 422)
			apitest.WantCode(t, r, "validation_failed")
		}
		if n := len(exportEntries(t, h)); n != 0 {
			t.Fatalf("%d export entries after refused exports", n)
		}

		// Type prefix: the lead's two events, with the update's field changes, masked.
		r := get(auditor, "type=lead.", 200)
		if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
			t.Errorf("content type %q", ct)
		}
		items, m := rows(t, r.Raw)
		if len(items) != 2 || items[0]["type"] != "lead.created.v1" || items[1]["type"] != "lead.updated.v1" {
			t.Fatalf("type=lead.: %s", r.Raw)
		}
		changes, _ := json.Marshal(items[1]["changes"])
		if !strings.Contains(string(changes), `{"field":"mobile","from":"138****8000","to":"139****9000"}`) {
			t.Errorf("the update's changes: %s", changes)
		}
		for _, v := range []string{"13800138000", "13900139000", "zhang@example.com"} {
			if strings.Contains(r.Raw, v) {
				t.Errorf("the export shows %s to a reader without contactdetails.reveal", v)
			}
		}
		if !strings.Contains(r.Raw, "z***@example.com") || !m.Masked {
			t.Errorf("not masked: %s", r.Raw)
		}
		if items[0]["actorId"] != salesID || items[0]["command"] == "" || items[0]["eventId"] == "" || items[0]["streamId"] != "lead-"+lead {
			t.Errorf("row: %v", items[0])
		}
		if m.Rows != 2 || m.Filter.Type != "lead." || m.Positions.First != uint64(items[0]["position"].(float64)) ||
			m.Positions.Last != uint64(items[1]["position"].(float64)) || m.Positions.LogHead < m.Positions.Last ||
			m.Chain.Position == 0 || m.Chain.Hash == auditchain.Zero || m.Fingerprint != auditchain.Fingerprint(pub) {
			t.Errorf("manifest: %+v", m)
		}
		if c := verify(t, []byte(r.Raw), pub); !c.OK() || c.Rows != 2 {
			t.Errorf("the export does not verify: %+v", c)
		}
		bad := []byte(strings.Replace(r.Raw, "lead.updated.v1", "lead.updated.v2", 1))
		if c := verify(t, bad, pub); c.OK() {
			t.Error("a changed export verifies")
		}
		// The export is audited: resource audit, the query, the rows.
		entries := exportEntries(t, h)
		if len(entries) != 1 || entries[0]["format"] != "jsonl" || entries[0]["query"] != "type=lead." || entries[0]["rows"] != float64(2) {
			t.Fatalf("entries: %v", entries)
		}

		// The administrator (contactdetails.reveal) reads the values in full.
		full := get(admin, "type=lead.", 200)
		if !strings.Contains(full.Raw, "13900139000") {
			t.Errorf("the administrator's export is masked: %s", full.Raw)
		}

		// Stream, exact and prefix; actor; time range.
		byStream := func(q string, want func(row map[string]any) bool) []map[string]any {
			t.Helper()
			items, _ := rows(t, get(auditor, q, 200).Raw)
			if len(items) == 0 {
				t.Errorf("%s: no rows", q)
			}
			for _, it := range items {
				if !want(it) {
					t.Errorf("%s: row %v", q, it)
				}
			}
			return items
		}
		byStream("stream=lead-"+lead, func(r map[string]any) bool { return r["streamId"] == "lead-"+lead })
		byStream("stream=customer-", func(r map[string]any) bool { return strings.HasPrefix(r["streamId"].(string), "customer-") })
		byStream("stream="+url.QueryEscape("customer-"+cust[:8]+"*"), func(r map[string]any) bool { return r["streamId"] == "customer-"+cust })
		byStream("actor="+salesID, func(r map[string]any) bool { return r["actorId"] == salesID })
		at := url.QueryEscape(cut.Format(time.RFC3339Nano))
		occurred := func(r map[string]any) time.Time {
			tm, err := time.Parse(time.RFC3339Nano, r["occurredAt"].(string))
			if err != nil {
				t.Fatal(err)
			}
			return tm
		}
		later := byStream("from="+at, func(r map[string]any) bool { return !occurred(r).Before(cut) })
		for _, it := range later {
			if strings.HasPrefix(it["type"].(string), "lead.") {
				t.Errorf("from: %v", it)
			}
		}
		earlier := byStream("to="+at, func(r map[string]any) bool {
			return occurred(r).Before(cut) && !strings.HasPrefix(r["type"].(string), "customer.")
		})
		if len(earlier) == 0 || len(later) == 0 {
			t.Errorf("time range: %d before, %d after", len(earlier), len(later))
		}
		byStream("from=2000-01-01&to=2999-12-31&type=customer.created.v1", func(r map[string]any) bool { return r["type"] == "customer.created.v1" })

		// Everything, page after page: every event up to the head once, in position order (the
		// administrator's scope is all).
		everything := get(admin, "", 200)
		all, am := rows(t, everything.Raw)
		logged, err := h.App.Store.ReadAll(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		var want []uint64
		for _, e := range logged {
			if e.Position <= am.Positions.LogHead {
				want = append(want, e.Position)
			}
		}
		if len(all) != len(want) || am.Rows != uint64(len(want)) {
			t.Fatalf("%d rows, %d events up to the head %d", len(all), len(want), am.Positions.LogHead)
		}
		for i, it := range all {
			if uint64(it["position"].(float64)) != want[i] {
				t.Fatalf("row %d at position %v, want %d", i, it["position"], want[i])
			}
		}
		if c := verify(t, []byte(everything.Raw), pub); !c.OK() {
			t.Errorf("the whole export does not verify: %+v", c)
		}

		// CSV: a zip of export.csv and manifest.json that verifies.
		z := get(auditor, "format=csv&type=lead.", 200)
		if ct := z.Header.Get("Content-Type"); ct != "application/zip" {
			t.Errorf("content type %q", ct)
		}
		if c := verify(t, []byte(z.Raw), pub); !c.OK() || c.Rows != 2 {
			t.Errorf("the csv export does not verify: %+v", c)
		}
		zr, err := zip.NewReader(bytes.NewReader([]byte(z.Raw)), int64(len(z.Raw)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := zr.Open("export.csv")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
		if err != nil || len(recs) != 3 || recs[0][0] != "position" || recs[2][4] != "lead.updated.v1" ||
			!strings.Contains(recs[2][14], "139****9000") || strings.Contains(string(b), "13900139000") {
			t.Errorf("export.csv: %v %q", err, b)
		}
		if entries := exportEntries(t, h); entries[len(entries)-1]["format"] != "csv" || entries[len(entries)-1]["rows"] != float64(2) {
			t.Errorf("csv entry: %v", entries[len(entries)-1])
		}
	})
}
