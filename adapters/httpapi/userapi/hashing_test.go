package userapi_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
)

// hashGate gives the harness's application a gate of its own.
func hashGate(h *apitest.Harness, n int, wait time.Duration) *usercmd.HashGate {
	g := usercmd.NewHashGate(n, wait)
	h.App.Auth.SetHashGate(g)
	h.App.Users.SetHashGate(g)
	return g
}

// TestNoTurnToHashIs503: while every hashing slot is taken, sign-in, account creation and the
// password commands answer 503 password_check_busy with Retry-After, and none of it counts as
// a failed sign-in.
func TestNoTurnToHashIs503(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		// One recorded failure would hold the account's next attempt back an hour.
		h.App.Auth.SetSignInPolicy(usercmd.SignInPolicy{UserFree: 1, AddressFree: 1000, Base: time.Hour, Max: time.Hour})
		g := hashGate(h, 1, 50*time.Millisecond)
		admin := h.Login("admin", apitest.AdminPassword)
		id, _ := h.CreateUser(admin, "busy.user", "sales")
		release, err := g.Enter(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		busy := func(r apitest.Resp) {
			t.Helper()
			apitest.WantCode(t, r, "password_check_busy")
			if r.Header.Get("Retry-After") != "1" {
				t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
			}
		}
		for range 2 {
			busy(h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("busy.user", apitest.PasswordOf("busy.user"))), 503))
			busy(h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("no.such.user", "wrong-password-1")), 503))
		}
		busy(h.Must(h.Do("POST", "/api/v1/users", admin, map[string]any{"username": "later.user", "password": "Correct-horse-2026", "role": "sales"}), 503))
		busy(h.Must(h.Do("POST", "/api/v1/users/"+id+"/reset-password", admin, map[string]any{"password": "Correct-horse-2026"}), 503))
		busy(h.Must(h.Do("POST", "/api/v1/auth/change-password", admin, map[string]any{"currentPassword": apitest.AdminPassword, "newPassword": "Correct-horse-2026"}), 503))
		release()

		h.Login("busy.user", apitest.PasswordOf("busy.user")) // 200: the busy answers were not failures
		if hasUser(t, h, admin, "later.user") {
			t.Fatal("a busy create wrote the account")
		}
		h.Login("admin", apitest.AdminPassword) // the password did not change
	})
}

// TestSignInsPerAddressAreLimitedBeforeHashing: with two sign-ins of one address waiting for a
// hashing turn, a third is answered 429 at once, without waiting.
func TestSignInsPerAddressAreLimitedBeforeHashing(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		h = securityHarness(t, h)
		g := hashGate(h, 1, time.Minute)
		admin := h.Login("admin", apitest.AdminPassword)
		h.CreateUser(admin, "many.tabs", "sales")
		release, err := g.Enter(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		codes := make(chan int, 2)
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes <- h.Do("POST", "/api/v1/auth/login", "", loginBody("many.tabs", apitest.PasswordOf("many.tabs"))).Status
			}()
		}
		for deadline := time.Now().Add(30 * time.Second); g.Waiting() < 2; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d sign-ins waiting for a hashing turn, want 2", g.Waiting())
			}
		}
		start := time.Now()
		r := h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("many.tabs", apitest.PasswordOf("many.tabs"))), 429)
		apitest.WantCode(t, r, "too_many_attempts")
		if r.Header.Get("Retry-After") != "1" || time.Since(start) > 10*time.Second || g.Waiting() != 2 {
			t.Fatalf("third sign-in: Retry-After %q after %v, %d waiting", r.Header.Get("Retry-After"), time.Since(start), g.Waiting())
		}
		release()
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != 200 {
				t.Fatalf("a waiting sign-in answered %d", c)
			}
		}
		h.Login("many.tabs", apitest.PasswordOf("many.tabs")) // the address is free again
	})
}

// TestWeakPasswordsAreRefusedWithTheReason: each refusal is a 422 naming the field and a stable
// code, and changes nothing.
func TestWeakPasswordsAreRefusedWithTheReason(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		id, tok := h.CreateUser(admin, "zhou.min", "sales")
		want := func(r apitest.Resp, field, code string) {
			t.Helper()
			apitest.WantCode(t, r, "validation_failed")
			errs, _ := r.Body["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("errors: %s", r.Raw)
			}
			e := errs[0].(map[string]any)
			if e["field"] != field || e["code"] != code || e["message"] == "" {
				t.Fatalf("want %s on %s: %s", code, field, r.Raw)
			}
		}
		create := func(pw string) apitest.Resp {
			return h.Do("POST", "/api/v1/users", admin, map[string]any{"username": "sun.li", "displayName": "孙丽华", "password": pw, "role": "sales"})
		}
		want(h.Must(create("Sun.Li-north-2026"), 422), "password", "password_contains_username")
		want(h.Must(create("孙丽华-north-2026"), 422), "password", "password_contains_display_name")
		want(h.Must(create("kkkkkkkkkkkk"), 422), "password", "password_repeated")
		want(h.Must(create("asdfghjkl;'"), 422), "password", "password_keyboard_run")
		want(h.Must(create("iloveyou2026"), 422), "password", "password_too_weak")
		want(h.Must(create("short-1"), 422), "password", "password_too_short")
		want(h.Must(create("1qaz2wsx3edc"), 422), "password", "password_common")
		if hasUser(t, h, admin, "sun.li") {
			t.Fatal("a refused create wrote the account")
		}

		want(h.Must(h.Do("POST", "/api/v1/auth/change-password", tok, map[string]any{"currentPassword": apitest.PasswordOf("zhou.min"),
			"newPassword": "My-ZHOU.MIN-pass-2026"}), 422), "newPassword", "password_contains_username")
		want(h.Must(h.Do("POST", "/api/v1/users/"+id+"/reset-password", admin, map[string]any{"password": "Password2026!"}), 422), "password", "password_too_weak")
		h.Login("zhou.min", apitest.PasswordOf("zhou.min")) // unchanged
		h.Must(h.Do("POST", "/api/v1/users", admin, map[string]any{"username": "sun.li", "displayName": "孙丽华", "password": "Violet-marmalade-2026", "role": "sales"}), 201)
	})
}

// hasUser: the user list, up to date with the log, has username.
func hasUser(t *testing.T, h *apitest.Harness, token, username string) bool {
	t.Helper()
	r := h.Must(h.Do("GET", "/api/v1/users?limit=500", token, nil, "X-Chronicle-Min-Position", h.Head()), 200)
	for _, it := range r.Body["items"].([]any) {
		if it.(map[string]any)["username"] == username {
			return true
		}
	}
	return false
}
