package usercmd

import (
	"errors"
	"testing"
)

func TestInflightLimitsEachAddress(t *testing.T) {
	f := newInflight(2)
	r1, err1 := f.enter("203.0.113.7")
	r2, err2 := f.enter("203.0.113.7")
	if err1 != nil || err2 != nil {
		t.Fatalf("the first two attempts: %v, %v", err1, err2)
	}
	_, err := f.enter("203.0.113.7")
	var te *ThrottledError
	if !errors.Is(err, ErrThrottled) || !errors.As(err, &te) || te.Seconds() != 1 {
		t.Fatalf("a third simultaneous attempt: %v, want ErrThrottled with Retry-After 1", err)
	}
	other, err := f.enter("198.51.100.9")
	if err != nil {
		t.Fatalf("another address is limited too: %v", err)
	}
	other()
	r1()
	r1() // releasing twice counts once
	r3, err := f.enter("203.0.113.7")
	if err != nil {
		t.Fatalf("after one finished: %v", err)
	}
	if _, err := f.enter("203.0.113.7"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a double release freed two places: %v", err)
	}
	r2()
	r3()
	if len(f.n) != 0 {
		t.Fatalf("counts left behind: %v", f.n)
	}
	f.limit.Store(0)
	for range 5 {
		if _, err := f.enter("203.0.113.7"); err != nil {
			t.Fatalf("limit 0 limits: %v", err)
		}
	}
}
