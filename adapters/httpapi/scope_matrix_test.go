package httpapi_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
)

// org is a three-level department tree with users at every level and roles of every scope:
//
//	总公司 (HQ)                      admin (all)
//	└─ 销售部 (Sales)                mgr (manager: department_tree)
//	   ├─ 华北组 (North)             lead (team_lead: self_and_subordinates), s1 (sales: self, reports to lead),
//	   │                              viewer (auditor: department, read-only, no pool)
//	   └─ 华南组 (South)             s2 (sales: self, reports to mgr)
type org struct {
	h         *apitest.Harness
	admin     string
	dept      map[string]string // name -> id
	id, token map[string]string // user -> id / token
}

func buildOrg(t *testing.T, h *apitest.Harness) *org {
	o := &org{h: h, admin: h.Login("admin", apitest.AdminPassword), dept: map[string]string{}, id: map[string]string{}, token: map[string]string{}}
	mk := func(name, parent string) {
		body := map[string]any{"name": name}
		if parent != "" {
			body["parentId"] = o.dept[parent]
		}
		o.dept[name] = h.Must(h.Do("POST", "/api/v1/departments", o.admin, body), 201).Body["id"].(string)
	}
	mk("总公司", "")
	mk("销售部", "总公司")
	mk("华北组", "销售部")
	mk("华南组", "销售部")
	h.Must(h.Do("POST", "/api/v1/roles", o.admin, map[string]any{"name": "team_lead", "displayName": "组长", "dataScope": "self_and_subordinates",
		"permissions": []string{"leads.read", "leads.create", "leads.update", "leads.assign", "leads.pool", "leads.release", "users.read"}}), 201)
	h.Must(h.Do("POST", "/api/v1/roles", o.admin, map[string]any{"name": "auditor", "displayName": "审计", "dataScope": "department",
		"permissions": []string{"leads.read", "users.read"}}), 201)
	user := func(name, role, dept, superior string) {
		id, tok := h.CreateUser(o.admin, name, role, o.dept[dept], o.id[superior])
		o.id[name], o.token[name] = id, tok
	}
	user("mgr", "manager", "销售部", "")
	user("lead", "team_lead", "华北组", "mgr")
	user("s1", "sales", "华北组", "lead")
	user("s2", "sales", "华南组", "mgr")
	user("viewer", "auditor", "华北组", "")
	o.id["admin"], o.token["admin"] = h.Must(h.Do("GET", "/api/v1/auth/me", o.admin, nil), 200).Body["id"].(string), o.admin
	return o
}

// lead creates a lead owned by owner ("" for the pool) as the administrator.
func (o *org) lead(owner, name string) string {
	body := map[string]any{"name": name, "company": "矩阵测试公司"}
	if owner == "" {
		body["pool"] = true
	} else if owner != "admin" {
		body["ownerId"] = o.id[owner]
	}
	return o.h.Must(o.h.Do("POST", "/api/v1/leads", o.admin, body), 201).Body["id"].(string)
}

