package customerview

import (
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// ScopeFor is the customer (and contact) scope of an actor.
func ScopeFor(a access.Actor) readmodels.Scope {
	s := readmodels.ScopeOf(a, a.Can(role.CustomersPool) || a.Can(role.CustomersAssign))
	s.None = !a.Can(role.CustomersRead)
	return s
}
