package leadview

import (
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// ScopeFor is the lead scope of an actor: their data scope, plus the pool for those who work it.
func ScopeFor(a access.Actor) readmodels.Scope {
	s := readmodels.ScopeOf(a, a.Can(role.LeadsPool) || a.Can(role.LeadsAssign))
	s.None = !a.Can(role.LeadsRead)
	return s
}
