package mailapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/apitest"
	"github.com/chronicle-crm/chronicle/adapters/mailer/smtptest"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
)

const smtpPassword = "s3cret-Smtp-pw!"

// engines runs f on a fresh application with a clock the test moves, on each engine.
func engines(t *testing.T, f func(t *testing.T, h *apitest.Harness, clock *apitest.FakeClock)) {
	for _, e := range pgtest.Engines() {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			clock := &apitest.FakeClock{}
			f(t, apitest.New(t, e, clock.Now), clock)
		})
	}
}

// setUp points the settings at a test SMTP server (with AUTH PLAIN) and answers it.
func setUp(t *testing.T, h *apitest.Harness, admin string) *smtptest.Server {
	t.Helper()
	srv := smtptest.Start(t)
	srv.RequireAuth("crm", smtpPassword)
	r := h.Must(h.Do("PUT", "/api/v1/settings/smtp", admin, map[string]any{"host": srv.Host, "port": srv.Port, "tls": "none",
		"username": "crm", "password": smtpPassword, "from": "Chronicle CRM <crm@example.com>"}), 200)
	if r.Body["passwordSet"] != true || strings.Contains(r.Raw, smtpPassword) {
		t.Fatalf("smtp settings: %s", r.Raw)
	}
	return srv
}

