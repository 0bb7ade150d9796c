package usercmd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/user"
)

// ResetLink is what a password reset request gives the mailer: the token of the link (never
// stored: the account's stream holds its SHA-256) and where to send it. A zero ResetLink sends
// nothing (no such account, disabled, no e-mail address, or too many links this hour).
type ResetLink struct {
	UserID    uuid.UUID
	Token     string
	Email     string
	Language  string
	ExpiresAt time.Time
}

// tokenRandom is how many random bytes a link's token has.
const tokenRandom = 32

// ResetTokenHash is the stored form of a link's token: its hex SHA-256.
func ResetTokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// newResetToken is the account's id and 32 random bytes, base64url: the id finds the account's
// stream without a lookup table, the random part is the secret.
func newResetToken(id uuid.UUID) (string, error) {
	b := make([]byte, 16+tokenRandom)
	copy(b, id[:])
	if _, err := rand.Read(b[16:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// resetTokenUser reads the account's id from a token.
func resetTokenUser(token string) (uuid.UUID, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 16+tokenRandom {
		return uuid.Nil, false
	}
	id, err := uuid.FromBytes(b[:16])
	return id, err == nil
}

// RequestPasswordReset records a reset link for the account named login when it exists, is
// active and has an e-mail address (and has not had user.MaxResetsPerHour links this hour). It
// answers the same (no error, maybe a zero ResetLink) whatever the case: the caller must not tell
// the requester which it was.
func (h *Users) RequestPasswordReset(ctx context.Context, m commands.Meta, login string) (ResetLink, error) {
	m.Command = commands.UserRequestPasswordReset
	m.IfMatch = nil
	if login == "" || len(login) > 256 {
		return ResetLink{}, nil
	}
	id, err := h.IDByUsername(ctx, login)
	if errors.Is(err, commands.ErrNotFound) {
		return ResetLink{}, nil
	}
	if err != nil {
		return ResetLink{}, err
	}
	token, err := newResetToken(id)
	if err != nil {
		return ResetLink{}, err
	}
	m.Actor.ID = id // the request is anonymous: its events are the account's own
	var link ResetLink
	_, err = h.repo.Update(ctx, m, id, func(u *user.User) error {
		now := h.clock()
		link = ResetLink{}
		if u.RequestPasswordReset(ResetTokenHash(token), now) {
			p := u.Preferences()
			link = ResetLink{UserID: id, Token: token, Email: p.Email, Language: p.Language, ExpiresAt: now.Add(user.ResetTTL)}
		}
		return nil
	})
	if err != nil {
		return ResetLink{}, err
	}
	return link, nil
}

// ConfirmPasswordReset sets a new password with a link's token: the token must be valid
// (user.ErrResetTokenInvalid otherwise, whatever the reason), the password pass the same rules as
// a change of password. Every session of the account ends.
func (h *Users) ConfirmPasswordReset(ctx context.Context, m commands.Meta, token, password string) (commands.Result, error) {
	m.Command = commands.UserConfirmPasswordReset
	m.IfMatch = nil
	id, ok := resetTokenUser(token)
	if !ok {
		return commands.Result{}, user.ErrResetTokenInvalid
	}
	hash := ResetTokenHash(token)
	l, err := h.repo.Load(ctx, id)
	if errors.Is(err, commands.ErrNotFound) || err == nil && !l.Root.ResetLinkValid(hash, h.clock()) {
		return commands.Result{}, user.ErrResetTokenInvalid
	}
	if err != nil {
		return commands.Result{}, err
	}
	if err := CheckPassword(password, l.Root.Username(), l.Root.DisplayName()); err != nil {
		return commands.Result{}, err
	}
	pw, err := hashPassword(ctx, h.gate, password)
	if err != nil {
		return commands.Result{}, err
	}
	m.Actor.ID = id
	res, err := h.repo.Update(ctx, m, id, func(u *user.User) error { return u.ResetPasswordByLink(hash, pw, h.clock()) })
	if err != nil {
		return commands.Result{}, err
	}
	return res, h.sessions.DeleteUserSessions(ctx, id, "")
}
