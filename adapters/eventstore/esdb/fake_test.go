package esdb

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// fakeServer is an in-memory stand-in for the streams service of an EventStoreDB node, so the
// adapter can be tested through the real client library and a real gRPC connection. It
// follows the semantics the adapter relies on, as documented and as read in the server's
// source:
//
//   - every event appended is an implicit transaction: its commit and prepare positions are its
//     log position; positions grow by the record size (not dense) and never start at 0;
//   - forwards reads of $all from a position include the event at it, backwards reads exclude
//     it, subscriptions to $all start after it;
//   - a read of a missing stream answers StreamNotFound;
//   - a failed expected-revision check answers WrongExpectedVersion and writes nothing;
//   - an append larger than MaxAppendSize (1 MiB by default, see maxAppendSize; data, metadata
//     and twice the type's UTF-16 length of each event) answers InvalidArgument "Maximum Append Size of
//     1048576 Exceeded." with the exception trailers, and writes nothing;
//   - Stop closes the listener and every connection, Restart listens again on the same address
//     with the same log, as a node that went down and came back.
//
// It is not a full server: no links, deletes, idempotent retries, batch appends or security.
type fakeServer struct {
	api.UnimplementedStreamsServer

	addr string

	srvMu sync.Mutex
	srv   *grpc.Server

	mu      sync.Mutex
	log     []fakeRecord
	streams map[string][]int // indexes into log
	next    uint64
	changed chan struct{} // closed and replaced at every write
	dropped chan struct{} // closed by dropSubscriptions

	// noise writes two system events after every append: one of a system type in a system
	// stream, one of an ordinary type in a system stream (only the adapter's own filter drops
	// that one, the server's type filter lets it through).
	noise bool
	// legacyPositions makes stream reads report commit position 2^64-1, as older servers do.
	legacyPositions bool
	// failAppend, when set, is returned by every append instead of appending.
	failAppend error
	// maxAppendSize is the server's MaxAppendSize setting (fakeMaxAppendSize, its default).
	maxAppendSize int

	appends []fakeAppend // what the client sent
}

type fakeAppend struct {
	options  *api.AppendReq_Options
	messages []*api.AppendReq_ProposedMessage
}

type fakeRecord struct {
	id          uuid.UUID
	stream      string
	revision    uint64
	pos         uint64
	typ         string
	contentType string
	created     time.Time
	data, meta  []byte
}

func startFake(t *testing.T) *fakeServer { t.Helper(); return startFakeAt(t, "127.0.0.1:0") }

// startFakeAt starts a fake node listening on addr.
func startFakeAt(t *testing.T, addr string) *fakeServer {
	t.Helper()
	f := &fakeServer{streams: map[string][]int{}, next: 1 << 10, changed: make(chan struct{}), dropped: make(chan struct{}), maxAppendSize: fakeMaxAppendSize}
	// A fresh node starts with some system events.
	f.Write("$settings", "$settings", []byte(`{"$userStreamAcl":{}}`), nil)
	f.Write("$users", "$User", []byte(`{"loginName":"admin"}`), nil)
	f.listen(t, addr)
	t.Cleanup(f.Stop)
	return f
}

// fakeMaxAppendSize is the server's default MaxAppendSize.
const fakeMaxAppendSize = 1 << 20

// listen serves the fake on addr. The server's gRPC layer takes messages of up to 16 MiB (its
// largest log record), so its own append limit is what refuses a large append.
func (f *fakeServer) listen(t *testing.T, addr string) {
	t.Helper()
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(16 << 20))
	api.RegisterStreamsServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	f.srvMu.Lock()
	f.srv = srv
	f.addr = lis.Addr().String()
	f.srvMu.Unlock()
}

// URL is the connection string of the fake; discovery gives up after one attempt.
func (f *fakeServer) URL() string { return "esdb://" + f.addr + "?tls=false&maxDiscoverAttempts=1" }

// Write stores a raw event (bypassing the adapter) and returns its position.
func (f *fakeServer) Write(stream, typ string, data, meta []byte) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.writeLocked(uuid.New(), stream, typ, "application/json", data, meta)
	f.notifyLocked()
	return r.pos
}

func (f *fakeServer) writeLocked(id uuid.UUID, stream, typ, contentType string, data, meta []byte) fakeRecord {
	r := fakeRecord{
		id: id, stream: stream, revision: uint64(len(f.streams[stream])), pos: f.next,
		typ: typ, contentType: contentType, created: time.Now().UTC(), data: data, meta: meta,
	}
	f.next += 100 + uint64(len(data)+len(meta))
	f.streams[stream] = append(f.streams[stream], len(f.log))
	f.log = append(f.log, r)
	return r
}

func (f *fakeServer) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Stop stops the node, as a server going down: the listener, connections and running calls end.
func (f *fakeServer) Stop() {
	f.srvMu.Lock()
	srv := f.srv
	f.srvMu.Unlock()
	srv.Stop()
}

