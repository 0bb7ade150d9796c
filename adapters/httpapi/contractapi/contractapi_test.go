package contractapi_test

import (
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

var fieldErr = apitest.FieldErr

func inbox(t *testing.T, h *apitest.Harness, token, view string) []any {
	t.Helper()
	r := h.Must(h.Do("GET", "/api/v1/approvals?view="+view, token, nil, "X-Chronicle-Min-Position", h.Head()), 200)
	return r.Body["items"].([]any)
}

// TestContractApproval: a contract made from a won opportunity copies its lines and gets a
// generated number; it goes through a two-step flow (the submitter's superior, then finance above
// 10,000), each step decided only by its approvers, with inboxes; a rejection returns it to
// draft; two approvers racing on one step: one wins; an approved contract is locked and changed
// by an amendment that is approved again; execution and termination follow the permissions.
func TestContractApproval(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		bossID, boss := h.CreateUser(admin, "wang.boss", "manager")
		_, fin1 := h.CreateUser(admin, "zhao.finance", "finance")
		_, fin2 := h.CreateUser(admin, "qian.finance", "finance")
		_, sales := h.CreateUser(admin, "li.sales", "sales", "", bossID)
		_, other := h.CreateUser(admin, "zhou.sales", "sales")

		flow := h.Must(h.Do("PUT", "/api/v1/approval-flows/contract", admin, map[string]any{"name": "合同审批", "steps": []map[string]any{
			{"kind": "superior"}, {"kind": "role", "role": "finance", "minAmount": "10000", "name": "财务审核"}}}), 200)
		if flow.Body["version"] != float64(1) {
			t.Fatalf("flow: %s", flow.Raw)
		}
		fieldErr(t, h.Must(h.Do("PUT", "/api/v1/approval-flows/contract", admin, map[string]any{"steps": []map[string]any{{"kind": "role", "role": "nobody"}}}), 422), "steps[0].role", "unknown_role")
		h.Must(h.Do("PUT", "/api/v1/approval-flows/contract", sales, map[string]any{"steps": []map[string]any{{"kind": "superior"}}}), 403)

		cust := h.Must(h.Do("POST", "/api/v1/customers", sales, map[string]any{"name": "星河科技有限公司"}), 201).Body["id"].(string)
		products := h.Products(admin, "ERP 标准版", "实施服务")
		opp := h.Must(h.Do("POST", "/api/v1/opportunities", sales, map[string]any{"name": "星河科技 ERP 升级", "customerId": cust, "lines": []map[string]any{
			{"productId": products[0], "productName": "ERP 标准版", "quantity": "2", "unitPrice": "19999.99", "discount": "12.5"},
			{"productId": products[1], "quantity": "1.5", "unitPrice": "3333.33"}}}), 201).Body["id"].(string)
		// Not won yet: refused, nothing written.
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/contracts", sales, map[string]any{"name": "ERP 合同", "opportunityId": opp}), 422), "opportunityId", "opportunity_not_won")
		h.Must(h.Do("POST", "/api/v1/opportunities/"+opp+"/win", sales, nil), 200)
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/contracts", sales, map[string]any{"name": "ERP 合同", "opportunityId": opp, "startsOn": "2027-01-01", "endsOn": "2026-12-31"}), 422), "endsOn", "ends_before_start")
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/contracts", sales, map[string]any{"name": "ERP 合同", "customerId": cust, "amount": "1.005"}), 422), "amount", "too_many_decimals")
		tooMany := make([]map[string]any, 201)
		for i := range tooMany {
			tooMany[i] = map[string]any{"productId": products[0], "quantity": "1"}
		}
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/contracts", sales, map[string]any{"name": "ERP 合同", "customerId": cust, "lines": tooMany}), 422), "lines", "")
		if l := h.Must(h.Do("GET", "/api/v1/contracts", sales, nil, "X-Chronicle-Min-Position", h.Head()), 200); l.Body["total"] != float64(0) {
			t.Fatalf("refused creates wrote something: %s", l.Raw)
		}

		c := h.Must(h.Do("POST", "/api/v1/contracts", sales, map[string]any{"name": "星河科技 ERP 采购合同", "opportunityId": opp, "type": "销售合同",
			"startsOn": "2026-12-01", "endsOn": "2027-11-30"}), 201)
		id, number := c.Body["id"].(string), c.Body["number"].(string)
		if !regexp.MustCompile(`^HT-\d{6}-0001$`).MatchString(number) || c.Body["amount"] != "39999.98" || c.Body["status"] != "draft" ||
			c.Body["customerId"] != cust || len(c.Body["lines"].([]any)) != 2 || c.Body["type"] != "sales" || c.Body["customerName"] != "星河科技有限公司" {
			t.Fatalf("created: %s", c.Raw)
		}
		second := h.Must(h.Do("POST", "/api/v1/contracts", sales, map[string]any{"name": "补充协议", "customerId": cust, "amount": "100"}), 201)
		if second.Body["number"] == number {
			t.Fatalf("two contracts with one number: %s", second.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/contracts", sales, map[string]any{"name": "重号", "customerId": cust, "number": " " + number + " "}), 409), "duplicate_number")

		// Submit: the superior's step first.
		sub := h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/submit", sales, map[string]any{"comment": "请审批"}), 200)
		if sub.Body["status"] != "pending" || len(sub.Body["approval"].(map[string]any)["steps"].([]any)) != 2 {
			t.Fatalf("submitted: %s", sub.Raw)
		}
		if n := len(inbox(t, h, boss, "pending")); n != 1 {
			t.Fatalf("boss's inbox: %d", n)
		}
		if n := len(inbox(t, h, fin1, "pending")); n != 0 {
			t.Fatalf("finance's inbox before the boss decided: %d", n)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/approve", fin1, nil), 403), "not_current_approver")
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/approve", sales, nil), 403), "not_current_approver")
		apitest.WantCode(t, h.Must(h.Do("PATCH", "/api/v1/contracts/"+id, sales, map[string]any{"remarks": "x"}), 409), "contract_locked")
		// Routed approvers read the contract; someone else does not.
		h.Must(h.Do("GET", "/api/v1/contracts/"+id, fin1, nil), 200)
		h.Must(h.Do("GET", "/api/v1/contracts/"+id, other, nil), 404)

		h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/approve", boss, map[string]any{"comment": "同意"}), 200)
		if n := len(inbox(t, h, fin2, "pending")); n != 1 {
			t.Fatalf("finance's inbox after the boss: %d", n)
		}
		fieldErr(t, h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/reject", fin1, nil), 422), "comment", "comment_required")
		rej := h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/reject", fin1, map[string]any{"comment": "付款条件缺失"}), 200)
		if rej.Body["status"] != "draft" {
			t.Fatalf("rejected: %s", rej.Raw)
		}
		if items := inbox(t, h, sales, "submitted"); len(items) != 1 || items[0].(map[string]any)["status"] != "rejected" {
			t.Fatalf("sales's submissions: %v", items)
		}
		if n := len(inbox(t, h, fin2, "pending")); n != 0 {
			t.Fatalf("a rejected submission still waits: %d", n)
		}
		h.Must(h.Do("PATCH", "/api/v1/contracts/"+id, sales, map[string]any{"paymentTerms": "签约后30日内支付全款"}), 200)
		h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/submit", sales, nil), 200)
		h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/approve", boss, nil), 200)
		// Two finance approvers decide the last step at once: one wins.
		etag := h.Must(h.Do("GET", "/api/v1/contracts/"+id, fin1, nil, "X-Chronicle-Min-Position", h.Head()), 200).Header.Get("ETag")
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, tok := range []string{fin1, fin2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = h.Do("POST", "/api/v1/contracts/"+id+"/approve", tok, nil, "If-Match", etag).Status
			}()
		}
		wg.Wait()
		if !(codes[0] == 200 && codes[1] == 412 || codes[0] == 412 && codes[1] == 200) {
			t.Fatalf("racing approvals: %v", codes)
		}
		app := h.Must(h.Do("GET", "/api/v1/contracts/"+id, sales, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if app.Body["status"] != "approved" {
			t.Fatalf("approved: %s", app.Raw)
		}
		if n := len(inbox(t, h, fin1, "decided")) + len(inbox(t, h, fin2, "decided")); n != 2 { // fin1's rejection and one approval
			t.Fatalf("decided: %d", n)
		}
		apitest.WantCode(t, h.Must(h.Do("PATCH", "/api/v1/contracts/"+id, sales, map[string]any{"remarks": "x"}), 409), "contract_locked")
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/approve", boss, nil), 409), "not_pending")

		// An amendment goes through approval again and applies only then.
		am := h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/amend", sales, map[string]any{"changes": map[string]any{"endsOn": "2028-11-30"}, "reason": "延长一年"}), 200)
		if am.Body["endsOn"] != "2027-11-30" || am.Body["amendment"] == nil || am.Body["status"] != "approved" {
			t.Fatalf("amendment proposed: %s", am.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/amend", sales, map[string]any{"changes": map[string]any{"remarks": "y"}, "reason": "再改"}), 409), "amendment_pending")
		h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/approve", boss, nil), 200)
		done := h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/approve", fin1, nil), 200)
		if done.Body["endsOn"] != "2028-11-30" || done.Body["amendment"] != nil {
			t.Fatalf("amendment approved: %s", done.Raw)
		}

		h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/start", sales, nil), 200)
		h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/terminate", sales, map[string]any{"reason": "客户违约"}), 403)
		// The boss approved it but does not manage it (a manager's scope is their department tree).
		h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/terminate", boss, map[string]any{"reason": "客户违约"}), 404)
		end := h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/terminate", admin, map[string]any{"reason": "客户违约"}), 200)
		if end.Body["status"] != "terminated" || end.Body["terminationReason"] != "客户违约" {
			t.Fatalf("terminated: %s", end.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/contracts/"+id+"/complete", admin, nil), 409), "contract_state")
		hist := h.Must(h.Do("GET", "/api/v1/contracts/"+id+"/history", fin1, nil), 200)
		if n := len(hist.Body["items"].([]any)); n < 12 {
			t.Fatalf("history: %d events", n)
		}
		if l := h.Must(h.Do("GET", "/api/v1/contracts?q=星河&status=terminated", boss, nil), 200); l.Body["total"] != float64(1) {
			t.Fatalf("boss's search: %s", l.Raw)
		}
		// The export writes the filtered search with exact amounts and Chinese labels.
		csv := h.Must(h.Do("GET", "/api/v1/contracts/export?format=csv&status=terminated", admin, nil), 200).Raw
		if !strings.Contains(csv, "合同编号,合同名称") || !strings.Contains(csv, number+",星河科技 ERP 采购合同,星河科技有限公司,星河科技 ERP 升级,销售合同,,2026-12-01,2028-11-30,39999.98,已终止") ||
			strings.Contains(csv, "补充协议") {
			t.Fatalf("export: %s", csv)
		}
		h.Must(h.Do("GET", "/api/v1/contracts/export?format=pdf", admin, nil), 422)
		h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "reader", "displayName": "只读", "permissions": []string{"contracts.read"}, "dataScope": "all"}), 201)
		_, reader := h.CreateUser(admin, "sun.reader", "reader")
		h.Must(h.Do("GET", "/api/v1/contracts/export", reader, nil), 403)
	})
}

// TestGeneratedNumbersUnderConcurrency: forty contracts created at once all succeed, each with
// its own number of the pattern's sequence (decided on the numbering stream, retried, never
// refused as a conflict).
func TestGeneratedNumbersUnderConcurrency(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		cust := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "并发测试有限公司"}), 201).Body["id"].(string)
		const n = 40
		numbers := make([]string, n)
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := h.Do("POST", "/api/v1/contracts", admin, map[string]any{"name": "并发合同", "customerId": cust, "amount": "1.00"})
				codes[i] = r.Status
				if r.Status == 201 || r.Status == 202 {
					numbers[i], _ = r.Body["number"].(string)
				}
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			if codes[i] != 201 && codes[i] != 202 {
				t.Fatalf("create %d answered %d", i, codes[i])
			}
			if numbers[i] != "" && seen[numbers[i]] {
				t.Fatalf("number %s given twice", numbers[i])
			}
			seen[numbers[i]] = true
		}
		l := h.Must(h.Do("GET", "/api/v1/contracts?limit=100", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		got := map[string]bool{}
		for _, it := range l.Body["items"].([]any) {
			got[it.(map[string]any)["number"].(string)] = true
		}
		if len(got) != n || l.Body["total"] != float64(n) {
			t.Fatalf("%d contracts with %d distinct numbers", int(l.Body["total"].(float64)), len(got))
		}
	})
}
