package esdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

func TestExpectedRevisionMapsOneBasedVersionsToZeroBasedRevisions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		version int64
		want    esdb.ExpectedRevision
	}{
		{eventstore.NoStream, esdb.NoStream{}},
		{1, esdb.Revision(0)},
		{2, esdb.Revision(1)},
		{10, esdb.Revision(9)},
		{math.MaxInt64, esdb.Revision(math.MaxInt64 - 1)},
	}
	for _, c := range cases {
		if got := expectedRevision(c.version); got != c.want {
			t.Errorf("expectedRevision(%d) = %#v, want %#v", c.version, got, c.want)
		}
	}
	// Never Any: ESDB's default checks nothing.
	for _, v := range []int64{0, 1, 7} {
		if _, any := expectedRevision(v).(esdb.Any); any {
			t.Errorf("expectedRevision(%d) is Any", v)
		}
	}
}

func TestStreamStartMapsFromVersionToRevision(t *testing.T) {
	t.Parallel()
	cases := []struct {
		from int64
		want esdb.StreamPosition
	}{
		{-1, esdb.Start{}},
		{0, esdb.Start{}},
		{1, esdb.Start{}},
		{2, esdb.Revision(1)},
		{3, esdb.Revision(2)},
	}
	for _, c := range cases {
		if got := streamStart(c.from); got != c.want {
			t.Errorf("streamStart(%d) = %#v, want %#v", c.from, got, c.want)
		}
	}
}

func TestAllFromAndPositionFilter(t *testing.T) {
	t.Parallel()
	if got := allFrom(0); got != (esdb.Start{}) {
		t.Errorf("allFrom(0) = %#v, want Start", got)
	}
	if got := allFrom(4242); got != (esdb.Position{Commit: 4242, Prepare: 4242}) {
		t.Errorf("allFrom(4242) = %#v", got)
	}
	cases := []struct {
		pos, after uint64
		want       bool
	}{
		{1, 0, true}, {0, 0, false}, {99, 100, false}, {100, 100, false}, {101, 100, true},
	}
	for _, c := range cases {
		if got := isAfter(c.pos, c.after); got != c.want {
			t.Errorf("isAfter(%d, %d) = %v, want %v", c.pos, c.after, got, c.want)
		}
	}
}

func TestIsSystem(t *testing.T) {
	t.Parallel()
	cases := []struct {
		stream, typ string
		want        bool
	}{
		{"lead-0190", "lead.created.v1", false},
		{"lead-0190", "$>", true},
		{"$ce-lead", "$>", true},
		{"$stats-127.0.0.1:2113", "$statsCollected", true},
		{"$projections-x-checkpoint", "checkpoint", true}, // an ordinary type in a system stream
		{"$$lead-0190", "$metadata", true},
		{"lead-$x", "lead.created.v1", false},
		{"客户-1", "客户.创建.v1", false},
	}
	for _, c := range cases {
		if got := isSystem(c.stream, c.typ); got != c.want {
			t.Errorf("isSystem(%q, %q) = %v, want %v", c.stream, c.typ, got, c.want)
		}
	}
}

func TestCheckNamesRefusesSystemNames(t *testing.T) {
	t.Parallel()
	ok := eventstore.EventData{Type: "lead.created.v1"}
	if err := checkNames("lead-1", []eventstore.EventData{ok}); err != nil {
		t.Errorf("ordinary names: %v", err)
	}
	if err := checkNames("$lead-1", []eventstore.EventData{ok}); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("system stream: err = %v, want ErrInvalidEvent", err)
	}
	bad := eventstore.EventData{Type: "$lead.created"}
	if err := checkNames("lead-1", []eventstore.EventData{ok, bad}); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("system type: err = %v, want ErrInvalidEvent", err)
	}
}

func chineseEvent() eventstore.EventData {
	return eventstore.EventData{
		ID:         uuid.Must(uuid.NewV7()),
		Type:       "lead.created.v1",
		OccurredAt: time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.FixedZone("CST", 8*3600)),
		Data:       json.RawMessage(`{"name":"王小明","company":"北京星河科技有限公司","remark":"客户希望下周回访 — ✓ 😀 <b>&</b>"}`),
		Metadata: eventstore.Metadata{
			ActorID: "u-1", ActorName: "张伟 & 李娜", CorrelationID: "c-1", CausationID: "k-1",
			Command: "lead.create", RequestID: "请求-1", ClientAddr: "[::1]:443",
		},
	}
}

