package financeapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// TestPayables: a supplier directory (unique names, Chinese search, deletion refused while a
// payable is open); payables to a supplier against a contract or an opportunity, paid by
// payment vouchers through the payment flow (finance's inbox, kind "payment"); over-payment,
// closed months, a second reversal and wrong ids refused with nothing written; two vouchers
// racing for the last amount; the monthly statistics (payables due, paid, net cash); scopes.
func TestPayables(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		bossID, boss := h.CreateUser(admin, "wang.boss", "manager")
		_, fin := h.CreateUser(admin, "zhao.finance", "finance")
		salesID, sales := h.CreateUser(admin, "li.sales", "sales", "", bossID)
		_, other := h.CreateUser(admin, "zhou.sales", "sales")
		// the day as the application counts it (the default time zone, UTC+8): after 16:00 UTC on a
		// month's last day, UTC is still in the month the application has left
		today := time.Now().In(time.FixedZone("CST", 8*3600))
		head := func() []string { return []string{"X-Chronicle-Min-Position", h.Head()} }
		get := func(token, path string) apitest.Resp { return h.Must(h.Do("GET", path, token, nil, head()...), 200) }

		// Suppliers: a name is required and unique case-insensitively.
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/suppliers", sales, map[string]any{"name": " ", "phone": "call me"}), 422), "name", "")
		h.Must(h.Do("POST", "/api/v1/suppliers", sales, map[string]any{"name": "x", "fax": "1"}), 400)
		sup := h.Must(h.Do("POST", "/api/v1/suppliers", sales, map[string]any{"name": "Galaxy 星河电子", "contact": "陈工", "phone": "021-5555 1234",
			"bank": "招商银行", "account": "6225 8888 0000"}), 201)
		sid := sup.Body["id"].(string)
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/suppliers", fin, map[string]any{"name": "galaxy 星河电子 "}), 409), "duplicate_supplier")
		spare := h.Must(h.Do("POST", "/api/v1/suppliers", fin, map[string]any{"name": "远航物流"}), 201).Body["id"].(string)
		if l := get(other, "/api/v1/suppliers?q=星河"); l.Body["total"] != float64(1) {
			t.Fatalf("supplier search: %s", l.Raw)
		}
		if s := h.Must(h.Do("PATCH", "/api/v1/suppliers/"+spare, fin, map[string]any{"remarks": "长期合作"}), 200); s.Body["remarks"] != "长期合作" || s.Body["name"] != "远航物流" {
			t.Fatalf("patched supplier: %s", s.Raw)
		}

		// A payable to the supplier against an approved contract; unknown references refused.
		contract := approvedContract(t, h, sales, boss, "星河机房扩容")
		cust := h.Must(h.Do("POST", "/api/v1/customers", sales, map[string]any{"name": "远航客户"}), 201).Body["id"].(string)
		opp := h.Must(h.Do("POST", "/api/v1/opportunities", sales, map[string]any{"name": "远航仓储系统", "customerId": cust, "expectedCloseDate": day(today.AddDate(0, 2, 0))}), 201).Body["id"].(string)
		due := today.AddDate(0, 1, 0)
		nobody := "0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e"
		for _, c := range []struct {
			body        map[string]any
			field, code string
		}{
			{map[string]any{"supplierId": nobody, "amount": "1", "dueDate": day(due), "purpose": "x"}, "supplierId", "unknown_supplier"},
			{map[string]any{"supplierId": sid, "contractId": nobody, "amount": "1", "dueDate": day(due), "purpose": "x"}, "contractId", "unknown_contract"},
			{map[string]any{"supplierId": sid, "opportunityId": nobody, "amount": "1", "dueDate": day(due), "purpose": "x"}, "opportunityId", "unknown_opportunity"},
			{map[string]any{"supplierId": sid, "amount": "0", "dueDate": day(due), "purpose": "x"}, "amount", ""},
			{map[string]any{"supplierId": sid, "amount": "1.001", "dueDate": day(due), "purpose": "x"}, "amount", ""},
			{map[string]any{"supplierId": sid, "amount": "1", "dueDate": "2026-02-30", "purpose": "x"}, "dueDate", ""},
			{map[string]any{"supplierId": sid, "amount": "1", "dueDate": day(due), "purpose": ""}, "purpose", ""},
		} {
			fieldErr(t, h.Must(h.Do("POST", "/api/v1/payables", sales, c.body), 422), c.field, c.code)
		}
		if l := get(sales, "/api/v1/payables"); l.Body["total"] != float64(0) {
			t.Fatalf("refused payables wrote something: %s", l.Raw)
		}
		pay := h.Must(h.Do("POST", "/api/v1/payables", sales, map[string]any{"supplierId": sid, "contractId": contract, "amount": "50000",
			"dueDate": day(due), "purpose": "机柜与配电采购"}), 201)
		pid := pay.Body["id"].(string)
		if pay.Body["ownerId"] != salesID || pay.Body["supplierName"] != "Galaxy 星河电子" || pay.Body["outstanding"] != "50000.00" || pay.Body["status"] != "open" {
			t.Fatalf("payable: %s", pay.Raw)
		}
		h.Must(h.Do("POST", "/api/v1/payables", sales, map[string]any{"supplierId": spare, "opportunityId": opp, "amount": "800", "dueDate": day(due), "purpose": "运费"}), 201)
		base := "/api/v1/payables/" + pid

		// A voucher drafted by sales, approved by finance (the inbox shows it as a payment).
		fieldErr(t, h.Must(h.Do("POST", base+"/vouchers", sales, map[string]any{"amount": "50000.01", "date": day(today)}), 422), "amount", "over_payment")
		fieldErr(t, h.Must(h.Do("POST", base+"/vouchers", sales, map[string]any{"amount": "1", "date": day(today), "method": "比特币"}), 422), "method", "unknown_dictionary_value")
		v1 := h.Must(h.Do("POST", base+"/vouchers", sales, map[string]any{"amount": "30000", "date": day(today), "method": "bank_transfer", "payeeAccount": "招行 6225 8888 0000"}), 201)
		vid := v1.Body["id"].(string)
		if v1.Body["status"] != "draft" || v1.Body["amount"] != "30000.00" {
			t.Fatalf("voucher: %s", v1.Raw)
		}
		h.Must(h.Do("POST", base+"/vouchers/"+vid+"/submit", sales, map[string]any{"comment": "请付款"}), 200)
		items := get(fin, "/api/v1/approvals?view=pending").Body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["kind"] != "payment" || items[0].(map[string]any)["subjectId"] != vid {
			t.Fatalf("finance's inbox: %v", items)
		}
		if row := get(fin, "/api/v1/payment-vouchers/"+vid); row.Body["payableId"] != pid || row.Body["supplierName"] != "Galaxy 星河电子" || row.Body["status"] != "pending" {
			t.Fatalf("voucher row: %s", row.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", base+"/vouchers/"+vid+"/approve", sales, nil), 403), "not_current_approver")
		h.Must(h.Do("POST", base+"/vouchers/"+vid+"/approve", other, nil), 404)
		apitest.WantCode(t, h.Must(h.Do("PUT", base+"/vouchers/"+vid, sales, map[string]any{"amount": "1", "date": day(today)}), 409), "voucher_state")
		if v := h.Must(h.Do("POST", base+"/vouchers/"+vid+"/approve", fin, map[string]any{"comment": "已付"}), 200); v.Body["status"] != "confirmed" {
			t.Fatalf("approved: %s", v.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("DELETE", base+"/vouchers/"+vid, sales, nil), 409), "voucher_state")

		// Two vouchers for the last 20,000 submitted at once: one is claimed, the other refused.
		a := h.Must(h.Do("POST", base+"/vouchers", sales, map[string]any{"amount": "20000", "date": day(today)}), 201).Body["id"].(string)
		b := h.Must(h.Do("POST", base+"/vouchers", sales, map[string]any{"amount": "20000", "date": day(today)}), 201).Body["id"].(string)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, x := range []string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = h.Do("POST", base+"/vouchers/"+x+"/submit", sales, nil).Status
			}()
		}
		wg.Wait()
		ok := func(c int) bool { return c == 422 || c == 409 }
		if !(codes[0] == 200 && ok(codes[1]) || ok(codes[0]) && codes[1] == 200) {
			t.Fatalf("two submissions for the last 20,000: %v", codes)
		}
		waiting, lost := a, b
		if codes[1] == 200 {
			waiting, lost = b, a
		}
		if p := get(sales, base); p.Body["pending"] != "20000.00" || p.Body["paid"] != "30000.00" {
			t.Fatalf("after the race: %s", p.Raw)
		}
		// the amount never below paid and pending; a paid payable is not deleted
		fieldErr(t, h.Must(h.Do("PATCH", base, sales, map[string]any{"amount": "49999.99"}), 422), "amount", "below_paid")
		apitest.WantCode(t, h.Must(h.Do("DELETE", base, sales, nil), 409), "payable_paid")
		apitest.WantCode(t, h.Must(h.Do("DELETE", "/api/v1/suppliers/"+sid, fin, nil), 409), "supplier_in_use")
		h.Must(h.Do("DELETE", base+"/vouchers/"+lost, sales, nil), 204)
		h.Must(h.Do("POST", base+"/vouchers/"+waiting+"/approve", fin, nil), 200)
		paid := get(sales, base)
		if paid.Body["status"] != "paid" || paid.Body["outstanding"] != "0.00" || len(paid.Body["vouchers"].([]any)) != 2 {
			t.Fatalf("paid: %s", paid.Raw)
		}

		// Reversal: finance only, once, not before the voucher, not in a closed month.
		h.Must(h.Do("POST", base+"/vouchers/"+waiting+"/reverse", sales, map[string]any{"reason": "退款"}), 403)
		fieldErr(t, h.Must(h.Do("POST", base+"/vouchers/"+waiting+"/reverse", fin, map[string]any{"reason": "退款", "date": day(today.AddDate(0, 0, -40))}), 422), "date", "before_voucher")
		rev := h.Must(h.Do("POST", base+"/vouchers/"+waiting+"/reverse", fin, map[string]any{"reason": "供应商退回"}), 200)
		if rev.Body["status"] != "reversed" {
			t.Fatalf("reversed: %s", rev.Raw)
		}
		before := get(sales, base).Body["version"]
		apitest.WantCode(t, h.Must(h.Do("POST", base+"/vouchers/"+waiting+"/reverse", fin, map[string]any{"reason": "again"}), 409), "voucher_state")
		last := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
		h.Must(h.Do("POST", "/api/v1/finance/months/"+last.Format("2006-01")+"/close", fin, nil), 200)
		fieldErr(t, h.Must(h.Do("POST", base+"/vouchers", sales, map[string]any{"amount": "1", "date": day(last.AddDate(0, 0, 3))}), 422), "date", "month_closed")
		fieldErr(t, h.Must(h.Do("POST", base+"/vouchers/"+vid+"/reverse", fin, map[string]any{"reason": "退款", "date": day(last.AddDate(0, 0, 3))}), 422), "date", "")
		if after := get(sales, base).Body["version"]; after != before {
			t.Fatalf("refusals wrote something: %v → %v", before, after)
		}

		// The statistics: payables due this month's due date, paid and taken back this month.
		mon := get(fin, fmt.Sprintf("/api/v1/finance/stats/monthly?from=%s&to=%s", today.Format("2006-01"), due.Format("2006-01"))).Body
		tot := mon["totals"].(map[string]any)
		if tot["payablesDue"] != "50800.00" || tot["paid"] != "30000.00" || tot["netCash"] != "-30000.00" {
			t.Fatalf("monthly: %v", mon)
		}

		// Lists and scopes: another sales rep sees none of the payables or vouchers.
		if l := get(sales, "/api/v1/payables?supplierId="+sid+"&status=open"); l.Body["total"] != float64(1) {
			t.Fatalf("open payables of the supplier: %s", l.Raw)
		}
		if l := get(sales, "/api/v1/payables?q=运费"); l.Body["total"] != float64(1) {
			t.Fatalf("payables by keyword: %s", l.Raw)
		}
		if l := get(fin, "/api/v1/payment-vouchers?status=reversed"); l.Body["total"] != float64(1) {
			t.Fatalf("reversed vouchers: %s", l.Raw)
		}
		if l := get(other, "/api/v1/payables"); l.Body["total"] != float64(0) {
			t.Fatalf("another sales rep's payables: %s", l.Raw)
		}
		if l := get(other, "/api/v1/payment-vouchers"); l.Body["total"] != float64(0) {
			t.Fatalf("another sales rep's vouchers: %s", l.Raw)
		}
		h.Must(h.Do("GET", base, other, nil), 404)
		h.Must(h.Do("GET", "/api/v1/payment-vouchers/"+vid, other, nil, head()...), 404)
		h.Must(h.Do("POST", base+"/vouchers", other, map[string]any{"amount": "1", "date": day(today)}), 404)
		if m := get(other, "/api/v1/finance/stats/monthly"); m.Body["totals"].(map[string]any)["payablesDue"] != "0.00" {
			t.Fatalf("another sales rep's statistics: %v", m.Body)
		}
		if hist := h.Must(h.Do("GET", base+"/history", sales, nil), 200); len(hist.Body["items"].([]any)) < 8 {
			t.Fatalf("history: %s", hist.Raw)
		}

		// Exports with exact totals rows (finance.export: not sales).
		h.Must(h.Do("GET", "/api/v1/payables/export", sales, nil), 403)
		if csv := h.Must(h.Do("GET", "/api/v1/payables/export?format=csv", fin, nil, head()...), 200).Raw; !strings.Contains(csv, "应付单号,供应商") || !strings.Contains(csv, "合计（") {
			t.Fatalf("payable export: %s", csv)
		}
		if csv := h.Must(h.Do("GET", "/api/v1/payment-vouchers/export?format=csv", fin, nil, head()...), 200).Raw; !strings.Contains(csv, "付款单号,应付单号") || !strings.Contains(csv, "合计（") {
			t.Fatalf("voucher export: %s", csv)
		}

		// A supplier with no open payable is deleted; it leaves the directory.
		other2 := h.Must(h.Do("POST", "/api/v1/suppliers", fin, map[string]any{"name": "临时供应商"}), 201).Body["id"].(string)
		h.Must(h.Do("DELETE", "/api/v1/suppliers/"+other2, fin, nil), 204)
		h.Must(h.Do("GET", "/api/v1/suppliers/"+other2, fin, nil), 404)
		if l := get(fin, "/api/v1/suppliers"); l.Body["total"] != float64(2) {
			t.Fatalf("suppliers after a deletion: %s", l.Raw)
		}
	})
}