// Restart brings a stopped node back on the same address, with the same log.
func (f *fakeServer) Restart(t *testing.T) {
	t.Helper()
	f.listen(t, f.addr)
}

// configure changes the fake's settings under its lock.
func (f *fakeServer) configure(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

// DropSubscriptions ends every running subscription with an error.
func (f *fakeServer) DropSubscriptions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.dropped)
	f.dropped = make(chan struct{})
}

func (f *fakeServer) Appends() []fakeAppend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.appends)
}

func (f *fakeServer) Append(srv api.Streams_AppendServer) error {
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "fake: options must come first")
	}
	var msgs []*api.AppendReq_ProposedMessage
	size := 0
	f.mu.Lock()
	limit := f.maxAppendSize
	f.mu.Unlock()
	for {
		req, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		m := req.GetProposedMessage()
		// As the server counts (Event.SizeOnDisk), refusing as soon as the sum is over.
		size += len(m.GetData()) + len(m.GetCustomMetadata()) + 2*len(utf16.Encode([]rune(m.GetMetadata()["type"])))
		if size > limit {
			_ = grpc.SetTrailer(srv.Context(), metadata.Pairs(
				"exception", "maximum-append-size-exceeded", "maximum-append-size", strconv.Itoa(limit)))
			return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", limit)
		}
		msgs = append(msgs, m)
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())

	f.mu.Lock()
	defer f.mu.Unlock()
	f.appends = append(f.appends, fakeAppend{options: opts, messages: msgs})
	if f.failAppend != nil {
		return f.failAppend
	}
	current := len(f.streams[stream])
	var ok bool
	wrong := &api.AppendResp_WrongExpectedVersion{}
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Any:
		ok = true
		wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	case *api.AppendReq_Options_NoStream:
		ok = current == 0
		wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case *api.AppendReq_Options_StreamExists:
		ok = current > 0
		wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	case *api.AppendReq_Options_Revision:
		ok = current > 0 && e.Revision == uint64(current-1)
		wrong.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: e.Revision}
	default:
		return status.Error(codes.InvalidArgument, "fake: no expected revision")
	}
	if !ok {
		if current == 0 {
			wrong.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		} else {
			wrong.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current - 1)}
		}
		return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: wrong}})
	}
	var firstRec, lastRec fakeRecord
	for i, m := range msgs {
		s := m.GetId().GetStructured()
		id, err := esdb.ParseUUIDFromInt64(s.GetMostSignificantBits(), s.GetLeastSignificantBits())
		if err != nil {
			return status.Error(codes.InvalidArgument, "fake: bad event id")
		}
		r := f.writeLocked(id, stream, m.GetMetadata()["type"], m.GetMetadata()["content-type"], m.GetData(), m.GetCustomMetadata())
		if i == 0 {
			firstRec = r
		}
		lastRec = r
	}
	if f.noise {
		f.writeLocked(uuid.New(), "$stats-fake", "$statsCollected", "application/json", []byte(`{"proc":1}`), nil)
		f.writeLocked(uuid.New(), "$projections-fake-checkpoint", "checkpoint", "application/json", []byte(`{}`), nil)
	}
	f.notifyLocked()
	return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: lastRec.revision},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: lastRec.pos, PreparePosition: firstRec.pos,
		}},
	}}})
}

func (f *fakeServer) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o.GetSubscription() != nil {
		return f.subscribe(o, srv)
	}
	if o.GetStream() != nil {
		return f.readStream(o, srv)
	}
	return f.readAll(o, srv)
}

func (f *fakeServer) snapshot() []fakeRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

func (f *fakeServer) readStream(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	so := o.GetStream()
	if o.GetReadDirection() != api.ReadReq_Options_Forwards {
		return status.Error(codes.Unimplemented, "fake: backwards stream reads")
	}
	key := so.GetStreamIdentifier().GetStreamName()
	f.mu.Lock()
	var recs []fakeRecord
	for _, i := range f.streams[string(key)] {
		recs = append(recs, f.log[i])
	}
	legacy := f.legacyPositions
	f.mu.Unlock()
	if len(recs) == 0 {
		return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{
			StreamNotFound: &api.ReadResp_StreamNotFound{StreamIdentifier: so.GetStreamIdentifier()},
		}})
	}
	from := uint64(0)
	switch r := so.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		from = r.Revision
	case *api.ReadReq_Options_StreamOptions_End:
		from = uint64(len(recs))
	}
	sent := uint64(0)
	for i := from; i < uint64(len(recs)) && sent < o.GetCount(); i++ {
		if err := srv.Send(recs[i].resp(false, legacy)); err != nil {
			return err
		}
		sent++
	}
	return nil
}