// runMailer runs one round of the mailer once the notifications read model has the log's head.
func runMailer(t *testing.T, h *apitest.Harness) int {
	t.Helper()
	ctx := context.Background()
	head, _ := h.App.Store.Head(ctx)
	if err := h.App.Engine.WaitFor(ctx, head, notifyview.Projection); err != nil {
		t.Fatal(err)
	}
	n, err := h.App.Mailer.Run(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSMTPSettings(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, h *apitest.Harness, _ *apitest.FakeClock) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, sales := h.CreateUser(admin, "zhangsan", "sales")
		// Never set: no server.
		r := h.Must(h.Do("GET", "/api/v1/settings/smtp", admin, nil), 200)
		if r.Body["host"] != "" || r.Body["passwordSet"] != false {
			t.Fatalf("defaults: %s", r.Raw)
		}
		// Administrators only.
		h.Must(h.Do("GET", "/api/v1/settings/smtp", sales, nil), 403)
		h.Must(h.Do("PUT", "/api/v1/settings/smtp", sales, map[string]any{"host": "smtp.example.com", "port": 25, "tls": "none", "from": "a@example.com"}), 403)
		h.Must(h.Do("POST", "/api/v1/settings/smtp/test", sales, map[string]any{"to": "a@example.com"}), 403)
		h.Must(h.Do("GET", "/api/v1/mail/outbox", sales, nil), 403)
		// Bad values are refused, field by field, and record nothing.
		for field, body := range map[string]map[string]any{
			"smtp.port": {"host": "smtp.example.com", "port": 0, "tls": "starttls", "from": "a@example.com"},
			"smtp.tls":  {"host": "smtp.example.com", "port": 25, "tls": "ssl", "from": "a@example.com"},
			"smtp.from": {"host": "smtp.example.com", "port": 25, "tls": "none", "from": "nobody"},
			"smtp.host": {"host": "smtp.example.com:25", "port": 25, "tls": "none", "from": "a@example.com"},
		} {
			apitest.FieldErr(t, h.Must(h.Do("PUT", "/api/v1/settings/smtp", admin, body), 422), field, "")
		}
		h.Must(h.Do("PUT", "/api/v1/settings/smtp", admin, `{"host": "x", "colour": 1}`), 400)
		srv := setUp(t, h, admin)
		// Saving again without a password keeps it; the test message authenticates with it.
		r = h.Must(h.Do("PUT", "/api/v1/settings/smtp", admin, map[string]any{"host": srv.Host, "port": srv.Port, "tls": "none",
			"username": "crm", "from": "Chronicle CRM <crm@example.com>"}), 200)
		if r.Body["passwordSet"] != true {
			t.Fatalf("the password was dropped: %s", r.Raw)
		}
		// The kept password never follows the settings to another server: a new host, port, TLS
		// mode or user name without a password is refused and changes nothing (else anyone who may
		// edit the settings could send the stored password to a server of theirs with the test).
		for field, v := range map[string]any{"host": "attacker.example", "port": srv.Port + 1, "tls": "starttls", "username": "other"} {
			body := map[string]any{"host": srv.Host, "port": srv.Port, "tls": "none", "username": "crm", "from": "Chronicle CRM <crm@example.com>"}
			body[field] = v
			apitest.FieldErr(t, h.Must(h.Do("PUT", "/api/v1/settings/smtp", admin, body), 422), "smtp.password", "")
		}
		if r := h.Must(h.Do("GET", "/api/v1/settings/smtp", admin, nil, "X-Chronicle-Min-Position", h.Head()), 200); r.Body["host"] != srv.Host ||
			r.Body["username"] != "crm" || r.Body["passwordSet"] != true {
			t.Fatalf("a refused change changed the settings: %s", r.Raw)
		}
		apitest.FieldErr(t, h.Must(h.Do("POST", "/api/v1/settings/smtp/test", admin, map[string]any{"to": "not an address"}), 422), "to", "")
		r = h.Must(h.Do("POST", "/api/v1/settings/smtp/test", admin, map[string]any{"to": "admin@example.com"}), 200)
		msgs := srv.Messages()
		if len(msgs) != 1 || msgs[0].To != "admin@example.com" || msgs[0].From != "crm@example.com" || msgs[0].Auth != "crm\x00"+smtpPassword ||
			!strings.Contains(msgs[0].Subject, "测试邮件") {
			t.Fatalf("test message: %+v", msgs)
		}
		// A server that refuses: 502 smtp_failed with its answer.
		srv.FailAll(true)
		r = h.Must(h.Do("POST", "/api/v1/settings/smtp/test", admin, map[string]any{"to": "admin@example.com"}), 502)
		apitest.WantCode(t, r, "smtp_failed")
		if !strings.Contains(r.Raw, "451") {
			t.Fatalf("the server's answer is not shown: %s", r.Raw)
		}
		// The password is in no answer and in no event: the settings stream holds it sealed.
		for _, path := range []string{"/api/v1/settings/smtp", "/api/v1/settings", "/api/v1/audit/events?type=settings.changed.v1"} {
			if r := h.Must(h.Do("GET", path, admin, nil, "X-Chronicle-Min-Position", h.Head()), 200); strings.Contains(r.Raw, smtpPassword) {
				t.Fatalf("%s shows the SMTP password: %s", path, r.Raw)
			}
		}
		all, err := h.App.Store.ReadAll(context.Background(), 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		sealed := 0
		for _, e := range all {
			if strings.Contains(string(e.Data), smtpPassword) || strings.Contains(fmt.Sprint(e.Metadata), smtpPassword) {
				t.Fatalf("event %s holds the SMTP password: %s", e.Type, e.Data)
			}
			if sealedPattern.Match(e.Data) {
				sealed++
			}
		}
		if sealed == 0 {
			t.Fatal("no settings event holds the sealed password")
		}
		// Removing the server removes its password.
		r = h.Must(h.Do("PUT", "/api/v1/settings/smtp", admin, map[string]any{"host": ""}), 200)
		if r.Body["host"] != "" || r.Body["passwordSet"] != false {
			t.Fatalf("removed: %s", r.Raw)
		}
	})
}

