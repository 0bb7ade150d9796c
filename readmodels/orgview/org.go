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

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
	"github.com/chronicle-crm/chronicle/readmodels"
)

var _ orgcmd.Directory = (*Views)(nil)

// Placement implements commands.OrgDirectory.
func (db *Views) Placement(ctx context.Context, id uuid.UUID) (access.Placement, bool, error) {
	u, _, err := db.userBy(ctx, "id = ?", id.String())
	if errors.Is(err, readmodels.ErrNotFound) {
		return access.Placement{}, false, nil
	}
	if err != nil {
		return access.Placement{}, false, err
	}
	p := access.Placement{DeptPath: u.DeptPath, SuperiorPath: u.SuperiorPath}
	if u.DepartmentID != nil {
		p.DepartmentID = *u.DepartmentID
	}
	return p, !u.Disabled, nil
}

// Department implements commands.OrgReader.
func (db *Views) Department(ctx context.Context, id uuid.UUID) (access.DepartmentInfo, bool, error) {
	var info access.DepartmentInfo
	err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT path, disabled FROM `+db.Gens.Table(Projection, "org_departments")+` WHERE id = ?`), id.String()).
		Scan(&info.Path, &info.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return info, false, nil
	}
	return info, err == nil, err
}

// RolesByName implements commands.CredentialStore.
func (db *Views) RolesByName(ctx context.Context, names []string) ([]access.RoleDef, error) {
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT name, permissions, data_scope, require_2fa FROM `+db.Gens.Table(Projection, "org_roles")+
		` WHERE name IN (`+strings.TrimSuffix(strings.Repeat("?,", len(names)), ",")+`)`), readmodels.AnySlice(names)...)
	if err != nil {
		return nil, fmt.Errorf("load roles: %w", err)
	}
	defer rows.Close()
	var out []access.RoleDef
	for rows.Next() {
		var r access.RoleDef
		var perms, scope string
		if err := rows.Scan(&r.Name, &perms, &scope, &r.Require2FA); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(perms), &r.Permissions)
		r.Scope = role.Scope(scope)
		out = append(out, r)
	}
	return out, rows.Err()
}

