package projections

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Users projects accounts: sign-in credentials and the user directory.
type Users struct{ registry *event.Registry }

// NewUsers builds the projector.
func NewUsers(registry *event.Registry) *Users { return &Users{registry: registry} }

func (*Users) Name() string { return readmodels.UsersProjection }

func (*Users) Schema(_ *readmodels.DB, gen int) []string {
	return readmodels.UserTableDDL(readmodels.TableName("users", gen))
}

func (*Users) Drop(_ *readmodels.DB, gen int) []string {
	return []string{`DROP TABLE IF EXISTS ` + readmodels.TableName("users", gen)}
}

func (p *Users) NewBatch(tx *Tx) Batch { return &userBatch{p: p, tx: tx} }

// userBatch writes each event directly: account changes are rare.
type userBatch struct {
	p  *Users
	tx *Tx
}

func (b *userBatch) Apply(ctx context.Context, e eventstore.Event) error {
	if eventstore.StreamKind(e.StreamID) != user.StreamPrefix {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	t := b.tx.Table("users")
	switch d := d.(type) {
	case user.Created:
		roles, _ := json.Marshal(d.Roles)
		_, err = b.tx.Exec(ctx, `INSERT INTO `+t+` (id, username, username_lower, display_name, roles, password_hash, disabled, created_at, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.UserID, d.Username, strings.ToLower(d.Username), d.DisplayName, string(roles),
			d.PasswordHash, false, b.tx.DB.Dialect.Time(d.At), e.Version)
	default:
		_, err = b.tx.Exec(ctx, `UPDATE `+t+` SET version = ? WHERE id = ?`, e.Version, strings.TrimPrefix(e.StreamID, user.StreamPrefix+"-"))
	}
	return err
}

func (b *userBatch) Flush(context.Context) error { return nil }
