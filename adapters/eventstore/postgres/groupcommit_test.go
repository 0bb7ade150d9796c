package postgres

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
)

// groupCommitHooks gives eventstoretest.TestGroupCommit access to the store's group commit.
func groupCommitHooks(s *Store) eventstoretest.GroupCommit {
	return eventstoretest.GroupCommit{
		Hold: func(entered chan<- struct{}, release <-chan struct{}) {
			var once sync.Once
			s.beforeCommit = func([]string) {
				once.Do(func() { entered <- struct{}{}; <-release })
			}
		},
		Waiting:      s.group.Waiting,
		Transactions: s.transactions.Load,
		Invalid:      func() eventstore.EventData { return eventstoretest.Event("lead.created.v1", "a\x00b") },
	}
}

func TestGroupCommit(t *testing.T) {
	s, _ := openStore(t)
	eventstoretest.TestGroupCommit(t, s, groupCommitHooks(s))
}

// acceptSets: for which prior version of the stream each element of one stream is written.
func TestAcceptSets(t *testing.T) {
	el := func(expected int64, events int) eventstore.StreamAppend {
		return eventstore.StreamAppend{Stream: "lead-1", ExpectedVersion: expected, Events: make([]eventstore.EventData, events)}
	}
	cases := []struct {
		name    string
		appends []eventstore.StreamAppend
		want    string
	}{
		{"one", []eventstore.StreamAppend{el(3, 2)}, "[[3]]"},
		{"same expected version: the first wins", []eventstore.StreamAppend{el(0, 1), el(0, 1), el(0, 2)}, "[[0] [] []]"},
		{"a chain", []eventstore.StreamAppend{el(0, 2), el(2, 1), el(3, 1)}, "[[0] [0 2] [0 2 3]]"},
		{"a chain with a conflict inside", []eventstore.StreamAppend{el(1, 1), el(0, 1), el(1, 1)}, "[[1] [0] [0]]"},
	}
	for _, c := range cases {
		idx := make([]int, len(c.appends))
		for i := range idx {
			idx[i] = i
		}
		sets := acceptSets(c.appends, idx)
		for _, s := range sets {
			slices.Sort(s)
		}
		if got := fmt.Sprint(sets); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
