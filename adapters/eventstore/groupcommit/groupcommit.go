// Package groupcommit lets the concurrent appends of one process share transactions.
//
// An event store whose appends are serialised (PostgreSQL behind its append lock, SQLite behind
// its single writer) pays one commit, with its flush to disk, per transaction. A Committer sits in
// front of the store's transactional write: calls that arrive while a transaction is being written
// wait in a queue, and when it is done the next transaction takes all of them (up to Limits) at
// once. There is no timer: a call that finds the writer idle is written at once (on its own
// goroutine, so a lone writer pays no hand-over), and the
// more calls arrive during a commit, the bigger the next transaction.
//
// Every call keeps its own outcome. The store's write checks each element's expected version on
// its own, in queue order, so a version conflict of one call never fails another (two calls with
// the same expected version on one stream: the first in the queue wins). If the database refuses
// the transaction because of one element (the store's refused predicate: a reused event id, a
// value the database does not take), the calls of that batch are written again one transaction
// each, and a call that is refused on its own is written element by element
// (eventstore.AppendInTurn), so only the offending element fails.
//
// # Contexts
//
// A call whose context ends before its batch starts returns the context's error, and nothing of it
// is written. Once its batch has started (it was taken from the queue), the call's outcome is
// whatever the transaction did, and the call waits for it and returns it even if its context ends
// meanwhile: a nil error then still means committed, an error means not written (or, when the
// connection broke during the commit, unknown, as for any database write). The transaction runs
// under a context of its own that ends when the contexts of all of the batch's calls have ended,
// so it is cancelled when nobody waits for it any more and never because one impatient caller
// gave up.
//
// A call returns only after the transaction that holds its events has committed (or failed):
// success still means durable.
package groupcommit

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// WriteFunc writes the appends in one transaction, as eventstore.Store.AppendEach describes: one
// outcome per element, in input order, elements checked against their expected versions in turn.
// An error means nothing was written.
type WriteFunc func(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error)

// Limits bound one transaction. A single call larger than the limits is written alone.
type Limits struct {
	Events int // events in one transaction
	Bytes  int // eventstore.AppendSize of all the transaction's events
}

// DefaultLimits: a thousand events or 4 MiB (four of the largest appends eventstore allows).
var DefaultLimits = Limits{Events: 1000, Bytes: 4 * eventstore.MaxAppendSize}

// Committer queues appends and writes them in shared transactions. Its zero value is not usable;
// build it with New. It is safe for concurrent use.
type Committer struct {
	write   WriteFunc
	refused func(error) bool
	limits  Limits

	mu      sync.Mutex
	queue   []*call
	running bool // a call's goroutine or a drain goroutine is writing the queue

	batches atomic.Int64 // transactions started for batches, for tests and metrics
}

// New returns a Committer over write. refused tells the errors of write that mean the database
// refused one of the elements (and that writing the elements separately would find which).
func New(write WriteFunc, refused func(error) bool, limits Limits) *Committer {
	if limits.Events <= 0 {
		limits.Events = DefaultLimits.Events
	}
	if limits.Bytes <= 0 {
		limits.Bytes = DefaultLimits.Bytes
	}
	return &Committer{write: write, refused: refused, limits: limits}
}

// call is one Append or AppendEach waiting for its transaction.
type call struct {
	ctx           context.Context
	appends       []eventstore.StreamAppend
	events, bytes int

	// Guarded by Committer.mu: started when a batch took it, withdrawn when its caller gave up
	// (or its context had ended when the batch was formed) before that.
	started, withdrawn bool

	out  []eventstore.AppendOutcome
	err  error
	done chan struct{} // closed when out and err are final
}

