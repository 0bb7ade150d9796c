package httpkit

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Limiter is a token bucket per user, in memory (per process): each user may make Burst requests
// at once and one more every Per/Burst after that. A request over the limit is RateLimitedError
// (429 rate_limited with Retry-After).
type Limiter struct {
	Burst int
	Per   time.Duration
	Clock func() time.Time

	mu      sync.Mutex
	buckets map[uuid.UUID]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter allows burst requests per period and user.
func NewLimiter(burst int, per time.Duration, clock func() time.Time) *Limiter {
	if clock == nil {
		clock = time.Now
	}
	return &Limiter{Burst: burst, Per: per, Clock: clock, buckets: map[uuid.UUID]*bucket{}}
}

// Allow takes a token of user's bucket, or answers how long until one is there.
func (l *Limiter) Allow(user uuid.UUID) error {
	now := l.Clock()
	rate := float64(l.Burst) / float64(l.Per) // tokens per nanosecond
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[user]
	if b == nil {
		if len(l.buckets) >= 10000 {
			l.prune(now, rate)
		}
		b = &bucket{tokens: float64(l.Burst), at: now}
		l.buckets[user] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens, b.at = min(float64(l.Burst), b.tokens+float64(d)*rate), now
	}
	if b.tokens >= 1 {
		b.tokens--
		return nil
	}
	return &RateLimitedError{Wait: time.Duration((1 - b.tokens) / rate)}
}

// prune forgets the buckets that have filled up again (they are the same as new ones).
func (l *Limiter) prune(now time.Time, rate float64) {
	for u, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))*rate >= float64(l.Burst) {
			delete(l.buckets, u)
		}
	}
}

// RateLimitedError is a request over a Limiter's limit: 429 rate_limited, Retry-After Wait.
type RateLimitedError struct{ Wait time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many requests; try again in %d s", e.Seconds())
}

// Seconds is Wait rounded up to whole seconds (at least 1), for the Retry-After header.
func (e *RateLimitedError) Seconds() int64 {
	return max(int64((e.Wait+time.Second-1)/time.Second), 1)
}

// Unwrap makes the error a 429 problem.
func (e *RateLimitedError) Unwrap() error {
	return &StatusError{Status: http.StatusTooManyRequests, Code: "rate_limited", Detail: e.Error()}
}