func TestToProposed(t *testing.T) {
	t.Parallel()
	in := chineseEvent()
	p, err := toProposed(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.EventID != in.ID || p.EventType != in.Type || p.ContentType != esdb.ContentTypeJson {
		t.Errorf("proposed = %s %q %v, want %s %q JSON", p.EventID, p.EventType, p.ContentType, in.ID, in.Type)
	}
	if string(p.Data) != string(in.Data) {
		t.Errorf("data = %s, want the caller's bytes %s", p.Data, in.Data)
	}
	var meta map[string]string
	if err := json.Unmarshal(p.Metadata, &meta); err != nil {
		t.Fatalf("metadata is not a JSON object: %v (%s)", err, p.Metadata)
	}
	want := map[string]string{
		"actorId": "u-1", "actorName": "张伟 & 李娜", "correlationId": "c-1", "causationId": "k-1",
		"command": "lead.create", "requestId": "请求-1", "clientAddr": "[::1]:443",
		"occurredAt": "2026-03-01T01:30:15.123456789Z",
	}
	if fmt.Sprint(meta) != fmt.Sprint(want) {
		t.Errorf("metadata = %v\nwant       %v", meta, want)
	}
	if !strings.Contains(string(p.Metadata), `"张伟 & 李娜"`) {
		t.Errorf("metadata escapes text: %s", p.Metadata)
	}
}

func TestToProposedOmitsEmptyMetadataFields(t *testing.T) {
	t.Parallel()
	in := chineseEvent()
	in.Metadata = eventstore.Metadata{}
	p, err := toProposed(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Metadata); got != `{"occurredAt":"2026-03-01T01:30:15.123456789Z"}` {
		t.Errorf("metadata = %s", got)
	}
}

// recorded builds what the client library hands over for a proposed event once stored.
func recorded(p esdb.EventData, stream string, revision, pos uint64) *esdb.RecordedEvent {
	return &esdb.RecordedEvent{
		EventID: p.EventID, EventType: p.EventType, ContentType: "application/json",
		StreamID: stream, EventNumber: revision,
		Position:    esdb.Position{Commit: pos, Prepare: pos},
		CreatedDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		Data:        p.Data, UserMetadata: p.Metadata,
	}
}

func TestRoundTripThroughTranslation(t *testing.T) {
	t.Parallel()
	in := chineseEvent()
	p, err := toProposed(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fromRecorded(recorded(p, "lead-1", 0, 1234), 1234)
	if err != nil {
		t.Fatal(err)
	}
	if out.ID != in.ID || out.Type != in.Type || out.StreamID != "lead-1" || out.Position != 1234 {
		t.Errorf("event = %s %q %q @%d", out.ID, out.Type, out.StreamID, out.Position)
	}
	if out.Version != 1 {
		t.Errorf("revision 0 became version %d, want 1", out.Version)
	}
	if !out.OccurredAt.Equal(in.OccurredAt) || out.OccurredAt.Location() != time.UTC {
		t.Errorf("occurredAt = %v, want %v in UTC (not the server's created time)", out.OccurredAt, in.OccurredAt)
	}
	if string(out.Data) != string(in.Data) {
		t.Errorf("data = %s, want %s", out.Data, in.Data)
	}
	if out.Metadata != in.Metadata {
		t.Errorf("metadata = %+v, want %+v", out.Metadata, in.Metadata)
	}
}

func TestFromRecordedVersionIsRevisionPlusOne(t *testing.T) {
	t.Parallel()
	p, _ := toProposed(chineseEvent())
	for _, rev := range []uint64{0, 1, 41} {
		out, err := fromRecorded(recorded(p, "lead-1", rev, 10), 10)
		if err != nil || out.Version != int64(rev)+1 {
			t.Errorf("revision %d: version %d (%v), want %d", rev, out.Version, err, rev+1)
		}
	}
}

func TestDecodeMetadata(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 1, 30, 15, 5, time.UTC)
	cases := []struct {
		name     string
		raw      string
		want     eventstore.Metadata
		wantTime time.Time // zero: no time
		wantErr  bool
	}{
		{name: "empty", raw: ""},
		{name: "blank", raw: " \n"},
		{name: "null", raw: "null"},
		{name: "empty object", raw: "{}"},
		{name: "no time", raw: `{"actorName":"李四"}`, want: eventstore.Metadata{ActorName: "李四"}},
		{name: "unknown fields", raw: `{"$correlationId":"x","actorId":"a","occurredAt":"2026-03-01T01:30:15.000000005Z","extra":[1]}`,
			want: eventstore.Metadata{ActorID: "a"}, wantTime: at},
		{name: "offset", raw: `{"occurredAt":"2026-03-01T09:30:15.000000005+08:00"}`, wantTime: at},
		{name: "no fraction", raw: `{"occurredAt":"2026-03-01T01:30:15Z"}`, wantTime: at.Truncate(time.Second)},
		{name: "escaped text", raw: `{"actorName":"\u5f20\u4f1f"}`, want: eventstore.Metadata{ActorName: "张伟"}},
		{name: "array", raw: `[1,2]`, wantErr: true},
		{name: "not JSON", raw: `actor=张伟`, wantErr: true},
		{name: "truncated", raw: `{"actorName":"张`, wantErr: true},
		{name: "bad time", raw: `{"occurredAt":"yesterday"}`, wantErr: true},
		{name: "numeric time", raw: `{"occurredAt":1700000000}`, wantErr: true},
		{name: "wrong field type", raw: `{"actorId":42}`, wantErr: true},
	}
	for _, c := range cases {
		m, tm, hasTime, err := decodeMetadata([]byte(c.raw))
		if c.wantErr {
			if err == nil {
				t.Errorf("%s: no error", c.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m != c.want {
			t.Errorf("%s: metadata = %+v, want %+v", c.name, m, c.want)
		}
		if hasTime != !c.wantTime.IsZero() || !tm.Equal(c.wantTime) {
			t.Errorf("%s: time = %v (%v), want %v", c.name, tm, hasTime, c.wantTime)
		}
	}
}

func TestFromRecordedWithoutOccurredAtUsesCreatedTime(t *testing.T) {
	t.Parallel()
	r := &esdb.RecordedEvent{
		EventID: uuid.New(), EventType: "legacy.v1", StreamID: "lead-1", EventNumber: 3,
		Position: esdb.Position{Commit: 7, Prepare: 7}, CreatedDate: time.Date(2025, 1, 2, 3, 4, 5, 600, time.UTC),
		Data: []byte(`{"备注":"旧数据"}`),
	}
	out, err := fromRecorded(r, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !out.OccurredAt.Equal(r.CreatedDate) || out.Metadata != (eventstore.Metadata{}) || out.Version != 4 {
		t.Errorf("event = %+v", out)
	}
}

func TestFromRecordedRefusesMalformedEvents(t *testing.T) {
	t.Parallel()
	p, _ := toProposed(chineseEvent())
	cases := map[string]func(r *esdb.RecordedEvent){
		"metadata not JSON":   func(r *esdb.RecordedEvent) { r.UserMetadata = []byte("张伟") },
		"metadata array":      func(r *esdb.RecordedEvent) { r.UserMetadata = []byte(`["张伟"]`) },
		"occurredAt not time": func(r *esdb.RecordedEvent) { r.UserMetadata = []byte(`{"occurredAt":"下周"}`) },
		"binary data":         func(r *esdb.RecordedEvent) { r.Data = []byte{0xff, 0x00} },
		"empty data":          func(r *esdb.RecordedEvent) { r.Data = nil },
	}
	for name, spoil := range cases {
		r := recorded(p, "lead-坏", 5, 99)
		spoil(r)
		_, err := fromRecorded(r, 99)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		// The error names the event so an operator can find it.
		if msg := err.Error(); !strings.Contains(msg, p.EventID.String()) || !strings.Contains(msg, "lead-坏@5") {
			t.Errorf("%s: error %q does not name the event", name, msg)
		}
	}
	if _, err := fromRecorded(nil, 0); err == nil {
		t.Error("nil recorded event: no error")
	}
	if _, err := fromResolved(&esdb.ResolvedEvent{}); err == nil {
		t.Error("resolved event without event: no error")
	}
}

func TestPosition(t *testing.T) {
	t.Parallel()
	commit := func(v uint64) *uint64 { return &v }
	ev := func(c uint64) *esdb.RecordedEvent {
		return &esdb.RecordedEvent{Position: esdb.Position{Commit: c, Prepare: c}}
	}
	cases := []struct {
		name string
		r    esdb.ResolvedEvent
		want uint64
	}{
		{"from $all", esdb.ResolvedEvent{Event: ev(500), Commit: commit(500)}, 500},
		{"from a stream, new server", esdb.ResolvedEvent{Event: ev(500)}, 500},
		{"from a stream, old server", esdb.ResolvedEvent{Event: ev(math.MaxUint64)}, 0},
		{"unknown in event, known in read", esdb.ResolvedEvent{Event: ev(math.MaxUint64), Commit: commit(77)}, 77},
		{"unknown everywhere", esdb.ResolvedEvent{Event: ev(math.MaxUint64), Commit: commit(math.MaxUint64)}, 0},
	}
	for _, c := range cases {
		if got := position(&c.r); got != c.want {
			t.Errorf("%s: position = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestSystemEvent(t *testing.T) {
	t.Parallel()
	mk := func(stream, typ string) *esdb.ResolvedEvent {
		return &esdb.ResolvedEvent{Event: &esdb.RecordedEvent{StreamID: stream, EventType: typ}}
	}
	if systemEvent(mk("lead-1", "lead.created.v1")) {
		t.Error("user event counted as system")
	}
	if !systemEvent(mk("$stats-x", "$statsCollected")) || !systemEvent(mk("$projections-x", "checkpoint")) || !systemEvent(mk("lead-1", "$>")) {
		t.Error("system event not recognised")
	}
	if !systemEvent(&esdb.ResolvedEvent{}) {
		t.Error("empty resolved event must be skipped")
	}
}

func TestAppendErrorMapsOnlyWrongExpectedVersionToErrConcurrency(t *testing.T) {
	t.Parallel()
	wev := wrongExpectedVersionError(t)
	var esdbErr *esdb.Error
	if !errors.As(wev, &esdbErr) || esdbErr.Code() != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("library error = %#v, want an *esdb.Error with ErrorCodeWrongExpectedVersion", wev)
	}
	// Why the adapter does not use esdb.FromError: it says "not ok" even for this error.
	if _, ok := esdb.FromError(wev); ok {
		t.Error("esdb.FromError reported ok for an error; the adapter's reasoning is out of date")
	}
	if got := appendError(wev); !errors.Is(got, eventstore.ErrConcurrency) {
		t.Errorf("wrong expected version: %v does not wrap ErrConcurrency", got)
	} else if !errors.As(got, &esdbErr) {
		t.Errorf("wrong expected version: %v lost the ESDB error", got)
	}
	if got := appendError(fmt.Errorf("append: %w", wev)); !errors.Is(got, eventstore.ErrConcurrency) {
		t.Errorf("wrapped wrong expected version: %v does not wrap ErrConcurrency", got)
	}

	unknown, _ := esdb.FromError(errors.New("boom")) // the one code buildable outside the library
	others := map[string]error{
		"unknown code":   unknown,
		"access denied":  accessDeniedError(t),
		"plain error":    errors.New("connection refused"),
		"cancelled":      context.Canceled,
		"wrapped cancel": fmt.Errorf("read: %w", context.DeadlineExceeded),
	}
	for name, err := range others {
		got := appendError(err)
		if errors.Is(got, eventstore.ErrConcurrency) {
			t.Errorf("%s: %v maps to ErrConcurrency", name, got)
		}
		if !errors.Is(got, err) {
			t.Errorf("%s: %v lost the original error", name, got)
		}
	}
	if appendError(nil) != nil {
		t.Error("appendError(nil) != nil")
	}
}

// accessDeniedError is a genuine *esdb.Error with another code, built by the library from a
// gRPC status.
func accessDeniedError(t *testing.T) error {
	t.Helper()
	f := startFake(t)
	f.configure(func() { f.failAppend = statusPermissionDenied() })
	client := rawClient(t, f)
	_, err := client.AppendToStream(context.Background(), "lead-x", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}},
		esdb.EventData{EventID: uuid.New(), EventType: "x.v1", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)})
	if !isCode(err, esdb.ErrorCodeAccessDenied) {
		t.Fatalf("append refused by the server: err = %v, want ErrorCodeAccessDenied", err)
	}
	return err
}

func TestIsNotFound(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	client := rawClient(t, f)
	rs, err := client.ReadStream(context.Background(), "lead-missing", esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	_, err = rs.Recv()
	if !isNotFound(err) || !isNotFound(fmt.Errorf("load: %w", err)) {
		t.Errorf("read of a missing stream: %v not recognised as not found", err)
	}
	if isNotFound(wrongExpectedVersionError(t)) || isNotFound(errors.New("stream not found")) || isNotFound(nil) {
		t.Error("isNotFound accepts other errors")
	}
}
