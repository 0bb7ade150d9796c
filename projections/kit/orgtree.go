package kit

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/projections/engine"
)

// OrgTree keeps, inside one projection's own tables, where every user sits: department id,
// department path ("/root/child/…/self/") and superior path (the chain of superiors from the
// top, "/boss/manager/"). Data scopes become prefix ranges on these paths. Projections that
// scope rows by owner embed an OrgTree so that a rebuild replays organisation changes in log
// order together with their own events. The users table of such a projection (OrgTreeDDL) also
// keeps each user's display name, which the rows copy into owner_name (see followOrg).
type OrgTree struct {
	Depts string // table: id, parent_id, path
	Users string // table: id, department_id, dept_path, superior_id, superior_path (and name: OrgTreeDDL)
}

// Placement is where a user sits, and the user's display name (Lookup).
type Placement struct {
	DepartmentID string
	DeptPath     string
	SuperiorPath string
	Name         string
}

// OrgTreeDDL creates the tree's two tables.
func OrgTreeDDL(depts, users string) []string {
	return []string{
		`CREATE TABLE ` + depts + ` (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL DEFAULT '', path {path} NOT NULL)`,
		`CREATE INDEX ` + depts + `_path ON ` + depts + ` (path)`,
		`CREATE TABLE ` + users + ` (id TEXT PRIMARY KEY, department_id TEXT NOT NULL DEFAULT '', dept_path {path} NOT NULL DEFAULT '',
			superior_id TEXT NOT NULL DEFAULT '', superior_path {path} NOT NULL DEFAULT '/', name TEXT NOT NULL DEFAULT '')`,
		`CREATE INDEX ` + users + `_dept ON ` + users + ` (dept_path)`,
		`CREATE INDEX ` + users + `_sup ON ` + users + ` (superior_path)`,
	}
}

// OrgTreeIndexes names the tree's indexes: organisation changes look users and departments up
// by path while events are applied, so a rebuild keeps them from the start (engine.KeepIndexes).
func OrgTreeIndexes(depts, users string) []string {
	return []string{depts + "_path", users + "_dept", users + "_sup"}
}

// Handles reports whether the event changes placements.
func (o OrgTree) Handles(e event.Event) bool { return treeChanges.Handles(e.EventType()) }

// Apply updates the tree and returns the users whose placement changed.
func (o OrgTree) Apply(ctx context.Context, tx *engine.Tx, e event.Event) ([]string, error) {
	c := &treeChange{OrgTree: o, tx: tx}
	if _, err := treeChanges.Handle(ctx, c, e); err != nil {
		return nil, err
	}
	return c.changed, nil
}

// treeChange is one organisation event applied to a tree; changed collects the users whose
// placement it moved.
type treeChange struct {
	OrgTree
	tx      *engine.Tx
	changed []string
}

var treeChanges = NewHandlers(
	On(func(ctx context.Context, c *treeChange, e department.Created) error {
		path, err := c.DeptPath(ctx, c.tx, e.ParentID)
		if err != nil {
			return err
		}
		_, err = c.tx.Exec(ctx, `INSERT INTO `+c.Depts+` (id, parent_id, path) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			e.DepartmentID, e.ParentID, path+e.DepartmentID+"/")
		return err
	}),
	On(func(ctx context.Context, c *treeChange, e department.Moved) error {
		tx := c.tx
		var old string
		if err := tx.QueryRow(ctx, `SELECT path FROM `+c.Depts+` WHERE id = ?`, e.DepartmentID).Scan(&old); err != nil {
			return err
		}
		parent, err := c.DeptPath(ctx, tx, e.To)
		if err != nil {
			return err
		}
		moved, err := c.rewrite(ctx, tx, "dept_path", old, parent+e.DepartmentID+"/", func() error {
			_, err := tx.Exec(ctx, `UPDATE `+c.Depts+` SET parent_id = ? WHERE id = ?`, e.To, e.DepartmentID)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE `+c.Depts+` SET path = ? || substr(path, ?) WHERE path >= ? AND path < ?`,
				parent+e.DepartmentID+"/", len(old)+1, old, old+"\uffff")
			return err
		})
		c.changed = moved
		return err
	}),
	On(func(ctx context.Context, c *treeChange, e user.Created) error {
		p, err := c.Place(ctx, c.tx, e.DepartmentID, e.SuperiorID)
		if err != nil {
			return err
		}
		_, err = c.tx.Exec(ctx, `INSERT INTO `+c.Users+` (id, department_id, dept_path, superior_id, superior_path) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, e.UserID, e.DepartmentID, p.DeptPath, e.SuperiorID, p.SuperiorPath)
		c.changed = []string{e.UserID}
		return err
	}),
	On(func(ctx context.Context, c *treeChange, e user.Updated) error {
		tx := c.tx
		if e.DepartmentID != nil {
			p, err := c.Place(ctx, tx, *e.DepartmentID, "")
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE `+c.Users+` SET department_id = ?, dept_path = ? WHERE id = ?`, *e.DepartmentID, p.DeptPath, e.UserID); err != nil {
				return err
			}
			c.changed = append(c.changed, e.UserID)
		}
		if e.SuperiorID != nil {
			var oldSup string
			if err := tx.QueryRow(ctx, `SELECT superior_path FROM `+c.Users+` WHERE id = ?`, e.UserID).Scan(&oldSup); err != nil {
				return err
			}
			p, err := c.Place(ctx, tx, "", *e.SuperiorID)
			if err != nil {
				return err
			}
			// The user's own subordinates hang below "<superior path><user>/": move that prefix too.
			more, err := c.rewrite(ctx, tx, "superior_path", oldSup+e.UserID+"/", p.SuperiorPath+e.UserID+"/", func() error {
				_, err := tx.Exec(ctx, `UPDATE `+c.Users+` SET superior_id = ?, superior_path = ? WHERE id = ?`, *e.SuperiorID, p.SuperiorPath, e.UserID)
				return err
			})
			if err != nil {
				return err
			}
			c.changed = append(append(c.changed, e.UserID), more...)
		}
		return nil
	}),
)

