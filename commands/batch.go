package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// Imports create many records from a file. Every record's id is derived from its natural key
// (uuid v5 in importNS), and the create is idempotent: the same id with the same content is the
// record already there, the same id with other content is ErrImportConflict. Importing a file
// twice therefore creates nothing new, and a row is never half-imported: each record is one
// append of its own stream.
//
// A batch is written with one AppendEach (one transaction, one commit on SQLite and PostgreSQL):
// every new record's stream must not exist yet, and the records whose streams exist are then
// compared with what is stored. Building the records and those comparisons run on a few workers.

// importNS is the namespace of the ids imports derive; it must never change, or re-imports would
// create every record again.
var importNS = uuid.MustParse("8d4c1f3e-6a2b-5e7d-9c1a-3b5f7e9d2a4c")

// ErrImportConflict: the record an import row names exists with other values.
var ErrImportConflict = errors.New("already imported with different values")

// ImportKey reduces a name to what identifies it in an import: full-width characters become
// half-width, case, spaces and punctuation go.
func ImportKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 0x3000:
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		}
		if unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// ImportID derives a record id from its natural key parts in the import namespace.
func ImportID(parts ...string) uuid.UUID {
	return uuid.NewSHA1(importNS, []byte(strings.Join(parts, "\x1f")))
}

// ImportStatus is what an import did with one record.
type ImportStatus int

// Import outcomes.
const (
	ImportCreated   ImportStatus = iota + 1 // a new record (in a dry run: would be)
	ImportUnchanged                         // the same record was already there
	ImportFailed                            // not written; Err says why
)

// ImportResult is the outcome of one record of a batch.
type ImportResult struct {
	Status   ImportStatus
	Err      error
	Position uint64 // of the appended event, when created
}

// ImportOptions tune a batch.
type ImportOptions struct {
	DryRun  bool // validate and look for existing records; write nothing
	Workers int  // records built and compared at once; default 2
}

// SameCreated compares two creation events by what key returns of them (as JSON, so times and
// pointers compare by value).
func SameCreated(key func(event.Event) (any, bool)) func(existing, proposed event.Event) bool {
	return func(existing, proposed event.Event) bool {
		a, ok1 := key(existing)
		b, ok2 := key(proposed)
		if !ok1 || !ok2 {
			return false
		}
		ja, err1 := json.Marshal(a)
		jb, err2 := json.Marshal(b)
		return err1 == nil && err2 == nil && string(ja) == string(jb)
	}
}

// CreateEach builds n records on a few workers and creates them in one AppendEach. build validates
// row i into a new aggregate (an error fails the row); same tells whether an existing stream's
// first event is the record the row describes.
func CreateEach[A Root](ctx context.Context, m Meta, repo *Repository[A], n int, o ImportOptions,
	build func(i int) (uuid.UUID, A, error), same func(existing, proposed event.Event) bool) []ImportResult {
	out := make([]ImportResult, n)
	ids := make([]uuid.UUID, n)
	records := make([]A, n)
	workers := o.Workers
	if workers <= 0 {
		workers = 2
	}
	each(n, workers, func(i int) {
		if err := ctx.Err(); err != nil {
			out[i] = ImportResult{Status: ImportFailed, Err: err}
			return
		}
		id, a, err := build(i)
		if err != nil {
			out[i] = ImportResult{Status: ImportFailed, Err: err}
			return
		}
		ids[i], records[i] = id, a
	})
	var pending []int // rows built, to create
	for i := range n {
		if out[i].Status == 0 {
			pending = append(pending, i)
		}
	}
	if o.DryRun {
		each(len(pending), workers, func(k int) {
			i := pending[k]
			out[i] = repo.MatchExisting(ctx, ids[i], records[i], same)
		})
		return out
	}
	appends := make([]eventstore.StreamAppend, 0, len(pending))
	now := repo.clock()
	for _, i := range pending {
		data, err := Encode(m, now, records[i].Changes())
		if err != nil {
			out[i] = ImportResult{Status: ImportFailed, Err: err}
			continue
		}
		appends = append(appends, eventstore.StreamAppend{Stream: repo.stream(ids[i]), ExpectedVersion: eventstore.NoStream, Events: data})
	}
	pending = slices.DeleteFunc(pending, func(i int) bool { return out[i].Status != 0 })
	outcomes, err := repo.store.AppendEach(ctx, appends)
	if err != nil {
		for _, i := range pending {
			out[i] = ImportResult{Status: ImportFailed, Err: fmt.Errorf("%s: %w", m.Command, err)}
		}
		return out
	}
	var exist []int // rows whose stream is there: the same record, or a conflict
	for k, i := range pending {
		switch o := outcomes[k]; {
		case o.Err == nil:
			out[i] = ImportResult{Status: ImportCreated, Position: o.Position}
		case errors.Is(o.Err, eventstore.ErrConcurrency):
			exist = append(exist, i)
		default:
			out[i] = ImportResult{Status: ImportFailed, Err: o.Err}
		}
	}
	each(len(exist), workers, func(k int) {
		i := exist[k]
		r := repo.MatchExisting(ctx, ids[i], records[i], same)
		if r.Status == ImportCreated { // the stream was there a moment ago: it can not vanish
			r = ImportResult{Status: ImportFailed, Err: fmt.Errorf("%s: stream %s disappeared", m.Command, repo.stream(ids[i]))}
		}
		out[i] = r
	})
	return out
}

// each calls f(0..n-1) on at most workers goroutines and returns when all calls did.
func each(n, workers int, f func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				f(i)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

// MatchExisting tells what creating a would do: ImportCreated when its stream does not exist,
// ImportUnchanged (with the stream's last position) when it holds the same record, else a
// conflict.
func (r *Repository[A]) MatchExisting(ctx context.Context, id uuid.UUID, a A, same func(existing, proposed event.Event) bool) ImportResult {
	events, err := r.store.Load(ctx, r.stream(id), eventstore.LoadOptions{})
	if err != nil {
		return ImportResult{Status: ImportFailed, Err: err}
	}
	if len(events) == 0 {
		return ImportResult{Status: ImportCreated}
	}
	first, err := r.registry.Decode(events[0].Type, events[0].Data)
	if err != nil {
		return ImportResult{Status: ImportFailed, Err: err}
	}
	if !same(first, a.Changes()[0]) {
		return ImportResult{Status: ImportFailed, Err: ErrImportConflict}
	}
	return ImportResult{Status: ImportUnchanged, Position: events[len(events)-1].Position}
}
