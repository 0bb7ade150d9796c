// Package settings holds system parameters that administrators change (pool rules and the like).
// There is one settings stream; each change is an event, so the history of every parameter is in
// the operation log.
package settings

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// ID is the one settings aggregate.
var ID = uuid.MustParse("00000000-0000-7000-8000-0000000000c0")

// Stream is its stream id.
const Stream = "settings-00000000-0000-7000-8000-0000000000c0"

// Defaults.
const (
	DefaultLeadClaimCap = 1000
	// DefaultTimeZone is the time zone of users who never chose one, until an administrator
	// sets another (Settings.DefaultTimeZone).
	DefaultTimeZone = "Asia/Shanghai"
)

// CustomerPool holds the customer pool (公海) rules and claim limits.
type CustomerPool struct {
	Rules               customer.PoolRules `json:"rules"`
	MaxClaimsPerDay     int                `json:"maxClaimsPerDay"`     // per user per day (0: no limit)
	MaxOwned            int                `json:"maxOwned"`            // customers one user may own and still claim (0: no limit)
	ReclaimCooldownDays int                `json:"reclaimCooldownDays"` // days before a previous owner may reclaim (0: none)
	// HidePreviousOwnerRemarks: the remark of a customer or a lead (one setting for both pools,
	// kept here where it was first introduced) written before its last release to the pool is not
	// shown to its later readers (except its author and administrators). Follow-ups and the
	// record's history stay readable.
	HidePreviousOwnerRemarks bool `json:"hidePreviousOwnerRemarks"`
}

// DefaultCustomerPool applies until an administrator changes it: no automatic returns, at most
// 1,000 owned customers.
var DefaultCustomerPool = CustomerPool{MaxOwned: 1000}

// Validate checks the limits.
func (c CustomerPool) Validate() error {
	var errs []error
	for name, v := range map[string]int{"customerPool.maxClaimsPerDay": c.MaxClaimsPerDay, "customerPool.maxOwned": c.MaxOwned,
		"customerPool.reclaimCooldownDays": c.ReclaimCooldownDays, "customerPool.rules.noFollowUpDays": c.Rules.NoFollowUpDays,
		"customerPool.rules.noDealDays": c.Rules.NoDealDays} {
		if v < 0 || v > 100_000 {
			errs = append(errs, field.Errorf(name, "must be between 0 and 100000, got %d", v))
		}
	}
	return errors.Join(errs...)
}

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// ErrNotFound: settings were never changed (defaults apply).
var ErrNotFound = errors.New("settings not found")

// Changed: some parameters changed (nil: unchanged).
type Changed struct {
	LeadClaimCap   *int64                  `json:"leadClaimCap,omitempty"`
	CustomerPool   *CustomerPool           `json:"customerPool,omitempty"`
	CustomerFields *[]customer.CustomField `json:"customerFields,omitempty"`
	// DefaultTimeZone was added later: old events read as unchanged.
	DefaultTimeZone *string `json:"defaultTimeZone,omitempty"`
	// SMTP was added later (the outgoing mail server, its password sealed): old events read as
	// unchanged.
	SMTP *SMTP     `json:"smtp,omitempty"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

func (Changed) EventType() string { return "settings.changed.v1" }

// Register adds the settings events to a registry.
func Register(r *event.Registry) { r.Register(func() event.Event { return &Changed{} }) }

// Settings is the aggregate state.
type Settings struct {
	event.Root
	leadClaimCap    int64
	customerPool    CustomerPool
	customerFields  []customer.CustomField
	defaultTimeZone string
	smtp            SMTP
}

// New is the settings before any change.
func New() *Settings {
	return &Settings{leadClaimCap: DefaultLeadClaimCap, customerPool: DefaultCustomerPool, defaultTimeZone: DefaultTimeZone}
}

// Rehydrate rebuilds the settings from their history.
func Rehydrate(_ uuid.UUID, history []event.Event) (*Settings, error) {
	s := New()
	s.Replay(s.apply, history, nil)
	return s, nil
}

func (s *Settings) LeadClaimCap() int64 { return s.leadClaimCap }

// SMTP is the outgoing mail server (its password sealed).
func (s *Settings) SMTP() SMTP { return s.smtp }

func (s *Settings) apply(e event.Event) {
	c, ok := e.(Changed)
	if !ok {
		return
	}
	if c.LeadClaimCap != nil {
		s.leadClaimCap = *c.LeadClaimCap
	}
	if c.CustomerPool != nil {
		s.customerPool = *c.CustomerPool
	}
	if c.CustomerFields != nil {
		s.customerFields = *c.CustomerFields
	}
	if c.DefaultTimeZone != nil {
		s.defaultTimeZone = *c.DefaultTimeZone
	}
	if c.SMTP != nil {
		s.smtp = *c.SMTP
	}
}

// Change is an edit of the settings.
type Change struct {
	LeadClaimCap    *int64
	CustomerPool    *CustomerPool
	CustomerFields  *[]customer.CustomField
	DefaultTimeZone *string
	// SMTP is the whole new mail server setting, its password already sealed (the caller keeps
	// the sealed password it had when the client did not send a new one).
	SMTP *SMTP
}

// Update applies a change; changing nothing records nothing.
func (s *Settings) Update(c Change, by uuid.UUID, at time.Time) error {
	e := Changed{By: by.String(), At: at.UTC()}
	if c.LeadClaimCap != nil {
		if *c.LeadClaimCap < 0 || *c.LeadClaimCap > 1_000_000 {
			return &ValidationError{Field: "leadClaimCap", Message: fmt.Sprintf("must be between 0 and 1000000, got %d", *c.LeadClaimCap)}
		}
		if *c.LeadClaimCap != s.leadClaimCap {
			e.LeadClaimCap = c.LeadClaimCap
		}
	}
	if c.CustomerPool != nil {
		if err := c.CustomerPool.Validate(); err != nil {
			return err
		}
		e.CustomerPool = c.CustomerPool
	}
	if c.CustomerFields != nil {
		if err := customer.ValidateDefinitions(*c.CustomerFields); err != nil {
			return err
		}
		e.CustomerFields = c.CustomerFields
	}
	if c.DefaultTimeZone != nil {
		z, err := user.ParseTimeZone("defaultTimeZone", *c.DefaultTimeZone)
		if err != nil {
			return err
		}
		if z != s.defaultTimeZone {
			e.DefaultTimeZone = &z
		}
	}
	if c.SMTP != nil {
		m := *c.SMTP
		m.Host, m.Username, m.From = strings.TrimSpace(m.Host), strings.TrimSpace(m.Username), strings.TrimSpace(m.From)
		if err := m.Validate(); err != nil {
			return err
		}
		if m != s.smtp {
			e.SMTP = &m
		}
	}
	if e.LeadClaimCap == nil && e.CustomerPool == nil && e.CustomerFields == nil && e.DefaultTimeZone == nil && e.SMTP == nil {
		return nil
	}
	s.Record(s.apply, e)
	return nil
}
