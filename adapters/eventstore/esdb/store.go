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
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

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

// Store is an eventstore.Store backed by EventStoreDB.
type Store struct {
	conf *esdb.Configuration

	life      context.Context // cancelled by Close; running subscriptions end with it
	stop      context.CancelFunc
	mu        sync.Mutex // guards client, closed and the registration of subscriptions in subs
	client    *esdb.Client
	closed    bool
	subs      sync.WaitGroup
	closeOnce sync.Once
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
	if err := ping(ctx, client); err != nil {
		if isCode(err, esdb.ErrorCodeUnauthenticated) || isCode(err, esdb.ErrorCodeAccessDenied) {
			return nil, fmt.Errorf("esdb: %s refuses to let this user read $all: %w", redact(connection), err)
		}
		return nil, fmt.Errorf("esdb: %s is not reachable: %w", redact(connection), err)
	}
	life, stop := context.WithCancel(context.Background())
	return &Store{conf: conf, client: client, life: life, stop: stop}, nil
}

// ping reads one event backwards from $all and closes the client when that fails. The client
// finds its node on the first call without watching the context, so the read runs in a
// goroutine and ping stops waiting at the deadline; the client is then closed once the read
// returns (closing it while the read is starting could make the library send on a closed
// channel).
func ping(ctx context.Context, client *esdb.Client) error {
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- readLast(ctx, client) }()
	select {
	case err := <-done:
		if err != nil {
			_ = client.Close()
		}
		return err
	case <-ctx.Done():
		go func() {
			<-done
			_ = client.Close()
		}()
		return ctx.Err()
	}
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

// Close ends running subscriptions (their Err becomes ErrClosed) and closes the connection.
// Other calls must have returned: the client library may panic when it is closed while a call
// is starting.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.stop()
		s.subs.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		err = s.client.Close()
	})
	return err
}

// current is the client to use for the next call.
func (s *Store) current() *esdb.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// renew replaces a client that has given up. When the connection breaks, the library
// rediscovers the node at the next call; if that fails (after maxDiscoverAttempts, about a
// second for a refused connection by default) it closes the client for good, and every later
// call fails with ErrorCodeConnectionClosed even once the server is back. A fresh client
// connects at its first call, so the call after this one can succeed.
//
// The failed client is dropped, not closed: a call that was already under way on it may still
// report a broken connection to its (stopped) connection loop, and after Close that send would
// panic instead of blocking. The stopped loop never closed its last gRPC connection either;
// that connection leaks, once per outage long enough to exhaust discovery.
func (s *Store) renew(failed *esdb.Client, err error) {
	if !isCode(err, esdb.ErrorCodeConnectionClosed) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.client != failed {
		return // closed on purpose, or already renewed by another call
	}
	fresh, nerr := esdb.NewClient(s.conf)
	if nerr != nil {
		return
	}
	s.client = fresh
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
	for i, e := range events {
		p, err := toProposed(e)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %s: %w", stream, err)
		}
		proposed[i] = p
	}
	client := s.current()
	res, err := client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{
		ExpectedRevision: expectedRevision(expectedVersion),
	}, proposed...)
	if err != nil {
		s.renew(client, err)
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
	client := s.current()
	rs, err := client.ReadStream(ctx, stream, esdb.ReadStreamOptions{
		Direction: esdb.Forwards, From: streamStart(opts.FromVersion),
	}, math.MaxInt64)
	if err != nil {
		if isNotFound(err) {
			return []eventstore.Event{}, nil
		}
		s.renew(client, err)
		return nil, fmt.Errorf("esdb: load %s: %w", stream, err)
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
			return nil, fmt.Errorf("esdb: load %s: %w", stream, err)
		}
		e, err := fromResolved(r)
		if err != nil {
			return nil, fmt.Errorf("esdb: load %s: %w", stream, err)
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
		count := min(max(limit-len(out)+1, minReadAllPage), readAllPage)
		client := s.current()
		rs, err := client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: allFrom(cursor)}, uint64(count))
		if err != nil {
			s.renew(client, err)
			return nil, fmt.Errorf("esdb: read $all after %d: %w", cursor, err)
		}
		read, last, err := readPage(rs, cursor, limit-len(out), &out)
		rs.Close()
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
		client := s.current()
		rs, err := client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: from}, headPage)
		if err != nil {
			s.renew(client, err)
			return 0, fmt.Errorf("esdb: head: %w", err)
		}
		read, lowest, found, err := headPageOf(rs)
		rs.Close()
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
