package financeapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

var fieldErr = apitest.FieldErr

func day(t time.Time) string { return t.Format(time.DateOnly) }

// approvedContract is a contract of sales for 100,000.00, approved by their superior.
func approvedContract(t *testing.T, h *apitest.Harness, sales, boss, name string) string {
	t.Helper()
	cust := h.Must(h.Do("POST", "/api/v1/customers", sales, map[string]any{"name": name + "客户"}), 201).Body["id"].(string)
	id := h.Must(h.Do("POST", "/api/v1/contracts", sales, map[string]any{"name": name, "customerId": cust, "amount": "100000"}), 201).Body["id"].(string)
	h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/submit", sales, nil), 200)
	h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/approve", boss, nil), 200)
	return id
}

// TestReceivables: a plan of three installments on an approved contract; receipts drafted by
// sales and confirmed by finance through the receipt flow (inbox included); over-receiving,
// closed months, wrong approvers and a second reversal refused with nothing written; the
// overdue job; the statistics, the lists and the scopes agree with what happened.
func TestReceivables(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		ctx := context.Background()
		admin := h.Login("admin", apitest.AdminPassword)
		bossID, boss := h.CreateUser(admin, "wang.boss", "manager")
		_, fin := h.CreateUser(admin, "zhao.finance", "finance")
		salesID, sales := h.CreateUser(admin, "li.sales", "sales", "", bossID)
		_, other := h.CreateUser(admin, "zhou.sales", "sales")
		// the day as the application counts it (the default time zone, UTC+8): after 16:00 UTC on a
		// month's last day, UTC is still in the month the application has left
		today := time.Now().In(time.FixedZone("CST", 8*3600))
		id := approvedContract(t, h, sales, boss, "星河科技年度框架合同")
		base := "/api/v1/contracts/" + id

		// A draft contract has no receivables yet.
		cust := h.Must(h.Do("POST", "/api/v1/customers", sales, map[string]any{"name": "草稿客户"}), 201).Body["id"].(string)
		draft := h.Must(h.Do("POST", "/api/v1/contracts", sales, map[string]any{"name": "草稿合同", "customerId": cust, "amount": "10"}), 201).Body["id"].(string)
		fieldErr(t, h.Must(h.Do("PUT", "/api/v1/contracts/"+draft+"/receivables/plan", sales, map[string]any{"installments": []map[string]any{{"dueDate": day(today), "amount": "1"}}}), 422),
			"contractId", "contract_not_approved")

		due1, due2, due3 := today.AddDate(0, 0, -30), today.AddDate(0, 1, 0), today.AddDate(0, 4, 0)
		fieldErr(t, h.Must(h.Do("PUT", base+"/receivables/plan", sales, map[string]any{"installments": []map[string]any{
			{"dueDate": day(due1), "amount": "60000"}, {"dueDate": day(due2), "amount": "40000.01"}}}), 422), "installments", "plan_exceeds_contract")
		fieldErr(t, h.Must(h.Do("PUT", base+"/receivables/plan", sales, map[string]any{"installments": []map[string]any{
			{"dueDate": day(due1), "amount": "1.001"}, {"dueDate": "2026-02-30", "amount": "-5"}}}), 422), "installments[0].amount", "")
		if l := h.Must(h.Do("GET", base+"/receivables", sales, nil), 200); l.Body["version"] != float64(0) {
			t.Fatalf("refused plans wrote something: %s", l.Raw)
		}
		plan := h.Must(h.Do("PUT", base+"/receivables/plan", sales, map[string]any{"installments": []map[string]any{
			{"dueDate": day(due1), "amount": "30000", "note": "首付款"}, {"dueDate": day(due2), "amount": "30000.00"}, {"dueDate": day(due3), "amount": "40000"}}}), 200)
		tot := plan.Body["totals"].(map[string]any)
		if len(plan.Body["installments"].([]any)) != 3 || tot["planned"] != "100000.00" || tot["unplanned"] != "0.00" || tot["outstanding"] != "100000.00" {
			t.Fatalf("plan: %s", plan.Raw)
		}

		// A receipt that settles installments 2 and 3 (installment 1 stays unpaid).
		fieldErr(t, h.Must(h.Do("POST", base+"/receipts", sales, map[string]any{"amount": "100000.01", "date": day(today)}), 422), "amount", "over_receipt")
		fieldErr(t, h.Must(h.Do("POST", base+"/receipts", sales, map[string]any{"amount": "70000.01", "date": day(today), "installments": []int{2, 3}}), 422), "amount", "over_receipt")
		fieldErr(t, h.Must(h.Do("POST", base+"/receipts", sales, map[string]any{"amount": "1", "date": day(today), "method": "比特币"}), 422), "method", "unknown_dictionary_value")
		r1 := h.Must(h.Do("POST", base+"/receipts", sales, map[string]any{"amount": "45000", "date": day(today), "method": "bank_transfer", "installments": []int{2, 3},
			"payerAccount": "工行 6222 0200 1234"}), 201)
		rid := r1.Body["id"].(string)
		if r1.Body["status"] != "draft" || r1.Body["amount"] != "45000.00" {
			t.Fatalf("receipt: %s", r1.Raw)
		}
		sub := h.Must(h.Do("POST", base+"/receipts/"+rid+"/submit", sales, map[string]any{"comment": "请确认"}), 200)
		if sub.Body["status"] != "pending" || len(sub.Body["allocation"].([]any)) != 2 {
			t.Fatalf("submitted: %s", sub.Raw)
		}
		// Finance's inbox shows the receipt; the read model leads to its contract.
		items := h.Must(h.Do("GET", "/api/v1/approvals?view=pending", fin, nil, "X-Chronicle-Min-Position", h.Head()), 200).Body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["kind"] != "receipt" || items[0].(map[string]any)["subjectId"] != rid {
			t.Fatalf("finance's inbox: %v", items)
		}
		if row := h.Must(h.Do("GET", "/api/v1/receipts/"+rid, fin, nil, "X-Chronicle-Min-Position", h.Head()), 200); row.Body["contractId"] != id || row.Body["contractOwnerId"] != salesID {
			t.Fatalf("receipt row: %s", row.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", base+"/receipts/"+rid+"/approve", sales, nil), 403), "not_current_approver")
		h.Must(h.Do("POST", base+"/receipts/"+rid+"/approve", other, nil), 404) // outside their scope: not even there
		apitest.WantCode(t, h.Must(h.Do("PUT", base+"/receipts/"+rid, sales, map[string]any{"amount": "1", "date": day(today)}), 409), "receipt_state")
		conf := h.Must(h.Do("POST", base+"/receipts/"+rid+"/approve", fin, map[string]any{"comment": "已到账"}), 200)
		if conf.Body["status"] != "confirmed" || conf.Body["confirmedAt"] == nil {
			t.Fatalf("confirmed: %s", conf.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", base+"/receipts/"+rid+"/approve", fin, nil), 409), "not_pending")

		// Two finance clerks racing to confirm the last 25,000 of installment 3: one receipt each,
		// both submitted; the second confirmation is refused at submission already (claimed).
		a := h.Must(h.Do("POST", base+"/receipts", sales, map[string]any{"amount": "25000", "date": day(today), "installments": []int{3}}), 201).Body["id"].(string)
		b := h.Must(h.Do("POST", base+"/receipts", sales, map[string]any{"amount": "25000", "date": day(today), "installments": []int{3}}), 201).Body["id"].(string)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, x := range []string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = h.Do("POST", base+"/receipts/"+x+"/submit", sales, nil).Status
			}()
		}
		wg.Wait()
		if !(codes[0] == 200 && codes[1] == 422 || codes[0] == 422 && codes[1] == 200) {
			t.Fatalf("two submissions for the same 25,000: %v", codes)
		}
		waiting := a
		if codes[1] == 200 {
			waiting = b
		}
		h.Must(h.Do("POST", base+"/receipts/"+waiting+"/withdraw", fin, nil), 403)
		h.Must(h.Do("POST", base+"/receipts/"+waiting+"/withdraw", sales, nil), 200)
		h.Must(h.Do("DELETE", base+"/receipts/"+a, sales, nil), 204)
		h.Must(h.Do("DELETE", base+"/receipts/"+b, sales, nil), 204)

		// A second receipt, confirmed, then reversed (finance only, once).
		r2 := h.Must(h.Do("POST", base+"/receipts", sales, map[string]any{"amount": "20000", "date": day(today)}), 201).Body["id"].(string)
		h.Must(h.Do("POST", base+"/receipts/"+r2+"/submit", sales, nil), 200)
		h.Must(h.Do("POST", base+"/receipts/"+r2+"/approve", fin, nil), 200)
		h.Must(h.Do("POST", base+"/receipts/"+r2+"/reverse", sales, map[string]any{"reason": "退票"}), 403)
		fieldErr(t, h.Must(h.Do("POST", base+"/receipts/"+r2+"/reverse", fin, map[string]any{"reason": ""}), 422), "reason", "")
		rev := h.Must(h.Do("POST", base+"/receipts/"+r2+"/reverse", fin, map[string]any{"reason": "付款方退票"}), 200)
		if rev.Body["status"] != "reversed" || rev.Body["reversal"].(map[string]any)["reason"] != "付款方退票" {
			t.Fatalf("reversed: %s", rev.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", base+"/receipts/"+r2+"/reverse", fin, map[string]any{"reason": "again"}), 409), "receipt_state")

		// The month close: last month closes (finance), this month does not; a receipt dated in
		// a closed month is refused; reopening is an administrator's, with a reason.
		last := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
		lm := last.Format("2006-01")
		h.Must(h.Do("POST", "/api/v1/finance/months/"+lm+"/close", sales, nil), 403)
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/finance/months/"+today.Format("2006-01")+"/close", fin, nil), 422), "month", "month_not_ended")
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/finance/months/2026-13/close", fin, nil), 422), "month", "not_a_month")
		if m := h.Must(h.Do("POST", "/api/v1/finance/months/"+lm+"/close", fin, nil), 200); m.Body["closed"].([]any)[0] != lm {
			t.Fatalf("closed: %s", m.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/finance/months/"+lm+"/close", fin, nil), 409), "month_closed")
		fieldErr(t, h.Must(h.Do("POST", base+"/receipts", sales, map[string]any{"amount": "1", "date": day(last.AddDate(0, 0, 14))}), 422), "date", "month_closed")
		h.Must(h.Do("POST", "/api/v1/finance/months/"+lm+"/reopen", fin, map[string]any{"reason": "补录"}), 403)
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/finance/months/"+lm+"/reopen", admin, map[string]any{"reason": " "}), 422), "reason", "")
		h.Must(h.Do("POST", "/api/v1/finance/months/"+lm+"/reopen", admin, map[string]any{"reason": "补录上月回款"}), 200)

		// The overdue job: installment 1 is past due and unpaid; a second run records nothing.
		if n, err := h.App.RunOverdue(ctx, "test"); err != nil || n != 1 {
			t.Fatalf("overdue job: %d %v", n, err)
		}
		if n, err := h.App.RunOverdue(ctx, "test"); err != nil || n != 0 {
			t.Fatalf("overdue job again: %d %v", n, err)
		}
		l := h.Must(h.Do("GET", base+"/receivables", fin, nil), 200)
		ins := l.Body["installments"].([]any)
		st := func(i int) string { return ins[i].(map[string]any)["status"].(string) }
		tot = l.Body["totals"].(map[string]any)
		if st(0) != "overdue" || st(1) != "received" || st(2) != "partly_received" || tot["received"] != "45000.00" || tot["overdue"] != "30000.00" ||
			tot["outstanding"] != "55000.00" || tot["pending"] != "0.00" {
			t.Fatalf("receivables: %s", l.Raw)
		}

		// The statistics, read from the cells, say the same; other sales see none of it.
		head := h.Head()
		get := func(token, path string) map[string]any {
			return h.Must(h.Do("GET", path, token, nil, "X-Chronicle-Min-Position", head), 200).Body
		}
		owners := get(fin, "/api/v1/finance/stats/owners")
		rows := owners["rows"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["ownerId"] != salesID || rows[0].(map[string]any)["outstanding"] != "55000.00" ||
			rows[0].(map[string]any)["overdue"] != "30000.00" || rows[0].(map[string]any)["lastReceiptDate"] != day(today) {
			t.Fatalf("by owner: %v", owners)
		}
		if o := get(other, "/api/v1/finance/stats/owners"); len(o["rows"].([]any)) != 0 {
			t.Fatalf("another sales rep sees: %v", o)
		}
		h.Must(h.Do("GET", base+"/receivables", other, nil), 404)
		mon := get(fin, fmt.Sprintf("/api/v1/finance/stats/monthly?from=%s&to=%s", due1.Format("2006-01"), due3.Format("2006-01")))
		mt := mon["totals"].(map[string]any)
		if mt["planned"] != "100000.00" || mt["received"] != "45000.00" || mt["overdue"] != "30000.00" || mt["outstanding"] != "55000.00" {
			t.Fatalf("monthly: %v", mon)
		}
		ag := get(sales, "/api/v1/finance/stats/ageing?asOf="+day(today))
		if b := ag["buckets"].([]any); b[0].(map[string]any)["amount"] != "25000.00" || b[1].(map[string]any)["amount"] != "30000.00" || ag["total"] != "55000.00" {
			t.Fatalf("ageing: %v", ag)
		}
		cs := get(sales, "/api/v1/finance/stats/customers")
		if r := cs["rows"].([]any); len(r) != 1 || r[0].(map[string]any)["customerName"] != "星河科技年度框架合同客户" {
			t.Fatalf("customers: %v", cs)
		}
		if o := get(fin, "/api/v1/installments?status=overdue"); len(o["items"].([]any)) != 1 {
			t.Fatalf("overdue list: %v", o)
		}
		if rs := get(fin, "/api/v1/receipts?status=reversed"); len(rs["items"].([]any)) != 1 || rs["items"].([]any)[0].(map[string]any)["id"] != r2 {
			t.Fatalf("reversed receipts: %v", rs)
		}
		if rs := get(sales, "/api/v1/receipts?q=星河"); rs["total"] != float64(2) {
			t.Fatalf("sales's receipts: %v", rs)
		}
		if rs := get(other, "/api/v1/receipts"); rs["total"] != float64(0) {
			t.Fatalf("another sales rep's receipts: %v", rs)
		}
		h.Must(h.Do("GET", "/api/v1/finance/stats/monthly?from=2026-05&to=2026-01", fin, nil), 422)
		h.Must(h.Do("GET", "/api/v1/finance/stats/ageing?asOf=yesterday", fin, nil), 422)
		// Exports: the filtered lists with exact totals rows (finance.export).
		h.Must(h.Do("GET", "/api/v1/receipts/export", sales, nil), 403)
		csv := h.Must(h.Do("GET", "/api/v1/receipts/export?format=csv", fin, nil, "X-Chronicle-Min-Position", head), 200).Raw
		if !strings.Contains(csv, "回款单号,合同编号") || !strings.Contains(csv, ",45000.00,"+day(today)+",银行转账,工行 6222 0200 1234,已确认,") ||
			!strings.Contains(csv, "已冲销") || !strings.Contains(csv, "合计（2）,,,,65000.00,") {
			t.Fatalf("receipt export: %s", csv)
		}
		csv = h.Must(h.Do("GET", "/api/v1/installments/export?status=open", fin, nil), 200).Raw
		if !strings.Contains(csv, "第1期") || !strings.Contains(csv, "已逾期") || !strings.Contains(csv, "合计（2）,,,,,70000.00,15000.00,55000.00,") {
			t.Fatalf("installment export: %s", csv)
		}
		if hist := h.Must(h.Do("GET", base+"/receivables/history", fin, nil), 200); len(hist.Body["items"].([]any)) < 10 {
			t.Fatalf("history: %s", hist.Raw)
		}
	})
}
