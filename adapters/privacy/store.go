package privacy

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// Options tune a Store.
type Options struct {
	// KeyTTL is how long an unwrapped subject key is kept in memory (default DefaultKeyTTL): the
	// longest a process that did not erase a subject, and has not read its erasure from the log,
	// may go on decrypting the subject's values after another process destroyed the key.
	KeyTTL time.Duration
	// MaxKeys bounds the keys kept in memory (default DefaultMaxKeys); past it the cache starts
	// afresh.
	MaxKeys int
	// Registry is the registry of personal fields (default privacy.Default()).
	Registry dp.Registry
	Clock    func() time.Time
}

// Defaults of Options.
const (
	DefaultKeyTTL  = 30 * time.Second
	DefaultMaxKeys = 50_000
)

// Store is the event store as every module sees it: the personal fields of the events (the
// registry's) are encrypted with their subject's key on the way in and decrypted on the way out,
// and read as privacy.Erased once the subject's key is destroyed. The store it wraps (Raw) holds
// only ciphertext: the audit sealer, `chronicle audit verify` and backups read that one.
type Store struct {
	raw    eventstore.Store
	keys   dp.KeyStore
	master *Master
	reg    dp.Registry
	ttl    time.Duration
	max    int
	clock  func() time.Time

	mu    sync.Mutex
	cache map[uuid.UUID]cached
}

// cached is a subject's key in memory: aead nil and erased for an erased subject.
type cached struct {
	aead    cipher.AEAD
	erased  bool
	expires time.Time
}

// Counting answers s as an eventstore.Store that also counts events (eventstore.Counter) when the
// raw store does.
func Counting(s *Store) eventstore.Store {
	if c, ok := s.raw.(eventstore.Counter); ok {
		return struct {
			*Store
			eventstore.Counter
		}{s, c}
	}
	return s
}

// New decorates raw (see Counting).
func New(raw eventstore.Store, keys dp.KeyStore, master *Master, o Options) *Store {
	if o.KeyTTL <= 0 {
		o.KeyTTL = DefaultKeyTTL
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.Registry == nil {
		o.Registry = dp.Default()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Store{raw: raw, keys: keys, master: master, reg: o.Registry, ttl: o.KeyTTL, max: o.MaxKeys, clock: o.Clock,
		cache: map[uuid.UUID]cached{}}
}

var _ eventstore.Store = (*Store)(nil)

// Unwrap answers the decorated store: the events as stored.
func Unwrap(s eventstore.Store) eventstore.Store {
	switch v := s.(type) {
	case *Store:
		return v.raw
	case interface{ Raw() eventstore.Store }:
		return v.Raw()
	}
	return s
}

// Raw is the store the decorator wraps.
func (s *Store) Raw() eventstore.Store { return s.raw }

// Forget drops a subject's key from memory and remembers it erased: the erasing process calls it
// as soon as the erasure is recorded.
func (s *Store) Forget(subject uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(subject, cached{erased: true, expires: s.clock().Add(24 * time.Hour)})
}

// put stores an entry, starting the cache afresh when it is full. s.mu is held.
func (s *Store) put(id uuid.UUID, c cached) {
	if len(s.cache) >= s.max {
		s.cache = map[uuid.UUID]cached{}
	}
	s.cache[id] = c
}

// lookup answers the cached keys of the subjects and the subjects not cached (or expired).
func (s *Store) lookup(refs []subjectRef) (map[uuid.UUID]cached, []subjectRef) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[uuid.UUID]cached, len(refs))
	var missing []subjectRef
	seen := map[uuid.UUID]bool{}
	for _, r := range refs {
		if seen[r.id] {
			continue
		}
		seen[r.id] = true
		if c, ok := s.cache[r.id]; ok && now.Before(c.expires) {
			out[r.id] = c
		} else {
			missing = append(missing, r)
		}
	}
	return out, missing
}

