package audit_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/adapters/eventstore/postgres"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	rpostgres "github.com/chronicle-crm/chronicle/adapters/readstore/postgres"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// env is an event store and a read-model database of one engine, with raw SQL access to both
// (the tampering of the tests) and a way to open the event store afresh, as another process
// would (the PostgreSQL store answers its own appends from memory).
type env struct {
	engine string
	dir    string
	store  eventstore.Store
	db     *readmodels.DB
	events *sql.DB // the event store's database, for tampering
	reopen func(t *testing.T) eventstore.Store
}

var quiet = slog.New(slog.DiscardHandler)

func engines() []string { return []string{"sqlite", "postgres"} }

func open(t *testing.T, engine string) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{engine: engine, dir: t.TempDir()}
	switch engine {
	case "sqlite":
		path := filepath.Join(e.dir, "events.db")
		e.reopen = func(t *testing.T) eventstore.Store {
			s, err := esqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		e.store = e.reopen(t)
		db, err := rsqlite.Open(ctx, filepath.Join(e.dir, "readmodels.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		e.db = db
		raw, err := sql.Open("sqlite", esqlite.DSN(path))
		if err != nil {
			t.Fatal(err)
		}
		raw.SetMaxOpenConns(1)
		t.Cleanup(func() { raw.Close() })
		e.events = raw
	case "postgres":
		url := pgtest.URL(t)
		e.reopen = func(t *testing.T) eventstore.Store {
			s, err := postgres.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		e.store = e.reopen(t)
		db, err := rpostgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		e.db = db
		e.events = db.SQL // the same schema holds both
	}
	if err := audit.Prepare(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	return e
}

// exec runs statements on one connection of db (temporary tables live in a session).
func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// seedGap is the position the seeded log leaves empty, as a rolled-back append leaves one.
const seedGap = 151

var types = []string{"lead.created.v1", "lead.updated.v1", "lead.claimed.v1", "lead.released.v1", "lead.followed_up.v1", "lead.assigned.v1", "lead.deleted.v1"}

// seed appends n events (a lead per 5 events) in appends of up to 20, with a gap at seedGap.
// The data is written with spacing and member orders PostgreSQL's jsonb does not keep.
func seed(t *testing.T, e *env, n int) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC)
	var batch []eventstore.StreamAppend
	flush := func() {
		if len(batch) == 0 {
			return
		}
		out, err := e.store.AppendEach(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
		}
		batch = nil
	}
	var stream string
	for i := range n {
		if i == seedGap-1 {
			flush()
			switch e.engine {
			case "sqlite":
				exec(t, e.events, `UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'events'`)
			case "postgres":
				exec(t, e.events, `SELECT nextval(pg_get_serial_sequence('events', 'position'))`)
			}
		}
		if i%5 == 0 {
			stream = "lead-" + uuid.NewString()
		}
		data := fmt.Sprintf(`{"z": %d,  "remark": "第%d次回访：客户说下周再谈", "a": [1, 2.50, "王"]}`, i, i)
		meta := eventstore.Metadata{ActorID: uuid.NewString(), ActorName: fmt.Sprintf("销售%d", i%7), CorrelationID: uuid.NewString(),
			CausationID: fmt.Sprintf("req-%d", i), Command: "lead.update", RequestID: fmt.Sprintf("req-%d", i), ClientAddr: "198.51.100.7"}
		batch = append(batch, eventstore.StreamAppend{Stream: stream, ExpectedVersion: int64(i % 5), Events: []eventstore.EventData{{
			ID: uuid.Must(uuid.NewV7()), Type: types[i%len(types)], OccurredAt: at.Add(time.Duration(i) * time.Minute), Data: json.RawMessage(data), Metadata: meta}}})
		if len(batch) == 20 {
			flush()
		}
	}
	flush()
}

// sealed seeds 300 events, seals them (pages of 64) and anchors the head: the fixture of every
// tampering test. It returns the sealer and the anchored position.
func sealed(t *testing.T, e *env) (*audit.Sealer, uint64) {
	t.Helper()
	ctx := context.Background()
	seed(t, e, 300)
	s := audit.New(audit.Config{Store: e.store, DB: e.db, DataDir: e.dir, PageSize: 64, Logger: quiet})
	n, err := s.Run(ctx, "test")
	if err != nil || n != 300 {
		t.Fatalf("sealed %d events (%v), want 300", n, err)
	}
	st, err := s.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Position != 301 || st.Seq != 300 || st.AnchorPosition != 301 || st.Pending != 0 {
		t.Fatalf("after the first run: %+v", st)
	}
	// The anchor's own record is sealed by the next run, and makes no anchor by itself.
	if n, err := s.Run(ctx, "test"); err != nil || n != 1 {
		t.Fatalf("second run sealed %d (%v), want the anchor's record", n, err)
	}
	if st, _ := s.ReadState(ctx); st.AnchorPosition != 301 || st.Position != 302 || st.Pending != 0 {
		t.Fatalf("after the second run: %+v", st)
	}
	return s, 301
}

func verify(t *testing.T, e *env, s *audit.Sealer, from uint64) auditchain.Report {
	t.Helper()
	key, err := s.Key()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(context.Background(), e.reopen(t), e.db, audit.VerifyOptions{From: from, AnchorDir: s.AnchorDir, PublicKey: key.Public().(ed25519.PublicKey), PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestAuditUntouchedLogVerifies: a sealed and anchored log verifies on both engines (PostgreSQL
// hands jsonb back normalised: the sealer and the verifier hash what the store returns), from
// the start and from a sealed position; the key file is made 0600 and the anchor is one file.
func TestAuditUntouchedLogVerifies(t *testing.T) {
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) {
			e := open(t, engine)
			s, head := sealed(t, e)
			rep := verify(t, e, s, 0)
			if !rep.OK() || rep.Events != 301 || rep.Sealed != 301 || rep.Anchors != 1 || rep.Head != 302 || rep.Unsealed != 0 {
				t.Fatalf("untouched log: %+v", rep)
			}
			if rep := verify(t, e, s, 200); !rep.OK() || rep.Events != 103 || rep.Anchors != 1 {
				t.Fatalf("from 200: %+v", rep)
			}
			if _, err := audit.Verify(context.Background(), e.store, e.db, audit.VerifyOptions{From: seedGap, AnchorDir: t.TempDir()}); err == nil ||
				!strings.Contains(err.Error(), "not sealed") {
				t.Fatalf("from a position that holds no event: %v", err)
			}
			fi, err := os.Stat(filepath.Join(e.dir, audit.KeyFileName))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v %v", fi, err)
			}
			files, _ := filepath.Glob(filepath.Join(e.dir, "anchors", "*"))
			if len(files) != 1 || filepath.Base(files[0]) != audit.AnchorFileName(head) {
				t.Fatalf("anchor files %v", files)
			}
			// The log names the anchor, as the system actor.
			evs, err := e.store.Load(context.Background(), auditchain.AnchorStream, eventstore.LoadOptions{})
			if err != nil || len(evs) != 1 || evs[0].Type != "audit.anchored.v1" || evs[0].Metadata.ActorName != "system" {
				t.Fatalf("anchor stream %+v %v", evs, err)
			}
			var rec auditchain.Anchored
			if err := json.Unmarshal(evs[0].Data, &rec); err != nil || rec.Position != head || rec.Events != 300 {
				t.Fatalf("anchor record %+v %v", rec, err)
			}
		})
	}
}

// TestAuditTamperingIsCaught: each alteration of the event-store database, made with SQL on a
// fresh sealed and anchored log, is named by the first divergence: its kind and position.
func TestAuditTamperingIsCaught(t *testing.T) {
	type tamper struct {
		sqlite, postgres []string // statements on the event store
		chain            []string // statements on the read-model database
		kind             auditchain.Kind
		pos              uint64
		detail           string
	}
	swap := func() []string {
		return []string{
			`CREATE TEMP TABLE swap AS SELECT position, type, data FROM events WHERE position IN (60, 203)`,
			`UPDATE events SET type = (SELECT type FROM swap WHERE swap.position = 263 - events.position),
				data = (SELECT data FROM swap WHERE swap.position = 263 - events.position) WHERE position IN (60, 203)`,
		}
	}
	cases := map[string]tamper{
		"changed data": {
			sqlite:   []string{`UPDATE events SET data = json_set(data, '$.remark', '客户已签约') WHERE position = 40`},
			postgres: []string{`UPDATE events SET data = jsonb_set(data, '{remark}', '"客户已签约"') WHERE position = 40`},
			kind:     auditchain.Changed, pos: 40,
		},
		"changed actor": {
			sqlite:   []string{`UPDATE events SET metadata = json_set(metadata, '$.actorName', '另一个人') WHERE position = 77`},
			postgres: []string{`UPDATE events SET metadata = jsonb_set(metadata, '{actorName}', '"另一个人"') WHERE position = 77`},
			kind:     auditchain.Changed, pos: 77,
		},
		"deleted event": {
			sqlite:   []string{`DELETE FROM events WHERE position = 120`},
			postgres: []string{`DELETE FROM events WHERE position = 120`},
			kind:     auditchain.Missing, pos: 120,
		},
		"deleted event and its chain row": {
			sqlite:   []string{`DELETE FROM events WHERE position = 120`},
			postgres: []string{`DELETE FROM events WHERE position = 120`},
			chain:    []string{`DELETE FROM audit_chain WHERE position = 120`},
			kind:     auditchain.Missing, pos: 120,
		},
		"swapped events": {
			sqlite: swap(), postgres: swap(),
			kind: auditchain.Reordered, pos: 60, detail: "now at position 203",
		},
		"forged event": {
			sqlite: []string{`INSERT INTO events (position, event_id, stream_id, version, type, occurred_at, recorded_at, data, metadata)
				VALUES (151, '0190a000-0000-7000-8000-00000000f00d', 'lead-0190a000-0000-7000-8000-00000000f00d', 1, 'lead.created.v1', 1772442000000000, 1772442000000000, '{"name":"伪造"}', '{"actorName":"经理"}')`},
			postgres: []string{`INSERT INTO events (position, event_id, stream_id, version, type, occurred_at, data, metadata) OVERRIDING SYSTEM VALUE
				VALUES (151, '0190a000-0000-7000-8000-00000000f00d', 'lead-0190a000-0000-7000-8000-00000000f00d', 1, 'lead.created.v1', now(), '{"name":"伪造"}', '{"actorName":"经理"}')`},
			kind: auditchain.Forged, pos: 151,
		},
		"truncated": {
			sqlite:   []string{`DELETE FROM events WHERE position > 296`},
			postgres: []string{`DELETE FROM events WHERE position > 296`},
			kind:     auditchain.Missing, pos: 297,
		},
		// The chain rows past the cut are deleted too: the anchor outside the database still
		// covers position 301.
		"truncated with the chain": {
			sqlite:   []string{`DELETE FROM events WHERE position > 296`},
			postgres: []string{`DELETE FROM events WHERE position > 296`},
			chain:    []string{`DELETE FROM audit_chain WHERE position > 296`},
			kind:     auditchain.Missing, pos: 301, detail: "events after position 296 were deleted",
		},
		// A whole chain rewritten over altered data agrees with the log; the anchor does not.
		"changed data and a rewritten chain": {
			sqlite:   []string{`UPDATE events SET data = json_set(data, '$.remark', '客户已签约') WHERE position = 40`},
			postgres: []string{`UPDATE events SET data = jsonb_set(data, '{remark}', '"客户已签约"') WHERE position = 40`},
			chain:    []string{`DELETE FROM audit_chain`, `UPDATE audit_seal SET position = 0, seq = 0, hash = ` + zeroHashLiteral},
			kind:     auditchain.AnchorMismatch, pos: 301,
		},
	}
	for _, engine := range engines() {
		for name, c := range cases {
			t.Run(engine+"/"+name, func(t *testing.T) {
				e := open(t, engine)
				s, _ := sealed(t, e)
				stmts := c.sqlite
				if engine == "postgres" {
					stmts = c.postgres
				}
				exec(t, e.events, stmts...)
				chain := c.chain
				if engine == "postgres" {
					chain = pgChain(chain)
				}
				exec(t, e.db.SQL, chain...)
				if name == "changed data and a rewritten chain" {
					// the attacker reseals the altered log (without the key: no new anchor)
					s2 := audit.New(audit.Config{Store: e.reopen(t), DB: e.db, DataDir: filepath.Join(e.dir, "attacker"), Logger: quiet})
					if _, err := s2.Run(context.Background(), "attacker"); err != nil {
						t.Fatal(err)
					}
				}
				rep := verify(t, e, s, 0)
				if rep.OK() {
					t.Fatalf("verified: %+v", rep)
				}
				first := rep.Divergences[0]
				if first.Kind != c.kind || first.Position != c.pos || !strings.Contains(first.Detail, c.detail) {
					t.Fatalf("first divergence %v, want %s at %d (%q); all: %v", first, c.kind, c.pos, c.detail, rep.Divergences)
				}
			})
		}
	}
}

// zeroHashLiteral is 32 zero bytes as an SQLite blob literal (pgChain rewrites it).
const zeroHashLiteral = `X'0000000000000000000000000000000000000000000000000000000000000000'`

func pgChain(stmts []string) []string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = strings.ReplaceAll(s, zeroHashLiteral, `'\x0000000000000000000000000000000000000000000000000000000000000000'::bytea`)
	}
	return out
}

