package mailer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// Opener decrypts the sealed SMTP password (adapters/secretbox).
type Opener interface {
	Open(sealed string) ([]byte, error)
}

// Deps are what the mailer needs.
type Deps struct {
	DB            *readmodels.DB
	Notifications *notifyview.Views
	Org           *orgview.Views
	Secrets       Opener
	// PublicURL is the address of the web UI in links (CHRONICLE_PUBLIC_URL).
	PublicURL string
	Clock     func() time.Time
	// Lease is how long one run holds the mailer's lease.
	Lease  time.Duration
	Logger *slog.Logger
}

// Mailer is the mail process.
type Mailer struct {
	Deps
	// Deliver sends one message (Send; tests may wrap it).
	Deliver func(ctx context.Context, s Server, to string, msg []byte) error
	wake    chan struct{}
}

// New builds the mailer.
func New(d Deps) *Mailer {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Lease <= 0 {
		d.Lease = time.Minute
	}
	return &Mailer{Deps: d, Deliver: Send, wake: make(chan struct{}, 1)}
}

// Limits of the process: a delivery is tried MaxAttempts times, FirstRetry after the first
// failure and twice as long after each next one; notifications older than MaxAge when the mailer
// first sees them are not e-mailed (after a long outage, or when mail is first set up, the inbox
// has them).
var (
	MaxAttempts = 6
	FirstRetry  = time.Minute
	MaxAge      = 6 * time.Hour
)

// KindPasswordReset is the kind of the outbox rows of reset links; ResetLinkTTL how long a link
// works (user.ResetTTL).
const (
	KindPasswordReset = "password_reset"
	ResetLinkTTL      = 30 * time.Minute
)

// Statuses of an outbox row.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

const (
	lease      = "mailer"
	checkpoint = "notifications"
	batch      = 200
)

// Wake asks the loop (Loop) to run now rather than at its next tick (a password-reset e-mail
// was queued).
func (m *Mailer) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Woken is what Wake signals.
func (m *Mailer) Woken() <-chan struct{} { return m.wake }

// Server reads the mail server of the settings with its password opened.
func (m *Mailer) Server(ctx context.Context) (Server, error) {
	s, err := m.Org.SMTP(ctx)
	if err != nil || !s.Enabled() {
		return Server{}, err
	}
	srv := Server{SMTP: s}
	if s.PasswordSealed != "" {
		if m.Secrets == nil {
			return Server{}, errors.New("no secret key to open the SMTP password with")
		}
		p, err := m.Secrets.Open(s.PasswordSealed)
		if err != nil {
			return Server{}, fmt.Errorf("the SMTP password: %w", err)
		}
		srv.Password = string(p)
	}
	return srv, nil
}

// Run queues the e-mails of the notifications that are new since the last run and sends what is
// due, if this holder gets the lease. It reports how many e-mails it sent.
func (m *Mailer) Run(ctx context.Context, holder string) (int, error) {
	now := m.Clock()
	ok, err := m.DB.TryLease(ctx, lease, holder, now, m.Lease)
	if err != nil || !ok {
		return 0, err
	}
	// A reset link not sent within its 30 minutes is useless: its row gives up, and its body
	// (the link) goes.
	if _, err := m.DB.SQL.ExecContext(ctx, m.DB.Q(`UPDATE mail_outbox SET status = ?, body = '', last_error = ?
		WHERE status = ? AND next_attempt < ? AND kind = ? AND created_at < ?`), StatusFailed, "the reset link expired before it could be sent",
		StatusPending, m.DB.Dialect.Time(now), KindPasswordReset, m.DB.Dialect.Time(now.Add(-ResetLinkTTL))); err != nil {
		return 0, err
	}
	srv, err := m.Server(ctx)
	if err != nil {
		return 0, err
	}
	if err := m.queue(ctx, srv.Enabled(), now); err != nil {
		return 0, err
	}
	if !srv.Enabled() {
		return 0, nil
	}
	return m.deliver(ctx, srv, m.Clock()) // now: what was queued above is due
}

