package userapi_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/commands/usercmd"

	"github.com/pquerna/otp/totp"
)

// securityHarness is a harness whose failed sign-ins are not throttled (the throttling policy is
// tested with a fake clock in commands and by TestSignInThrottling); the lockout still applies.
func securityHarness(t *testing.T, h *apitest.Harness) *apitest.Harness {
	h.App.Auth.SetSignInPolicy(usercmd.SignInPolicy{})
	return h
}

func loginBody(user, pw string, extra ...string) map[string]string {
	b := map[string]string{"username": user, "password": pw}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i]] = extra[i+1]
	}
	return b
}

func TestTwoFactorSignIn(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		h = securityHarness(t, h)
		admin := h.Login("admin", apitest.AdminPassword)
		_, tok := h.CreateUser(admin, "two.fa", "sales")
		pw := apitest.PasswordOf("two.fa")

		h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", tok, map[string]string{"code": "123456"}), 409)
		enr := h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", tok, nil), 200)
		secret, _ := enr.Body["secret"].(string)
		uri, _ := enr.Body["uri"].(string)
		if secret == "" || !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "issuer=Chronicle%20CRM") || enr.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("enrol: %s", enr.Raw)
		}
		// Until confirmed, the password alone still signs in.
		h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", pw)), 200)
		h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", tok, map[string]string{"code": "12"}), 422)
		h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", tok, map[string]string{}), 422)
		code, err := totp.GenerateCode(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		conf := h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", tok, map[string]string{"code": code}), 200)
		codes, _ := conf.Body["recoveryCodes"].([]any)
		if len(codes) != 10 {
			t.Fatalf("confirm: %s", conf.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", tok, nil), 409), "two_factor_already_enabled")

		// Sign-in now needs the second factor.
		r := h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", pw)), 401)
		apitest.WantCode(t, r, "totp_required")
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", "wrong-password-1", "totp", code)), 401), "invalid_credentials")
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", pw, "totp", code)), 401), "invalid_second_factor") // spent by confirm
		next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		ok := h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", pw, "totp", next)), 200)
		if ok.Body["token"] == "" || ok.Body["twoFactorRequired"] != false {
			t.Fatalf("login with totp: %s", ok.Raw)
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", pw, "totp", next)), 401), "invalid_second_factor")
		rc := codes[3].(string)
		h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", pw, "recoveryCode", rc)), 200)
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", pw, "recoveryCode", rc)), 401), "invalid_second_factor")

		// The secret and the recovery-code hashes stay out of the operation log.
		audit := h.Must(h.Do("GET", "/api/v1/audit/events?type=user.&limit=500", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if !strings.Contains(audit.Raw, "user.two_factor_confirmed.v1") || strings.Contains(audit.Raw, secret) || strings.Contains(audit.Raw, `"recoveryCodes":["`) {
			t.Fatalf("audit of two-factor events: %s", audit.Raw)
		}

		// Disable with the password and a code (or a recovery code): the password alone signs in again.
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/2fa/disable", tok, map[string]string{"password": "wrong-password-1", "code": next}), 422), "validation_failed")
		for _, body := range []map[string]string{{"password": pw}, {"password": pw, "code": "000000"}, {"password": pw, "recoveryCode": rc}} {
			r := h.Must(h.Do("POST", "/api/v1/auth/2fa/disable", tok, body), 422)
			if !strings.Contains(r.Raw, `"field":"code"`) && !strings.Contains(r.Raw, `"field":"recoveryCode"`) {
				t.Fatalf("disable with %v: %s", body, r.Raw)
			}
		}
		h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", pw)), 401) // still on
		h.Must(h.Do("POST", "/api/v1/auth/2fa/disable", tok, map[string]string{"password": pw, "recoveryCode": codes[6].(string)}), 204)
		h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("two.fa", pw)), 200)
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/2fa/recovery-codes", tok, map[string]string{"code": next}), 409), "two_factor_not_enabled")

		// A user who lost their authenticator and recovery codes: an administrator resets 2FA.
		lostID, lost := h.CreateUser(admin, "lost.phone", "sales")
		enr = h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", lost, nil), 200)
		c, _ := totp.GenerateCode(enr.Body["secret"].(string), time.Now())
		h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", lost, map[string]string{"code": c}), 200)
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("lost.phone", apitest.PasswordOf("lost.phone"))), 401), "totp_required")
		h.Must(h.Do("POST", "/api/v1/users/"+lostID+"/reset-2fa", tok, nil), 403)
		h.Must(h.Do("POST", "/api/v1/users/"+lostID+"/reset-2fa", admin, nil), 200)
		h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("lost.phone", apitest.PasswordOf("lost.phone"))), 200)
		hist := h.Must(h.Do("GET", "/api/v1/audit/events?stream=user-"+lostID+"&type=user.two_factor_disabled.v1", admin, nil,
			"X-Chronicle-Min-Position", h.Head()), 200)
		if hist.Body["total"].(float64) != 1 || !strings.Contains(hist.Raw, "user.two_factor_reset") {
			t.Fatalf("the reset is not in the operation log as the administrator's: %s", hist.Raw)
		}
	})
}

