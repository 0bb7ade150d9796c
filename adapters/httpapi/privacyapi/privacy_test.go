package privacyapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/app"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/privacy"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// rawEvents is every stored event's data as the event store holds it (the PostgreSQL store may
// answer its own appends from memory: the table is read directly).
func rawEvents(t *testing.T, h *apitest.Harness) []byte {
	t.Helper()
	driver, dsn, query := "pgx", h.App.Config.PostgresURL, `SELECT data::text FROM events`
	if h.App.Config.EventStore == "sqlite" {
		driver, dsn, query = "sqlite", esqlite.DSN(filepath.Join(h.App.Config.DataDir, "events.db")), `SELECT CAST(data AS TEXT) FROM events`
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []byte
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s...)
	}
	if len(out) == 0 {
		t.Fatal("no events read")
	}
	return out
}

// rebuild rebuilds a projection and waits for the switch.
func rebuild(t *testing.T, h *apitest.Harness, admin, name string) {
	t.Helper()
	rb := h.Must(h.Do("POST", "/api/v1/projections/"+name+"/rebuild", admin, nil), 202)
	gen := int(rb.Body["generation"].(float64))
	deadline := time.Now().Add(30 * time.Second)
	for h.App.DB.Gens.Active(name) != gen {
		if time.Now().After(deadline) {
			t.Fatalf("rebuild of %s did not switch", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func erase(h *apitest.Harness, token, kind, id, reason string) apitest.Resp {
	return h.Do("POST", "/api/v1/privacy/erasures", token, map[string]any{"subject": map[string]any{"kind": kind, "id": id}, "reason": reason})
}

func items(r apitest.Resp) []map[string]any {
	var out []map[string]any
	for _, it := range r.Body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

const (
	leadName   = "欧阳明远"
	leadMobile = "13912345678"
	leadEmail  = "ouyang@example.com"
	contName   = "司马静怡"
	contMobile = "13787654321"
	contEmail  = "sima@example.com"
)

// TestErasure: a lead and a contact are erased; everything that showed their personal data shows
// them erased, search no longer finds them, rebuilds keep them erased, the audit chain verifies,
// and the rules of the endpoint hold. On both engines.
func TestErasure(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, sales := h.CreateUser(admin, "erasure.sales", "sales")

		lead := h.Must(h.Do("POST", "/api/v1/leads", sales, map[string]any{"name": leadName, "company": "杭州远山科技有限公司",
			"mobile": leadMobile, "email": leadEmail, "address": "杭州市西湖区文三路 1 号"}), 201)
		leadID := lead.Body["id"].(string)
		cust := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "苏州静湖贸易有限公司"}), 201).Body["id"].(string)
		cont := h.Must(h.Do("POST", "/api/v1/contacts", admin, map[string]any{"customerId": cust, "name": contName, "mobile": contMobile,
			"email": contEmail, "birthday": "1990-05-01", "title": "采购经理"}), 201)
		contID := cont.Body["id"].(string)

		// A task and a schedule entry about the lead keep its name as their label.
		task := h.Must(h.Do("POST", "/api/v1/tasks", sales, map[string]any{"title": "回访", "relatedKind": "lead", "relatedId": leadID}), 201)
		if task.Body["relatedName"] != leadName {
			t.Fatalf("task: %s", task.Raw)
		}
		taskID := task.Body["id"].(string)
		start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Hour)
		entry := h.Must(h.Do("POST", "/api/v1/schedules", sales, map[string]any{"title": "拜访", "start": start.Format(time.RFC3339),
			"end": start.Add(time.Hour).Format(time.RFC3339), "relatedKind": "lead", "relatedId": leadID}), 201)
		entryID := entry.Body["id"].(string)

		// At rest: ciphertext only.
		raw := rawEvents(t, h)
		for _, s := range []string{leadName, leadMobile, leadEmail, contName, contMobile, contEmail, "1990-05-01"} {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("the event store holds %q in clear", s)
			}
		}
		if !bytes.Contains(raw, []byte("pii1:")) {
			t.Errorf("no encrypted value in the event store")
		}
		// Read back in clear.
		if got := h.Must(h.Do("GET", "/api/v1/leads/"+leadID, admin, nil), 200); got.Body["mobile"] != leadMobile || got.Body["name"] != leadName {
			t.Fatalf("lead before erasure: %s", got.Raw)
		}

		// The rules of the endpoint: no permission, bad bodies, unknown subjects write nothing.
		head := h.Head()
		apitest.WantCode(t, h.Must(erase(h, sales, "lead", leadID, "申请删除"), 403), "forbidden")
		h.Must(erase(h, admin, "lead", leadID, ""), 422)
		h.Must(erase(h, admin, "customer", leadID, "申请删除"), 422)
		h.Must(erase(h, admin, "lead", "not-a-uuid", "申请删除"), 422)
		h.Must(h.Do("POST", "/api/v1/privacy/erasures", admin, map[string]any{"reason": "x"}), 422)
		h.Must(h.Do("POST", "/api/v1/privacy/erasures", admin, `{"subject": {"kind": "lead", "id": "`+leadID+`"}, "reason": "x", "extra": 1}`), 400)
		h.Must(erase(h, admin, "lead", uuid.NewString(), "申请删除"), 404)
		h.Must(erase(h, admin, "contact", leadID, "申请删除"), 404) // a lead's id is no contact
		if h.Head() != head {
			t.Fatalf("refused erasures wrote events: head %s → %s", head, h.Head())
		}

		// Erase the lead and the contact.
		er := h.Must(erase(h, admin, "lead", leadID, "数据主体依法申请删除"), 201)
		if er.Body["keyDestroyed"] != true || er.Header.Get("X-Chronicle-Position") == "" {
			t.Fatalf("erasure: %s", er.Raw)
		}
		apitest.WantCode(t, h.Must(erase(h, admin, "lead", leadID, "again"), 409), "already_erased")
		h.Must(erase(h, sales, "contact", contID, "申请删除"), 403)
		h.Must(erase(h, admin, "contact", contID, " "), 422)
		ec := h.Must(erase(h, admin, "contact", contID, "数据主体依法申请删除"), 201)
		pos := ec.Header.Get("X-Chronicle-Position")
		apitest.WantCode(t, h.Must(erase(h, admin, "contact", contID, "again"), 409), "already_erased")

		title := "采购经理"
		check := func(when string) {
			t.Helper()
			l := h.Must(h.Do("GET", "/api/v1/leads/"+leadID, admin, nil, "X-Chronicle-Min-Position", pos), 200)
			for _, f := range []string{"name", "mobile", "email", "address"} {
				if l.Body[f] != dp.Erased {
					t.Fatalf("%s: lead %s = %v", when, f, l.Body[f])
				}
			}
			if l.Body["company"] != "杭州远山科技有限公司" {
				t.Fatalf("%s: the company is not personal: %v", when, l.Body["company"])
			}
			c := h.Must(h.Do("GET", "/api/v1/contacts/"+contID, admin, nil, "X-Chronicle-Min-Position", pos), 200)
			for _, f := range []string{"name", "mobile", "email", "birthday"} {
				if c.Body[f] != dp.Erased {
					t.Fatalf("%s: contact %s = %v", when, f, c.Body[f])
				}
			}
			if c.Body["title"] != title {
				t.Fatalf("%s: title %v", when, c.Body["title"])
			}
			for _, q := range []string{leadMobile, leadName, "欧阳", leadEmail} {
				if r := h.Must(h.Do("GET", "/api/v1/leads?q="+q, admin, nil), 200); len(items(r)) != 0 {
					t.Fatalf("%s: search %q finds %s", when, q, r.Raw)
				}
			}
			for _, q := range []string{contMobile, contName, contEmail} {
				if r := h.Must(h.Do("GET", "/api/v1/contacts?q="+q, admin, nil), 200); len(items(r)) != 0 {
					t.Fatalf("%s: contact search %q finds %s", when, q, r.Raw)
				}
			}
			for _, path := range []string{"/api/v1/tasks/" + taskID, "/api/v1/schedules/" + entryID} {
				if r := h.Must(h.Do("GET", path, admin, nil, "X-Chronicle-Min-Position", pos), 200); r.Body["relatedName"] != dp.Erased {
					t.Fatalf("%s: %s relatedName %v", when, path, r.Body["relatedName"])
				}
			}
			if r := h.Must(h.Do("GET", "/api/v1/tasks?view=all&q="+leadName, admin, nil), 200); len(items(r)) != 0 {
				t.Fatalf("%s: task search by the erased name finds %s", when, r.Raw)
			}
			// The owner (no reveal permission needed) reads it erased, not masked.
			if l := h.Must(h.Do("GET", "/api/v1/leads/"+leadID, sales, nil), 200); l.Body["mobile"] != dp.Erased {
				t.Fatalf("%s: owner reads %v", when, l.Body["mobile"])
			}
			for _, path := range []string{"/api/v1/leads/" + leadID + "/history", "/api/v1/contacts/" + contID + "/history",
				"/api/v1/audit/events?stream=lead-" + leadID, "/api/v1/audit/events?stream=contact-" + contID,
				"/api/v1/leads/" + leadID + "/snapshot?asOf=" + time.Now().UTC().Format(time.RFC3339Nano),
				"/api/v1/leads/export?format=csv", "/api/v1/contacts/export?format=csv"} {
				r := h.Must(h.Do("GET", path, admin, nil), 200)
				for _, s := range []string{leadName, leadMobile, leadEmail, contName, contMobile, contEmail} {
					if strings.Contains(r.Raw, s) {
						t.Fatalf("%s: %s shows %q: %s", when, path, s, r.Raw)
					}
				}
				if !strings.Contains(r.Raw, dp.Erased) {
					t.Fatalf("%s: %s shows nothing erased: %s", when, path, r.Raw)
				}
			}
		}
		check("after the erasure")

		// New personal values are refused; other changes and commands still work.
		apitest.WantCode(t, h.Must(h.Do("PATCH", "/api/v1/leads/"+leadID, sales, map[string]any{"mobile": "13800000000"}), 409), "subject_erased")
		apitest.WantCode(t, h.Must(h.Do("PATCH", "/api/v1/contacts/"+contID, admin, map[string]any{"email": "new@example.com"}), 409), "subject_erased")
		h.Must(h.Do("PATCH", "/api/v1/leads/"+leadID, sales, map[string]any{"status": "following", "remark": "已按要求删除个人信息"}), 200)
		h.Must(h.Do("PATCH", "/api/v1/contacts/"+contID, admin, map[string]any{"title": "采购总监"}), 200)
		title = "采购总监"

		// Rebuilds read the events through the decorator: still erased.
		rebuild(t, h, admin, "leads")
		rebuild(t, h, admin, "customers")
		rebuild(t, h, admin, "tasks")
		rebuild(t, h, admin, "schedules")
		pos = h.Head()
		check("after the rebuilds")

		// The chain covers the ciphertext: it still verifies.
		h.Must(h.Do("POST", "/api/v1/audit/anchors", admin, nil), 200)
		rep := h.Must(h.Do("POST", "/api/v1/audit/verify", admin, nil), 200).Body
		if rep["ok"] != true {
			t.Fatalf("verify after the erasure: %v", rep)
		}
		r, err := h.App.VerifyAudit(context.Background(), 0, nil) // what `chronicle audit verify` runs: the raw store
		if err != nil || !r.OK() || r.Sealed == 0 {
			t.Fatalf("audit.Verify: %+v %v", r, err)
		}

		// The list of erasures.
		list := items(h.Must(h.Do("GET", "/api/v1/privacy/erasures", admin, nil), 200))
		if len(list) != 2 || list[0]["subject"].(map[string]any)["id"] != contID || list[1]["keyDestroyed"] != true ||
			list[1]["reason"] != "数据主体依法申请删除" {
			t.Fatalf("erasures: %v", list)
		}
		h.Must(h.Do("GET", "/api/v1/privacy/erasures", sales, nil), 403)
	})
}

