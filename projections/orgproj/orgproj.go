// Package orgproj projects the organisation: departments (with paths), users (credentials,
// roles, placement), roles and settings. Sign-in and scope decisions read it.
package orgproj

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// Projector projects the organisation: departments (with paths), users (credentials, roles,
// placement) roles and settings.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return readmodels.OrgProjection }

func (*Projector) Schema(_ *readmodels.DB, gen int) []string { return orgview.OrgDDL(gen) }

func (*Projector) Drop(_ *readmodels.DB, gen int) []string {
	var out []string
	for _, t := range []string{"org_users", "org_departments", "org_roles", "org_settings"} {
		out = append(out, `DROP TABLE IF EXISTS `+readmodels.TableName(t, gen))
	}
	return out
}

// KeepIndexes implements engine.KeepIndexes: organisation changes read the tree by path.
func (*Projector) KeepIndexes(gen int) []string {
	return kit.OrgTreeIndexes(readmodels.TableName("org_departments", gen), readmodels.TableName("org_users", gen))
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	return &batch{p: p, tx: tx, tree: kit.OrgTree{Depts: tx.Table("org_departments"), Users: tx.Table("org_users")}}
}

// batch writes each event directly: organisation changes are rare.
type batch struct {
	p    *Projector
	tx   *engine.Tx
	tree kit.OrgTree
}

// change is one organisation event.
type change struct {
	*batch
	e eventstore.Event
	// versioned: the handler wrote the user's version itself (a user row it inserted).
	versioned bool
}

// exec rebinds q and executes it.
func (c *change) exec(ctx context.Context, q string, args ...any) error {
	_, err := c.tx.Exec(ctx, q, args...)
	return err
}

func (c *change) table(base string) string { return c.tx.Table(base) }

