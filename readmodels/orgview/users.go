package orgview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the organisation tables: departments, users and roles.
const Projection = readmodels.OrgProjection

// UsersProjection is the projection behind user reads (the organisation projection).
const UsersProjection = Projection

// User is the read view of an account (never the password hash).
type User struct {
	ID           uuid.UUID  `json:"id"`
	Username     string     `json:"username"`
	DisplayName  string     `json:"displayName"`
	Roles        []string   `json:"roles"`
	DepartmentID *uuid.UUID `json:"departmentId"`
	SuperiorID   *uuid.UUID `json:"superiorId"`
	Disabled     bool       `json:"disabled"`
	// LockedUntil is the end of the account's last sign-in lock (nil: never locked, or unlocked);
	// the account is locked while it is in the future.
	LockedUntil  *time.Time `json:"lockedUntil"`
	CreatedAt    time.Time  `json:"createdAt"`
	Version      int64      `json:"version"`
	DeptPath     string     `json:"-"`
	SuperiorPath string     `json:"-"`
	// TwoFactor: the account signs in with a second factor (an enrolment was confirmed).
	TwoFactor bool `json:"-"`
	// Language and TimeZone are the user's own preferences ("": never chosen).
	Language string `json:"-"`
	TimeZone string `json:"-"`
	// Email is the user's e-mail address ("": none), shown to the user and to administrators of
	// accounts only (like the username).
	Email string `json:"email,omitempty"`
}

