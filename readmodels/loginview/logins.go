package loginview

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// LoginsProjection owns the sign-in log: one row per sign-in outcome (succeeded, failed, locked,
// unlocked), for the login audit and for throttling failed sign-ins by address and username.
const Projection = "logins"

// Login outcomes.
const (
	LoginSucceeded = "succeeded"
	LoginFailed    = "failed"
	LoginLocked    = "locked"
	LoginUnlocked  = "unlocked"
)

// LoginOutcomes lists the outcomes a query may filter by.
var LoginOutcomes = []string{LoginSucceeded, LoginFailed, LoginLocked, LoginUnlocked}

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
		actor_name TEXT NOT NULL)`,
		`CREATE INDEX ` + t + `_user ON ` + t + ` (user_id, position)`,
		`CREATE INDEX ` + t + `_username ON ` + t + ` (username_lower, occurred_at)`,
		`CREATE INDEX ` + t + `_address ON ` + t + ` (address, occurred_at)`,
		`CREATE INDEX ` + t + `_outcome ON ` + t + ` (outcome, position)`,
		`CREATE INDEX ` + t + `_time ON ` + t + ` (occurred_at)`,
	}
}

// LoginColumns in insert order.
const Columns = `position, occurred_at, user_id, username, username_lower, address, outcome, reason, method, actor_id, actor_name`

// LoginEvent is one row of the sign-in log. UserID is null for usernames that name no account.
type LoginEvent struct {
	Position   uint64                `json:"position"`
	OccurredAt time.Time             `json:"occurredAt"`
	UserID     *string               `json:"userId"`
	Username   string                `json:"username"`
	Address    string                `json:"address"`
	Outcome    string                `json:"outcome"`
	Reason     string                `json:"reason,omitempty"`
	Method     string                `json:"method,omitempty"`
	Actor      readmodels.AuditActor `json:"actor"`
}

// Args are the row's values in LoginColumns order.
func Args(d readmodels.Dialect, e LoginEvent) []any {
	uid := ""
	if e.UserID != nil {
		uid = *e.UserID
	}
	return []any{int64(e.Position), d.Time(e.OccurredAt), uid, e.Username, strings.ToLower(e.Username), e.Address,
		e.Outcome, e.Reason, e.Method, e.Actor.ID, e.Actor.Name}
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
		at            readmodels.Time
		uid, usrLower string
	)
	if err := row.Scan(&pos, &at, &uid, &e.Username, &usrLower, &e.Address, &e.Outcome, &e.Reason, &e.Method, &e.Actor.ID, &e.Actor.Name); err != nil {
		return LoginEvent{}, err
	}
	e.Position, e.OccurredAt = uint64(pos), at.T
	if uid != "" {
		e.UserID = &uid
	}
	return e, nil
}

// RecentSignInFailures implements commands.SignInLog.
func (db *Views) RecentSignInFailures(ctx context.Context, q usercmd.SignInFailureQuery) (int, time.Time, error) {
	table := db.Gens.Table(Projection, "login_events")
	cond, arg := "address = ?", q.Address
	if q.Username != "" {
		cond, arg = "username_lower = ?", strings.ToLower(q.Username)
	}
	var (
		n    int
		last readmodels.Time
	)
	err := db.SQL.QueryRowContext(ctx, db.Q("SELECT count(*), max(occurred_at) FROM "+table+" WHERE "+cond+" AND outcome = ? AND occurred_at > ?"),
		arg, LoginFailed, db.Dialect.Time(q.Since)).Scan(&n, &last)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count failed sign-ins: %w", err)
	}
	return n, last.T, nil
}

var _ usercmd.SignInLog = (*Views)(nil)
