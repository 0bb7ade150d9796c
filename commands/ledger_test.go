package commands_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
)

// loads counts the events each Load of a stream returned.
type loads struct {
	eventstore.Store
	mu   sync.Mutex
	last int
}

func (s *loads) Load(ctx context.Context, stream string, o eventstore.LoadOptions) ([]eventstore.Event, error) {
	evs, err := s.Store.Load(ctx, stream, o)
	s.mu.Lock()
	s.last = len(evs)
	s.mu.Unlock()
	return evs, err
}

// TestClaimLedgerReadsItsTail: a user's ledger keeps every claim for ever, but once a decision has
// seen which entries are older than its window, the next decisions load only the newer ones; the
// counts are those of the whole ledger (a limit of 3 per window holds exactly), a window that starts
// earlier again reads the whole stream, and a second process (its own ledger value, no memory)
// decides the same.
func TestClaimLedgerReadsItsTail(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	store := &loads{Store: st}
	reg := event.NewRegistry()
	commands.RegisterEvents(reg)
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	// every claim lands (the record's stream shows it): held, claimed
	fate := func(context.Context, uuid.UUID, int64, uuid.UUID) (commands.ClaimFate, error) {
		return commands.ClaimFate{Landed: true, Held: true}, nil
	}
	newLedger := func() *commands.ClaimLedger {
		return &commands.ClaimLedger{Store: store, Registry: reg, Clock: clock, Kind: commands.LeadClaimsKind, Fate: fate}
	}
	ledger := newLedger()
	user := uuid.New()
	errLimit := errors.New("limit")
	window := func(l *commands.ClaimLedger, since time.Time) error {
		return l.Decide(ctx, commands.Meta{}, user, uuid.New(), 1,
			func() (time.Time, error) { return since, nil },
			func(cs commands.Claims) error {
				if cs.ClaimedSince(since) >= 3 {
					return errLimit
				}
				return nil
			})
	}
	// 10 days of claims, 3 a day (the day's limit), each day's fourth refused.
	for day := 0; day < 10; day++ {
		start := now.Truncate(24 * time.Hour)
		for i := 0; i < 3; i++ {
			if err := window(ledger, start); err != nil {
				t.Fatalf("day %d claim %d: %v", day, i, err)
			}
			now = now.Add(time.Minute)
		}
		if err := window(ledger, start); !errors.Is(err, errLimit) {
			t.Fatalf("day %d: fourth claim = %v, want the limit", day, err)
		}
		if day > 0 && store.last != 3 {
			t.Fatalf("day %d: the decision loaded %d entries, want only the day's 3", day, store.last)
		}
		now = now.Add(24 * time.Hour)
	}
	// A window reaching back two days reads the whole ledger and counts 6.
	if err := ledger.Decide(ctx, commands.Meta{}, user, uuid.New(), 1,
		func() (time.Time, error) { return now.Truncate(24 * time.Hour).Add(-48 * time.Hour), nil },
		func(cs commands.Claims) error {
			if n := cs.ClaimedSince(now.Truncate(24 * time.Hour).Add(-48 * time.Hour)); n != 6 {
				t.Errorf("claimed in the last two days = %d, want 6", n)
			}
			return errLimit
		}); !errors.Is(err, errLimit) {
		t.Fatal(err)
	}
	if store.last != 30 {
		t.Fatalf("the wider window loaded %d entries, want all 30", store.last)
	}
	// Another process decides from the whole stream, appending at the right version.
	other := newLedger()
	today := now.Truncate(24 * time.Hour)
	for i := 0; i < 3; i++ {
		if err := window(other, today); err != nil {
			t.Fatalf("other process, claim %d: %v", i, err)
		}
	}
	if err := window(ledger, today); !errors.Is(err, errLimit) {
		t.Fatalf("first process after the other's 3 claims today: %v, want the limit", err)
	}
	if v, _ := st.Load(ctx, commands.ClaimLedgerStream(commands.LeadClaimsKind, user), eventstore.LoadOptions{}); len(v) != 33 {
		t.Fatalf("ledger holds %d entries, want 33", len(v))
	}
}
