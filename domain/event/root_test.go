package event_test

import (
	"testing"

	"github.com/chronicle-crm/chronicle/domain/event"
)

type counted struct{ N int }

func (counted) EventType() string { return "test.counted.v1" }

type counter struct {
	event.Root
	sum int
}

func (c *counter) apply(e event.Event) { c.sum += e.(counted).N }

func TestRootReplaysThenRecords(t *testing.T) {
	t.Parallel()
	c := &counter{}
	var versions []int64
	c.Replay(c.apply, []event.Event{counted{1}, counted{2}}, func(_ event.Event, v int64) { versions = append(versions, v) })
	if c.Version() != 2 || c.sum != 3 || len(c.Changes()) != 0 || len(versions) != 2 || versions[1] != 2 {
		t.Fatalf("after replay: version %d, sum %d, changes %d, versions %v", c.Version(), c.sum, len(c.Changes()), versions)
	}
	c.Record(c.apply, counted{4})
	if c.Version() != 2 || c.sum != 7 || len(c.Changes()) != 1 {
		t.Fatalf("after record: version %d (the loaded version stays), sum %d, changes %d", c.Version(), c.sum, len(c.Changes()))
	}
	changes := c.Changes()
	changes[0] = counted{100}
	if c.Changes()[0].(counted).N != 4 {
		t.Fatal("Changes hands out the recorded slice itself")
	}
}
