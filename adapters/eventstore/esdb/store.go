package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// ErrClosed is the Err of a subscription that ended because its store was closed.
var ErrClosed = errors.New("esdb: store closed")

// openTimeout bounds the reachability check of Open when the caller's context has no earlier
// deadline.
const openTimeout = 5 * time.Second

const (
	minReadAllPage = 64  // fewest events asked for per $all read
	readAllPage    = 512 // most events asked for per $all read
	headPage       = 256 // events asked for per backwards $all read of Head
)

// closeWait bounds how long Close waits for running calls and subscriptions to end.
const closeWait = 3 * time.Second

// callTimeout bounds a call whose context has no deadline, as the client library's own default
// deadline does for a gRPC call; the library's wait for its connection has no bound of its own.
const callTimeout = 10 * time.Second

// Store is an eventstore.Store backed by EventStoreDB.
//
// The client library (v4.2.0) hands its connection to calls through an unbuffered channel
// served by one connection loop, without watching their contexts. While that loop looks for
// its node (node discovery: by default 10 attempts, a second in all against a refused port,
// up to 10 gossip timeouts of 5 s against a node that does not answer) every call waits; when
// discovery fails the loop ends for good and the calls still waiting would wait forever. So:
//
//   - every call runs in a goroutine of its own (do) that the caller stops waiting for when its
//     context ends (or after callTimeout);
//   - a client that has not answered yet (a new one, or one after an outage) admits one call
//     at a time: only that call can be waiting when discovery fails, and it gets the failure;
//     the others wait for their turn within their context, outside the library;
//   - a client that reported the server unavailable or gave up is replaced by a fresh one at
//     once (renew), and closed once its last call has returned. Calls that were under way on a
//     client when the outage began can still be caught by its failed discovery; they are the
//     only goroutines that outlive it, at most the number of calls under way then, per outage.
type Store struct {
	conf *esdb.Configuration

	life      context.Context // cancelled by Close; running calls and subscriptions end with it
	stop      context.CancelFunc
	mu        sync.Mutex // guards conn, closed and the registration of calls and subscriptions
	conn      *conn
	closed    bool
	subs      sync.WaitGroup // running subscriptions
	closeOnce sync.Once
}

// conn is one client of the library and what the adapter knows of it.
type conn struct {
	client  *esdb.Client
	healthy atomic.Bool    // a call has had an answer from the server through it
	turn    chan struct{}  // holds one token while not healthy: one call at a time
	calls   sync.WaitGroup // calls under way on it
}

func newConn(client *esdb.Client) *conn {
	return &conn{client: client, turn: make(chan struct{}, 1)}
}

// closeWhenIdle closes the client once no call is under way on it (a call that is still
// sending to it when it closes would panic). No new call may start on c.
func (c *conn) closeWhenIdle() {
	go func() {
		c.calls.Wait()
		_ = c.client.Close()
	}()
}

// Open connects to the EventStoreDB named by a connection string such as
// "esdb://localhost:2113?tls=false" and checks that it answers, so that a wrong address fails
// at start rather than at the first command. The check ends with ctx or after a few seconds.
func Open(ctx context.Context, connection string) (*Store, error) {
	conf, err := esdb.ParseConnectionString(connection)
	if err != nil {
		return nil, fmt.Errorf("esdb: parse connection string %s: %w", redact(connection), parseError(err))
	}
	conf.Logger = clientLogger(slog.Default())
	client, err := esdb.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("esdb: connect to %s: %w", redact(connection), err)
	}
	life, stop := context.WithCancel(context.Background())
	s := &Store{conf: conf, conn: newConn(client), life: life, stop: stop}
	if err := s.ping(ctx); err != nil {
		s.shutdown(0)
		if isCode(err, esdb.ErrorCodeUnauthenticated) || isCode(err, esdb.ErrorCodeAccessDenied) {
			return nil, fmt.Errorf("esdb: %s refuses to let this user read $all: %w", redact(connection), err)
		}
		return nil, fmt.Errorf("esdb: %s is not reachable: %w", redact(connection), err)
	}
	return s, nil
}

// ping reads one event backwards from $all, within openTimeout at most.
func (s *Store) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	_, err := do(ctx, s, func(ctx context.Context, client *esdb.Client) (struct{}, error) {
		return struct{}{}, readLast(ctx, client)
	})
	return err
}

