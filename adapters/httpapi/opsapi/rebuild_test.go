package opsapi_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"

	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// TestCustomerRebuildIsIdentical: the live customer read model is built from small pages (a page
// per request, mostly), a rebuild from pages of up to a thousand events, buffered in memory and
// written at the end of the page. With organisation changes, merges, deletions and contacts in
// the middle of the log, both must end in the same rows.
func TestCustomerRebuildIsIdentical(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		north := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华北组"}), 201).Body["id"].(string)
		south := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华南组"}), 201).Body["id"].(string)
		s1ID, s1 := h.CreateUser(admin, "rb.one", "sales", north)
		s2ID, _ := h.CreateUser(admin, "rb.two", "sales", south)

		var ids []string
		for i := range 12 {
			body := map[string]any{"name": fmt.Sprintf("重建测试客户%02d有限公司", i), "level": "A", "city": "北京", "confirmDuplicate": true}
			if i%3 == 0 {
				body["pool"] = true
			}
			ids = append(ids, h.Must(h.Do("POST", "/api/v1/customers", s1, body), 201).Body["id"].(string))
		}
		var contacts []string
		for i, id := range ids[1:6] {
			contacts = append(contacts, h.Must(h.Do("POST", "/api/v1/contacts", admin, map[string]any{"customerId": id,
				"name": fmt.Sprintf("联系人%d", i), "mobile": fmt.Sprintf("1380000%04d", i)}), 201).Body["id"].(string))
		}
		h.Must(h.Do("POST", "/api/v1/customers/"+ids[1]+"/primary-contact", s1, map[string]any{"contactId": contacts[0]}), 200)
		h.Must(h.Do("POST", "/api/v1/customers/"+ids[2]+"/assign", admin, map[string]any{"ownerId": s2ID}), 200)
		// s1 moves to the other department: their customers and contacts follow.
		h.Must(h.Do("PATCH", "/api/v1/users/"+s1ID, admin, map[string]any{"departmentId": south}), 200)
		h.Must(h.Do("POST", "/api/v1/customers/"+ids[0]+"/claim", s1, nil), 200)
		h.Must(h.Do("POST", "/api/v1/customers/"+ids[4]+"/release", s1, map[string]any{"reason": "不再跟进"}), 200)
		h.Must(h.Do("POST", "/api/v1/followups", s1, map[string]any{"subject": "customer:" + ids[5], "type": "call", "content": "电话沟通"}), 201)
		h.Must(h.Do("POST", "/api/v1/customers/"+ids[5]+"/merge", admin, map[string]any{"sourceId": ids[3]}), 200)
		h.Must(h.Do("DELETE", "/api/v1/customers/"+ids[7], admin, nil), 204)
		h.Must(h.Do("POST", "/api/v1/customers/"+ids[8]+"/lock", admin, nil), 200)
		h.Must(h.Do("PATCH", "/api/v1/customers/"+ids[10], s1, map[string]any{"status": "cooperating", "remark": "重点"}), 200)
		h.Must(h.Do("PATCH", "/api/v1/departments/"+south, admin, map[string]any{"parentId": north}), 200)
		last := h.Must(h.Do("POST", "/api/v1/contacts", s1, map[string]any{"customerId": ids[11], "name": "最后联系人"}), 201)

		ctx := context.Background()
		wait, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := h.App.Engine.WaitFor(wait, headerPosition(t, last), customerview.Projection); err != nil {
			t.Fatal(err)
		}
		customersBefore, contactsBefore := dumpCustomers(t, h.App.DB)
		if len(customersBefore) != 10 || len(contactsBefore) != 6 {
			t.Fatalf("live read model: %d customers, %d contacts; want 10 and 6", len(customersBefore), len(contactsBefore))
		}
		// Contacts are scoped by their customers' owners, who moved with their department: the
		// department tree of 华南组 (now under 华北组) sees the contacts of s1's and s2's customers.
		southTree := readmodels.Scope{Kind: role.ScopeDepartmentTree, DeptPath: "/" + north + "/" + south + "/"}
		if page, err := customerview.New(h.App.DB).SearchContacts(ctx, customerview.ContactQuery{Scope: southTree, Limit: 50}); err != nil || len(page.Items) != 5 {
			t.Fatalf("contacts in the moved department tree: %d (%v), want 5", len(page.Items), err)
		}

		gen := int(h.Must(h.Do("POST", "/api/v1/projections/customers/rebuild", admin, nil), 202).Body["generation"].(float64))
		deadline := time.Now().Add(20 * time.Second)
		for h.App.DB.Gens.Active(customerview.Projection) != gen {
			if time.Now().After(deadline) {
				t.Fatalf("rebuild did not switch: %s", h.Do("GET", "/api/v1/projections", admin, nil).Raw)
			}
			time.Sleep(20 * time.Millisecond)
		}
		customersAfter, contactsAfter := dumpCustomers(t, h.App.DB)
		if !reflect.DeepEqual(customersBefore, customersAfter) {
			t.Fatalf("rebuilt customers differ from the live ones:\nlive    %+v\nrebuilt %+v", customersBefore, customersAfter)
		}
		if !reflect.DeepEqual(contactsBefore, contactsAfter) {
			t.Fatalf("rebuilt contacts differ from the live ones:\nlive    %+v\nrebuilt %+v", contactsBefore, contactsAfter)
		}
	})
}

func headerPosition(t *testing.T, r apitest.Resp) uint64 {
	t.Helper()
	var p uint64
	if _, err := fmt.Sscan(r.Header.Get("X-Chronicle-Position"), &p); err != nil {
		t.Fatalf("no position: %v", err)
	}
	return p
}

func dumpCustomers(t *testing.T, db *readmodels.DB) ([]customerview.Customer, []customerview.Contact) {
	t.Helper()
	ctx := context.Background()
	all := readmodels.Scope{All: true}
	var customers []customerview.Customer
	for cursor := ""; ; {
		page, err := customerview.New(db).Search(ctx, customerview.Query{Scope: all, Sort: "createdAt", Limit: 5, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			customers = append(customers, *c)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	var contacts []customerview.Contact
	for cursor := ""; ; {
		page, err := customerview.New(db).SearchContacts(ctx, customerview.ContactQuery{Scope: all, Sort: "createdAt", Limit: 5, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			contacts = append(contacts, *c)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	return customers, contacts
}
