package loginview

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// LoginsProjection owns the sign-in log: one row per sign-in outcome (succeeded, failed, locked,
// unlocked, and throttled attempts folded per account, address and minute with their count), for
// the login audit and for throttling failed sign-ins by address and username.
const Projection = "logins"

// Login outcomes.
const (
	LoginSucceeded = "succeeded"
	LoginFailed    = "failed"
	LoginLocked    = "locked"
	LoginUnlocked  = "unlocked"
	LoginThrottled = "throttled"
)

// LoginOutcomes lists the outcomes a query may filter by.
var LoginOutcomes = []string{LoginSucceeded, LoginFailed, LoginLocked, LoginUnlocked, LoginThrottled}

// LoginsDDL creates the sign-in log of one generation.
func DDL(gen int) []string {
	t := readmodels.TableName("login_events", gen)
	return []string{
		`CREATE TABLE ` + t + ` (
		position {bigint} PRIMARY KEY,
		occurred_at {time} NOT NULL,
		user_id TEXT NOT NULL,
		username TEXT NOT NULL,
		username_lower TEXT NOT NULL,
		address TEXT NOT NULL,
		outcome TEXT NOT NULL,
		reason TEXT NOT NULL,
		method TEXT NOT NULL,
		actor_id TEXT NOT NULL,
		actor_name TEXT NOT NULL,
		attempts {bigint} NOT NULL DEFAULT 1,
		locked_until {time})`,
		`CREATE INDEX ` + t + `_user ON ` + t + ` (user_id, position)`,
		`CREATE INDEX ` + t + `_username ON ` + t + ` (username_lower, occurred_at)`,
		`CREATE INDEX ` + t + `_address ON ` + t + ` (address, occurred_at)`,
		`CREATE INDEX ` + t + `_outcome ON ` + t + ` (outcome, position)`,
		`CREATE INDEX ` + t + `_time ON ` + t + ` (occurred_at)`,
	}
}

// LoginColumns in insert order.
const Columns = `position, occurred_at, user_id, username, username_lower, address, outcome, reason, method, actor_id, actor_name, attempts, locked_until`

// LoginEvent is one row of the sign-in log. UserID is null for usernames that name no account.
// Count is the number of attempts the row stands for (more than 1 only for throttled attempts,
// folded per account, address and minute); LockedUntil is when a lock ends (locked rows).
type LoginEvent struct {
	Position    uint64                `json:"position"`
	OccurredAt  time.Time             `json:"occurredAt"`
	UserID      *string               `json:"userId"`
	Username    string                `json:"username"`
	Address     string                `json:"address"`
	Outcome     string                `json:"outcome"`
	Reason      string                `json:"reason,omitempty"`
	Method      string                `json:"method,omitempty"`
	Count       int                   `json:"count"`
	LockedUntil *time.Time            `json:"lockedUntil,omitempty"`
	Actor       readmodels.AuditActor `json:"actor"`
}

// Args are the row's values in LoginColumns order.
func Args(d readmodels.Dialect, e LoginEvent) []any {
	uid := ""
	if e.UserID != nil {
		uid = *e.UserID
	}
	var until any
	if e.LockedUntil != nil {
		until = d.Time(*e.LockedUntil)
	}
	return []any{int64(e.Position), d.Time(e.OccurredAt), uid, e.Username, strings.ToLower(e.Username), e.Address,
		e.Outcome, e.Reason, e.Method, e.Actor.ID, e.Actor.Name, int64(max(e.Count, 1)), until}
}

// LoginQuery filters the sign-in log. User is an account id, or else a username (any case).
type Query struct {
	Scope    readmodels.Scope // whose sign-ins the reader may see (sign-ins to no account: the all scope only)
	User     string
	Address  string
	Outcome  string
	From, To *time.Time
	Limit    int
	Cursor   string // a cursor this server issued; pages go from newest to oldest
}

// Search pages through the sign-in log, newest first.
func (db *Views) Search(ctx context.Context, q Query) (readmodels.Page[LoginEvent], error) {
	table := db.Gens.Table(Projection, "login_events")
	var where []string
	var args []any
	add := func(c string, a ...any) { where = append(where, c); args = append(args, a...) }
	if cond, a := q.Scope.UserCondition(db.Gens.Table(readmodels.OrgProjection, "org_users"), "user_id"); cond != "" {
		add(cond, a...)
	}
	if q.User != "" {
		if id, err := uuid.Parse(q.User); err == nil && len(q.User) == 36 {
			add("user_id = ?", id.String())
		} else {
			add("username_lower = ?", strings.ToLower(strings.TrimSpace(q.User)))
		}
	}
	if q.Address != "" {
		add("address = ?", q.Address)
	}
	if q.Outcome != "" {
		if !slices.Contains(LoginOutcomes, q.Outcome) {
			return readmodels.Page[LoginEvent]{}, &readmodels.ValidationError{Field: "outcome", Message: "must be one of " + strings.Join(LoginOutcomes, ", ")}
		}
		add("outcome = ?", q.Outcome)
	}
	if q.From != nil {
		add("occurred_at >= ?", db.Dialect.Time(*q.From))
	}
	if q.To != nil {
		add("occurred_at < ?", db.Dialect.Time(*q.To))
	}
	return readmodels.List(ctx, db.DB, readmodels.ListSpec[LoginEvent]{Table: table, Columns: Columns, Key: "position", KeyInt: true,
		Sorts: map[string]readmodels.SortColumn{"position": {Column: "position"}}, DefaultSort: "-position", Scan: scan,
		Value: func(e LoginEvent, _ string) (any, string) { return nil, strconv.FormatUint(e.Position, 10) }},
		readmodels.ListQuery{Where: where, Args: args, Limit: q.Limit, Cursor: q.Cursor})
}

// scan reads one row in Columns order.
func scan(row readmodels.Scanner) (LoginEvent, error) {
	var (
		e             LoginEvent
		pos           int64
		at, until     readmodels.Time
		uid, usrLower string
		count         int64
	)
	if err := row.Scan(&pos, &at, &uid, &e.Username, &usrLower, &e.Address, &e.Outcome, &e.Reason, &e.Method, &e.Actor.ID, &e.Actor.Name,
		&count, &until); err != nil {
		return LoginEvent{}, err
	}
	e.Count = int(count)
	if until.Valid {
		e.LockedUntil = &until.T
	}
	e.Position, e.OccurredAt = uint64(pos), at.T
	if uid != "" {
		e.UserID = &uid
	}
	return e, nil
}

// RecentSignInFailures serves the sign-in throttling of usercmd (its SignInLog port).
func (db *Views) RecentSignInFailures(ctx context.Context, address, username string, since time.Time) (int, time.Time, error) {
	table := db.Gens.Table(Projection, "login_events")
	cond, arg := "address = ?", address
	if username != "" {
		cond, arg = "username_lower = ?", strings.ToLower(username)
	}
	var (
		n    int
		last readmodels.Time
	)
	err := db.SQL.QueryRowContext(ctx, db.Q("SELECT count(*), max(occurred_at) FROM "+table+" WHERE "+cond+" AND outcome = ? AND occurred_at > ?"),
		arg, LoginFailed, db.Dialect.Time(since)).Scan(&n, &last)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count failed sign-ins: %w", err)
	}
	return n, last.T, nil
}
