package esdb

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
)

// withData is an event of the given type whose data is a JSON string of n bytes in all.
func withData(typ string, n int) eventstore.EventData {
	e := eventstoretest.Event(typ, "")
	e.Data = json.RawMessage(`"` + strings.Repeat("x", n-2) + `"`)
	return e
}

func TestAppendOverTheLimitAsStoredIsRefusedBeforeTheServer(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	// Within the port's count, over the server's: the stored metadata has keys and occurredAt.
	e := withData("a.v1", 2)
	e = withData("a.v1", eventstore.MaxAppendSize-eventstore.AppendSize([]eventstore.EventData{e})+2)
	if n := eventstore.AppendSize([]eventstore.EventData{e}); n != eventstore.MaxAppendSize {
		t.Fatalf("port size %d", n)
	}
	_, err := s.Append(testCtx(t), eventstoretest.NewStream("lead"), 0, []eventstore.EventData{e})
	if !errors.Is(err, eventstore.ErrAppendTooLarge) || !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("err = %v, want ErrAppendTooLarge", err)
	}
	if n := len(f.Appends()); n != 0 {
		t.Errorf("%d appends reached the server", n)
	}
}

func TestServerRefusalOfALargeAppendIsErrAppendTooLarge(t *testing.T) {
	t.Parallel()
	s, f := openFake(t)
	f.configure(func() { f.maxAppendSize = 4096 }) // a server with a smaller MaxAppendSize
	ctx := testCtx(t)
	stream := eventstoretest.NewStream("lead")
	_, err := s.Append(ctx, stream, 0, []eventstore.EventData{withData("a.v1", 3000), withData("a.v1", 3000)})
	if !errors.Is(err, eventstore.ErrAppendTooLarge) || !errors.Is(err, eventstore.ErrInvalidEvent) || !isTooLarge(err) {
		t.Errorf("err = %v, want ErrAppendTooLarge keeping the server's error", err)
	}
	if n := len(f.Appends()); n != 0 {
		t.Errorf("the server recorded %d appends", n)
	}
	if out, err := s.Load(ctx, stream, eventstore.LoadOptions{}); err != nil || len(out) != 0 {
		t.Errorf("load = %d events, %v; want none written", len(out), err)
	}
	// The refusal is an answer: the store still works.
	if _, err := s.Append(ctx, stream, 0, []eventstore.EventData{withData("a.v1", 100)}); err != nil {
		t.Errorf("small append after the refusal: %v", err)
	}
}

// The fake refuses as the server does: at one byte over its limit, counting data, metadata and
// the type's UTF-16 length twice, with InvalidArgument and the server's message.
func TestFakeEnforcesTheServersAppendLimit(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	client := rawClient(t, f)
	event := func(size int) esdb.EventData {
		meta := []byte(`{"a":1}`)
		typ := "线索.v1" // 5 UTF-16 code units
		return esdb.EventData{EventID: uuid.New(), EventType: typ, ContentType: esdb.ContentTypeJson,
			Data: []byte(`"` + strings.Repeat("x", size-len(meta)-10-2) + `"`), Metadata: meta}
	}
	if _, err := client.AppendToStream(context.Background(), "lead-a", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}},
		event(fakeMaxAppendSize)); err != nil {
		t.Errorf("append of exactly the limit: %v", err)
	}
	_, err := client.AppendToStream(context.Background(), "lead-b", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}},
		event(fakeMaxAppendSize+1))
	st, _ := status.FromError(errors.Unwrap(asESDB(err)))
	if st.Code() != codes.InvalidArgument || st.Message() != "Maximum Append Size of 1048576 Exceeded." {
		t.Errorf("append over the limit: err = %v", err)
	}
}