func readLast(ctx context.Context, client *esdb.Client) error {
	deadline := openTimeout
	if d, ok := ctx.Deadline(); ok {
		deadline = time.Until(d)
	}
	stream, err := client.ReadAll(ctx, esdb.ReadAllOptions{
		Direction: esdb.Backwards, From: esdb.End{}, Deadline: &deadline,
	}, 1)
	if err != nil {
		return err
	}
	defer stream.Close()
	if _, err := stream.Recv(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// do runs op, a whole conversation with the client library (the call and the reading of its
// answer), on the current client in a goroutine of its own (see Store), and returns its result,
// or the context's error as soon as ctx ends, or ErrClosed when the store is closed first. op
// gets a context that ends with ctx and at Close.
func do[T any](ctx context.Context, s *Store, op func(context.Context, *esdb.Client) (T, error)) (T, error) {
	var zero T
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, callTimeout)
		defer cancel()
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return zero, ErrClosed
	}
	c := s.conn
	c.calls.Add(1)
	s.mu.Unlock()

	release := func() {}
	if !c.healthy.Load() {
		select {
		case c.turn <- struct{}{}:
			release = func() { <-c.turn }
		case <-ctx.Done():
			c.calls.Done()
			return zero, ctx.Err()
		case <-s.life.Done():
			c.calls.Done()
			return zero, ErrClosed
		}
	}
	opCtx, cancel := context.WithCancel(ctx)
	stopOnClose := context.AfterFunc(s.life, cancel)
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer c.calls.Done()
		defer release()
		defer cancel()
		defer stopOnClose()
		v, err := op(opCtx, c.client)
		s.learn(c, err)
		done <- result{v, err}
	}()
	// Not opCtx: the goroutine cancels it when op returns.
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-s.life.Done():
		return zero, ErrClosed
	}
}

// learn records what a call's outcome tells of its client: an answer of the server makes it
// healthy; the server being unavailable, or the client having given up, replaces it.
func (s *Store) learn(c *conn, err error) {
	switch {
	case err == nil || serverAnswered(err):
		c.healthy.Store(true)
	case unavailable(err) || clientGone(err):
		s.renew(c)
	}
}

// Close ends running subscriptions (their Err becomes ErrClosed) and calls (they return
// ErrClosed), and closes the connection. It waits for them up to closeWait: a call can be
// held by the library until node discovery ends; its client is closed when it returns.
func (s *Store) Close() error { s.shutdown(closeWait); return nil }

// shutdown closes the store and waits up to wait for its calls and subscriptions to end.
func (s *Store) shutdown(wait time.Duration) {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		c := s.conn
		s.mu.Unlock()
		s.stop()
		c.closeWhenIdle()
		ended := make(chan struct{})
		go func() {
			c.calls.Wait()
			s.subs.Wait()
			close(ended)
		}()
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-ended:
		case <-timer.C:
			if wait > 0 {
				slog.Warn("esdb: closed with calls still held by the client library; they end when its node discovery does")
			}
		}
	})
}

// renew replaces a client that found the server unavailable or has given up. When the
// connection breaks, the library rediscovers the node at the next call; if that fails (after
// maxDiscoverAttempts) it ends the client's connection loop for good, and every later call
// fails with ErrorCodeConnectionClosed even once the server is back. A fresh client connects
// at its first call, one call at a time until it has had an answer (see Store).
//
// The old client is closed once its last call has returned. The library's ended loop never
// closed its last gRPC connection; that connection leaks, once per outage long enough to
// exhaust discovery.
func (s *Store) renew(failed *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.conn != failed {
		return // closed on purpose, or already renewed by another call
	}
	fresh, err := esdb.NewClient(s.conf)
	if err != nil {
		return
	}
	s.conn = newConn(fresh)
	failed.closeWhenIdle()
}

// discoveryFailed is how the library (v4.2.0) words the error of a failed node discovery, after
// which the client is dead; its code is that of the last attempt's error, so only the message
// tells it from a call that failed on its own.
const discoveryFailed = "maximum discovery attempt count reached"

// clientGone reports an error after which the client that returned it will never work again.
func clientGone(err error) bool {
	return isCode(err, esdb.ErrorCodeConnectionClosed) || (err != nil && strings.Contains(err.Error(), discoveryFailed))
}

// unavailable reports an error for want of a server: the library reports it as
// ErrorUnavailable, or passes the gRPC status on as is (a read that could not start).
func unavailable(err error) bool {
	return isCode(err, esdb.ErrorUnavailable) || status.Code(err) == codes.Unavailable
}

