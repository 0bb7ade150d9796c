package sqlite

import (
	"sync"

	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
)

// GroupCommitHooks gives eventstoretest.TestGroupCommit access to the store's group commit.
func GroupCommitHooks(s *Store) eventstoretest.GroupCommit {
	return eventstoretest.GroupCommit{
		Hold: func(entered chan<- struct{}, release <-chan struct{}) {
			var once sync.Once
			s.beforeCommit = func() { once.Do(func() { entered <- struct{}{}; <-release }) }
		},
		Waiting:      s.group.Waiting,
		Transactions: s.transactions.Load,
	}
}
