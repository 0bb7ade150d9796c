package readmodelstest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// orgUser is a user and where they sit.
type orgUser struct {
	name string
	id   uuid.UUID
	p    access.Placement
}

// buildOrg places users in a department tree and a chain of superiors:
//
//	hq:    top (superior: none)                 other: peer (reports to top)
//	sales: mgr (reports to top)                 no department: loner (superior: none)
//	north: lead (reports to mgr), s1 (reports to lead)
//	south: s2 (reports to mgr)
func buildOrg() []orgUser {
	dept := map[string]uuid.UUID{}
	path := map[string]string{}
	mk := func(name, parent string) {
		dept[name] = uuid.New()
		path[name] = path[parent] + dept[name].String() + "/"
		if parent == "" {
			path[name] = "/" + path[name]
		}
	}
	mk("hq", "")
	mk("sales", "hq")
	mk("north", "sales")
	mk("south", "sales")
	mk("other", "hq")
	var users []orgUser
	byName := map[string]orgUser{}
	add := func(name, d, superior string) {
		u := orgUser{name: name, id: uuid.New(), p: access.Placement{SuperiorPath: "/"}}
		if d != "" {
			u.p.DepartmentID, u.p.DeptPath = dept[d], path[d]
		}
		if s, ok := byName[superior]; ok {
			u.p.SuperiorPath = s.p.SuperiorPath + s.id.String() + "/"
		}
		byName[name] = u
		users = append(users, u)
	}
	add("top", "hq", "")
	add("mgr", "sales", "top")
	add("lead", "north", "mgr")
	add("s1", "north", "lead")
	add("s2", "south", "mgr")
	add("peer", "other", "top")
	add("loner", "", "")
	return users
}

func actorOf(u orgUser, scope role.Scope) access.Actor {
	return access.Actor{ID: u.id, Name: u.name, Scope: scope, DepartmentID: u.p.DepartmentID, DeptPath: u.p.DeptPath, SuperiorPath: u.p.SuperiorPath}
}

func ownership(u orgUser) readmodels.Ownership {
	o := readmodels.Ownership{OwnerID: &u.id, OwnerDeptPath: u.p.DeptPath, OwnerSupPath: u.p.SuperiorPath}
	if u.p.DepartmentID != uuid.Nil {
		o.OwnerDeptID = u.p.DepartmentID.String()
	}
	return o
}

