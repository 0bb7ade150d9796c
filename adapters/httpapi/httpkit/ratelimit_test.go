package httpkit

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestLimiterIsATokenBucketPerUser(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(30, time.Minute, func() time.Time { return now })
	a, b := uuid.New(), uuid.New()
	for i := range 30 {
		if err := l.Allow(a); err != nil {
			t.Fatalf("request %d refused: %v", i+1, err)
		}
	}
	err := l.Allow(a)
	var rl *RateLimitedError
	if !errors.As(err, &rl) || rl.Seconds() != 2 || ProblemStatus(err) != 429 || ProblemFor(err).Code != "rate_limited" {
		t.Fatalf("31st request: %v (%d)", err, ProblemStatus(err))
	}
	if err := l.Allow(b); err != nil {
		t.Fatalf("another user is limited too: %v", err)
	}
	now = now.Add(2 * time.Second) // one token back
	if err := l.Allow(a); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	if err := l.Allow(a); err == nil {
		t.Fatal("two tokens came back in 2 s")
	}
	now = now.Add(time.Hour)
	for i := range 30 {
		if err := l.Allow(a); err != nil {
			t.Fatalf("refilled bucket, request %d: %v", i+1, err)
		}
	}
}
