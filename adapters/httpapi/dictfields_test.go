package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/lead"
)

// fieldCode is the code of the 422's error on name ("" when the problem names no such field).
func fieldCode(r apitest.Resp, name string) string {
	errs, _ := r.Body["errors"].([]any)
	for _, e := range errs {
		if m := e.(map[string]any); m["field"] == name {
			c, _ := m["code"].(string)
			return c
		}
	}
	return ""
}

// appendLegacy writes a record's first event straight into the store, as a record entered before
// the dictionary existed holds it (free text in its coded fields). It returns the position.
func appendLegacy(t *testing.T, h *apitest.Harness, stream string, e event.Event) string {
	t.Helper()
	data, err := commands.Encode(commands.Meta{Actor: access.System, RequestID: "legacy"}, time.Now().UTC(), []event.Event{e})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.App.Store.Append(context.Background(), stream, 0, data)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(res.Position)
}

// TestLeadCodedFields: a lead's source, industry and level are dictionary codes. A label is
// stored as its code; an unknown or disabled value is a 422 naming the field (and nothing is
// written); a patch of another field keeps a disabled item or legacy free text, which the view
// and the history show as stored; a legacy lead converts with its text.
func TestLeadCodedFields(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		adminID := h.Must(h.Do("GET", "/api/v1/auth/me", admin, nil), 200).Body["id"].(string)

		head := h.Head()
		bad := h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "未知来源", "source": "地推", "level": "Z"})
		h.Must(bad, 422)
		apitest.WantCode(t, bad, "validation_failed")
		if fieldCode(bad, "source") != commands.CodeUnknownDictionaryValue || fieldCode(bad, "level") != commands.CodeUnknownDictionaryValue {
			t.Fatalf("422 does not name source and level: %s", bad.Raw)
		}
		if h.Head() != head {
			t.Fatal("a refused lead wrote events")
		}

		// Labels (Chinese, English in any case) are stored as codes.
		r := h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "标签", "source": "官网咨询", "industry": "machinery", "level": "B"}), 201)
		id := r.Body["id"].(string)
		got := h.Must(h.Do("GET", "/api/v1/leads/"+id, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200).Body
		if got["source"] != "web" || got["industry"] != "manufacturing.machinery" || got["level"] != "B" {
			t.Fatalf("stored %v %v %v", got["source"], got["industry"], got["level"])
		}

		// A disabled item: refused for new values, kept by a patch of another field.
		held := h.Must(h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "展会线索", "source": "exhibition"}), 201).Body["id"].(string)
		h.Must(h.Do("POST", "/api/v1/dictionaries/lead_source/items/exhibition/disable", admin, nil), 200)
		bad = h.Do("POST", "/api/v1/leads", admin, map[string]any{"name": "新展会线索", "source": "展会"})
		h.Must(bad, 422)
		if fieldCode(bad, "source") != commands.CodeUnknownDictionaryValue {
			t.Fatalf("a disabled item was taken: %s", bad.Raw)
		}
		h.Must(h.Do("PATCH", "/api/v1/leads/"+held, admin, map[string]any{"remark": "改备注", "source": "exhibition"}), 200)
		bad = h.Do("PATCH", "/api/v1/leads/"+id, admin, map[string]any{"source": "exhibition"})
		h.Must(bad, 422)
		if fieldCode(bad, "source") != commands.CodeUnknownDictionaryValue || !strings.Contains(bad.Raw, "disabled") {
			t.Fatalf("changing to a disabled item: %s", bad.Raw)
		}

		// Legacy free text: readable in the view and the history, kept by other edits, converts.
		legacy := uuid.Must(uuid.NewV7())
		pos := appendLegacy(t, h, lead.Stream(legacy), lead.Created{LeadID: legacy.String(), OwnerID: adminID, By: adminID, At: time.Now().UTC(),
			Fields: lead.Fields{Name: "旧线索", Company: "旧公司", Source: "网站", Industry: "机械制造", Level: "重要"}})
		got = h.Must(h.Do("GET", "/api/v1/leads/"+legacy.String(), admin, nil, "X-Chronicle-Min-Position", pos), 200).Body
		if got["source"] != "网站" || got["industry"] != "机械制造" || got["level"] != "重要" {
			t.Fatalf("legacy lead reads %v %v %v", got["source"], got["industry"], got["level"])
		}
		h.Must(h.Do("PATCH", "/api/v1/leads/"+legacy.String(), admin, map[string]any{"remark": "只改备注"}), 200)
		if hist := h.Must(h.Do("GET", "/api/v1/leads/"+legacy.String()+"/history", admin, nil), 200).Raw; !strings.Contains(hist, "网站") || !strings.Contains(hist, "机械制造") {
			t.Fatalf("the history lost the legacy values: %s", hist)
		}
		bad = h.Do("PATCH", "/api/v1/leads/"+legacy.String(), admin, map[string]any{"source": "网站2"})
		h.Must(bad, 422)
		conv := h.Must(h.Do("POST", "/api/v1/leads/"+legacy.String()+"/convert", admin, nil), 201)
		cust := conv.Body["customerId"].(string)
		c := h.Must(h.Do("GET", "/api/v1/customers/"+cust, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200).Body
		if c["source"] != "网站" || c["industry"] != "机械制造" || c["level"] != "重要" {
			t.Fatalf("the converted customer: %v %v %v", c["source"], c["industry"], c["level"])
		}
		// A lead holding a branch converts to the branch's sector and the branch.
		conv = h.Must(h.Do("POST", "/api/v1/leads/"+id+"/convert", admin, nil), 201)
		c = h.Must(h.Do("GET", "/api/v1/customers/"+conv.Body["customerId"].(string), admin, nil, "X-Chronicle-Min-Position", h.Head()), 200).Body
		if c["industry"] != "manufacturing" || c["subIndustry"] != "manufacturing.machinery" || c["source"] != "web" {
			t.Fatalf("the converted customer: %v %v %v", c["industry"], c["subIndustry"], c["source"])
		}
	})
}

