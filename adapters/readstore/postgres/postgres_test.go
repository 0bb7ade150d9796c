package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/adapters/readstore/postgres"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/readmodelstest"
)

// TestContract runs on a private schema per subtest; without CHRONICLE_TEST_POSTGRES_URL it is
// skipped, or fails when CHRONICLE_REQUIRE_POSTGRES=1.
func TestContract(t *testing.T) {
	readmodelstest.Run(t, func(t *testing.T) *readmodels.DB {
		db, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// The page-commit clause turns the flush off for the transaction of the statement it ends and
// for nothing after it: alone, the statement is its own transaction; in a transaction, the
// transaction's commit is the one affected.
func TestPageCommitClauseIsLocalToItsTransaction(t *testing.T) {
	db, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE page_commit_probe (id int PRIMARY KEY, n int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO page_commit_probe VALUES (1, 0)`); err != nil {
		t.Fatal(err)
	}
	setting := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) string {
		var v string
		if err := q.QueryRowContext(ctx, `SELECT current_setting('synchronous_commit')`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	update := `UPDATE page_commit_probe SET n = n + 1 WHERE id = $1` + postgres.Dialect{}.PageCommit()
	res, err := conn.ExecContext(ctx, update, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("the clause hides the rows affected: %d", n)
	}
	if v := setting(conn); v != "on" {
		t.Fatalf("after a statement alone, synchronous_commit = %s for the session, want on", v)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, update, 1); err != nil {
		t.Fatal(err)
	}
	if v := setting(tx); v != "off" {
		t.Fatalf("inside the page's transaction, synchronous_commit = %s, want off", v)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if v := setting(conn); v != "on" {
		t.Fatalf("after the page's transaction, synchronous_commit = %s, want on", v)
	}
}

// Maintain merges the pending lists of a table's GIN indexes (what an insert that finds one full
// would do inside its page).
func TestMaintainMergesGINPendingLists(t *testing.T) {
	db, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE TABLE maintain_probe (id int PRIMARY KEY, grams int[] NOT NULL)`,
		`CREATE INDEX maintain_probe_grams ON maintain_probe USING gin (grams) WITH (fastupdate = on)`,
		`INSERT INTO maintain_probe SELECT g, ARRAY[g % 97, g % 89, g % 83] FROM generate_series(1, 2000) g`,
	} {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	stmts := postgres.Dialect{}.Maintain([]string{"maintain_probe"})
	if len(stmts) != 1 {
		t.Fatalf("%d statements for one table", len(stmts))
	}
	merged := func() int64 {
		var n int64
		if err := db.SQL.QueryRowContext(ctx, stmts[0]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := merged(); n == 0 {
		t.Fatal("nothing was pending after 2,000 inserts, or Maintain did not merge it")
	}
	if n := merged(); n != 0 {
		t.Fatalf("%d pending pages left after Maintain", n)
	}
}