// remember unwraps the records and caches them into out.
func (s *Store) remember(recs map[uuid.UUID]dp.KeyRecord, out map[uuid.UUID]cached) error {
	now := s.clock()
	fresh := map[uuid.UUID]cached{}
	for id, r := range recs {
		c := cached{erased: r.Erased(), expires: now.Add(s.ttl)}
		if !c.erased {
			key, err := s.master.Unwrap(id, r.Wrapped)
			if err != nil {
				return err
			}
			if c.aead, err = newGCM(key); err != nil {
				return err
			}
		}
		fresh[id], out[id] = c, c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, c := range fresh {
		if old, ok := s.cache[id]; ok && old.erased { // an erasure seen meanwhile stays
			out[id] = old
			continue
		}
		s.put(id, c)
	}
	return nil
}

// keysFor answers the keys of the subjects, reading those not in memory in one read of the key
// store; with create, subjects without a key get one (in one transaction).
func (s *Store) keysFor(ctx context.Context, refs []subjectRef, create bool) (map[uuid.UUID]cached, error) {
	out, missing := s.lookup(refs)
	if len(missing) == 0 {
		return out, nil
	}
	var recs map[uuid.UUID]dp.KeyRecord
	var err error
	if create {
		candidates := make([]dp.NewKey, len(missing))
		for i, r := range missing {
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return nil, err
			}
			w, err := s.master.Wrap(r.id, key)
			if err != nil {
				return nil, err
			}
			candidates[i] = dp.NewKey{Kind: r.kind, Subject: r.id, Wrapped: w}
		}
		recs, err = s.keys.GetOrCreate(ctx, candidates, s.clock().UTC())
	} else {
		ids := make([]uuid.UUID, len(missing))
		for i, r := range missing {
			ids[i] = r.id
		}
		recs, err = s.keys.Get(ctx, ids)
	}
	if err != nil {
		return nil, err
	}
	return out, s.remember(recs, out)
}

// subjects are the subjects of the personal fields of the events.
func (s *Store) subjects(events []eventstore.EventData) []subjectRef {
	var refs []subjectRef
	for _, e := range events {
		refs = append(refs, subjectsOf(e.Data, s.reg.Rules(e.Type))...)
	}
	return refs
}

// encrypt answers the events with their personal values encrypted (copies; the caller's are not
// changed). A non-empty personal value of an erased subject is refused (privacy.ErrSubjectErased);
// the erased marker itself passes as it is.
func (s *Store) encrypt(keys map[uuid.UUID]cached, events []eventstore.EventData) ([]eventstore.EventData, error) {
	out := make([]eventstore.EventData, len(events))
	for i, e := range events {
		data, err := rewrite(e.Data, s.reg.Rules(e.Type), func(ref subjectRef, path, v string) (string, error) {
			k := keys[ref.id]
			switch {
			case k.erased && v == dp.Erased:
				return v, nil
			case k.erased:
				return "", fmt.Errorf("%w (%s %s, %s)", dp.ErrSubjectErased, ref.kind, ref.id, path)
			}
			return seal(k.aead, ref.id, path, v)
		})
		if err != nil {
			return nil, err
		}
		e.Data = data
		out[i] = e
	}
	return out, nil
}

// Append encrypts and appends.
func (s *Store) Append(ctx context.Context, stream string, expectedVersion int64, events []eventstore.EventData) (eventstore.AppendResult, error) {
	keys, err := s.keysFor(ctx, s.subjects(events), true)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	enc, err := s.encrypt(keys, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	res, err := s.raw.Append(ctx, stream, expectedVersion, enc)
	if err == nil {
		s.noteErasures(events)
	}
	return res, err
}

// AppendEach encrypts every element (the keys of all of them read or made at once) and appends;
// an element with a refused value fails on its own.
func (s *Store) AppendEach(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendOutcome, error) {
	var refs []subjectRef
	for _, a := range appends {
		refs = append(refs, s.subjects(a.Events)...)
	}
	keys, err := s.keysFor(ctx, refs, true)
	if err != nil {
		return nil, err
	}
	out := make([]eventstore.AppendOutcome, len(appends))
	var send []eventstore.StreamAppend
	var at []int
	for i, a := range appends {
		enc, err := s.encrypt(keys, a.Events)
		if err != nil {
			out[i].Err = err
			continue
		}
		a.Events = enc
		send = append(send, a)
		at = append(at, i)
	}
	if len(send) > 0 {
		res, err := s.raw.AppendEach(ctx, send)
		if err != nil {
			return nil, err
		}
		for j, r := range res {
			out[at[j]] = r
			if r.Err == nil {
				s.noteErasures(send[j].Events)
			}
		}
	}
	return out, nil
}

var erasedType = dp.SubjectErased{}.EventType()

// noteErasures forgets the keys of the subjects whose erasure an event records.
func (s *Store) noteErasures(events []eventstore.EventData) {
	for _, e := range events {
		if e.Type != erasedType {
			continue
		}
		var d dp.SubjectErased
		if json.Unmarshal(e.Data, &d) == nil {
			if id, err := uuid.Parse(d.SubjectID); err == nil {
				s.Forget(id)
			}
		}
	}
}

// decrypt answers the events with their personal values in clear, or privacy.Erased for the
// subjects erased (their legacy clear values too: events written before encryption). An erasure
// read from the log makes the process forget the subject's key at once.
func (s *Store) decrypt(ctx context.Context, events []eventstore.Event) ([]eventstore.Event, error) {
	var refs []subjectRef
	for _, e := range events {
		if e.Type == erasedType {
			s.noteErasures([]eventstore.EventData{{Type: e.Type, Data: e.Data}})
		}
		refs = append(refs, subjectsOf(e.Data, s.reg.Rules(e.Type))...)
	}
	if len(refs) == 0 {
		return events, nil
	}
	keys, err := s.keysFor(ctx, refs, false)
	if err != nil {
		return nil, err
	}
	out := make([]eventstore.Event, len(events))
	for i, e := range events {
		data, err := rewrite(e.Data, s.reg.Rules(e.Type), func(ref subjectRef, path, v string) (string, error) {
			k, ok := keys[ref.id]
			switch {
			case v == dp.Erased:
				return v, nil
			case ok && k.erased:
				return dp.Erased, nil
			case len(v) < len(Prefix) || v[:len(Prefix)] != Prefix:
				return v, nil // written before personal values were encrypted
			case !ok:
				// A ciphertext without a key: the key store lost it (restored from an older
				// backup than the events): it reads as erased, as it can not be read again.
				return dp.Erased, nil
			}
			return open(k.aead, ref.id, path, v)
		})
		if err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", e.Position, e.Type, err)
		}
		e.Data = data
		out[i] = e
	}
	return out, nil
}

