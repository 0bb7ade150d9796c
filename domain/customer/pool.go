package customer

import (
	"slices"
	"time"
)

// Pool rule names recorded on automatic returns.
const (
	RuleNoFollowUp = "no_follow_up"
	RuleNoDeal     = "no_deal"
)

// PoolRules say when owned customers return to the pool by themselves (administrator settings).
type PoolRules struct {
	NoFollowUpDays    int      `json:"noFollowUpDays"`    // return after N days without a follow-up (0: off)
	NoDealDays        int      `json:"noDealDays"`        // return M days after being claimed without a closed deal (0: off)
	ExcludeClosedDeal bool     `json:"excludeClosedDeal"` // customers with a closed deal never return
	Levels            []string `json:"levels,omitempty"`  // apply only to these customer levels (empty: all)
}

// Due tells whether the customer should return to the pool at now, by which rule, and when it
// becomes (or became) due. Locked, deleted and pool customers are never due.
func (c *Customer) Due(r PoolRules, now time.Time) (rule string, at time.Time, due bool) {
	if c.deleted || c.InPool() {
		return "", time.Time{}, false
	}
	return DueAt(r, now, Standing{Level: c.fields.Level, Status: c.status, Locked: c.locked, ClaimedAt: c.claimedAt, LastFollowUpAt: c.lastFollowUpAt, LastDealAt: c.lastDealAt})
}

// Standing is what the pool rules look at; read models hold it too, so "will return in N days"
// lists use the same rule as the automatic return.
type Standing struct {
	Level          string
	Status         Status
	Locked         bool
	ClaimedAt      time.Time
	LastFollowUpAt time.Time
	LastDealAt     time.Time // the last won opportunity (zero: none recorded)
}

// DueAt applies the rules to an owned customer's standing. The follow-up clock starts at the
// later of the last follow-up and the moment the owner got the customer.
func DueAt(r PoolRules, now time.Time, s Standing) (rule string, at time.Time, due bool) {
	if s.Locked {
		return "", time.Time{}, false
	}
	if len(r.Levels) > 0 && !slices.Contains(r.Levels, s.Level) {
		return "", time.Time{}, false
	}
	if r.ExcludeClosedDeal && s.Status == StatusClosedDeal {
		return "", time.Time{}, false
	}
	first := time.Time{}
	if r.NoFollowUpDays > 0 {
		start := s.ClaimedAt
		if s.LastFollowUpAt.After(start) {
			start = s.LastFollowUpAt
		}
		at, rule = start.AddDate(0, 0, r.NoFollowUpDays), RuleNoFollowUp
		first = at
	}
	// The no-deal clock starts at the later of the claim and the last won opportunity. A customer
	// set to closed-deal by hand, with no deal recorded, is not due under it (as before deals
	// were recorded).
	if r.NoDealDays > 0 && (s.Status != StatusClosedDeal || !s.LastDealAt.IsZero()) {
		start := s.ClaimedAt
		if s.LastDealAt.After(start) {
			start = s.LastDealAt
		}
		if d := start.AddDate(0, 0, r.NoDealDays); first.IsZero() || d.Before(first) {
			at, rule, first = d, RuleNoDeal, d
		}
	}
	if first.IsZero() {
		return "", time.Time{}, false
	}
	return rule, first, !now.Before(first)
}