func TestNotificationEmails(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, h *apitest.Harness, clock *apitest.FakeClock) {
		admin := h.Login("admin", apitest.AdminPassword)
		zhangID, zhang := h.CreateUser(admin, "zhangsan", "sales")
		liID, li := h.CreateUser(admin, "lisi", "sales")
		wangID, _ := h.CreateUser(admin, "wangwu", "sales") // no address
		srv := setUp(t, h, admin)

		// Preferences: the defaults until chosen; bad values refused.
		r := h.Must(h.Do("GET", "/api/v1/me/notification-preferences", zhang, nil), 200)
		if r.Body["email"] != "" || r.Body["kindsChosen"] != false || !strings.Contains(r.Raw, `"kinds":["task_assigned","task_reminder","task_overdue","approval_requested","schedule_reminder"]`) {
			t.Fatalf("defaults: %s", r.Raw)
		}
		apitest.FieldErr(t, h.Must(h.Do("PUT", "/api/v1/me/notification-preferences", zhang, map[string]any{"email": "zhang at example"}), 422), "email", "invalid_email")
		apitest.FieldErr(t, h.Must(h.Do("PUT", "/api/v1/me/notification-preferences", zhang, map[string]any{"kinds": []string{"no_such"}}), 422), "mailKinds", "")
		r = h.Must(h.Do("PUT", "/api/v1/me/notification-preferences", zhang, map[string]any{"email": "zhang@example.com"}), 200)
		if r.Body["email"] != "zhang@example.com" || r.Body["kindsChosen"] != false {
			t.Fatalf("set: %s", r.Raw)
		}
		// li has an address but opted out of every kind.
		r = h.Must(h.Do("PUT", "/api/v1/me/notification-preferences", li, map[string]any{"email": "li@example.com", "kinds": []string{}}), 200)
		if r.Body["kindsChosen"] != true || !strings.Contains(r.Raw, `"kinds":[]`) {
			t.Fatalf("opted out: %s", r.Raw)
		}

		task := func(title, assignee string) string {
			return h.Must(h.Do("POST", "/api/v1/tasks", admin, map[string]any{"title": title, "assigneeId": assignee}), 201).Body["id"].(string)
		}
		t1 := task("回访星河科技，确认报价", zhangID)
		task("给李四的任务", liID)
		task("给王五的任务", wangID)
		if n := runMailer(t, h); n != 1 {
			r := h.Must(h.Do("GET", "/api/v1/mail/outbox?status=pending", admin, nil), 200)
			nr := h.Must(h.Do("GET", "/api/v1/notifications", zhang, nil, "X-Chronicle-Min-Position", h.Head()), 200)
			t.Fatalf("sent %d, want 1: %s %s", n, r.Raw, nr.Raw)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("messages: %+v", msgs)
		}
		m := msgs[0]
		if m.To != "zhang@example.com" || !strings.Contains(m.Subject, "有任务分配给你") || !strings.Contains(m.Subject, "A task was assigned to you") ||
			!strings.Contains(m.Subject, "回访星河科技，确认报价") || !strings.Contains(m.Body, "http://localhost:8080/tasks/"+t1) {
			t.Fatalf("message: %+v", m)
		}
		// Nothing more, however often it runs.
		if n := runMailer(t, h); n != 0 || len(srv.Messages()) != 1 {
			t.Fatalf("ran again: sent %d, %d messages", n, len(srv.Messages()))
		}
		r = h.Must(h.Do("GET", "/api/v1/mail/outbox?status=sent", admin, nil), 200)
		if items := r.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["address"] != "zhang@example.com" {
			t.Fatalf("sent: %s", r.Raw)
		}

		// A failing server: tried 6 times, 1, 2, 4, 8, 16 minutes apart, then failed.
		srv.FailAll(true)
		task("第二个任务", zhangID)
		if n := runMailer(t, h); n != 0 {
			t.Fatalf("sent %d through a failing server", n)
		}
		r = h.Must(h.Do("GET", "/api/v1/mail/outbox?status=pending", admin, nil), 200)
		items := r.Body["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("pending: %s", r.Raw)
		}
		it := items[0].(map[string]any)
		if it["attempts"] != 1.0 || !strings.Contains(it["lastError"].(string), "451") || it["nextAttempt"] == nil {
			t.Fatalf("pending: %s", r.Raw)
		}
		// Not due yet: nothing is tried.
		before := srv.Attempts()
		runMailer(t, h)
		if srv.Attempts() != before {
			t.Fatal("tried again before the back-off")
		}
		for i := 0; i < 5; i++ {
			clock.Advance(time.Minute << i)
			runMailer(t, h)
		}
		if got := srv.Attempts() - before; got != 5 {
			t.Fatalf("tried %d more times, want 5", got)
		}
		r = h.Must(h.Do("GET", "/api/v1/mail/outbox?status=failed", admin, nil), 200)
		items = r.Body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["attempts"] != 6.0 || items[0].(map[string]any)["nextAttempt"] != nil ||
			!strings.Contains(items[0].(map[string]any)["subject"].(string), "第二个任务") {
			t.Fatalf("failed: %s", r.Raw)
		}
		if r := h.Must(h.Do("GET", "/api/v1/mail/outbox?status=pending", admin, nil), 200); len(r.Body["items"].([]any)) != 0 {
			t.Fatalf("still pending: %s", r.Raw)
		}
		clock.Advance(time.Hour)
		srv.FailAll(false)
		runMailer(t, h)
		if len(srv.Messages()) != 1 {
			t.Fatal("a failed e-mail was sent again")
		}
		h.Must(h.Do("GET", "/api/v1/mail/outbox?status=bogus", admin, nil), 422)

		// A rebuild of the notifications read model makes the same notifications: none is sent
		// again (the outbox is keyed by the notification's id, the checkpoint by the log).
		srv.FailNext(1) // the next delivery fails once, then goes through
		task("第三个任务", zhangID)
		runMailer(t, h)
		clock.Advance(time.Minute)
		runMailer(t, h)
		if len(srv.Messages()) != 2 {
			t.Fatalf("after a retry: %d messages", len(srv.Messages()))
		}
		gen, err := h.App.Engine.Rebuild(context.Background(), notifyview.Projection)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.App.Engine.WaitRebuilt(context.Background(), notifyview.Projection, gen); err != nil {
			t.Fatal(err)
		}
		if _, err := h.App.DB.SQL.Exec(`DELETE FROM mail_checkpoint`); err != nil { // even from the start of the log
			t.Fatal(err)
		}
		runMailer(t, h)
		if len(srv.Messages()) != 2 {
			t.Fatalf("a rebuild sent again: %d messages", len(srv.Messages()))
		}
	})
}