// setting reads one settings value into dst; it reports false when it was never set.
func (db *Views) setting(ctx context.Context, key string, dst any) (bool, error) {
	var v string
	err := db.SQL.QueryRowContext(ctx, db.Q(`SELECT value FROM `+db.Gens.Table(Projection, "org_settings")+` WHERE key = ?`), key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal([]byte(v), dst)
}

// LeadClaimCap implements commands.OrgDirectory.
func (db *Views) LeadClaimCap(ctx context.Context) (int64, error) {
	var v int64
	ok, err := db.setting(ctx, "leadClaimCap", &v)
	if !ok {
		return settings.DefaultLeadClaimCap, err
	}
	return v, err
}

// CustomerPool returns the customer pool settings.
func (db *Views) CustomerPool(ctx context.Context) (settings.CustomerPool, error) {
	v := settings.DefaultCustomerPool
	_, err := db.setting(ctx, "customerPool", &v)
	return v, err
}

// CustomerFields returns the custom customer field definitions.
func (db *Views) CustomerFields(ctx context.Context) ([]customer.CustomField, error) {
	v := []customer.CustomField{}
	_, err := db.setting(ctx, "customerFields", &v)
	return v, err
}

// DefaultTimeZone is the time zone of users who never chose one.
func (db *Views) DefaultTimeZone(ctx context.Context) (string, error) {
	v := settings.DefaultTimeZone
	_, err := db.setting(ctx, "defaultTimeZone", &v)
	return v, err
}

// SMTP is the outgoing mail server with its password sealed (for the mailer only: never answer
// it to a client, see SMTPView).
func (db *Views) SMTP(ctx context.Context) (settings.SMTP, error) {
	var v settings.SMTP
	_, err := db.setting(ctx, "smtp", &v)
	return v, err
}

// SMTPView is the outgoing mail server as administrators read it: never the password, only
// whether one is set.
type SMTPView struct {
	Host        string `json:"host"`
	Port        int    `json:"port"`
	TLS         string `json:"tls"`
	Username    string `json:"username"`
	PasswordSet bool   `json:"passwordSet"`
	From        string `json:"from"`
}

// GetSMTP reads the mail server's settings without the password.
func (db *Views) GetSMTP(ctx context.Context) (SMTPView, error) {
	s, err := db.SMTP(ctx)
	if s.TLS == "" {
		s.TLS = settings.TLSStartTLS
	}
	if s.Port == 0 {
		s.Port = 587
	}
	return SMTPView{Host: s.Host, Port: s.Port, TLS: s.TLS, Username: s.Username, PasswordSet: s.PasswordSealed != "", From: s.From}, err
}

// Settings is the read view of the system parameters.
type Settings struct {
	LeadClaimCap    int64                  `json:"leadClaimCap"`
	CustomerPool    settings.CustomerPool  `json:"customerPool"`
	CustomerFields  []customer.CustomField `json:"customerFields"`
	DefaultTimeZone string                 `json:"defaultTimeZone"`
}

// GetSettings returns the current parameters (defaults where never changed).
func (db *Views) GetSettings(ctx context.Context) (Settings, error) {
	c, err := db.LeadClaimCap(ctx)
	if err != nil {
		return Settings{}, err
	}
	p, err := db.CustomerPool(ctx)
	if err != nil {
		return Settings{}, err
	}
	f, err := db.CustomerFields(ctx)
	if err != nil {
		return Settings{}, err
	}
	z, err := db.DefaultTimeZone(ctx)
	return Settings{LeadClaimCap: c, CustomerPool: p, CustomerFields: f, DefaultTimeZone: z}, err
}

// Department is the read view of a department.
type Department struct {
	ID        uuid.UUID  `json:"id"`
	Name      string     `json:"name"`
	ParentID  *uuid.UUID `json:"parentId"`
	HeadID    *uuid.UUID `json:"headId"`
	Depth     int        `json:"depth"`
	Disabled  bool       `json:"disabled"`
	CreatedAt time.Time  `json:"createdAt"`
	Version   int64      `json:"version"`
	Path      string     `json:"-"`
}

// ListDepartments returns the tree in depth-first order (by path).
func (db *Views) ListDepartments(ctx context.Context) ([]*Department, error) {
	return db.departments(ctx, "", nil)
}

// GetDepartment returns one department.
func (db *Views) GetDepartment(ctx context.Context, id uuid.UUID) (*Department, error) {
	ds, err := db.departments(ctx, " WHERE id = ?", []any{id.String()})
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, readmodels.ErrNotFound
	}
	return ds[0], nil
}

func (db *Views) departments(ctx context.Context, where string, args []any) ([]*Department, error) {
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT id, name, parent_id, head_id, path, disabled, created_at, version FROM `+
		db.Gens.Table(Projection, "org_departments")+where+` ORDER BY path`), args...)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	defer rows.Close()
	out := []*Department{}
	for rows.Next() {
		var d Department
		var id, parent, head string
		var created readmodels.Time
		if err := rows.Scan(&id, &d.Name, &parent, &head, &d.Path, &d.Disabled, &created, &d.Version); err != nil {
			return nil, err
		}
		d.ID, _ = uuid.Parse(id)
		d.ParentID, d.HeadID, d.CreatedAt = readmodels.OptID(parent), readmodels.OptID(head), created.T
		d.Depth = strings.Count(strings.Trim(d.Path, "/"), "/")
		out = append(out, &d)
	}
	return out, rows.Err()
}

// Role is the read view of a role.
type Role struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"displayName"`
	Permissions []string  `json:"permissions"`
	DataScope   string    `json:"dataScope"`
	BuiltIn     bool      `json:"builtIn"`
	Require2FA  bool      `json:"require2fa"`
	Version     int64     `json:"version"`
}

// ListRoles returns every role by name.
func (db *Views) ListRoles(ctx context.Context) ([]*Role, error) { return db.roles(ctx, "", nil) }

