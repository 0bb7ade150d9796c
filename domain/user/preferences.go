package user

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/chronicle-crm/chronicle/domain/notification"
)

// Languages of the user interface.
const (
	LanguageChinese = "zh-CN"
	LanguageEnglish = "en"
	// DefaultLanguage is the language of a user who never chose one.
	DefaultLanguage = LanguageChinese
)

// Languages lists the languages a user may choose.
var Languages = []string{LanguageChinese, LanguageEnglish}

// maxTimeZoneLen bounds a time zone name (the longest IANA name has 32 characters).
const maxTimeZoneLen = 64

// ParseLanguage checks a language choice.
func ParseLanguage(s string) (string, error) {
	if slices.Contains(Languages, s) {
		return s, nil
	}
	return "", &ValidationError{Field: "language", Message: fmt.Sprintf("must be one of zh-CN, en; got %q", s)}
}

// ParseTimeZone checks an IANA time zone name such as "Asia/Shanghai" or "UTC". "Local" (the
// server's own zone, which says nothing about the user) and names that are not in the time zone
// database are refused. field names the field an error is reported on.
func ParseTimeZone(field, s string) (string, error) {
	bad := func(why string) error {
		return &ValidationError{Field: field, Message: why}
	}
	switch {
	case s == "":
		return "", bad("is required: an IANA time zone name such as Asia/Shanghai")
	case len(s) > maxTimeZoneLen:
		return "", bad(fmt.Sprintf("at most %d characters", maxTimeZoneLen))
	case strings.EqualFold(s, "Local"):
		return "", bad(`"Local" is not a time zone: name one, such as Asia/Shanghai`)
	}
	if _, err := time.LoadLocation(s); err != nil {
		return "", bad(fmt.Sprintf("%q is not a known IANA time zone (such as Asia/Shanghai, Europe/Berlin, UTC)", s))
	}
	return s, nil
}

// Preferences are a user's own choices for the user interface; "" is not chosen (the defaults
// apply: DefaultLanguage, and the organisation's default time zone).
//
// Email and MailKinds were added later: the user's own e-mail address ("": none) and the kinds of
// notification they also want by e-mail (MailKindsChosen false: DefaultMailKinds).
type Preferences struct {
	Language        string
	TimeZone        string
	Email           string
	MailKinds       []string
	MailKindsChosen bool
}

// DefaultMailKinds are the notifications e-mailed to a user who never chose.
var DefaultMailKinds = []string{notification.TaskAssigned, notification.TaskReminder, notification.TaskOverdue,
	notification.ApprovalRequested, notification.ScheduleReminder}

// WantsMail reports whether the user wants notifications of kind by e-mail.
func (p Preferences) WantsMail(kind string) bool {
	if !p.MailKindsChosen {
		return slices.Contains(DefaultMailKinds, kind)
	}
	return slices.Contains(p.MailKinds, kind)
}

// maxEmailLen bounds an e-mail address (RFC 5321's path limit).
const maxEmailLen = 254

// ParseEmail checks an e-mail address: a bare address (name@domain), at most 254 characters.
func ParseEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > maxEmailLen {
		return "", &ValidationError{Field: field, Message: "must be an e-mail address such as name@example.com", Code: "invalid_email"}
	}
	return s, nil
}

// ParseMailKinds checks a choice of notification kinds (deduplicated, in notification.Kinds order).
func ParseMailKinds(kinds []string) ([]string, error) {
	for _, k := range kinds {
		if !slices.Contains(notification.Kinds, k) {
			return nil, &ValidationError{Field: "mailKinds", Message: fmt.Sprintf("%q is not a kind of notification", k)}
		}
	}
	out := []string{}
	for _, k := range notification.Kinds {
		if slices.Contains(kinds, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// PreferencesChanged: the user changed their own preferences (nil: unchanged; "": back to the
// default). It does not move the account's EditVersion: administrators edit nothing of it.
type PreferencesChanged struct {
	UserID   string  `json:"userId"`
	Language *string `json:"language,omitempty"`
	TimeZone *string `json:"timeZone,omitempty"`
	// Email ("": none) and MailKinds (the kinds e-mailed) were added later: old events read as
	// unchanged.
	Email     *string   `json:"email,omitempty"`
	MailKinds *[]string `json:"mailKinds,omitempty"`
	At        time.Time `json:"at"`
}

func (PreferencesChanged) EventType() string { return "user.preferences_changed.v1" }

// PreferencesChange is an edit of the preferences: nil fields stay, "" returns to the default.
type PreferencesChange struct {
	Language  *string
	TimeZone  *string
	Email     *string
	MailKinds *[]string // the kinds of notification also e-mailed (an empty list: none)
}

// Preferences are the user's current choices.
func (u *User) Preferences() Preferences { return u.prefs }

// ChangePreferences records the user's new choices; choosing what is already chosen records
// nothing.
func (u *User) ChangePreferences(c PreferencesChange, at time.Time) error {
	e := PreferencesChanged{UserID: u.id.String(), At: at.UTC()}
	var errs []error
	if c.Language != nil {
		l := *c.Language
		if l != "" {
			var err error
			if l, err = ParseLanguage(l); err != nil {
				errs = append(errs, err)
			}
		}
		if l != u.prefs.Language {
			e.Language = &l
		}
	}
	if c.TimeZone != nil {
		z := *c.TimeZone
		if z != "" {
			var err error
			if z, err = ParseTimeZone("timeZone", z); err != nil {
				errs = append(errs, err)
			}
		}
		if z != u.prefs.TimeZone {
			e.TimeZone = &z
		}
	}
	if c.Email != nil {
		m := strings.TrimSpace(*c.Email)
		if m != "" {
			var err error
			if m, err = ParseEmail("email", m); err != nil {
				errs = append(errs, err)
			}
		}
		if m != u.prefs.Email {
			e.Email = &m
		}
	}
	if c.MailKinds != nil {
		kinds, err := ParseMailKinds(*c.MailKinds)
		if err != nil {
			errs = append(errs, err)
		} else if !u.prefs.MailKindsChosen || !slices.Equal(kinds, u.prefs.MailKinds) {
			e.MailKinds = &kinds
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if e.Language == nil && e.TimeZone == nil && e.Email == nil && e.MailKinds == nil {
		return nil
	}
	u.record(e)
	return nil
}

func (u *User) applyPreferences(e PreferencesChanged) {
	if e.Language != nil {
		u.prefs.Language = *e.Language
	}
	if e.TimeZone != nil {
		u.prefs.TimeZone = *e.TimeZone
	}
	if e.Email != nil {
		u.prefs.Email = *e.Email
	}
	if e.MailKinds != nil {
		u.prefs.MailKinds, u.prefs.MailKindsChosen = *e.MailKinds, true
	}
}