// position reads the mailer's checkpoint.
func (m *Mailer) position(ctx context.Context) (uint64, error) {
	var p int64
	err := m.DB.SQL.QueryRowContext(ctx, m.DB.Q(`SELECT position FROM mail_checkpoint WHERE name = ?`), checkpoint).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return uint64(p), err
}

// queue writes an outbox row for each new notification its recipient wants by e-mail (when a
// server is set: without one the checkpoint moves on and nothing is queued).
func (m *Mailer) queue(ctx context.Context, enabled bool, now time.Time) error {
	after, err := m.position(ctx)
	if err != nil {
		return err
	}
	for {
		ns, err := m.Notifications.After(ctx, after, batch)
		if err != nil || len(ns) == 0 {
			return err
		}
		prefs := map[uuid.UUID]*orgview.MailPrefs{}
		for _, n := range ns {
			if !enabled || now.Sub(n.At) > MaxAge {
				continue
			}
			p, ok := prefs[n.UserID]
			if !ok {
				got, err := m.Org.MailPreferences(ctx, n.UserID)
				if err != nil && !errors.Is(err, readmodels.ErrNotFound) {
					return err
				}
				if err == nil {
					p = &got
				}
				prefs[n.UserID] = p
			}
			if p == nil || p.Disabled || p.Email == "" || !p.WantsMail(n.Kind) {
				continue
			}
			subject, body := NotificationMail(m.PublicURL, n, p.Language)
			if err := m.Enqueue(ctx, Mail{ID: n.ID, Kind: n.Kind, RecipientID: n.UserID, Address: p.Email, Subject: subject, Body: body}); err != nil {
				return err
			}
		}
		after = ns[len(ns)-1].Position
		if _, err := m.DB.SQL.ExecContext(ctx, m.DB.Q(`INSERT INTO mail_checkpoint (name, position) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET position = excluded.position`), checkpoint, int64(after)); err != nil {
			return err
		}
	}
}

// Mail is one e-mail to queue.
type Mail struct {
	ID          uuid.UUID // the notification's id (or the reset request's): an id is queued once
	Kind        string
	RecipientID uuid.UUID
	Address     string
	Subject     string
	Body        string
}

// Enqueue writes an outbox row, due now, unless one with that id exists (then nothing).
func (m *Mailer) Enqueue(ctx context.Context, e Mail) error {
	now := m.DB.Dialect.Time(m.Clock())
	_, err := m.DB.SQL.ExecContext(ctx, m.DB.Q(`INSERT INTO mail_outbox (id, kind, recipient_id, address, subject, body, status, attempts,
		next_attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (id) DO NOTHING`),
		e.ID.String(), e.Kind, e.RecipientID.String(), e.Address, e.Subject, e.Body, StatusPending, now, now)
	return err
}

