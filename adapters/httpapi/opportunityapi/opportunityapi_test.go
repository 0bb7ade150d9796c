package opportunityapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// unknownProduct is no product of the catalogue.
const unknownProduct = "0193a5c2-3333-7b21-9f3a-2c5d8e1f4a60"

func fieldErr(t *testing.T, r apitest.Resp, field, code string) {
	t.Helper()
	for _, e := range r.Body["errors"].([]any) {
		m := e.(map[string]any)
		if m["field"] == field && (code == "" || m["code"] == code) {
			return
		}
	}
	t.Fatalf("no field error %s %s: %s", field, code, r.Raw)
}

func column(t *testing.T, board apitest.Resp, stage string) map[string]any {
	t.Helper()
	for _, c := range board.Body["columns"].([]any) {
		if m := c.(map[string]any); m["stage"] == stage {
			return m
		}
	}
	t.Fatalf("no column %s: %s", stage, board.Raw)
	return nil
}

// TestOpportunityLifecycle: create with exact lines, bad input refused with nothing written,
// stages, the kanban board, visibility by scope and by assignment, win marks the customer
// closed-deal (a process across modules), closed opportunities refuse changes, lose with a
// dictionary reason, reopen by managers only, stale versions, the forecast and pipelines.
func TestOpportunityLifecycle(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		salesID, sales := h.CreateUser(admin, "li.sales", "sales")
		cust := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "星河科技有限公司"}), 201).Body["id"].(string)
		products := h.Products(admin, "ERP 标准版", "实施服务")
		productA, productB := products[0], products[1]

		create := map[string]any{"name": "星河科技 ERP 升级", "customerId": cust, "expectedCloseDate": "2026-12-20", "lines": []map[string]any{
			{"productId": productA, "productName": "ERP 标准版", "quantity": "2", "unitPrice": "19999.99", "discount": "12.5"},
			{"productId": productB, "productName": "实施服务", "quantity": "1.5", "unitPrice": "3333.33"},
		}}
		// Bad input: 422 naming the field, nothing written.
		bad := []struct {
			mutate      func(map[string]any)
			field, code string
		}{
			{func(b map[string]any) { delete(b, "customerId") }, "customerId", "customer_required"},
			{func(b map[string]any) { b["customerId"] = "0193a5c2-9999-7b21-9f3a-2c5d8e1f4a60" }, "customerId", "unknown_customer"},
			{func(b map[string]any) { b["lines"].([]map[string]any)[0]["quantity"] = "-1" }, "lines[0].quantity", "negative_not_allowed"},
			{func(b map[string]any) { b["lines"].([]map[string]any)[0]["discount"] = "100.5" }, "lines[0].discount", "decimal_out_of_range"},
			{func(b map[string]any) { b["lines"].([]map[string]any)[1]["unitPrice"] = "1.005" }, "lines[1].unitPrice", "too_many_decimals"},
			{func(b map[string]any) { b["lines"].([]map[string]any)[1]["unitPrice"] = "1e3" }, "lines[1].unitPrice", "not_a_decimal"},
			{func(b map[string]any) { b["stage"] = "signed" }, "stage", "unknown_stage"},
			{func(b map[string]any) { b["amount"] = "100.00" }, "amount", "amount_from_lines"},
			{func(b map[string]any) { b["source"] = "no-such-source" }, "source", "unknown_dictionary_value"},
		}
		for _, c := range bad {
			b := map[string]any{}
			for k, v := range create {
				b[k] = v
			}
			lines := []map[string]any{{}, {}}
			for i, l := range create["lines"].([]map[string]any) {
				for k, v := range l {
					lines[i][k] = v
				}
			}
			b["lines"] = lines
			c.mutate(b)
			fieldErr(t, h.Must(h.Do("POST", "/api/v1/opportunities", admin, b), 422), c.field, c.code)
		}
		if l := h.Must(h.Do("GET", "/api/v1/opportunities", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200); l.Body["total"] != float64(0) {
			t.Fatalf("refused creates wrote something: %s", l.Raw)
		}

		o := h.Must(h.Do("POST", "/api/v1/opportunities", admin, create), 201)
		id := o.Body["id"].(string)
		// 2 × 19999.99 × 0.875 = 34999.9825 → 34999.98; 1.5 × 3333.33 = 4999.995 → 5000.00
		if o.Body["amount"] != "39999.98" || o.Body["stage"] != "qualify" || o.Body["probability"] != float64(10) ||
			o.Body["weightedAmount"] != "4000.00" || o.Body["customerName"] != "星河科技有限公司" {
			t.Fatalf("created: %s", o.Raw)
		}
		// A sales user outside the scope does not see it.
		h.Must(h.Do("GET", "/api/v1/opportunities/"+id, sales, nil), 404)

		moved := h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/stage", admin, map[string]any{"stage": "proposal", "note": "报价已发"}), 200)
		if moved.Body["probability"] != float64(60) || moved.Body["weightedAmount"] != "23999.99" { // 39999.98 × 0.6 = 23999.988
			t.Fatalf("moved: %s", moved.Raw)
		}
		board := h.Must(h.Do("GET", "/api/v1/opportunity-board", admin, nil), 200)
		if p := column(t, board, "proposal"); p["count"] != float64(1) || p["amount"] != "39999.98" || len(p["cards"].([]any)) != 1 {
			t.Fatalf("board: %s", board.Raw)
		}
		if q := column(t, board, "qualify"); q["count"] != float64(0) {
			t.Fatalf("board: %s", board.Raw)
		}
		// The sales user's board is empty until the opportunity is assigned to them.
		if b := h.Must(h.Do("GET", "/api/v1/opportunity-board", sales, nil), 200); b.Body["count"] != float64(0) {
			t.Fatalf("sales board before assignment: %s", b.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/assign", sales, map[string]any{"userId": salesID}), 404), "not_found")
		h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/assign", admin, map[string]any{"userId": salesID}), 200)
		seen := h.Must(h.Do("GET", "/api/v1/opportunities/"+id, sales, nil), 200)
		if seen.Body["assigneeId"] != salesID {
			t.Fatalf("assigned: %s", seen.Raw)
		}
		if b := h.Must(h.Do("GET", "/api/v1/opportunity-board", sales, nil), 200); b.Body["count"] != float64(1) {
			t.Fatalf("sales board after assignment: %s", b.Raw)
		}
		if l := h.Must(h.Do("GET", "/api/v1/opportunities?q=星河", sales, nil), 200); l.Body["total"] != float64(1) {
			t.Fatalf("sales search: %s", l.Raw)
		}
		// The account manager advances it; a stale version is 412.
		etag := seen.Header.Get("ETag")
		h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/stage", sales, map[string]any{"stage": "negotiation"}, "If-Match", etag), 200)
		apitest.WantCode(t, h.Must(h.Do("PATCH", "/api/v1/opportunities/"+id, sales, map[string]any{"nextStep": "签约"}, "If-Match", etag), 412), "version_conflict")

		// Plan steps.
		step := "0193a5c2-4444-7b21-9f3a-2c5d8e1f4a60"
		h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/plan", sales, map[string]any{"id": step, "date": "2026-12-03", "action": "上门演示"}), 200)
		planned := h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/plan/"+step+"/result", sales, map[string]any{"result": "客户认可方案"}), 200)
		if p := planned.Body["plan"].([]any); len(p) != 1 || p[0].(map[string]any)["result"] != "客户认可方案" {
			t.Fatalf("plan: %s", planned.Raw)
		}

		beforeWin := time.Now().UTC()
		time.Sleep(5 * time.Millisecond)
		// Win: the customer becomes closed-deal through the deals process.
		won := h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/win", sales, map[string]any{"amount": "38000.00", "date": "2026-12-18"}), 200)
		if won.Body["status"] != "won" || won.Body["probability"] != float64(100) || won.Body["closedOn"] != "2026-12-18" || won.Body["wonAmount"] != "38000.00" {
			t.Fatalf("won: %s", won.Raw)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			c := h.Must(h.Do("GET", "/api/v1/customers/"+cust, admin, nil), 200)
			if c.Body["status"] == "closed_deal" && c.Body["lastDealAt"] != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the customer did not become closed-deal: %s", c.Raw)
			}
			time.Sleep(50 * time.Millisecond)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/stage", sales, map[string]any{"stage": "qualify"}), 409), "opportunity_closed")
		apitest.WantCode(t, h.Must(h.Do("PUT", "/api/v1/opportunities/"+id+"/lines", sales, map[string]any{"lines": []any{}}), 409), "opportunity_closed")
		if b := h.Must(h.Do("GET", "/api/v1/opportunity-board", admin, nil), 200); b.Body["count"] != float64(0) {
			t.Fatalf("a won opportunity is still on the board: %s", b.Raw)
		}
		// Reopen is for managers (opportunities.reopen).
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/reopen", sales, nil), 403), "forbidden")
		re := h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/reopen", admin, map[string]any{"note": "客户撤回"}), 200)
		if re.Body["status"] != "open" || re.Body["stage"] != "negotiation" {
			t.Fatalf("reopened: %s", re.Raw)
		}
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/lose", sales, map[string]any{"reason": "weather"}), 422), "reason", "unknown_dictionary_value")
		lost := h.Must(h.Do("POST", "/api/v1/opportunities/"+id+"/lose", sales, map[string]any{"reason": "price", "competitor": "某竞品"}), 200)
		if lost.Body["status"] != "lost" || lost.Body["lostReason"] != "price" || lost.Body["probability"] != float64(0) {
			t.Fatalf("lost: %s", lost.Raw)
		}

		// As of before the win: open, in negotiation.
		snap := h.Must(h.Do("GET", "/api/v1/opportunities/"+id+"/snapshot?asOf="+beforeWin.Format(time.RFC3339Nano), sales, nil), 200)
		if snap.Body["status"] != "open" || snap.Body["stage"] != "negotiation" || snap.Body["amount"] != "39999.98" {
			t.Fatalf("as of before the win: %s", snap.Raw)
		}
		// The export writes the sales user's filtered search: exact amounts, names and labels.
		csv := h.Must(h.Do("GET", "/api/v1/opportunities/export?format=csv&status=lost", sales, nil, "X-Chronicle-Min-Position", h.Head()), 200).Raw
		if !strings.Contains(csv, "商机名称,客户,阶段,状态,金额") || !strings.Contains(csv, "星河科技 ERP 升级,星河科技有限公司,谈判审核,输单,39999.98,0,0.00,2026-12-20") ||
			!strings.Contains(csv, "价格") {
			t.Fatalf("export: %s", csv)
		}
		if other := h.Must(h.Do("GET", "/api/v1/opportunities/export?format=csv", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200).Raw; !strings.Contains(other, "星河科技 ERP 升级") {
			t.Fatalf("admin's export: %s", other)
		}
		h.Must(h.Do("GET", "/api/v1/opportunities/export?format=xlsx&amountMin=1.001", sales, nil), 422)
		hist := h.Must(h.Do("GET", "/api/v1/opportunities/"+id+"/history", sales, nil), 200)
		for _, typ := range []string{"opportunity.created.v1", "opportunity.stage_changed.v1", "opportunity.assigned.v1", "opportunity.won.v1", "opportunity.reopened.v1", "opportunity.lost.v1"} {
			if !strings.Contains(hist.Raw, typ) {
				t.Fatalf("history lacks %s: %s", typ, hist.Raw)
			}
		}
	})
}

// TestForecastAndPipelines: the forecast sums weighted amounts by expected close month; pipelines
// are read by everyone and defined by administrators; a stage is disabled, never removed; and a
// kanban column's sums stay exact under concurrent moves.
func TestForecastAndPipelines(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, sales := h.CreateUser(admin, "wu.sales", "sales")
		cust := h.Must(h.Do("POST", "/api/v1/customers", sales, map[string]any{"name": "青松教育"}), 201).Body["id"].(string)
		var ids []string
		for i, c := range []struct{ amount, close string }{{"1000.00", "2026-12-05"}, {"2000.10", "2026-12-28"}, {"333.33", "2027-01-15"}} {
			r := h.Must(h.Do("POST", "/api/v1/opportunities", sales, map[string]any{"name": fmt.Sprintf("商机%d", i), "customerId": cust,
				"amount": c.amount, "expectedCloseDate": c.close}), 201)
			ids = append(ids, r.Body["id"].(string))
		}
		fc := h.Must(h.Do("GET", "/api/v1/opportunity-forecast?from=2026-12&months=2", sales, nil), 200)
		months := fc.Body["items"].([]any)
		dec, jan := months[0].(map[string]any), months[1].(map[string]any)
		// weighted at 10%: 100.00 + 200.01 = 300.01; 33.333 → 33.33
		if dec["count"] != float64(2) || dec["amount"] != "3000.10" || dec["weightedAmount"] != "300.01" || jan["weightedAmount"] != "33.33" {
			t.Fatalf("forecast: %s", fc.Raw)
		}
		fieldErr(t, h.Must(h.Do("GET", "/api/v1/opportunity-forecast?from=2026-13&months=99", sales, nil), 422), "from", "")

		// Concurrent moves of every opportunity keep the board's sums exact.
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.Do("POST", "/api/v1/opportunities/"+id+"/stage", sales, map[string]any{"stage": "needs"})
			}()
		}
		wg.Wait()
		board := h.Must(h.Do("GET", "/api/v1/opportunity-board", sales, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if n := column(t, board, "needs"); n["count"] != float64(3) || n["amount"] != "3333.43" || n["weightedAmount"] != "1000.03" {
			t.Fatalf("board after concurrent moves: %s", board.Raw)
		}

		// A line without a price takes the product's name and suggested retail price; a product off
		// sale or unknown is refused on its line.
		tree := h.Must(h.Do("POST", "/api/v1/product-categories", admin, map[string]any{"name": "软件"}), 201) // answers the tree
		cat := tree.Body["categories"].([]any)[0].(map[string]any)["id"].(string)
		prod := h.Must(h.Do("POST", "/api/v1/products", admin, map[string]any{"name": "ERP 标准版", "code": "ERP-STD", "categoryId": cat, "price": "19999.99"}), 201).Body["id"].(string)
		old := h.Must(h.Do("POST", "/api/v1/products", admin, map[string]any{"name": "旧版", "code": "ERP-OLD", "categoryId": cat, "price": "1.00"}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/products/"+old+"/off-sale", admin, nil), 200)
		priced := h.Must(h.Do("PUT", "/api/v1/opportunities/"+ids[0]+"/lines", sales, map[string]any{"lines": []map[string]any{{"productId": prod, "quantity": "3", "discount": "10"}}}), 200)
		if l := priced.Body["lines"].([]any)[0].(map[string]any); l["unitPrice"] != "19999.99" || l["productName"] != "ERP 标准版" || l["total"] != "53999.97" || priced.Body["amount"] != "53999.97" {
			t.Fatalf("priced from the product: %s", priced.Raw)
		}
		fieldErr(t, h.Must(h.Do("PUT", "/api/v1/opportunities/"+ids[0]+"/lines", sales, map[string]any{"lines": []map[string]any{{"productId": old, "quantity": "1"}}}), 422), "lines[0].productId", "product_off_sale")
		fieldErr(t, h.Must(h.Do("PUT", "/api/v1/opportunities/"+ids[0]+"/lines", sales, map[string]any{"lines": []map[string]any{{"productId": unknownProduct, "quantity": "1"}}}), 422), "lines[0].productId", "unknown_product")

		ps := h.Must(h.Do("GET", "/api/v1/pipelines", sales, nil), 200)
		def := ps.Body["items"].([]any)[0].(map[string]any)
		if def["default"] != true || len(def["stages"].([]any)) != 4 {
			t.Fatalf("pipelines: %s", ps.Raw)
		}
		pl := map[string]any{"name": "项目型销售", "stages": []map[string]any{{"key": "survey", "name": "现场调研", "probability": 20}, {"key": "bid", "name": "投标", "probability": 50}}}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/pipelines", sales, pl), 403), "forbidden")
		created := h.Must(h.Do("POST", "/api/v1/pipelines", admin, pl), 201)
		pid := created.Body["id"].(string)
		fieldErr(t, h.Must(h.Do("PUT", "/api/v1/pipelines/"+pid, admin, map[string]any{"name": "项目型销售", "stages": []map[string]any{{"key": "bid", "name": "投标", "probability": 50}}}), 422), "stages", "stage_removed")
		h.Must(h.Do("PUT", "/api/v1/pipelines/"+pid, admin, map[string]any{"name": "项目型销售", "stages": []map[string]any{
			{"key": "survey", "name": "现场调研", "probability": 20, "disabled": true}, {"key": "bid", "name": "投标", "probability": 50}}}), 200)
		o := h.Must(h.Do("POST", "/api/v1/opportunities", sales, map[string]any{"name": "学校项目", "customerId": cust, "pipelineId": pid}), 201)
		if o.Body["stage"] != "bid" || o.Body["probability"] != float64(50) {
			t.Fatalf("a new opportunity starts in the first enabled stage: %s", o.Raw)
		}
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/opportunities/"+o.Body["id"].(string)+"/stage", sales, map[string]any{"stage": "survey"}), 422), "stage", "stage_disabled")
	})
}

// TestFunnel: reached counts, conversions, open sums, win rate and deal size of a cohort, and
// another user's funnel leaves out what they cannot see.
func TestFunnel(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, sales := h.CreateUser(admin, "zheng.sales", "sales")
		cust := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "远航物流"}), 201).Body["id"].(string)
		mk := func(name, amount string) string {
			return h.Must(h.Do("POST", "/api/v1/opportunities", admin, map[string]any{"name": name, "customerId": cust, "amount": amount}), 201).Body["id"].(string)
		}
		a, b, _ := mk("甲", "1000.00"), mk("乙", "2000.00"), mk("丙", "300.00")
		h.Must(h.Do("POST", "/api/v1/opportunities/"+a+"/stage", admin, map[string]any{"stage": "proposal"}), 200)
		h.Must(h.Do("POST", "/api/v1/opportunities/"+a+"/win", admin, map[string]any{"amount": "999.99"}), 200)
		h.Must(h.Do("POST", "/api/v1/opportunities/"+b+"/stage", admin, map[string]any{"stage": "needs"}), 200)
		h.Must(h.Do("POST", "/api/v1/opportunities/"+b+"/lose", admin, map[string]any{"reason": "price"}), 200)
		period := "/api/v1/opportunity-funnel?from=" + time.Now().UTC().AddDate(0, -1, 0).Format("2006-01") + "&to=" + time.Now().UTC().Format("2006-01")
		f := h.Must(h.Do("GET", period, admin, nil), 200)
		st := f.Body["stages"].([]any)
		want := []struct {
			reached          float64
			conversion       string
			open             float64
			amount, weighted string
		}{{3, "66.67", 1, "300.00", "30.00"}, {2, "50.00", 0, "0.00", "0.00"}, {1, "100.00", 0, "0.00", "0.00"}, {1, "100.00", 0, "0.00", "0.00"}}
		for i, w := range want {
			s := st[i].(map[string]any)
			if s["reached"] != w.reached || s["conversion"] != w.conversion || s["open"] != w.open || s["amount"] != w.amount || s["weightedAmount"] != w.weighted {
				t.Fatalf("stage %d: %v; want %+v\n%s", i, s, w, f.Raw)
			}
		}
		if f.Body["total"] != float64(3) || f.Body["won"] != float64(1) || f.Body["lost"] != float64(1) || f.Body["winRate"] != "50.00" ||
			f.Body["wonAmount"] != "999.99" || f.Body["avgDealSize"] != "999.99" || f.Body["avgCycleDays"] == "" {
			t.Fatalf("funnel: %s", f.Raw)
		}
		if st[0].(map[string]any)["avgDays"] == "" { // 甲 and 乙 left the first stage
			t.Fatalf("no average stay in the first stage: %s", f.Raw)
		}
		if s := h.Must(h.Do("GET", period, sales, nil), 200); s.Body["total"] != float64(0) {
			t.Fatalf("another user's funnel: %s", s.Raw)
		}
		fieldErr(t, h.Must(h.Do("GET", "/api/v1/opportunity-funnel?from=2026-13", admin, nil), 422), "from", "")
		h.Must(h.Do("GET", "/api/v1/opportunity-funnel?from=2020-01&to=2026-01", admin, nil), 422) // longer than three years
		if old := h.Must(h.Do("GET", "/api/v1/opportunity-funnel?from=2020-01&to=2020-12", admin, nil), 200); old.Body["total"] != float64(0) {
			t.Fatalf("a period before the cohort: %s", old.Raw)
		}
	})
}