// TestAuditAnchorOnRequest: `chronicle audit anchor` asks the process holding the sealer's lease,
// which anchors on its next run; a request with nothing new since the last anchor is answered by
// it. A second process does not seal while the lease is held.
func TestAuditAnchorOnRequest(t *testing.T) {
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := open(t, engine)
			s, head := sealed(t, e)
			seed(t, e, 10) // positions 303..312 (after the anchor's record at 302)
			other := audit.New(audit.Config{Store: e.store, DB: e.db, DataDir: e.dir, Logger: quiet})
			if n, err := other.Run(ctx, "other"); err != nil || n != 0 {
				t.Fatalf("a second process sealed %d (%v) under another's lease", n, err)
			}
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { // the server's sealer
				defer close(done)
				for {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
						_, _ = s.Run(ctx, "test")
					}
				}
			}()
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			st, err := other.AnchorNow(wctx, "cli")
			close(stop)
			<-done
			if err != nil || st.AnchorPosition != 312 || st.Requested {
				t.Fatalf("anchor on request: %+v %v (anchored before at %d)", st, err, head)
			}
			if rep := verify(t, e, s, 0); !rep.OK() || rep.Anchors != 2 {
				t.Fatalf("after the requested anchor: %+v", rep)
			}
		})
	}
}

// TestAuditMissingAnchorFileIsCaught: the log names every anchor it made, so an anchor file
// deleted from the anchor directory is reported (the log itself untouched).
func TestAuditMissingAnchorFileIsCaught(t *testing.T) {
	for _, engine := range engines() {
		t.Run(engine, func(t *testing.T) {
			e := open(t, engine)
			s, head := sealed(t, e)
			if err := os.Remove(filepath.Join(s.AnchorDir, audit.AnchorFileName(head))); err != nil {
				t.Fatal(err)
			}
			rep := verify(t, e, s, 0)
			if rep.OK() || len(rep.Divergences) != 1 || rep.Divergences[0].Kind != auditchain.AnchorMissing || rep.Divergences[0].Position != head {
				t.Fatalf("a deleted anchor file: %+v", rep)
			}
		})
	}
}