// TestScopeMatrix: roles x data scopes x operations on both engines.
func TestScopeMatrix(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		o := buildOrg(t, h)
		owners := []string{"admin", "mgr", "lead", "s1", "s2", "viewer", ""}
		// sees[actor] lists the owners whose leads the actor sees ("" is the pool).
		sees := map[string][]string{
			"admin":  owners,
			"mgr":    {"mgr", "lead", "s1", "s2", "viewer", ""}, // the Sales subtree and the pool
			"lead":   {"lead", "s1", ""},                        // self and subordinates, pool
			"s1":     {"s1", ""},
			"s2":     {"s2", ""},
			"viewer": {"lead", "s1", "viewer"}, // department 华北组, no pool permission
		}
		can := map[string]map[string]bool{
			"admin":  {"update": true, "assign": true, "claim": true, "delete": true, "release": true},
			"mgr":    {"update": true, "assign": true, "claim": true, "delete": true, "release": true},
			"lead":   {"update": true, "assign": true, "claim": true, "release": true},
			"s1":     {"update": true, "claim": true, "delete": true, "release": true},
			"s2":     {"update": true, "claim": true, "delete": true, "release": true},
			"viewer": {},
		}
		leads := map[string]string{}
		for _, ow := range owners {
			leads[ow] = o.lead(ow, "线索-"+ow)
		}
		in := func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		}
		for actor, visible := range sees {
			tok := o.token[actor]
			t.Run("list/"+actor, func(t *testing.T) {
				var want []string
				for _, ow := range visible {
					want = append(want, leads[ow])
				}
				var got []string
				r := h.Must(h.Do("GET", "/api/v1/leads?q=线索-&limit=500", tok, nil), 200)
				for _, it := range r.Body["items"].([]any) {
					got = append(got, it.(map[string]any)["id"].(string))
				}
				sort.Strings(want)
				sort.Strings(got)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("%s lists %d leads, want %d (%v)", actor, len(got), len(want), visible)
				}
			})
			for _, ow := range owners {
				vis := in(visible, ow)
				name := fmt.Sprintf("%s/%s-lead", actor, map[bool]string{true: ow, false: "pool"}[ow != ""])
				t.Run("read/"+name, func(t *testing.T) {
					want := map[bool]int{true: 200, false: 404}[vis]
					h.Must(h.Do("GET", "/api/v1/leads/"+leads[ow], tok, nil), want)
				})
				t.Run("update/"+name, func(t *testing.T) {
					id := o.lead(ow, "改-"+ow)
					want := 404
					switch {
					case vis && !can[actor]["update"]:
						want = 403
					case vis && ow == "" && !can[actor]["assign"]:
						want = 403 // pool leads are changed by those who assign
					case vis:
						want = 200
					}
					h.Must(h.Do("PATCH", "/api/v1/leads/"+id, tok, map[string]any{"remark": "矩阵"}), want)
				})
				t.Run("delete/"+name, func(t *testing.T) {
					id := o.lead(ow, "删-"+ow)
					want := 404
					switch {
					case vis && (!can[actor]["delete"] || ow == "" && !can[actor]["assign"]):
						want = 403
					case vis:
						want = 204
					}
					h.Must(h.Do("DELETE", "/api/v1/leads/"+id, tok, nil), want)
				})
				for _, to := range []string{"s1", "s2"} {
					t.Run("assign-to-"+to+"/"+name, func(t *testing.T) {
						id := o.lead(ow, "派-"+ow)
						want := 404
						switch {
						case vis && !can[actor]["assign"]:
							want = 403
						case vis && !in(sees[actor], to):
							want = 403 // the new owner is outside the actor's scope
						case vis:
							want = 200
						}
						h.Must(h.Do("POST", "/api/v1/leads/"+id+"/assign", tok, map[string]any{"ownerId": o.id[to]}), want)
					})
				}
			}
			t.Run("claim/"+actor, func(t *testing.T) {
				id := o.lead("", "领-"+actor)
				want := map[bool]int{true: 200, false: 403}[can[actor]["claim"]]
				h.Must(h.Do("POST", "/api/v1/leads/"+id+"/claim", tok, nil), want)
			})
		}
	})
}

