// Package role is the role aggregate: a named set of function permissions plus a data scope.
// Users hold one or more roles by name; built-in roles can be edited but not deleted.
package role

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Scope says which records a role reaches.
type Scope string

// Data scopes, narrowest first.
const (
	ScopeSelf                Scope = "self"
	ScopeSelfAndSubordinates Scope = "self_and_subordinates"
	ScopeDepartment          Scope = "department"
	ScopeDepartmentTree      Scope = "department_tree"
	ScopeAll                 Scope = "all"
)

// Scopes lists the data scopes, narrowest first.
var Scopes = []Scope{ScopeSelf, ScopeSelfAndSubordinates, ScopeDepartment, ScopeDepartmentTree, ScopeAll}

// Wider reports whether a reaches at least as far as b in the order of Scopes. (department and
// self_and_subordinates are not nested; the order is the documented precedence when a user holds
// several roles: the widest wins.)
func Wider(a, b Scope) bool { return slices.Index(Scopes, a) >= slices.Index(Scopes, b) }

// ParseScope checks a scope name.
func ParseScope(s string) (Scope, error) {
	if slices.Contains(Scopes, Scope(s)) {
		return Scope(s), nil
	}
	return "", &ValidationError{Field: "dataScope", Message: fmt.Sprintf("must be one of self, self_and_subordinates, department, department_tree, all; got %q", s)}
}

// Function permissions, named per command and query family.
const (
	LeadsRead         = "leads.read"
	LeadsCreate       = "leads.create"
	LeadsUpdate       = "leads.update"
	LeadsDelete       = "leads.delete"
	LeadsAssign       = "leads.assign"
	LeadsPool         = "leads.pool" // see and claim the lead pool
	LeadsRelease      = "leads.release"
	LeadsExport       = "leads.export"
	LeadsImport       = "leads.import"
	UsersRead         = "users.read"
	UsersManage       = "users.manage"
	DepartmentsManage = "departments.manage"
	RolesManage       = "roles.manage"
	SettingsManage    = "settings.manage"
	AuditRead         = "audit.read"
	// AuditExport downloads the operation log as a signed export (GET /audit/export), with
	// audit.read: a whole log at once, hence apart from reading it a page at a time.
	AuditExport       = "audit.export"
	ProjectionsManage = "projections.manage"

	CustomersRead    = "customers.read"
	CustomersCreate  = "customers.create"
	CustomersUpdate  = "customers.update"
	CustomersDelete  = "customers.delete"
	CustomersAssign  = "customers.assign"
	CustomersPool    = "customers.pool"
	CustomersRelease = "customers.release"
	CustomersLock    = "customers.lock"
	CustomersExport  = "customers.export"
	CustomersImport  = "customers.import"
	LeadsConvert     = "leads.convert"

	OpportunitiesRead   = "opportunities.read"
	OpportunitiesCreate = "opportunities.create"
	OpportunitiesUpdate = "opportunities.update"
	OpportunitiesDelete = "opportunities.delete"
	OpportunitiesAssign = "opportunities.assign"
	// OpportunitiesReopen reopens won or lost opportunities (managers, in the documents).
	OpportunitiesReopen = "opportunities.reopen"
	OpportunitiesExport = "opportunities.export"
	// ProductsManage edits the product catalogue (products and their categories); every signed-in
	// user reads it (products are company-wide data).
	ProductsManage = "products.manage"
	// Contracts: reading (in scope), drafting, editing drafts and submitting/amending, deleting
	// drafts, terminating, exporting. Approving is not a permission: the flow routes it.
	ContractsRead      = "contracts.read"
	ContractsCreate    = "contracts.create"
	ContractsUpdate    = "contracts.update"
	ContractsDelete    = "contracts.delete"
	ContractsTerminate = "contracts.terminate"
	ContractsExport    = "contracts.export"
	// Finance: reading receivables, receipts and the statistics (in scope), recording plans and
	// receipts (confirming is not a permission: the receipt flow routes it), reversing confirmed
	// receipts, closing months (reopening one is settings.manage), exporting.
	FinanceRead    = "finance.read"
	FinanceRecord  = "finance.record"
	FinanceReverse = "finance.reverse"
	FinanceClose   = "finance.close"
	FinanceExport  = "finance.export"
	// Tasks: everyone reads the tasks they created, are assigned or take part in; tasks.read reads
	// those of the people in one's data scope; tasks.create enters tasks (for oneself);
	// tasks.assign gives them to others in one's data scope; tasks.export exports the lists.
	TasksRead   = "tasks.read"
	TasksCreate = "tasks.create"
	TasksAssign = "tasks.assign"
	TasksExport = "tasks.export"
	// Schedules: everyone reads the entries they own, created or take part in; schedules.read
	// reads those of the people in one's data scope; schedules.create enters entries (in one's own
	// calendar); schedules.assign puts them in the calendars of others in one's data scope;
	// schedules.export exports the lists.
	SchedulesRead   = "schedules.read"
	SchedulesCreate = "schedules.create"
	SchedulesAssign = "schedules.assign"
	SchedulesExport = "schedules.export"
	// Announcements: everyone reads those addressed to them; announcements.publish publishes,
	// edits, pins and withdraws them, and reads them all with their read receipts.
	AnnouncementsPublish = "announcements.publish"
	// Work logs: everyone writes their own and reads their own and those submitted to them;
	// worklogs.read reads the submitted logs of the people in one's data scope (a superior, the
	// subordinates'); worklogs.stats reads the submission statistics of the departments in scope.
	WorklogsRead  = "worklogs.read"
	WorklogsStats = "worklogs.stats"
	// ContactDetailsReveal reads the contact details (telephone, mobile, fax numbers and e-mail
	// addresses) of the leads, customers and contacts in one's data scope in full, and reveals
	// them through the audited POST …/{id}/reveal. Without it they are masked, except on the
	// records one owns. It concerns leads, customers and contacts alike, hence a family of its own.
	ContactDetailsReveal = "contactdetails.reveal"
	// PrivacyErase erases the personal data of a lead or a contact for good (POST
	// /privacy/erasures: the subject's key is destroyed) and lists the erasures: administrators.
	PrivacyErase = "privacy.erase"
)

