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
