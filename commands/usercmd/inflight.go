package usercmd

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAddressConcurrency is how many sign-ins one client address may have running at once.
const DefaultAddressConcurrency = 2

// inflight counts the sign-ins running per client address. Failed sign-ins are throttled by
// SignInPolicy, but only once they are recorded: simultaneous attempts would all pass that
// check before the first is recorded, and each would hash a password. An attempt beyond the
// limit is answered ErrThrottled at once, before any hashing or storage work.
type inflight struct {
	limit atomic.Int64
	mu    sync.Mutex
	n     map[string]int
}

func newInflight(limit int) *inflight {
	f := &inflight{n: map[string]int{}}
	f.limit.Store(int64(limit))
	return f
}

// enter counts an attempt from addr, or refuses it when addr has limit attempts running; a
// limit below 1 admits everything.
func (f *inflight) enter(addr string) (release func(), err error) {
	limit := int(f.limit.Load())
	if limit < 1 {
		return func() {}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[addr] >= limit {
		return nil, &ThrottledError{RetryAfter: time.Second}
	}
	f.n[addr]++
	var once sync.Once
	return func() { once.Do(func() { f.leave(addr) }) }, nil
}

func (f *inflight) leave(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[addr]--; f.n[addr] <= 0 {
		delete(f.n, addr)
	}
}

// SetAddressConcurrency changes how many sign-ins one client address may have running at once
// (DefaultAddressConcurrency until set; below 1: no limit). Safe while serving.
func (a *Auth) SetAddressConcurrency(n int) { a.running.limit.Store(int64(n)) }
