package usercmd

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrBusy: every password-hashing slot stayed taken for the gate's whole wait; the client
// should try again shortly (HTTP 503 with Retry-After).
var ErrBusy = errors.New("the server is busy checking passwords; try again shortly")

// BusyError is ErrBusy with the time to wait.
type BusyError struct{ RetryAfter time.Duration }

func (e *BusyError) Error() string {
	return fmt.Sprintf("the server is busy checking passwords; try again in %d s", e.Seconds())
}

// Is makes errors.Is(err, ErrBusy) hold.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// Seconds is RetryAfter rounded up to whole seconds (at least 1), for a Retry-After header.
func (e *BusyError) Seconds() int64 {
	return max(int64((e.RetryAfter+time.Second-1)/time.Second), 1)
}

// DefaultHashWait is how long a password check waits for a hashing slot before ErrBusy.
const DefaultHashWait = 2 * time.Second

// HashGate bounds how many argon2id computations run at once. Each one holds 19 MiB
// (argonMemory) and a CPU for tens of milliseconds: unbounded, a burst of sign-ins exhausts the
// memory and starves every other request. A computation waits for a slot at most the gate's
// wait (and while its request lasts), then fails with a *BusyError.
type HashGate struct {
	slots   chan struct{}
	wait    time.Duration
	waiting atomic.Int64
}

// DefaultHashConcurrency is one computation per CPU but one: a CPU stays free for every other
// request, so a flood of sign-ins does not slow the rest of the service (at least 1).
func DefaultHashConcurrency() int { return max(runtime.NumCPU()-1, 1) }

// NewHashGate admits n computations at once (DefaultHashConcurrency() when n < 1), each
// waiting at most wait for a slot (DefaultHashWait when wait <= 0).
func NewHashGate(n int, wait time.Duration) *HashGate {
	if n < 1 {
		n = DefaultHashConcurrency()
	}
	if wait <= 0 {
		wait = DefaultHashWait
	}
	return &HashGate{slots: make(chan struct{}, n), wait: wait}
}

// Size is how many computations the gate admits at once.
func (g *HashGate) Size() int { return cap(g.slots) }

// Enter takes a slot, waiting at most the gate's wait; release gives it back. A cancelled ctx
// ends the wait with ctx's error.
func (g *HashGate) Enter(ctx context.Context) (release func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	default:
	}
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	case <-t.C:
		return nil, &BusyError{RetryAfter: time.Second}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *HashGate) leave() { <-g.slots }

// Waiting is how many computations are waiting for a slot now.
func (g *HashGate) Waiting() int { return int(g.waiting.Load()) }

// Do runs fn in a slot.
func (g *HashGate) Do(ctx context.Context, fn func()) error {
	release, err := g.Enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	fn()
	return nil
}

// sharedGate is the gate of every Auth and Users until SetHashGate gives them another: memory
// is the process's, so by default all their argon2id computations share one bound.
var sharedGate = NewHashGate(0, 0)

// hashPassword is HashPassword inside a slot of g.
func hashPassword(ctx context.Context, g *HashGate, pw string) (hash string, err error) {
	if gerr := g.Do(ctx, func() { hash, err = HashPassword(pw) }); gerr != nil {
		return "", gerr
	}
	return hash, err
}

// verifyPassword is VerifyPassword inside a slot of g. No slot is an error, never a wrong
// password: check errors before ok.
func verifyPassword(ctx context.Context, g *HashGate, pw, encoded string) (ok bool, err error) {
	if gerr := g.Do(ctx, func() { ok, err = VerifyPassword(pw, encoded) }); gerr != nil {
		return false, gerr
	}
	return ok, err
}

// SetHashGate makes the sign-in commands hash inside g (configuration, before serving; the
// account commands should share it: see Users.SetHashGate).
func (a *Auth) SetHashGate(g *HashGate) { a.gate = g }

// SetHashGate makes the account commands hash inside g (configuration, before serving).
func (h *Users) SetHashGate(g *HashGate) { h.gate = g }