// TestErasureRepair: when the key's destruction failed after the event was recorded, asking
// again finishes it (409 already_erased, the key gone).
func TestErasureRepair(t *testing.T) {
	h := apitest.New(t, "sqlite")
	admin := h.Login("admin", apitest.AdminPassword)
	id := h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": leadName, "mobile": leadMobile}), 201).Body["id"].(string)
	ctx := context.Background()
	// The event alone, as if the process died before destroying the key.
	lid := uuid.MustParse(id)
	data := []byte(`{"kind":"lead","subjectId":"` + id + `","reason":"x","by":"` + uuid.NewString() + `","at":"2026-12-01T08:00:00Z"}`)
	if _, err := h.App.Store.Append(ctx, dp.Stream(lid), eventstore.NoStream, []eventstore.EventData{{ID: uuid.New(),
		Type: dp.SubjectErased{}.EventType(), OccurredAt: time.Now(), Data: data}}); err != nil {
		t.Fatal(err)
	}
	if recs, _ := h.App.Keys.Get(ctx, []uuid.UUID{lid}); recs[lid].Erased() {
		t.Fatal("the key is destroyed already")
	}
	if l := items(h.Must(h.Do("GET", "/api/v1/privacy/erasures", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)); len(l) != 1 || l[0]["keyDestroyed"] != false {
		t.Fatalf("list: %v", l)
	}
	apitest.WantCode(t, h.Must(erase(h, admin, "lead", id, "again"), 409), "already_erased")
	if recs, _ := h.App.Keys.Get(ctx, []uuid.UUID{lid}); !recs[lid].Erased() {
		t.Fatal("the repeated erasure did not destroy the key")
	}
}

// TestMasterKey: master.key is made 0600 beside keys.db; another master key does not start the
// application, and says why; after a rotation (no event rewritten) a new process reads every value
// with the new key, and the old key file no longer starts it.
func TestMasterKey(t *testing.T) {
	h := apitest.New(t, "sqlite")
	admin := h.Login("admin", apitest.AdminPassword)
	id := h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": leadName, "mobile": leadMobile}), 201).Body["id"].(string)
	dir := h.App.Config.DataDir
	if st, err := os.Stat(filepath.Join(dir, "master.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master.key: %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys.db")); err != nil {
		t.Fatalf("keys.db: %v", err)
	}
	ctx := context.Background()
	cfg := app.Config{DataDir: dir, EventStore: "sqlite", ReadModels: "sqlite", AdminPassword: apitest.AdminPassword}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	keyFile := func(name string, b byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(strings.Repeat(string("0123456789abcdef"[b]), 64)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := cfg
	other.MasterKeyFile = keyFile("other.key", 7)
	if _, err := app.Open(ctx, other, logger); !errors.Is(err, privacy.ErrWrongMasterKey) || !strings.Contains(err.Error(), "CHRONICLE_MASTER_KEY_FILE") {
		t.Fatalf("start with another master key: %v", err)
	}
	oldKey, err := os.ReadFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	raw := rawEvents(t, h)
	next := keyFile("next.key", 9)
	rot, err := app.RotateMasterKey(ctx, cfg, next)
	if err != nil || rot.Keys != 1 || rot.Replaced == "" {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	if !bytes.Equal(raw, rawEvents(t, h)) {
		t.Fatal("the rotation changed events")
	}
	a, err := app.Open(ctx, cfg, logger) // master.key now holds the new key
	if err != nil {
		t.Fatal(err)
	}
	events, err := a.Store.Load(ctx, "lead-"+id, eventstore.LoadOptions{})
	a.Close()
	if err != nil || !strings.Contains(string(events[0].Data), leadMobile) {
		t.Fatalf("after the rotation: %v %s", err, events[0].Data)
	}
	old := cfg
	old.MasterKeyFile = filepath.Join(t.TempDir(), "old.key")
	if err := os.WriteFile(old.MasterKeyFile, oldKey, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Open(ctx, old, logger); !errors.Is(err, privacy.ErrWrongMasterKey) {
		t.Fatalf("start with the old master key after the rotation: %v", err)
	}
}

// TestErasureOfAConvertedLead: a customer made from a lead holds copies of the lead's phone,
// e-mail and address; the lead's erasure erases the copies the customer still holds (not a value
// the customer was given since, nor the company name), live and after a rebuild.
func TestErasureOfAConvertedLead(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		const phone, email, address = "0571-8765 4321", "zhuge@example.com", "杭州市滨江区江南大道 9 号"
		lead := h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "诸葛文渊", "company": "杭州云栖数据有限公司",
			"phone": phone, "email": email, "address": address}), 201).Body["id"].(string)
		conv := h.Must(h.Do("POST", "/api/v1/leads/"+lead+"/convert", admin, map[string]any{"contact": map[string]any{"name": "诸葛文渊"}}), 201)
		cust := conv.Body["customerId"].(string)
		pos := conv.Header.Get("X-Chronicle-Position")
		c := h.Must(h.Do("GET", "/api/v1/customers/"+cust, admin, nil, "X-Chronicle-Min-Position", pos), 200)
		if c.Body["phone"] != phone || c.Body["email"] != email || c.Body["address"] != address {
			t.Fatalf("the customer did not take the lead's copies: %s", c.Raw)
		}
		if bytes.Contains(rawEvents(t, h), []byte(email)) {
			t.Fatal("the customer's copy of the lead's e-mail is stored in clear")
		}
		// The customer gets an address of its own; the phone and e-mail stay the lead's copies.
		const own = "杭州市余杭区文一西路 969 号"
		h.Must(h.Do("PATCH", "/api/v1/customers/"+cust, admin, map[string]any{"address": own}, "If-Match", c.Header.Get("ETag")), 200)

		pos = h.Must(erase(h, admin, "lead", lead, "数据主体依法申请删除"), 201).Header.Get("X-Chronicle-Position")
		check := func(when string) {
			t.Helper()
			c := h.Must(h.Do("GET", "/api/v1/customers/"+cust, admin, nil, "X-Chronicle-Min-Position", pos), 200)
			if c.Body["phone"] != dp.Erased || c.Body["email"] != dp.Erased {
				t.Fatalf("%s: the lead's copies in the customer: phone %v, email %v", when, c.Body["phone"], c.Body["email"])
			}
			if c.Body["address"] != own || c.Body["name"] != "杭州云栖数据有限公司" {
				t.Fatalf("%s: the customer's own values changed: address %v, name %v", when, c.Body["address"], c.Body["name"])
			}
			for _, q := range []string{"87654321", email} {
				if r := h.Must(h.Do("GET", "/api/v1/customers?q="+q, admin, nil), 200); len(items(r)) != 0 {
					t.Fatalf("%s: customer search %q finds %s", when, q, r.Raw)
				}
			}
			if r := h.Must(h.Do("GET", "/api/v1/customers?q=云栖数据", admin, nil), 200); len(items(r)) != 1 {
				t.Fatalf("%s: the company is no longer found: %s", when, r.Raw)
			}
		}
		check("after the erasure")
		rebuild(t, h, admin, "customers")
		pos = h.Head()
		check("after a rebuild")
	})
}
