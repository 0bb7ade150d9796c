package user

import "github.com/chronicle-crm/chronicle/domain/event"

// security is the sign-in security state of an account (two-factor, lockout).
type security struct{}

// registerSecurity adds the sign-in security events.
func registerSecurity(*event.Registry) {}

func (u *User) applySecurity(event.Event) {}
