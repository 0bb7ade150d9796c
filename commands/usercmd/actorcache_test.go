package usercmd_test

import (
	"errors"
	"testing"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
)

func (e *securityEnv) touches() int {
	e.sessions.mu.Lock()
	defer e.sessions.mu.Unlock()
	return e.sessions.touches
}

func (e *securityEnv) authenticates(token string) bool {
	e.t.Helper()
	_, _, err := e.auth.Authenticate(e.ctx, token)
	if err != nil && !errors.Is(err, usercmd.ErrUnauthenticated) {
		e.t.Fatal(err)
	}
	return err == nil
}

// A token's actor is read once and then kept: for ActorCacheTTL, while no session write and no
// change of the organisation's read model happened in this process.
func TestAuthenticateKeepsTheActorUntilSomethingChanges(t *testing.T) {
	e := newSecurityEnv(t)
	var org uint64
	e.auth.SetChangeSignal(func() uint64 { return org })
	id := e.createUser("cache.user", "Correct-horse-2026")
	a, err := e.login("cache.user", "Correct-horse-2026")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.login("cache.user", "Correct-horse-2026")
	if err != nil {
		t.Fatal(err)
	}
	lookups := func(f func()) int {
		before := e.touches()
		f()
		return e.touches() - before
	}
	if n := lookups(func() {
		for range 5 {
			if !e.authenticates(a.Token) {
				t.Fatal("a valid session was refused")
			}
		}
	}); n != 1 {
		t.Fatalf("five requests read the session %d times, want once", n)
	}

	// What a request does to its actor does not reach the next request.
	actor, _, _ := e.auth.Authenticate(e.ctx, a.Token)
	actor.Permissions["users.manage"] = true
	actor.Roles[0] = "admin"
	again, _, _ := e.auth.Authenticate(e.ctx, a.Token)
	if again.Can("users.manage") || again.Has("admin") {
		t.Fatalf("a request's change to its actor leaked into the cache: %+v", again)
	}

	// The time runs out.
	e.clock.add(usercmd.ActorCacheTTL)
	if n := lookups(func() { e.authenticates(a.Token) }); n != 1 {
		t.Fatalf("after the TTL the session was read %d times, want once", n)
	}

	// The organisation changes: the user is disabled (the read model says so, the signal moves).
	e.authenticates(b.Token)
	e.creds.mu.Lock()
	c := e.creds.byName["cache.user"]
	c.Disabled = true
	e.creds.byName["cache.user"] = c
	e.creds.mu.Unlock()
	if !e.authenticates(b.Token) {
		t.Fatal("the read model changed without the signal moving, and the kept actor was not used")
	}
	org++
	if e.authenticates(b.Token) || e.authenticates(a.Token) {
		t.Fatal("a disabled user still authenticates once the organisation's read model moved")
	}
	c.Disabled = false
	e.creds.add(c)
	org++

	// A sign-out ends its own session at once, and a password change the others.
	if !e.authenticates(a.Token) || !e.authenticates(b.Token) {
		t.Fatal("re-enabled user refused")
	}
	if err := e.auth.Logout(e.ctx, a.Token); err != nil {
		t.Fatal(err)
	}
	if e.authenticates(a.Token) {
		t.Fatal("a signed-out token still authenticates")
	}
	if !e.authenticates(b.Token) {
		t.Fatal("another session ended with the sign-out")
	}
	m := commands.Meta{Actor: access.Actor{ID: id}, ClientAddr: "198.51.100.9"}
	if _, err := e.users.ChangePassword(e.ctx, m, "Correct-horse-2026", "Another-horse-2026", "keep-none"); err != nil {
		t.Fatal(err)
	}
	if e.authenticates(b.Token) {
		t.Fatal("a session ended by a password change still authenticates")
	}

	// An expired session is refused even while its actor is kept.
	d, err := e.login("cache.user", "Another-horse-2026")
	if err != nil {
		t.Fatal(err)
	}
	if !e.authenticates(d.Token) {
		t.Fatal("new session refused")
	}
	e.sessions.mu.Lock()
	s := e.sessions.m[usercmd.HashToken(d.Token)]
	e.sessions.mu.Unlock()
	e.clock.t = s.ExpiresAt
	if e.authenticates(d.Token) {
		t.Fatal("an expired session authenticates")
	}
}
