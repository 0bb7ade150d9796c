package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
)

func TestContract(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store { s, _ := openStore(t); return s })
}

// openStore opens a store on a private schema and returns it with its URL.
func openStore(tb testing.TB) (*Store, string) {
	tb.Helper()
	u := pgtest.URL(tb)
	s, err := Open(testCtx(tb), u)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s, u
}

func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

type appended struct {
	res eventstore.AppendResult
	err error
}

// appendAsync runs an append in a goroutine; the channel yields its outcome.
func appendAsync(ctx context.Context, s *Store, stream string, e eventstore.EventData) <-chan appended {
	done := make(chan appended, 1)
	go func() {
		res, err := s.Append(ctx, stream, eventstore.NoStream, []eventstore.EventData{e})
		done <- appended{res, err}
	}()
	return done
}

// waitForAppendLockWaiter waits until some session waits for AppendLockKey.
func waitForAppendLockWaiter(t *testing.T, ctx context.Context, s *Store) {
	t.Helper()
	key := uint64(AppendLockKey) // advisory bigint keys show as classid (high half), objid (low half)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		err := s.pool.QueryRow(ctx, `
			SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
			  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			  AND classid::bigint = $1 AND objid::bigint = $2`,
			int64(key>>32), int64(key&0xffffffff)).Scan(&waiting)
		if err != nil {
			t.Fatalf("query pg_locks: %v", err)
		}
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no session is waiting for the append lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expectBlocked fails if the append finishes within a while.
func expectBlocked(t *testing.T, done <-chan appended, what string) {
	t.Helper()
	select {
	case r := <-done:
		t.Fatalf("%s returned (%+v, %v) while a lower position was uncommitted", what, r.res, r.err)
	case <-time.After(300 * time.Millisecond):
	}
}

func receive(t *testing.T, done <-chan appended, what string) eventstore.AppendResult {
	t.Helper()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("%s: %v", what, r.err)
		}
		return r.res
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
	}
	panic("unreachable")
}

// expectLog checks that the whole log is exactly the given events, in increasing position order.
func expectLog(t *testing.T, ctx context.Context, s *Store, ids ...uuid.UUID) []eventstore.Event {
	t.Helper()
	got, err := s.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatalf("read all: %v", err)
	}
	if len(got) != len(ids) {
		t.Fatalf("read all returned %d events, want %d", len(got), len(ids))
	}
	for i, e := range got {
		if e.ID != ids[i] {
			t.Fatalf("event %d is %s, want %s", i, e.ID, ids[i])
		}
		if i > 0 && e.Position <= got[i-1].Position {
			t.Fatalf("position %d after %d", e.Position, got[i-1].Position)
		}
	}
	return got
}

// Append A takes a position and stalls before its commit. Append B of another process (another
// Store on the same database) must wait for A at the append lock, append C of the same process
// waits in the group-commit queue, and no reader may see any of them until A commits.
func TestNoSkippedEventsWhenLowerPositionCommitsLate(t *testing.T) {
	s, u := openStore(t)
	ctx := testCtx(t)
	other, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	streamA, streamB, streamC := eventstoretest.NewStream("lead"), eventstoretest.NewStream("customer"), eventstoretest.NewStream("lead")
	evA, evB, evC := eventstoretest.Event("lead.created.v1", "A"), eventstoretest.Event("customer.created.v1", "B"), eventstoretest.Event("lead.created.v1", "C")

	inserted, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	releaseA := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(releaseA) // before the stores' Close, which waits for A's connection
	s.beforeCommit = func(streams []string) {
		if slices.Contains(streams, streamA) {
			close(inserted)
			<-release
		}
	}

	doneA := appendAsync(ctx, s, streamA, evA)
	select {
	case <-inserted: // A holds its position and the lock
	case r := <-doneA:
		t.Fatalf("append A returned early: %+v, %v", r.res, r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("append A never reached its commit")
	}
	doneB := appendAsync(ctx, other, streamB, evB)
	doneC := appendAsync(ctx, s, streamC, evC)
	expectBlocked(t, doneB, "append B (another process)")
	expectBlocked(t, doneC, "append C (same process)")
	waitForAppendLockWaiter(t, ctx, s)
	expectLog(t, ctx, s) // neither A, B nor C is visible

	releaseA()
	resA := receive(t, doneA, "append A")
	resB := receive(t, doneB, "append B")
	resC := receive(t, doneC, "append C")
	if resA.Position >= resB.Position || resA.Position >= resC.Position {
		t.Fatalf("A at %d, B at %d, C at %d: A took its position first, so it must be lowest", resA.Position, resB.Position, resC.Position)
	}
	ids := []uuid.UUID{evA.ID, evB.ID, evC.ID}
	want := []uint64{resA.Position, resB.Position, resC.Position}
	if resC.Position < resB.Position {
		ids[1], ids[2], want[1], want[2] = ids[2], ids[1], want[2], want[1]
	}
	got := expectLog(t, ctx, s, ids...)
	for i := range got {
		if got[i].Position != want[i] {
			t.Fatalf("log position %d is %d; the append said %d", i, got[i].Position, want[i])
		}
	}
}

// A writer outside the adapter that follows the documented protocol (AppendLockKey first) holds
// a lower position in an open transaction: the adapter's append waits, and a reader checkpointing
// by position misses nothing.
func TestNoSkippedEventsWithForeignWriter(t *testing.T) {
	s, u := openStore(t)
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })

	rawInsert := func(tx pgx.Tx, id uuid.UUID) int64 {
		t.Helper()
		var pos int64
		err := tx.QueryRow(ctx, `
			INSERT INTO events (event_id, stream_id, version, type, occurred_at, data, metadata)
			VALUES ($1, $2, 1, 'import.row.v1', now(), '{"raw":true}', '{}') RETURNING position`,
			id.String(), eventstoretest.NewStream("import")).Scan(&pos)
		if err != nil {
			t.Fatalf("raw insert: %v", err)
		}
		return pos
	}

	t.Run("WithAppendLock", func(t *testing.T) {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(context.Background()) }()
		if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", AppendLockKey)); err != nil {
			t.Fatal(err)
		}
		rawID := uuid.Must(uuid.NewV7())
		rawPos := rawInsert(tx, rawID)

		head, _ := s.Head(ctx)
		ev := eventstoretest.Event("lead.created.v1", "adapter")
		done := appendAsync(ctx, s, eventstoretest.NewStream("lead"), ev)
		expectBlocked(t, done, "adapter append")
		waitForAppendLockWaiter(t, ctx, s)
		// A reader that polls now sees nothing new and keeps its checkpoint.
		if page, err := s.ReadAll(ctx, head, 100); err != nil || len(page) != 0 {
			t.Fatalf("read while the raw row is uncommitted: %d events, %v; want none", len(page), err)
		}

		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		res := receive(t, done, "adapter append")
		if res.Position <= uint64(rawPos) {
			t.Fatalf("adapter position %d not above the raw row's %d", res.Position, rawPos)
		}
		page, err := s.ReadAll(ctx, head, 100)
		if err != nil || len(page) != 2 || page[0].ID != rawID || page[1].ID != ev.ID ||
			page[0].Position != uint64(rawPos) || page[1].Position != res.Position {
			t.Fatalf("read after commit = %v, %v; want the raw row at %d, then the append at %d", page, err, rawPos, res.Position)
		}
	})

	// Control: a writer that skips the lock can commit a lower position after a higher one, and a
	// reader passes over it. This is why AppendLockKey is part of the table's protocol.
	t.Run("ControlWithoutLock", func(t *testing.T) {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(context.Background()) }()
		head, _ := s.Head(ctx)
		rawPos := rawInsert(tx, uuid.Must(uuid.NewV7()))
		res, err := s.Append(ctx, eventstoretest.NewStream("lead"), 0, []eventstore.EventData{eventstoretest.Event("lead.created.v1", 1)})
		if err != nil {
			t.Fatalf("append did not need to wait: %v", err)
		}
		page, err := s.ReadAll(ctx, head, 100)
		if err != nil || len(page) != 1 || page[0].Position != res.Position || res.Position <= uint64(rawPos) {
			t.Fatalf("read = %v, %v; want only the append at %d above the uncommitted %d", page, err, res.Position, rawPos)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if page, _ := s.ReadAll(ctx, res.Position, 100); len(page) != 0 {
			t.Fatalf("a reader past %d sees %d events", res.Position, len(page))
		}
	})
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("open of a closed port: err = %v, want an 'unreachable' error", err)
	}
}

func TestAppendErrors(t *testing.T) {
	s, _ := openStore(t)
	ctx := testCtx(t)
	e := eventstoretest.Event("lead.created.v1", 1)
	if _, err := s.Append(ctx, eventstoretest.NewStream("lead"), 0, []eventstore.EventData{e}); err != nil {
		t.Fatal(err)
	}
	// The same event id in another stream violates event_id's unique constraint.
	if _, err := s.Append(ctx, eventstoretest.NewStream("lead"), 0, []eventstore.EventData{e}); !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("reused event id: err = %v, want ErrConcurrency", err)
	}
	// jsonb can not hold \u0000.
	nul := eventstoretest.Event("lead.created.v1", "a\x00b")
	if _, err := s.Append(ctx, eventstoretest.NewStream("lead"), 0, []eventstore.EventData{nul}); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Fatalf("data with \\u0000: err = %v, want ErrInvalidEvent", err)
	}
	if n, err := s.CountAfter(ctx, 0); err != nil || n != 1 {
		t.Fatalf("count after 0 = %d, %v; want 1", n, err)
	}
}

// A subscription is woken by NOTIFY from another store (another process) well before the 1 s
// poll, also after its LISTEN connection was killed.
func TestSubscribeWokenByOtherProcess(t *testing.T) {
	base := pgtest.URL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	app := "chronicle-test-" + uuid.NewString()[:8]
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	ctx := testCtx(t)
	reader, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reader.Close() })
	writer, err := Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = writer.Close() })

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := reader.Subscribe(sctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(round int) {
		t.Helper()
		time.Sleep(200 * time.Millisecond) // let the subscription settle into its wait
		e := eventstoretest.Event("lead.created.v1", round)
		start := time.Now()
		if _, err := writer.Append(ctx, eventstoretest.NewStream("lead"), 0, []eventstore.EventData{e}); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-sub.Events():
			if got.ID != e.ID {
				t.Fatalf("round %d: delivered %s, want %s", round, got.ID, e.ID)
			}
			if d := time.Since(start); d > 600*time.Millisecond {
				t.Fatalf("round %d: delivered after %v; the notification did not wake the subscription", round, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: not delivered: %v", round, sub.Err())
		}
	}
	deliver(1)

	var killed bool
	if err := writer.pool.QueryRow(ctx, `
		SELECT coalesce(bool_or(pg_terminate_backend(pid)), false) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE 'LISTEN%'`, app).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the listener: %v, %v", killed, err)
	}
	time.Sleep(500 * time.Millisecond) // reconnect
	deliver(2)
}

func BenchmarkAppend(b *testing.B) {
	s, _ := openStore(b)
	eventstoretest.BenchmarkAppend(b, s)
}

// Positions within one append follow its versions, and metadata and times survive the trip.
func TestBatchPositionsFollowVersions(t *testing.T) {
	s, _ := openStore(t)
	ctx := testCtx(t)
	stream := eventstoretest.NewStream("lead")
	local := time.FixedZone("CST", 8*3600)
	in := make([]eventstore.EventData, 100)
	for i := range in {
		in[i] = eventstoretest.Event("step.v1", i)
		in[i].OccurredAt = time.Date(2026, 1, 2, 3, 4, 5, 123456789, local).Add(time.Duration(i) * time.Second)
	}
	res, err := s.Append(ctx, stream, 0, in)
	if err != nil || res.Version != 100 {
		t.Fatalf("append = %+v, %v", res, err)
	}
	out, err := s.Load(ctx, stream, eventstore.LoadOptions{})
	if err != nil || len(out) != 100 {
		t.Fatalf("load = %d events, %v", len(out), err)
	}
	for i, e := range out {
		if e.ID != in[i].ID || e.Version != int64(i+1) || e.Metadata != in[i].Metadata {
			t.Fatalf("event %d = %s v%d %+v", i, e.ID, e.Version, e.Metadata)
		}
		if want := in[i].OccurredAt.Truncate(time.Microsecond); !e.OccurredAt.Equal(want) || e.OccurredAt.Location() != time.UTC {
			t.Fatalf("event %d occurred at %v, want %v in UTC", i, e.OccurredAt, want)
		}
		if i > 0 && e.Position <= out[i-1].Position {
			t.Fatalf("version %d at position %d, after %d", e.Version, e.Position, out[i-1].Position)
		}
	}
	if out[99].Position != res.Position {
		t.Fatalf("last position %d, append said %d", out[99].Position, res.Position)
	}
}

func TestAppendEachReusedID(t *testing.T) {
	s, _ := openStore(t)
	eventstoretest.TestAppendEachReusedID(t, s)
}