func TestSessionsAndPasswords(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		h = securityHarness(t, h)
		admin := h.Login("admin", apitest.AdminPassword)
		id, t1 := h.CreateUser(admin, "sess.user", "sales")
		_, other := h.CreateUser(admin, "sess.other", "sales")
		pw := apitest.PasswordOf("sess.user")
		t2 := h.Login("sess.user", pw)

		// Common passwords are refused, whatever their case.
		for _, common := range []string{"Password123", "1QAZ2WSX3EDC", "woaini1314"} {
			r := h.Must(h.Do("POST", "/api/v1/users", admin, map[string]any{"username": "weak.user", "password": common, "role": "sales"}), 422)
			if !strings.Contains(r.Raw, `"field":"password"`) || !strings.Contains(r.Raw, "too common") {
				t.Fatalf("common password %q: %s", common, r.Raw)
			}
		}
		r := h.Must(h.Do("POST", "/api/v1/auth/change-password", t2, map[string]string{"currentPassword": pw, "newPassword": "qwertyuiop"}), 422)
		if !strings.Contains(r.Raw, "too common") {
			t.Fatalf("change to a common password: %s", r.Raw)
		}

		list := h.Must(h.Do("GET", "/api/v1/auth/sessions", t2, nil), 200)
		items := list.Body["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("sessions: %s", list.Raw)
		}
		var current, notCurrent string
		for _, it := range items {
			s := it.(map[string]any)
			if s["id"] == "" || s["createdAt"] == nil || s["expiresAt"] == nil || !strings.Contains(s["client"].(string), "127.0.0.1") {
				t.Fatalf("session view: %v", s)
			}
			if s["current"] == true {
				current = s["id"].(string)
			} else {
				notCurrent = s["id"].(string)
			}
		}
		if current == "" || notCurrent == "" || strings.Contains(list.Raw, t2) {
			t.Fatalf("current flag or token leak: %s", list.Raw)
		}

		// Changing the password ends the other session and keeps this one.
		h.Must(h.Do("POST", "/api/v1/auth/change-password", t2, map[string]string{"currentPassword": pw, "newPassword": "New-secret-2026!"}), 204)
		h.Must(h.Do("GET", "/api/v1/auth/me", t1, nil), 401)
		h.Must(h.Do("GET", "/api/v1/auth/me", t2, nil), 200)
		pw = "New-secret-2026!"

		// Revoke one of your own sessions; someone else's id is 404.
		t3 := h.Login("sess.user", pw)
		var t3ID string
		for _, it := range h.Must(h.Do("GET", "/api/v1/auth/sessions", t2, nil), 200).Body["items"].([]any) {
			if s := it.(map[string]any); s["current"] == false {
				t3ID = s["id"].(string)
			}
		}
		otherID := ""
		for _, it := range h.Must(h.Do("GET", "/api/v1/auth/sessions", other, nil), 200).Body["items"].([]any) {
			otherID = it.(map[string]any)["id"].(string)
		}
		apitest.WantCode(t, h.Must(h.Do("DELETE", "/api/v1/auth/sessions/"+otherID, t2, nil), 404), "not_found")
		h.Must(h.Do("DELETE", "/api/v1/auth/sessions/not-an-id", t2, nil), 422)
		h.Must(h.Do("DELETE", "/api/v1/auth/sessions/"+t3ID, t2, nil), 204)
		h.Must(h.Do("GET", "/api/v1/auth/me", t3, nil), 401)
		h.Must(h.Do("GET", "/api/v1/auth/me", other, nil), 200)
		h.Must(h.Do("DELETE", "/api/v1/auth/sessions/"+t3ID, t2, nil), 404)

		// A role that requires two-factor sign-in holds an unenrolled user to enrolment.
		roleRes := h.Must(h.Do("POST", "/api/v1/roles", admin, map[string]any{"name": "secure_sales", "displayName": "安全销售",
			"permissions": []string{"leads.read", "leads.create"}, "dataScope": "self"}), 201)
		roleID := roleRes.Body["id"].(string)
		_, strict := h.CreateUser(admin, "strict.user", "secure_sales")
		h.Must(h.Do("GET", "/api/v1/leads", strict, nil), 200)
		h.Must(h.Do("PATCH", "/api/v1/roles/"+roleID, admin, map[string]any{"require2fa": true}), 200)
		login := h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("strict.user", apitest.PasswordOf("strict.user"))), 200)
		if login.Body["twoFactorRequired"] != true {
			t.Fatalf("login of an unenrolled user of a 2FA role: %s", login.Raw)
		}
		for _, try := range []struct{ method, path string }{{"GET", "/api/v1/leads"}, {"GET", "/api/v1/auth/sessions"}, {"POST", "/api/v1/leads"}} {
			apitest.WantCode(t, h.Must(h.Do(try.method, try.path, strict, map[string]any{"name": "王"}), 403), "two_factor_enrollment_required")
		}
		h.Must(h.Do("GET", "/api/v1/auth/me", strict, nil), 200)
		enr := h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", strict, nil), 200)
		code, _ := totp.GenerateCode(enr.Body["secret"].(string), time.Now())
		h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", strict, map[string]string{"code": code}), 200)
		h.Must(h.Do("GET", "/api/v1/leads", strict, nil), 200)
		h.Must(h.Do("POST", "/api/v1/auth/logout", strict, nil), 204)
		_ = id
	})
}

