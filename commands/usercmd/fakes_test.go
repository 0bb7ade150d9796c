package usercmd_test

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/role"
)

// fakeOrg knows the built-in roles and no users or departments.
type fakeOrg struct{}

func (fakeOrg) Placement(context.Context, uuid.UUID) (access.Placement, bool, error) {
	return access.Placement{}, false, nil
}
func (fakeOrg) OwnedLeads(context.Context, uuid.UUID, []uuid.UUID) (int64, error) { return 0, nil }
func (fakeOrg) LeadsAppliedUntil(context.Context) (time.Time, error)              { return time.Time{}, nil }
func (fakeOrg) LeadClaimCap(context.Context) (int64, error)                       { return 1000, nil }
func (fakeOrg) Department(context.Context, uuid.UUID) (access.DepartmentInfo, bool, error) {
	return access.DepartmentInfo{}, false, nil
}
func (fakeOrg) RolesByName(_ context.Context, names []string) ([]access.RoleDef, error) {
	var out []access.RoleDef
	for _, b := range role.BuiltIns {
		for _, n := range names {
			if n == b.Name {
				out = append(out, access.RoleDef{Name: b.Name, Permissions: b.Permissions, Scope: b.Scope})
			}
		}
	}
	return out, nil
}

type fakeSessions struct{}

func (fakeSessions) CreateSession(context.Context, usercmd.Session) error { return nil }
func (fakeSessions) TouchSession(context.Context, string, time.Time, time.Time) (usercmd.Session, error) {
	return usercmd.Session{}, commands.ErrNotFound
}
func (fakeSessions) DeleteSession(context.Context, string) error                 { return nil }
func (fakeSessions) DeleteUserSessions(context.Context, uuid.UUID, string) error { return nil }