// serverAnswered reports an error that only the server can have sent.
func serverAnswered(err error) bool {
	for _, code := range []esdb.ErrorCode{
		esdb.ErrorCodeWrongExpectedVersion, esdb.ErrorCodeResourceNotFound, esdb.ErrorCodeAccessDenied,
		esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeStreamDeleted,
	} {
		if isCode(err, code) {
			return true
		}
	}
	return isTooLarge(err)
}

// Append writes events at the end of a stream if its version is expectedVersion.
func (s *Store) Append(ctx context.Context, stream string, expectedVersion int64, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.Validate(stream, expectedVersion, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := checkNames(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	proposed := make([]esdb.EventData, len(events))
	size := 0
	for i, e := range events {
		p, err := toProposed(e)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: %w", stream, err)
		}
		proposed[i] = p
		size += serverSize(p)
	}
	// The port's count leaves out the encoding of the metadata; the server's does not.
	if size > eventstore.MaxAppendSize {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: %w (%d bytes as stored)", stream, eventstore.ErrAppendTooLarge, size)
	}
	res, err := do(ctx, s, func(ctx context.Context, client *esdb.Client) (*esdb.WriteResult, error) {
		return client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{
			ExpectedRevision: expectedRevision(expectedVersion),
		}, proposed...)
	})
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s at version %d: %w", stream, expectedVersion, appendError(err))
	}
	return eventstore.AppendResult{Version: int64(res.NextExpectedVersion) + 1, Position: res.CommitPosition}, nil
}

// AppendEach appends element after element: EventStoreDB writes one stream per call, so each
// element is its own commit.
func (s *Store) AppendEach(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	return eventstore.AppendInTurn(ctx, s.Append, appends)
}

// Load returns a stream's events in version order; a stream that does not exist has none.
func (s *Store) Load(ctx context.Context, stream string, opts eventstore.LoadOptions) ([]eventstore.Event, error) {
	out, err := do(ctx, s, func(ctx context.Context, client *esdb.Client) ([]eventstore.Event, error) {
		return load(ctx, client, stream, opts)
	})
	if err != nil {
		return nil, fmt.Errorf("esdb: load %s: %w", stream, err)
	}
	return out, nil
}

func load(ctx context.Context, client *esdb.Client, stream string, opts eventstore.LoadOptions) ([]eventstore.Event, error) {
	rs, err := client.ReadStream(ctx, stream, esdb.ReadStreamOptions{
		Direction: esdb.Forwards, From: streamStart(opts.FromVersion),
	}, math.MaxInt64)
	if err != nil {
		if isNotFound(err) {
			return []eventstore.Event{}, nil
		}
		return nil, err
	}
	defer rs.Close()
	out := []eventstore.Event{}
	for {
		r, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			if isNotFound(err) {
				return []eventstore.Event{}, nil
			}
			return nil, err
		}
		e, err := fromResolved(r)
		if err != nil {
			return nil, err
		}
		if !opts.Until.IsZero() && e.OccurredAt.After(opts.Until) {
			continue
		}
		out = append(out, e)
	}
}

// ReadAll returns at most limit non-system events of $all after the position, in order.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	if limit <= 0 {
		return []eventstore.Event{}, nil
	}
	out := make([]eventstore.Event, 0, min(limit, readAllPage))
	cursor := after
	for len(out) < limit {
		// One more than still wanted, as the read includes the event at the cursor, but not
		// so few that a run of system events costs a round trip each.
		want := limit - len(out)
		count := min(max(want+1, minReadAllPage), readAllPage)
		type page struct {
			read   int
			last   uint64
			events []eventstore.Event
		}
		p, err := do(ctx, s, func(ctx context.Context, client *esdb.Client) (page, error) {
			rs, err := client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: allFrom(cursor)}, uint64(count))
			if err != nil {
				return page{}, err
			}
			defer rs.Close()
			var got []eventstore.Event
			read, last, err := readPage(rs, cursor, want, &got)
			return page{read, last, got}, err
		})
		read, last := p.read, p.last
		out = append(out, p.events...)
		if err != nil {
			return nil, fmt.Errorf("esdb: read $all after %d: %w", cursor, err)
		}
		if read < count || len(out) == limit {
			return out, nil // end of the log, or enough
		}
		if last <= cursor {
			return nil, fmt.Errorf("esdb: read $all after %d: no progress (events share a commit position?)", cursor)
		}
		cursor = last
	}
	return out, nil
}

// readPositionsAtOnce bounds the reads of one ReadPositions under way at the same time.
const readPositionsAtOnce = 8

