package importapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// BenchmarkImportCustomers runs 100,000 generated customer rows (CSV) through the import on
// PostgreSQL (event store and read models) and reports rows per second of the import itself, and
// the seconds until the customer read model had all of them. It is skipped without
// CHRONICLE_TEST_POSTGRES_URL. Run it once:
//
//	go test -run '^$' -bench ImportCustomers -benchtime 1x -timeout 30m ./adapters/httpapi/
func BenchmarkImportCustomers(b *testing.B) {
	const rows = 100_000
	url := pgtest.URL(b)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{DataDir: b.TempDir(), EventStore: "postgres", ReadModels: "postgres", PostgresURL: url, AdminPassword: apitest.AdminPassword,
		ReadWait: 2 * time.Second}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := a.EnsureAdmin(ctx); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Engine.Run(ctx) }()
	<-a.Engine.Running()
	srv := httptest.NewServer(a.API)
	b.Cleanup(func() { srv.Close(); cancel(); <-done; a.Close() })

	call := func(method, path, token string, body []byte, contentType string) map[string]any {
		b.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 || json.Unmarshal(raw, &out) != nil {
			b.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
		}
		return out
	}
	login, _ := json.Marshal(map[string]string{"username": "admin", "password": apitest.AdminPassword})
	token := call("POST", "/api/v1/auth/login", "", login, "application/json")["token"].(string)

	var imported, took, caughtUp float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		run := uuid.NewString()[:8]
		var file bytes.Buffer
		w := csv.NewWriter(&file)
		_ = w.Write([]string{"客户名称", "电话", "邮箱", "行业", "来源", "级别", "省份", "城市", "地址", "性质", "满意度", "备注"})
		for r := range rows {
			_ = w.Write([]string{fmt.Sprintf("基准客户%s-%06d有限公司", run, r), fmt.Sprintf("010-%08d", r), fmt.Sprintf("c%d@bench.example.cn", r),
				"软件", "展会", "A", "北京", "北京", "海淀区中关村大街" + fmt.Sprint(r%500) + "号", "私营", fmt.Sprint(r%5 + 1), strings.Repeat("备", r%20)})
		}
		w.Flush()
		b.StartTimer()
		start := time.Now()
		id := call("POST", "/api/v1/imports?type=customers", token, file.Bytes(), "text/csv")["id"].(string)
		var st map[string]any
		for {
			time.Sleep(200 * time.Millisecond)
			st = call("GET", "/api/v1/imports/"+id, token, nil, "")
			if st["state"] == "done" || st["state"] == "failed" {
				break
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if st["state"] != "done" || st["imported"].(float64) != rows {
			b.Fatalf("import: %v", st)
		}
		wait, cancelWait := context.WithTimeout(ctx, 10*time.Minute)
		err := a.Engine.WaitFor(wait, uint64(st["position"].(float64)), customerview.Projection)
		cancelWait()
		if err != nil {
			b.Fatalf("the customer read model did not catch up: %v", err)
		}
		imported += rows
		took += elapsed.Seconds()
		caughtUp += time.Since(start).Seconds()
		b.StartTimer()
	}
	b.ReportMetric(imported/took, "rows/s")
	b.ReportMetric(caughtUp/float64(b.N), "s-to-read-model")
}
