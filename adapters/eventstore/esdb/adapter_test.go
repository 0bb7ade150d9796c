package esdb

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
)

// These tests drive the adapter through the real client library against the fake node of
// fake_test.go.

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAppendSendsExplicitIDsRevisionsAndMetadata(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	ctx := testCtx(t)
	stream := eventstoretest.NewStream("lead")
	first := []eventstore.EventData{chineseEvent(), eventstoretest.Event("lead.updated.v1", map[string]string{"备注": "回访"})}
	res, err := s.Append(ctx, stream, eventstore.NoStream, first)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 2 {
		t.Errorf("version after two events = %d, want 2", res.Version)
	}
	second := eventstoretest.Event("lead.claimed.v1", 1)
	res2, err := s.Append(ctx, stream, 2, []eventstore.EventData{second})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Version != 3 || res2.Position <= res.Position {
		t.Errorf("second append = %+v after %+v", res2, res)
	}

	appends := f.Appends()
	if len(appends) != 2 {
		t.Fatalf("%d appends reached the server, want 2", len(appends))
	}
	if _, ok := appends[0].options.GetExpectedStreamRevision().(*api.AppendReq_Options_NoStream); !ok {
		t.Errorf("first append expected %T, want NoStream", appends[0].options.GetExpectedStreamRevision())
	}
	if r, ok := appends[1].options.GetExpectedStreamRevision().(*api.AppendReq_Options_Revision); !ok || r.Revision != 1 {
		t.Errorf("append at version 2 expected %v, want revision 1", appends[1].options.GetExpectedStreamRevision())
	}
	sent := append(appends[0].messages, appends[1].messages...)
	want := append(first, second)
	for i, m := range sent {
		st := m.GetId().GetStructured()
		id, _ := esdb.ParseUUIDFromInt64(st.GetMostSignificantBits(), st.GetLeastSignificantBits())
		if id != want[i].ID {
			t.Errorf("event %d sent with id %s, want the caller's %s", i, id, want[i].ID)
		}
		if m.GetMetadata()["type"] != want[i].Type || m.GetMetadata()["content-type"] != "application/json" {
			t.Errorf("event %d system metadata = %v", i, m.GetMetadata())
		}
		var meta map[string]any
		if err := json.Unmarshal(m.GetCustomMetadata(), &meta); err != nil || meta["occurredAt"] == nil || meta["actorName"] != want[i].Metadata.ActorName {
			t.Errorf("event %d user metadata = %s (%v)", i, m.GetCustomMetadata(), err)
		}
	}
}

func TestAppendWrongVersionIsErrConcurrencyAndWritesNothing(t *testing.T) {
	t.Parallel()
	s, _ := openFake(t)
	ctx := testCtx(t)
	stream := eventstoretest.NewStream("lead")
	if _, err := s.Append(ctx, stream, 0, []eventstore.EventData{eventstoretest.Event("a.v1", 1)}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int64{0, 2, 9} {
		_, err := s.Append(ctx, stream, v, []eventstore.EventData{eventstoretest.Event("a.v1", 2)})
		if !errors.Is(err, eventstore.ErrConcurrency) {
			t.Errorf("append at version %d: err = %v, want ErrConcurrency", v, err)
		}
		if !isCode(err, esdb.ErrorCodeWrongExpectedVersion) {
			t.Errorf("append at version %d: the ESDB error is not kept: %v", v, err)
		}
		if err != nil && !strings.Contains(err.Error(), stream) {
			t.Errorf("error %q does not name the stream", err)
		}
	}
	out, err := s.Load(ctx, stream, eventstore.LoadOptions{})
	if err != nil || len(out) != 1 {
		t.Errorf("stream holds %d events (%v), want 1", len(out), err)
	}
}

func TestAppendRefusesSystemNamesBeforeCallingTheServer(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	ctx := testCtx(t)
	if _, err := s.Append(ctx, "$lead-1", 0, []eventstore.EventData{eventstoretest.Event("a.v1", 1)}); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("system stream: err = %v, want ErrInvalidEvent", err)
	}
	if _, err := s.Append(ctx, "lead-1", 0, []eventstore.EventData{eventstoretest.Event("$a", 1)}); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("system type: err = %v, want ErrInvalidEvent", err)
	}
	if _, err := s.Append(ctx, "lead-1", -1, []eventstore.EventData{eventstoretest.Event("a.v1", 1)}); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("negative version: err = %v, want ErrInvalidEvent", err)
	}
	if n := len(f.Appends()); n != 0 {
		t.Errorf("%d refused appends reached the server", n)
	}
}