// Append writes the appends, sharing a transaction with concurrent calls, and returns what
// WriteFunc would have returned for them alone. See the package comment for contexts.
func (c *Committer) Append(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cl := &call{ctx: ctx, appends: appends, done: make(chan struct{})}
	for _, a := range appends {
		cl.events += len(a.Events)
		cl.bytes += eventstore.AppendSize(a.Events)
	}
	c.mu.Lock()
	c.queue = append(c.queue, cl)
	lead := !c.running
	c.running = true
	c.mu.Unlock()
	if lead {
		// No transaction is being written: write this call's batch on the caller's goroutine, so
		// a lone writer pays no hand-over to another goroutine; the calls that queued meanwhile
		// are left to a drain goroutine.
		if batch := c.next(); batch != nil {
			c.run(batch)
			c.mu.Lock()
			if len(c.queue) > 0 {
				go c.drain()
			} else {
				c.running = false
			}
			c.mu.Unlock()
		}
	}

	select {
	case <-cl.done:
		return cl.out, cl.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	if !cl.started {
		cl.withdrawn = true // the drain skips it: nothing of it is written
		c.mu.Unlock()
		return nil, ctx.Err()
	}
	c.mu.Unlock()
	<-cl.done // its transaction is under way: its outcome is what that transaction did
	return cl.out, cl.err
}

// Waiting is the number of calls queued for a transaction that has not started yet.
func (c *Committer) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, cl := range c.queue {
		if !cl.withdrawn {
			n++
		}
	}
	return n
}

// Batches is the number of transactions the Committer started for batches (not counting the
// separate transactions after a refusal).
func (c *Committer) Batches() int64 { return c.batches.Load() }

// drain writes batches until the queue is empty.
func (c *Committer) drain() {
	for batch := c.next(); batch != nil; batch = c.next() {
		c.run(batch)
	}
}

// next removes the next batch from the queue and marks its calls started; at an empty queue it
// ends the writing (under the same lock, so a call queued later leads a new one).
func (c *Committer) next() []*call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var batch []*call
	events, bytes, i := 0, 0, 0
	for ; i < len(c.queue); i++ {
		cl := c.queue[i]
		if cl.withdrawn {
			continue
		}
		if err := cl.ctx.Err(); err != nil {
			// Its caller gave up before the batch started: it gets the context's error.
			cl.withdrawn, cl.err = true, err
			close(cl.done)
			continue
		}
		if len(batch) > 0 && (events+cl.events > c.limits.Events || bytes+cl.bytes > c.limits.Bytes) {
			break // the rest waits for the next transaction, in queue order
		}
		cl.started = true
		batch = append(batch, cl)
		events, bytes = events+cl.events, bytes+cl.bytes
	}
	rest := copy(c.queue, c.queue[i:])
	clear(c.queue[rest:]) // drop references to finished calls
	c.queue = c.queue[:rest]
	if len(batch) == 0 {
		c.running = false
	}
	return batch
}

// run writes one batch in one transaction and hands each call its outcomes.
func (c *Committer) run(batch []*call) {
	ctx, stop := batchContext(batch)
	defer stop()
	var all []eventstore.StreamAppend
	if len(batch) == 1 {
		all = batch[0].appends
	} else {
		for _, cl := range batch {
			all = append(all, cl.appends...)
		}
	}
	c.batches.Add(1)
	out, err := c.write(ctx, all)
	if err != nil && c.refused(err) {
		// One element was refused and took the transaction with it: the calls are written one by
		// one, so only the call (and then the element) at fault fails.
		for _, cl := range batch {
			if len(batch) > 1 {
				cl.out, cl.err = c.write(cl.ctx, cl.appends)
			} else {
				cl.out, cl.err = out, err
			}
			if cl.err != nil && c.refused(cl.err) {
				if len(cl.appends) == 1 { // the element at fault: its outcome, not the call's failure
					cl.out, cl.err = []eventstore.AppendOutcome{{Err: cl.err}}, nil
				} else {
					cl.out, cl.err = eventstore.AppendInTurn(cl.ctx, c.writeOne, cl.appends)
				}
			}
			close(cl.done)
		}
		return
	}
	off := 0
	for _, cl := range batch {
		if err != nil {
			cl.err = err
		} else {
			n := len(cl.appends)
			cl.out = out[off : off+n : off+n] // capped: a caller's append can not reach its neighbour's
			off += n
		}
		close(cl.done)
	}
}

// writeOne writes one element alone, for eventstore.AppendInTurn.
func (c *Committer) writeOne(ctx context.Context, stream string, expected int64, events []eventstore.EventData) (eventstore.AppendResult, error) {
	out, err := c.write(ctx, []eventstore.StreamAppend{{Stream: stream, ExpectedVersion: expected, Events: events}})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return out[0].AppendResult, out[0].Err
}

// batchContext returns the context a batch's transaction runs under: it ends when the contexts of
// all the batch's calls have ended. stop releases it.
func batchContext(batch []*call) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var waiting atomic.Int64
	waiting.Store(int64(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, cl := range batch {
		stops[i] = context.AfterFunc(cl.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}