// deliver sends the pending e-mails that are due.
func (m *Mailer) deliver(ctx context.Context, srv Server, now time.Time) (int, error) {
	rows, err := m.DB.SQL.QueryContext(ctx, m.DB.Q(`SELECT id, address, subject, body, attempts FROM mail_outbox
		WHERE status = ? AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?`), StatusPending, m.DB.Dialect.Time(now), batch)
	if err != nil {
		return 0, err
	}
	type due struct {
		id, address, subject, body string
		attempts                   int
	}
	var todo []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.address, &d.subject, &d.body, &d.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range todo {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		err := m.Deliver(ctx, srv, d.address, Compose(srv.From, d.address, d.subject, d.body, m.Clock()))
		attempts := d.attempts + 1
		at := m.DB.Dialect.Time(m.Clock())
		if err == nil {
			sent++
			// the body is not kept once sent (a reset e-mail's holds its link)
			_, err = m.DB.SQL.ExecContext(ctx, m.DB.Q(`UPDATE mail_outbox SET status = ?, attempts = ?, last_error = '', body = '', sent_at = ? WHERE id = ?`),
				StatusSent, attempts, at, d.id)
			if err != nil {
				return sent, err
			}
			continue
		}
		msg := oneLine(err.Error())
		if len(msg) > 500 {
			msg = msg[:500]
		}
		m.Logger.Warn("e-mail not delivered", "id", d.id, "attempt", attempts, "error", msg)
		if attempts >= MaxAttempts {
			_, err = m.DB.SQL.ExecContext(ctx, m.DB.Q(`UPDATE mail_outbox SET status = ?, attempts = ?, last_error = ?, body = '' WHERE id = ?`),
				StatusFailed, attempts, msg, d.id)
		} else {
			next := m.Clock().Add(FirstRetry << (attempts - 1))
			_, err = m.DB.SQL.ExecContext(ctx, m.DB.Q(`UPDATE mail_outbox SET attempts = ?, last_error = ?, next_attempt = ? WHERE id = ?`),
				attempts, msg, m.DB.Dialect.Time(next), d.id)
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// SendTest sends the administrators' test message to one address, at once, and reports the
// server's answer.
func (m *Mailer) SendTest(ctx context.Context, to string) error {
	srv, err := m.Server(ctx)
	if err != nil {
		return err
	}
	if !srv.Enabled() {
		return errors.New("no mail server is set")
	}
	body := "这是 Chronicle CRM 的测试邮件：邮件服务器设置可用。\nThis is a test message from Chronicle CRM: the mail server settings work.\n" +
		strings.TrimRight(m.PublicURL, "/") + "\n"
	return m.Deliver(ctx, srv, to, Compose(srv.From, to, "[Chronicle] 测试邮件 / Test message", body, m.Clock()))
}

// Item is an outbox row as administrators see it (never its body).
type Item struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	RecipientID string     `json:"recipientId"`
	Address     string     `json:"address"`
	Subject     string     `json:"subject"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"lastError"`
	NextAttempt *time.Time `json:"nextAttempt"`
	CreatedAt   time.Time  `json:"createdAt"`
	SentAt      *time.Time `json:"sentAt"`
}

// Page is a page of the outbox, newest first.
type Page struct {
	Items      []Item `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// List reads a page of the outbox rows of one status, newest first, by the index on
// (status, created_at, id).
func (m *Mailer) List(ctx context.Context, status string, limit int, cursor string) (Page, error) {
	stmt := `SELECT id, kind, recipient_id, address, subject, status, attempts, last_error, next_attempt, created_at, sent_at
		FROM mail_outbox WHERE status = ?`
	args := []any{status}
	if cursor != "" {
		at, id, ok := strings.Cut(cursor, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			return Page{}, &readmodels.ValidationError{Field: "cursor", Message: "is not a cursor of this list"}
		}
		stmt += ` AND (created_at < ? OR created_at = ? AND id < ?)`
		args = append(args, m.DB.Dialect.Time(t), m.DB.Dialect.Time(t), id)
	}
	stmt += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := m.DB.SQL.QueryContext(ctx, m.DB.Q(stmt), args...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	p := Page{Items: []Item{}}
	for rows.Next() {
		var it Item
		var next, created, sentAt readmodels.Time
		if err := rows.Scan(&it.ID, &it.Kind, &it.RecipientID, &it.Address, &it.Subject, &it.Status, &it.Attempts, &it.LastError,
			&next, &created, &sentAt); err != nil {
			return Page{}, err
		}
		if it.Status == StatusPending {
			it.NextAttempt = next.Ptr()
		}
		it.CreatedAt, it.SentAt = created.T, sentAt.Ptr()
		p.Items = append(p.Items, it)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		last := p.Items[limit-1]
		p.NextCursor = last.CreatedAt.Format(time.RFC3339Nano) + "|" + last.ID
	}
	return p, nil
}