var sealedPattern = regexp.MustCompile(`"passwordSealed": ?"v1:`)

var tokenPattern = regexp.MustCompile(`reset-password\?token=([A-Za-z0-9_-]+)`)

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, h *apitest.Harness, clock *apitest.FakeClock) {
		admin := h.Login("admin", apitest.AdminPassword)
		_, zhang := h.CreateUser(admin, "zhangsan", "sales")
		wangID, wang := h.CreateUser(admin, "wangwu", "sales")
		srv := setUp(t, h, admin)
		h.Must(h.Do("PUT", "/api/v1/me/notification-preferences", zhang, map[string]any{"email": "zhang@example.com"}), 200)
		ask := func(login string) (apitest.Resp, time.Duration) {
			start := time.Now()
			r := h.Must(h.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"login": login}), 202)
			return r, time.Since(start)
		}
		// The same answer whether or not the account exists (or has an address), never sooner
		// than the floor.
		known, tk := ask("ZhangSan")
		unknown, tu := ask("nobody-here")
		noAddress, _ := ask("wangwu")
		if known.Raw != unknown.Raw || known.Raw != noAddress.Raw || tk < 200*time.Millisecond || tu < 200*time.Millisecond {
			t.Fatalf("answers differ: %s / %s / %s (%v, %v)", known.Raw, unknown.Raw, noAddress.Raw, tk, tu)
		}
		h.Must(h.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"login": ""}), 422)
		runMailer(t, h)
		msgs := srv.Messages()
		if len(msgs) != 1 || msgs[0].To != "zhang@example.com" || !strings.Contains(msgs[0].Body, "http://localhost:8080/reset-password?token=") {
			t.Fatalf("reset e-mails: %+v", msgs)
		}
		token := tokenPattern.FindStringSubmatch(msgs[0].Body)[1]
		// The token is not stored: the account's stream has its SHA-256; the sent e-mail's body is
		// not kept.
		sum := sha256.Sum256([]byte(token))
		all, err := h.App.Store.ReadAll(context.Background(), 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		hashed := false
		for _, e := range all {
			if strings.Contains(string(e.Data), token) {
				t.Fatalf("event %s holds the token", e.Type)
			}
			hashed = hashed || e.Type == "user.password_reset_requested.v1" && strings.Contains(string(e.Data), hex.EncodeToString(sum[:]))
		}
		if !hashed {
			t.Fatal("no event holds the token's hash")
		}
		var body string
		if err := h.App.DB.SQL.QueryRow(`SELECT body FROM mail_outbox WHERE kind = 'password_reset'`).Scan(&body); err != nil || body != "" {
			t.Fatalf("the sent reset e-mail's body was kept: %q %v", body, err)
		}

		confirm := func(token, pw string, status int) apitest.Resp {
			return h.Must(h.Do("POST", "/api/v1/auth/password-reset/confirm", "", map[string]any{"token": token, "password": pw}), status)
		}
		// The password rules of a change apply.
		apitest.FieldErr(t, confirm(token, "short", 422), "password", "")
		apitest.FieldErr(t, confirm(token, "zhangsan-zhangsan-1", 422), "password", "")
		apitest.WantCode(t, confirm("not-a-token", "A-new-long-passphrase-2026", 400), "invalid_reset_token")
		apitest.WantCode(t, confirm(token[:len(token)-2]+"AA", "A-new-long-passphrase-2026", 400), "invalid_reset_token")
		confirm(token, "A-new-long-passphrase-2026", 204)
		// Every session ended; the new password signs in; the link works once.
		h.Must(h.Do("GET", "/api/v1/auth/me", zhang, nil), 401)
		h.Must(h.Do("GET", "/api/v1/auth/me", wang, nil), 200)
		h.Login("zhangsan", "A-new-long-passphrase-2026")
		apitest.WantCode(t, confirm(token, "Another-long-passphrase-2026", 400), "invalid_reset_token")

		// A link expires after 30 minutes.
		ask("zhangsan")
		runMailer(t, h)
		msgs = srv.Messages()
		if len(msgs) != 2 {
			t.Fatalf("second link: %d messages", len(msgs))
		}
		second := tokenPattern.FindStringSubmatch(msgs[1].Body)[1]
		clock.Advance(31 * time.Minute)
		apitest.WantCode(t, confirm(second, "Another-long-passphrase-2026", 400), "invalid_reset_token")

		// At most 3 links an hour to one account (the answer stays the same).
		clock.Advance(time.Hour)
		for i := 0; i < 4; i++ {
			ask("zhangsan")
		}
		runMailer(t, h)
		if got := len(srv.Messages()) - 2; got != 3 {
			t.Fatalf("%d links in an hour, want 3", got)
		}
		// A user who never entered an address gets one from an administrator, and then the link.
		h.Must(h.Do("PATCH", "/api/v1/users/"+wangID, admin, map[string]any{"email": "wang@example.com"}), 200)
		sent := len(srv.Messages())
		ask("wangwu")
		runMailer(t, h)
		if msgs := srv.Messages(); len(msgs) != sent+1 || msgs[sent].To != "wang@example.com" || !strings.Contains(msgs[sent].Body, "reset-password?token=") {
			t.Fatalf("reset e-mails after the administrator entered wangwu's address: %+v", msgs[sent:])
		}
		// Per client address: 10 requests in 15 minutes (confirmations count too), then 429.
		var r apitest.Resp
		for i := 0; i < 12; i++ {
			r = h.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"login": "nobody-" + strconv.Itoa(i)})
			if r.Status == 429 {
				break
			}
		}
		apitest.WantCode(t, r, "too_many_attempts")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
	})
}