func TestLockoutAndLoginAudit(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		h = securityHarness(t, h)
		admin := h.Login("admin", apitest.AdminPassword)
		id, sales := h.CreateUser(admin, "lock.me", "sales")
		pw := apitest.PasswordOf("lock.me")
		for i := 1; i <= 10; i++ {
			r := h.Do("POST", "/api/v1/auth/login", "", loginBody("lock.me", "wrong-password-"+strconv.Itoa(i)))
			want, code := 401, "invalid_credentials"
			if i == 10 {
				want, code = 423, "account_locked"
			}
			if r.Status != want || r.Body["code"] != code {
				t.Fatalf("failure %d: %d %s", i, r.Status, r.Raw)
			}
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("lock.me", pw)), 423), "account_locked")
		// The lock shows, with its end, on the user (15 minutes for a first lock) and in the sign-in log.
		lockedAt := time.Now()
		rec := h.Must(h.Do("GET", "/api/v1/users/"+id, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		until, err := time.Parse(time.RFC3339Nano, fmt.Sprint(rec.Body["lockedUntil"]))
		if err != nil || until.Sub(lockedAt) < 14*time.Minute || until.Sub(lockedAt) > 16*time.Minute {
			t.Fatalf("lockedUntil of a locked user: %s", rec.Raw)
		}
		// the sign-in log is its own projection: read it once it has seen the lock
		lockRows := h.Must(h.Do("GET", "/api/v1/audit/logins?outcome=locked&user="+id, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200).Body["items"].([]any)
		if len(lockRows) != 1 {
			t.Fatalf("the lock in the sign-in log: %v", lockRows)
		}
		lockRow := lockRows[0].(map[string]any)
		if lockRow["lockedUntil"] == nil || lockRow["count"] != float64(1) {
			t.Fatalf("the lock in the sign-in log: %v", lockRow)
		}
		// Existing sessions go on; unlocking needs users.manage.
		h.Must(h.Do("POST", "/api/v1/users/"+id+"/unlock", sales, nil), 403)
		h.Must(h.Do("POST", "/api/v1/users/not-a-uuid/unlock", admin, nil), 422)
		if un := h.Must(h.Do("POST", "/api/v1/users/"+id+"/unlock", admin, nil), 200); un.Body["lockedUntil"] != nil {
			t.Fatalf("unlocked: %s", un.Raw)
		}
		h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("lock.me", pw)), 200)

		// Unknown usernames answer like accounts and are recorded against the address.
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("ghost.user", "whatever-pass")), 401), "invalid_credentials")

		h.Must(h.Do("GET", "/api/v1/audit/logins", sales, nil), 403)
		head := h.Head()
		all := h.Must(h.Do("GET", "/api/v1/audit/logins?user="+id, admin, nil, "X-Chronicle-Min-Position", head), 200)
		outcomes := map[string]int{}
		for _, it := range all.Body["items"].([]any) {
			e := it.(map[string]any)
			outcomes[e["outcome"].(string)]++
			if e["userId"] != id || e["username"] != "lock.me" || e["address"] != "127.0.0.1" {
				t.Fatalf("login event %v", e)
			}
		}
		// 11 failures (10 wrong passwords, 1 on the locked account), a lock, an unlock and the
		// sign-ins of createUser and after the unlock.
		if outcomes["failed"] != 11 || outcomes["locked"] != 1 || outcomes["unlocked"] != 1 || outcomes["succeeded"] != 2 {
			t.Fatalf("outcomes %v: %s", outcomes, all.Raw)
		}
		first := all.Body["items"].([]any)[0].(map[string]any)
		if first["outcome"] != "succeeded" || first["method"] != "password" {
			t.Fatalf("newest first: %v", first)
		}
		locked := h.Must(h.Do("GET", "/api/v1/audit/logins?outcome=unlocked&user=LOCK.ME", admin, nil), 200)
		if locked.Body["total"].(float64) != 1 || locked.Body["items"].([]any)[0].(map[string]any)["actor"].(map[string]any)["name"] != "Administrator" {
			t.Fatalf("unlock by username: %s", locked.Raw)
		}
		ghost := h.Must(h.Do("GET", "/api/v1/audit/logins?user=ghost.user&address=127.0.0.1&outcome=failed", admin, nil), 200)
		items := ghost.Body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["userId"] != nil || items[0].(map[string]any)["reason"] != "unknown_user" {
			t.Fatalf("unknown user: %s", ghost.Raw)
		}
		page := h.Must(h.Do("GET", "/api/v1/audit/logins?outcome=failed&limit=5", admin, nil), 200)
		if len(page.Body["items"].([]any)) != 5 || page.Body["nextCursor"] == "" || page.Body["total"].(float64) != 12 {
			t.Fatalf("page: %s", page.Raw)
		}
		next := h.Must(h.Do("GET", "/api/v1/audit/logins?outcome=failed&limit=5&cursor="+page.Body["nextCursor"].(string), admin, nil), 200)
		if len(next.Body["items"].([]any)) != 5 || next.Raw == page.Raw {
			t.Fatalf("second page: %s", next.Raw)
		}
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if n := h.Must(h.Do("GET", "/api/v1/audit/logins?from="+future, admin, nil), 200).Body["total"].(float64); n != 0 {
			t.Fatalf("from the future: %v", n)
		}
		if n := h.Must(h.Do("GET", "/api/v1/audit/logins?to="+future, admin, nil), 200).Body["total"].(float64); n < 16 {
			t.Fatalf("to the future: %v", n)
		}
		for _, bad := range []string{"outcome=maybe", "from=yesterday", "limit=0", "cursor=x"} {
			apitest.WantCode(t, h.Must(h.Do("GET", "/api/v1/audit/logins?"+bad, admin, nil), 422), "validation_failed")
		}

		// The sign-in log is scoped like the operation log: a manager (department tree) sees their
		// own sign-ins and those of their department's users, not other departments' nor unknown
		// usernames.
		north := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华北区"}), 201).Body["id"].(string)
		south := h.Must(h.Do("POST", "/api/v1/departments", admin, map[string]any{"name": "华南区"}), 201).Body["id"].(string)
		mgrID, mgr := h.CreateUser(admin, "north.mgr", "manager", north)
		inID, _ := h.CreateUser(admin, "north.sales", "sales", north)
		outID, _ := h.CreateUser(admin, "south.sales", "sales", south)
		seen := map[string]bool{}
		for _, it := range h.Must(h.Do("GET", "/api/v1/audit/logins?limit=500", mgr, nil, "X-Chronicle-Min-Position", h.Head()), 200).Body["items"].([]any) {
			uid, _ := it.(map[string]any)["userId"].(string)
			seen[uid] = true
		}
		if !seen[mgrID] || !seen[inID] || seen[outID] || seen[id] || seen[""] || len(seen) != 2 {
			t.Fatalf("a department manager's sign-in log holds users %v", seen)
		}
	})
}

