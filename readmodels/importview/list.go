package importview

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// Query filters the import history.
type Query struct {
	Scope    readmodels.Scope // whose imports (ScopeFor)
	By       *uuid.UUID       // only this user's
	Kinds    []string         // leads, customers, contacts, products
	Statuses []string         // as readers see them: an interrupted import is failed
	Now      time.Time        // judges interrupted imports (StaleAfter)
	Sort     string           // createdAt, -createdAt (default: newest first)
	Limit    int
	Cursor   string
}

// Sorts are the history's sorts: by start time, on the indexes imports_created and imports_by.
var Sorts = map[string]readmodels.SortColumn{"createdAt": {Column: "created_at", IsTime: true}}

var listSpec = readmodels.ListSpec[*Summary]{
	Table: "imports", Columns: summaryColumns, Sorts: Sorts, DefaultSort: "-createdAt",
	Scan:  func(row readmodels.Scanner) (*Summary, error) { return scanSummary(row) },
	Value: func(s *Summary, _ string) (any, string) { return &s.CreatedAt, s.ID.String() },
}

// List pages through the imports the scope covers, newest first. A reader with a narrow scope
// reads one branch per user in index order (imports_by); one who sees everyone walks
// imports_created. The count stops at readmodels.TotalBound.
func (db *Views) List(ctx context.Context, q Query) (readmodels.Page[*Summary], error) {
	lq := readmodels.ListQuery{Sort: q.Sort, Limit: q.Limit, Cursor: q.Cursor}
	users := db.UsersTable()
	cond, args := q.Scope.UserCondition(users, "actor_id")
	if q.By != nil {
		lq.Add("actor_id = ?", q.By.String())
	} else if cond != "" {
		branches, err := db.UserBranches(ctx, users, q.Scope, "actor_id")
		if err != nil {
			return readmodels.Page[*Summary]{}, err
		}
		lq.Branches = branches
	}
	if cond != "" {
		lq.Add(cond, args...)
	}
	if len(q.Kinds) > 0 {
		lq.Add("kind IN ("+placeholders(len(q.Kinds))+")", readmodels.AnySlice(q.Kinds)...)
	}
	if len(q.Statuses) > 0 {
		// A queued or running import that stopped saving progress is failed (settle).
		cutoff := db.Dialect.Time(q.Now.Add(-StaleAfter))
		var ors []string
		var a []any
		for _, s := range q.Statuses {
			switch s {
			case ImportQueued, ImportRunning:
				ors, a = append(ors, "(state = ? AND updated_at >= ?)"), append(a, s, cutoff)
			case ImportDone:
				ors, a = append(ors, "state = ?"), append(a, s)
			case ImportFailed:
				ors, a = append(ors, "state = ? OR (state IN (?, ?) AND updated_at < ?)"), append(a, s, ImportQueued, ImportRunning, cutoff)
			}
		}
		if len(ors) > 0 {
			lq.Add("("+strings.Join(ors, " OR ")+")", a...)
		}
	}
	page, err := readmodels.List(ctx, db.DB, listSpec, lq)
	if err != nil {
		return page, err
	}
	for _, s := range page.Items {
		s.settle(q.Now)
	}
	if err := db.names(ctx, page.Items); err != nil {
		return readmodels.Page[*Summary]{}, err
	}
	return page, nil
}
