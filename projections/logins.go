package projections

import (
	"context"
	"fmt"
	"strings"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
)

// Logins projects sign-in outcomes into the sign-in log: the login audit reads it and sign-in
// throttling counts recent failures in it by address and username. Rows are keyed by position,
// so replaying a page writes nothing twice.
type Logins struct{ registry *event.Registry }

// NewLogins builds the projector.
func NewLogins(registry *event.Registry) *Logins { return &Logins{registry: registry} }

func (*Logins) Name() string { return loginview.Projection }

func (*Logins) Schema(_ *readmodels.DB, gen int) []string { return loginview.DDL(gen) }

func (*Logins) Drop(_ *readmodels.DB, gen int) []string {
	return []string{`DROP TABLE IF EXISTS ` + readmodels.TableName("login_events", gen)}
}

func (p *Logins) NewBatch(tx *Tx) Batch { return &loginsBatch{p: p, tx: tx} }

// loginTypes are the events the sign-in log is made of.
var loginTypes = map[string]bool{
	user.SignedIn{}.EventType():            true,
	user.SignInFailed{}.EventType():        true,
	user.Locked{}.EventType():              true,
	user.Unlocked{}.EventType():            true,
	user.AddressSignInFailed{}.EventType(): true,
}

type loginsBatch struct {
	p    *Logins
	tx   *Tx
	rows []loginview.LoginEvent
}

func (b *loginsBatch) Apply(_ context.Context, e eventstore.Event) error {
	if !loginTypes[e.Type] {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	row := loginview.LoginEvent{Position: e.Position, OccurredAt: e.OccurredAt,
		Actor: readmodels.AuditActor{ID: e.Metadata.ActorID, Name: e.Metadata.ActorName}}
	account := func(id, username string) {
		row.UserID, row.Username = &id, username
	}
	switch d := d.(type) {
	case user.SignedIn:
		account(d.UserID, d.Username)
		row.OccurredAt, row.Address, row.Outcome, row.Method = d.At, d.Address, loginview.LoginSucceeded, d.Method
	case user.SignInFailed:
		account(d.UserID, d.Username)
		row.OccurredAt, row.Address, row.Outcome, row.Reason = d.At, d.Address, loginview.LoginFailed, d.Reason
	case user.Locked:
		account(d.UserID, d.Username)
		row.OccurredAt, row.Address, row.Outcome = d.At, e.Metadata.ClientAddr, loginview.LoginLocked
	case user.Unlocked:
		account(d.UserID, d.Username)
		row.OccurredAt, row.Address, row.Outcome = d.At, e.Metadata.ClientAddr, loginview.LoginUnlocked
	case user.AddressSignInFailed:
		row.Username, row.Address, row.Outcome, row.Reason, row.OccurredAt = d.Username, d.Address, loginview.LoginFailed, d.Reason, d.At
	default:
		return nil
	}
	b.rows = append(b.rows, row)
	return nil
}

func (b *loginsBatch) Flush(ctx context.Context) error {
	ncol := strings.Count(loginview.Columns, ",") + 1
	table := b.tx.Table("login_events")
	for start := 0; start < len(b.rows); start += upsertChunk {
		chunk := b.rows[start:min(start+upsertChunk, len(b.rows))]
		args := make([]any, 0, len(chunk)*ncol)
		for _, r := range chunk {
			args = append(args, loginview.Args(b.tx.DB.Dialect, r)...)
		}
		q := `INSERT INTO ` + table + ` (` + loginview.Columns + `) VALUES ` + placeholders(len(chunk), ncol) + ` ON CONFLICT (position) DO NOTHING`
		if _, err := b.tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("insert login events: %w", err)
		}
	}
	b.rows = b.rows[:0]
	return nil
}
