package postgres

import (
	"sync"
	"time"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// tail keeps the events this process appended last, as the database returned them, so that its
// own subscriptions read them from memory instead of each querying the events table after every
// append (six projections read each new event: twelve queries per append, counting the wake-up
// of the append's own NOTIFY).
//
// An append transaction reads, under the append lock, the position the log ended at before it
// (prev), so its segment holds exactly the events in (prev, last]: no other transaction can
// commit a position in between (see "No skipped events"). A read after position p is answered
// from memory when segments chain from p and either fill the page or reach head, the highest
// position known committed: the last position of every local append and of every notification
// of any process. "Nothing after p" is answered from memory when p ≥ head.
//
// Why that is enough for a subscription (eventstore.PollingSubscription), which asks for its
// wake-up channel before it reads and reads again when woken: a commit by anyone is followed by a
// wake-up (a local append notifies after recording its segment, a notification raises head
// before it wakes the readers). A commit whose wake-up came before the reader took its channel
// has already raised head, so the read goes to the database unless memory reaches it; a later
// one wakes the reader. head is only trusted while the LISTEN connection is up and after a
// database read that began after it connected (known), since notifications sent while nobody
// listened are lost; and a database read is made at least every pollInterval anyway, as the
// fallback poll always did.
type tail struct {
	mu       sync.Mutex
	segs     map[uint64][]eventstore.Event // by the position they follow
	order    []uint64                      // keys of segs, oldest first
	events   int                           // in segs
	head     uint64
	known    bool
	live     bool
	epoch    uint64 // changes whenever the listener connects or fails
	lastRead time.Time
}

// tailSegments and tailMaxEvents bound the memory: the last 256 append transactions (in practice
// a few events each), and no more than 4,000 events in all but the last transaction (bulk
// appends such as import-log's write thousands a transaction: 256 of them held the whole
// imported log, gigabytes, in memory).
const (
	tailSegments  = 256
	tailMaxEvents = 4000
)

func newTail() *tail { return &tail{segs: map[uint64][]eventstore.Event{}} }

// appended records a committed append transaction's events (in position order) that followed prev.
func (t *tail) appended(prev uint64, events []eventstore.Event) {
	if len(events) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.segs[prev]; !ok {
		t.order = append(t.order, prev)
	} else {
		t.events -= len(old)
	}
	t.segs[prev] = events
	t.events += len(events)
	for len(t.order) > tailSegments || (t.events > tailMaxEvents && len(t.order) > 1) {
		t.events -= len(t.segs[t.order[0]])
		delete(t.segs, t.order[0])
		t.order = t.order[1:]
	}
	t.head = max(t.head, events[len(events)-1].Position)
}

// notified records a notification of a commit ending at pos (any process).
func (t *tail) notified(pos uint64) {
	t.mu.Lock()
	t.head = max(t.head, pos)
	t.mu.Unlock()
}

// listening records that the LISTEN connection is up (after LISTEN succeeded) or down.
func (t *tail) listening(up bool) {
	t.mu.Lock()
	t.live, t.known = up, false
	t.epoch++
	t.mu.Unlock()
}

// readStarts returns the epoch a database read starts in.
func (t *tail) readStarts() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.epoch
}

// read answers a read of the log after the position from memory, when it can (ok).
func (t *tail) read(after uint64, limit int, now time.Time) (events []eventstore.Event, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.live || !t.known || now.Sub(t.lastRead) >= pollInterval {
		return nil, false
	}
	if after >= t.head {
		return []eventstore.Event{}, true
	}
	end := after
	for len(events) < limit {
		seg, ok := t.segs[end]
		if !ok {
			break
		}
		n := min(len(seg), limit-len(events))
		events = append(events, seg[:n]...)
		end = seg[n-1].Position
	}
	if len(events) == 0 || len(events) < limit && end < t.head {
		return nil, false
	}
	return events, true
}

// dbRead records a database read that began in epoch and found the log's end at end when it
// returned fewer events than asked for (short).
func (t *tail) dbRead(epoch uint64, short bool, end uint64, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastRead = now
	if short && epoch == t.epoch && t.live {
		t.head = max(t.head, end)
		t.known = true
	}
}