// TestRecoveryCodeRegeneration: a new set of recovery codes needs a fresh one-time code; the old
// codes stop working.
func TestRecoveryCodeRegeneration(t *testing.T) {
	for _, engine := range pgtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			clock := &apitest.FakeClock{}
			h := securityHarness(t, apitest.New(t, engine, clock.Now))
			admin := h.Login("admin", apitest.AdminPassword)
			_, tok := h.CreateUser(admin, "regen.codes", "sales")
			pw := apitest.PasswordOf("regen.codes")
			enr := h.Must(h.Do("POST", "/api/v1/auth/2fa/enroll", tok, nil), 200)
			secret := enr.Body["secret"].(string)
			code, _ := totp.GenerateCode(secret, clock.Now())
			old := h.Must(h.Do("POST", "/api/v1/auth/2fa/confirm", tok, map[string]string{"code": code}), 200).Body["recoveryCodes"].([]any)

			apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/2fa/recovery-codes", tok, map[string]string{"code": code}), 422), "validation_failed") // spent
			apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/2fa/recovery-codes", tok, map[string]string{"code": "000000"}), 422), "validation_failed")
			clock.Advance(30 * time.Second)
			fresh, _ := totp.GenerateCode(secret, clock.Now())
			regen := h.Must(h.Do("POST", "/api/v1/auth/2fa/recovery-codes", tok, map[string]string{"code": fresh}), 200)
			codes, _ := regen.Body["recoveryCodes"].([]any)
			if len(codes) != 10 || regen.Header.Get("Cache-Control") != "no-store" || codes[0] == old[0] {
				t.Fatalf("regenerate: %s", regen.Raw)
			}
			apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/2fa/recovery-codes", tok, map[string]string{"code": fresh}), 422), "validation_failed")
			apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("regen.codes", pw, "recoveryCode", old[5].(string))), 401), "invalid_second_factor")
			h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("regen.codes", pw, "recoveryCode", codes[5].(string))), 200)
			audit := h.Must(h.Do("GET", "/api/v1/audit/events?type=user.recovery_codes_replaced.v1", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
			if audit.Body["total"].(float64) != 1 || strings.Contains(audit.Raw, `"recoveryCodes":["`) {
				t.Fatalf("the replacement in the operation log: %s", audit.Raw)
			}
		})
	}
}