func TestAppendOtherServerErrorsAreNotConcurrency(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	f.configure(func() { f.failAppend = statusPermissionDenied() })
	_, err := s.Append(testCtx(t), "lead-1", 0, []eventstore.EventData{eventstoretest.Event("a.v1", 1)})
	if err == nil || errors.Is(err, eventstore.ErrConcurrency) || !isCode(err, esdb.ErrorCodeAccessDenied) {
		t.Errorf("err = %v, want the access-denied ESDB error and not ErrConcurrency", err)
	}
}

func TestLoadMissingStreamIsEmpty(t *testing.T) {
	t.Parallel()
	s, _ := openFake(t)
	out, err := s.Load(testCtx(t), eventstoretest.NewStream("lead"), eventstore.LoadOptions{FromVersion: 3})
	if err != nil || out == nil || len(out) != 0 {
		t.Errorf("load of a missing stream = %#v, %v; want an empty slice", out, err)
	}
}

func TestLoadOnServerWithoutStreamPositions(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	f.configure(func() { f.legacyPositions = true })
	ctx := testCtx(t)
	stream := eventstoretest.NewStream("lead")
	in := []eventstore.EventData{chineseEvent(), eventstoretest.Event("b.v1", 2)}
	if _, err := s.Append(ctx, stream, 0, in); err != nil {
		t.Fatal(err)
	}
	out, err := s.Load(ctx, stream, eventstore.LoadOptions{})
	if err != nil || len(out) != 2 {
		t.Fatalf("load = %d events, %v", len(out), err)
	}
	for i, e := range out {
		if e.Position != 0 || e.ID != in[i].ID || e.Version != int64(i+1) || e.Metadata != in[i].Metadata {
			t.Errorf("event %d = %+v; want its fields and position 0 (unknown)", i, e)
		}
	}
	// $all still carries real positions.
	all, err := s.ReadAll(ctx, 0, 10)
	if err != nil || len(all) != 2 || all[0].Position == 0 || all[0].Position == math.MaxUint64 {
		t.Errorf("read all = %+v, %v", all, err)
	}
}

func TestLoadFailsOnMalformedEvent(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	f.Write("lead-1", "a.v1", []byte(`{}`), []byte(`{"occurredAt":"下周一"}`))
	if _, err := s.Load(testCtx(t), "lead-1", eventstore.LoadOptions{}); err == nil || !strings.Contains(err.Error(), "lead-1") {
		t.Errorf("load of a malformed event: err = %v", err)
	}
}

func TestLoadForeignEventWithoutMetadata(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	before := time.Now().Add(-time.Second)
	f.Write("lead-1", "imported.v1", []byte(`{"名称":"导入"}`), nil)
	out, err := s.Load(testCtx(t), "lead-1", eventstore.LoadOptions{})
	if err != nil || len(out) != 1 {
		t.Fatalf("load = %+v, %v", out, err)
	}
	if out[0].OccurredAt.Before(before) || out[0].Metadata != (eventstore.Metadata{}) {
		t.Errorf("event = %+v; want the server's created time and empty metadata", out[0])
	}
}

