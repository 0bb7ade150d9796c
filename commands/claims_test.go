package commands

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestClaimsCounts: a record held through several entries counts once; a claim decided twice
// (the same record at the same version, e.g. a double click) counts once for the day; entries
// before the day do not count.
func TestClaimsCounts(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	day := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cs := Claims{
		{Record: c, Version: 1, At: day.Add(-time.Hour), Held: true, Claimed: true},
		{Record: a, Version: 1, At: day.Add(time.Hour), Held: true, Claimed: true},
		{Record: a, Version: 1, At: day.Add(time.Hour), Held: true, Claimed: true},
		{Record: a, Version: 3, At: day.Add(2 * time.Hour), Held: true, Claimed: true},
		{Record: b, Version: 1, At: day.Add(3 * time.Hour), Held: false, Claimed: false},
	}
	if got := cs.Held(); got != 2 {
		t.Errorf("Held = %d, want 2 (a and c)", got)
	}
	if got := cs.ClaimedSince(day); got != 2 {
		t.Errorf("ClaimedSince = %d, want 2 (a at versions 1 and 3)", got)
	}
	if got := cs.Records(); len(got) != 3 || got[0] != c || got[1] != a || got[2] != b {
		t.Errorf("Records = %v", got)
	}
}