// OrgDDL creates the organisation tables of one generation.
func OrgDDL(gen int) []string {
	u, d, r := readmodels.TableName("org_users", gen), readmodels.TableName("org_departments", gen), readmodels.TableName("org_roles", gen)
	return []string{
		`CREATE TABLE ` + u + ` (
		id TEXT PRIMARY KEY,
		username TEXT NOT NULL,
		username_lower TEXT NOT NULL UNIQUE,
		display_name TEXT NOT NULL,
		roles TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		disabled {bool} NOT NULL,
		created_at {time} NOT NULL,
		version {bigint} NOT NULL,
		department_id TEXT NOT NULL DEFAULT '',
		dept_path {path} NOT NULL DEFAULT '',
		superior_id TEXT NOT NULL DEFAULT '',
		superior_path {path} NOT NULL DEFAULT '/',
		locked_until {time},
		two_factor {bool} NOT NULL DEFAULT false,
		language TEXT NOT NULL DEFAULT '',
		time_zone TEXT NOT NULL DEFAULT '',
		email TEXT NOT NULL DEFAULT '',
		mail_kinds TEXT NOT NULL DEFAULT '')`,
		`CREATE INDEX ` + u + `_dept ON ` + u + ` (dept_path)`,
		`CREATE INDEX ` + u + `_sup ON ` + u + ` (superior_path)`,
		`CREATE TABLE ` + d + ` (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		parent_id TEXT NOT NULL DEFAULT '',
		path {path} NOT NULL,
		head_id TEXT NOT NULL DEFAULT '',
		disabled {bool} NOT NULL,
		created_at {time} NOT NULL,
		version {bigint} NOT NULL)`,
		`CREATE INDEX ` + d + `_path ON ` + d + ` (path)`,
		`CREATE TABLE ` + readmodels.TableName("org_settings", gen) + ` (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`CREATE TABLE ` + r + ` (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		display_name TEXT NOT NULL,
		permissions TEXT NOT NULL,
		data_scope TEXT NOT NULL,
		built_in {bool} NOT NULL,
		require_2fa {bool} NOT NULL,
		version {bigint} NOT NULL)`,
	}
}

const userColumns = `id, username, display_name, roles, password_hash, disabled, created_at, version, department_id, superior_id, dept_path, superior_path, locked_until,
	two_factor, language, time_zone, email`

func scanUser(row readmodels.Scanner) (*User, string, error) {
	var (
		u              User
		id, rl, hash   string
		dept, superior string
		created, until readmodels.Time
	)
	if err := row.Scan(&id, &u.Username, &u.DisplayName, &rl, &hash, &u.Disabled, &created, &u.Version, &dept, &superior, &u.DeptPath, &u.SuperiorPath, &until,
		&u.TwoFactor, &u.Language, &u.TimeZone, &u.Email); err != nil {
		return nil, "", err
	}
	if until.Valid {
		u.LockedUntil = &until.T
	}
	u.ID, _ = uuid.Parse(id)
	_ = json.Unmarshal([]byte(rl), &u.Roles)
	u.CreatedAt = created.T
	u.DepartmentID, u.SuperiorID = readmodels.OptID(dept), readmodels.OptID(superior)
	return &u, hash, nil
}

func (db *Views) userBy(ctx context.Context, cond string, arg any) (*User, string, error) {
	table := db.Gens.Table(Projection, "org_users")
	u, hash, err := scanUser(db.SQL.QueryRowContext(ctx, db.Q("SELECT "+userColumns+" FROM "+table+" WHERE "+cond), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", readmodels.ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("load user: %w", err)
	}
	return u, hash, nil
}

func credential(u *User, hash string) usercmd.Credential {
	c := usercmd.Credential{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Roles: u.Roles, PasswordHash: hash,
		Disabled: u.Disabled, DeptPath: u.DeptPath, SuperiorPath: u.SuperiorPath}
	if u.DepartmentID != nil {
		c.DepartmentID = *u.DepartmentID
	}
	return c
}

// CredentialByUsername implements commands.CredentialStore.
func (db *Views) CredentialByUsername(ctx context.Context, username string) (usercmd.Credential, error) {
	u, hash, err := db.userBy(ctx, "username_lower = ?", strings.ToLower(strings.TrimSpace(username)))
	if errors.Is(err, readmodels.ErrNotFound) {
		return usercmd.Credential{}, commands.ErrNotFound
	}
	if err != nil {
		return usercmd.Credential{}, err
	}
	return credential(u, hash), nil
}

// CredentialByID implements commands.CredentialStore.
func (db *Views) CredentialByID(ctx context.Context, id uuid.UUID) (usercmd.Credential, error) {
	u, hash, err := db.userBy(ctx, "id = ?", id.String())
	if errors.Is(err, readmodels.ErrNotFound) {
		return usercmd.Credential{}, commands.ErrNotFound
	}
	if err != nil {
		return usercmd.Credential{}, err
	}
	return credential(u, hash), nil
}

// IsActiveUser implements commands.UserDirectory.
func (db *Views) IsActiveUser(ctx context.Context, id uuid.UUID) (bool, error) {
	u, _, err := db.userBy(ctx, "id = ?", id.String())
	if errors.Is(err, readmodels.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !u.Disabled, nil
}

// GetUser returns one account.
func (db *Views) GetUser(ctx context.Context, id uuid.UUID) (*User, error) {
	u, _, err := db.userBy(ctx, "id = ?", id.String())
	return u, err
}

// ListUsers lists accounts by username; an optional department path limits it to a subtree.
func (db *Views) ListUsers(ctx context.Context, deptPrefix ...string) ([]*User, error) {
	table := db.Gens.Table(Projection, "org_users")
	q, args := "SELECT "+userColumns+" FROM "+table, []any{}
	if len(deptPrefix) > 0 && deptPrefix[0] != "" {
		q += " WHERE dept_path >= ? AND dept_path < ?"
		args = append(args, deptPrefix[0], deptPrefix[0]+"\uffff")
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q(q+" ORDER BY username_lower"), args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []*User{}
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Sessions (commands.SessionStore).

const sessionColumns = `id, token_hash, user_id, created_at, expires_at, client, two_factor`

func scanSession(row readmodels.Scanner) (usercmd.Session, error) {
	var (
		s                usercmd.Session
		uid              string
		created, expires readmodels.Time
	)
	if err := row.Scan(&s.ID, &s.TokenHash, &uid, &created, &expires, &s.Client, &s.TwoFactor); err != nil {
		return usercmd.Session{}, err
	}
	s.UserID, _ = uuid.Parse(uid)
	s.CreatedAt, s.ExpiresAt = created.T, expires.T
	return s, nil
}

// CreateSession implements commands.SessionStore.
func (db *Views) CreateSession(ctx context.Context, s usercmd.Session) error {
	if s.ID == "" {
		s.ID = uuid.NewString()
	}
	_, err := db.SQL.ExecContext(ctx, db.Q(`INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		s.ID, s.TokenHash, s.UserID.String(), db.Dialect.Time(s.CreatedAt), db.Dialect.Time(s.ExpiresAt), s.Client, s.TwoFactor)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// TouchSession implements commands.SessionStore: a valid session slides its expiry forward.
func (db *Views) TouchSession(ctx context.Context, tokenHash string, now, newExpiry time.Time) (usercmd.Session, error) {
	s, err := scanSession(db.SQL.QueryRowContext(ctx, db.Q(`SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`), tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return usercmd.Session{}, commands.ErrNotFound
	}
	if err != nil {
		return usercmd.Session{}, fmt.Errorf("load session: %w", err)
	}
	if !s.ExpiresAt.After(now) {
		_ = db.DeleteSession(ctx, tokenHash)
		return usercmd.Session{}, commands.ErrNotFound
	}
	// Slide at most once a minute to keep reads cheap.
	if newExpiry.Sub(s.ExpiresAt) > time.Minute {
		if _, err := db.SQL.ExecContext(ctx, db.Q(`UPDATE sessions SET expires_at = ? WHERE token_hash = ?`), db.Dialect.Time(newExpiry), tokenHash); err != nil {
			return usercmd.Session{}, fmt.Errorf("slide session: %w", err)
		}
		s.ExpiresAt = newExpiry
	}
	return s, nil
}

// DeleteSession implements commands.SessionStore.
func (db *Views) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := db.SQL.ExecContext(ctx, db.Q(`DELETE FROM sessions WHERE token_hash = ?`), tokenHash)
	return err
}

// DeleteUserSessions implements commands.SessionStore.
func (db *Views) DeleteUserSessions(ctx context.Context, userID uuid.UUID, keep string) error {
	_, err := db.SQL.ExecContext(ctx, db.Q(`DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`), userID.String(), keep)
	return err
}

// UserSessions implements commands.SessionStore.
func (db *Views) UserSessions(ctx context.Context, userID uuid.UUID, now time.Time) ([]usercmd.Session, error) {
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? AND expires_at > ?
		ORDER BY created_at DESC, id`), userID.String(), db.Dialect.Time(now))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	out := []usercmd.Session{}
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteUserSession implements commands.SessionStore.
func (db *Views) DeleteUserSession(ctx context.Context, userID uuid.UUID, id string) error {
	res, err := db.SQL.ExecContext(ctx, db.Q(`DELETE FROM sessions WHERE user_id = ? AND id = ?`), userID.String(), id)
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	if n == 0 {
		return commands.ErrNotFound
	}
	return nil
}

// SetUserTwoFactor implements commands.SessionStore.
func (db *Views) SetUserTwoFactor(ctx context.Context, userID uuid.UUID, on bool) error {
	_, err := db.SQL.ExecContext(ctx, db.Q(`UPDATE sessions SET two_factor = ? WHERE user_id = ?`), on, userID.String())
	if err != nil {
		return fmt.Errorf("mark sessions: %w", err)
	}
	return nil
}

// MailPrefs are a user's e-mail address and the notification kinds they want by e-mail.
type MailPrefs struct {
	Email    string
	Username string
	Display  string
	Language string
	Disabled bool
	user.Preferences
}

// MailPreferences reads a user's e-mail preferences (readmodels.ErrNotFound: no such user).
func (db *Views) MailPreferences(ctx context.Context, id uuid.UUID) (MailPrefs, error) {
	var p MailPrefs
	var kinds string
	err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT username, display_name, disabled, language, email, mail_kinds FROM `+
		db.Gens.Table(Projection, "org_users")+` WHERE id = ?`), id.String()).Scan(&p.Username, &p.Display, &p.Disabled, &p.Language, &p.Email, &kinds)
	if errors.Is(err, sql.ErrNoRows) {
		return MailPrefs{}, readmodels.ErrNotFound
	}
	if err != nil {
		return MailPrefs{}, err
	}
	p.Preferences = user.Preferences{Language: p.Language, Email: p.Email}
	p.Preferences.MailKinds, p.Preferences.MailKindsChosen = ParseMailKinds(kinds)
	return p, nil
}

// ParseMailKinds reads the mail_kinds column: "" is never chosen.
func ParseMailKinds(col string) ([]string, bool) {
	if col == "" {
		return append([]string(nil), user.DefaultMailKinds...), false
	}
	var kinds []string
	_ = json.Unmarshal([]byte(col), &kinds)
	if kinds == nil {
		kinds = []string{}
	}
	return kinds, true
}

// MailUserByLogin finds an account by its username (case-insensitively) for a password reset.
func (db *Views) MailUserByLogin(ctx context.Context, login string) (uuid.UUID, MailPrefs, error) {
	var id string
	err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT id FROM `+db.Gens.Table(Projection, "org_users")+` WHERE username_lower = ?`),
		strings.ToLower(strings.TrimSpace(login))).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, MailPrefs{}, readmodels.ErrNotFound
	}
	if err != nil {
		return uuid.Nil, MailPrefs{}, err
	}
	uid, _ := uuid.Parse(id)
	p, err := db.MailPreferences(ctx, uid)
	return uid, p, err
}