// Load decrypts a stream.
func (s *Store) Load(ctx context.Context, stream string, opts eventstore.LoadOptions) ([]eventstore.Event, error) {
	events, err := s.raw.Load(ctx, stream, opts)
	if err != nil {
		return nil, err
	}
	return s.decrypt(ctx, events)
}

// ReadAll decrypts a page of the log (its subjects' keys read at once).
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	events, err := s.raw.ReadAll(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	return s.decrypt(ctx, events)
}

// ReadPositions decrypts the events at the positions.
func (s *Store) ReadPositions(ctx context.Context, positions []uint64) ([]eventstore.Event, error) {
	events, err := s.raw.ReadPositions(ctx, positions)
	if err != nil {
		return nil, err
	}
	return s.decrypt(ctx, events)
}

// Head is the raw store's.
func (s *Store) Head(ctx context.Context) (uint64, error) { return s.raw.Head(ctx) }

// Close closes the raw store (the key store is closed by whoever opened it).
func (s *Store) Close() error { return s.raw.Close() }

// Subscribe decrypts what the raw subscription delivers, the events it holds ready at a time
// together (one read of the key store for them).
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	inner, err := s.raw.Subscribe(ctx, after)
	if err != nil {
		cancel()
		return nil, err
	}
	sub := &subscription{inner: inner, ch: make(chan eventstore.Event, 256)}
	go func() {
		defer cancel()
		defer close(sub.ch)
		in := inner.Events()
		for {
			var batch []eventstore.Event
			e, ok := <-in
			if !ok {
				return
			}
			batch = append(batch, e)
		more:
			for len(batch) < 500 {
				select {
				case e, ok := <-in:
					if !ok {
						break more
					}
					batch = append(batch, e)
				default:
					break more
				}
			}
			dec, err := s.decrypt(ctx, batch)
			if err != nil {
				if ctx.Err() == nil {
					sub.setErr(err)
				}
				return
			}
			for _, e := range dec {
				select {
				case sub.ch <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	if _, ok := inner.(eventstore.HeadWatcher); ok {
		return watching{sub}, nil
	}
	return sub, nil
}

type subscription struct {
	inner eventstore.Subscription
	ch    chan eventstore.Event
	mu    sync.Mutex
	err   error
}

func (s *subscription) Events() <-chan eventstore.Event { return s.ch }

func (s *subscription) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	return s.inner.Err()
}

// watching is the subscription of a raw one that is an eventstore.HeadWatcher.
type watching struct{ *subscription }

// Head passes the raw subscription's on: every event up to its head is in the raw channel, being
// decrypted or in this one.
func (w watching) Head() (uint64, bool, <-chan struct{}) {
	return w.inner.(eventstore.HeadWatcher).Head()
}

// Master is the master key the store wraps new subject keys with.
func (s *Store) Master() *Master { return s.master }
