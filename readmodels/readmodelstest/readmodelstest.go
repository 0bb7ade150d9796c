// Package readmodelstest is the contract suite every readmodels.Dialect adapter runs: it proves
// on a real engine that the SQL the views write once (? placeholders, {type} markers, the column
// table, keyword search, custom fields, the keyset list engine and the data scopes) means the same
// thing on every engine.
//
// An adapter's test is a few lines:
//
//	func TestContract(t *testing.T) {
//		readmodelstest.Run(t, func(t *testing.T) *readmodels.DB { return open(t) })
//	}
//
// open may return a fresh database per call or a shared one: every test creates its own uniquely
// named tables.
package readmodelstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// Factory returns a read-model database for one test; it registers its own cleanup.
type Factory func(t *testing.T) *readmodels.DB

// Run runs the whole contract against the databases open returns.
func Run(t *testing.T, open Factory) {
	for _, c := range []struct {
		name string
		run  func(*env)
	}{
		{"DDLMarkersAndRebind", testDDL},
		{"TimeRoundTrip", testTimes},
		{"TableRoundTrip", testTable},
		{"KeywordSearch", testSearch},
		{"SearchMatchesSubstring", testSearchProperty},
		{"UniqueViolation", testUnique},
		{"CustomFields", testCustom},
		{"KeysetList", testList},
		{"KeysetListIntegerKey", testListIntKey},
		{"ListValidation", testListValidation},
		{"ScopeCondition", testScope},
		{"ScopeUserCondition", testUserScope},
		{"ScopeBranches", testScopeBranches},
		{"ListPlans", testListPlans},
		{"MoneyIsExact", testMoney},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db := open(t)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // SQLite under -race beside other packages
			t.Cleanup(cancel)
			c.run(&env{T: t, db: db, ctx: ctx})
		})
	}
}

// env is one test's database and helpers that fail the test on error.
type env struct {
	*testing.T
	db  *readmodels.DB
	ctx context.Context
}

func (e *env) d() readmodels.Dialect { return e.db.Dialect }

// name is a table name unique to this test.
func (e *env) name(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// ddl runs statements through the dialect's DDL markers.
func (e *env) ddl(stmts ...string) {
	e.Helper()
	for _, s := range stmts {
		if _, err := e.db.SQL.ExecContext(e.ctx, e.d().DDL(s)); err != nil {
			e.Fatalf("%s: %v", e.d().DDL(s), err)
		}
	}
}

// exec runs a statement with ? placeholders.
func (e *env) exec(q string, args ...any) {
	e.Helper()
	if _, err := e.db.SQL.ExecContext(e.ctx, e.db.Q(q), args...); err != nil {
		e.Fatalf("%s %v: %v", q, args, err)
	}
}

// strings runs a query of one text column.
func (e *env) strings(q string, args ...any) []string {
	e.Helper()
	rows, err := e.db.SQL.QueryContext(e.ctx, e.db.Q(q), args...)
	if err != nil {
		e.Fatalf("%s %v: %v", q, args, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			e.Fatalf("%s: scan: %v", q, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		e.Fatalf("%s: %v", q, err)
	}
	return out
}

// sorted returns the strings in byte order (for comparing sets).
func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		s = []string{}
	}
	return s
}
