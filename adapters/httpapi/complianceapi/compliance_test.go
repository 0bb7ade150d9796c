package complianceapi_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/backup"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/complianceapi"
)

func num(v any) uint64 { f, _ := v.(float64); return uint64(f) }

// TestAuditChainAnchorVerify: after some events the chain is unsealed; anchoring seals and signs
// it, the chain's state and anchors say so, and the log verifies. A tampered log then verifies
// with a divergence at the altered position.
func TestAuditChainAnchorVerify(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		h.CreateUser(admin, "auditor1", "sales") // a few more events

		c := h.Must(h.Do("GET", "/api/v1/audit/chain", admin, nil), 200).Body
		if num(c["head"]) == 0 || num(c["anchorPosition"]) != 0 || len(c["anchors"].([]any)) != 0 {
			t.Fatalf("before anchoring: %v", c)
		}

		a := h.Must(h.Do("POST", "/api/v1/audit/anchors", admin, nil), 200).Body
		sealed := num(a["sealedPosition"])
		if sealed == 0 || num(a["anchorPosition"]) != sealed || a["anchoredAt"] == nil || a["keyFingerprint"] == "" || a["anchorRequested"] != false {
			t.Fatalf("anchored: %v", a)
		}
		anchors := a["anchors"].([]any)
		if len(anchors) != 1 {
			t.Fatalf("anchors %v", anchors)
		}
		first := anchors[0].(map[string]any)
		if num(first["position"]) != sealed || first["signed"] != true || first["fingerprint"] != a["keyFingerprint"] || len(first["hash"].(string)) != 64 {
			t.Fatalf("anchor %v", first)
		}
		c = h.Must(h.Do("GET", "/api/v1/audit/chain", admin, nil), 200).Body
		if num(c["anchorPosition"]) != sealed || num(c["head"]) <= sealed || num(c["anchorFiles"]) != 1 { // the anchor's own record follows it
			t.Fatalf("chain after the anchor: %v", c)
		}

		rep := h.Must(h.Do("POST", "/api/v1/audit/verify", admin, nil), 200).Body
		if rep["ok"] != true || num(rep["anchors"]) != 1 || num(rep["sealed"]) == 0 || num(rep["events"]) < sealed || len(rep["divergences"].([]any)) != 0 {
			t.Fatalf("verify: %v", rep)
		}
		rep = h.Must(h.Do("POST", "/api/v1/audit/verify", admin, map[string]any{"from": sealed}), 200).Body
		if rep["ok"] != true || num(rep["from"]) != sealed {
			t.Fatalf("verify from %d: %v", sealed, rep)
		}
		// A position the chain does not cover is refused.
		apitest.FieldErr(t, h.Must(h.Do("POST", "/api/v1/audit/verify", admin, map[string]any{"from": num(c["head"]) + 1000}), 422), "from", "")

		// Tamper with the first sealed event.
		ctx := context.Background()
		var at int64
		if err := h.App.DB.SQL.QueryRowContext(ctx, `SELECT min(position) FROM audit_chain`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		switch h.App.Config.EventStore {
		case "sqlite":
			db, err := sql.Open("sqlite", esqlite.DSN(filepath.Join(h.App.Config.DataDir, "events.db")))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, `UPDATE events SET data = json_set(data, '$.tampered', 1) WHERE position = ?`, at); err != nil {
				t.Fatal(err)
			}
		default:
			// PostgreSQL: this process answers reads of the events it appended from memory (the
			// store's tail), so an UPDATE of the events table would not be read back here; the
			// recorded chain value is altered instead, which the comparison catches the same way.
			if _, err := h.App.DB.SQL.ExecContext(ctx, `UPDATE audit_chain SET hash = decode(repeat('ab', 32), 'hex') WHERE position = $1`, at); err != nil {
				t.Fatal(err)
			}
		}
		rep = h.Must(h.Do("POST", "/api/v1/audit/verify", admin, map[string]any{}), 200).Body
		divs := rep["divergences"].([]any)
		if rep["ok"] != false || len(divs) == 0 {
			t.Fatalf("a tampered log verifies: %v", rep)
		}
		d := divs[0].(map[string]any)
		if num(d["position"]) != uint64(at) || d["kind"] == "" || d["detail"] == "" {
			t.Fatalf("first divergence %v, want one at position %d", d, at)
		}
		if h.App.Config.EventStore == "sqlite" && d["kind"] != "changed" {
			t.Fatalf("first divergence %v, want changed", d)
		}
	})
}

// TestComplianceForbidden: a sales user reads none of it and does none of it.
func TestComplianceForbidden(t *testing.T) {
	h := apitest.New(t, "sqlite")
	admin := h.Login("admin", apitest.AdminPassword)
	_, sales := h.CreateUser(admin, "sales1", "sales")
	for _, r := range [][2]string{{"GET", "/api/v1/audit/chain"}, {"POST", "/api/v1/audit/verify"}, {"POST", "/api/v1/audit/anchors"},
		{"GET", "/api/v1/backups"}, {"POST", "/api/v1/backups/chronicle-backup-20261130T020000Z/check"}} {
		apitest.WantCode(t, h.Must(h.Do(r[0], r[1], sales, nil), 403), "forbidden")
	}
}

