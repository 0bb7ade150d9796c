package leadapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/leadapi"
	"github.com/chronicle-crm/chronicle/domain/lead"
)

// FuzzLeadCommandDecoding feeds arbitrary bodies through the strict decoder and the wire-to-command
// conversion of POST and PATCH /api/v1/leads: nothing panics, every failure is a 4xx problem
// (never a 500), and whatever gets through is a valid command.
func FuzzLeadCommandDecoding(f *testing.F) {
	seeds := []string{
		// valid
		`{"name":"王小明","company":"北京星河科技有限公司","mobile":"13800138000","email":"wang.xiaoming@xinghe.example.cn","source":"展会","nextFollowUpAt":"2026-11-22T09:30:00+08:00"}`,
		`{"id":"0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e","name":"李雷","pool":true}`,
		`{"name":"韩梅梅","ownerId":"0190a5b1-2c3d-7e4f-8a9b-0c1d2e3f4a5b","phone":"010-8888 6666转123","remark":"对销售管理系统感兴趣，下周二回电"}`,
		`{"name":"  张三  ","nextFollowUpAt":null}`,
		`{"name":"赵六","nextFollowUpAt":""}`,
		`{"status":"following","remark":"已电话沟通"}`,
		`{"company":null,"nextFollowUpAt":null}`,
		`{"status":"invalid"}`,
		`{"name":"😀🀄︎ 𠮷野家"}`,
		// invalid: semantics
		`{}`,
		`{"name":""}`,
		`{"name":"   "}`,
		`{"name":null}`,
		`{"status":"converted"}`,
		`{"status":"已转化"}`,
		`{"status":null}`,
		`{"name":"王五","pool":true,"ownerId":"0190a5b1-2c3d-7e4f-8a9b-0c1d2e3f4a5b"}`,
		`{"name":"王五","email":"not-an-email"}`,
		`{"name":"王五","phone":"电话号码"}`,
		`{"name":"` + strings.Repeat("长", 201) + `"}`,
		// bad UUIDs
		`{"name":"王五","id":"not-a-uuid"}`,
		`{"name":"王五","id":"00000000-0000-0000-0000-000000000000"}`,
		`{"name":"王五","id":"{0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e}"}`,
		`{"name":"王五","id":"urn:uuid:0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e"}`,
		`{"name":"王五","ownerId":"0190a5c48a5e7b2c9d3e1f2a3b4c5d6e"}`,
		// bad dates
		`{"name":"王五","nextFollowUpAt":"明天"}`,
		`{"name":"王五","nextFollowUpAt":"2026-11-22"}`,
		`{"name":"王五","nextFollowUpAt":"2026-11-22T09:30:00"}`,
		`{"name":"王五","nextFollowUpAt":"2026-02-30T09:30:00+08:00"}`,
		`{"name":"王五","nextFollowUpAt":"0001-01-01T00:00:00Z"}`,
		`{"name":"王五","nextFollowUpAt":"9999-12-31T23:59:59+14:00"}`,
		`{"nextFollowUpAt":"2026-11-22T24:00:00+08:00"}`,
		// unknown fields, wrong types
		`{"name":"王五","nickname":"小王"}`,
		`{"Name":"王五"}`,
		`{"name":123}`,
		`{"name":"王五","pool":"yes"}`,
		`{"name":"王五","pool":1e999}`,
		`{"name":"王五","nextFollowUpAt":20261122}`,
		`{"status":["new"]}`,
		`{"remark":{"a":1}}`,
		`{"name":"王五","pool":123456789012345678901234567890}`,
		`{"name":-0.0e-999999999}`,
		// not an object, nested garbage, trailing data
		``,
		`   `,
		`null`,
		`[]`,
		`"王五"`,
		`123`,
		`{"name":"王五"}{"name":"李四"}`,
		`{"name":"王五"} x`,
		`{"name":"王五",}`,
		`{"name":"王五"`,
		`{"name":{"name":{"name":[[[[[[[[[[{}]]]]]]]]]]}}}`,
		`{"remark":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
		`{"name":"\ud800"}`,
		`{"name":"\u0000"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	// invalid UTF-8, inside and outside strings
	f.Add([]byte("{\"name\":\"\xff\xfe王\"}"))
	f.Add([]byte("{\"status\":\"new\xc3\"}"))
	f.Add([]byte("\xef\xbb\xbf{\"name\":\"王五\"}"))
	f.Add([]byte{'{', 0xff, '}'})

	f.Fuzz(func(t *testing.T, body []byte) {
		requireClientError := func(what string, err error) {
			t.Helper()
			if st := httpkit.ProblemStatus(err); st < 400 || st > 499 {
				t.Fatalf("%s: %q -> status %d (%v), want a 4xx problem", what, body, st, err)
			}
		}

		var in leadapi.LeadCreate
		if err := httpkit.DecodeJSON(body, &in); err != nil {
			requireClientError("decode LeadCreate", err)
		} else if c, err := in.ToCommand(); err != nil {
			requireClientError("LeadCreate.ToCommand", err)
		} else {
			if err := c.Fields.Validate(); err != nil {
				t.Fatalf("ToCommand accepted %q but Fields.Validate says %v", body, err)
			}
			if strings.TrimSpace(c.Fields.Name) == "" {
				t.Fatalf("ToCommand accepted %q with a blank name", body)
			}
			if c.Pool && c.OwnerID.String() != "00000000-0000-0000-0000-000000000000" {
				t.Fatalf("ToCommand accepted %q: a pool lead with an owner", body)
			}
			if n := c.Fields.NextFollowUpAt; n != nil && (n.Location() != time.UTC || n.Year() < 1900 || n.Year() > 9000) {
				t.Fatalf("ToCommand accepted %q with nextFollowUpAt %v", body, n)
			}
		}

		var p leadapi.LeadPatch
		if err := httpkit.DecodeJSON(body, &p); err != nil {
			requireClientError("decode LeadPatch", err)
		} else if patch, err := p.ToPatch(); err != nil {
			requireClientError("LeadPatch.ToPatch", err)
		} else {
			if patch == (lead.Patch{}) {
				t.Fatalf("ToPatch accepted %q as an empty patch", body)
			}
			if patch.Status != nil {
				if _, err := lead.ParseStatus(string(*patch.Status)); err != nil {
					t.Fatalf("ToPatch accepted %q with status %q", body, *patch.Status)
				}
			}
			if patch.NextFollowUpAt != nil && patch.ClearNextFollowUp {
				t.Fatalf("ToPatch accepted %q both setting and clearing nextFollowUpAt", body)
			}
		}
	})
}