func (f *fakeServer) readAll(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	log := f.snapshot()
	var pick []fakeRecord
	forwards := o.GetReadDirection() == api.ReadReq_Options_Forwards
	switch from := o.GetAll().GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Start:
		if forwards {
			pick = log
		}
	case *api.ReadReq_Options_AllOptions_End:
		if !forwards {
			pick = log
		}
	case *api.ReadReq_Options_AllOptions_Position:
		at := from.Position.GetCommitPosition()
		for _, r := range log {
			if (forwards && r.pos >= at) || (!forwards && r.pos < at) {
				pick = append(pick, r)
			}
		}
	}
	if !forwards {
		pick = slices.Clone(pick)
		slices.Reverse(pick)
	}
	for i, r := range pick {
		if uint64(i) >= o.GetCount() {
			break
		}
		if err := srv.Send(r.resp(true, false)); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeServer) subscribe(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	if o.GetAll() == nil {
		return status.Error(codes.Unimplemented, "fake: only $all subscriptions")
	}
	match, err := filterOf(o.GetFilter())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	log := f.snapshot()
	next := 0 // index of the next record to consider
	switch from := o.GetAll().GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_End:
		next = len(log)
	case *api.ReadReq_Options_AllOptions_Position:
		at := from.Position.GetCommitPosition()
		for next < len(log) && log[next].pos <= at {
			next++
		}
	}
	if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{
		Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: "fake"},
	}}); err != nil {
		return err
	}
	caughtUp := false
	for {
		f.mu.Lock()
		batch := slices.Clone(f.log[next:])
		changed, dropped := f.changed, f.dropped
		f.mu.Unlock()
		for _, r := range batch {
			next++
			if !match(r) {
				continue
			}
			if err := srv.Send(r.resp(true, false)); err != nil {
				return err
			}
		}
		if len(batch) > 0 && o.GetFilter() != nil {
			last := batch[len(batch)-1].pos
			if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Checkpoint_{
				Checkpoint: &api.ReadResp_Checkpoint{CommitPosition: last, PreparePosition: last},
			}}); err != nil {
				return err
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-changed:
		case <-dropped:
			return status.Error(codes.Aborted, "fake: subscription dropped")
		case <-srv.Context().Done():
			return srv.Context().Err()
		}
	}
}

func filterOf(fo *api.ReadReq_Options_FilterOptions) (func(fakeRecord) bool, error) {
	if fo == nil {
		return func(fakeRecord) bool { return true }, nil
	}
	expr, onType := fo.GetEventType(), true
	if expr == nil {
		expr, onType = fo.GetStreamIdentifier(), false
	}
	var re *regexp.Regexp
	if expr.GetRegex() != "" {
		var err error
		if re, err = regexp.Compile(expr.GetRegex()); err != nil {
			return nil, err
		}
	}
	return func(r fakeRecord) bool {
		s := r.stream
		if onType {
			s = r.typ
		}
		if re != nil {
			return re.MatchString(s)
		}
		for _, p := range expr.GetPrefix() {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
		return false
	}, nil
}

// resp renders a record as the server sends it: from $all with its commit position, from a
// stream with the position in the recorded event only (or 2^64-1 when legacy).
func (r fakeRecord) resp(fromAll, legacy bool) *api.ReadResp {
	most, least := esdb.UUIDAsInt64(r.id)
	commit, prepare := r.pos, r.pos
	if legacy {
		commit, prepare = math.MaxUint64, math.MaxUint64
	}
	ev := &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id: &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
				MostSignificantBits: most, LeastSignificantBits: least,
			}}},
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  prepare,
			CommitPosition:   commit,
			Metadata: map[string]string{
				"type":         r.typ,
				"content-type": r.contentType,
				"created":      strconv.FormatInt(r.created.UnixNano()/100, 10), // .NET ticks since the epoch
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
		Position: &api.ReadResp_ReadEvent_NoPosition{NoPosition: &shared.Empty{}},
	}
	if fromAll {
		ev.Position = &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.pos}
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: ev}}
}

// openFake opens the adapter on a fresh fake server.
func openFake(t *testing.T) (*Store, *fakeServer) {
	t.Helper()
	f := startFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, f.URL())
	if err != nil {
		t.Fatalf("open fake: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, f
}

// wrongExpectedVersionError returns a genuine *esdb.Error of the wrong-expected-version kind, built
// by the client library from a server answer: the error type's fields are unexported, so
// outside the library only esdb.FromError can build one, and only with ErrorCodeUnknown.
func wrongExpectedVersionError(t *testing.T) error {
	t.Helper()
	f := startFake(t)
	client := rawClient(t, f)
	_, err := client.AppendToStream(context.Background(), "lead-x", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(3)},
		esdb.EventData{EventID: uuid.New(), EventType: "x.v1", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)})
	if err == nil {
		t.Fatal("append at revision 3 to a missing stream succeeded")
	}
	return err
}

func rawClient(t *testing.T, f *fakeServer) *esdb.Client {
	t.Helper()
	conf, err := esdb.ParseConnectionString(f.URL())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func statusPermissionDenied() error {
	return status.Error(codes.PermissionDenied, "fake: access denied")
}
