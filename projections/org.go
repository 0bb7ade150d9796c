package projections

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
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// Org projects the organisation: departments (with paths), users (credentials, roles, placement)
// roles and settings. Sign-in and scope decisions read it.
type Org struct{ registry *event.Registry }

// NewOrg builds the projector.
func NewOrg(registry *event.Registry) *Org { return &Org{registry: registry} }

func (*Org) Name() string { return readmodels.OrgProjection }

func (*Org) Schema(_ *readmodels.DB, gen int) []string { return orgview.OrgDDL(gen) }

func (*Org) Drop(_ *readmodels.DB, gen int) []string {
	var out []string
	for _, t := range []string{"org_users", "org_departments", "org_roles", "org_settings"} {
		out = append(out, `DROP TABLE IF EXISTS `+readmodels.TableName(t, gen))
	}
	return out
}

func (p *Org) NewBatch(tx *Tx) Batch {
	return &orgBatch{p: p, tx: tx, tree: orgTree{depts: tx.Table("org_departments"), users: tx.Table("org_users")}}
}

// orgBatch writes each event directly: organisation changes are rare.
type orgBatch struct {
	p    *Org
	tx   *Tx
	tree orgTree
}

func (b *orgBatch) Apply(ctx context.Context, e eventstore.Event) error {
	switch eventstore.StreamKind(e.StreamID) {
	case user.StreamPrefix, department.StreamPrefix, role.StreamPrefix, "settings":
	default:
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	tx, t := b.tx, b.tx.Table
	tm := tx.DB.Dialect.Time
	switch d := d.(type) {
	case department.Created:
		path, err := b.tree.deptPath(ctx, tx, d.ParentID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO `+t("org_departments")+` (id, name, parent_id, path, disabled, created_at, version)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, d.DepartmentID, d.Name, d.ParentID, path+d.DepartmentID+"/", false, tm(d.At), e.Version)
		return err
	case department.Renamed:
		_, err = tx.Exec(ctx, `UPDATE `+t("org_departments")+` SET name = ?, version = ? WHERE id = ?`, d.To, e.Version, d.DepartmentID)
		return err
	case department.Moved:
		if _, err := b.tree.apply(ctx, tx, d); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE `+t("org_departments")+` SET version = ? WHERE id = ?`, e.Version, d.DepartmentID)
		return err
	case department.Disabled, department.Enabled:
		_, isDisabled := d.(department.Disabled)
		_, err = tx.Exec(ctx, `UPDATE `+t("org_departments")+` SET disabled = ?, version = ? WHERE id = ?`, isDisabled, e.Version, departmentID(e))
		return err
	case user.Created:
		place, err := b.tree.placement(ctx, tx, d.DepartmentID, d.SuperiorID)
		if err != nil {
			return err
		}
		roles, _ := json.Marshal(d.Roles)
		_, err = tx.Exec(ctx, `INSERT INTO `+t("org_users")+` (id, username, username_lower, display_name, roles, password_hash, disabled,
			created_at, version, department_id, dept_path, superior_id, superior_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.UserID, d.Username, strings.ToLower(d.Username), d.DisplayName, string(roles), d.PasswordHash, false, tm(d.At), e.Version,
			d.DepartmentID, place.DeptPath, d.SuperiorID, place.SuperiorPath)
		return err
	case user.Updated:
		if _, err := b.tree.apply(ctx, tx, d); err != nil {
			return err
		}
		if d.DisplayName != nil {
			if _, err := tx.Exec(ctx, `UPDATE `+t("org_users")+` SET display_name = ? WHERE id = ?`, *d.DisplayName, d.UserID); err != nil {
				return err
			}
		}
		if d.Roles != nil {
			roles, _ := json.Marshal(d.Roles)
			if _, err := tx.Exec(ctx, `UPDATE `+t("org_users")+` SET roles = ? WHERE id = ?`, string(roles), d.UserID); err != nil {
				return err
			}
		}
	case user.Disabled:
		_, err = tx.Exec(ctx, `UPDATE `+t("org_users")+` SET disabled = ? WHERE id = ?`, true, d.UserID)
	case user.Enabled:
		_, err = tx.Exec(ctx, `UPDATE `+t("org_users")+` SET disabled = ? WHERE id = ?`, false, d.UserID)
	case user.PasswordChanged:
		_, err = tx.Exec(ctx, `UPDATE `+t("org_users")+` SET password_hash = ? WHERE id = ?`, d.PasswordHash, d.UserID)
	case role.Created:
		perms, _ := json.Marshal(d.Permissions)
		_, err = tx.Exec(ctx, `INSERT INTO `+t("org_roles")+` (id, name, display_name, permissions, data_scope, built_in, require_2fa, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, d.RoleID, d.Name, d.DisplayName, string(perms), string(d.DataScope), d.BuiltIn, d.Require2FA, e.Version)
		return err
	case role.Updated:
		if d.DisplayName != nil {
			if _, err := tx.Exec(ctx, `UPDATE `+t("org_roles")+` SET display_name = ? WHERE id = ?`, *d.DisplayName, d.RoleID); err != nil {
				return err
			}
		}
		if d.Permissions != nil {
			perms, _ := json.Marshal(d.Permissions)
			if _, err := tx.Exec(ctx, `UPDATE `+t("org_roles")+` SET permissions = ? WHERE id = ?`, string(perms), d.RoleID); err != nil {
				return err
			}
		}
		if d.DataScope != nil {
			if _, err := tx.Exec(ctx, `UPDATE `+t("org_roles")+` SET data_scope = ? WHERE id = ?`, string(*d.DataScope), d.RoleID); err != nil {
				return err
			}
		}
		if d.Require2FA != nil {
			if _, err := tx.Exec(ctx, `UPDATE `+t("org_roles")+` SET require_2fa = ? WHERE id = ?`, *d.Require2FA, d.RoleID); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE `+t("org_roles")+` SET version = ? WHERE id = ?`, e.Version, d.RoleID)
		return err
	case role.Deleted:
		_, err = tx.Exec(ctx, `DELETE FROM `+t("org_roles")+` WHERE id = ?`, d.RoleID)
		return err
	case settings.Changed:
		put := func(key string, v any) error {
			b, _ := json.Marshal(v)
			_, err := tx.Exec(ctx, `INSERT INTO `+t("org_settings")+` (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, string(b))
			return err
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
			return put("customerFields", *d.CustomerFields)
		}
		return nil
	}
	if err != nil {
		return err
	}
	// The version clients send back in If-Match: sign-in bookkeeping does not move it.
	if eventstore.StreamKind(e.StreamID) == user.StreamPrefix && !user.SignInBookkeeping(d) {
		_, err = tx.Exec(ctx, `UPDATE `+t("org_users")+` SET version = ? WHERE id = ?`, e.Version, strings.TrimPrefix(e.StreamID, user.StreamPrefix+"-"))
	}
	return err
}

func departmentID(e eventstore.Event) string {
	return strings.TrimPrefix(e.StreamID, department.StreamPrefix+"-")
}

func (b *orgBatch) Flush(context.Context) error { return nil }
