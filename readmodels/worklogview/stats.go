package worklogview

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/worklog"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// MaxStatsPeriods bounds the periods one statistics read covers (a year of days).
const MaxStatsPeriods = 366

// MaxStatsDepartments bounds the departments one statistics read lists.
const MaxStatsDepartments = 500

// StatsQuery asks for the submissions of one kind of log between two periods (their first days,
// both included), per department the reader's scope covers (or one of them).
type StatsQuery struct {
	Scope      readmodels.Scope
	Kind       worklog.Kind
	From, To   time.Time
	Department *uuid.UUID
}

// DepartmentStats are one department's figures: its active members now, the logs expected of
// them (members × periods), the logs submitted (by the writers who were in the department when
// they submitted) in all and per period.
type DepartmentStats struct {
	DepartmentID   uuid.UUID `json:"departmentId"`
	DepartmentName string    `json:"departmentName"`
	Members        int64     `json:"members"`
	Expected       int64     `json:"expected"`
	Submitted      int64     `json:"submitted"`
	ByPeriod       []int64   `json:"byPeriod"`
}

// Stats are the figures of a statistics read: the periods (their first days, in order) and a row
// per department, by department path.
type Stats struct {
	Kind      string            `json:"kind"`
	Periods   []string          `json:"periods"`
	Items     []DepartmentStats `json:"items"`
	Expected  int64             `json:"expected"`
	Submitted int64             `json:"submitted"`
}

// Periods are the first days of the periods of kind from from to to (both normalised, included).
func Periods(k worklog.Kind, from, to time.Time) []string {
	var out []string
	for p := worklog.Start(k, from); !p.After(to) && len(out) <= MaxStatsPeriods; p = worklog.Next(k, p) {
		out = append(out, p.Format(time.DateOnly))
	}
	return out
}

// Stats reads the counters: one row per department in scope, and one per department and period
// with submissions (by the counters' primary key).
func (v *Views) Stats(ctx context.Context, q StatsQuery) (*Stats, error) {
	periods := Periods(q.Kind, q.From, q.To)
	out := &Stats{Kind: string(q.Kind), Periods: periods, Items: []DepartmentStats{}}
	if len(periods) == 0 || q.Scope.None {
		return out, nil
	}
	depts, tree := v.Gens.Table(Projection, "worklog_depts"), v.Gens.Table(Projection, "worklog_org_depts")
	stmt := `SELECT d.id, d.name, d.members FROM ` + depts + ` d JOIN ` + tree + ` o ON o.id = d.id WHERE 1 = 1`
	var args []any
	switch {
	case q.Scope.All || q.Scope.Kind == role.ScopeAll:
	case q.Scope.Kind == role.ScopeDepartmentTree && q.Scope.DeptPath != "":
		stmt += ` AND o.path >= ? AND o.path < ?`
		args = append(args, q.Scope.DeptPath, q.Scope.DeptPath+"\uffff")
	case q.Scope.DepartmentID != uuid.Nil:
		stmt += ` AND d.id = ?`
		args = append(args, q.Scope.DepartmentID.String())
	default:
		return out, nil // no department: nothing in scope
	}
	if q.Department != nil {
		stmt += ` AND d.id = ?`
		args = append(args, q.Department.String())
	}
	stmt += ` ORDER BY o.path LIMIT ?`
	args = append(args, MaxStatsDepartments)
	rows, err := v.SQL.QueryContext(ctx, v.Q(stmt), args...)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for rows.Next() {
		var id string
		var s DepartmentStats
		if err := rows.Scan(&id, &s.DepartmentName, &s.Members); err != nil {
			rows.Close()
			return nil, err
		}
		s.DepartmentID, _ = uuid.Parse(id)
		s.Expected = s.Members * int64(len(periods))
		s.ByPeriod = make([]int64, len(periods))
		index[id] = len(out.Items)
		out.Items = append(out.Items, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.Items) == 0 {
		return out, nil
	}
	at := map[string]int{}
	for i, p := range periods {
		at[p] = i
	}
	ids := make([]any, 0, len(out.Items)+3)
	ids = append(ids, string(q.Kind))
	for _, s := range out.Items {
		ids = append(ids, s.DepartmentID.String())
	}
	ids = append(ids, periods[0], periods[len(periods)-1])
	crows, err := v.SQL.QueryContext(ctx, v.Q(`SELECT department_id, period, submitted FROM `+v.Gens.Table(Projection, "worklog_counts")+
		` WHERE kind = ? AND department_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(out.Items)), ",")+`) AND period >= ? AND period <= ?`), ids...)
	if err != nil {
		return nil, err
	}
	defer crows.Close()
	for crows.Next() {
		var dept, period string
		var n int64
		if err := crows.Scan(&dept, &period, &n); err != nil {
			return nil, err
		}
		i, ok1 := index[dept]
		p, ok2 := at[period]
		if !ok1 || !ok2 {
			continue
		}
		out.Items[i].ByPeriod[p] += n
		out.Items[i].Submitted += n
	}
	if err := crows.Err(); err != nil {
		return nil, err
	}
	for _, s := range out.Items {
		out.Expected += s.Expected
		out.Submitted += s.Submitted
	}
	return out, nil
}