// Permissions is the catalogue of every function permission.
var Permissions = []string{LeadsRead, LeadsCreate, LeadsUpdate, LeadsDelete, LeadsAssign, LeadsPool, LeadsRelease,
	LeadsExport, LeadsImport, UsersRead, UsersManage, DepartmentsManage, RolesManage, SettingsManage, AuditRead, AuditExport,
	ProjectionsManage, CustomersRead, CustomersCreate, CustomersUpdate, CustomersDelete, CustomersAssign, CustomersPool, CustomersRelease,
	CustomersLock, CustomersExport, CustomersImport, LeadsConvert, OpportunitiesRead, OpportunitiesCreate, OpportunitiesUpdate,
	OpportunitiesDelete, OpportunitiesAssign, OpportunitiesReopen, OpportunitiesExport, ProductsManage,
	ContractsRead, ContractsCreate, ContractsUpdate, ContractsDelete, ContractsTerminate, ContractsExport,
	FinanceRead, FinanceRecord, FinanceReverse, FinanceClose, FinanceExport, TasksRead, TasksCreate, TasksAssign, TasksExport,
	SchedulesRead, SchedulesCreate, SchedulesAssign, SchedulesExport, AnnouncementsPublish, WorklogsRead, WorklogsStats,
	ContactDetailsReveal, PrivacyErase}

// Built-in role names.
const (
	Admin   = "admin"
	Manager = "manager"
	Sales   = "sales"
	// Finance confirms receipts (the receipt flow's default step), reverses them and closes months.
	Finance = "finance"
)

// BuiltIn is a role created at first start.
type BuiltIn struct {
	Name, DisplayName string
	Permissions       []string
	Scope             Scope
}

// BuiltIns are created at first start; administrators may edit them but not delete them.
var BuiltIns = []BuiltIn{
	{Admin, "系统管理员 Administrator", Permissions, ScopeAll},
	{Manager, "销售经理 Sales manager", []string{LeadsRead, LeadsCreate, LeadsUpdate, LeadsDelete, LeadsAssign, LeadsPool,
		LeadsRelease, LeadsExport, LeadsImport, LeadsConvert, UsersRead, AuditRead, CustomersRead, CustomersCreate, CustomersUpdate,
		CustomersDelete, CustomersAssign, CustomersPool, CustomersRelease, CustomersLock, CustomersExport, CustomersImport,
		OpportunitiesRead, OpportunitiesCreate, OpportunitiesUpdate, OpportunitiesDelete, OpportunitiesAssign, OpportunitiesReopen,
		OpportunitiesExport, ContractsRead, ContractsCreate, ContractsUpdate, ContractsDelete, ContractsTerminate, ContractsExport,
		FinanceRead, FinanceRecord, FinanceExport, TasksRead, TasksCreate, TasksAssign, TasksExport, SchedulesRead, SchedulesCreate,
		SchedulesAssign, SchedulesExport, AnnouncementsPublish, WorklogsRead, WorklogsStats, ContactDetailsReveal}, ScopeDepartmentTree},
	{Sales, "销售代表 Sales representative", []string{LeadsRead, LeadsCreate, LeadsUpdate, LeadsDelete, LeadsPool,
		LeadsRelease, LeadsExport, LeadsConvert, UsersRead, CustomersRead, CustomersCreate, CustomersUpdate, CustomersPool,
		CustomersRelease, CustomersExport, OpportunitiesRead, OpportunitiesCreate, OpportunitiesUpdate, OpportunitiesExport,
		ContractsRead, ContractsCreate, ContractsUpdate, ContractsDelete, ContractsExport, FinanceRead, FinanceRecord, TasksRead,
		TasksCreate, TasksExport, SchedulesRead, SchedulesCreate, SchedulesExport, WorklogsRead}, ScopeSelf},
	{Finance, "财务 Finance", []string{UsersRead, CustomersRead, ContractsRead, ContractsExport, FinanceRead, FinanceRecord,
		FinanceReverse, FinanceClose, FinanceExport, TasksCreate, SchedulesCreate}, ScopeAll},
}