func TestReadAllHidesSystemEventsAndPages(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	f.configure(func() { f.noise = true })
	ctx := testCtx(t)
	var want []uuid.UUID
	for i := range 5 {
		stream := eventstoretest.NewStream("lead")
		e := eventstoretest.Event("a.v1", i)
		want = append(want, e.ID)
		if _, err := s.Append(ctx, stream, 0, []eventstore.EventData{e}); err != nil {
			t.Fatal(err)
		}
		// A long run of system events, longer than a page.
		for range 100 {
			f.Write("$stats-fake", "$statsCollected", []byte(`{}`), nil)
		}
	}
	all, err := s.ReadAll(ctx, 0, 100)
	if err != nil || len(all) != len(want) {
		t.Fatalf("read all = %d events, %v; want %d", len(all), err, len(want))
	}
	for limit := 1; limit <= 3; limit++ {
		var got []uuid.UUID
		after := uint64(0)
		for {
			page, err := s.ReadAll(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit {
				t.Fatalf("page of %d events, limit %d", len(page), limit)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				if e.Position <= after || strings.HasPrefix(e.StreamID, "$") {
					t.Fatalf("event %+v after %d", e, after)
				}
				got = append(got, e.ID)
				after = e.Position
			}
		}
		if len(got) != len(want) {
			t.Fatalf("limit %d: read %d events, want %d", limit, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("limit %d: event %d = %s, want %s", limit, i, got[i], want[i])
			}
		}
	}
	if page, err := s.ReadAll(ctx, 0, 0); err != nil || len(page) != 0 {
		t.Errorf("limit 0 = %d events, %v", len(page), err)
	}
}

func TestHeadSkipsSystemEvents(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	ctx := testCtx(t)
	if h, err := s.Head(ctx); err != nil || h != 0 {
		t.Errorf("head of a log of system events = %d, %v; want 0", h, err)
	}
	res, err := s.Append(ctx, eventstoretest.NewStream("lead"), 0, []eventstore.EventData{eventstoretest.Event("a.v1", 1)})
	if err != nil {
		t.Fatal(err)
	}
	for range 2*headPage + 3 { // more than two pages of system events after it
		f.Write("$stats-fake", "$statsCollected", []byte(`{}`), nil)
	}
	f.Write("$projections-fake", "checkpoint", []byte(`{}`), nil)
	if h, err := s.Head(ctx); err != nil || h != res.Position {
		t.Errorf("head = %d, %v; want %d", h, err, res.Position)
	}
}

func TestSubscribeHidesSystemEventsAndDeliversInOrder(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	f.configure(func() { f.noise = true })
	ctx := testCtx(t)
	var want []uuid.UUID
	appendOne := func(i int) {
		e := eventstoretest.Event("a.v1", i)
		want = append(want, e.ID)
		if _, err := s.Append(ctx, eventstoretest.NewStream("lead"), 0, []eventstore.EventData{e}); err != nil {
			t.Error(err)
		}
	}
	appendOne(0)
	appendOne(1)
	sub, err := s.Subscribe(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	appendOne(2)
	prev := uint64(0)
	for i := range 3 {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				t.Fatalf("closed: %v", sub.Err())
			}
			if e.ID != want[i] || e.Position <= prev || strings.HasPrefix(e.StreamID, "$") {
				t.Fatalf("event %d = %+v, want %s after %d", i, e, want[i], prev)
			}
			prev = e.Position
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out at event %d", i)
		}
	}
	select {
	case e := <-sub.Events():
		t.Errorf("unexpected event %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestSubscriptionDropSetsErr(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	sub, err := s.Subscribe(testCtx(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	f.DropSubscriptions()
	waitClosed(t, sub)
	if err := sub.Err(); err == nil || errors.Is(err, ErrClosed) {
		t.Errorf("err after a drop = %v, want the drop", err)
	}
}

func TestSubscriptionStopsAtMalformedEvent(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	sub, err := s.Subscribe(testCtx(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write("lead-1", "a.v1", []byte(`not json`), nil)
	waitClosed(t, sub)
	if err := sub.Err(); err == nil || !strings.Contains(err.Error(), "lead-1") {
		t.Errorf("err = %v, want one naming the malformed event", err)
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	s, _ := openFake(t)
	sub, err := s.Subscribe(testCtx(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, sub)
	if !errors.Is(sub.Err(), ErrClosed) {
		t.Errorf("err after Close = %v, want ErrClosed", sub.Err())
	}
	if _, err := s.Subscribe(testCtx(t), 0); !errors.Is(err, ErrClosed) {
		t.Errorf("subscribe after Close: err = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func waitClosed(t *testing.T, sub eventstore.Subscription) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("subscription did not close")
		}
	}
}

func TestStoreRecoversAfterTheClientGaveUp(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	ctx := testCtx(t)
	if _, err := s.Head(ctx); err != nil {
		t.Fatal(err)
	}
	f.Stop()
	// The outage outlasts discovery: the library closes its client for good.
	var err error
	for range 4 {
		if _, err = s.Head(ctx); err == nil {
			t.Fatal("head succeeded with the server down")
		}
	}
	if !isCode(err, esdb.ErrorCodeConnectionClosed) {
		t.Logf("last error while down: %v", err)
	}
	back := startFakeAt(t, f.addr)
	res, err := s.Append(ctx, "lead-1", 0, []eventstore.EventData{eventstoretest.Event("a.v1", 1)})
	for i := 0; err != nil && i < 3; i++ {
		res, err = s.Append(ctx, "lead-1", 0, []eventstore.EventData{eventstoretest.Event("a.v1", 1)})
	}
	if err != nil {
		t.Fatalf("store did not recover once the server was back: %v", err)
	}
	if h, err := s.Head(ctx); err != nil || h != res.Position || len(back.Appends()) == 0 {
		t.Errorf("head after recovery = %d, %v; want %d", h, err, res.Position)
	}
}

func TestOpenFailsFastOnRefusedConnection(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	start := time.Now()
	_, err = Open(testCtx(t), "esdb://admin:s3cret@"+addr+"?tls=false&maxDiscoverAttempts=1")
	if err == nil {
		t.Fatal("open of a closed port succeeded")
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("open took %v", time.Since(start))
	}
	if msg := err.Error(); !strings.Contains(msg, "not reachable") || !strings.Contains(msg, addr) || strings.Contains(msg, "s3cret") {
		t.Errorf("error %q: want a clear message naming the address, without the password", msg)
	}
}

func TestOpenHonoursContextDeadline(t *testing.T) {
	t.Parallel()
	// A server that accepts connections and never answers.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lis.Close() })
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Open(ctx, "esdb://"+lis.Addr().String()+"?tls=false")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("open took %v with a 300ms deadline", took)
	}
}

func TestOpenRejectsBadConnectionStrings(t *testing.T) {
	t.Parallel()
	for _, conn := range []string{
		"http://localhost:2113",
		"esdb://admin:s3cret@localhost:notaport?tls=false",
		"esdb://admin:s3cret@localhost:2113?tls=maybe",
		"",
	} {
		_, err := Open(testCtx(t), conn)
		if err == nil {
			t.Errorf("%q: no error", conn)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: error reveals the password: %v", conn, err)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"esdb://localhost:2113?tls=false":                     "esdb://localhost:2113?tls=false",
		"esdb://admin:changeit@localhost:2113?tls=false":      "esdb://admin:xxxxx@localhost:2113?tls=false",
		"esdb+discover://admin:p@ss@cluster.local:2113":       "esdb+discover://admin:xxxxx@cluster.local:2113",
		"esdb://admin:changeit@h1:2113,h2:2113,h3:2113?tls=1": "esdb://admin:xxxxx@h1:2113,h2:2113,h3:2113?tls=1",
		"esdb://admin@localhost:2113":                         "esdb://admin@localhost:2113",
		"localhost:2113":                                      "connection string",
	}
	for in, want := range cases {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