// TestSignInThrottling: an attempt that comes too early after failures is 429 with Retry-After;
// throttled attempts show in the sign-in log folded per account, address and minute, with a count.
func TestSignInThrottling(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		h.App.Auth.SetSignInPolicy(usercmd.SignInPolicy{UserFree: 2, AddressFree: 1000, Base: time.Hour, Max: time.Hour})
		admin := h.Login("admin", apitest.AdminPassword)
		id, _ := h.CreateUser(admin, "slow.down", "sales")
		for range 2 {
			h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("slow.down", "wrong-password-1")), 401)
		}
		r := h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("slow.down", apitest.PasswordOf("slow.down"))), 429)
		apitest.WantCode(t, r, "too_many_attempts")
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 3500 || s > 3600 {
			t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
		}
		for range 3 {
			h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("slow.down", "wrong-password-2")), 429)
		}
		// An unknown username is held back the same way (its failures are counted in the logins read
		// model: wait until it has them).
		for range 2 {
			h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("no.such.user", "wrong-password-1")), 401)
		}
		h.Must(h.Do("GET", "/api/v1/audit/logins", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/login", "", loginBody("no.such.user", "wrong-password-1")), 429), "too_many_attempts")
		// The counts are recorded once their minute is over, or at shutdown.
		if err := h.App.Auth.FlushThrottled(t.Context(), true); err != nil {
			t.Fatal(err)
		}
		log := h.Must(h.Do("GET", "/api/v1/audit/logins?outcome=throttled", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		counts := map[string]float64{}
		for _, it := range log.Body["items"].([]any) {
			e := it.(map[string]any)
			uid, _ := e["userId"].(string)
			counts[uid+"/"+e["username"].(string)] += e["count"].(float64)
			if e["address"] != "127.0.0.1" || e["outcome"] != "throttled" {
				t.Fatalf("throttled entry %v", e)
			}
		}
		if len(counts) != 2 || counts[id+"/slow.down"] != 4 || counts["/no.such.user"] != 1 {
			t.Fatalf("throttled entries %v: %s", counts, log.Raw)
		}
	})
}

// TestWrongPasswordsEndSessions: on a stolen session, wrong current passwords are recorded and the
// fifth in a row ends every session of the account (401 sessions_ended).
func TestWrongPasswordsEndSessions(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		h = securityHarness(t, h)
		admin := h.Login("admin", apitest.AdminPassword)
		id, stolen := h.CreateUser(admin, "stolen.one", "sales")
		mine := h.Login("stolen.one", apitest.PasswordOf("stolen.one"))
		for i := 1; i < 5; i++ {
			r := h.Must(h.Do("POST", "/api/v1/auth/change-password", stolen, map[string]string{"currentPassword": "guess-" + strconv.Itoa(i), "newPassword": "Another-2026-pass"}), 422)
			if !strings.Contains(r.Raw, `"field":"currentPassword"`) {
				t.Fatalf("guess %d: %s", i, r.Raw)
			}
		}
		apitest.WantCode(t, h.Must(h.Do("POST", "/api/v1/auth/2fa/disable", stolen, map[string]string{"password": "guess-5"}), 401), "sessions_ended")
		h.Must(h.Do("GET", "/api/v1/auth/me", stolen, nil), 401)
		h.Must(h.Do("GET", "/api/v1/auth/me", mine, nil), 401)
		h.Login("stolen.one", apitest.PasswordOf("stolen.one"))
		audit := h.Must(h.Do("GET", "/api/v1/audit/events?type=user.reauthentication_failed.v1&stream=user-"+id, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200)
		if audit.Body["total"].(float64) != 5 || strings.Contains(audit.Raw, "guess-") {
			t.Fatalf("failed reauthentications in the operation log: %s", audit.Raw)
		}
	})
}