var changes = kit.NewHandlers(
	kit.On(func(ctx context.Context, c *change, d department.Created) error {
		path, err := c.tree.DeptPath(ctx, c.tx, d.ParentID)
		if err != nil {
			return err
		}
		return c.exec(ctx, `INSERT INTO `+c.table("org_departments")+` (id, name, parent_id, path, disabled, created_at, version)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, d.DepartmentID, d.Name, d.ParentID, path+d.DepartmentID+"/", false, c.tx.DB.Dialect.Time(d.At), c.e.Version)
	}),
	kit.On(func(ctx context.Context, c *change, d department.Renamed) error {
		return c.exec(ctx, `UPDATE `+c.table("org_departments")+` SET name = ?, version = ? WHERE id = ?`, d.To, c.e.Version, d.DepartmentID)
	}),
	kit.On(func(ctx context.Context, c *change, d department.Moved) error {
		if _, err := c.tree.Apply(ctx, c.tx, d); err != nil {
			return err
		}
		return c.exec(ctx, `UPDATE `+c.table("org_departments")+` SET version = ? WHERE id = ?`, c.e.Version, d.DepartmentID)
	}),
	kit.On(func(ctx context.Context, c *change, _ department.Disabled) error {
		return c.departmentDisabled(ctx, true)
	}),
	kit.On(func(ctx context.Context, c *change, _ department.Enabled) error {
		return c.departmentDisabled(ctx, false)
	}),
	kit.On(func(ctx context.Context, c *change, d department.HeadAppointed) error {
		return c.exec(ctx, `UPDATE `+c.table("org_departments")+` SET head_id = ?, version = ? WHERE id = ?`, d.HeadID, c.e.Version, d.DepartmentID)
	}),
	kit.On(func(ctx context.Context, c *change, d user.Created) error {
		place, err := c.tree.Place(ctx, c.tx, d.DepartmentID, d.SuperiorID)
		if err != nil {
			return err
		}
		roles, _ := json.Marshal(d.Roles)
		c.versioned = true
		return c.exec(ctx, `INSERT INTO `+c.table("org_users")+` (id, username, username_lower, display_name, roles, password_hash, disabled,
			created_at, version, department_id, dept_path, superior_id, superior_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.UserID, d.Username, strings.ToLower(d.Username), d.DisplayName, string(roles), d.PasswordHash, false, c.tx.DB.Dialect.Time(d.At), c.e.Version,
			d.DepartmentID, place.DeptPath, d.SuperiorID, place.SuperiorPath)
	}),
	kit.On(func(ctx context.Context, c *change, d user.Updated) error {
		if _, err := c.tree.Apply(ctx, c.tx, d); err != nil {
			return err
		}
		if d.DisplayName != nil {
			if err := c.exec(ctx, `UPDATE `+c.table("org_users")+` SET display_name = ? WHERE id = ?`, *d.DisplayName, d.UserID); err != nil {
				return err
			}
		}
		if d.Roles != nil {
			roles, _ := json.Marshal(d.Roles)
			if err := c.exec(ctx, `UPDATE `+c.table("org_users")+` SET roles = ? WHERE id = ?`, string(roles), d.UserID); err != nil {
				return err
			}
		}
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d user.Disabled) error {
		return c.exec(ctx, `UPDATE `+c.table("org_users")+` SET disabled = ? WHERE id = ?`, true, d.UserID)
	}),
	kit.On(func(ctx context.Context, c *change, d user.Enabled) error {
		return c.exec(ctx, `UPDATE `+c.table("org_users")+` SET disabled = ? WHERE id = ?`, false, d.UserID)
	}),
	kit.On(func(ctx context.Context, c *change, d user.Locked) error {
		return c.exec(ctx, `UPDATE `+c.table("org_users")+` SET locked_until = ? WHERE id = ?`, c.tx.DB.Dialect.Time(d.LockedUntil()), d.UserID)
	}),
	kit.On(func(ctx context.Context, c *change, d user.Unlocked) error {
		return c.exec(ctx, `UPDATE `+c.table("org_users")+` SET locked_until = NULL WHERE id = ?`, d.UserID)
	}),
	kit.On(func(ctx context.Context, c *change, d user.PasswordChanged) error {
		return c.exec(ctx, `UPDATE `+c.table("org_users")+` SET password_hash = ? WHERE id = ?`, d.PasswordHash, d.UserID)
	}),
	kit.On(func(ctx context.Context, c *change, d user.TwoFactorConfirmed) error {
		return c.exec(ctx, `UPDATE `+c.table("org_users")+` SET two_factor = ? WHERE id = ?`, true, d.UserID)
	}),
	kit.On(func(ctx context.Context, c *change, d user.TwoFactorDisabled) error {
		return c.exec(ctx, `UPDATE `+c.table("org_users")+` SET two_factor = ? WHERE id = ?`, false, d.UserID)
	}),
	kit.On(func(ctx context.Context, c *change, d user.PreferencesChanged) error {
		if d.Language != nil {
			if err := c.exec(ctx, `UPDATE `+c.table("org_users")+` SET language = ? WHERE id = ?`, *d.Language, d.UserID); err != nil {
				return err
			}
		}
		if d.TimeZone != nil {
			if err := c.exec(ctx, `UPDATE `+c.table("org_users")+` SET time_zone = ? WHERE id = ?`, *d.TimeZone, d.UserID); err != nil {
				return err
			}
		}
		if d.Email != nil {
			if err := c.exec(ctx, `UPDATE `+c.table("org_users")+` SET email = ? WHERE id = ?`, *d.Email, d.UserID); err != nil {
				return err
			}
		}
		if d.MailKinds != nil { // '' is never chosen (the defaults); a JSON list is a choice
			kinds, _ := json.Marshal(*d.MailKinds)
			return c.exec(ctx, `UPDATE `+c.table("org_users")+` SET mail_kinds = ? WHERE id = ?`, string(kinds), d.UserID)
		}
		return nil
	}),
	kit.On(func(ctx context.Context, c *change, d role.Created) error {
		perms, _ := json.Marshal(d.Permissions)
		return c.exec(ctx, `INSERT INTO `+c.table("org_roles")+` (id, name, display_name, permissions, data_scope, built_in, require_2fa, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, d.RoleID, d.Name, d.DisplayName, string(perms), string(d.DataScope), d.BuiltIn, d.Require2FA, c.e.Version)
	}),
	kit.On(func(ctx context.Context, c *change, d role.Updated) error {
		t := c.table("org_roles")
		if d.DisplayName != nil {
			if err := c.exec(ctx, `UPDATE `+t+` SET display_name = ? WHERE id = ?`, *d.DisplayName, d.RoleID); err != nil {
				return err
			}
		}
		if d.Permissions != nil {
			perms, _ := json.Marshal(d.Permissions)
			if err := c.exec(ctx, `UPDATE `+t+` SET permissions = ? WHERE id = ?`, string(perms), d.RoleID); err != nil {
				return err
			}
		}
		if d.DataScope != nil {
			if err := c.exec(ctx, `UPDATE `+t+` SET data_scope = ? WHERE id = ?`, string(*d.DataScope), d.RoleID); err != nil {
				return err
			}
		}
		if d.Require2FA != nil {
			if err := c.exec(ctx, `UPDATE `+t+` SET require_2fa = ? WHERE id = ?`, *d.Require2FA, d.RoleID); err != nil {
				return err
			}
		}
		return c.exec(ctx, `UPDATE `+t+` SET version = ? WHERE id = ?`, c.e.Version, d.RoleID)
	}),
	kit.On(func(ctx context.Context, c *change, d role.Deleted) error {
		return c.exec(ctx, `DELETE FROM `+c.table("org_roles")+` WHERE id = ?`, d.RoleID)
	}),
	kit.On(func(ctx context.Context, c *change, d settings.Changed) error {
		put := func(key string, v any) error {
			b, _ := json.Marshal(v)
			return c.exec(ctx, `INSERT INTO `+c.table("org_settings")+` (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, string(b))
		}
		if d.LeadClaimCap != nil {
			if err := put("leadClaimCap", *d.LeadClaimCap); err != nil {
				return err
			}
		}
		if d.CustomerPool != nil {
			if err := put("customerPool", *d.CustomerPool); err != nil {
				return err
			}
		}
		if d.CustomerFields != nil {
			if err := put("customerFields", *d.CustomerFields); err != nil {
				return err
			}
		}
		if d.SMTP != nil {
			if err := put("smtp", *d.SMTP); err != nil {
				return err
			}
		}
		if d.DefaultTimeZone != nil {
			return put("defaultTimeZone", *d.DefaultTimeZone)
		}
		return nil
	}),
)

// Wants implements engine.Selective: the organisation's streams and the settings.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case user.StreamPrefix, department.StreamPrefix, role.StreamPrefix, "settings":
		return true
	}
	return false
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !b.p.Wants(e) {
		return nil
	}
	kind := eventstore.StreamKind(e.StreamID)
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	c := &change{batch: b, e: e}
	if _, err := changes.Handle(ctx, c, d); err != nil {
		return err
	}
	// The version clients send back in If-Match: sign-in bookkeeping and the user's own
	// preferences do not move it.
	if kind == user.StreamPrefix && !c.versioned && user.MovesEditVersion(d) {
		return c.exec(ctx, `UPDATE `+c.table("org_users")+` SET version = ? WHERE id = ?`, e.Version, strings.TrimPrefix(e.StreamID, user.StreamPrefix+"-"))
	}
	return nil
}

// departmentDisabled sets the department's disabled flag (and its version).
func (c *change) departmentDisabled(ctx context.Context, disabled bool) error {
	id := strings.TrimPrefix(c.e.StreamID, department.StreamPrefix+"-")
	return c.exec(ctx, `UPDATE `+c.table("org_departments")+` SET disabled = ?, version = ? WHERE id = ?`, disabled, c.e.Version, id)
}

func (b *batch) Flush(context.Context) error { return nil }