// ReadPositions reads each position with a forwards read of one event of $all from it (a forwards
// read includes the event at its start): EventStoreDB has no lookup of several positions, so up to
// readPositionsAtOnce of these reads run at a time. A read that finds a system event, an event at
// another position or none (past the end) finds nothing.
func (s *Store) ReadPositions(ctx context.Context, positions []uint64) ([]eventstore.Event, error) {
	wanted := eventstore.DistinctPositions(positions)
	found := make([]*eventstore.Event, len(wanted))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readPositionsAtOnce)
	for i, p := range wanted {
		g.Go(func() error {
			e, err := do(gctx, s, func(ctx context.Context, client *esdb.Client) (*eventstore.Event, error) {
				return readAt(ctx, client, p)
			})
			if err != nil {
				return fmt.Errorf("esdb: read position %d: %w", p, err)
			}
			found[i] = e
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]eventstore.Event, 0, len(wanted))
	for _, e := range found {
		if e != nil {
			out = append(out, *e)
		}
	}
	return out, nil
}

// readAt is the event at position p of $all, or nil.
func readAt(ctx context.Context, client *esdb.Client, p uint64) (*eventstore.Event, error) {
	rs, err := client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: esdb.Position{Commit: p, Prepare: p}}, 1)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	r, err := rs.Recv()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if position(r) != p || systemEvent(r) {
		return nil, nil
	}
	e, err := fromResolved(r)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// readPage appends up to want events after cursor to out. It returns how many events the page
// held and the highest position seen, system events included.
func readPage(rs *esdb.ReadStream, cursor uint64, want int, out *[]eventstore.Event) (read int, last uint64, err error) {
	last = cursor
	taken := 0
	for {
		r, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return read, last, nil
		}
		if err != nil {
			return read, last, err
		}
		read++
		pos := position(r)
		if !isAfter(pos, cursor) {
			continue
		}
		last = max(last, pos)
		if systemEvent(r) {
			continue
		}
		e, err := fromResolved(r)
		if err != nil {
			return read, last, err
		}
		*out = append(*out, e)
		taken++
		if taken == want {
			return read, last, nil
		}
	}
}

// Head is the position of the last non-system event of $all, 0 when there is none.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	var from esdb.AllPosition = esdb.End{}
	for {
		type page struct {
			read          int
			lowest, found uint64
		}
		p, err := do(ctx, s, func(ctx context.Context, client *esdb.Client) (page, error) {
			rs, err := client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: from}, headPage)
			if err != nil {
				return page{}, err
			}
			defer rs.Close()
			read, lowest, found, err := headPageOf(rs)
			return page{read, lowest, found}, err
		})
		read, lowest, found := p.read, p.lowest, p.found
		if err != nil {
			return 0, fmt.Errorf("esdb: head: %w", err)
		}
		if found != 0 {
			return found, nil
		}
		if read < headPage || lowest == 0 {
			return 0, nil // reached the start of the log
		}
		// Backwards reads from a position exclude the event at it.
		from = esdb.Position{Commit: lowest, Prepare: lowest}
	}
}

func headPageOf(rs *esdb.ReadStream) (read int, lowest, found uint64, err error) {
	for {
		r, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return read, lowest, 0, nil
		}
		if err != nil {
			return read, lowest, 0, err
		}
		read++
		pos := position(r)
		if lowest == 0 || pos < lowest {
			lowest = pos
		}
		if !systemEvent(r) && pos != 0 {
			return read, lowest, pos, nil
		}
	}
}

// redact hides the password of a connection string for error messages.
func redact(connection string) string {
	scheme, rest, ok := strings.Cut(connection, "://")
	if !ok {
		return "connection string"
	}
	end := len(rest)
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		end = i
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return connection
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return connection
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// parseError drops the connection string (and so the password) that net/url puts in its
// errors.
func parseError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}

// clientLogger sends the client library's log lines to slog. Everything the library logs at
// error level (a failed call, a dropped or cancelled subscription) also reaches the adapter's
// caller as an error or as a subscription's Err, and a cancelled subscription is routine, so
// those lines are kept at debug level; the library's warnings (failed discovery attempts,
// unknown messages) stay warnings.
func clientLogger(l *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		lvl := slog.LevelDebug
		if level == esdb.LogWarn {
			lvl = slog.LevelWarn
		}
		ctx := context.Background()
		if !l.Enabled(ctx, lvl) {
			return
		}
		l.Log(ctx, lvl, "eventstoredb client", "client_level", level, "detail", fmt.Sprintf(format, args...))
	}
}

var _ eventstore.Store = (*Store)(nil)