// testScope: for every actor, data scope and pool permission, Scope.Condition selects exactly
// the rows access.Actor.Covers admits (plus the pool when permitted).
func testScope(e *env) {
	users := buildOrg()
	ghost := orgUser{name: "ghost", id: uuid.New()} // an owner the organisation no longer places
	owners := append(slices.Clone(users), ghost)
	var rows []record
	name := map[string]string{} // row id -> description
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i, u := range owners {
		r := record{ID: uuid.New(), Name: u.name, CreatedBy: uuid.New(), At: at.Add(time.Duration(i) * time.Minute), Ownership: ownership(u)}
		rows = append(rows, r)
		name[r.ID.String()] = u.name
	}
	for i := range 2 {
		r := record{ID: uuid.New(), Name: "pool", CreatedBy: uuid.New(), At: at.Add(time.Hour), Ownership: readmodels.Ownership{InPool: true}}
		rows = append(rows, r)
		name[r.ID.String()] = fmt.Sprintf("pool%d", i)
	}
	t := e.name("scoped")
	e.insertRecords(t, rows)

	visible := func(s readmodels.Scope) []string {
		q := `SELECT id FROM ` + t
		cond, args := s.Condition()
		if cond != "" {
			q += ` WHERE ` + cond
		}
		var out []string
		for _, id := range e.strings(q, args...) {
			out = append(out, name[id])
		}
		return sorted(out)
	}
	seen := map[string][]string{} // "actor/scope/pool" -> visible rows
	for _, u := range users {
		for _, kind := range role.Scopes {
			for _, pool := range []bool{false, true} {
				a := actorOf(u, kind)
				var want []string
				for _, r := range rows {
					owner, p := uuid.Nil, access.Placement{}
					if r.OwnerID != nil {
						owner = *r.OwnerID
						for _, o := range owners {
							if o.id == owner {
								p = o.p
							}
						}
					}
					if a.Covers(owner, p) || (pool && r.InPool) {
						want = append(want, name[r.ID.String()])
					}
				}
				got := visible(readmodels.ScopeOf(a, pool))
				key := fmt.Sprintf("%s/%s/%v", u.name, kind, pool)
				seen[key] = got
				if !slices.Equal(got, sorted(want)) {
					e.Errorf("%s: Scope.Condition sees %v, Covers admits %v", key, got, sorted(want))
				}
			}
		}
	}
	if got := visible(readmodels.Scope{None: true, All: true}); len(got) != 0 {
		e.Errorf("Scope.None sees %v", got)
	}
	// The placements exercise every branch (so the comparison above is not vacuous).
	for key, want := range map[string][]string{
		"mgr/self/false":                  {"mgr"},
		"mgr/self/true":                   {"mgr", "pool0", "pool1"},
		"mgr/self_and_subordinates/false": {"lead", "mgr", "s1", "s2"},
		"top/self_and_subordinates/false": {"lead", "mgr", "peer", "s1", "s2", "top"},
		"lead/department/false":           {"lead", "s1"},
		"loner/department/false":          {"loner"},
		"mgr/department_tree/false":       {"lead", "mgr", "s1", "s2"},
		"top/department_tree/true":        {"lead", "mgr", "peer", "pool0", "pool1", "s1", "s2", "top"},
		"loner/department_tree/false":     {"loner"},
		"s1/all/false":                    {"ghost", "lead", "loner", "mgr", "peer", "pool0", "pool1", "s1", "s2", "top"},
	} {
		if got := seen[key]; !slices.Equal(got, sorted(want)) {
			e.Errorf("%s sees %v, want %v", key, got, sorted(want))
		}
	}
	// GetScoped applies the same condition.
	s1, s2 := rows[3], rows[4]
	lead := actorOf(users[2], role.ScopeSelfAndSubordinates)
	spec := idSpec(t)
	if got, err := readmodels.GetScoped(e.ctx, e.db, t, recordTable.Select(), readmodels.ScopeOf(lead, false), s1.ID, spec.Scan); err != nil || got.ID != s1.ID {
		e.Errorf("lead reads s1's row: %v", err)
	}
	if _, err := readmodels.GetScoped(e.ctx, e.db, t, recordTable.Select(), readmodels.ScopeOf(lead, false), s2.ID, spec.Scan); err != readmodels.ErrNotFound {
		e.Errorf("lead reads s2's row: %v, want ErrNotFound", err)
	}
}

// testUserScope: Scope.UserCondition places the users of a log (by a users table) exactly as
// access.Actor.Covers does.
func testUserScope(e *env) {
	users := buildOrg()
	ut, lt := e.name("users"), e.name("log")
	e.ddl(`CREATE TABLE `+ut+` (id TEXT PRIMARY KEY, department_id TEXT NOT NULL DEFAULT '', dept_path {path} NOT NULL DEFAULT '',
		superior_path {path} NOT NULL DEFAULT '/')`,
		`CREATE TABLE `+lt+` (id TEXT PRIMARY KEY, actor_id TEXT NOT NULL)`)
	for _, u := range users {
		dept := ""
		if u.p.DepartmentID != uuid.Nil {
			dept = u.p.DepartmentID.String()
		}
		e.exec(`INSERT INTO `+ut+` (id, department_id, dept_path, superior_path) VALUES (?, ?, ?, ?)`, u.id.String(), dept, u.p.DeptPath, u.p.SuperiorPath)
		e.exec(`INSERT INTO `+lt+` (id, actor_id) VALUES (?, ?)`, u.name, u.id.String())
	}
	e.exec(`INSERT INTO `+lt+` (id, actor_id) VALUES (?, ?)`, "ghost", uuid.NewString()) // not in the users table
	for _, u := range users {
		for _, kind := range role.Scopes {
			a := actorOf(u, kind)
			want := []string{}
			if kind == role.ScopeAll {
				want = append(want, "ghost")
			}
			for _, o := range users {
				if a.Covers(o.id, o.p) {
					want = append(want, o.name)
				}
			}
			q := `SELECT id FROM ` + lt
			cond, args := readmodels.ScopeOf(a, false).UserCondition(ut, "actor_id")
			if cond != "" {
				q += ` WHERE ` + cond
			}
			if got := sorted(e.strings(q, args...)); !slices.Equal(got, sorted(want)) {
				e.Errorf("%s/%s: UserCondition sees %v, Covers admits %v (%s)", u.name, kind, got, sorted(want), strings.TrimSpace(cond))
			}
		}
	}
}
