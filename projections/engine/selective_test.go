package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/projtest"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// picky wants only the leads whose data names "要"; it counts the transactions it is given and
// writes a row per event it applies (a primary key: an event applied twice fails its page).
type picky struct {
	mu      sync.Mutex
	batches int
}

func (*picky) Name() string { return "picky" }
func (*picky) Schema(_ *readmodels.DB, gen int) []string {
	return []string{`CREATE TABLE ` + readmodels.TableName("picky", gen) + ` (position BIGINT PRIMARY KEY, stream_id TEXT NOT NULL)`}
}
func (*picky) Drop(_ *readmodels.DB, gen int) []string {
	return []string{`DROP TABLE IF EXISTS ` + readmodels.TableName("picky", gen)}
}
func (*picky) Wants(e eventstore.Event) bool { return strings.Contains(string(e.Data), "要") }
func (p *picky) NewBatch(tx *engine.Tx) engine.Batch {
	p.mu.Lock()
	p.batches++
	p.mu.Unlock()
	return pickyBatch{tx}
}

func (p *picky) transactions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.batches
}

// applied lists the streams of the rows the projection wrote, in log order.
func applied(t *testing.T, db *readmodels.DB) []string {
	t.Helper()
	rows, err := db.SQL.Query(`SELECT stream_id FROM ` + readmodels.TableName("picky", db.Gens.Active("picky")) + ` ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

type pickyBatch struct{ tx *engine.Tx }

func (b pickyBatch) Apply(ctx context.Context, e eventstore.Event) error {
	_, err := b.tx.Exec(ctx, `INSERT INTO `+b.tx.Table("picky")+` (position, stream_id) VALUES (?, ?)`, int64(e.Position), e.StreamID)
	return err
}
func (pickyBatch) Flush(context.Context) error { return nil }

func checkpointOf(t *testing.T, db *readmodels.DB, name string) uint64 {
	t.Helper()
	var pos int64
	if err := db.SQL.QueryRow(db.Q(`SELECT c.position FROM projection_checkpoints c JOIN projection_active a
		ON a.name = c.name AND a.generation = c.generation WHERE c.name = ?`), name).Scan(&pos); err != nil {
		t.Fatal(err)
	}
	return uint64(pos)
}

func waitCheckpoint(t *testing.T, db *readmodels.DB, name string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for checkpointOf(t, db, name) != want {
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint of %s in the database = %d, want %d", name, checkpointOf(t, db, name), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A projection that wants none of a page's events opens no transaction for it, yet its
// checkpoint moves past the page in the database soon after (a standby process follows it
// there), and it is given exactly the events it wants from mixed pages.
func TestSelectiveProjectionSkipsUnwantedPages(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			p := &picky{}
			env := projtest.Start(t, e, engine.Options{PageSize: 5}, p)
			ctx := context.Background()
			create := func(name string) (uint64, string) {
				res, err := env.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: name}})
				if err != nil {
					t.Fatal(err)
				}
				return res.Position, lead.StreamPrefix + "-" + res.ID.String()
			}
			wait := func(pos uint64) {
				t.Helper()
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if err := env.Engine.WaitFor(wctx, pos, "picky"); err != nil {
					t.Fatalf("picky did not reach %d: %v", pos, err)
				}
			}
			pos, _ := create("不相干")
			wait(pos)
			before := p.transactions()
			var last uint64
			for i := range 12 {
				last, _ = create(fmt.Sprintf("无关%d", i))
				wait(last)
			}
			// The row follows within the flush delay (standby processes read it).
			waitCheckpoint(t, env.DB, "picky", last)
			if n := p.transactions(); n != before {
				t.Fatalf("unwanted pages opened %d transactions", n-before)
			}
			var want []string
			for i := range 12 {
				name := fmt.Sprintf("无关%d", i)
				if i%4 == 0 {
					name = fmt.Sprintf("要%d", i)
				}
				pos, stream := create(name)
				if i%4 == 0 {
					want = append(want, stream)
				}
				last = pos
			}
			wait(last)
			if got := applied(t, env.DB); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("applied %v, want exactly the wanted events %v", got, want)
			}
			waitCheckpoint(t, env.DB, "picky", last)
		})
	}
}

// A checkpoint moved by someone else between pages is a conflict for the skip as for a page:
// the projection rereads it and goes on from there, applying nothing twice.
func TestSelectiveSkipRereadsAMovedCheckpoint(t *testing.T) {
	for _, e := range projtest.Backends() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			p := &picky{}
			env := projtest.Start(t, e, engine.Options{}, p)
			ctx := context.Background()
			res, err := env.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: "无关"}})
			if err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := env.Engine.WaitFor(wctx, res.Position, "picky"); err != nil {
				t.Fatal(err)
			}
			// Another writer moves the checkpoint past the next two events.
			if _, err := env.DB.SQL.Exec(env.DB.Q(`UPDATE projection_checkpoints SET position = ? WHERE name = ?`), int64(res.Position+2), "picky"); err != nil {
				t.Fatal(err)
			}
			var last string
			for _, name := range []string{"要1", "要2", "无关3", "要4"} {
				if res, err = env.Leads.Create(ctx, projtest.Manager, leadcmd.Create{Fields: lead.Fields{Name: name}}); err != nil {
					t.Fatal(err)
				}
				last = lead.StreamPrefix + "-" + res.ID.String()
			}
			deadline := time.Now().Add(10 * time.Second)
			for checkpointOf(t, env.DB, "picky") != res.Position {
				if time.Now().After(deadline) {
					t.Fatalf("checkpoint stuck at %d, want %d", checkpointOf(t, env.DB, "picky"), res.Position)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if got := applied(t, env.DB); len(got) != 1 || got[0] != last {
				t.Fatalf("applied %v, want only 要4's stream %s (the move covered 要1 and 要2)", got, last)
			}
		})
	}
}