// Rule violations.
var (
	ErrNotFound       = errors.New("role not found")
	ErrBuiltIn        = errors.New("built-in roles cannot be deleted")
	ErrDeleted        = errors.New("role is deleted")
	ErrLastAdminPerms = errors.New("the admin role must keep roles.manage and users.manage")
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// StreamPrefix is the stream kind of roles.
const StreamPrefix = "role"

var roleNS = uuid.MustParse("8d0b3f5e-1c2a-4e6f-9b7d-2a4c6e8f0b1d")

// ID is the id of the role with this name: names are unique because ids follow from them.
func ID(name string) uuid.UUID { return uuid.NewSHA1(roleNS, []byte(strings.ToLower(name))) }

// Stream returns the stream id of a role.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// Created: a role was defined.
type Created struct {
	RoleID      string   `json:"roleId"`
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	Permissions []string `json:"permissions"`
	DataScope   Scope    `json:"dataScope"`
	BuiltIn     bool     `json:"builtIn,omitempty"`
	Require2FA  bool     `json:"require2fa,omitempty"`
	// Catalogue is the permission catalogue when the role was made: permissions added to Chronicle
	// later are granted to built-in roles that should have them (see GrantNew).
	Catalogue []string  `json:"catalogue,omitempty"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// Updated: some of the role's settings changed (nil: unchanged).
type Updated struct {
	RoleID      string    `json:"roleId"`
	DisplayName *string   `json:"displayName,omitempty"`
	Permissions []string  `json:"permissions,omitempty"`
	DataScope   *Scope    `json:"dataScope,omitempty"`
	Require2FA  *bool     `json:"require2fa,omitempty"`
	Catalogue   []string  `json:"catalogue,omitempty"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// Deleted: a custom role was removed.
type Deleted struct {
	RoleID string    `json:"roleId"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

func (Created) EventType() string { return "role.created.v1" }
func (Updated) EventType() string { return "role.updated.v1" }
func (Deleted) EventType() string { return "role.deleted.v1" }

// Register adds the role events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &Created{} }, func() event.Event { return &Updated{} }, func() event.Event { return &Deleted{} })
}

// Role is the aggregate state.
type Role struct {
	event.Root
	id          uuid.UUID
	name        string
	displayName string
	permissions []string
	scope       Scope
	builtIn     bool
	require2FA  bool
	deleted     bool
	catalogue   []string
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{1,49}$`)

// ParsePermissions checks names against the catalogue and sorts them.
func ParsePermissions(ps []string) ([]string, error) {
	out := []string{}
	for _, p := range ps {
		if !slices.Contains(Permissions, p) {
			return nil, &ValidationError{Field: "permissions", Message: fmt.Sprintf("unknown permission %q", p)}
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

// New defines a role.
func New(name, displayName string, permissions []string, scope Scope, builtIn, require2FA bool, by uuid.UUID, at time.Time) (*Role, error) {
	name = strings.TrimSpace(name)
	if !namePattern.MatchString(name) {
		return nil, &ValidationError{Field: "name", Message: "2-50 characters: lower-case letters, digits, _ . -, starting with a letter"}
	}
	displayName = strings.TrimSpace(displayName)
	if displayName == "" {
		displayName = name
	}
	if utf8.RuneCountInString(displayName) > 100 {
		return nil, &ValidationError{Field: "displayName", Message: "at most 100 characters"}
	}
	perms, err := ParsePermissions(permissions)
	if err != nil {
		return nil, err
	}
	if _, err := ParseScope(string(scope)); err != nil {
		return nil, err
	}
	id := ID(name)
	r := &Role{id: id}
	r.record(Created{RoleID: id.String(), Name: name, DisplayName: displayName, Permissions: perms, DataScope: scope,
		BuiltIn: builtIn, Require2FA: require2FA, Catalogue: slices.Clone(Permissions), By: by.String(), At: at.UTC()})
	return r, nil
}

// Rehydrate rebuilds a role from its history.
func Rehydrate(id uuid.UUID, history []event.Event) (*Role, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	r := &Role{id: id}
	r.Replay(r.apply, history, nil)
	return r, nil
}

func (r *Role) ID() uuid.UUID { return r.id }
func (r *Role) Name() string  { return r.name }
func (r *Role) Deleted() bool { return r.deleted }

func (r *Role) record(e event.Event) { r.Record(r.apply, e) }

func (r *Role) apply(e event.Event) {
	switch e := e.(type) {
	case Created:
		r.name, r.displayName, r.permissions, r.scope, r.builtIn, r.require2FA = e.Name, e.DisplayName, e.Permissions, e.DataScope, e.BuiltIn, e.Require2FA
		r.catalogue = e.Catalogue
	case Updated:
		if e.DisplayName != nil {
			r.displayName = *e.DisplayName
		}
		if e.Permissions != nil {
			r.permissions = e.Permissions
		}
		if e.DataScope != nil {
			r.scope = *e.DataScope
		}
		if e.Require2FA != nil {
			r.require2FA = *e.Require2FA
		}
		if e.Catalogue != nil {
			r.catalogue = e.Catalogue
		}
	case Deleted:
		r.deleted = true
	}
}

// Change is an edit of a role; nil fields stay as they are.
type Change struct {
	DisplayName *string
	Permissions *[]string
	DataScope   *Scope
	Require2FA  *bool
}

// Update edits the role; changing nothing records nothing.
func (r *Role) Update(c Change, by uuid.UUID, at time.Time) error {
	if r.deleted {
		return ErrDeleted
	}
	e := Updated{RoleID: r.id.String(), By: by.String(), At: at.UTC()}
	changed := false
	if c.DisplayName != nil {
		d := strings.TrimSpace(*c.DisplayName)
		if d == "" || utf8.RuneCountInString(d) > 100 {
			return &ValidationError{Field: "displayName", Message: "1-100 characters"}
		}
		if d != r.displayName {
			e.DisplayName, changed = &d, true
		}
	}
	if c.Permissions != nil {
		perms, err := ParsePermissions(*c.Permissions)
		if err != nil {
			return err
		}
		if r.name == Admin && (!slices.Contains(perms, RolesManage) || !slices.Contains(perms, UsersManage)) {
			return ErrLastAdminPerms
		}
		if !slices.Equal(perms, r.permissions) {
			e.Permissions, changed = perms, true
		}
	}
	if c.DataScope != nil {
		if _, err := ParseScope(string(*c.DataScope)); err != nil {
			return err
		}
		if *c.DataScope != r.scope {
			s := *c.DataScope
			e.DataScope, changed = &s, true
		}
	}
	if c.Require2FA != nil && *c.Require2FA != r.require2FA {
		v := *c.Require2FA
		e.Require2FA, changed = &v, true
	}
	if changed {
		r.record(e)
	}
	return nil
}

// GrantNew gives a built-in role the default permissions that were added to Chronicle after the
// role last saw the catalogue (a permission an administrator removed stays removed).
func (r *Role) GrantNew(defaults []string, by uuid.UUID, at time.Time) {
	if r.deleted || slices.Equal(r.catalogue, Permissions) {
		return
	}
	perms := slices.Clone(r.permissions)
	for _, p := range defaults {
		if !slices.Contains(r.catalogue, p) && !slices.Contains(perms, p) {
			perms = append(perms, p)
		}
	}
	slices.Sort(perms)
	e := Updated{RoleID: r.id.String(), Catalogue: slices.Clone(Permissions), By: by.String(), At: at.UTC()}
	if !slices.Equal(perms, r.permissions) {
		e.Permissions = perms
	}
	r.record(e)
}

// Delete removes a custom role.
func (r *Role) Delete(by uuid.UUID, at time.Time) error {
	switch {
	case r.builtIn:
		return ErrBuiltIn
	case r.deleted:
		return ErrDeleted
	}
	r.record(Deleted{RoleID: r.id.String(), By: by.String(), At: at.UTC()})
	return nil
}

// Snapshot is the role as a flat map.
func (r *Role) Snapshot() map[string]any {
	return map[string]any{"id": r.id.String(), "name": r.name, "displayName": r.displayName, "permissions": r.permissions,
		"dataScope": string(r.scope), "builtIn": r.builtIn, "require2fa": r.require2FA, "deleted": r.deleted, "version": r.Version()}
}