// TestCustomerCodedFields: level, industry, sub-industry, source, nature and classification are
// dictionary codes; the sub-industry is a branch of the industry; a legacy customer keeps its
// text through other edits.
func TestCustomerCodedFields(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		adminID := h.Must(h.Do("GET", "/api/v1/auth/me", admin, nil), 200).Body["id"].(string)

		head := h.Head()
		bad := h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "海盗公司", "nature": "海盗", "classification": "朋友"})
		h.Must(bad, 422)
		if fieldCode(bad, "nature") != commands.CodeUnknownDictionaryValue || fieldCode(bad, "classification") != commands.CodeUnknownDictionaryValue {
			t.Fatalf("422: %s", bad.Raw)
		}
		bad = h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "错层公司", "industry": "制造业", "subIndustry": "软件"})
		h.Must(bad, 422)
		if fieldCode(bad, "subIndustry") != commands.CodeNotASubIndustry {
			t.Fatalf("a branch of another sector was taken: %s", bad.Raw)
		}
		if h.Head() != head {
			t.Fatal("refused customers wrote events")
		}

		id := h.Must(h.Do("POST", "/api/v1/customers", admin, map[string]any{"name": "机械公司", "industry": "制造业", "subIndustry": "机械设备",
			"nature": "民营企业", "classification": "target", "level": "A", "source": "Referral"}), 201).Body["id"].(string)
		c := h.Must(h.Do("GET", "/api/v1/customers/"+id, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if b := c.Body; b["industry"] != "manufacturing" || b["subIndustry"] != "manufacturing.machinery" || b["nature"] != "private" ||
			b["classification"] != "target" || b["level"] != "A" || b["source"] != "referral" {
			t.Fatalf("stored %s", c.Raw)
		}
		// Another sector with the branch held: the branch must go or change.
		bad = h.Do("PATCH", "/api/v1/customers/"+id, admin, map[string]any{"industry": "internet"})
		h.Must(bad, 422)
		if fieldCode(bad, "subIndustry") != commands.CodeNotASubIndustry {
			t.Fatalf("a held branch of the old sector was kept: %s", bad.Raw)
		}
		h.Must(h.Do("PATCH", "/api/v1/customers/"+id, admin, map[string]any{"industry": "internet", "subIndustry": "电子商务"}), 200)
		c = h.Must(h.Do("GET", "/api/v1/customers/"+id, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if c.Body["industry"] != "internet" || c.Body["subIndustry"] != "internet.ecommerce" {
			t.Fatalf("after the move: %s", c.Raw)
		}
		// The industry filter takes the sector's code.
		list := h.Must(h.Do("GET", "/api/v1/customers?industry=internet", admin, nil), 200)
		if list.Body["total"].(float64) != 1 {
			t.Fatalf("industry filter: %s", list.Raw)
		}

		// Legacy free text stays through an edit of another field.
		legacy := uuid.Must(uuid.NewV7())
		pos := appendLegacy(t, h, customer.Stream(legacy), customer.Created{CustomerID: legacy.String(), OwnerID: adminID, By: adminID,
			Status: customer.StatusPotential, At: time.Now().UTC(),
			Fields: customer.Fields{Name: "旧客户有限公司", Industry: "制造", SubIndustry: "机床", Nature: "外资", Level: "重要", Source: "网站"}})
		h.Must(h.Do("GET", "/api/v1/customers/"+legacy.String(), admin, nil, "X-Chronicle-Min-Position", pos), 200)
		h.Must(h.Do("PATCH", "/api/v1/customers/"+legacy.String(), admin, map[string]any{"phone": "010-1234 5678", "nature": "外资"}), 200)
		c = h.Must(h.Do("GET", "/api/v1/customers/"+legacy.String(), admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if b := c.Body; b["industry"] != "制造" || b["subIndustry"] != "机床" || b["nature"] != "外资" || b["level"] != "重要" || b["phone"] != "010-1234 5678" {
			t.Fatalf("legacy customer after an edit: %s", c.Raw)
		}
	})
}