// TestVerifyOneAtATime: a second verification while one runs is refused, and the first one
// still answers.
func TestVerifyOneAtATime(t *testing.T) {
	h := apitest.New(t, "sqlite")
	admin := h.Login("admin", apitest.AdminPassword)
	entered, release := complianceapi.HoldVerify()
	released := false
	defer func() {
		if !released {
			release()
		}
	}()
	var wg sync.WaitGroup
	var first apitest.Resp
	wg.Go(func() { first = h.Do("POST", "/api/v1/audit/verify", admin, nil) })
	<-entered
	second := h.Must(h.Do("POST", "/api/v1/audit/verify", admin, nil), 409)
	apitest.WantCode(t, second, "verify_in_progress")
	release()
	released = true
	wg.Wait()
	if first.Status != 200 || first.Body["ok"] != true {
		t.Fatalf("the first verification: %d %s", first.Status, first.Raw)
	}
	h.Must(h.Do("POST", "/api/v1/audit/verify", admin, nil), 200) // its turn is free again
}

// TestBackups: the list shows a backup with its manifest's figures and the quick check; the full
// check finds a file changed without its size changing, which the quick check can not; names
// that are not backups', path traversal included, are not found.
func TestBackups(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		if h.App.Config.EventStore != "sqlite" {
			l := h.Must(h.Do("GET", "/api/v1/backups", admin, nil), 200).Body
			if l["managed"] != false || len(l["items"].([]any)) != 0 {
				t.Fatalf("backups on %s: %v", h.App.Config.EventStore, l)
			}
			return
		}
		l := h.Must(h.Do("GET", "/api/v1/backups", admin, nil), 200).Body
		settings := l["settings"].(map[string]any)
		if l["managed"] != true || len(l["items"].([]any)) != 0 || settings["schedule"] != "02:00" || num(settings["keep"]) != 7 || settings["dir"] != h.App.Config.Backup.Dir {
			t.Fatalf("no backups yet: %v", l)
		}
		res, err := backup.Take(context.Background(), backup.Options{DataDir: h.App.Config.DataDir, To: h.App.Config.Backup.Dir, Version: "test-1"})
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(res.Dir)
		l = h.Must(h.Do("GET", "/api/v1/backups", admin, nil), 200).Body
		items := l["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("items %v", items)
		}
		it := items[0].(map[string]any)
		if it["name"] != name || it["ok"] != true || it["version"] != "test-1" || num(it["head"]) != res.Manifest.Head || num(it["head"]) == 0 ||
			int64(num(it["events"])) != res.Manifest.Events || int64(num(it["bytes"])) != res.Manifest.Bytes() || it["createdAt"] == nil {
			t.Fatalf("backup %v, manifest %+v", it, res.Manifest)
		}
		ck := h.Must(h.Do("POST", "/api/v1/backups/"+name+"/check", admin, nil), 200).Body
		if ck["ok"] != true || ck["name"] != name || ck["checkedAt"] == nil {
			t.Fatalf("check %v", ck)
		}

		// One byte of the read-model copy changed: same size, another hash.
		f := filepath.Join(res.Dir, backup.ReadModelsFile)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)-1] ^= 0xff
		if err := os.WriteFile(f, b, 0o640); err != nil {
			t.Fatal(err)
		}
		it = h.Must(h.Do("GET", "/api/v1/backups", admin, nil), 200).Body["items"].([]any)[0].(map[string]any)
		if it["ok"] != true {
			t.Fatalf("the quick check reads sizes only: %v", it)
		}
		ck = h.Must(h.Do("POST", "/api/v1/backups/"+name+"/check", admin, nil), 200).Body
		if ck["ok"] != false || ck["problem"] == "" {
			t.Fatalf("check of a changed backup %v", ck)
		}
		// A file cut short: the quick check sees it.
		if err := os.WriteFile(f, b[:len(b)-1], 0o640); err != nil {
			t.Fatal(err)
		}
		it = h.Must(h.Do("GET", "/api/v1/backups", admin, nil), 200).Body["items"].([]any)[0].(map[string]any)
		if it["ok"] != false || it["problem"] == "" {
			t.Fatalf("a backup with a file cut short: %v", it)
		}

		// Names that are not backups' in the directory.
		if err := os.WriteFile(filepath.Join(h.App.Config.DataDir, "secret.txt"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		h.NoContract = true // names the document's pattern refuses, on purpose
		for _, bad := range []string{"chronicle-backup-20991231T000000Z", "..%2Fsecret.txt", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", "chronicle-backup-" + "..%2F..",
			name + "%2F..%2F..", "chronicle-backup-x"} {
			r := h.Do("POST", "/api/v1/backups/"+bad+"/check", admin, nil)
			if r.Status != 404 && r.Status != 400 {
				t.Errorf("check %q: %d %s", bad, r.Status, r.Raw)
			}
		}
		h.NoContract = false
	})
}