// TestUsernamesOnlyForAdministrators: the user directory shows everyone's names, but usernames only
// to holders of users.manage (and each user their own).
func TestUsernamesOnlyForAdministrators(t *testing.T) {
	apitest.Engines(t, func(t *testing.T, h *apitest.Harness) {
		admin := h.Login("admin", apitest.AdminPassword)
		salesID, sales := h.CreateUser(admin, "dir.sales", "sales")
		otherID, _ := h.CreateUser(admin, "dir.other", "sales")
		names := func(tok string) map[string]string {
			out := map[string]string{}
			for _, it := range h.Must(h.Do("GET", "/api/v1/users", tok, nil, "X-Chronicle-Min-Position", h.Head()), 200).Body["items"].([]any) {
				u := it.(map[string]any)
				if u["displayName"] == "" {
					t.Fatalf("no display name: %v", u)
				}
				out[u["id"].(string)] = u["username"].(string)
			}
			return out
		}
		if n := names(admin); n[salesID] != "dir.sales" || n[otherID] != "dir.other" {
			t.Fatalf("an administrator's directory: %v", n)
		}
		n := names(sales)
		if n[salesID] != "dir.sales" || n[otherID] != "" || len(n) < 3 {
			t.Fatalf("a sales user's directory: %v", n)
		}
		for _, u := range n {
			if u != "" && u != "dir.sales" {
				t.Fatalf("a sales user sees the username %q", u)
			}
		}
		if u := h.Must(h.Do("GET", "/api/v1/users/"+otherID, sales, nil), 200); u.Body["username"] != "" || u.Body["displayName"] == "" {
			t.Fatalf("another user's record for a sales user: %s", u.Raw)
		}
	})
}