func TestResetLinkWithoutServer(t *testing.T) {
	t.Parallel()
	clock := &apitest.FakeClock{}
	h := apitest.New(t, "sqlite", clock.Now)
	admin := h.Login("admin", apitest.AdminPassword)
	_, zhang := h.CreateUser(admin, "zhangsan", "sales")
	h.Must(h.Do("PUT", "/api/v1/me/notification-preferences", zhang, map[string]any{"email": "zhang@example.com"}), 200)
	h.Must(h.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"login": "zhangsan"}), 202)
	runMailer(t, h)
	r := h.Must(h.Do("GET", "/api/v1/mail/outbox?status=pending", admin, nil), 200)
	if items := r.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["kind"] != "password_reset" {
		t.Fatalf("pending: %s", r.Raw)
	}
	clock.Advance(31 * time.Minute)
	runMailer(t, h)
	r = h.Must(h.Do("GET", "/api/v1/mail/outbox?status=failed", admin, nil), 200)
	if items := r.Body["items"].([]any); len(items) != 1 || !strings.Contains(items[0].(map[string]any)["lastError"].(string), "expired") {
		t.Fatalf("failed: %s", r.Raw)
	}
	var body string
	if err := h.App.DB.SQL.QueryRow(`SELECT body FROM mail_outbox`).Scan(&body); err != nil || body != "" {
		t.Fatalf("the link stayed in the outbox: %q %v", body, err)
	}
}
