package commands

import (
	"testing"
	"time"
)

type created struct {
	Name string
	At   time.Time
}

func (created) EventType() string { return "test.created.v1" }

type other struct{ Name string }

func (other) EventType() string { return "test.other.v1" }

func TestSameCreationIgnoresOnlyTheTime(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	a := created{Name: "星河", At: t0}
	if !SameCreation[created](a, created{Name: "星河", At: t0.Add(time.Minute)}) {
		t.Error("a retry a minute later does not match")
	}
	if SameCreation[created](a, created{Name: "星河科技", At: t0}) {
		t.Error("a different body matches")
	}
	if SameCreation[created](a, other{Name: "星河"}) || SameCreation[other](a, other{Name: "星河"}) {
		t.Error("events of another type match")
	}
	if !SameCreation[other](other{Name: "x"}, other{Name: "x"}) || SameCreation[other](other{Name: "x"}, other{Name: "y"}) {
		t.Error("an event without At is not compared as a whole")
	}
}
