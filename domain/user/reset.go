package user

import (
	"crypto/subtle"
	"errors"
	"time"

	"github.com/chronicle-crm/chronicle/domain/event"
)

// Password reset by e-mail (the forgotten-password link): the link's token is never stored, only
// its SHA-256; a link works once, for ResetTTL, and any change of the password (by the link or
// otherwise) ends every link sent before it.
const (
	ResetTTL = 30 * time.Minute
	// MaxResetsPerHour bounds the links sent to one account in an hour; more requests send
	// nothing (and the requester is told the same as always).
	MaxResetsPerHour = 3
)

// ErrResetTokenInvalid: the link is unknown, used, superseded by a password change, or expired.
var ErrResetTokenInvalid = errors.New("the password reset link is not valid: it was used already, has expired, or a newer password was set; ask for a new link")

// PasswordResetRequested: a reset link was e-mailed to the account's address. TokenHash is the
// hex SHA-256 of the link's token (never the token).
type PasswordResetRequested struct {
	UserID    string    `json:"userId"`
	TokenHash string    `json:"tokenHash"`
	ExpiresAt time.Time `json:"expiresAt"`
	At        time.Time `json:"at"`
}

func (PasswordResetRequested) EventType() string { return "user.password_reset_requested.v1" }

func registerReset(r *event.Registry) {
	r.Register(func() event.Event { return &PasswordResetRequested{} })
}

type pendingReset struct {
	hash      string
	at        time.Time
	expiresAt time.Time
}

// RequestPasswordReset records a reset link with the token's hash, unless the account is
// disabled, has no e-mail address, or had MaxResetsPerHour links in the last hour: then it
// records nothing and reports false (the caller answers the same either way).
func (u *User) RequestPasswordReset(tokenHash string, now time.Time) bool {
	if u.disabled || u.prefs.Email == "" || tokenHash == "" {
		return false
	}
	recent := 0
	for _, p := range u.resets {
		if now.Sub(p.at) < time.Hour {
			recent++
		}
	}
	if recent >= MaxResetsPerHour {
		return false
	}
	u.record(PasswordResetRequested{UserID: u.id.String(), TokenHash: tokenHash, ExpiresAt: now.Add(ResetTTL).UTC(), At: now.UTC()})
	return true
}

// ResetPasswordByLink sets a new password hash with a link's token hash: the link must be one
// sent since the last password change and not expired.
func (u *User) ResetPasswordByLink(tokenHash, passwordHash string, now time.Time) error {
	if !u.ResetLinkValid(tokenHash, now) {
		return ErrResetTokenInvalid
	}
	if passwordHash == "" {
		return &ValidationError{Field: "password", Message: "is required"}
	}
	u.record(PasswordChanged{UserID: u.id.String(), PasswordHash: passwordHash, ByLink: true, By: u.id.String(), At: now.UTC()})
	return nil
}

// ResetLinkValid reports whether a link's token hash may still reset the password at now.
func (u *User) ResetLinkValid(tokenHash string, now time.Time) bool {
	if u.disabled || tokenHash == "" {
		return false
	}
	for _, p := range u.resets {
		if subtle.ConstantTimeCompare([]byte(p.hash), []byte(tokenHash)) == 1 && now.Before(p.expiresAt) && p.hash != "" {
			return true
		}
	}
	return false
}