// rewrite replaces a path prefix in column for every user under it (after running first), and
// returns those users.
func (o OrgTree) rewrite(ctx context.Context, tx *engine.Tx, column, oldPrefix, newPrefix string, first func() error) ([]string, error) {
	if err := first(); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, tx.DB.Q(`SELECT id FROM `+o.Users+` WHERE `+column+` >= ? AND `+column+` < ?`), oldPrefix, oldPrefix+"\uffff")
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `UPDATE `+o.Users+` SET `+column+` = ? || substr(`+column+`, ?) WHERE `+column+` >= ? AND `+column+` < ?`,
		newPrefix, len(oldPrefix)+1, oldPrefix, oldPrefix+"\uffff")
	return ids, err
}

// DeptPath is the path of a department ("/" for none; "/<id>/" for one the tree does not know).
func (o OrgTree) DeptPath(ctx context.Context, tx *engine.Tx, id string) (string, error) {
	if id == "" {
		return "/", nil
	}
	var path string
	err := tx.QueryRow(ctx, `SELECT path FROM `+o.Depts+` WHERE id = ?`, id).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return "/" + id + "/", nil // unknown parent: keep the id so scopes still work
	}
	return path, err
}

// Place computes the department path and superior path for the given department and superior
// (either may be empty).
func (o OrgTree) Place(ctx context.Context, tx *engine.Tx, deptID, superiorID string) (Placement, error) {
	p := Placement{DepartmentID: deptID, SuperiorPath: "/"}
	if deptID != "" {
		var path string
		err := tx.QueryRow(ctx, `SELECT path FROM `+o.Depts+` WHERE id = ?`, deptID).Scan(&path)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			p.DeptPath = "/" + deptID + "/"
		case err != nil:
			return p, err
		default:
			p.DeptPath = path
		}
	}
	if superiorID != "" {
		var sp string
		err := tx.QueryRow(ctx, `SELECT superior_path FROM `+o.Users+` WHERE id = ?`, superiorID).Scan(&sp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			sp = "/"
		case err != nil:
			return p, err
		}
		p.SuperiorPath = sp + superiorID + "/"
	}
	return p, nil
}

// Lookup returns where a user sits and their name (zero placement for an unknown user). Only
// for trees made by OrgTreeDDL (the organisation projection's own users table has no name).
func (o OrgTree) Lookup(ctx context.Context, tx *engine.Tx, userID uuid.UUID) (Placement, error) {
	var p Placement
	err := tx.QueryRow(ctx, `SELECT department_id, dept_path, superior_path, name FROM `+o.Users+` WHERE id = ?`, userID.String()).
		Scan(&p.DepartmentID, &p.DeptPath, &p.SuperiorPath, &p.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return Placement{SuperiorPath: "/"}, nil
	}
	return p, err
}

// followOrg applies an organisation event to a projection's tree and rewrites the owner columns
// of the rows (in tables) whose owners' placement or name changed: one UPDATE per such user and
// table, by the owner index (owner_id leads every ownership index).
func followOrg(ctx context.Context, tx *engine.Tx, tree OrgTree, d event.Event, tables ...string) error {
	changed, err := tree.Apply(ctx, tx, d)
	if err != nil {
		return err
	}
	if id, name, ok := displayName(d); ok {
		if _, err := tx.Exec(ctx, `UPDATE `+tree.Users+` SET name = ? WHERE id = ?`, name, id); err != nil {
			return err
		}
		if !slices.Contains(changed, id) {
			changed = append(changed, id)
		}
	}
	for _, id := range changed {
		uid, err := uuid.Parse(id)
		if err != nil {
			continue
		}
		p, err := tree.Lookup(ctx, tx, uid)
		if err != nil {
			return err
		}
		for _, table := range tables {
			if _, err := tx.Exec(ctx, `UPDATE `+table+` SET owner_dept_id = ?, owner_dept_path = ?, owner_superior_path = ?, owner_name = ? WHERE owner_id = ?`,
				p.DepartmentID, p.DeptPath, p.SuperiorPath, p.Name, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// displayName is the user and the display name an event gives them, if it gives one.
func displayName(d event.Event) (id, name string, ok bool) {
	switch e := d.(type) {
	case user.Created:
		return e.UserID, e.DisplayName, true
	case user.Updated:
		if e.DisplayName != nil {
			return e.UserID, *e.DisplayName, true
		}
	}
	return "", "", false
}

// Follow applies an organisation event to the tree and keeps the users' names, for projections
// that read owners' places and names from the tree at query time rather than copying them.
func (o OrgTree) Follow(ctx context.Context, tx *engine.Tx, d event.Event) error {
	return followOrg(ctx, tx, o, d)
}