// TestScopesFollowTheOrganisation: moving a user or a department changes who sees what.
func TestScopesFollowTheOrganisation(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		o := buildOrg(t, h)
		l2 := o.lead("s2", "南方客户")
		h.Must(h.Do("GET", "/api/v1/leads/"+l2, o.token["viewer"], nil), 404)
		// s2 moves to 华北组: the department-scoped viewer there now sees s2's lead.
		mv := h.Must(h.Do("PATCH", "/api/v1/users/"+o.id["s2"], o.admin, map[string]any{"departmentId": o.dept["华北组"]}), 200)
		if mv.Body["departmentId"] != o.dept["华北组"] {
			t.Fatalf("move: %s", mv.Raw)
		}
		h.Must(h.Do("GET", "/api/v1/leads/"+l2, o.token["viewer"], nil, "X-Chronicle-Min-Position", mv.Header.Get("X-Chronicle-Position")), 200)
		// s2 now reports to lead: lead (self_and_subordinates) sees the lead too.
		h.Must(h.Do("GET", "/api/v1/leads/"+l2, o.token["lead"], nil), 404)
		sup := h.Must(h.Do("PATCH", "/api/v1/users/"+o.id["s2"], o.admin, map[string]any{"superiorId": o.id["lead"]}), 200)
		h.Must(h.Do("GET", "/api/v1/leads/"+l2, o.token["lead"], nil, "X-Chronicle-Min-Position", sup.Header.Get("X-Chronicle-Position")), 200)
		// A cycle in the superior chain is refused.
		h.Must(h.Do("PATCH", "/api/v1/users/"+o.id["lead"], o.admin, map[string]any{"superiorId": o.id["s2"]}), 422)
		// 华南组 moves out of 销售部 to the top: the manager of 销售部 no longer sees a lead owned there.
		s3ID, _ := h.CreateUser(o.admin, "s3", "sales", o.dept["华南组"])
		o.id["s3"] = s3ID
		l3 := o.lead("s3", "华南新客户")
		h.Must(h.Do("GET", "/api/v1/leads/"+l3, o.token["mgr"], nil), 200)
		dm := h.Must(h.Do("PATCH", "/api/v1/departments/"+o.dept["华南组"], o.admin, map[string]any{"parentId": nil}), 200)
		h.Must(h.Do("GET", "/api/v1/leads/"+l3, o.token["mgr"], nil, "X-Chronicle-Min-Position", dm.Header.Get("X-Chronicle-Position")), 404)
		// Moving a department under its own subtree is refused.
		h.Must(h.Do("PATCH", "/api/v1/departments/"+o.dept["总公司"], o.admin, map[string]any{"parentId": o.dept["华北组"]}), 422)
		// The claim cap: with a cap of 1, s1 (who owns one lead) cannot claim.
		o.lead("s1", "已有线索")
		h.Must(h.Do("PATCH", "/api/v1/settings", o.token["mgr"], map[string]any{"leadClaimCap": 1}), 403)
		st := h.Must(h.Do("PATCH", "/api/v1/settings", o.admin, map[string]any{"leadClaimCap": 1}), 200)
		pool := o.lead("", "公海线索")
		r := h.Must(h.Do("POST", "/api/v1/leads/"+pool+"/claim", o.token["s1"], nil, "X-Chronicle-Min-Position", st.Header.Get("X-Chronicle-Position")), 409)
		if r.Body["code"] != "pool_claim_limit_reached" {
			t.Fatalf("claim over the cap: %s", r.Raw)
		}
		// The operation log: the manager sees operations by members of 销售部's subtree only.
		audit := h.Must(h.Do("GET", "/api/v1/audit/events?limit=500", o.token["mgr"], nil, "X-Chronicle-Min-Position", st.Header.Get("X-Chronicle-Position")), 200)
		for _, it := range audit.Body["items"].([]any) {
			if a := it.(map[string]any)["actor"].(map[string]any)["id"]; a == o.id["admin"] {
				t.Fatal("the manager sees the administrator's operations")
			}
		}
		h.Must(h.Do("GET", "/api/v1/audit/events", o.token["s1"], nil), 403)
		// Built-in roles cannot be deleted.
		roles := h.Must(h.Do("GET", "/api/v1/roles", o.admin, nil), 200)
		for _, it := range roles.Body["items"].([]any) {
			if m := it.(map[string]any); m["name"] == "sales" {
				h.Must(h.Do("DELETE", "/api/v1/roles/"+m["id"].(string), o.admin, nil), 409)
			}
		}
	})
}