// RolesNamed returns the defined roles among names, by name.
func (db *Views) RolesNamed(ctx context.Context, names []string) ([]*Role, error) {
	if len(names) == 0 {
		return []*Role{}, nil
	}
	return db.roles(ctx, ` WHERE name IN (`+strings.TrimSuffix(strings.Repeat("?,", len(names)), ",")+`)`, readmodels.AnySlice(names))
}

// GetRole returns one role.
func (db *Views) GetRole(ctx context.Context, id uuid.UUID) (*Role, error) {
	rs, err := db.roles(ctx, " WHERE id = ?", []any{id.String()})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, readmodels.ErrNotFound
	}
	return rs[0], nil
}

func (db *Views) roles(ctx context.Context, where string, args []any) ([]*Role, error) {
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT id, name, display_name, permissions, data_scope, built_in, require_2fa, version FROM `+
		db.Gens.Table(Projection, "org_roles")+where+` ORDER BY name`), args...)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	out := []*Role{}
	for rows.Next() {
		var r Role
		var id, perms string
		if err := rows.Scan(&id, &r.Name, &r.DisplayName, &perms, &r.DataScope, &r.BuiltIn, &r.Require2FA, &r.Version); err != nil {
			return nil, err
		}
		r.ID, _ = uuid.Parse(id)
		_ = json.Unmarshal([]byte(perms), &r.Permissions)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// Superior implements approvalcmd.Directory: the user's superior, if active.
func (db *Views) Superior(ctx context.Context, user uuid.UUID) (uuid.UUID, error) {
	u, err := db.GetUser(ctx, user)
	if errors.Is(err, readmodels.ErrNotFound) || err == nil && u.SuperiorID == nil {
		return uuid.Nil, nil
	}
	if err != nil {
		return uuid.Nil, err
	}
	return db.active(ctx, *u.SuperiorID)
}

// DepartmentOf implements approvalcmd.Directory.
func (db *Views) DepartmentOf(ctx context.Context, user uuid.UUID) (uuid.UUID, error) {
	u, err := db.GetUser(ctx, user)
	if errors.Is(err, readmodels.ErrNotFound) || err == nil && u.DepartmentID == nil {
		return uuid.Nil, nil
	}
	if err != nil {
		return uuid.Nil, err
	}
	return *u.DepartmentID, nil
}

// DepartmentHead implements approvalcmd.Directory: the department's head, if active.
func (db *Views) DepartmentHead(ctx context.Context, dept uuid.UUID) (uuid.UUID, bool, error) {
	d, err := db.GetDepartment(ctx, dept)
	if errors.Is(err, readmodels.ErrNotFound) {
		return uuid.Nil, false, nil
	}
	if err != nil || d.HeadID == nil {
		return uuid.Nil, err == nil, err
	}
	head, err := db.active(ctx, *d.HeadID)
	return head, true, err
}

func (db *Views) active(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	ok, err := db.IsActiveUser(ctx, id)
	if err != nil || !ok {
		return uuid.Nil, err
	}
	return id, nil
}

// RoleHolders implements approvalcmd.Directory: the active users holding the role. Roles are
// kept as a JSON list per user; the LIKE narrows, the decoded list decides.
func (db *Views) RoleHolders(ctx context.Context, name string) ([]uuid.UUID, error) {
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT id, roles FROM `+db.Gens.Table(Projection, "org_users")+` WHERE disabled = ? AND roles LIKE ?`),
		false, `%"`+name+`"%`) // a wildcard in the name only widens the narrowing
	if err != nil {
		return nil, fmt.Errorf("role holders: %w", err)
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id, roles string
		if err := rows.Scan(&id, &roles); err != nil {
			return nil, err
		}
		var list []string
		if json.Unmarshal([]byte(roles), &list) != nil {
			continue
		}
		for _, r := range list {
			if r == name {
				if u, err := uuid.Parse(id); err == nil {
					out = append(out, u)
				}
			}
		}
	}
	return out, rows.Err()
}

// RoleExists implements approvalcmd.Directory.
func (db *Views) RoleExists(ctx context.Context, name string) (bool, error) {
	rs, err := db.RolesNamed(ctx, []string{name})
	return len(rs) > 0, err
}
