package usercmd

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// Throttled sign-in attempts check nothing and change nothing, but the sign-in log shows them:
// they are counted in memory per account (or attempted username, or address alone when the
// address was held back), address and minute, and each count is recorded once its minute is
// over as one user.SignInThrottled event on the address's stream. A flood therefore costs one
// event per account, address and minute. The counts of a process that dies are lost (at most
// its last minute or so); FlushThrottled at shutdown records them.

// maxThrottleBuckets bounds the counts kept in memory; past it they are recorded early.
const maxThrottleBuckets = 10000

// ThrottleFlushInterval is how often RunThrottleFlusher records the counts of past minutes.
const ThrottleFlushInterval = 10 * time.Second

type throttleKey struct {
	userID, username, address string
	minute                    int64 // Unix minute
}

type throttleCount struct {
	n    int
	last time.Time
}

type throttleFolder struct {
	mu sync.Mutex
	m  map[throttleKey]*throttleCount
}

// foldThrottled counts a throttled attempt and records the counts of minutes already over.
// userID is empty for an unknown username, username too when the address itself was held back.
func (a *Auth) foldThrottled(ctx context.Context, userID, username, address string, now time.Time) {
	username = strings.ToLower(strings.TrimSpace(username))
	if utf8.RuneCountInString(username) > 64 {
		username = string([]rune(username)[:64])
	}
	k := throttleKey{userID: userID, username: username, address: address, minute: now.Unix() / 60}
	f := &a.throttled
	f.mu.Lock()
	if f.m == nil {
		f.m = map[throttleKey]*throttleCount{}
	}
	c := f.m[k]
	if c == nil {
		c = &throttleCount{}
		f.m[k] = c
	}
	c.n++
	c.last = now
	full := len(f.m) >= maxThrottleBuckets
	f.mu.Unlock()
	// Recording is best effort: a throttled attempt's answer does not wait on the log.
	_ = a.flushThrottled(ctx, now, full)
}

// FlushThrottled records the counts of throttled sign-in attempts of minutes that are over
// (all of them when all is set, at shutdown).
func (a *Auth) FlushThrottled(ctx context.Context, all bool) error {
	return a.flushThrottled(ctx, a.clock(), all)
}

func (a *Auth) flushThrottled(ctx context.Context, now time.Time, all bool) error {
	current := now.Unix() / 60
	f := &a.throttled
	f.mu.Lock()
	due := map[throttleKey]*throttleCount{}
	for k, c := range f.m {
		if all || k.minute < current {
			due[k] = c
			delete(f.m, k)
		}
	}
	f.mu.Unlock()
	var errs []error
	for k, c := range due {
		e := user.SignInThrottled{UserID: k.userID, Username: k.username, Address: k.address, Count: c.n,
			Minute: time.Unix(k.minute*60, 0).UTC(), At: c.last.UTC()}
		m := commands.Meta{Actor: access.Anonymous, Command: commands.AuthLogin, ClientAddr: k.address}
		errs = append(errs, a.appendAddressEvent(ctx, m, k.address, e, now))
	}
	return errors.Join(errs...)
}

// RunThrottleFlusher records the throttled-attempt counts of past minutes every
// ThrottleFlushInterval until ctx ends, then records the rest.
func (a *Auth) RunThrottleFlusher(ctx context.Context) {
	tick := time.NewTicker(ThrottleFlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = a.FlushThrottled(stop, true)
			cancel()
			return
		case <-tick.C:
			_ = a.FlushThrottled(ctx, false)
		}
	}
}
