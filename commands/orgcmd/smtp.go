package orgcmd

import (
	"context"
	"errors"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
)

// Sealer encrypts a secret before it goes into an event (AES-256-GCM with the server's key: see
// adapters/secretbox).
type Sealer interface {
	Seal(plain []byte) (string, error)
}

// SetSealer sets what seals the SMTP password; without one, a password is refused.
func (h *Service) SetSealer(s Sealer) { h.sealer = s }

// SMTPInput is the whole outgoing mail server setting. Password is in clear here only: nil keeps
// the one set (only while the host, port, TLS mode and user name stay the same), "" removes it,
// anything else is sealed before it is recorded. An empty Host
// removes the server (and its password): nothing is e-mailed.
type SMTPInput struct {
	Host     string
	Port     int
	TLS      string
	Username string
	Password *string
	From     string
}

// ErrNoSealer: a password was given but the server has no secret key to seal it with.
var ErrNoSealer = errors.New("orgcmd: no secret key to seal the SMTP password with")

// UpdateSMTP sets the outgoing mail server; only holders of settings.manage may.
func (h *Service) UpdateSMTP(ctx context.Context, m commands.Meta, in SMTPInput) (commands.Result, error) {
	m.Command = commands.SettingsUpdate
	if !m.Actor.Can(role.SettingsManage) {
		return commands.Result{}, commands.ErrForbidden
	}
	change := func(s *settings.Settings) error {
		cur := s.SMTP()
		next := settings.SMTP{Host: in.Host, Port: in.Port, TLS: in.TLS, Username: in.Username, From: in.From,
			PasswordSealed: cur.PasswordSealed}
		// The password kept is the one entered for this server and this account: pointed
		// elsewhere (another host, port, TLS mode or user name), the stored password would be sent
		// to whoever answers there, so a change of server asks for it again ("" for none).
		moved := in.Host != cur.Host || in.Port != cur.Port || in.TLS != cur.TLS || in.Username != cur.Username
		if in.Host == "" {
			next = settings.SMTP{}
		} else if in.Password == nil && moved && cur.PasswordSealed != "" {
			return &settings.ValidationError{Field: "smtp.password",
				Message: "the server or the user name changed: enter the password again (an empty one for none)"}
		} else if in.Password != nil {
			next.PasswordSealed = ""
			if *in.Password != "" {
				if h.sealer == nil {
					return ErrNoSealer
				}
				if len(*in.Password) > 1024 {
					return &settings.ValidationError{Field: "smtp.password", Message: "at most 1024 bytes"}
				}
				sealed, err := h.sealer.Seal([]byte(*in.Password))
				if err != nil {
					return err
				}
				next.PasswordSealed = sealed
			}
		}
		return s.Update(settings.Change{SMTP: &next}, m.Actor.ID, h.clock())
	}
	res, err := h.settings.Update(ctx, m, settings.ID, change)
	if errors.Is(err, commands.ErrNotFound) { // first change ever
		s := settings.New()
		if err := change(s); err != nil {
			return commands.Result{}, err
		}
		if len(s.Changes()) == 0 {
			return commands.Result{ID: settings.ID}, nil
		}
		return h.settings.Create(ctx, m, settings.ID, s)
	}
	return res, err
}
